"""`ccsim calibrate LOG` and `ccsim backtest FITTED`: scenarios from call logs, and
how well they predict."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ccsim import sim

from ..output import csv_text, dicts_csv, write_json, write_text
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

    from ..render.charts import calibration_fit

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

    from ..render.charts import backtest_chart

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
