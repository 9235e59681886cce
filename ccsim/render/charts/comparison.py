"""The comparison's charts, drawn from compare.json only: profit against service, the
day by interval, cross-selling by segment, the threshold heat map, waiting times; and
the set `draw_all` writes."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..numbers import signed, value
from ..summary import worst_interval
from .customer import offers_by_wait, profit_vs_value_at_risk
from .findings import interval_plans, legend_name, richer_unmet
from .style import SIZE, STYLE, colors, gid_bars, num, plan_point, save


def profit_vs(js: dict, stat: str, out: Path) -> list[Path]:
    """Each alternative a point with 95% CI bars (hollow when it does not meet every
    target); the frontier as a line; the target marked."""
    alts = js["alternatives"]
    names = list(alts)
    col = colors(names)
    pct = stat == "service_level"
    scale = 100 if pct else 1
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        xs = []
        for n in names:
            s = alts[n]["summary"]
            x, _ = plan_point(
                ax, s[stat], s["profit"], scale, col[n], legend_name(js, n), n,
                hollow=alts[n]["verdict"] != "met",
            )  # fmt: skip
            xs.append(x)
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
            xs += [p[stat] * scale for p in fr]
        target = js["targets"]["service_level"] if pct else js["targets"]["max_asa"]
        if target is not None:
            shown = [x for x in xs if math.isfinite(x)]
            # an ASA target far beyond every plan would leave most of the chart empty:
            # named in the legend, not drawn
            far = not pct and shown and target > 2.5 * max(shown)
            label = (
                f"target: {'SL' if pct else 'ASA'} {'>=' if pct else '<='} "
                f"{target * scale:g}{'%' if pct else ' s'}"
            )
            if far:  # in the legend only: the axis stays on the plans
                ax.plot([], [], color="#D55E00", ls="--", lw=1.5, label=label + " (off the chart)")
            else:
                ax.axvline(target * scale, color="#D55E00", ls="--", lw=1.5, label=label).set_gid(
                    "series:target"
                )
        ax.set_title(_profit_finding(js) if pct else _asa_finding(js))
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
        return save(fig, out, "profit_vs_service_level" if pct else "profit_vs_asa")


def _profit_finding(js: dict) -> str:
    """The recommendation, and every plan that earns more without meeting the targets."""
    alts, base, rec = js["alternatives"], js["baseline"], js["recommendation"]
    if rec is None:
        return "No plan meets every target at 95% confidence: none is recommended"
    if rec == base:
        head = "The scenario's own plan earns the most of the plans that meet every target"
    else:
        d = alts[rec]["difference"]
        gain = num(d["profit"]["mean"]) if d else 0.0
        head = f"'{rec}' earns {signed(gain)} a day more than the scenario's plan, targets met"
    return head + richer_unmet(js, rec)


def _asa_finding(js: dict) -> str:
    """How long answered callers wait under each plan, against the ASA target."""
    asa = {n: num(a["summary"]["asa"]["mean"]) for n, a in js["alternatives"].items()}
    asa = {n: v for n, v in asa.items() if math.isfinite(v)}
    if not asa:
        return "No plan answers a call: no ASA to show"
    lo, hi = min(asa, key=asa.__getitem__), max(asa, key=asa.__getitem__)
    target = js["targets"]["max_asa"]
    spread = (
        f"Answered callers wait {asa[lo]:.1f} s on average under '{lo}'"
        if lo == hi
        else f"Answered callers wait {asa[lo]:.1f} s ('{lo}') to {asa[hi]:.1f} s ('{hi}') on average"
    )
    return spread + (f"; the ASA target is {target:g} s" if target is not None else "")


def intervals(js: dict, out: Path) -> list[Path]:
    """Forecast calls and staffing per interval (top); service level against target (bottom)."""
    alts = js["alternatives"]
    meas = np.array(js["measured"], bool)
    x = np.arange(len(js["interval_labels"]))[meas]
    lab = [lbl for lbl, m in zip(js["interval_labels"], meas, strict=True) if m]
    show = interval_plans(js)
    col = colors(list(alts))
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
        _calls_and_agents(ax1, js, x, show, col)
        for n in show:
            sl = [num(alts[n]["intervals"][i]["service_level"]["mean"]) * 100 for i in x]
            (ln,) = ax2.plot(x, sl, "o-", color=col[n], ms=4, label=f"SL: {n}")
            ln.set_gid(f"series:service_level:{n}")
        if target is not None:
            ax2.axhline(
                target * 100, color="#D55E00", ls="--", label=f"target {target:.0%}"
            ).set_gid("series:target")
        ax2.set_ylabel("Service level (%)")
        ax2.set_xlabel("Interval start")
        step = max(1, math.ceil(len(x) / 12))
        ax2.set_xticks(x[::step], lab[::step], rotation=0)
        ax2.legend(loc="upper left", bbox_to_anchor=(1.07, 1.0), fontsize=9, frameon=False)
        ax1.set_title(_intervals_finding(js, show))
        return save(fig, out, "intervals")


def _calls_and_agents(ax1, js: dict, x: np.ndarray, show: list[str], col: dict) -> None:
    """The top panel: calls offered as bars, each plan's agents as a step line."""
    alts, base = js["alternatives"], js["baseline"]
    offered = [num(alts[base]["intervals"][i]["offered"]["mean"]) for i in x]
    bars = ax1.bar(x, offered, color="#cccccc", label="calls offered (forecast)")
    gid_bars(bars, "series:offered")
    ax1.set_ylabel("Calls per interval")
    ax1b = ax1.twinx()
    for n in show[1:] + show[:1]:  # the baseline last, dashed, on top
        (ln,) = ax1b.step(
            x,
            [alts[n]["plan"]["staffing"][i] for i in x],
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
        h1 + h2, l1 + l2, loc="upper left", bbox_to_anchor=(1.07, 1.0), fontsize=9, frameon=False
    )


