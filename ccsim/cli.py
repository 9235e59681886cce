"""The `ccsim` command line. Bad input prints one line (file: field: problem) and exits 2."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperCommand, TyperGroup

from ccsim import sim
from ccsim.sim import ScenarioError

from . import report
from .output import csv_text, dicts_csv, write_json, write_text


class _BareHelp:
    """--help shown as a bare flag (typer with click 8.2+ prints '<bool>' after it)."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.metavar = ""
        return option


class Command(_BareHelp, TyperCommand):
    pass


class Group(_BareHelp, TyperGroup):
    pass


app = typer.Typer(
    cls=Group,
    add_completion=False,
    no_args_is_help=True,
    help="Call-center simulator and staffing optimizer with cross-sell policies.",
)
out_console = Console(emoji=False)
if not out_console.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
    out_console = Console(width=140, emoji=False)
err_console = Console(stderr=True, emoji=False)


EXIT_INFEASIBLE = 3  # optimize: no plan met every target; the best one is still written


def fail(message: str, code: int = 2) -> None:
    err_console.print(
        f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def friendly(fn):
    """Turn bad input into one clear line and exit code 2; Ctrl-C into an honest note of
    what was kept; output paths checked before any long work starts."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if isinstance(kwargs.get("out"), Path):
            check_out_dir(kwargs["out"], "--out")
        for key in ("output", "calls"):
            if isinstance(kwargs.get(key), Path):
                check_out_file(kwargs[key], f"--{key}")
        try:
            return fn(*args, **kwargs)
        except ScenarioError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            out = kwargs.get("out")
            err_console.print(
                f"interrupted: finished work is kept under {out}/; run the same command again "
                "to resume"
                if out
                else "interrupted: nothing was written (with --out DIR a rerun resumes)",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(130) from None

    return wrapper


def _check_writable(path: Path, folder: Path, option: str) -> None:
    """The nearest existing folder of `folder` must be writable (it is created below)."""
    p = folder.resolve()
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        fail(f"{option} {path}: cannot write there ({p} is not writable)")


def check_out_dir(out: Path, option: str = "--out") -> None:
    """A folder we can write results into, checked before the work starts."""
    if out.exists() and not out.is_dir():
        fail(f"{option} {out}: exists and is not a folder")
    _check_writable(out, out, option)


def check_out_file(path: Path, option: str) -> None:
    """A file we can write, checked before the work starts."""
    if path.is_dir():
        fail(f"{option} {path}: is a folder; give a file name")
    _check_writable(path, path.parent, option)


def clean_checkpoints(out: Path) -> None:
    """Every output is written: the resume files of this run are no longer needed."""
    import shutil

    shutil.rmtree(out / ".checkpoints", ignore_errors=True)


def make_executor(workers: int | None, dask: str | None = None) -> sim.Executor:
    """The executor, or one clear line if the Dask scheduler cannot be reached."""
    try:
        return sim.make_executor(workers, dask)
    except Exception as exc:  # distributed raises OSError, TimeoutError, ValueError, ...
        if not dask:
            raise
        fail(
            f"--dask {dask}: cannot connect to a Dask scheduler there ({type(exc).__name__}: {exc})"
        )
        raise  # unreachable: fail exits


def progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not enabled,
    )


ScenarioArg = Annotated[Path, typer.Argument(help="scenario file (YAML)", show_default=False)]


def Flag(*names: str, **kw):
    """A boolean option shown in --help as a bare flag (typer with click 8.2+ would print
    '<bool>' after it)."""
    return typer.Option(*names, metavar="", **kw)


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        out_console.print(f"ccsim {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        Flag("--version", callback=_print_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Call-center simulator and staffing optimizer with cross-sell policies."""


JsonOpt = Annotated[bool, Flag("--json", help="print results as one JSON object")]
WorkersOpt = Annotated[
    int | None, typer.Option(min=1, help="worker processes (default: all cores)")
]
DaskOpt = Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")]
SeedOpt = Annotated[int | None, typer.Option(min=0, help="random seed (default: the scenario's)")]
ConfidenceOpt = Annotated[
    float | None,
    typer.Option(
        min=0.5,
        max=0.999,
        help="confidence at which a target counts as met (default: the scenario's, 0.95)",
    ),
]


def load(file: Path, confidence: float | None = None) -> sim.Model:
    """The scenario, with the verdict's confidence from the command line if given."""
    model = sim.load_scenario(file)
    if confidence is not None:
        model.targets = model.targets.with_confidence(confidence)
    return model


@app.command(cls=Command)
@friendly
def simulate(
    file: ScenarioArg,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1, help="replications (default: the scenario's)"),
    ] = None,
    seed: SeedOpt = None,
    confidence: ConfidenceOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="write results.json, intervals.csv, segments.csv here")
    ] = None,
    json_out: JsonOpt = False,
    engine: Annotated[
        str | None, typer.Option(help="fast (compiled, default) or simpy (reference)")
    ] = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    calls: Annotated[Path | None, typer.Option(help="write call-level records to this CSV")] = None,
) -> None:
    """Simulate the scenario's day (or steady state) under its staffing and policy."""
    model = load(file, confidence)
    if engine not in (None, "fast", "simpy"):
        fail(f"--engine: unknown engine {engine!r}; use fast or simpy")
    R = replications or model.replications
    executor = make_executor(workers if R > 1 else 1, dask)
    with executor, progress_bar(not json_out) as bar:
        task = bar.add_task("simulating", total=R)
        res = sim.simulate(
            model,
            replications=R,
            seed=seed,
            engine=engine,
            executor=executor,
            calls_file=calls,
            checkpoint_dir=out / ".checkpoints" if out else None,
            progress=lambda n: bar.advance(task, n),
            keep_reps=False,
        )
    js = res.to_json()
    if out:
        from ccsim.optimize.compare import CompareResult

        write_json(out / "results.json", js)
        write_text(out / "intervals.csv", res.intervals_csv())
        write_text(out / "segments.csv", res.segments_csv())
        single = CompareResult(
            model,
            "scenario",
            {"scenario": model},
            {"scenario": res},
            {"scenario": "the scenario's own plan"},
        ).to_json()
        write_json(out / "compare.json", single)
        write_deck(single, out, charts_only=True)
        if model.roster is not None and model.shifts is not None:
            write_roster(model.roster.to_json(model.shifts, len(model.staffing)), out)
        clean_checkpoints(out)
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
        return
    report.print_simulation(res, out_console)
    if out:
        extra = ", roster.csv, coverage and shift charts" if model.roster is not None else ""
        out_console.print(
            f"[dim]results written to {out}/ (results.json, intervals.csv, segments.csv, "
            f"charts{extra}, workbook.xlsx, deck.pptx)[/dim]"
        )
    if calls:
        out_console.print(f"[dim]call records written to {calls}[/dim]")


