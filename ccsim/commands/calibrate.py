"""`ccsim calibrate LOG` and `ccsim backtest FITTED`: scenarios from call logs, and
how well they predict."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ccsim import sim
from ccsim.sim.scenario.errors import require_input_file

from ..output import csv_text, dicts_csv, write_json, write_text
from ..render.calibration import print_backtest, print_calibration, print_prediction
from .common import (
    Flag,
    JsonOpt,
    ScenarioArg,
    WorkersOpt,
    fail,
    friendly,
    make_executor,
    out_console,
    parse_option,
)

LogArg = Annotated[
    Path,
    typer.Argument(
        help="call log: the Anonymous Bank format, a ccsim --calls file, or a CSV with --map"
    ),
]
OutputOpt = Annotated[Path, typer.Option("-o", "--output", help="scenario file to write")]
FormatOpt = Annotated[str, typer.Option("--format", help="auto, bank, ccsim or csv")]
DaysOpt = Annotated[
    str,
    typer.Option(
        help="weekdays (the center's working week), weekends, all, "
        "or a list: sun,mon or 1999-02-01,..."
    ),
]
IntervalOpt = Annotated[str, typer.Option(help="interval length")]
SegmentByOpt = Annotated[
    str, typer.Option(help="column that defines segments (bank: type or priority)")
]
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        help="CSV columns: arrival=COL,outcome=COL,"
        "wait=COL,handle=COL[,day=COL,segment=COL,agent=COL,answer=COL,end=COL]",
    ),
]
AnsweredOpt = Annotated[str, typer.Option(help="outcome values meaning answered (comma list)")]
HandleOpt = Annotated[
    str,
    typer.Option(
        help="lognormal (maximum likelihood), lognormal-mean (the sample mean with the "
        "MLE's shape) or empirical"
    ),
]
PatienceFitOpt = Annotated[
    str, typer.Option(help="exponential (maximum likelihood) or empirical (Kaplan-Meier)")
]
WithinOpt = Annotated[str, typer.Option(help="service level threshold T for the observed KPIs")]
MinShareOpt = Annotated[
    float, typer.Option(min=0.0, max=0.5, help="merge segments below this share into 'other'")
]
StaffingOpt = Annotated[
    str,
    typer.Option(
        help="present (agent time logged in) or seen (agents with any call in the interval)"
    ),
]
BreakGapOpt = Annotated[
    str,
    typer.Option(
        help="with --staffing present: a gap between an agent's calls this long or "
        "longer, in which a caller waited, is a break (the agent is not counted)"
    ),
]
ForceOpt = Annotated[
    bool, Flag("--force", help="overwrite an existing scenario and its side files")
]


@friendly
def calibrate(
    log: LogArg,
    output: OutputOpt = Path("calibrated.yaml"),
    fmt: FormatOpt = "auto",
    days: DaysOpt = "weekdays",
    interval: IntervalOpt = "30min",
    segment_by: SegmentByOpt = "type",
    column_map: MapOpt = None,
    answered: AnsweredOpt = "answered,AGENT,1",
    handle: HandleOpt = "lognormal",
    patience: PatienceFitOpt = "exponential",
    within: WithinOpt = "20s",
    min_share: MinShareOpt = 0.02,
    staffing: StaffingOpt = "present",
    break_gap: BreakGapOpt = "10min",
    force: ForceOpt = False,
) -> None:
    """Fit a scenario to a call log; write it with the observed KPIs beside it."""
    from ccsim.sim.calibration import calibrate as run_calibrate
    from ccsim.sim.scenario.units import parse_duration

    L = parse_option("--interval", parse_duration, interval)
    T = parse_option("--within", parse_duration, within)
    if staffing not in ("present", "seen"):
        fail("--staffing takes present or seen")
    if handle not in HANDLE_FORMS or patience not in ("exponential", "empirical"):
        fail(
            "--handle takes lognormal, lognormal-mean or empirical; --patience exponential "
            "or empirical"
        )
    gap = parse_option("--break-gap", parse_duration, break_gap)
    require_input_file(log)
    _refuse_overwrite(output, force)
    calls = read_log(log, fmt, segment_by, column_map, answered)
    handle_file = f"{output.with_suffix('').name}_handle.csv"
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
    _write_calibration(cal, log, output, days, handle_file)


def _refuse_overwrite(output: Path, force: bool) -> None:
    """A calibrated scenario and its side files are never overwritten without --force."""
    stem = output.with_suffix("")
    side = [output] + [
        output.parent / f"{stem.name}{suffix}"
        for suffix in ("_handle.csv", "_observed.csv", "_calibration.json", "_fit.png", "_fit.svg")
    ]
    existing = [str(p) for p in side if p.exists()]
    if existing and not force:
        fail(f"{existing[0]}: already exists (use --force to overwrite {', '.join(existing)})")


def _write_calibration(cal, log: Path, output: Path, days: str, handle_file: str) -> None:
    """The scenario (checked to load), its observed KPIs, the empirical handle times,
    the report and the fit chart; then the fit on the screen."""
    import yaml

    from ..render.charts.calibration import calibration_fit

    stem = output.with_suffix("")
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
    print_calibration(r, output, out_console)
    out_console.print(
        f"[dim]wrote {output}, {stem.name}_observed.csv, {stem.name}_calibration.json, "
        f"{handle_file}, {stem.name}_fit.png/svg; next: ccsim backtest {output} "
        f"--observed {folder / (stem.name + '_observed.csv')}[/dim]"
    )


HANDLE_FORMS = ("lognormal", "lognormal-mean", "empirical")


def _backtest_log(
    file, log, by, days, staffing, break_gap, out, replications, workers, json_out, handle_level
):
    from ccsim.sim.calibration.predict import METRICS, predict_month
    from ccsim.sim.scenario.units import parse_duration

    if by not in ("interval", "hour"):
        fail("--by takes interval or hour")
    if staffing not in ("present", "seen", "scenario"):
        fail("--staffing takes present, seen or scenario")
    gap = parse_option("--break-gap", parse_duration, break_gap)
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
            handle_level=handle_level,
            handle_reference=_fitted_handle_means(file) if handle_level == "month" else None,
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
        from ..render.charts.calibration import backtest_chart

        backtest_chart(js, out)
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
        return
    print_prediction(js, model.name, log.name, days, by, staffing, out_console)
    if out:
        out_console.print(
            f"[dim]written to {out}/: backtest.json, backtest.csv, backtest.png/svg[/dim]"
        )


def _fitted_handle_means(file: Path) -> dict[str, float] | None:
    """The fitted month's mean handle time per segment, from the report `ccsim calibrate`
    wrote beside the scenario (`<name>_calibration.json`); None without one."""
    report = file.with_name(f"{file.with_suffix('').name}_calibration.json")
    try:
        segs = json.loads(report.read_text(encoding="utf-8"))["report"]["segments"]
        return {k: float(v["handle"]["sample_mean_s"]) for k, v in segs.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


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

    require_input_file(log)
    with log.open("rb") as fh:
        head_bytes = fh.read(8192)
    if not head_bytes.strip():
        fail(f"{log}: the log is empty")
    if b"\0" in head_bytes:
        fail(f"{log}: not a text file (a call log is CSV or tab-separated text)")
    kind = fmt
    if kind == "auto":
        head = head_bytes.decode("latin-1").splitlines()[0]
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


ObservedOpt = Annotated[
    Path | None, typer.Option(help="observed KPIs per interval (from ccsim calibrate)")
]
OtherLogOpt = Annotated[
    Path | None,
    typer.Option(
        help="another month's call log: its volumes and staffing day by day, the fitted "
        "scenario's distributions, against its observed KPIs"
    ),
]
ByOpt = Annotated[str, typer.Option(help="with --log: interval or hour")]
LogDaysOpt = Annotated[
    str, typer.Option(help="with --log: weekdays, weekends, all, or names/dates")
]
LogStaffingOpt = Annotated[
    str,
    typer.Option(help="with --log: present or seen (as ccsim calibrate), or scenario (its own)"),
]
LogBreakGapOpt = Annotated[
    str,
    typer.Option(
        help="with --log and --staffing present: a gap this long in which a caller waited "
        "is a break"
    ),
]
BacktestOutOpt = Annotated[
    Path | None, typer.Option(help="write backtest.json, backtest.csv and the chart")
]
PerDayOpt = Annotated[
    int | None, typer.Option("--replications", "-r", min=2, help="with --log: per observed day")
]
HandleLevelOpt = Annotated[
    str,
    typer.Option(
        "--handle-level",
        help="with --log: fitted (the scenario's handle times) or month (each call type's "
        "handle-time level from the month predicted, as its volumes; the fitted level's "
        "errors are shown beside)",
    ),
]


@friendly
def backtest(
    file: ScenarioArg,
    observed: ObservedOpt = None,
    log: OtherLogOpt = None,
    by: ByOpt = "hour",
    days: LogDaysOpt = "weekdays",
    staffing: LogStaffingOpt = "present",
    break_gap: LogBreakGapOpt = "10min",
    out: BacktestOutOpt = None,
    replications: PerDayOpt = None,
    workers: WorkersOpt = None,
    json_out: JsonOpt = False,
    handle_level: HandleLevelOpt = "fitted",
) -> None:
    """Simulated against observed, interval by interval, with a summary error and a chart;
    with --log, a prediction of another month from its volumes and staffing."""
    if (observed is None) == (log is None):
        fail("give --observed (the fitted month's KPIs) or --log (another month's log)")
    if handle_level not in ("fitted", "month"):
        fail(f"--handle-level takes fitted or month, not {handle_level!r}")
    if log is not None:
        _backtest_log(
            file, log, by, days, staffing, break_gap, out, replications, workers, json_out,
            handle_level,
        )  # fmt: skip
        return
    if handle_level != "fitted":
        fail("--handle-level goes with --log (another month)")
    from ccsim.sim.calibration import backtest as run_backtest
    from ccsim.sim.calibration import read_observed
    from ccsim.sim.calibration.backtest import METRICS

    from ..render.charts.calibration import backtest_chart

    model = sim.load_scenario(file)
    assert observed is not None  # exactly one of --observed and --log (checked above)
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
    print_backtest(js, model.name, out_console)
    if out:
        out_console.print(
            f"[dim]written to {out}/: backtest.json, backtest.csv, backtest.png/svg[/dim]"
        )
