"""Terminal table for `ccsim compare`: each KPI with its CI and the paired difference."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .numbers import difference, value
from .summary import (
    kpi_label,
    recommendation_text,
    stats_for,
    value_text,
    worst_interval_text,
)


def print_compare(js: dict, console: Console) -> None:
    names = list(js["alternatives"])
    base = js["baseline"]
    t = Table(
        title=f"{escape(js['scenario'])}: alternatives on the same callers",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("KPI")
    for n in names:
        t.add_column(escape(n) + (" (baseline)" if n == base else ""), justify="right")
    for key, label, kind in stats_for(js):
        row = []
        for n in names:
            v = js["alternatives"][n]["summary"][key]
            lo, hi = v["ci95"]
            cell = value(v["mean"], kind)
            if lo is not None and kind != "n":
                cell += (
                    f" ±{value((hi - lo) / 2, kind).replace(' s', '')}"
                    if kind != "pct"
                    else f" ±{100 * (hi - lo) / 2:.1f}"
                )
            if n != base:
                cell += "\n" + difference(js["alternatives"][n]["difference"][key], kind)
            row.append(cell)
        t.add_row(kpi_label(label, kind, js), *row)
    colour = {"met": "green", "borderline": "yellow", "missed": "red"}
    meets = [
        f"[{colour[v]}]{v}[/{colour[v]}]" for v in (js["alternatives"][n]["verdict"] for n in names)
    ]
    t.add_section()
    t.add_row("Targets", *meets)
    t.add_row("Worst interval", *[worst_interval_text(js, n, "\n") for n in names])
    console.print(t)
    _print_sensitivity(js, console)
    _print_shifts(js, console)
    console.print(value_text(js, md=False), style="bold", markup=False, highlight=False)
    console.print(
        recommendation_text(js, md=False).replace("**", ""), markup=False, highlight=False
    )
    console.print(f"[dim]Targets: {js['targets'].get('rule', '')}[/dim]")
    meta = js.get("meta", {})
    console.print(
        f"[dim]Second line: difference from '{base}', paired over {meta.get('replications')} "
        f"common replications, [95% CI], * = significant. {meta.get('calls_simulated', 0):,} "
        "calls simulated.[/dim]"
    )


def _print_sensitivity(js: dict, console: Console) -> None:
    """The plan with volumes above the forecast, when --sensitivity asked for it."""
    sens = js.get("sensitivity")
    if not sens:
        return
    st = Table(
        title=f"If volumes run above the forecast: '{escape(sens['plan'])}' on the same "
        f"seeds ({sens['replications']} replications)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for c in ("Volume", "Profit", "Service level", "Abandonment", "ASA", "Targets"):
        st.add_column(c, justify="right")
    for r in sens["rows"]:
        st.add_row(
            r["volume"],
            value(r["profit"]["mean"], "money"),
            value(r["service_level"]["mean"], "pct"),
            value(r["abandon_rate"]["mean"], "pct"),
            value(r["asa"]["mean"], "s"),
            r["verdict"],
        )
    console.print(st)


def _print_shifts(js: dict, console: Console) -> None:
    """What the shift constraint costs and what selling in its slack earns back."""
    sh = js.get("shifts")
    if not sh:
        return
    ci = lambda d: f"{d['mean']:+,.0f} [{d['ci95'][0]:+,.0f}, {d['ci95'][1]:+,.0f}]"  # noqa: E731
    if "shift_constraint" in sh:
        console.print(
            f"Shifts: the roster against the per-interval plan changes profit by "
            f"{ci(sh['shift_constraint'])} a day (what shifts and breaks cost);",
            highlight=False,
        )
    console.print(
        f"selling in the roster's slack earns {ci(sh['selling_in_slack'])} a day (the "
        "roster with its offers against the same roster without; paired, 95% CI).",
        highlight=False,
    )