@app.command("optimize", cls=Command)
@friendly
def optimize_cmd(
    file: ScenarioArg,
    out: Annotated[
        Path | None, typer.Option(help="write plan.yaml, optimize.json, intervals.csv here")
    ] = None,
    json_out: JsonOpt = False,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    time_limit: Annotated[
        float | None, typer.Option(min=1.0, help="seconds for the search (default 110)")
    ] = None,
    replications: Annotated[
        int | None, typer.Option("--replications", "-r", min=2, help="replications per candidate")
    ] = None,
    seed: SeedOpt = None,
    confidence: ConfidenceOpt = None,
    method: Annotated[str, typer.Option(help="auto, exact (Markov chain) or simulation")] = "auto",
    frontier: Annotated[
        bool,
        Flag(
            "--frontier",
            help="best profit for a range of SL targets, with and without cross-selling",
        ),
    ] = False,
    levels: Annotated[
        str | None, typer.Option(help="SL targets for --frontier, e.g. 0.7,0.8,0.9")
    ] = None,
    per_interval: Annotated[
        bool,
        Flag("--per-interval", help="also search thresholds interval by interval"),
    ] = False,
    shifts: Annotated[
        bool,
        Flag(
            "--shifts",
            help="a roster of the scenario's shift templates (with breaks) instead of free "
            "agents per interval; writes roster.csv and coverage/shift charts with --out",
        ),
    ] = False,
) -> None:
    """Best staffing per interval and cross-sell thresholds for profit under the targets."""
    from ccsim.optimize.frontier import DEFAULT_LEVELS
    from ccsim.optimize.frontier import frontier as run_frontier
    from ccsim.optimize.optimizer import optimize
    from ccsim.optimize.plan import plan_scenario

    from .optimize_report import frontier_table, print_optimize

    model = load(file, confidence)
    if shifts and frontier:
        fail("--shifts and --frontier do not go together")
    if shifts and model.shifts is None:
        fail(
            f"{file}: shifts: --shifts needs a 'shifts:' section with shift templates "
            "(see docs/shifts.md)"
        )
    if per_interval:
        model = dataclasses.replace(
            model, optimizer=dataclasses.replace(model.optimizer, per_interval=True)
        )
    if method not in ("auto", "exact", "simulation"):
        fail(f"--method: unknown method {method!r}; use auto, exact or simulation")
    lv = DEFAULT_LEVELS
    if levels:
        try:
            lv = tuple(float(x) for x in levels.split(","))
            assert all(0 < x < 1 for x in lv)
        except (ValueError, AssertionError):
            fail(
                f"--levels: expected fractions between 0 and 1 such as 0.7,0.8,0.9, got {levels!r}"
            )
    executor = make_executor(workers, dask)
    with executor, progress_bar(not json_out) as bar:
        task = bar.add_task("optimizing", total=None)

        def progress(desc: str, evaluations: int) -> None:
            bar.update(task, description=escape(f"{desc} ({evaluations} plans)"))

        try:
            if frontier:
                points = run_frontier(
                    model,
                    lv,
                    executor=executor,
                    replications=replications,
                    time_limit_each=time_limit or 30.0,
                    progress=progress,
                )
            elif shifts:
                from ccsim.optimize.shifts import optimize_shifts

                res = optimize_shifts(
                    model,
                    replications=replications,
                    seed=seed,
                    executor=executor,
                    time_limit=time_limit,
                    progress=progress,
                    checkpoint_dir=out / ".checkpoints" if out else None,
                )
            else:
                res = optimize(
                    model,
                    replications=replications,
                    seed=seed,
                    executor=executor,
                    time_limit=time_limit,
                    method=method,
                    progress=progress,
                    checkpoint_dir=out / ".checkpoints" if out else None,
                )
        except ValueError as exc:
            fail(f"{file}: {exc}")
    if frontier:
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
        return
    js = res.to_json()
    if out:
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
        import textwrap

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


def write_roster(roster: dict, out: Path) -> None:
    """roster.csv (one row per shift pattern; breaks as 'start-end' joined by ';') and the
    coverage and shift charts."""
    from .charts import draw_roster

    rows = [
        {
            "template": r["template"],
            "start": r["start"],
            "end": r["end"],
            "breaks": ";".join(r["breaks"]),
            "agents": r["agents"],
            "paid_hours": round(r["paid_hours"], 4),
        }
        for r in roster["rows"]
    ]
    write_text(out / "roster.csv", dicts_csv(rows))
    draw_roster(roster, out)


def write_deck(js: dict, out: Path, charts_only: bool = False) -> list[str]:
    """Charts (PNG + SVG) and the one-page summary (Markdown, HTML) under `out`."""
    from .charts import draw_all
    from .office import deck, workbook
    from .summary_page import markdown, to_html

    paths = draw_all(js, out)
    names = sorted({p.stem for p in paths}, key=[p.stem for p in paths].index)
    if not charts_only:
        md = markdown(js, names)
        write_text(out / "summary.md", md)
        write_text(out / "summary.html", to_html(md, out, names))
    workbook(js, out / "workbook.xlsx")
    deck(js, [p for p in paths if p.suffix == ".png"], out / "deck.pptx")
    return names


