"""`ccsim compare FILE` and `ccsim plot`: alternatives on the same callers, and charts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ccsim.sim.scenario.errors import require_input_file

from ..output import csv_text, write_json, write_text
from ..render.payload import comparison_json
from .common import (
    ConfidenceOpt,
    DaskOpt,
    Flag,
    JsonOpt,
    QuietOpt,
    ScenarioArg,
    SeedOpt,
    WorkersOpt,
    fail,
    friendly,
    load,
    make_executor,
    out_console,
)
from .deliver import write_deck
from .progress import Reporter, compile_note

AltOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--alt",
        help="NAME=OVERRIDE, e.g. "
        "nosell='{policy: {cross_sell: never}}' or plus2='{staffing: \"+2\"}' (repeatable)",
    ),
]
WithOptimizedOpt = Annotated[bool, Flag("--with-optimized", help="add the optimizer's plan")]
FrontierOpt = Annotated[
    bool,
    Flag("--frontier", help="also compute the optimizer's profit-service frontier for the charts"),
]
ReplicationsOpt = Annotated[
    int | None,
    typer.Option("--replications", "-r", min=2, help="replications (default: the scenario's)"),
]
OutOpt = Annotated[
    Path | None, typer.Option(help="write compare.json, compare.csv, charts, summary")
]
GridOpt = Annotated[
    bool,
    Flag("--grid/--no-grid", help="threshold grid of the two most valuable segments (heat map)"),
]
TimeLimitOpt = Annotated[
    float | None,
    typer.Option(
        min=1.0, help="wall-clock safety net for --with-optimized (the search ends on work)"
    ),
]
SensitivityOpt = Annotated[
    bool,
    Flag(
        "--sensitivity",
        help="the recommended plan (else the scenario's) with volumes 5% and 10% above "
        "the forecast: profit, service, verdict",
    ),
]
ShiftsOpt = Annotated[
    bool,
    Flag(
        "--shifts",
        help="add the shift optimizer's roster (and, with --with-optimized, what the "
        "shift constraint costs and what selling in its slack earns back)",
    ),
]


@friendly
def compare(
    file: ScenarioArg,
    alt: AltOpt = None,
    with_optimized: WithOptimizedOpt = False,
    frontier: FrontierOpt = False,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    confidence: ConfidenceOpt = None,
    out: OutOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    grid: GridOpt = True,
    time_limit: TimeLimitOpt = None,
    sensitivity: SensitivityOpt = False,
    shifts: ShiftsOpt = False,
) -> None:
    """Run the scenario's plan and its alternatives on the same callers, side by side."""
    from ccsim.optimize.compare import compare as run_compare

    model = load(file, confidence)
    if shifts and model.shifts is None:
        fail(
            f"{file}: shifts: --shifts needs a 'shifts:' section with shift templates "
            "(see docs/shifts.md)"
        )
    alts, desc = _alternatives(model, alt or [])
    executor = make_executor(workers, dask)
    shown = not (json_out or quiet)
    with (
        executor,
        compile_note(shown, optimizing=with_optimized or frontier or shifts),
        Reporter("comparing", shown) as progress,
    ):
        method = _optimized_alternatives(
            model, alts, desc, executor, time_limit, progress, with_optimized, shifts
        )
        front_rows = None
        if frontier:
            from ccsim.optimize.budget import calls_for
            from ccsim.optimize.frontier import frontier as run_frontier

            front_rows = [
                p.row()
                for p in run_frontier(
                    model, executor=executor, budget_each=calls_for(10.0), progress=progress
                )
            ]
        res = run_compare(
            model,
            alts,
            descriptions=desc,
            replications=replications,
            seed=seed,
            executor=executor,
            grid=grid,
            frontier=front_rows,
            optimize_method=method,
            progress=progress,
        )
        sens = None
        if sensitivity:
            from ccsim.optimize.compare import sensitivity as run_sensitivity

            progress("volume sensitivity", 0)
            sens = run_sensitivity(res, executor=executor)
    _show(_comparison_doc(res, shifts, sens), out, json_out)


def _alternatives(model, cli: list[str]) -> tuple[dict, dict]:
    """The scenario's alternatives and those given with --alt: models and descriptions."""
    from ccsim.sim.scenario.alternatives import (
        alternative_descriptions,
        alternative_model,
        parse_cli_alternative,
        scenario_alternatives,
    )

    alts = scenario_alternatives(model)
    desc = alternative_descriptions(model)
    for text in cli:
        name, a = parse_cli_alternative(text)
        alts[name] = alternative_model(model, name, a, file="--alt", path=name)
        desc[name] = a.description or text.split("=", 1)[1]
    return alts, desc


