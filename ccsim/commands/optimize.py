"""`ccsim optimize FILE`: the most profitable plan that meets the targets on fresh days."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..output import dicts_csv, write_json, write_text
from .common import (
    EXIT_INFEASIBLE,
    ConfidenceOpt,
    DaskOpt,
    Flag,
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
from .deliver import write_roster
from .progress import Reporter, compile_note

OutOpt = Annotated[
    Path | None, typer.Option(help="write plan.yaml, optimize.json, intervals.csv here")
]
TimeLimitOpt = Annotated[
    float | None,
    typer.Option(
        min=1.0,
        help="wall-clock safety net: cut the search after this many seconds (the search "
        "ends on its own or on its work budget; a cut search says so)",
    ),
]
BudgetOpt = Annotated[
    str | None,
    typer.Option(
        help="simulated calls the search may spend, e.g. 200M (default: from the "
        "scenario's size); the same budget gives the same plan on any machine"
    ),
]
ReplicationsOpt = Annotated[
    int | None, typer.Option("--replications", "-r", min=2, help="replications per candidate")
]
MethodOpt = Annotated[str, typer.Option(help="auto, exact (Markov chain) or simulation")]
FrontierOpt = Annotated[
    bool,
    Flag(
        "--frontier", help="best profit for a range of SL targets, with and without cross-selling"
    ),
]
LevelsOpt = Annotated[str | None, typer.Option(help="SL targets for --frontier, e.g. 0.7,0.8,0.9")]
PerIntervalOpt = Annotated[
    bool, Flag("--per-interval", help="also search thresholds interval by interval")
]
ShiftsOpt = Annotated[
    bool,
    Flag(
        "--shifts",
        help="a roster of the scenario's shift templates (with breaks) instead of free "
        "agents per interval; writes roster.csv and coverage/shift charts with --out",
    ),
]
HalfLivesOpt = Annotated[
    str | None,
    typer.Option(
        "--half-lives",
        help="sensitivity: optimize once per accept_decay half-life, e.g. "
        "4min,2min,1min,30s, and show how the best policy and staffing move",
    ),
]


@friendly
def optimize_cmd(
    file: ScenarioArg,
    out: OutOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    time_limit: TimeLimitOpt = None,
    budget: BudgetOpt = None,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    confidence: ConfidenceOpt = None,
    method: MethodOpt = "auto",
    frontier: FrontierOpt = False,
    levels: LevelsOpt = None,
    per_interval: PerIntervalOpt = False,
    shifts: ShiftsOpt = False,
    half_lives: HalfLivesOpt = None,
) -> None:
    """Best staffing per interval and cross-sell thresholds for profit under the targets."""
    from ccsim.optimize.frontier import frontier as run_frontier
    from ccsim.optimize.optimizer import optimize

    model = load(file, confidence)
    calls = _budget(budget) if budget else None
    halves = _half_lives(half_lives) if half_lives else None
    lv = _levels(levels)
    model = _checked(model, file, halves, shifts, frontier, per_interval, method)
    executor = make_executor(workers, dask)
    shown = not (json_out or quiet)
    checkpoints = out / ".checkpoints" if out else None
    with (
        executor,
        compile_note(shown, optimizing=True),
        Reporter("optimizing", shown) as progress,
    ):
        if halves:
            from ccsim.optimize.sensitivity import half_life_sensitivity

            rows = half_life_sensitivity(
                model, halves, progress=progress, seed=seed, method=method, budget=calls,
                replications=replications, executor=executor, time_limit=time_limit,
            )  # fmt: skip
        elif frontier:
            points = run_frontier(
                model,
                lv,
                executor=executor,
                replications=replications,
                budget_each=calls,
                time_limit_each=time_limit,
                progress=progress,
            )
        elif shifts:
            from ccsim.optimize.shifts.optimizer import optimize_shifts

            res = optimize_shifts(
                model, seed=seed, progress=progress, checkpoint_dir=checkpoints, budget=calls,
                replications=replications, executor=executor, time_limit=time_limit,
            )  # fmt: skip
        else:
            res = optimize(
                model, seed=seed, method=method, progress=progress, checkpoint_dir=checkpoints,
                budget=calls, replications=replications, executor=executor,
                time_limit=time_limit,
            )  # fmt: skip
    if halves:
        return _show_half_lives(rows, model, out, json_out)
    if frontier:
        return _show_frontier(points, model, out, json_out)
    _show_plan(res, model, file, out, json_out)


def _checked(
    model, file: Path, halves, shifts: bool, frontier: bool, per_interval: bool, method: str
):
    """Options that do not go together, or do not fit the scenario, refused before any
    work; the model with --per-interval applied."""
    if halves and (shifts or frontier):
        fail("--half-lives goes with neither --shifts nor --frontier")
    if halves:
        from ccsim.optimize.sensitivity import with_half_life

        with_half_life(model, halves[0])  # a scenario without accept_decay: refused now
    if shifts and frontier:
        fail("--shifts and --frontier do not go together")
    if shifts and model.shifts is None:
        fail(
            f"{file}: shifts: --shifts needs a 'shifts:' section with shift templates "
            "(see docs/shifts.md)"
        )
    if method not in ("auto", "exact", "simulation"):
        fail(f"--method: unknown method {method!r}; use auto, exact or simulation")
    if per_interval:
        model = dataclasses.replace(
            model, optimizer=dataclasses.replace(model.optimizer, per_interval=True)
        )
    return model


def _levels(levels: str | None) -> tuple[float, ...]:
    """--levels '0.7,0.8,0.9' -> SL targets for the frontier; a clear error otherwise."""
    from ccsim.optimize.frontier import DEFAULT_LEVELS

    if not levels:
        return DEFAULT_LEVELS
    try:
        lv = tuple(float(x) for x in levels.split(","))
    except ValueError:
        lv = ()
    if not lv or not all(0 < x < 1 for x in lv):
        fail(f"--levels: expected fractions between 0 and 1 such as 0.7,0.8,0.9, got {levels!r}")
    return lv


def _show_half_lives(rows: list[dict], model, out: Path | None, json_out: bool) -> None:
    from ..render.optimize_table import half_life_table

    doc = {"scenario": model.name, "rows": rows}
    if out:
        write_text(out / "half_lives.csv", dicts_csv(rows))
        write_json(out / "half_lives.json", doc)
    if json_out:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    out_console.print(half_life_table(rows, model))
    if out:
        out_console.print(f"[dim]written to {out}/half_lives.csv and half_lives.json[/dim]")


def _show_frontier(points, model, out: Path | None, json_out: bool) -> None:
    from ..render.optimize_table import frontier_table

    rows = [p.row() for p in points]
    if out:
        write_text(out / "frontier.csv", dicts_csv(rows))
        write_json(out / "frontier.json", {"scenario": model.name, "points": rows})
    if json_out:
        sys.stdout.write(json.dumps({"scenario": model.name, "points": rows}, indent=2) + "\n")
        return
    out_console.print(frontier_table(points))
    if out:
        out_console.print(f"[dim]written to {out}/frontier.csv and frontier.json[/dim]")


def _show_plan(res, model, file: Path, out: Path | None, json_out: bool) -> None:
    """The plan on the screen (or as JSON) and in --out; exit 1 when it is not recommended."""
    from ..render.optimize_table import print_optimize

    js = res.to_json()
    if out:
        _write_plan(res, js, model, file, out)
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
    else:
        print_optimize(res, out_console)
        if out:
            out_console.print(
                f"[dim]plan written to {out}/plan.yaml (run it: ccsim simulate "
                f"{out}/plan.yaml)[/dim]"
            )
    if not res.feasible:
        raise typer.Exit(EXIT_INFEASIBLE)


def _write_plan(res, js: dict, model, file: Path, out: Path) -> None:
    """plan.yaml (runnable: it reproduces the verdict), optimize.json, intervals.csv and,
    for a roster, roster.csv and its charts."""
    import textwrap

    from ccsim.optimize.plan import plan_scenario

    status = (
        "Recommended: every target met on fresh days."
        if res.feasible
        else "INFEASIBLE: NOT recommended. This is the best plan found, but at least one "
        f"target is {res.verdict} on fresh days (see optimize.json)."
    )
    note = (
        f"{status}\nPlan found by `ccsim optimize {file}`. The simulation section holds "
        f"the confirmation's fresh replications and seed: `ccsim simulate` on this file "
        f"reproduces the verdict.\n{res.method}"
    )
    write_text(
        out / "plan.yaml",
        plan_scenario(
            res.plan,
            model,
            out,
            "\n".join(textwrap.wrap(note, 88)),
            # the confirmation's days: `ccsim simulate plan.yaml` gives the same verdict
            {"replications": res.result.meta["replications"], "seed": res.result.meta["seed"]},
        ),
    )
    write_json(out / "optimize.json", js)
    write_text(out / "intervals.csv", res.result.intervals_csv())
    if res.roster is not None:
        write_roster(js["roster"], out)
    clean_checkpoints(out)


def _half_lives(text: str) -> list[float]:
    """'4min,2min,1min,30s' -> seconds; a clear error otherwise."""
    from ccsim.sim.scenario.units import parse_duration

    try:
        out = [parse_duration(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError as e:
        fail(f"--half-lives: {e}")
    if not out or any(h <= 0 for h in out):
        fail(f"--half-lives: expected positive durations such as 4min,2min,1min,30s, got {text!r}")
    return out


def _budget(text: str) -> float:
    """--budget '200M' -> simulated calls; a clear error otherwise."""
    from ccsim.sim.scenario.units import parse_calls

    try:
        return float(parse_calls(text) or 0.0)
    except ValueError as e:
        fail(f"--budget: {e}")