@app.command(cls=Command)
@friendly
def compare(
    file: ScenarioArg,
    alt: Annotated[
        list[str] | None,
        typer.Option(
            "--alt",
            help="NAME=OVERRIDE, e.g. "
            "nosell='{policy: {cross_sell: never}}' or plus2='{staffing: \"+2\"}' (repeatable)",
        ),
    ] = None,
    with_optimized: Annotated[
        bool, Flag("--with-optimized", help="add the optimizer's plan")
    ] = False,
    frontier: Annotated[
        bool,
        Flag(
            "--frontier", help="also compute the optimizer's profit-service frontier for the charts"
        ),
    ] = False,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=2, help="replications (default: the scenario's)"),
    ] = None,
    seed: SeedOpt = None,
    confidence: ConfidenceOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="write compare.json, compare.csv, charts, summary")
    ] = None,
    json_out: JsonOpt = False,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    grid: Annotated[
        bool,
        Flag(
            "--grid/--no-grid", help="threshold grid of the two most valuable segments (heat map)"
        ),
    ] = True,
    time_limit: Annotated[
        float | None, typer.Option(min=1.0, help="seconds for --with-optimized")
    ] = None,
    sensitivity: Annotated[
        bool,
        Flag(
            "--sensitivity",
            help="the recommended plan (else the scenario's) with volumes 5% and 10% above "
            "the forecast: profit, service, verdict",
        ),
    ] = False,
    shifts: Annotated[
        bool,
        Flag(
            "--shifts",
            help="add the shift optimizer's roster (and, with --with-optimized, what the "
            "shift constraint costs and what selling in its slack earns back)",
        ),
    ] = False,
) -> None:
    """Run the scenario's plan and its alternatives on the same callers, side by side."""
    from ccsim.optimize.compare import compare as run_compare
    from ccsim.sim.alternatives import (
        alternative_descriptions,
        alternative_model,
        parse_cli_alternative,
        scenario_alternatives,
    )

    from .compare_report import print_compare

    model = load(file, confidence)
    if shifts and model.shifts is None:
        fail(
            f"{file}: shifts: --shifts needs a 'shifts:' section with shift templates "
            "(see docs/shifts.md)"
        )
    alts = scenario_alternatives(model)
    desc = alternative_descriptions(model)
    for text in alt or []:
        name, a = parse_cli_alternative(text)
        alts[name] = alternative_model(model, name, a, file="--alt", path=name)
        desc[name] = a.description or text.split("=", 1)[1]
    executor = make_executor(workers, dask)
    method = None
    front_rows = None
    with executor, progress_bar(not json_out) as bar:
        task = bar.add_task("comparing", total=None)

        def progress(d: str, n: int) -> None:
            bar.update(task, description=escape(d))

        try:
            if with_optimized or frontier:
                from ccsim.optimize.frontier import frontier as run_frontier
                from ccsim.optimize.optimizer import optimize

                if with_optimized:
                    r = optimize(model, executor=executor, time_limit=time_limit, progress=progress)
                    alts["optimized"] = r.plan.apply(model)
                    desc["optimized"] = "the optimizer's plan"
                    method = r.method
                    if model.eligible.any():
                        progress("optimizing a plan without offers", 0)
                        r0 = optimize(
                            model,
                            executor=executor,
                            time_limit=time_limit,
                            progress=progress,
                            cross_sell=False,
                        )
                        alts["optimized_no_sell"] = r0.plan.apply(model)
                        desc["optimized_no_sell"] = (
                            "the optimizer's plan when nothing is offered (its own staffing)"
                        )
                if shifts:
                    import numpy as np

                    from ccsim.optimize.shifts import optimize_shifts
                    from ccsim.sim import NEVER

                    rs = optimize_shifts(
                        model, executor=executor, time_limit=time_limit, progress=progress
                    )
                    alts["shifts"] = rs.plan.apply(model)
                    desc["shifts"] = "the shift optimizer's roster and policy"
                    alts["shifts_no_sell"] = rs.plan.apply(model).with_plan(
                        thresholds=np.full((model.n_intervals, model.n_segments), NEVER)
                    )
                    desc["shifts_no_sell"] = "the same roster, no offers"
                    method = (method + " | " if method else "") + "Shifts: " + rs.method
                if frontier:
                    front_rows = [
                        p.row()
                        for p in run_frontier(
                            model, executor=executor, time_limit_each=10.0, progress=progress
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
        except ValueError as exc:
            fail(f"{file}: {exc}")
        if sensitivity:
            from ccsim.optimize.compare import sensitivity as run_sensitivity

            progress("volume sensitivity", 0)
            sens = run_sensitivity(res, executor=executor)
    js = res.to_json()
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
    if sensitivity:
        js["sensitivity"] = sens
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


@app.command(cls=Command)
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
    if not results.is_file():
        fail(f"{results}: file not found")

    def read(path: Path):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
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


@app.command(cls=Command)
@friendly
def calibrate(
    log: Annotated[
        Path,
        typer.Argument(
            help="call log: the Anonymous Bank format, a ccsim --calls file, or a CSV with --map"
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="scenario file to write")] = Path(
        "calibrated.yaml"
    ),
    fmt: Annotated[str, typer.Option("--format", help="auto, bank, ccsim or csv")] = "auto",
    days: Annotated[
        str,
        typer.Option(
            help="weekdays (the center's working week), weekends, all, "
            "or a list: sun,mon or 1999-02-01,..."
        ),
    ] = "weekdays",
    interval: Annotated[str, typer.Option(help="interval length")] = "30min",
    segment_by: Annotated[
        str, typer.Option(help="column that defines segments (bank: type or priority)")
    ] = "type",
    column_map: Annotated[
        str | None,
        typer.Option(
            "--map",
            help="CSV columns: arrival=COL,outcome=COL,"
            "wait=COL,handle=COL[,day=COL,segment=COL,agent=COL,answer=COL,end=COL]",
        ),
    ] = None,
    answered: Annotated[
        str, typer.Option(help="outcome values meaning answered (comma list)")
    ] = "answered,AGENT,1",
    handle: Annotated[
        str,
        typer.Option(
            help="lognormal (maximum likelihood), lognormal-mean (the sample mean with the "
            "MLE's shape) or empirical"
        ),
    ] = "lognormal",
    patience: Annotated[
        str, typer.Option(help="exponential (maximum likelihood) or empirical (Kaplan-Meier)")
    ] = "exponential",
    within: Annotated[
        str, typer.Option(help="service level threshold T for the observed KPIs")
    ] = "20s",
    min_share: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="merge segments below this share into 'other'")
    ] = 0.02,
    staffing: Annotated[
        str,
        typer.Option(
            help="present (agent time logged in) or seen (agents with any call in the interval)"
        ),
    ] = "present",
    break_gap: Annotated[
        str,
        typer.Option(
            help="with --staffing present: a gap between an agent's calls this long or "
            "longer, in which a caller waited, is a break (the agent is not counted)"
        ),
    ] = "10min",
    force: Annotated[
        bool, Flag("--force", help="overwrite an existing scenario and its side files")
    ] = False,
) -> None:
    """Fit a scenario to a call log; write it with the observed KPIs beside it."""
    from ccsim.sim.calibration import calibrate as run_calibrate
    from ccsim.sim.units import parse_duration

    from .charts import calibration_fit

    L = _parse("--interval", parse_duration, interval)
    T = _parse("--within", parse_duration, within)
    if staffing not in ("present", "seen"):
        fail("--staffing takes present or seen")
    if handle not in HANDLE_FORMS or patience not in ("exponential", "empirical"):
        fail(
            "--handle takes lognormal, lognormal-mean or empirical; --patience exponential "
            "or empirical"
        )
    gap = _parse("--break-gap", parse_duration, break_gap)
    if not log.is_file():
        fail(f"{log}: file not found")
    stem = output.with_suffix("")
    side = [output] + [
        output.parent / f"{stem.name}{suffix}"
        for suffix in ("_handle.csv", "_observed.csv", "_calibration.json", "_fit.png", "_fit.svg")
    ]
    existing = [str(p) for p in side if p.exists()]
    if existing and not force:
        fail(f"{existing[0]}: already exists (use --force to overwrite {', '.join(existing)})")
    calls = read_log(log, fmt, segment_by, column_map, answered)
    stem = output.with_suffix("")
    handle_file = f"{stem.name}_handle.csv"
    cal = run_calibrate(
        calls,
        interval=L,
        days=days,
        min_share=min_share,
        handle_form=handle,
        patience_form=patience,
        sl_within=T,
        handle_file=handle_file,
        staffing_method=staffing,
        break_gap=gap,
    )
    import yaml

    folder = output.parent
    # the observed handle times: the empirical alternative (one column per segment)
    cols = list(cal.handle_samples)
    longest = max(len(v) for v in cal.handle_samples.values())
    samples = [
        [f"{cal.handle_samples[c][i]:g}" if i < len(cal.handle_samples[c]) else "" for c in cols]
        for i in range(longest)
    ]
    write_text(folder / handle_file, csv_text(cols, samples))
    write_text(folder / f"{stem.name}_observed.csv", dicts_csv(cal.observed))
    write_json(
        folder / f"{stem.name}_calibration.json", {"report": cal.report, "intervals": cal.observed}
    )
    r = cal.report
    header = (
        f"# Calibrated by ccsim from {log.name}: {r['n_days']} {days} days, {r['calls']:,} calls.\n"
        f"# Observed KPIs per interval: {stem.name}_observed.csv (for ccsim backtest).\n"
        f"# Empirical handle times: {handle_file} (use {{dist: empirical, file: {handle_file}, column: SEGMENT}}).\n"
        "# Costs, targets and cross-sell are not in a call log: fill them in.\n"
    )
    write_text(output, header + yaml.safe_dump(cal.scenario, sort_keys=False, width=100))
    calibration_fit(r, cal.handle_samples, cal.survival, folder, f"{stem.name}_fit")
    sim.load_scenario(output)  # the written scenario must run as is
    from rich.table import Table

    t = Table(title=f"Calibrated {output}", title_justify="left", header_style="bold")
    for c in (
        "Segment",
        "Calls",
        "Share",
        "Handle mean",
        "Handle cv",
        "KS D",
        "Patience mean",
        "Abandoned",
    ):
        t.add_column(c, justify="right")
    for s, f in r["segments"].items():
        pm = f["patience"]["exponential_mean_s"]
        t.add_row(
            s,
            f"{f['calls']:,}",
            f"{100 * f['share']:.1f}%",
            f"{f['handle']['mean_s']:.0f}s",
            f"{f['handle']['cv']:.2f}",
            f"{f['handle']['ks_distance']:.3f}",
            f"{pm:.0f}s ±{f['patience']['standard_error_s']:.0f}" if math.isfinite(pm) else "none",
            f"{f['patience']['abandoned']:,}",
        )
    out_console.print(t)
    out_console.print(
        f"  days: {r['n_days']} ({r['dates'][0]} .. {r['dates'][-1]}), {r['daily_calls_mean']:,.0f} "
        f"calls a day (sd {r['daily_calls_sd']:,.0f}) -> forecast uncertainty cv {r['uncertainty_cv']:.3f}"
    )
    out_console.print(
        f"  staffing: {r['staffing_method']}; left out: "
        + ", ".join(f"{v:,} {k}" for k, v in r["dropped"].items())
        + f", {r['outside_horizon']:,} outside the horizon"
    )
    out_console.print(
        f"[dim]wrote {output}, {stem.name}_observed.csv, {stem.name}_calibration.json, "
        f"{handle_file}, {stem.name}_fit.png/svg; next: ccsim backtest {output} "
        f"--observed {folder / (stem.name + '_observed.csv')}[/dim]"
    )