def _intervals_finding(js: dict, show: list[str]) -> str:
    """Service level by interval for every plan drawn: with a per-interval target, the
    intervals missed and borderline (the verdict's count); with a day target, each
    plan's lowest interval (a day target allows some intervals below it)."""
    alts = js["alternatives"]
    target = js["targets"]["service_level"]
    n_int = int(np.sum(js["measured"]))
    if target is None:
        return "Calls, agents and service level by interval"
    per_interval = next(
        (c for c in alts[show[0]].get("checks") or [] if c["statistic"] == "service_level"
         and "intervals" in c),
        None,
    )  # fmt: skip
    if per_interval is not None:
        parts = []
        for n in show:
            c = next(c for c in alts[n]["checks"] if c["target"] == per_interval["target"])
            k = c.get("intervals") or {}
            parts.append(
                f"'{n}' misses it in {k.get('missed', 0)}, borderline in {k.get('borderline', 0)}"
            )
        floor = per_interval["target"] != "service_level"  # a floor beside a day target
        what = (
            f"SL floor {per_interval['limit']:.0%} in every interval (day target {target:.0%})"
            if floor
            else f"Service level target {target:.0%} in every interval"
        )
        return f"{what}, of {n_int}: " + "; ".join(parts)
    parts = []
    for n in show:
        w = worst_interval(alts[n]["intervals"], js["measured"], "service_level", True)
        if w:
            parts.append(f"{value(w[1], 'pct')} at {w[0]} under '{n}'")
    return f"Day target SL {target:.0%}; lowest interval " + ", ".join(parts)


def cross_sell(js: dict, out: Path) -> list[Path]:
    """Attempts, conversion and revenue by segment, one bar per alternative."""
    alts = js["alternatives"]
    names = list(alts)
    segs = js["segments"]
    col = colors(names)
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
                vals = [num(alts[n]["segments"][s][stat]["mean"]) * scale for s in segs]
                bars = ax.bar(
                    np.arange(len(segs)) + (i - (len(names) - 1) / 2) * width,
                    vals,
                    width,
                    color=col[n],
                    label=n,
                )
                gid_bars(bars, f"series:{stat}:{n}")
            ax.set_xticks(np.arange(len(segs)), segs)
            ax.set_ylabel(title)
        axes[0].legend(fontsize=9)
        rec = js["recommendation"] or js["baseline"]
        rev = {s: num(alts[rec]["segments"][s]["revenue"]["mean"]) for s in segs}
        total = sum(v for v in rev.values() if math.isfinite(v))
        top = max(rev, key=lambda s: rev[s] if math.isfinite(rev[s]) else -1)
        fig.suptitle(
            f"'{top}' brings {100 * rev[top] / total:.0f}% of cross-sell revenue under '{rec}'"
            if total > 0
            else "No cross-sell revenue in any alternative",
            fontsize=14,
            fontweight="bold",
        )
        return save(fig, out, "cross_sell")


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
                f"{g['segments'][1]} {vals[j]} ({P[i, j]:,.0f} a day; targets judged on "
                f"{g['replications']} replications a cell)",
                fontsize=13,
            )
        else:
            ax.set_title("No cell of the threshold grid meets every target")
        return save(fig, out, "threshold_heatmap")


def waiting_time(js: dict, out: Path) -> list[Path]:
    """P(wait <= t) of answered callers by segment, under the recommended alternative."""
    rec = js["recommendation"] or js["baseline"]
    w = js["alternatives"][rec]["waiting"]
    T = js["targets"]["within"]
    col = colors(js["segments"])
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
        sl = num(js["alternatives"][rec]["summary"]["service_level"]["mean"])
        ax.set_title(
            f"Of the callers answered under '{rec}', the share who waited at most {T:g} s: "
            + ", ".join(parts)
            + f" (service level, which also counts callers who hung up, is {value(sl, 'pct')})"
        )
        return save(fig, out, "waiting_time")


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
    without one), the day by interval a day (not a steady state), the cross-sell chart
    an offer."""
    out = Path(out)
    trade_off = len(js["alternatives"]) > 1 or bool(js.get("frontier"))
    paths: list[Path] = []
    c = js.get("customer") or {}
    steady = any(lbl.startswith("batch") for lbl in js["interval_labels"])
    offers = any(
        (a["summary"].get("attempts") or {}).get("mean") for a in js["alternatives"].values()
    )
    for name, draw in _DRAWERS.items():
        if name.startswith("profit_vs") and not trade_off:
            continue
        # a steady state has batches, not a day; a day without offers no selling to show
        if (name == "intervals" and steady) or (name == "cross_sell" and not offers):
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
