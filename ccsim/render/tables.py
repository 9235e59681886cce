"""Terminal tables (rich) for simulation results: every number with its 95% CI."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ccsim.sim import Judgement, SimResult, overall
from ccsim.sim.scenario.units import format_clock

from .numbers import estimate

__all__ = ["format_clock", "print_simulation"]

INTERVAL_COLUMNS = [
    ("offered", "Offered"),
    ("service_level", "SL"),
    ("asa", "ASA"),
    ("abandon_rate", "Aband."),
    ("occupancy", "Occ."),
    ("attempts", "Offers"),
    ("conversion", "Conv."),
    ("revenue", "Revenue"),
    # what the interval's agents cost, beside what selling brings in: a manager reads
    # these two, not a 'profit' made negative by the wage bill
    ("staffing_cost", "Agents cost"),
]
MONEY = {"revenue", "staffing_cost", "profit", "value_at_risk", "long_run_profit"}
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
        title=escape(title or m.name),
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("Interval")
    t.add_column("Agents", justify="right")
    cur = f" ({m.currency})" if m.currency else ""
    for stat, head in INTERVAL_COLUMNS:
        t.add_column(head + (cur if stat in MONEY else ""), justify="right")
    agents = m.interval_staffing()
    for i, est in enumerate(res.intervals):
        label = m.interval_label(i)
        style = "dim" if not m.measured[i] else None
        t.add_row(
            label,
            f"{agents[i]:g}",
            *[estimate(s, est[s]) for s, _ in INTERVAL_COLUMNS],
            style=style,
        )
    t.add_section()
    t.add_row(
        "Day" if not m.steady else "Measured",
        "",
        *[estimate(s, res.summary[s]) for s, _ in INTERVAL_COLUMNS],
        style="bold",
    )
    return t


CUSTOMER_COLUMNS = [("satisfaction", "Satisf."), ("value_at_risk", "Value at risk")]


def customer_modelled(res: SimResult) -> bool:
    """Does the scenario say anything about the customer beyond the call (customer_value
    or a satisfaction section)? Without it the tables stay as they were."""
    return res.model.customer_value is not None or res.model.satisfaction_set


def customer_line(res: SimResult) -> str:
    """'customer: 84.1% satisfied (...); value at risk 1,204 ±31; long-run profit ...'."""
    m, s = res.model, res.summary
    cur = f" {m.currency}" if m.currency else ""
    text = (
        f"customer: {estimate('satisfaction', s['satisfaction'], sep=' ')} satisfied "
        f"(answered within {m.satisfied_within:g} s and not offered after waiting more than "
        f"{m.no_pitch_after:g} s)"
    )
    if m.customer_value is not None:
        text += (
            f"; customer value at risk {estimate('value_at_risk', s['value_at_risk'], sep=' ')}"
            f"{cur}; long-run profit (profit - value at risk) "
            f"{estimate('long_run_profit', s['long_run_profit'], sep=' ')}{cur}"
        )
    return text


def segment_table(res: SimResult) -> Table:
    t = Table(
        title="By segment",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("Segment")
    columns = SEGMENT_COLUMNS + (CUSTOMER_COLUMNS if customer_modelled(res) else [])
    cur = f" ({res.model.currency})" if res.model.currency else ""
    for stat, head in columns:
        t.add_column(head + (cur if stat in MONEY else ""), justify="right")
    for name, est in res.segments.items():
        t.add_row(escape(name), *[estimate(s, est[s]) for s, _ in columns])
    return t


def judgement_line(j: Judgement) -> str:
    """'abandonment <= 5.0% (day): 4.6% (bound 4.8%) -> met' for one target."""
    t = j.target
    kind = "asa" if t.stat == "asa" else t.stat

    def show(x: float) -> str:
        if not math.isfinite(x):
            return "–"
        return f"{x:.1f}s" if kind == "asa" else f"{100 * x:.1f}%"

    bound = j.lo if t.higher_is_better else j.hi
    where = "" if j.where == "day" else f" in the worst interval ({j.where})"
    counts = ""
    if t.per_interval and j.counts:
        counts = (
            f"; intervals: {j.counts.get('met', 0)} met, {j.counts.get('borderline', 0)} "
            f"borderline, {j.counts.get('missed', 0)} missed"
        )
    return (
        f"{t.text}: {show(j.mean)}{where}, {'lower' if t.higher_is_better else 'upper'} "
        f"bound {show(bound)} -> {j.verdict}{counts}"
    )


def targets_lines(res: SimResult) -> list[str]:
    """One line per target of the scenario, judged by the one rule of `sim.targets`."""
    return [judgement_line(j) for j in res.model.targets.judge(res)]


def worst_interval_line(res: SimResult) -> str | None:
    """The measured interval with the lowest service level and the highest abandonment."""
    m = res.model
    if m.steady:
        return None
    meas = [i for i in range(m.n_intervals) if m.measured[i]]
    sl = [(res.intervals[i]["service_level"].mean, i) for i in meas]
    ab = [(res.intervals[i]["abandon_rate"].mean, i) for i in meas]
    sl = [x for x in sl if math.isfinite(x[0])]
    ab = [x for x in ab if math.isfinite(x[0])]
    if not sl:
        return None
    lo, hi = min(sl), max(ab)
    return (
        f"worst interval: SL {estimate('service_level', res.intervals[lo[1]]['service_level'], sep=' ')} "
        f"at {m.interval_label(lo[1])}; abandonment "
        f"{estimate('abandon_rate', res.intervals[hi[1]]['abandon_rate'], sep=' ')} at "
        f"{m.interval_label(hi[1])}"
    )


def print_simulation(res: SimResult, console: Console) -> None:
    console.print(interval_table(res))
    console.print(segment_table(res))
    lines = targets_lines(res)
    conf = res.model.targets.confidence
    if lines:
        console.print(
            f"[bold]Targets[/bold] (met / missed: the target holds / fails with {conf:.0%} "
            f"confidence, one-sided; borderline: neither)"
        )
        for line in lines:
            console.print("  " + line, markup=False, highlight=False)
        verdict = overall(res.model.targets.judge(res))
        console.print(f"  all targets: {verdict}", markup=False, highlight=False)
    worst = worst_interval_line(res)
    if worst:
        console.print("  " + worst, markup=False, highlight=False)
    if customer_modelled(res):
        console.print("  " + customer_line(res), markup=False, highlight=False)
    meta = res.meta
    console.print(
        f"[dim]{meta.get('replications')} replications, seed {meta.get('seed')}, "
        f"{meta.get('engine')} engine, {meta.get('calls_simulated'):,} calls in "
        f"{meta.get('wall_seconds')} s; ± is the half-width of the {meta.get('ci')} CI. "
        f"SL = {meta.get('service_level_definition')}. Agents cost = paid hours (on the "
        f"phones / (1 - shrinkage)) x the hourly cost. The day's profit (revenue - agents cost - "
        f"abandonment and decline costs) is in results.json; `ccsim compare` sets what selling "
        f"earns against the same staffing without offers.[/dim]"
    )
