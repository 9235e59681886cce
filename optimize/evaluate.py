"""Judging a plan by simulation: common random numbers, targets, paired comparisons.

Every plan is simulated on the same replications (same seeds, so the same callers); the
difference between two plans is then a paired difference with small variance. Workers
keep the customer streams they have drawn, so a search that simulates a thousand plans
draws each replication's callers once per worker.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim import Executor, InProcess, Model
from sim.engine_fast import run_fast
from sim.engine_simpy import run_simpy
from sim.results import rep_kpis
from sim.stream import customer_stream

from .plan import Plan

_STREAMS: OrderedDict = OrderedDict()
_CACHE_CALLS = 4_000_000  # callers kept per worker process
_cached_calls = 0


@dataclass(frozen=True)
class Targets:
    """The constraints a plan must meet (on the simulation estimate)."""

    sl_fraction: float | None = None
    sl_per: str = "day"
    max_abandon: float | None = None
    max_asa: float | None = None

    @classmethod
    def from_model(cls, model: Model) -> Targets:
        sc = model.scenario
        if sc is None:
            return cls()
        t = sc.targets
        sl = t.service_level
        return cls(
            sl.fraction if sl else None, sl.per if sl else "day", t.max_abandon_rate, t.max_asa
        )

    def margins(
        self, service_level: float, interval_sl, abandon_rate: float, asa: float
    ) -> dict[str, float]:
        """Slack of each target (>= 0: met) from mean figures; `interval_sl` holds the
        measured intervals' service levels (NaN where no call was answered)."""
        out = {}
        if self.sl_fraction is not None:
            if self.sl_per == "interval":
                sl = np.asarray(interval_sl, float)
                sl = sl[np.isfinite(sl)]
                out["service_level"] = float(sl.min() - self.sl_fraction) if len(sl) else 0.0
            else:
                out["service_level"] = float(service_level - self.sl_fraction)
        if self.max_abandon is not None:
            out["abandon_rate"] = float(self.max_abandon - abandon_rate)
        if self.max_asa is not None:  # no answered call at all counts as missing the target
            out["asa"] = float(self.max_asa - asa) if math.isfinite(asa) else -math.inf
        return out

    def margins_of(self, res) -> dict[str, float]:
        """`margins` of a simulation result (a `sim.SimResult`)."""
        s = res.summary
        sl = [
            e["service_level"].mean
            for e, m in zip(res.intervals, res.model.measured, strict=True)
            if m
        ]
        return self.margins(s["service_level"].mean, sl, s["abandon_rate"].mean, s["asa"].mean)

    def describe(self, within: float) -> list[str]:
        out = []
        if self.sl_fraction is not None:
            out.append(
                f"service level >= {self.sl_fraction:.0%} within {within:g}s "
                f"({'every interval' if self.sl_per == 'interval' else 'day'})"
            )
        if self.max_abandon is not None:
            out.append(f"abandonment <= {self.max_abandon:.1%}")
        if self.max_asa is not None:
            out.append(f"ASA <= {self.max_asa:g}s")
        return out


@dataclass
class Evaluation:
    plan: Plan
    samples: dict[str, np.ndarray]  # summary KPI per replication
    interval_sl: np.ndarray  # (R, T) service level per interval and replication
    margins: dict[str, float] = field(default_factory=dict)  # slack of each target (>= 0 ok)
    calls: int = 0

    @property
    def profit(self) -> float:
        return float(np.mean(self.samples["profit"]))

    @property
    def feasible(self) -> bool:
        return all(m >= 0 for m in self.margins.values())

    def mean(self, stat: str) -> float:
        return float(np.nanmean(self.samples[stat]))


def stream_key(model: Model, seed: int) -> str:
    """What the customer stream depends on (not staffing, not policy)."""
    h = hashlib.sha256()
    for a in (model.boundaries, model.rates, model.eligible, model.accept):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(
        pickle.dumps(
            [
                (s.kind, s.mean, s.a, s.b)
                for s in model.handle + model.patience + model.offer + model.close
            ]
        )
    )
    h.update(f"{model.forecast_cv}|{seed}".encode())
    return h.hexdigest()


def _chunks(model: Model, key: str, seed: int, rep: int):
    global _cached_calls
    k = (key, rep)
    if k in _STREAMS:
        _STREAMS.move_to_end(k)
        return _STREAMS[k]
    chunks = list(customer_stream(model, seed, rep))
    n = sum(len(c) for c in chunks)
    if n <= _CACHE_CALLS:
        _STREAMS[k] = chunks
        _cached_calls += n
        while _cached_calls > _CACHE_CALLS and len(_STREAMS) > 1:
            _, old = _STREAMS.popitem(last=False)
            _cached_calls -= sum(len(c) for c in old)
    return chunks


