"""Tables of `ccsim calibrate` and `ccsim backtest`: the fit per segment, and observed
against simulated by interval or hour with the error summary."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .numbers import kind_of, signed, value


def print_calibration(r: dict, output: Path, console: Console) -> None:
    """The fitted segments (calls, handle-time fit, patience) and what was left out."""
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
    console.print(t)
    console.print(
        f"  days: {r['n_days']} ({r['dates'][0]} .. {r['dates'][-1]}), {r['daily_calls_mean']:,.0f} "
        f"calls a day (sd {r['daily_calls_sd']:,.0f}) -> forecast uncertainty cv {r['uncertainty_cv']:.3f}"
    )
    console.print(
        f"  staffing: {r['staffing_method']}; left out: "
        + ", ".join(f"{v:,} {k}" for k, v in r["dropped"].items())
        + f", {r['outside_horizon']:,} outside the horizon"
    )


def print_prediction(
    js: dict, model_name: str, log_name: str, days: str, by: str, staffing: str, console: Console
) -> None:
    """Another month predicted: observed and simulated per row, then the errors beside
    their noise floors."""

    t = Table(
        title=f"{escape(model_name)} predicting {escape(log_name)} ({len(js['dates'])} "
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
                value(r[m][k], kind_of(m))
                for m in ("abandon_rate", "service_level", "asa")
                for k in ("observed", "simulated")
            ],
        )
    console.print(t)
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
        console.print(
            f"  {name}: weighted MAE {s['weighted_mae'] * scale:.1f}{unit}, bias "
            f"{s['bias'] * scale:+.1f}{unit}; noise floor {s['noise_floor_model'] * scale:.1f}"
            f" (model) / {s['noise_floor'] * scale:.1f}{unit} (resampled days); day "
            f"{value(s['observed_day'], kind_of(m))} observed, "
            f"{value(s['simulated_day'], kind_of(m))} simulated",
            highlight=False,
        )
    _print_handle_levels(js, console)
    if js["unmatched_call_types"]:
        console.print(
            f"  call types not in the scenario, counted as 'other' (or its largest segment): "
            f"{escape(str(js['unmatched_call_types']))}"
        )
    console.print(
        f"[dim]Agents: the estimate simulated; seen: distinct agents serving a call in the "
        f"interval (each counted all interval, idle ones not at all). Weighted by observed "
        f"calls; "
        f"{js['replications_per_day']} replications per "
        f"observed day with that day's calls (its counts per interval and segment, at "
        f"uniform times) and staffing ({staffing}); noise floor: what a "
        f"perfect model would miss (model: one simulated month around the model's mean; "
        f"resampled days: the observed days bootstrapped)[/dim]"
    )


def _print_handle_levels(js: dict, console: Console) -> None:
    """With --handle-level month: each type's handle level, fitted and the month's, and
    the errors with the fitted level beside (what forecasting AHT from the fitted month
    adds to the model's error)."""
    fitted = js.get("fitted_handle_level")
    if not fitted:
        return
    levels = ", ".join(
        f"{escape(name)} {h['fitted_mean_s']:.0f} s -> "
        + ("–" if h["month_mean_s"] is None else f"{h['month_mean_s']:.0f} s")
        + f" (x{h['factor']:.3f})"
        for name, h in js["handle"].items()
    )
    first: dict = next(iter(js["handle"].values()), {})
    source = first.get("fitted_from", "the model")
    console.print(
        f"  handle-time level from the month predicted (against {source}): {levels}",
        highlight=False,
    )
    for m, name in (("abandon_rate", "abandonment"), ("service_level", "service level")):
        s, f = js["summary"].get(m), fitted["summary"].get(m)
        if s is None or f is None:
            continue
        console.print(
            f"  {name}: MAE {100 * s['weighted_mae']:.1f} pts with the month's handle level "
            f"(the model's error), {100 * f['weighted_mae']:.1f} pts with the fitted level "
            f"(bias {100 * f['bias']:+.1f} pts): the handle-time forecast adds "
            f"{100 * (f['weighted_mae'] - s['weighted_mae']):+.1f} pts",
            highlight=False,
        )


def print_backtest(js: dict, model_name: str, console: Console) -> None:
    """The in-sample back-test: observed and simulated per interval, then the day's errors."""
    t = Table(title=f"Back-test of {escape(model_name)}", title_justify="left", header_style="bold")
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

    for r in js["rows"]:
        t.add_row(
            r["label"],
            f"{r['offered_observed']:.1f} / {r['offered_simulated']:.1f}",
            value(r["abandon_rate"]["observed"], kind_of("abandon_rate")),
            value(r["abandon_rate"]["simulated"], kind_of("abandon_rate")),
            value(r["asa"]["observed"], kind_of("asa")),
            value(r["asa"]["simulated"], kind_of("asa")),
            value(r["service_level"]["observed"], kind_of("service_level")),
            value(r["service_level"]["simulated"], kind_of("service_level")),
            value(r["p_wait"]["observed"], kind_of("p_wait")),
            value(r["p_wait"]["simulated"], kind_of("p_wait")),
        )
    console.print(t)
    for m, s in js["summary"].items():
        if m == "offered" or s is None:
            continue
        k = kind_of(m)
        # an error between two percentages is in percentage points, not a percentage
        mae = f"{100 * s['weighted_mae']:.1f} pts" if k == "pct" else value(s["weighted_mae"], k)
        console.print(
            f"  {m}: day {value(s['observed_day'], k)} observed, {value(s['simulated_day'], k)} "
            f"simulated; volume-weighted mean absolute error {mae}, "
            f"bias {signed(s['weighted_bias'], k)}; worst at {s['worst_interval']}"
        )