HANDLE_FORMS = ("lognormal", "lognormal-mean", "empirical")


def _backtest_log(file, log, by, days, staffing, break_gap, out, replications, workers, json_out):
    from ccsim.sim.calibration.predict import METRICS, predict_month
    from ccsim.sim.units import parse_duration

    if by not in ("interval", "hour"):
        fail("--by takes interval or hour")
    if staffing not in ("present", "seen", "scenario"):
        fail("--staffing takes present, seen or scenario")
    gap = _parse("--break-gap", parse_duration, break_gap)
    model = sim.load_scenario(file)
    calls = read_log(log)
    with make_executor(workers) as ex:
        js = predict_month(
            model,
            calls,
            days=days,
            by=by,
            replications_per_day=replications or 10,
            seed=model.seed,
            executor=ex,
            staffing_method=staffing,
            break_gap=gap,
        )
    if out:
        write_json(out / "backtest.json", js)
        header = ["group", "offered_observed", "offered_simulated", "agents", "agents_seen"] + [
            f"{m}_{k}" for m in METRICS for k in ("observed", "simulated")
        ]
        rows = (
            [
                r["label"],
                r["offered_observed"],
                r["offered_simulated"],
                r["agents"],
                r["agents_seen"],
            ]
            + [r[m][k] for m in METRICS for k in ("observed", "simulated")]
            for r in js["rows"]
        )
        write_text(out / "backtest.csv", csv_text(header, rows))
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
        return
    from rich.table import Table

    def f(x, kind):
        if x is None:
            return "–"
        return f"{x:.1f}s" if kind == "asa" else f"{100 * x:.1f}%"

    t = Table(
        title=f"{escape(model.name)} predicting {escape(log.name)} ({len(js['dates'])} "
        f"days: {escape(days)}; by {by}; pooled: ratio of sums)",
        title_justify="left",
        header_style="bold",
    )
    for c in (
        "",
        "Calls",
        "Agents",
        "seen",
        "Aband. obs",
        "sim",
        "SL obs",
        "sim",
        "ASA obs",
        "sim",
    ):
        t.add_column(c, justify="right")
    for r in js["rows"]:
        t.add_row(
            r["label"],
            f"{r['offered_observed']:,.0f}",
            f"{r['agents']:.1f}",
            "–" if r["agents_seen"] is None else f"{r['agents_seen']:.1f}",
            *[
                f(r[m][k], m)
                for m in ("abandon_rate", "service_level", "asa")
                for k in ("observed", "simulated")
            ],
        )
    out_console.print(t)
    for m, name in (
        ("abandon_rate", "abandonment"),
        ("service_level", "service level"),
        ("asa", "ASA"),
        ("p_wait", "P(wait)"),
    ):
        s = js["summary"][m]
        if s is None:
            continue
        scale, unit = (1, " s") if m == "asa" else (100, " pts")
        out_console.print(
            f"  {name}: weighted MAE {s['weighted_mae'] * scale:.1f}{unit}, bias "
            f"{s['bias'] * scale:+.1f}{unit}; noise floor {s['noise_floor_model'] * scale:.1f}"
            f" (model) / {s['noise_floor'] * scale:.1f}{unit} (resampled days); day "
            f"{f(s['observed_day'], m)} observed, "
            f"{f(s['simulated_day'], m)} simulated",
            highlight=False,
        )
    if js["unmatched_call_types"]:
        out_console.print(
            f"  call types not in the scenario, counted as 'other' (or its largest segment): "
            f"{escape(str(js['unmatched_call_types']))}"
        )
    out_console.print(
        f"[dim]Agents: the estimate simulated; seen: distinct agents serving a call in the "
        f"interval (each counted all interval, idle ones not at all). Weighted by observed "
        f"calls; "
        f"{js['replications_per_day']} replications per "
        f"observed day with that day's volumes and staffing ({staffing}); noise floor: what a "
        f"perfect model would miss (model: one simulated month around the model's mean; "
        f"resampled days: the observed days bootstrapped)[/dim]"
    )