def _optimized_alternatives(
    model,
    alts: dict,
    desc: dict,
    executor,
    time_limit,
    progress,
    with_optimized: bool,
    shifts: bool,
) -> str | None:
    """The optimizer's plans added as alternatives (with their no-offer twins); returns
    how they were found."""
    from ccsim.optimize.optimizer import optimize

    method = None
    if with_optimized:
        r = optimize(model, executor=executor, time_limit=time_limit, progress=progress)
        alts["optimized"] = r.plan.apply(model)
        desc["optimized"] = "the optimizer's plan"
        method = r.method
        if model.eligible.any():
            progress("optimizing a plan without offers", 0)
            r0 = optimize(
                model, executor=executor, time_limit=time_limit, progress=progress, cross_sell=False
            )
            alts["optimized_no_sell"] = r0.plan.apply(model)
            desc["optimized_no_sell"] = (
                "the optimizer's plan when nothing is offered (its own staffing)"
            )
    if shifts:
        from ccsim.optimize.shifts.optimizer import optimize_shifts

        rs = optimize_shifts(model, executor=executor, time_limit=time_limit, progress=progress)
        alts["shifts"] = rs.plan.apply(model)
        desc["shifts"] = "the shift optimizer's roster and policy"
        alts["shifts_no_sell"] = rs.plan.apply(model).without_offers()
        desc["shifts_no_sell"] = "the same roster, no offers"
        method = (method + " | " if method else "") + "Shifts: " + rs.method
    return method


def _comparison_doc(res, shifts: bool, sens) -> dict:
    """compare.json: the comparison, with the selling value against the no-offer plan,
    the shift economics and the volume sensitivity when they were asked for."""
    js = comparison_json(res)
    if "optimized_no_sell" in res.results:
        from ccsim.sim.results import joint_selling_value

        js["selling_against_no_sell_plan"] = joint_selling_value(
            res.results["optimized"], res.results["optimized_no_sell"]
        )
        js["definitions"]["selling_against_no_sell_plan"] = (
            "the optimized plan minus the optimized plan that never offers (each with its own "
            "staffing), paired over the same replications: revenue - extra staffing cost - "
            "extra abandonment and decline costs"
        )
    if shifts:
        js["shifts"] = _shift_economics(res)
    if sens is not None:
        js["sensitivity"] = sens
    return js


def _show(js: dict, out: Path | None, json_out: bool) -> None:
    from ..render.compare_table import print_compare

    if out:
        write_json(out / "compare.json", js)
        write_text(out / "compare.csv", _compare_csv(js))
        write_deck(js, out)
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
        return
    print_compare(js, out_console)
    if out:
        out_console.print(
            f"[dim]written to {out}/: compare.json, compare.csv, charts (PNG, SVG), "
            "summary.md, summary.html, workbook.xlsx, deck.pptx[/dim]"
        )


def _shift_economics(res) -> dict:
    """Paired profit differences on the same callers: the roster against the per-interval
    plan (what the shift constraint costs) and against itself without offers (what selling
    in its slack earns back)."""
    from ccsim.sim import paired_difference

    r = res.results
    out = {}
    if "optimized" in r:
        out["shift_constraint"] = paired_difference(r["optimized"], r["shifts"], "profit").to_json()
    out["selling_in_slack"] = paired_difference(
        r["shifts_no_sell"], r["shifts"], "profit"
    ).to_json()
    return out


def _compare_csv(js: dict) -> str:
    from ccsim.sim.stats import STATISTICS

    rows = []
    for name, a in js["alternatives"].items():
        for s in STATISTICS:
            v = a["summary"][s]
            d = (a["difference"] or {}).get(s) or {"mean": None, "ci95": [None, None]}
            rows.append([name, s, v["mean"], *v["ci95"], d["mean"], *d["ci95"]])
    return csv_text(
        ["alternative", "statistic", "mean", "lo", "hi", "diff_mean", "diff_lo", "diff_hi"], rows
    )


@friendly
def plot(
    results: Annotated[
        Path,
        typer.Argument(
            help="compare.json (written by simulate --out and compare --out), or the "
            "results.json beside it"
        ),
    ],
    out: Annotated[
        Path | None, typer.Option(help="folder for the charts (default: beside the file)")
    ] = None,
) -> None:
    """Redraw the charts (and summary) from saved results, without simulating."""
    require_input_file(results)

    def read(path: Path):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError, RecursionError) as exc:
            fail(f"{path}: not a JSON file ({type(exc).__name__})")

    js = read(results)
    if isinstance(js, dict) and "kind" not in js and "intervals" in js and "meta" in js:
        # simulate's results.json: its charts' data is the compare.json written beside it
        sibling = results.parent / "compare.json"
        if not sibling.is_file():
            fail(f"{results}: results of simulate; compare.json is missing beside it")
        js = read(sibling)
    if not isinstance(js, dict) or js.get("kind") != "ccsim.compare":
        fail(
            f"{results}: not a ccsim results file (write one with simulate --out or compare --out)"
        )
    folder = out or results.parent
    try:
        names = write_deck(js, folder, charts_only=len(js["alternatives"]) < 2)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        fail(f"{results}: a ccsim results file with missing or damaged fields ({exc!r})")
    out_console.print(f"redrew {len(names)} charts in {folder}/: {', '.join(names)}")
