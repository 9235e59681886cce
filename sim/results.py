"""Simulation results: KPIs per replication, their means with 95% CIs, JSON and CSV views."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np

from .engine.accumulators import DECLINES, RepResult
from .scenario.model import Model
from .scenario.spreadsheet_safe import neutralise
from .stats import DEFINITIONS, SL_CONVENTION_TEXT, STATISTICS, Estimate, Moments, estimate, kpis

# statistics that add up over batches (the others are ratios)
ADDITIVE = {
    "offered",
    "answered",
    "abandoned",
    "attempts",
    "accepts",
    "revenue",
    "staffing_cost",
    "abandon_cost",
    "decline_cost",
    "profit",
    "value_at_risk",
    "long_run_profit",
}


def _number(x: float) -> int | float:
    """Agents per interval: a whole number, or a mean over a roster's finer steps."""
    return int(x) if float(x).is_integer() else float(x)


def staffing_json(model: Model) -> list[int | float]:
    """Agents on the phones per interval, for JSON (means over steps with a roster)."""
    return [_number(x) for x in model.interval_staffing()]


def _decline_cost(model: Model, c: np.ndarray) -> np.ndarray:
    return (c[..., DECLINES] * model.decline_cost).sum(axis=-1)


def rep_kpis(model: Model, rep: RepResult) -> dict[str, dict]:
    """KPIs of one replication: 'summary', 'segments' (K,), 'intervals' (T,)."""
    return reps_kpis(model, [rep])[0]


def reps_kpis(model: Model, reps: list[RepResult]) -> list[dict[str, dict]]:
    """`rep_kpis` of several replications, computed at once (a worker does this for the
    replications it ran, so the parent only folds them in)."""
    if not reps:
        return []
    counts = np.stack([r.counts for r in reps])
    out = batch_kpis(
        model, counts, np.stack([r.busy for r in reps]), np.stack([r.staffed for r in reps])
    )
    cm = counts[:, model.measured].sum(axis=1)  # (R, K, F)
    segs = kpis(
        cm,
        None,
        None,
        None,
        model.abandon_cost,
        cm[..., DECLINES] * model.decline_cost,
        model.sl_convention,
    )
    return [
        {
            "summary": {s: v[i] for s, v in out["summary"].items()},
            "intervals": {s: v[i] for s, v in out["intervals"].items()},
            "segments": {s: v[i] for s, v in segs.items()},
        }
        for i in range(len(reps))
    ]


def batch_kpis(
    model: Model, counts: np.ndarray, busy: np.ndarray, staffed: np.ndarray
) -> dict[str, dict]:
    """KPIs of R replications at once: 'summary' (R,) and 'intervals' (R, T), from
    stacked accumulators `counts` (R, T, K, F), `busy` and `staffed` (R, T+1)."""
    meas = model.measured
    T = model.n_intervals
    cost_t = model.staffing_cost()
    intervals = kpis(
        counts.sum(axis=2),
        busy[:, :T],
        staffed[:, :T],
        np.broadcast_to(cost_t, (len(counts), T)),
        model.abandon_cost,
        _decline_cost(model, counts),
        model.sl_convention,
    )
    cm = counts[:, meas]
    summary = kpis(
        cm.sum(axis=(1, 2)),
        busy[:, :T][:, meas].sum(axis=1),
        staffed[:, :T][:, meas].sum(axis=1),
        np.full(len(counts), cost_t[meas].sum()),
        model.abandon_cost,
        _decline_cost(model, cm).sum(axis=1),
        model.sl_convention,
    )
    return {"summary": summary, "intervals": intervals}