def read_log(
    log: Path,
    fmt: str = "auto",
    segment_by: str = "type",
    column_map: str | None = None,
    answered: str = "answered,AGENT,1",
):
    """A call log by format (auto-detected from its header): the Anonymous Bank research
    log, ccsim's own --calls CSV, or a generic CSV through a column map."""
    from ccsim.sim.calibration import read_anonymous_bank, read_ccsim_calls, read_csv_log

    if not log.is_file():
        fail(f"{log}: file not found")
    kind = fmt
    if kind == "auto":
        head = log.open(encoding="latin-1").readline()
        kind = "bank" if "vru+line" in head else "ccsim" if "arrival_clock_s" in head else "csv"
    if kind == "bank":
        return read_anonymous_bank(log, segment_by)
    if kind == "ccsim":
        return read_ccsim_calls(log)
    if kind != "csv":
        fail(f"--format: unknown format {fmt!r}; use auto, bank, ccsim or csv")
    if not column_map:
        fail(
            "--map is needed for a generic CSV log, e.g. --map "
            "arrival=start,outcome=status,wait=queue_s,handle=talk_s"
        )
    try:
        mapping = dict(kv.split("=", 1) for kv in column_map.split(","))
    except ValueError:
        fail(f"--map: expected KEY=COLUMN pairs separated by commas, got {column_map!r}")
    return read_csv_log(log, mapping, tuple(a.strip() for a in answered.split(",")))


