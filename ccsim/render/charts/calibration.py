"""Charts of calibration: the fitted distributions against the log, and the back-test's
simulated day against the observed one."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .style import PALETTE, SIZE, STYLE, colors, num, save


def calibration_fit(
    report: dict, samples: dict, survival: dict, out: Path, name: str
) -> list[Path]:
    """Handle times against the fitted lognormal; patience: Kaplan-Meier against exponential."""
    segs = list(report["segments"])
    col = colors(segs)
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
        return save(fig, out, name)


def _norm_ppf(q):
    from scipy.stats import norm

    return norm.ppf(q)


def backtest_chart(js: dict, out: Path, name: str = "backtest") -> list[Path]:
    """Observed against simulated, per interval (or hour): abandonment, ASA, SL, P(wait);
    the simulation's 95% band when the back-test has one (a day's replications; a
    month's prediction pools its days and has none)."""
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
            sim_m = np.array([num(r[mtr]["simulated"]) for r in rows]) * scale
            obs = np.array([num(r[mtr]["observed"]) for r in rows]) * scale
            band = all("ci95" in r[mtr] for r in rows)
            if band:
                lo = np.array([num(r[mtr]["ci95"][0]) for r in rows]) * scale
                hi = np.array([num(r[mtr]["ci95"][1]) for r in rows]) * scale
                ax.fill_between(x, lo, hi, color=PALETTE[0], alpha=0.25, lw=0)
            (a,) = ax.plot(
                x, sim_m, color=PALETTE[0], lw=2, label="simulated" + (" (95% CI)" if band else "")
            )
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
        days = f" on {len(js['dates'])} days" if js.get("dates") else ""
        fig.suptitle(
            f"Back-test{days}: abandonment {100 * ab.get('simulated_day', math.nan):.1f}% simulated "
            f"vs {100 * ab.get('observed_day', math.nan):.1f}% observed; ASA "
            f"{asa.get('simulated_day', math.nan):.0f} s vs {asa.get('observed_day', math.nan):.0f} s",
            fontsize=14,
            fontweight="bold",
        )
        return save(fig, out, name)
