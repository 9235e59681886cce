"""Predicting another month: a fitted scenario, another log's volumes and staffing.

The planner's question: fitted on last month, with next month's volumes and agents,
what service will we get? `predict_month` takes the fitted scenario's segments and
distributions (handle times, patience), and from the other log each observed day's own
calls per interval and segment and its own staffing estimate; it simulates every day
and compares with that log's observed KPIs. A day's calls are replayed as counts (each
interval gets exactly its logged number of calls of each segment, at uniform times: the
Poisson day given its counts), so the simulation has the logged day's volumes, not new
Poisson counts around them.

Both sides are pooled the same way: counts are summed over days (and replications) and
rates are ratios of the sums, per interval or per hour, with the same formulas
(`sim.stats.kpis`). The *noise floor* is what a perfect model would still miss: the
observed month is a sample of days, so its pooled rates differ from their expectation;
resampling the observed days (bootstrap) measures by how much. That resampling also
moves each day's volumes and staffing, which the prediction takes as given; so a second
estimate, the *model noise floor*, is reported beside it: the spread of one simulated
month (one replication of every day, as the log is one realization of each day) around
the model's expectation.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..engine.accumulators import (
    ABANDONED,
    ABN_T,
    ANS_T,
    ANSWERED,
    NFIELDS,
    OFFERED,
    WAIT_ALL,
    WAIT_ANS,
    WAITED,
)
from ..runner import simulate
from ..scenario.errors import ScenarioError
from ..scenario.model import Model
from ..scenario.units import format_clock
from ..stats import kpis
from .fit import agents_by_day, select_days
from .logs import CallLog

METRICS = ("abandon_rate", "service_level", "asa", "p_wait")
NOISE_RESAMPLES = 200


@dataclass
class MonthData:
    """The other log on the fitted scenario's intervals and segments."""

    dates: list[str]
    volumes: np.ndarray  # (days, T, K) calls
    staffing: np.ndarray  # (days, T) agents estimated
    seen: np.ndarray | None  # (days, T) agents seen serving a call (the log's own count)
    counts: np.ndarray  # (days, T, NFIELDS) observed accumulators, segments summed
    unmatched: dict[str, int]  # call types not among the fitted segments (and where they went)
    handle_mean: np.ndarray  # (K,) mean handle time of the month's answered calls, seconds
    handle_calls: np.ndarray  # (K,) answered calls with a handle time behind that mean


