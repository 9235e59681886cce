"""The per-interval Erlang table of `ccsim erlang FILE`: the usual calculator's answer
with the simulated day beside it."""

from __future__ import annotations

import math

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .numbers import value


def _pct(x) -> str:
    return value(x, "pct")


def print_erlang_table(js: dict, model_name: str, console: Console) -> None:
    """Erlang C and A agents, scheduled heads and occupancy per interval, and the day
    simulated at the Erlang A staffing."""
    t = Table(
        title=f"{escape(model_name)}: Erlang per interval (AHT {js['aht_s']:.0f}s"
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
            f"{math.ceil(a['scheduled'] - 1e-9):d}",  # whole heads; erlang.csv: unrounded
            _pct(a["occupancy"]),
            _pct(a["service_level"]),
            _pct(s["service_level"]["mean"]),
            _pct(s["abandon_rate"]["mean"]),
            value(s["asa"]["mean"], "s"),
        )
    console.print(t)
    d = js["simulated_day"]
    console.print(
        f"Simulated day with the Erlang A staffing ({js['replications']} replications): SL "
        f"{_pct(d['service_level']['mean'])}, abandonment {_pct(d['abandon_rate']['mean'])}, "
        f"ASA {d['asa']['mean']:.1f}s; targets: "
        + "; ".join(f"{v['text']}: {v['verdict']}" for v in js["simulated_verdicts"]),
        highlight=False,
    )
    console.print(
        "[dim]Erlang: each interval alone in steady state at the mean handle time, targets "
        "applied per interval, no cross-selling (an Erlang calculator's answer). Simulated: "
        "the scenario's distributions, priorities and policy, queues carried between "
        "intervals, arrivals varying by interval. Scheduled = Erlang A agents / (1 - "
        "shrinkage).[/dim]"
    )
