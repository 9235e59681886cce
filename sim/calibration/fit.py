"""Fitting a scenario's inputs to a call log.

- arrivals: mean calls per interval and segment over the selected days; the day-to-day
  spread beyond Poisson becomes the forecast-uncertainty cv:
  cv^2 = (Var(N_day) - E[N_day]) / E[N_day]^2 (0 when the days are not over-dispersed);
- handle time per segment: lognormal by maximum likelihood (mean and sd of log times),
  with the Kolmogorov-Smirnov distance as goodness of fit; or `lognormal-mean`, the
  sample mean with the maximum-likelihood shape (cv); the observed times are kept as the
  empirical alternative;
- patience per segment: exponential maximum likelihood, rate = abandonments / total time
  waited by queued callers (answered callers' waits are censored patience); Kaplan-Meier
  for the empirical form;
- staffing per interval (`agents_by_day`), averaged over the days: 'present' (default),
  agent time logged in, idle time counted unless a caller waited in it (gaps under the
  break gap always count); or 'seen', distinct agents with a call overlapping the
  interval; without an agent column, the offered work divided by an 85% occupancy;
- observed KPIs per interval, pooled over the days, for the back-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..scenario.errors import ScenarioError
from ..scenario.units import format_clock, format_duration
from .logs import CallLog

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass
class Calibration:
    scenario: dict
    observed: list[dict]
    report: dict
    handle_samples: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    survival: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False, default_factory=dict)


def select_days(log: CallLog, days: str) -> CallLog:
    d = days.strip().lower()
    if d == "all":
        return log
    if d == "weekdays":
        mask = np.isin(log.weekday, log.workweek)
    elif d == "weekends":
        mask = ~np.isin(log.weekday, log.workweek)
    else:
        wanted = [x.strip() for x in d.split(",") if x.strip()]
        names = [DAY_NAMES.index(w[:3]) for w in wanted if w[:3] in DAY_NAMES]
        dates = [w for w in wanted if w[:3] not in DAY_NAMES]
        mask = np.isin(log.weekday, names) | np.isin(log.day, dates)
    out = log.select(mask)
    if len(out) == 0:
        raise ScenarioError(f"no calls on the selected days ({days})", file=log.source)
    return out


def kaplan_meier(wait: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Survival S(t) of patience: events = abandonments, censored = answered callers."""
    order = np.argsort(wait, kind="stable")
    w, e = wait[order], event[order]
    times = np.unique(w[e])
    at_risk = len(w) - np.searchsorted(w, times, side="left")
    deaths = np.array([np.sum(e & (w == t)) for t in times])
    surv = np.cumprod(1.0 - deaths / at_risk)
    return times, surv


def km_quantiles(times, surv, mean_tail: float, n: int = 200) -> np.ndarray:
    """Patience values at n evenly spaced probabilities of the KM curve, with an
    exponential tail (mean `mean_tail`) beyond the last observed abandonment."""
    u = (np.arange(n) + 0.5) / n
    cdf = 1.0 - surv
    out = np.empty(n)
    last_t, last_cdf = (times[-1], cdf[-1]) if len(times) else (0.0, 0.0)
    for i, p in enumerate(u):
        if p <= last_cdf:
            out[i] = times[np.searchsorted(cdf, p)]
        else:  # beyond the data: exponential tail from the last point
            out[i] = last_t - mean_tail * math.log((1 - p) / max(1 - last_cdf, 1e-12))
    return np.round(out, 1)


ROUTING_DELAY = 5.0  # seconds: shorter waits are routing, not a queue an agent could take


def _anyone_waited(waits: tuple[np.ndarray, np.ndarray], t0: float, t1: float) -> bool:
    """Did a caller wait (beyond the routing delay) at some moment in (t0, t1)?"""
    return bool(np.any((waits[0] < t1) & (waits[1] > t0)))