@dataclass
class SimResult:
    """Means and 95% confidence intervals of every statistic, by day, segment and interval."""

    model: Model
    summary: dict[str, Estimate]
    segments: dict[str, dict[str, Estimate]]
    intervals: list[dict[str, Estimate]]
    samples: dict[str, np.ndarray]  # summary KPI per replication (for paired differences)
    reps: list[RepResult] = field(repr=False, default_factory=list)  # only if kept
    meta: dict = field(default_factory=dict)
    hist: np.ndarray | None = field(repr=False, default=None)  # waits, summed over reps

    def to_json(self) -> dict:
        m = self.model
        starts = m.interval_starts_clock() if not m.steady else m.boundaries[:-1]
        intervals = []
        staffing = m.interval_staffing()
        for t, est in enumerate(self.intervals):
            row = {
                "start": float(starts[t]),
                "label": m.interval_label(t),
                "measured": bool(m.measured[t]),
                "staffing": _number(staffing[t]),
            }
            row.update({k: v.to_json() for k, v in est.items()})
            intervals.append(row)
        return {
            "scenario": m.name,
            "meta": self.meta,
            "definitions": {
                **DEFINITIONS,
                "service_level": f"{SL_CONVENTION_TEXT[m.sl_convention]}, T = {m.sl_within:g} s",
            },
            "summary": {k: v.to_json() for k, v in self.summary.items()},
            "segments": {
                name: {k: v.to_json() for k, v in est.items()}
                for name, est in self.segments.items()
            },
            "intervals": intervals,
        }

    def intervals_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(
            ["interval", "start", "staffing"]
            + [f"{s}{suf}" for s in STATISTICS for suf in ("", "_lo", "_hi")]
        )
        js = self.to_json()
        for row in js["intervals"]:
            w.writerow([row["label"], row["start"], row["staffing"]] + _flat(row))
        w.writerow(["day", "", ""] + _flat(js["summary"]))
        return buf.getvalue()

    def segments_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["segment"] + [f"{s}{suf}" for s in STATISTICS for suf in ("", "_lo", "_hi")])
        for name, est in self.to_json()["segments"].items():
            w.writerow([neutralise(name)] + _flat(est))
        return buf.getvalue()


def _flat(d: dict) -> list:
    out = []
    for s in STATISTICS:
        v = d[s]
        out += ["" if x is None else f"{x:.6g}" for x in (v["mean"], *v["ci95"])]
    return out


def aggregate(model: Model, reps: list[RepResult], meta: dict | None = None) -> SimResult:
    """Average KPIs over replications (or, for one steady-state run, over batches)."""
    acc = Accumulator(model, keep_reps=True)
    for r in reps:
        acc.add(r)
    return acc.result(meta)