@app.command(cls=Command)
@friendly
def backtest(
    file: ScenarioArg,
    observed: Annotated[
        Path | None, typer.Option(help="observed KPIs per interval (from ccsim calibrate)")
    ] = None,
    log: Annotated[
        Path | None,
        typer.Option(
            help="another month's call log: its volumes and staffing day by day, the fitted "
            "scenario's distributions, against its observed KPIs"
        ),
    ] = None,
    by: Annotated[str, typer.Option(help="with --log: interval or hour")] = "hour",
    days: Annotated[
        str, typer.Option(help="with --log: weekdays, weekends, all, or names/dates")
    ] = "weekdays",
    staffing: Annotated[
        str,
        typer.Option(
            help="with --log: present or seen (as ccsim calibrate), or scenario (its own)"
        ),
    ] = "present",
    break_gap: Annotated[
        str,
        typer.Option(
            help="with --log and --staffing present: a gap this long in which a caller "
            "waited is a break"
        ),
    ] = "10min",
    out: Annotated[
        Path | None, typer.Option(help="write backtest.json, backtest.csv and the chart")
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=2, help="with --log: per observed day"),
    ] = None,
    workers: WorkersOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Simulated against observed, interval by interval, with a summary error and a chart;
    with --log, a prediction of another month from its volumes and staffing."""
    if (observed is None) == (log is None):
        fail("give --observed (the fitted month's KPIs) or --log (another month's log)")
    if log is not None:
        _backtest_log(
            file, log, by, days, staffing, break_gap, out, replications, workers, json_out
        )
        return
    from ccsim.sim.calibration import backtest as run_backtest
    from ccsim.sim.calibration import read_observed
    from ccsim.sim.calibration.backtest import METRICS

    from .charts import backtest_chart

    model = sim.load_scenario(file)
    obs = read_observed(observed)
    with make_executor(workers) as ex:
        res = run_backtest(model, obs, replications=replications, executor=ex)
    js = res.to_json()
    if out:
        write_json(out / "backtest.json", js)
        header = ["interval", "offered_observed", "offered_simulated"] + [
            f"{m}_{k}" for m in METRICS for k in ("observed", "simulated", "lo", "hi")
        ]
        rows = (
            [r["label"], r["offered_observed"], r["offered_simulated"]]
            + [v for m in METRICS for v in (r[m]["observed"], r[m]["simulated"], *r[m]["ci95"])]
            for r in js["rows"]
        )
        write_text(out / "backtest.csv", csv_text(header, rows))
        backtest_chart(js, out)
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=True) + "\n")
        return
    from rich.table import Table

    t = Table(title=f"Back-test of {escape(model.name)}", title_justify="left", header_style="bold")
    for c in (
        "Interval",
        "Calls obs/sim",
        "Aband. obs",
        "sim",
        "ASA obs",
        "sim",
        "SL obs",
        "sim",
        "P(wait) obs",
        "sim",
    ):
        t.add_column(c, justify="right")

    def f(x, pct=True):
        return (
            "–"
            if x is None or (isinstance(x, float) and not math.isfinite(x))
            else (f"{100 * x:.1f}%" if pct else f"{x:.1f}s")
        )

    for r in js["rows"]:
        t.add_row(
            r["label"],
            f"{r['offered_observed']:.1f} / {r['offered_simulated']:.1f}",
            f(r["abandon_rate"]["observed"]),
            f(r["abandon_rate"]["simulated"]),
            f(r["asa"]["observed"], False),
            f(r["asa"]["simulated"], False),
            f(r["service_level"]["observed"]),
            f(r["service_level"]["simulated"]),
            f(r["p_wait"]["observed"]),
            f(r["p_wait"]["simulated"]),
        )
    out_console.print(t)
    for m, s in js["summary"].items():
        if m == "offered" or s is None:
            continue
        pct = m != "asa"
        out_console.print(
            f"  {m}: day {f(s['observed_day'], pct)} observed, {f(s['simulated_day'], pct)} "
            f"simulated; volume-weighted mean absolute error {f(s['weighted_mae'], pct)}, "
            f"bias {f(s['weighted_bias'], pct)}; worst at {s['worst_interval']}"
        )
    if out:
        out_console.print(
            f"[dim]written to {out}/: backtest.json, backtest.csv, backtest.png/svg[/dim]"
        )


@app.command(cls=Command)
@friendly
def validate(file: ScenarioArg) -> None:
    """Check a scenario file and summarise what it describes."""
    m = sim.load_scenario(file)
    lengths = m.interval_lengths
    work = sum(m.rates[:, k] * m.handle[k].mean for k in range(m.n_segments))
    load = work  # erlangs of base handle work per interval
    out_console.print(f"[green]ok[/green] {escape(str(file))}: {escape(m.name)}")
    if m.steady:
        out_console.print(
            f"  steady state: warm-up {lengths[0] / 3600 if not m.measured[0] else 0:g} h, "
            f"{int(m.measured.sum())} batches, {m.expected_calls():,.0f} calls expected"
        )
    else:
        out_console.print(
            f"  {m.n_intervals} intervals of {lengths[0] / 60:g} min from "
            f"{report.format_clock(m.clock_start)}, {m.expected_calls():,.0f} calls expected"
        )
    out_console.print(f"  segments: {escape(', '.join(m.segments))}")
    agents = m.interval_staffing()
    with_agents = agents > 0
    util = load[with_agents] / agents[with_agents] if with_agents.any() else [math.inf]
    source = f"a roster of {m.roster.agents} shifts, " if m.roster is not None else ""
    out_console.print(
        f"  staffing {source}{m.staffing.min()}-{m.staffing.max()} agents on the phones; peak base load "
        f"{load.max():.1f} erlangs; highest load per agent {max(util):.2f}"
    )
    if (load >= agents).any():
        bad = [report.format_clock(s) for s in m.interval_starts_clock()[load >= agents]]
        out_console.print(
            f"  [yellow]warning:[/yellow] base load exceeds staffing in "
            f"{len(bad)} interval(s): {', '.join(bad[:6])}{' ...' if len(bad) > 6 else ''}"
        )


@app.command(cls=Command)
def init(
    file: Annotated[Path, typer.Argument(help="where to write the example")] = Path(
        "scenario.yaml"
    ),
    force: Annotated[bool, Flag("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a commented example scenario to start from."""
    from .template import EXAMPLE

    if file.exists() and not force:
        fail(f"{file}: already exists (use --force to overwrite)")
    write_text(file, EXAMPLE)
    out_console.print(f"wrote {file}; try: ccsim validate {file} && ccsim simulate {file}")


