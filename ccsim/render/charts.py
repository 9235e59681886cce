"""Charts for a planning deck, drawn from saved comparison results (JSON) only.

Each chart is written as PNG (16:9, 200 dpi) and SVG. Titles state the finding; axes
carry units; series carry an SVG id (`gid`) naming them, so tests and other tools can
read back what was drawn. Text stays text in the SVG.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..output import mark_written
from .numbers import signed

# Okabe-Ito: distinguishable with colour-vision deficiencies, and in grey print
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SIZE = (10, 5.625)  # inches: 16:9, 2000 x 1125 px at 200 dpi
STYLE: Any = {  # matplotlib rcParams (its stubs want literal keys)
    "font.size": 12,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def _colors(names: list[str]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def _m(x) -> float:
    return math.nan if x is None else float(x)


def _save(fig, out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        p = out / f"{name}.{ext}"
        # a private temp file per run (created exclusively), renamed into place: two runs
        # writing the same folder never share a temp name, a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=f".{ext}.part")
        try:
            with os.fdopen(fd, "wb") as fh:
                # the finding travels with the file (the deck reads it back)
                fig.savefig(fh, dpi=200, format=ext, metadata={"Title": _title(fig)})
            os.chmod(tmp, 0o644)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            plt.close(fig)
            raise
        mark_written(p)
        paths.append(p)
    plt.close(fig)
    return paths


def _title(fig) -> str:
    """The chart's finding: the figure's title, else its first axes title."""
    if fig.get_suptitle():
        return fig.get_suptitle()
    for ax in fig.axes:
        if ax.get_title():
            return ax.get_title()
    return ""


def _gid_bars(bars, name: str) -> None:
    """Name each bar of a series (`name:0`, `name:1`, ...) in the SVG."""
    for i, patch in enumerate(bars):
        patch.set_gid(f"{name}:{i}")


def _plan_point(ax, xe: dict, ye: dict, xscale: float, color: str, label: str, name: str):
    """One plan as a point with its 95% CI bars on both axes (SVG id `series:NAME`);
    returns its (x, y)."""
    x, (xl, xh) = _m(xe["mean"]) * xscale, [_m(v) * xscale for v in xe["ci95"]]
    y, (yl, yh) = _m(ye["mean"]), [_m(v) for v in ye["ci95"]]
    h = ax.errorbar(
        x,
        y,
        xerr=[[x - xl], [xh - x]] if math.isfinite(xl) else None,
        yerr=[[y - yl], [yh - y]] if math.isfinite(yl) else None,
        fmt="o",
        ms=9,
        capsize=4,
        color=color,
        label=label,
    )
    h[0].set_gid(f"series:{name}")
    return x, y


def profit_vs(js: dict, stat: str, out: Path) -> list[Path]:
    """Each alternative a point with 95% CI bars; the frontier as a line; the target marked."""
    alts = js["alternatives"]
    names = list(alts)
    col = _colors(names)
    pct = stat == "service_level"
    scale = 100 if pct else 1
    base, rec = js["baseline"], js["recommendation"]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        for n in names:
            s = alts[n]["summary"]
            label = n + (" (recommended)" if n == rec else "")
            _plan_point(ax, s[stat], s["profit"], scale, col[n], label, n)
        fr = [p for p in (js.get("frontier") or []) if p.get("cross_sell") and p.get("feasible")]
        if fr:
            fr = sorted(fr, key=lambda p: p[stat])
            (line,) = ax.plot(
                [p[stat] * scale for p in fr],
                [p["profit"] for p in fr],
                "-",
                color="#777777",
                lw=2,
                label="optimizer frontier (best plan per SL target)",
            )
            line.set_gid("series:frontier")
        target = js["targets"]["service_level"] if pct else js["targets"]["max_asa"]
        if target is not None:
            ax.axvline(
                target * scale,
                color="#D55E00",
                ls="--",
                lw=1.5,
                label=f"target: {'SL' if pct else 'ASA'} {'>=' if pct else '<='} "
                f"{target * scale:g}{'%' if pct else ' s'}",
            ).set_gid("series:target")
        if rec is None:
            title = "No plan meets every target (95% confidence): none is recommended"
        elif rec == base:
            title = "The scenario's own plan is the most profitable that meets the targets"
        else:
            d = alts[rec]["difference"]
            gain = _m(d["profit"]["mean"]) if d else 0.0
            v = _m(alts[rec]["summary"][stat]["mean"]) * scale
            title = (
                f"'{rec}' earns {signed(gain)} per day against the scenario plan, "
                f"at {'SL' if pct else 'ASA'} {v:.1f}{'%' if pct else ' s'}, targets met"
            )
        ax.set_title(title)
        ax.set_xlabel(
            "Service level, % answered within target time"
            if pct
            else "ASA: mean wait of answered calls (s)"
        )
        cur = js.get("currency") or ""
        ax.set_ylabel(f"Profit per day{f' ({cur})' if cur else ''}, revenue - costs")
        # beside the axes: inside, a legend covers points, and names next to close points
        # overlap; the colours tie each point to its name
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
        return _save(fig, out, "profit_vs_service_level" if pct else "profit_vs_asa")


def intervals(js: dict, out: Path) -> list[Path]:
    """Forecast calls and staffing per interval (top); service level against target (bottom)."""
    alts = js["alternatives"]
    base = js["baseline"]
    labels = js["interval_labels"]
    meas = np.array(js["measured"], bool)
    x = np.arange(len(labels))[meas]
    lab = [lbl for lbl, m in zip(labels, meas, strict=True) if m]
    show = [base] + [
        n
        for n in alts
        if n != base and alts[n]["plan"]["staffing"] != alts[base]["plan"]["staffing"]
    ]
    rec = js["recommendation"]
    show += [rec] if rec is not None and rec not in show else []
    col = _colors(list(alts))
    target = js["targets"]["service_level"]
    with plt.rc_context(STYLE):
        fig, (ax1, ax2) = plt.subplots(
            2,
            1,
            figsize=SIZE,
            sharex=True,
            layout="constrained",
            gridspec_kw={"height_ratios": [3, 2]},
        )
        offered = [_m(alts[base]["intervals"][i]["offered"]["mean"]) for i in x]
        bars = ax1.bar(x, offered, color="#cccccc", label="calls offered (forecast)")
        _gid_bars(bars, "series:offered")
        ax1.set_ylabel("Calls per interval")
        ax1b = ax1.twinx()
        for n in show[1:] + show[:1]:  # the baseline last, dashed, on top
            st = [alts[n]["plan"]["staffing"][i] for i in x]
            (ln,) = ax1b.step(
                x,
                st,
                where="mid",
                color=col[n],
                lw=2.5 if n != base else 1.8,
                ls="-" if n != base else "--",
                label=f"agents: {n}",
                zorder=3,
            )
            ln.set_gid(f"series:staffing:{n}")
        ax1b.set_ylabel("Agents on the phones")
        ax1b.grid(False)
        h1, l1 = ax1.get_legend_handles_labels()
        h2, l2 = ax1b.get_legend_handles_labels()
        # legends beside the panels: inside, they cover the peak bar or the last points
        ax1.legend(
            h1 + h2,
            l1 + l2,
            loc="upper left",
            bbox_to_anchor=(1.07, 1.0),
            fontsize=9,
            frameon=False,
        )
        below = {}
        for n in show:
            sl = [_m(alts[n]["intervals"][i]["service_level"]["mean"]) * 100 for i in x]
            (ln,) = ax2.plot(x, sl, "o-", color=col[n], ms=4, label=f"SL: {n}")
            ln.set_gid(f"series:service_level:{n}")
            if target is not None:
                below[n] = sum(1 for v in sl if v < target * 100)
        if target is not None:
            ax2.axhline(
                target * 100, color="#D55E00", ls="--", label=f"target {target:.0%}"
            ).set_gid("series:target")
        ax2.set_ylabel("Service level (%)")
        steady = any(lbl.startswith("batch") for lbl in lab)
        ax2.set_xlabel("Batch of the steady-state run" if steady else "Interval start")
        step = max(1, math.ceil(len(x) / 12))
        lab = [lbl.removeprefix("batch ") for lbl in lab]
        ax2.set_xticks(x[::step], lab[::step], rotation=0)
        ax2.legend(loc="upper left", bbox_to_anchor=(1.07, 1.0), fontsize=9, frameon=False)
        # the finding for the recommended plan, else the scenario's own
        name = js["recommendation"] or js["baseline"]
        unit = "batches" if steady else "intervals"
        if target is not None and name in below:
            ax1.set_title(
                f"Under '{name}', service level is below {target:.0%} in {below[name]} of "
                f"{len(x)} {unit}"
            )
        else:
            ax1.set_title(
                "Calls, agents and service level by " + ("batch" if steady else "interval")
            )
        return _save(fig, out, "intervals")


def cross_sell(js: dict, out: Path) -> list[Path]:
    """Attempts, conversion and revenue by segment, one bar per alternative."""
    alts = js["alternatives"]
    names = list(alts)
    segs = js["segments"]
    col = _colors(names)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, 3, figsize=SIZE, layout="constrained")
        width = 0.8 / len(names)
        for ax, stat, title, scale in zip(
            axes,
            ("attempts", "conversion", "revenue"),
            ("Offers per day", "Conversion (%)", "Revenue per day"),
            (1, 100, 1),
            strict=True,
        ):
            for i, n in enumerate(names):
                vals = [_m(alts[n]["segments"][s][stat]["mean"]) * scale for s in segs]
                bars = ax.bar(
                    np.arange(len(segs)) + (i - (len(names) - 1) / 2) * width,
                    vals,
                    width,
                    color=col[n],
                    label=n,
                )
                _gid_bars(bars, f"series:{stat}:{n}")
            ax.set_xticks(np.arange(len(segs)), segs)
            ax.set_ylabel(title)
        axes[0].legend(fontsize=9)
        rec = js["recommendation"] or js["baseline"]
        rev = {s: _m(alts[rec]["segments"][s]["revenue"]["mean"]) for s in segs}
        total = sum(v for v in rev.values() if math.isfinite(v))
        top = max(rev, key=lambda s: rev[s] if math.isfinite(rev[s]) else -1)
        fig.suptitle(
            f"'{top}' brings {100 * rev[top] / total:.0f}% of cross-sell revenue under '{rec}'"
            if total > 0
            else "No cross-sell revenue in any alternative",
            fontsize=14,
            fontweight="bold",
        )
        return _save(fig, out, "cross_sell")


def threshold_heatmap(js: dict, out: Path) -> list[Path]:
    """Profit over the threshold grid of the two most valuable segments."""
    g = js.get("grid")
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        if not g:  # fewer than two segments to sell to: nothing to map
            plt.close(fig)
            return []
        P = np.array(g["profit"], float)
        F = np.array(g["feasible"], bool)
        ax.grid(False)
        im = ax.imshow(P, origin="lower", cmap="viridis", aspect="auto")
        im.set_gid("series:profit_grid")
        vals = [str(v) for v in g["values"]]
        ax.set_xticks(range(len(vals)), vals)
        ax.set_yticks(range(len(vals)), vals)
        ax.set_xlabel(
            f"Threshold for '{g['segments'][1]}' (offer iff callers in system - agents "
            f"<= K);  × = a target not met at 95%"
        )
        ax.set_ylabel(f"Threshold for '{g['segments'][0]}'")
        for i, j in zip(*np.nonzero(~F), strict=True):
            ax.text(j, i, "×", ha="center", va="center", color="white", fontsize=12)
        cb = fig.colorbar(im, ax=ax)
        cb.set_label("Profit per day")
        if F.any():
            masked = np.where(F, P, -np.inf)
            i, j = np.unravel_index(np.argmax(masked), P.shape)
            ax.plot(j, i, marker="s", ms=18, mfc="none", mec="#D55E00", mew=3)[0].set_gid(
                "series:best"
            )
            ax.set_title(
                f"Best thresholds with every target met: {g['segments'][0]} {vals[i]}, "
                f"{g['segments'][1]} {vals[j]}\n({P[i, j]:,.0f} per day; targets judged on "
                f"{g['replications']} replications)",
                fontsize=13,
            )
        else:
            ax.set_title("No cell of the threshold grid meets every target")
        return _save(fig, out, "threshold_heatmap")


def waiting_time(js: dict, out: Path) -> list[Path]:
    """P(wait <= t) of answered callers by segment, under the recommended alternative."""
    rec = js["recommendation"] or js["baseline"]
    w = js["alternatives"][rec]["waiting"]
    T = js["targets"]["within"]
    col = _colors(js["segments"])
    t = np.arange(len(next(iter(w.values()))["cdf_answered"]))
    parts = []
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        for s in js["segments"]:
            cdf = np.array(w[s]["cdf_answered"]) * 100
            (ln,) = ax.plot(t, cdf, color=col[s], lw=2.5, label=s)
            ln.set_gid(f"series:wait:{s}")
            parts.append(f"{s} {cdf[min(int(T), len(cdf) - 1)]:.0f}%")
        ax.axvline(T, color="#D55E00", ls="--", label=f"SL threshold {T:g} s").set_gid(
            "series:target"
        )
        ax.set_xlim(0, min(len(t) - 1, max(4 * T, 120)))
        ax.set_xlabel("Wait before an agent answers (s)")
        ax.set_ylabel("Answered callers who waited at most that long (%)")
        ax.legend(loc="lower right")
        ax.set_title(f"Answered within {T:g} s under '{rec}': " + ", ".join(parts))
        return _save(fig, out, "waiting_time")


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
        _gid_bars(b1, "series:offers")
        _gid_bars(b2, "series:sales")
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
        return _save(fig, out, "offers_by_wait")


def profit_vs_value_at_risk(js: dict, out: Path) -> list[Path]:
    """Each alternative's profit against the customer value it puts at risk (95% CI bars);
    the line joins the plans no other plan beats on both (the frontier)."""
    alts = js["alternatives"]
    names = list(alts)
    col = _colors(names)
    rec = js["recommendation"]
    cur = js.get("currency") or ""
    pts = []
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        for n in names:
            s = alts[n]["summary"]
            label = n + (" (recommended)" if n == rec else "")
            x, y = _plan_point(ax, s["value_at_risk"], s["profit"], 1, col[n], label, n)
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
        ranked = sorted(names, key=lambda n: -_m(lrp[n]["mean"]))
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
            f"{_m(lrp[best]['mean']):,.0f}{f' {cur}' if cur else ''} a day"
            + (
                f"\n'{close[0]}' is within its 95% CI: the lead is not significant" if close else ""
            ),
            fontsize=13,
        )
        unit = f" ({cur})" if cur else ""
        ax.set_xlabel(f"Customer value at risk per day{unit}: value x P(customer lost)")
        ax.set_ylabel(f"Profit per day{unit}, revenue - costs")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
        return _save(fig, out, "profit_vs_value_at_risk")


# every chart of a comparison, in the order of the summary page and the deck
_DRAWERS = {
    "profit_vs_asa": lambda js, out: profit_vs(js, "asa", out),
    "profit_vs_service_level": lambda js, out: profit_vs(js, "service_level", out),
    "intervals": lambda js, out: intervals(js, out),
    "cross_sell": lambda js, out: cross_sell(js, out),
    "threshold_heatmap": lambda js, out: threshold_heatmap(js, out),
    "waiting_time": lambda js, out: waiting_time(js, out),
    "offers_by_wait": lambda js, out: offers_by_wait(js, out),
    "profit_vs_value_at_risk": lambda js, out: profit_vs_value_at_risk(js, out),
}
# the views of callers who react to waiting and of the customer beyond the call: drawn
# only when the scenario models them
CUSTOMER_CHARTS = ("offers_by_wait", "profit_vs_value_at_risk")
CHARTS = tuple(n for n in _DRAWERS if n not in CUSTOMER_CHARTS)  # every comparison


def draw_all(js: dict, out: Path) -> list[Path]:
    """Every chart that says something: the profit-against-service charts need more
    than one plan (or a frontier), the heat map a threshold grid (it draws nothing
    without one)."""
    out = Path(out)
    trade_off = len(js["alternatives"]) > 1 or bool(js.get("frontier"))
    paths: list[Path] = []
    c = js.get("customer") or {}
    for name, draw in _DRAWERS.items():
        if name.startswith("profit_vs") and not trade_off:
            continue
        # the views of callers who react to waiting: only when the scenario models them
        if name == "offers_by_wait" and not (c.get("wait_aware") or c.get("value_modelled")):
            continue
        if name == "profit_vs_value_at_risk" and not (
            c.get("value_modelled") and len(js["alternatives"]) > 1
        ):
            continue
        paths += draw(js, out)
    return paths


def calibration_fit(
    report: dict, samples: dict, survival: dict, out: Path, name: str
) -> list[Path]:
    """Handle times against the fitted lognormal; patience: Kaplan-Meier against exponential."""
    segs = list(report["segments"])
    col = _colors(segs)
    with plt.rc_context(STYLE):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=SIZE, layout="constrained")
        for s in segs:
            x = np.asarray(samples[s])
            q = np.linspace(0.01, 0.99, 99)
            f = report["segments"][s]["handle"]
            fitted = np.exp(f["mu"] + f["sigma"] * _norm_ppf(q))
            (ln,) = ax1.plot(
                fitted / 60,
                np.quantile(x, q) / 60,
                "o",
                ms=3,
                color=col[s],
                label=f"{s} (KS {f['ks_distance']:.3f})",
            )
            ln.set_gid(f"series:handle_qq:{s}")
            t, S = survival[s]
            (ln2,) = ax2.step(
                np.r_[0, t],
                np.r_[1, S],
                where="post",
                color=col[s],
                lw=2,
                label=f"{s}: Kaplan-Meier",
            )
            ln2.set_gid(f"series:km:{s}")
            m = report["segments"][s]["patience"]["exponential_mean_s"]
            if math.isfinite(m):
                tt = np.linspace(0, 600, 200)
                (ln3,) = ax2.plot(
                    tt,
                    np.exp(-tt / m),
                    "--",
                    color=col[s],
                    lw=1,
                    label=f"{s}: exponential, mean {m:.0f} s",
                )
                ln3.set_gid(f"series:exp:{s}")
        lim = ax1.get_xlim()[1]
        ax1.plot([0, lim], [0, lim], color="#777777", lw=1)
        ax1.set_xlabel("Fitted lognormal quantile (min)")
        ax1.set_ylabel("Observed handle-time quantile (min)")
        ax1.set_title("Handle times: Q-Q against the lognormal fit", fontsize=12)
        ax1.legend(fontsize=8)
        ax2.set_xlim(0, 600)
        ax2.set_xlabel("Time waited (s)")
        ax2.set_ylabel("P(still willing to wait)")
        ax2.set_title("Patience: Kaplan-Meier and exponential fit", fontsize=12)
        ax2.legend(fontsize=7, ncol=2)
        fig.suptitle(
            f"{report['n_days']} days, {report['calls']:,} calls: fitted inputs by segment",
            fontsize=14,
            fontweight="bold",
        )
        return _save(fig, out, name)


def _norm_ppf(q):
    from scipy.stats import norm

    return norm.ppf(q)


def backtest_chart(js: dict, out: Path, name: str = "backtest") -> list[Path]:
    """Observed against simulated, per interval: abandonment, ASA, SL, P(wait)."""
    rows = js["rows"]
    x = np.arange(len(rows))
    labels = [r["label"] for r in rows]
    titles = {
        "abandon_rate": ("Abandonment (%)", 100),
        "asa": ("ASA (s)", 1),
        "service_level": ("Service level (%)", 100),
        "p_wait": ("P(wait > 0) (%)", 100),
    }
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(2, 2, figsize=SIZE, sharex=True, layout="constrained")
        for ax, (mtr, (label, scale)) in zip(axes.ravel(), titles.items(), strict=True):
            sim_m = np.array([_m(r[mtr]["simulated"]) for r in rows]) * scale
            lo = np.array([_m(r[mtr]["ci95"][0]) for r in rows]) * scale
            hi = np.array([_m(r[mtr]["ci95"][1]) for r in rows]) * scale
            obs = np.array([_m(r[mtr]["observed"]) for r in rows]) * scale
            ax.fill_between(x, lo, hi, color=PALETTE[0], alpha=0.25, lw=0)
            (a,) = ax.plot(x, sim_m, color=PALETTE[0], lw=2, label="simulated (95% CI)")
            a.set_gid(f"series:simulated:{mtr}")
            (b,) = ax.plot(x, obs, "o", color="#000000", ms=4, label="observed")
            b.set_gid(f"series:observed:{mtr}")
            ax.set_ylabel(label)
        step = max(1, math.ceil(len(x) / 6))
        for ax in axes[1]:
            ax.set_xticks(x[::step], labels[::step], fontsize=10)
        axes[0, 0].legend(fontsize=9)
        s = js["summary"]
        ab = s.get("abandon_rate") or {}
        asa = s.get("asa") or {}
        fig.suptitle(
            f"Back-test: abandonment {100 * ab.get('simulated_day', math.nan):.1f}% simulated "
            f"vs {100 * ab.get('observed_day', math.nan):.1f}% observed; ASA "
            f"{asa.get('simulated_day', math.nan):.0f} s vs {asa.get('observed_day', math.nan):.0f} s",
            fontsize=14,
            fontweight="bold",
        )
        return _save(fig, out, name)


def _clock_hours(text: str) -> float:
    h, m = text.split(":")
    return int(h) + int(m) / 60


def coverage(roster: dict, out: Path) -> list[Path]:
    """Agents present and on the phones by grid step against the requirement the MIP
    covered: the gap between the lines is breaks; above the requirement is slack."""
    t = np.array([_clock_hours(s) for s in roster["steps"]])
    phones = np.array(roster["on_phones"], float)
    present = np.array(roster["present"], float)
    req = roster.get("mip", {}).get("requirement")
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        ext = lambda a: np.append(a, a[-1])  # noqa: E731 - a step line to the day's end
        ax.fill_between(
            t,
            ext(present),
            step="post",
            color="#cccccc",
            alpha=0.6,
            label="agents present (on a break or not)",
        ).set_gid("series:present")
        (ln,) = ax.step(
            t, ext(phones), where="post", color=PALETTE[0], lw=2.2, label="agents on the phones"
        )
        ln.set_gid("series:on_phones")
        title = f"{roster['shifts']} shifts put {phones.min():.0f}-{phones.max():.0f} agents on the phones"
        if req is not None:
            req = np.array(req, float)
            (ln,) = ax.step(
                t,
                ext(req),
                where="post",
                color=PALETTE[3],
                lw=1.6,
                ls="--",
                label="requirement (analytic seed)",
            )
            ln.set_gid("series:requirement")
            slack = phones - req
            i = int(np.argmax(slack))
            title = (
                f"{roster['shifts']} shifts: most slack at {roster['steps'][i]} "
                f"({slack[i]:+.0f} agents), tightest at "
                f"{roster['steps'][int(np.argmin(slack))]} ({slack.min():+.0f})"
            )
        ax.set_ylim(bottom=0)
        ax.set_xlim(t[0], t[-1])
        ax.set_xlabel("Time of day (h)")
        ax.set_ylabel("Agents")
        ax.set_title(title)
        ax.legend(loc="upper left", fontsize=9)
        return _save(fig, out, "coverage")


def shift_chart(roster: dict, out: Path) -> list[Path]:
    """One bar per roster row from start to end, coloured by template, breaks hatched."""
    rows = roster["rows"]
    names = list(dict.fromkeys(r["template"] for r in rows))
    col = _colors(names)
    with plt.rc_context(STYLE):
        h = max(SIZE[1], 0.28 * len(rows) + 1.5)
        fig, ax = plt.subplots(figsize=(SIZE[0], h), layout="constrained")
        for y, r in enumerate(rows):
            a, z = _clock_hours(r["start"]), _clock_hours(r["end"])
            bar = ax.barh(y, z - a, left=a, color=col[r["template"]], height=0.7)
            bar[0].set_gid(f"series:shift:{y}")
            for b in r["breaks"]:
                s, e = (_clock_hours(x) for x in b.split("-"))
                br = ax.barh(
                    y,
                    e - s,
                    left=s,
                    color="white",
                    edgecolor="#333333",
                    hatch="////",
                    height=0.7,
                    lw=0.5,
                )
                br[0].set_gid(f"series:break:{y}")
            ax.text(z + 0.08, y, f"{r['agents']}", va="center", fontsize=8)
        ax.set_yticks(range(len(rows)), [f"{r['template']} {r['start']}" for r in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("Time of day (h); the number after a bar is its agents")
        handles = [plt.Rectangle((0, 0), 1, 1, color=col[n]) for n in names]
        handles.append(
            plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#333333", hatch="////")
        )
        # below the axis: a legend inside would cover the last shifts
        ax.legend(
            handles,
            [*names, "break"],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.07),
            ncol=len(names) + 1,
            fontsize=9,
            frameon=False,
        )
        ax.grid(axis="y", visible=False)
        by = {n: sum(r["agents"] for r in rows if r["template"] == n) for n in names}
        ax.set_title(
            f"{roster['shifts']} shifts ("
            + ", ".join(f"{v} {k}" for k, v in by.items())
            + f"), {roster['paid_hours']:,.0f} paid hours"
        )
        return _save(fig, out, "shifts")


def draw_roster(roster: dict, out: Path) -> list[Path]:
    return coverage(roster, out) + shift_chart(roster, out)
