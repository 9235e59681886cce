"""Charts of the customer beyond the call: offers and sales by the caller's wait, and
profit against the customer value put at risk."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .style import PALETTE, SIZE, STYLE, colors, gid_bars, num, plan_point, save


def offers_by_wait(js: dict, out: Path) -> list[Path]:
    """Offers and sales per day by the caller's wait (bars), conversion (line, right
    axis), under the recommended alternative: where selling still pays after a wait."""
    rec = js["recommendation"] or js["baseline"]
    wb = js["alternatives"][rec].get("wait_buckets")
    if not wb or not sum(wb["offers"]):
        return []
    edges = wb["from_seconds"]
    labels = [f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:], strict=False)] + [f"{edges[-1]:g}+"]
    x = np.arange(len(labels))
    cur = js.get("currency") or ""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        b1 = ax.bar(x - 0.2, wb["offers"], 0.4, color=PALETTE[0], label="offers per day")
        b2 = ax.bar(x + 0.2, wb["sales"], 0.4, color=PALETTE[2], label="sales per day")
        gid_bars(b1, "series:offers")
        gid_bars(b2, "series:sales")
        # revenue per bucket, above its bars
        top = max(wb["offers"]) or 1.0
        for xi, (o, rv) in enumerate(zip(wb["offers"], wb["revenue"], strict=True)):
            if rv > 0:
                ax.text(
                    xi,
                    o + 0.02 * top,
                    f"{rv:,.0f}",
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    color="#333333",
                    gid=f"revenue:{xi}",
                )
        ax.set_xticks(x, labels)
        ax.set_xlabel("Caller's wait before an agent answered (s)")
        ax.set_ylabel("Offers and sales per day")
        ax2 = ax.twinx()
        ax2.grid(False)
        conv = [math.nan if c is None else 100 * c for c in wb["conversion"]]
        (ln,) = ax2.plot(x, conv, "o-", color=PALETTE[3], lw=2, label="conversion (%)")
        ln.set_gid("series:conversion")
        ax2.set_ylabel("Conversion (%)")
        ax2.set_ylim(0, max([c for c in conv if math.isfinite(c)] + [1.0]) * 1.25)
        ax2.spines["right"].set_visible(True)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper right", frameon=False)
        total = sum(wb["revenue"])
        quick = sum(r for a, r in zip(edges, wb["revenue"], strict=True) if a < 30)
        first = conv[0] if math.isfinite(conv[0]) else math.nan
        finite = [c for c in conv if math.isfinite(c)]
        ax.set_title(
            f"Under '{rec}', {100 * quick / total:.0f}% of cross-sell revenue comes from "
            f"callers answered within 30 s\nconversion {first:.0f}% at no wait, "
            f"{finite[-1]:.0f}% for the longest waits offered"
            if total > 0 and finite
            else f"Offers by the caller's wait under '{rec}'",
            fontsize=13,
        )
        ax.text(
            0.0,
            -0.16,
            f"numbers above the bars: revenue per day by bucket ({f'{cur}, ' if cur else ''}"
            f"total {total:,.0f}); waits bucketed by whole seconds",
            transform=ax.transAxes,
            fontsize=9,
            color="#555555",
        )
        return save(fig, out, "offers_by_wait")


def profit_vs_value_at_risk(js: dict, out: Path) -> list[Path]:
    """Each alternative's profit against the customer value it puts at risk (95% CI bars);
    the line joins the plans no other plan beats on both (the frontier)."""
    alts = js["alternatives"]
    names = list(alts)
    col = colors(names)
    rec = js["recommendation"]
    cur = js.get("currency") or ""
    pts = []
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        for n in names:
            s = alts[n]["summary"]
            label = n + (" (recommended)" if n == rec else "")
            x, y = plan_point(ax, s["value_at_risk"], s["profit"], 1, col[n], label, n)
            pts.append((x, y, n))
        front = [
            p for p in pts if not any(q[0] <= p[0] and q[1] >= p[1] and q[:2] != p[:2] for q in pts)
        ]
        front.sort()
        if len(front) > 1:
            (line,) = ax.plot(
                [p[0] for p in front],
                [p[1] for p in front],
                "-",
                color="#777777",
                lw=2,
                label="frontier (no plan beats these on both)",
            )
            line.set_gid("series:frontier")
        lrp = {n: alts[n]["summary"]["long_run_profit"] for n in names}
        ranked = sorted(names, key=lambda n: -num(lrp[n]["mean"]))
        best = ranked[0]
        close = [
            n
            for n in ranked[1:]
            if lrp[best]["ci95"][0] is not None
            and lrp[n]["ci95"][1] is not None
            and lrp[n]["ci95"][1] >= lrp[best]["ci95"][0]
        ]
        ax.set_title(
            f"Highest long-run profit (profit - value at risk): '{best}', "
            f"{num(lrp[best]['mean']):,.0f}{f' {cur}' if cur else ''} a day"
            + (
                f"\n'{close[0]}' is within its 95% CI: the lead is not significant" if close else ""
            ),
            fontsize=13,
        )
        unit = f" ({cur})" if cur else ""
        ax.set_xlabel(f"Customer value at risk per day{unit}: value x P(customer lost)")
        ax.set_ylabel(f"Profit per day{unit}, revenue - costs")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
        return save(fig, out, "profit_vs_value_at_risk")
