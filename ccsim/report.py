"""Terminal tables (rich) for simulation results: every number with its 95% CI."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.table import Table

from sim import Estimate, SimResult
from sim.units import format_clock

__all__ = ["format_clock", "fmt", "print_simulation"]

PCT = {"service_level", "abandon_rate", "p_wait", "occupancy", "conversion"}
SECONDS = {"asa", "mean_wait", "aht"}
MONEY = {"revenue", "staffing_cost", "abandon_cost", "decline_cost", "profit"}


def fmt(stat: str, e: Estimate, ci: bool = True, sep: str = "\n") -> str:
    """'91.2%' over '±0.8' (two lines, to keep tables narrow); '4.4s ±0.3' with sep=' '."""
    if e.n == 0 or not math.isfinite(e.mean):
        return "–"
    h = e.half_width
    show = ci and math.isfinite(h)
    if stat in PCT:
        return f"{100 * e.mean:.1f}%" + (f"{sep}±{100 * h:.1f}" if show else "")
    if stat in SECONDS:
        return f"{e.mean:.1f}s" + (f"{sep}±{h:.1f}" if show else "")
    if stat in MONEY or abs(e.mean) >= 1000:
        return f"{e.mean + 0.0 if round(e.mean) != 0 else 0.0:,.0f}" + (
            f"{sep}±{h:,.0f}" if show else ""
        )
    return f"{e.mean:,.1f}" + (f"{sep}±{h:,.1f}" if show else "")


INTERVAL_COLUMNS = [
    ("offered", "Offered"),
    ("service_level", "SL"),
    ("asa", "ASA"),
    ("abandon_rate", "Aband."),
    ("occupancy", "Occ."),
    ("attempts", "Offers"),
    ("conversion", "Conv."),
    ("revenue", "Revenue"),
    ("profit", "Profit"),
]
SEGMENT_COLUMNS = [
    ("offered", "Offered"),
    ("service_level", "SL"),
    ("asa", "ASA"),
    ("abandon_rate", "Aband."),
    ("aht", "AHT"),
    ("attempts", "Offers"),
    ("accepts", "Sales"),
    ("conversion", "Conv."),
    ("revenue", "Revenue"),
]


def interval_table(res: SimResult, title: str | None = None) -> Table:
    m = res.model
    t = Table(
        title=title or m.name,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("Interval")
    t.add_column("Agents", justify="right")
    for _, head in INTERVAL_COLUMNS:
        t.add_column(head, justify="right")
    for i, est in enumerate(res.intervals):
        label = m.interval_label(i)
        style = "dim" if not m.measured[i] else None
        t.add_row(
            label, str(m.staffing[i]), *[fmt(s, est[s]) for s, _ in INTERVAL_COLUMNS], style=style
        )
    t.add_section()
    t.add_row(
        "Day" if not m.steady else "Measured",
        "",
        *[fmt(s, res.summary[s]) for s, _ in INTERVAL_COLUMNS],
        style="bold",
    )
    return t


def segment_table(res: SimResult) -> Table:
    t = Table(
        title="By segment",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("Segment")
    for _, head in SEGMENT_COLUMNS:
        t.add_column(head, justify="right")
    for name, est in res.segments.items():
        t.add_row(name, *[fmt(s, est[s]) for s, _ in SEGMENT_COLUMNS])
    return t


def targets_lines(res: SimResult) -> list[str]:
    """One line per target of the scenario: met, missed or too close to call."""
    sc = res.model.scenario
    if sc is None:
        return []
    tg = sc.targets
    out = []

    def verdict(e: Estimate, limit: float, higher_is_better: bool) -> str:
        lo, hi = (e.lo, e.hi) if math.isfinite(e.half_width) else (e.mean, e.mean)
        if higher_is_better:
            return "met" if lo >= limit else "missed" if hi < limit else "borderline"
        return "met" if hi <= limit else "missed" if lo > limit else "borderline"

    if tg.service_level:
        sl = tg.service_level
        if sl.per == "day":
            v = verdict(res.summary["service_level"], sl.fraction, True)
            out.append(
                f"service level {sl.fraction:.0%} within {sl.within:g}s (day): "
                f"{fmt('service_level', res.summary['service_level'], sep=' ')} -> {v}"
            )
        else:
            vs = [
                verdict(e["service_level"], sl.fraction, True)
                for e, meas in zip(res.intervals, res.model.measured, strict=True)
                if meas
            ]
            out.append(
                f"service level {sl.fraction:.0%} within {sl.within:g}s (every interval): "
                f"{vs.count('met')} met, {vs.count('borderline')} borderline, "
                f"{vs.count('missed')} missed of {len(vs)}"
            )
    if tg.max_abandon_rate is not None:
        v = verdict(res.summary["abandon_rate"], tg.max_abandon_rate, False)
        out.append(
            f"abandonment at most {tg.max_abandon_rate:.1%}: "
            f"{fmt('abandon_rate', res.summary['abandon_rate'], sep=' ')} -> {v}"
        )
    if tg.max_asa is not None:
        v = verdict(res.summary["asa"], tg.max_asa, False)
        out.append(f"ASA at most {tg.max_asa:g}s: {fmt('asa', res.summary['asa'], sep=' ')} -> {v}")
    return out


def print_simulation(res: SimResult, console: Console) -> None:
    console.print(interval_table(res))
    console.print(segment_table(res))
    lines = targets_lines(res)
    if lines:
        console.print("[bold]Targets[/bold] (met / missed: the whole 95% CI is on that side)")
        for line in lines:
            console.print("  " + line)
    meta = res.meta
    console.print(
        f"[dim]{meta.get('replications')} replications, seed {meta.get('seed')}, "
        f"{meta.get('engine')} engine, {meta.get('calls_simulated'):,} calls in "
        f"{meta.get('wall_seconds')} s; ± is the half-width of the {meta.get('ci')} CI. "
        f"SL = {meta.get('service_level_definition')}. Profit = cross-sell revenue - staffing "
        f"- abandonment - decline costs.[/dim]"
    )