def _parse(option: str, parser, text: str | None):
    if text is None:
        return None
    try:
        return parser(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def _erlang_file(file, json_out, out, workers, replications) -> None:
    from rich.table import Table

    from ccsim.optimize.erlang_table import erlang_table

    model = load(file, None)
    with make_executor(workers) as ex:
        try:
            js = erlang_table(model, replications=replications, executor=ex)
        except ValueError as exc:
            fail(f"{file}: {exc}")
    if out:
        rows = [
            {
                "interval": r["interval"],
                "calls": round(r["calls"], 3),
                **{
                    f"{m}_{k}": r[m][k]
                    for m in ("erlang_c", "erlang_a")
                    for k in ("agents", "scheduled", "service_level", "occupancy")
                },
                "erlang_a_abandon_rate": r["erlang_a"]["abandon_rate"],
                **{f"simulated_{k}": v["mean"] for k, v in r["simulated"].items()},
            }
            for r in js["rows"]
        ]
        write_text(out / "erlang.csv", dicts_csv(rows))
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
        return

    def pct(x):
        return "–" if x is None else f"{100 * x:.1f}%"

    t = Table(
        title=f"{escape(model.name)}: Erlang per interval (AHT {js['aht_s']:.0f}s"
        + (f", patience {js['patience_s']:.0f}s" if js["patience_s"] else "")
        + "), and the day simulated with the Erlang A staffing",
        title_justify="left",
        header_style="bold",
    )
    for c in (
        "Interval",
        "Calls",
        "Erlang C",
        "Erlang A",
        "Scheduled",
        "Occ.",
        "SL (A)",
        "Sim. SL",
        "Sim. aband.",
        "Sim. ASA",
    ):
        t.add_column(c, justify="right")
    for r in js["rows"]:
        a, s = r["erlang_a"], r["simulated"]
        t.add_row(
            r["interval"],
            f"{r['calls']:.0f}",
            str(r["erlang_c"]["agents"]),
            str(a["agents"]),
            f"{a['scheduled']:.1f}",
            pct(a["occupancy"]),
            pct(a["service_level"]),
            pct(s["service_level"]["mean"]),
            pct(s["abandon_rate"]["mean"]),
            "–" if s["asa"]["mean"] is None else f"{s['asa']['mean']:.1f}s",
        )
    out_console.print(t)
    d = js["simulated_day"]
    out_console.print(
        f"Simulated day with the Erlang A staffing ({js['replications']} replications): SL "
        f"{pct(d['service_level']['mean'])}, abandonment {pct(d['abandon_rate']['mean'])}, "
        f"ASA {d['asa']['mean']:.1f}s; targets: "
        + "; ".join(f"{v['text']}: {v['verdict']}" for v in js["simulated_verdicts"]),
        highlight=False,
    )
    out_console.print(
        "[dim]Erlang: each interval alone in steady state at the mean handle time, targets "
        "applied per interval, no cross-selling (an Erlang calculator's answer). Simulated: "
        "the scenario's distributions, priorities and policy, queues carried between "
        "intervals, arrivals varying by interval. Scheduled = Erlang A agents / (1 - "
        "shrinkage).[/dim]"
    )


@app.command(cls=Command)
def erlang(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="a day scenario: per interval, Erlang C and A agents for its targets, "
            "scheduled heads, occupancy, and the simulated result of that staffing"
        ),
    ] = None,
    rate: Annotated[
        str | None, typer.Option(help="arrival rate with unit, e.g. 100/30min or 200/h")
    ] = None,
    aht: Annotated[str | None, typer.Option(help="average handle time, e.g. 180s")] = None,
    patience: Annotated[
        str | None, typer.Option(help="mean patience (Erlang A); omit for Erlang C")
    ] = None,
    agents: Annotated[int | None, typer.Option(min=1, help="evaluate this many agents")] = None,
    target_sl: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="service level target, e.g. 0.8")
    ] = None,
    within: Annotated[str, typer.Option(help="service level threshold T")] = "20s",
    max_asa: Annotated[str | None, typer.Option(help="ASA target, e.g. 30s")] = None,
    max_abandon: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="abandonment target")
    ] = None,
    shrinkage: Annotated[
        float, typer.Option(min=0.0, max=0.99, help="scheduled = agents / (1 - shrinkage)")
    ] = 0.0,
    max_occupancy: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="occupancy cap")
    ] = None,
    json_out: JsonOpt = False,
    out: Annotated[Path | None, typer.Option(help="with FILE: write erlang.csv here")] = None,
    workers: WorkersOpt = None,
    replications: Annotated[
        int | None, typer.Option("--replications", "-r", min=2, help="with FILE")
    ] = None,
) -> None:
    """Erlang C (or A with --patience): performance of a staffing level, or agents needed;
    with a scenario FILE, the per-interval table beside ccsim's simulation."""
    from ccsim.optimize.erlang import agents_needed, metrics, scheduled
    from ccsim.sim.units import parse_duration, parse_rate

    if file is not None:
        _erlang_file(file, json_out, out, workers, replications)
        return
    if rate is None or aht is None:
        fail("give a scenario FILE, or --rate and --aht")
    lam = _parse("--rate", parse_rate, rate)
    mean_aht = _parse("--aht", parse_duration, aht)
    T = _parse("--within", parse_duration, within)
    asa_target = _parse("--max-asa", parse_duration, max_asa)
    pat = _parse("--patience", parse_duration, patience)
    if mean_aht <= 0:
        fail("--aht: must be positive")
    if pat is not None and pat <= 0:
        fail("--patience: must be positive")
    mu, theta = 1.0 / mean_aht, (1.0 / pat if pat else 0.0)
    targets = dict(
        target_sl=target_sl,
        max_asa=asa_target,
        max_abandon=max_abandon,
        max_occupancy=max_occupancy,
    )
    if agents is None:
        if all(v is None for k, v in targets.items() if k != "max_occupancy"):
            fail(
                "give --agents N, or a target: --target-sl (with --within), --max-asa or --max-abandon"
            )
        if theta == 0 and max_abandon is not None:
            fail("--max-abandon needs --patience (without abandonment Erlang C has none)")
        try:
            n = agents_needed(lam, mu, theta, within=T, **targets)
        except ValueError as exc:
            fail(str(exc))
    else:
        n = agents
    r = metrics(n, lam, mu, T, theta)
    if json_out:
        out = {
            "model": r.model,
            "agents": n,
            "scheduled_agents": scheduled(n, shrinkage),
            "load_erlangs": r.load,
            "p_wait": r.p_wait,
            "service_level": r.service_level,
            "asa": r.asa,
            "mean_wait": r.mean_wait,
            "p_abandon": r.p_abandon,
            "occupancy": r.occupancy,
            "within": T,
        }
        sys.stdout.write(
            json.dumps(
                {
                    k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in out.items()
                },
                indent=2,
            )
            + "\n"
        )
        return
    from rich.table import Table

    title = (
        f"Erlang {r.model}: {lam * 3600:g} calls/h, AHT {mean_aht:g}s"
        + (f", patience {pat:g}s" if pat else "")
        + f", load {r.load:.2f} erlangs"
    )
    t = Table(title=title, title_justify="left", header_style="bold")
    for col in ("Agents", "Scheduled", "P(wait)", f"SL({T:g}s)", "ASA", "Abandon", "Occupancy"):
        t.add_column(col, justify="right")
    for k in range(max(1, n - 2), n + 3):
        m = metrics(k, lam, mu, T, theta)
        style = "bold green" if k == n else None
        t.add_row(
            str(k),
            f"{scheduled(k, shrinkage):.1f}",
            f"{m.p_wait:.4f}",
            f"{m.service_level:.4f}",
            f"{m.asa:.2f}s" if math.isfinite(m.asa) else "inf",
            f"{m.p_abandon:.4f}",
            f"{m.occupancy:.3f}",
            style=style,
        )
    out_console.print(t)
    what = "evaluated" if agents is not None else "fewest agents meeting the target(s)"
    out_console.print(
        f"[dim]{n} agents: {what}. SL = "
        + ("P(answered within T) / (1 - P(abandoned within T))" if theta else "P(wait <= T)")
        + "; scheduled = agents / (1 - shrinkage).[/dim]"
    )


