"""`ccsim simulate FILE`: one plan, many replications, tables with CIs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ccsim import sim

from ..output import write_json, write_text
from ..render import tables as report
from ..render.summary import decided_text
from .common import (
    ConfidenceOpt,
    DaskOpt,
    JsonOpt,
    QuietOpt,
    ScenarioArg,
    SeedOpt,
    WorkersOpt,
    clean_checkpoints,
    fail,
    friendly,
    load,
    make_executor,
    out_console,
)
from .deliver import write_deck, write_roster
from .progress import Reporter, compile_note

ReplicationsOpt = Annotated[
    int | None,
    typer.Option("--replications", "-r", min=1, help="replications (default: the scenario's)"),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        help="write here: results.json, intervals.csv, segments.csv, compare.json, the "
        "charts (PNG, SVG), workbook.xlsx, deck.pptx (and roster.csv with its charts for a "
        "roster)"
    ),
]
EngineOpt = Annotated[
    str | None, typer.Option(help="fast (compiled, default) or simpy (reference)")
]
CallsOpt = Annotated[Path | None, typer.Option(help="write call-level records to this CSV")]


@friendly
def simulate(
    file: ScenarioArg,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    confidence: ConfidenceOpt = None,
    out: OutOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    engine: EngineOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    calls: CallsOpt = None,
) -> None:
    """Simulate the scenario's day (or steady state) under its staffing and policy."""
    model = load(file, confidence)
    if engine not in (None, "fast", "simpy"):
        fail(f"--engine: unknown engine {engine!r}; use fast or simpy")
    R = replications or model.replications
    executor = make_executor(workers if R > 1 else 1, dask)
    shown = not (json_out or quiet)
    with (
        executor,
        compile_note(shown and engine != "simpy"),
        Reporter("simulating", shown, total=R) as bar,
    ):
        n = R
        while True:
            res = sim.simulate(
                model,
                replications=n,
                seed=seed,
                engine=engine,
                executor=executor,
                calls_file=calls,
                checkpoint_dir=out / ".checkpoints" if out else None,
                progress=bar.advance,
                keep_reps=False,
            )
            # a borderline verdict gets more days, as compare and the optimizer decide it
            # (the days already run come from the checkpoints with --out)
            if not _more_days(model, res, R, calls):
                break
            n *= 2
            bar(f"a verdict is borderline on {res.meta['replications']} replications: {n}")
    res.meta["verdicts"] = _verdicts_meta(model, res, R)
    js = res.to_json()
    if out:
        _write_out(model, res, js, out)
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
        return
    report.print_simulation(res, out_console)
    decided = decided_text({"meta": res.meta})
    if decided:
        out_console.print(decided, markup=False, highlight=False)
    if out:
        extra = ", roster.csv, coverage and shift charts" if model.roster is not None else ""
        out_console.print(
            f"[dim]results written to {out}/ (results.json, intervals.csv, segments.csv, "
            f"compare.json, charts{extra}, workbook.xlsx, deck.pptx)[/dim]"
        )
    if calls:
        out_console.print(f"[dim]call records written to {calls}[/dim]")


def _write_out(model, res, js: dict, out: Path) -> None:
    """results.json, the CSVs, the one-plan comparison behind the charts, workbook and
    deck, and a roster's files."""
    from ccsim.sim.comparison import CompareResult

    from ..render.payload import comparison_json

    write_json(out / "results.json", js)
    write_text(out / "intervals.csv", res.intervals_csv())
    write_text(out / "segments.csv", res.segments_csv())
    single = comparison_json(
        CompareResult(
            model,
            "scenario",
            {"scenario": model},
            {"scenario": res},
            {"scenario": "the scenario's own plan"},
        )
    )
    write_json(out / "compare.json", single)
    write_deck(single, out, charts_only=True)
    if model.roster is not None and model.shifts is not None:
        write_roster(model.roster.to_json(model.shifts, len(model.staffing)), out)
    clean_checkpoints(out)


def _more_days(model, res, first: int, calls) -> bool:
    """Run twice the days? While a verdict is borderline, up to compare's cap (never
    with call records, which are written as they are simulated, or in steady state)."""
    from ccsim.optimize.compare import decide_cap
    from ccsim.sim.scenario.targets import overall

    if calls or model.steady or overall(model.targets.judge(res)) != "borderline":
        return False
    return 2 * res.meta["replications"] <= decide_cap(model, first, 1)


def _verdicts_meta(model, res, first: int) -> dict:
    from ccsim.optimize.compare import decide_cap, replications_to_decide
    from ccsim.sim.scenario.targets import overall

    n = res.meta["replications"]
    borderline = overall(model.targets.judge(res)) == "borderline"
    return {
        "replications": n,
        "first": first,
        "cap": decide_cap(model, first, 1),
        "undecided": {"scenario": replications_to_decide(model.targets, res)} if borderline else {},
    }