def month_data(
    model: Model,
    log: CallLog,
    days: str = "weekdays",
    staffing_method: str = "present",
    break_gap: float = 600.0,
) -> MonthData:
    """Each selected day of `log` on the model's intervals: volumes by segment, staffing
    (estimated from the log's agents: 'present' or 'seen'; or 'scenario': the model's own,
    also used when the log has no agent column), and the observed counts behind the KPIs."""
    if model.steady:
        raise ScenarioError("a back-test needs a day scenario", file=model.source)
    sel = select_days(log, days)
    lo = model.clock_start
    L = float(model.interval_lengths[0])
    T = model.n_intervals
    inside = (sel.arrival >= lo) & (sel.arrival < lo + T * L)
    sel = sel.select(inside)
    if len(sel) == 0:
        raise ScenarioError("no calls inside the scenario's day", file=log.source)
    itv = ((sel.arrival - lo) // L).astype(int)
    dates, day_idx = np.unique(sel.day, return_inverse=True)
    n_days = len(dates)
    # call types: the fitted segments; others into 'other' when the scenario has one
    seg = sel.segment.astype(str)
    names = list(model.segments)
    unmatched: dict[str, int] = {}
    k_of = np.full(len(seg), -1)
    for i, name in enumerate(names):
        k_of[seg == name] = i
    for s in np.unique(seg[k_of < 0]):
        unmatched[str(s)] = int((seg == s).sum())
    if unmatched and "other" in names:
        k_of[k_of < 0] = names.index("other")
    elif unmatched:  # no 'other' to take them: the largest segment does
        k_of[k_of < 0] = int(np.argmax(model.rates.sum(axis=0)))
    vol = np.zeros((n_days, T, len(names)))
    np.add.at(vol, (day_idx, itv, k_of), 1)
    seen = None
    if (sel.agent != "").any():
        seen = agents_by_day(sel, day_idx, n_days, lo, L, T, "seen", break_gap)
    if staffing_method == "scenario" or seen is None:
        # the planned staffing (or a log without agents): the scenario's, every day
        staff = np.tile(model.interval_staffing(), (n_days, 1))
    elif staffing_method == "seen":
        staff = seen
    else:
        staff = agents_by_day(sel, day_idx, n_days, lo, L, T, staffing_method, break_gap)
    # observed accumulators with the engine's fields
    c = np.zeros((n_days, T, NFIELDS))
    T_sl = model.sl_within
    ans, ab, w = sel.answered, ~sel.answered, sel.wait
    for field, x in (
        (OFFERED, np.ones(len(sel))),
        (ANSWERED, ans),
        (ABANDONED, ab),
        (ANS_T, ans & (w <= T_sl)),
        (ABN_T, ab & (w <= T_sl)),
        (WAIT_ANS, np.where(ans, w, 0.0)),
        (WAIT_ALL, w),
        (WAITED, w > 0),
    ):
        np.add.at(c[:, :, field], (day_idx, itv), np.asarray(x, float))
    timed = sel.answered & np.isfinite(sel.handle) & (sel.handle > 0)
    n_h = np.bincount(k_of[timed], minlength=len(names)).astype(float)
    sum_h = np.bincount(k_of[timed], weights=sel.handle[timed], minlength=len(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        h_mean = np.where(n_h > 0, sum_h / n_h, np.nan)
    return MonthData([str(d) for d in dates], vol, staff, seen, c, unmatched, h_mean, n_h)


def day_model(
    model: Model, volumes: np.ndarray, staffing: np.ndarray, replay_counts: bool = True
) -> Model:
    """The fitted model with one day's calls per interval and segment, replayed as counts
    (the day as it happened, not new Poisson counts around it: those would add arrival
    noise the logged day did not have; `replay_counts=False` draws them, for comparison),
    and its staffing (rounded to whole agents; callers who never hang up need one at the
    end)."""
    L = model.interval_lengths[:, None]
    n = np.maximum(np.round(staffing), 0).astype(np.int64)
    if any(p.kind == "none" for p in model.patience):
        n[-1] = max(n[-1], 1)
    counts = np.round(volumes).astype(np.int64)
    out = dataclasses.replace(
        model,
        rates=counts / L,
        forecast_cv=0.0,
        arrival_counts=counts if replay_counts else None,
    )
    return out.with_plan(staffing=n)


def _groups(model: Model, by: str) -> tuple[np.ndarray, list[str]]:
    """Group index of each interval, and the groups' labels."""
    starts = model.interval_starts_clock()
    if by == "interval":
        return np.arange(model.n_intervals), [format_clock(s) for s in starts]
    if by == "hour":
        hours = (starts // 3600).astype(int)
        uniq, idx = np.unique(hours, return_inverse=True)
        return idx, [f"{h:02d}h" for h in uniq]
    raise ScenarioError(f"takes interval or hour, not {by!r}", file="--by")


def _rates(c: np.ndarray, convention: str) -> dict[str, np.ndarray]:
    k = kpis(c, None, None, None, 0.0, 0.0, convention)
    return {m: np.asarray(k[m], float) for m in METRICS}


def _grouped(c: np.ndarray, g: np.ndarray, G: int) -> np.ndarray:
    out = np.zeros((*c.shape[:-2], G, c.shape[-1]))
    for j in range(G):
        out[..., j, :] = c[..., g == j, :].sum(axis=-2)
    return out


def _errors(sim: dict, obs: dict, w: np.ndarray) -> dict[str, dict | None]:
    out: dict[str, dict | None] = {}
    for m in METRICS:
        ok = np.isfinite(sim[m]) & np.isfinite(obs[m]) & (w > 0)
        if not ok.any():
            out[m] = None
            continue
        ww = w[ok] / w[ok].sum()
        err = sim[m][ok] - obs[m][ok]
        out[m] = {"weighted_mae": float(np.abs(err) @ ww), "bias": float(err @ ww)}
    return out


def noise_floor(
    counts: np.ndarray, g: np.ndarray, G: int, convention: str, resamples: int, seed: int = 7
) -> dict[str, float | None]:
    """Weighted MAE of the pooled observed rates of resampled months (days drawn with
    replacement) against the observed month's: the error a perfect model would have."""
    rng = np.random.default_rng(seed)
    n = counts.shape[0]
    full = _grouped(counts.sum(axis=0), g, G)
    base = _rates(full, convention)
    w = full[:, OFFERED]
    maes: dict[str, list[float]] = {m: [] for m in METRICS}
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        r = _rates(_grouped(counts[pick].sum(axis=0), g, G), convention)
        e = _errors(r, base, w)
        for m in METRICS:
            if (em := e[m]) is not None:
                maes[m].append(em["weighted_mae"])
    return {m: (float(np.mean(v)) if v else None) for m, v in maes.items()}


def model_noise_floor(
    months: np.ndarray, g: np.ndarray, G: int, convention: str, w: np.ndarray
) -> dict[str, float | None]:
    """Weighted MAE of one simulated month (one replication of every day) against the mean
    of all: what a perfect model misses when the observed month is one realization of its
    days, given each day's volumes and staffing. Scaled by sqrt(R / (R - 1)) because the
    mean it is compared with includes it."""
    R = months.shape[0]
    if R < 2:
        return dict.fromkeys(METRICS)
    mean = _rates(_grouped(months.mean(axis=0), g, G), convention)
    maes: dict[str, list[float]] = {m: [] for m in METRICS}
    for r in range(R):
        e = _errors(_rates(_grouped(months[r], g, G), convention), mean, w)
        for m in METRICS:
            if (em := e[m]) is not None:
                maes[m].append(em["weighted_mae"])
    k = math.sqrt(R / (R - 1))
    return {m: (float(np.mean(v)) * k if v else None) for m, v in maes.items()}


HANDLE_LEVELS = ("fitted", "month")
MIN_HANDLE_CALLS = 30  # fewer answered calls of a type: its fitted level is kept


def predict_month(
    model: Model,
    log: CallLog,
    days: str = "weekdays",
    by: str = "hour",
    replications_per_day: int = 10,
    seed: int = 1,
    executor=None,
    staffing_method: str = "present",
    break_gap: float = 600.0,
    replay_counts: bool = True,
    handle_level: str = "fitted",
    handle_reference: dict[str, float] | None = None,
) -> dict:
    """Simulate each selected day of `log` with the fitted model and compare the pooled
    KPIs by interval or hour; see the module docstring. Returns a JSON-ready dict.

    `handle_level="month"` takes each segment's handle-time level from the month being
    predicted, as volumes and staffing already are: each segment's handle distribution
    is scaled by the month's mean handle time over the fitted month's
    (`handle_reference`, the calibration report's sample means; without it, over the
    model's mean, which a maximum-likelihood fit puts above the sample mean). The errors
    are then the model's, not the handle-time forecast's. The fitted level is run too,
    on the same seeds, and its errors are reported beside (`fitted_handle_level`): the
    difference is what forecasting AHT from the fitted month costs."""
    if handle_level not in HANDLE_LEVELS:
        raise ScenarioError(f"--handle-level takes fitted or month, not {handle_level!r}")
    data = month_data(model, log, days, staffing_method, break_gap)
    g, labels = _groups(model, by)
    R = replications_per_day
    levels = handle_levels(model, data, handle_reference)
    used = with_handle_levels(model, levels) if handle_level == "month" else model
    months, calls = _simulate_month(used, data, R, seed, executor, replay_counts)
    rows, summary = _prediction(used, data, months, g, labels)
    out = {
        "kind": "ccsim.backtest",
        "scenario": model.name,
        "log": log.source,
        "days": days,
        "dates": data.dates,
        "by": by,
        "staffing_method": staffing_method,
        "break_gap_s": break_gap,
        "replications_per_day": replications_per_day,
        "arrivals": "logged counts, uniform times in the interval"
        if replay_counts
        else "Poisson at the logged counts",
        "handle_level": handle_level,
        "handle": levels,
        "unmatched_call_types": data.unmatched,
        "pooling": "rates are ratios of counts summed over the days (observed) and over "
        "the days' replications (simulated), with the same formulas",
        "rows": rows,
        "summary": summary,
    }
    if handle_level == "month":
        f_months, f_calls = _simulate_month(model, data, R, seed, executor, replay_counts)
        out["fitted_handle_level"] = {"summary": _prediction(model, data, f_months, g, labels)[1]}
        calls += f_calls
    out["calls_simulated"] = calls
    return out


def handle_levels(
    model: Model, data: MonthData, reference: dict[str, float] | None = None
) -> dict[str, dict]:
    """Per segment: the fitted month's mean handle time (`reference`, observed; else the
    model's), the predicted month's, and the factor from one to the other (1 when the
    month has fewer than MIN_HANDLE_CALLS timed calls)."""
    out = {}
    for k, name in enumerate(model.segments):
        ref = (reference or {}).get(name)
        fitted = float(ref) if ref else float(model.handle[k].mean)
        month = float(data.handle_mean[k])
        enough = data.handle_calls[k] >= MIN_HANDLE_CALLS and fitted > 0
        out[name] = {
            "fitted_mean_s": fitted,
            "fitted_from": "the fitted month's calls" if ref else "the model",
            "month_mean_s": month if math.isfinite(month) else None,
            "calls": int(data.handle_calls[k]),
            "factor": month / fitted if enough else 1.0,
        }
    return out


def with_handle_levels(model: Model, levels: dict[str, dict]) -> Model:
    """The model with each segment's handle-time distribution scaled to the month's mean
    (its shape, the cv, kept)."""
    handle = [
        h.scaled(levels[name]["factor"])
        for name, h in zip(model.segments, model.handle, strict=True)
    ]
    return dataclasses.replace(model, handle=handle)


def _prediction(
    model: Model, data: MonthData, months: np.ndarray, g: np.ndarray, labels: list[str]
) -> tuple[list[dict], dict]:
    """Observed against simulated per group (hour or interval), and the summary errors
    with their noise floors and the pooled day."""
    G = len(labels)
    sim_counts = months.mean(axis=0)
    obs_c = _grouped(data.counts.sum(axis=0), g, G)
    sim_c = _grouped(sim_counts, g, G)
    conv = model.sl_convention
    obs, sim = _rates(obs_c, conv), _rates(sim_c, conv)
    rows = []
    for j, label in enumerate(labels):
        rows.append(
            {
                "label": label,
                "offered_observed": float(obs_c[j, OFFERED]),
                "offered_simulated": float(sim_c[j, OFFERED]),
                "agents": float(data.staffing[:, g == j].mean()),
                # the estimate beside the log's plainest count: distinct agents serving a
                # call in the interval (each counted present all interval; idle agents
                # without a call not counted)
                "agents_seen": None if data.seen is None else float(data.seen[:, g == j].mean()),
                **{m: {"observed": _num(obs[m][j]), "simulated": _num(sim[m][j])} for m in METRICS},
            }
        )
    day_obs = _rates(data.counts.sum(axis=(0, 1)), conv)
    day_sim = _rates(sim_counts.sum(axis=0), conv)
    w = obs_c[:, OFFERED]
    summary = _errors(sim, obs, w)
    floor = noise_floor(data.counts, g, G, conv, NOISE_RESAMPLES)
    floor_model = model_noise_floor(months, g, G, conv, w)
    for metric in METRICS:
        entry = summary[metric]
        if entry is not None:
            entry["noise_floor"] = floor[metric]
            entry["noise_floor_model"] = floor_model[metric]
            entry["observed_day"] = _num(day_obs[metric])
            entry["simulated_day"] = _num(day_sim[metric])
    return rows, summary


def _simulate_month(model: Model, data, R: int, seed: int, executor, replay_counts: bool):
    """Each logged day simulated R times with its own volumes and staffing; returns the
    accumulators summed over the days, per replication, and the calls simulated."""
    months = np.zeros((R, model.n_intervals, NFIELDS))  # replication r of every day
    calls = 0
    for d in range(len(data.dates)):
        m = day_model(model, data.volumes[d], data.staffing[d], replay_counts)
        if m.expected_calls() <= 0:
            continue
        res = simulate(m, replications=R, seed=seed + 7919 * d, executor=executor)
        calls += res.meta["calls_simulated"]
        months += np.stack([r.counts.sum(axis=1) for r in res.reps])
    return months, calls


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