@app.command(cls=Command)
@friendly
def markov(
    file: ScenarioArg,
    json_out: JsonOpt = False,
) -> None:
    """Exact steady-state results of a scenario from the Markov chain (exponential times)."""
    from ccsim.optimize.markov import applicable, solve_model

    m = sim.load_scenario(file)
    why = applicable(m)
    if why:
        fail(f"{file}: the exact model does not apply: {why}")
    r = solve_model(m)
    per_hour = 3600.0
    out = {
        "agents": r.agents,
        "p_wait": r.p_wait,
        "abandon_rate": r.p_abandon,
        "mean_wait": r.mean_wait,
        "occupancy": r.occupancy,
        "profit_per_hour": r.profit_rate(m.agent_cost_per_hour, m.abandon_cost, m.shrinkage)
        * per_hour,
        "segments": {
            name: {
                "offered_per_hour": float(r.arrival_rates[k] * per_hour),
                "attempts_per_call": float(r.attempts_per_call[k]),
                "attempts_per_hour": float(r.attempts_rate[k] * per_hour),
                "accepts_per_hour": float(r.accepts_rate[k] * per_hour),
                "revenue_per_hour": float(r.revenue_rate[k] * per_hour),
            }
            for k, name in enumerate(m.segments)
        },
        "truncation_error": r.truncation_error,
        "states": r.states,
    }
    out["service_level"], sl_note = _markov_service_level(m, r.agents)
    out["service_level_note"] = sl_note
    if json_out:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    out_console.print(
        f"[bold]{escape(m.name)}[/bold]: exact Markov chain, {r.states:,} states, "
        f"truncation error {r.truncation_error:.1e}"
    )
    out_console.print(
        f"  P(wait) {r.p_wait:.4f}   abandonment {r.p_abandon:.4f}   mean wait "
        f"{r.mean_wait:.2f}s   occupancy {r.occupancy:.4f}   profit/h {out['profit_per_hour']:,.2f}"
    )
    sl = out["service_level"]
    out_console.print(
        f"  SL({m.sl_within:g}s) {sl:.4f} ({sl_note})" if sl is not None else f"  SL: {sl_note}",
        highlight=False,
    )
    for name, seg in out["segments"].items():
        out_console.print(
            f"  {name}: {seg['offered_per_hour']:.1f} calls/h, offers per call "
            f"{seg['attempts_per_call']:.4f}, revenue/h {seg['revenue_per_hour']:,.2f}"
        )


def _markov_service_level(m, agents: int) -> tuple[float | None, str]:
    """SL where an exact formula exists: one class of callers, nobody offered anything
    (Erlang C or A, exact); otherwise why not."""
    import numpy as np

    from ccsim.optimize.erlang import metrics

    if m.makes_offers():
        return None, (
            "not computed by the chain: with threshold cross-selling a caller's wait "
            "depends on the callers behind it too (they change the agents' offers), so "
            "ccsim simulate gives SL"
        )
    if len(set(m.priority.tolist())) > 1:
        return None, "not computed by the chain with priorities; ccsim simulate gives SL"
    lam = float(m.rates[-1].sum())
    w = m.rates[-1] / lam
    mu = 1.0 / float(w @ np.array([h.mean for h in m.handle]))
    pats = np.array([p.mean if p.kind != "none" else np.inf for p in m.patience])
    if len(set(pats.tolist())) > 1 or len({h.mean for h in m.handle}) > 1:
        return None, "not computed: segments with different times; ccsim simulate gives SL"
    theta = 0.0 if not np.isfinite(pats[0]) else 1.0 / pats[0]
    r = metrics(agents, lam, mu, m.sl_within, theta)
    conv = (
        ""
        if m.sl_convention == "exclude_short_abandons"
        else (
            f"; computed as answered within T / (offered - abandoned within T), not the "
            f"scenario's {m.sl_convention}"
        )
    )
    return r.service_level, f"Erlang {'A' if theta else 'C'}, exact{conv}"


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