def agents_by_day(
    sel: CallLog,
    day_idx,
    n_days: int,
    lo: float,
    interval: float,
    T: int,
    method: str,
    break_gap: float,
) -> np.ndarray:
    """Agents per day and interval (n_days, T) from who served when: 'seen' (any call in
    the interval) or 'present' (agent time logged in). An agent idle while nobody waits
    may simply have had no call, so 'present' runs across gaps shorter than break_gap and
    across longer ones in which no caller waited; before the first call and after the last
    it runs to the nearest wait (within the day). A long gap while callers waited is a
    break: an available agent would have taken them."""
    ans = sel.answered & np.isfinite(sel.handle) & (sel.agent != "")
    s0 = sel.arrival[ans] + sel.wait[ans]
    s1 = s0 + sel.handle[ans]
    days, agents = day_idx[ans], sel.agent[ans]
    edges = lo + interval * np.arange(T + 1)
    per = np.zeros((n_days, T))
    queued = sel.wait > ROUTING_DELAY
    for d in range(n_days):
        md = days == d
        qd = queued & (day_idx == d)
        waits = (sel.arrival[qd] + ROUTING_DELAY, sel.arrival[qd] + sel.wait[qd])
        for ag in np.unique(agents[md]):
            m = md & (agents == ag)
            o = np.argsort(s0[m])
            a, b = s0[m][o], s1[m][o]
            if method == "seen":
                for t in range(T):
                    per[d, t] += bool(np.any((a < edges[t + 1]) & (b > edges[t])))
                continue
            blocks = []
            bs, be = a[0], b[0]
            for x, y in zip(a[1:], b[1:], strict=True):
                if x - be < break_gap or not _anyone_waited(waits, be, x):
                    be = max(be, y)
                else:
                    blocks.append((bs, be))
                    bs, be = x, y
            blocks.append((bs, be))
            # before the first call and after the last: present back to the last wait
            # before it and on to the first wait after it (within the day)
            w0, w1 = waits
            first, last = blocks[0][0], blocks[-1][1]
            waited_before = np.minimum(w1[w0 < first], first)  # a wait up to the first call
            waited_after = np.maximum(w0[w1 > last], last)  # ... from the last call on
            blocks[0] = (max(waited_before.max(initial=lo), lo), blocks[0][1])
            blocks[-1] = (blocks[-1][0], min(waited_after.min(initial=edges[-1]), edges[-1]))
            for x, y in blocks:
                per[d] += (
                    np.clip(np.minimum(y, edges[1:]) - np.maximum(x, edges[:-1]), 0, None)
                    / interval
                )
    return per