def _evaluate_task(args) -> tuple[dict, np.ndarray, int]:
    model, plan, key, seed, reps, engine = args
    m = plan.apply(model)
    run = run_fast if engine == "fast" else run_simpy
    per = []
    calls = 0
    for r in reps:
        res, _ = run(m, _chunks(model, key, seed, r))
        calls += res.calls
        per.append(rep_kpis(m, res))
    samples = {
        s: np.array([p["summary"][s] for p in per], dtype=float)
        for s in (
            "profit",
            "service_level",
            "abandon_rate",
            "asa",
            "revenue",
            "staffing_cost",
            "attempts",
            "occupancy",
            "mean_wait",
            "p_wait",
        )
    }
    interval_sl = np.stack([p["intervals"]["service_level"] for p in per])
    return samples, interval_sl, calls


class Evaluator:
    """Simulates plans on a fixed set of replications (common random numbers)."""

    def __init__(
        self,
        model: Model,
        targets: Targets,
        replications: int,
        seed: int,
        executor: Executor | None = None,
        engine: str = "fast",
        first_rep: int = 0,
        checkpoint: Path | None = None,
    ):
        self.model = model
        self.targets = targets
        self.reps = list(range(first_rep, first_rep + replications))
        self.seed = seed
        self.executor = executor or InProcess()
        self.engine = engine
        self.key = stream_key(model, seed)
        self.evaluations = 0
        self.calls = 0
        self._memo: dict[Plan, Evaluation] = {}
        # evaluated plans survive an interruption: the search is deterministic, so a rerun
        # replays it and finds every plan it had judged already
        self.checkpoint = checkpoint
        self._saved_at = time.monotonic()
        self.resumed = 0
        if checkpoint is not None and checkpoint.exists():
            try:
                with checkpoint.open("rb") as fh:
                    self._memo = pickle.load(fh)
                self.resumed = len(self._memo)
            except (OSError, pickle.UnpicklingError, EOFError):
                self._memo = {}

    def _margins(self, samples: dict, interval_sl: np.ndarray) -> dict[str, float]:
        meas = self.model.measured
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no calls there
            per_interval = np.nanmean(interval_sl[:, meas], axis=0)
            return self.targets.margins(
                np.nanmean(samples["service_level"]),
                per_interval,
                np.nanmean(samples["abandon_rate"]),
                np.nanmean(samples["asa"]),
            )

    def evaluate_many(self, plans: list[Plan]) -> list[Evaluation]:
        todo = [p for p in dict.fromkeys(plans) if p not in self._memo]
        if todo:
            groups = self._split(todo)
            tasks = [(self.model, p, self.key, self.seed, reps, self.engine) for p, reps in groups]
            parts: dict[int, tuple] = dict(self.executor.imap(_evaluate_task, tasks))
            for p in todo:
                idx = [i for i, (q, _) in enumerate(groups) if q == p]
                samples = {
                    s: np.concatenate([parts[i][0][s] for i in idx]) for s in parts[idx[0]][0]
                }
                isl = np.concatenate([parts[i][1] for i in idx])
                calls = sum(parts[i][2] for i in idx)
                self._memo[p] = Evaluation(p, samples, isl, self._margins(samples, isl), calls)
                self.evaluations += 1
                self.calls += calls
            if self.checkpoint is not None and time.monotonic() - self._saved_at > 5.0:
                self.save()
        return [self._memo[p] for p in plans]

    def save(self) -> None:
        """Write the evaluated plans to the checkpoint file (atomically)."""
        if self.checkpoint is None:
            return
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.checkpoint.with_name(self.checkpoint.name + ".part")
        with tmp.open("wb") as fh:
            pickle.dump(self._memo, fh)
        os.replace(tmp, self.checkpoint)
        self._saved_at = time.monotonic()

    def evaluate(self, plan: Plan) -> Evaluation:
        return self.evaluate_many([plan])[0]

    def _split(self, plans: list[Plan]) -> list[tuple[Plan, list[int]]]:
        """One task per plan, or per replication block when there are few plans."""
        w = max(1, self.executor.workers)
        if len(plans) >= w or len(self.reps) < 2:
            return [(p, self.reps) for p in plans]
        blocks = np.array_split(np.asarray(self.reps), min(len(self.reps), -(-w // len(plans))))
        return [(p, [int(r) for r in b]) for p in plans for b in blocks if len(b)]


def paired(a: Evaluation, b: Evaluation, stat: str = "profit") -> tuple[float, float]:
    """Mean and standard error of b - a over the common replications."""
    d = b.samples[stat] - a.samples[stat]
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return float(d.mean()) if len(d) else math.nan, math.nan
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))