class Accumulator:
    """Replications folded in as they finish, in constant memory: running moments of every
    interval and segment statistic, the day's statistics per replication (a few numbers,
    for paired differences) and the summed waiting-time histogram; the raw accumulators
    only if asked (`keep_reps`). Replications are folded in index order (early arrivals
    wait in a small buffer), so the numbers do not depend on the number of workers."""

    def __init__(self, model: Model, keep_reps: bool = False, first: int = 0):
        self.model = model
        self.keep_reps = keep_reps
        S, T, K = len(STATISTICS), model.n_intervals, model.n_segments
        self._intervals = Moments((S, T))
        self._segments = Moments((S, K))
        self._summary: list[np.ndarray] = []
        self._first_intervals: dict | None = None  # one steady-state run: batch means
        self._reps: list[RepResult] = []
        self._waiting: dict[int, tuple[dict, RepResult | None]] = {}
        self._seen: set[int] = set()
        self._next = first
        self.hist: np.ndarray | None = None
        self.calls = 0

    def add(self, rep: RepResult, index: int | None = None, kpis: dict | None = None) -> None:
        """Fold in replication `index` (any order; folded in index order), with its
        `rep_kpis` when the worker computed them."""
        i = self._next + len(self._waiting) if index is None else index
        self.add_totals(rep.hist, rep.calls)
        k = rep_kpis(self.model, rep) if kpis is None else kpis
        self._queue(i, k, rep if self.keep_reps else None)

    def add_totals(self, hist: np.ndarray, calls: int) -> None:
        """The waiting-time histogram and calls of replications whose KPIs come apart
        (`add_kpis`), summed by the worker that ran them."""
        self.hist = hist.copy() if self.hist is None else self.hist + hist
        self.calls += calls

    def add_kpis(self, index: int, kpis: dict) -> None:
        """Fold in replication `index` from its `rep_kpis` alone (no raw accumulators)."""
        self._queue(index, kpis, None)

    def _queue(self, i: int, k: dict, rep: RepResult | None) -> None:
        self._seen.add(i)
        self._waiting[i] = (k, rep)
        while self._next in self._waiting:
            k, r = self._waiting.pop(self._next)
            self._fold(k, r)
            self._next += 1

    def _fold(self, k: dict, rep: RepResult | None) -> None:
        self._intervals.add(np.stack([k["intervals"][s] for s in STATISTICS]))
        self._segments.add(np.stack([k["segments"][s] for s in STATISTICS]))
        self._summary.append(np.array([k["summary"][s] for s in STATISTICS], dtype=float))
        if self._first_intervals is None:
            self._first_intervals = k["intervals"]
        if rep is not None:
            self._reps.append(rep)

    def __contains__(self, index: int) -> bool:
        return index in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def result(self, meta: dict | None = None) -> SimResult:
        if self._waiting:  # a gap in the indices: fold the rest in order
            for i in sorted(self._waiting):
                self._fold(*self._waiting.pop(i))
        model = self.model
        R = len(self._summary)
        day = np.stack(self._summary) if R else np.zeros((0, len(STATISTICS)))
        samples = {s: day[:, j] for j, s in enumerate(STATISTICS)}
        if model.steady and R == 1:
            # batch means: the measured batches act as (nearly independent) replications
            meas = model.measured
            assert self._first_intervals is not None  # kept for steady-state runs
            B = int(meas.sum())
            summary = {}
            for s in STATISTICS:
                col = self._first_intervals[s][meas]
                e = estimate(col)
                if s in ADDITIVE:
                    e = Estimate(e.mean * B, e.lo * B, e.hi * B, e.n, e.se * B)
                summary[s] = e
                samples[s] = col * (B if s in ADDITIVE else 1)
        else:
            summary = {s: estimate(samples[s]) for s in STATISTICS}
        T, K = model.n_intervals, model.n_segments
        ints = self._intervals.estimates()
        segs = self._segments.estimates()
        intervals = [{s: ints[j * T + t] for j, s in enumerate(STATISTICS)} for t in range(T)]
        segments = {
            name: {s: segs[j * K + k] for j, s in enumerate(STATISTICS)}
            for k, name in enumerate(model.segments)
        }
        meta = dict(meta or {})
        meta.setdefault("replications", R)
        meta["calls_simulated"] = int(self.calls)
        meta["service_level_definition"] = (
            f"{SL_CONVENTION_TEXT[model.sl_convention]}, T = {model.sl_within:g} s"
        )
        meta["ci"] = (
            "95% Student-t over batches of one run"
            if model.steady and R == 1
            else "95% Student-t over replications"
        )
        return SimResult(model, summary, segments, intervals, samples, self._reps, meta, self.hist)


def selling_value(with_offers: SimResult, without: SimResult) -> dict:
    """What cross-selling earns: a plan against the same plan without offers on the same
    seeds, paired: profit (revenue minus the service cost selling causes), revenue, and
    the extra abandonment and decline costs ('service_cost'); JSON-ready."""
    out = {s: paired_difference(without, with_offers, s).to_json() for s in ("profit", "revenue")}
    cost = sum(
        with_offers.samples[s] - without.samples[s] for s in ("abandon_cost", "decline_cost")
    )
    out["service_cost"] = estimate(cost).to_json()
    return out


def joint_selling_value(selling: SimResult, no_sell: SimResult) -> dict:
    """What selling is worth when staffing is decided with it: the best plan against the
    best plan that never offers (each with its own staffing), paired on the same seeds.
    Profit difference = revenue - extra staffing cost - extra abandonment and decline
    costs; each part is reported with its CI. JSON-ready."""
    out = {
        s: paired_difference(no_sell, selling, s).to_json()
        for s in ("profit", "revenue", "staffing_cost")
    }
    cost = sum(selling.samples[s] - no_sell.samples[s] for s in ("abandon_cost", "decline_cost"))
    out["service_cost"] = estimate(cost).to_json()
    return out


def paired_difference(a: SimResult, b: SimResult, stat: str) -> Estimate:
    """Mean and CI of b - a per replication (same seeds, so the pairing removes noise)."""
    d = b.samples[stat] - a.samples[stat]
    return estimate(d) if len(d) > 1 else Estimate(float(d[0]), math.nan, math.nan, 1)