def calibrate(
    log: CallLog,
    interval: float = 1800.0,
    days: str = "weekdays",
    min_share: float = 0.02,
    handle_form: str = "lognormal",
    patience_form: str = "exponential",
    sl_within: float = 20.0,
    name: str | None = None,
    start: float | None = None,
    end: float | None = None,
    handle_file: str | None = None,
    staffing_method: str = "present",
    break_gap: float = 600.0,
) -> Calibration:
    """A scenario fitted to the log's chosen days: volumes per interval and segment, the
    day-level forecast uncertainty, handle times and patience per segment, staffing from
    the agents in the log; and the observed KPIs per interval, for the back-test."""
    sel = select_days(log, days)
    n_days = len(np.unique(sel.day))
    # horizon: the span holding 99% of the calls, on the interval grid
    q_lo, q_hi = np.quantile(sel.arrival, [0.005, 0.995])
    lo = start if start is not None else math.floor(q_lo / interval) * interval
    hi = min(end if end is not None else math.ceil(q_hi / interval) * interval, 86400.0)
    inside = (sel.arrival >= lo) & (sel.arrival < hi)
    outside = int((~inside).sum())
    sel = sel.select(inside)
    T = int(round((hi - lo) / interval))
    itv = ((sel.arrival - lo) // interval).astype(int)
    seg, names, small = _segments(sel, min_share)
    day_ids, day_idx = np.unique(sel.day, return_inverse=True)
    totals = np.bincount(day_idx, minlength=n_days).astype(float)
    mean_n, var_n = totals.mean(), totals.var(ddof=1) if n_days > 1 else 0.0
    cv2 = (var_n - mean_n) / mean_n**2 if n_days > 1 else 0.0
    uncertainty_cv = math.sqrt(cv2) if cv2 > 0 else 0.0

    segments: dict[str, dict] = {}
    fits: dict[str, dict] = {}
    handle_samples, survival = {}, {}
    for s in names:
        m = seg == s
        c = np.zeros((n_days, T))
        np.add.at(c, (day_idx[m], itv[m]), 1)
        spec: dict = {"volume": [round(float(v), 2) for v in c.mean(axis=0)]}
        fit: dict = {"calls": int(m.sum()), "share": float(m.sum() / len(seg))}
        x, fit["handle"], spec["handle_time"] = _fit_handle(
            sel, m, s, handle_form, handle_file, log.source
        )
        fit["patience"], spec["patience"], survival[s] = _fit_patience(sel, m, patience_form)
        handle_samples[s] = x
        fits[s] = fit
        segments[s] = spec
    staffing, staff_method = _staffing(
        sel, day_idx, n_days, lo, interval, T, itv, staffing_method, break_gap
    )
    staff = np.maximum(np.round(staffing).astype(int), 0)
    staff[-1] = max(staff[-1], 1)
    observed = _observed(sel, itv, T, lo, interval, n_days, sl_within, staffing)
    scenario = _scenario(
        name or f"Calibrated from {log.source.split('/')[-1]}",
        f"{n_days} {days} days, {len(sel):,} calls offered to agents; fitted by ccsim calibrate",
        lo, interval, T, uncertainty_cv, segments, staff, sl_within,
    )  # fmt: skip
    report = {
        "source": log.source,
        "days": days,
        "n_days": n_days,
        "dates": [str(d) for d in day_ids],
        "calls": int(len(sel)),
        "outside_horizon": outside,
        "dropped": log.dropped,
        "merged_into_other": sorted(small),
        "daily_calls_mean": mean_n,
        "daily_calls_sd": math.sqrt(var_n),
        "uncertainty_cv": uncertainty_cv,
        "staffing_method": staff_method,
        "segments": fits,
    }
    return Calibration(scenario, observed, report, handle_samples, survival)


def _segments(sel: CallLog, min_share: float) -> tuple[np.ndarray, list[str], set[str]]:
    """Each call's segment, with segments below `min_share` merged into "other"; the
    names, largest first; the merged ones."""
    labels, counts = np.unique(sel.segment.astype(str), return_counts=True)
    labels = np.asarray([str(x) for x in labels], dtype=object)
    share = counts / counts.sum()
    small = {str(x) for x in labels[share < min_share]}
    seg = sel.segment.astype(str)
    if small:
        seg = np.where(np.isin(seg, list(small)), "other", seg)
    names = [str(s) for s in labels[np.argsort(-counts)] if s not in small] + (
        ["other"] if small else []
    )
    return seg, names, small


def _fit_handle(
    sel: CallLog, m: np.ndarray, s: str, form: str, handle_file: str | None, source: str
) -> tuple[np.ndarray, dict, dict]:
    """A segment's handle times: the sample, the lognormal fit (maximum likelihood, with
    its KS distance), and the scenario's spec in the form asked for."""
    x = sel.handle[m & sel.answered & np.isfinite(sel.handle)]
    if len(x) < 10:
        raise ScenarioError(
            f"segment {s!r} has only {len(x)} answered calls with a handle time", file=source
        )
    logx = np.log(x)
    mu, sigma = float(logx.mean()), float(logx.std())
    mean = math.exp(mu + sigma**2 / 2)
    cv = math.sqrt(math.expm1(sigma**2))
    ks = stats.kstest(x, "lognorm", args=(sigma, 0, math.exp(mu)))
    fit = {
        "n": int(len(x)),
        "mu": mu,
        "sigma": sigma,
        "mean_s": mean,
        "cv": cv,
        "sample_mean_s": float(x.mean()),
        "sample_cv": float(x.std() / x.mean()),
        "ks_distance": float(ks.statistic),
        "ks_p_value": float(ks.pvalue),
    }
    if form == "empirical" and handle_file:
        spec: dict = {"dist": "empirical", "file": handle_file, "column": s}
    elif form == "lognormal-mean":
        # the sample mean (it sets the load) with the maximum-likelihood shape: the MLE's
        # mean exp(mu + sigma^2/2) is pulled up by the fitted tail
        spec = {"dist": "lognormal", "mean": f"{float(x.mean()):.1f}s", "cv": round(cv, 3)}
    else:
        spec = {"dist": "lognormal", "mean": f"{mean:.1f}s", "cv": round(cv, 3)}
    return x, fit, spec


def _fit_patience(sel: CallLog, m: np.ndarray, form: str) -> tuple[dict, dict | str, tuple]:
    """A segment's patience from the callers who queued: the exponential MLE (total wait
    over abandonments, censored waits included), the Kaplan-Meier survival, the spec."""
    queued = m & (sel.wait > 0)
    ab = queued & ~sel.answered
    total_wait = float(sel.wait[queued].sum())
    n_ab = int(ab.sum())
    pat_mean = total_wait / n_ab if n_ab else math.inf
    km_t, S = kaplan_meier(sel.wait[queued], ~sel.answered[queued])
    fit = {
        "queued": int(queued.sum()),
        "abandoned": n_ab,
        "total_wait_s": total_wait,
        "exponential_mean_s": pat_mean,
        "standard_error_s": pat_mean / math.sqrt(n_ab) if n_ab else math.inf,
        "km_survival_at_60s": float(np.interp(60, km_t, S, left=1.0)) if len(km_t) else 1.0,
        "km_survival_at_180s": float(np.interp(180, km_t, S, left=1.0)) if len(km_t) else 1.0,
    }
    spec: dict | str
    if not math.isfinite(pat_mean):
        spec = "none"
    elif form == "empirical" and len(km_t):
        spec = {"dist": "empirical", "values": [f"{v:g}s" for v in km_quantiles(km_t, S, pat_mean)]}
    else:
        spec = {"dist": "exponential", "mean": f"{pat_mean:.1f}s"}
    return fit, spec, (km_t, S)


def _staffing(
    sel: CallLog, day_idx, n_days: int, lo: float, interval: float, T: int, itv: np.ndarray,
    method: str, break_gap: float,
) -> tuple[np.ndarray, str]:  # fmt: skip
    """Agents per interval from the agents in the log (or, without an agent column, the
    offered work at 85% occupancy), mean over the days; and how it was estimated."""
    if (sel.agent != "").any():
        staffing = agents_by_day(sel, day_idx, n_days, lo, interval, T, method, break_gap)
        how = (
            f"agent time present per interval / interval length, mean over the days; an "
            f"agent is present from a call's start to the next call's end when the gap is "
            f"under {break_gap / 60:g} min or no caller waited in it (else a break), and "
            f"before the first call and after the last up to the nearest wait"
            if method == "present"
            else "distinct agents seen serving calls in the interval, mean over the days"
        )
        return staffing.mean(axis=0), how
    work = np.zeros(T)
    ans = sel.answered & np.isfinite(sel.handle)
    np.add.at(work, itv[ans], sel.handle[ans])
    return (
        work / n_days / interval / 0.85,
        "offered work per interval / 85% occupancy (the log has no agent column)",
    )


def _observed(
    sel: CallLog, itv: np.ndarray, T: int, lo: float, interval: float, n_days: int,
    sl_within: float, staffing: np.ndarray,
) -> list[dict]:  # fmt: skip
    """The observed KPIs per interval, pooled over the days."""
    observed = []
    for t in range(T):
        m = itv == t
        n = int(m.sum())
        ans = m & sel.answered
        aban = m & ~sel.answered
        ans_t = int((ans & (sel.wait <= sl_within)).sum())
        aban_t = int((aban & (sel.wait <= sl_within)).sum())
        observed.append(
            {
                "start": lo + t * interval,
                "label": format_clock(lo + t * interval),
                "days": n_days,
                "offered": n / n_days,
                "abandon_rate": float(aban.sum() / n) if n else None,
                "asa": float(sel.wait[ans].mean()) if ans.any() else None,
                "service_level": float(ans_t / (n - aban_t)) if n - aban_t > 0 else None,
                "p_wait": float((sel.wait[m] > 0).mean()) if n else None,
                "staffing_estimate": float(staffing[t]),
            }
        )
    return observed


def _scenario(
    name: str, description: str, lo: float, interval: float, T: int, uncertainty_cv: float,
    segments: dict, staff: np.ndarray, sl_within: float,
) -> dict:  # fmt: skip
    """The fitted scenario file's content; costs, targets and cross-sell are the
    planner's to fill in (a call log has none)."""
    return {
        "name": name,
        "description": description,
        "horizon": {
            "start": format_clock(lo),
            "interval": format_duration(interval),
            "intervals": T,
        },
        "forecast": {"uncertainty_cv": round(uncertainty_cv, 4)},
        "segments": segments,
        "staffing": [int(x) for x in staff],
        "policy": {"cross_sell": "never"},
        "costs": {"agent_per_hour": 0, "shrinkage": 0, "abandoned_call": 0},
        "targets": {"service_level": {"within": f"{sl_within:g}s", "fraction": 0.8, "per": "day"}},
        "simulation": {"replications": 20, "seed": 1},
    }
