"""Judging a plan by simulation: common random numbers, targets, paired comparisons.

Every plan is simulated on the same replications (same seeds, so the same callers); the
difference between two plans is then a paired difference with small variance. Workers
keep the customer streams they have drawn in a `StreamCache`, so a search that
simulates a thousand plans draws each replication's callers once per worker.

Targets are judged by `sim.targets` (the one rule of every command): during the search a
plan counts as feasible when every target is "met" on the search's own replications at
the search confidence.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from ccsim.sim import Executor, InProcess, Model
from ccsim.sim.checkpoint import discard, load_arrays, save_arrays
from ccsim.sim.engine.coupling import changed_steps
from ccsim.sim.engine.fast import arrivals_of, engine_plan, run_fast
from ccsim.sim.engine.reference import run_simpy
from ccsim.sim.engine.stream import customer_stream
from ccsim.sim.engine.trajectory import join_chunks
from ccsim.sim.engine.window import WindowRunner
from ccsim.sim.results import batch_kpis
from ccsim.sim.scenario.targets import Judgement, Targets, sample_stats

from .plan import Plan, SearchPlan
from .segments import DAY_STATS, INTERVAL_STATS, merge_segment, segment_arrays

__all__ = ["Evaluation", "Evaluator", "StreamCache", "Targets", "paired", "stream_key"]


class StreamCache:
    """Customer streams of recent replications, keyed by everything a stream depends on
    (see `stream_key`), bounded by the number of callers kept."""

    def __init__(self, max_calls: int = 4_000_000):
        self.max_calls = max_calls
        self._streams: OrderedDict[tuple[str, int], list] = OrderedDict()
        self._calls = 0

    def chunks(self, model: Model, key: str, seed: int, rep: int) -> list:
        k = (key, rep)
        if k in self._streams:
            self._streams.move_to_end(k)
            return self._streams[k]
        # one chunk (or none: nobody called): a window run (sim/engine_window.py) starts
        # mid-day
        chunks = list(customer_stream(model, seed, rep))
        chunks = [join_chunks(chunks)] if chunks else []
        n = sum(len(c) for c in chunks)
        if n <= self.max_calls:
            self._streams[k] = chunks
            self._calls += n
            while self._calls > self.max_calls and len(self._streams) > 1:
                _, old = self._streams.popitem(last=False)
                self._calls -= sum(len(c) for c in old)
        return chunks

    def __len__(self) -> int:
        return len(self._streams)


# one cache per worker process: tasks of a search land on long-lived workers
_WORKER_CACHE = StreamCache()

# the states of the incumbent plans' runs that a worker keeps, in bytes, for window runs
WINDOW_BYTES = 256 << 20


class WindowCache:
    """A worker's trajectories of recent incumbent plans (one per replication), for
    window runs of the plans a search derives from them (sim/engine_window.py)."""

    def __init__(self, keep: int = 2):
        self.keep = keep
        self._runners: OrderedDict[tuple, WindowRunner] = OrderedDict()

    def get(self, key: str, base: SearchPlan, model: Model) -> WindowRunner:
        k = (key, base)
        if k in self._runners:
            self._runners.move_to_end(k)
        else:
            self._runners[k] = WindowRunner(base.apply(model))
            while len(self._runners) > self.keep:
                self._runners.popitem(last=False)
        return self._runners[k]


_WORKER_WINDOWS = WindowCache()


def stream_key(model: Model, seed: int) -> str:
    """What the customer stream depends on (not staffing, not policy): the horizon, the
    rates, the cross-sell probabilities, every sampler with its parameters and values
    (empirical distributions included), the forecast uncertainty and the seed."""
    h = hashlib.sha256()
    for a in (model.boundaries, model.rates, model.eligible, model.accept):
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    for group in (model.handle, model.patience, model.offer, model.close):
        for s in group:
            h.update(repr((s.kind, float(s.mean), float(s.a), float(s.b))).encode())
            if s.values is not None:
                h.update(np.ascontiguousarray(s.values, dtype=np.float64).tobytes())
            h.update(b"|")
    h.update(f"{model.forecast_cv!r}|{seed}".encode())
    return h.hexdigest()


def _windows(model: Model, m: Model, key: str, seed: int, reps, runner, span, all_reps: int):
    """(counts, busy, staffed, callers simulated) per replication of plan model `m`, run
    in windows against the trajectories of `runner`'s incumbent (`span`: the steps where
    `m` differs from it, `changed_steps`)."""
    trajectories = runner.trajectories
    plan = engine_plan(m)
    out = []
    for r in reps:
        chunks = _WORKER_CACHE.chunks(model, key, seed, r)
        chunk = join_chunks(chunks)
        a = arrivals_of(chunk)
        tr = trajectories.get(r)
        if tr is None:
            tr = runner.trajectory(a, len(chunk) > 0, WINDOW_BYTES // max(1, all_reps))
            trajectories[r] = tr
        w = runner.run(m, plan, span, tr, a)
        if w is None:
            full = run_fast(m, chunks)[0]
            w = (full.counts, full.busy, full.staffed, full.calls)
        out.append(w)
    return out


def _evaluate_task(args) -> tuple[dict, dict, int]:
    model, plan, key, seed, reps, engine, base, all_reps = args
    m = plan.apply(model)
    runner = (
        _WORKER_WINDOWS.get(key, base, model) if base is not None and engine == "fast" else None
    )
    span = changed_steps(m, runner.base) if runner is not None else (0, 0)
    if runner is not None and span[0] > 0:
        out = _windows(model, m, key, seed, reps, runner, span, all_reps)
    else:
        run = run_fast if engine == "fast" else run_simpy
        full = [run(m, _WORKER_CACHE.chunks(model, key, seed, r))[0] for r in reps]
        out = [(r.counts, r.busy, r.staffed, r.calls) for r in full]
    k = batch_kpis(
        m,
        np.stack([r[0] for r in out]),
        np.stack([r[1] for r in out]),
        np.stack([r[2] for r in out]),
    )
    k["summary"]["objective"] = k["summary"][m.optimizer.objective]
    samples = {s: np.asarray(k["summary"][s], dtype=float) for s in DAY_STATS}
    intervals = {s: np.asarray(k["intervals"][s], dtype=float) for s in INTERVAL_STATS}
    return samples, intervals, sum(r[3] for r in out)


P = TypeVar("P", bound=SearchPlan)  # the kind of plan a search moves


@dataclass
class Evaluation(Generic[P]):
    plan: P
    samples: dict[str, np.ndarray]  # day KPI per replication
    intervals: dict[str, np.ndarray]  # (R, T) per replication and interval
    judged: list[Judgement] = field(default_factory=list)  # at the search confidence
    calls: int = 0

    @property
    def profit(self) -> float:
        """The mean objective: profit, or long-run profit when the scenario says so."""
        return float(np.mean(self.samples["objective"]))

    @property
    def feasible(self) -> bool:
        return all(j.verdict == "met" for j in self.judged)

    @property
    def margins(self) -> dict[str, float]:
        """Mean minus limit of each target (>= 0: on the right side; worst interval for
        per-interval targets)."""
        return {j.target.key: j.slack for j in self.judged}


def judge_samples(
    model: Model,
    targets: Targets,
    samples: dict[str, np.ndarray],
    intervals: dict[str, np.ndarray],
    confidence: float | None = None,
) -> list[Judgement]:
    """The targets' verdicts from per-replication samples (the rule of `sim.targets`)."""
    day = {}
    for s in ("service_level", "abandon_rate", "asa"):
        m, se, n = sample_stats(samples[s])
        day[s] = (float(m), float(se), int(n))
    ints = {s: sample_stats(intervals[s]) for s in ("service_level", "abandon_rate")}
    return targets.judge_model(model, day, ints, confidence)


class Evaluator(Generic[P]):
    """Simulates plans on a fixed list of replications (common random numbers).

    `n` is the stage: plans are judged on the first `n` replications. A plan judged on a
    short prefix and then asked for at a longer one simulates only the missing
    replications, so a search can screen moves on a few days and confirm the promising
    ones on many (`set_stage`, `evaluate_many(..., n=...)`).
    """

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
        confidence: float | None = None,
        plan_type: type[P] = Plan,  # type: ignore[assignment]  # P = Plan by default
    ):
        self.model = model
        self.targets = targets
        self.confidence = targets.confidence if confidence is None else confidence
        self.reps = list(range(first_rep, first_rep + replications))
        self.n = replications
        self.screens: list[int] = []  # a search screens moves on these prefixes first
        self.seed = seed
        self.executor = executor or InProcess()
        self.engine = engine
        self.key = stream_key(model, seed)
        self.tick: Callable[[], None] | None = None  # called as simulated work comes back
        self.calls_running = 0  # calls simulated so far, tasks of a batch under way included
        self.evaluations = 0  # plan evaluations (a plan extended to a longer stage counts again)
        self.calls = 0
        # plan-replications the search asked for (its work budget counts these, whether a
        # checkpoint already had them or not, so a resumed search stops where it would have)
        self.work = 0
        self._asked: dict[P, int] = {}
        # per plan: day samples, interval samples and calls over a prefix of `reps`
        self._raw: dict[P, tuple[dict, dict, int]] = {}
        self._views: dict[tuple[P, int], Evaluation[P]] = {}
        # evaluated plans survive an interruption: the search is deterministic, so a rerun
        # replays it and finds every plan it had judged already
        self.checkpoint = checkpoint
        self._saved_at = time.monotonic()
        self._saved: dict[P, int] = {}  # replications of each plan already in a segment
        self._segments = 0
        self.resumed = 0
        self.discarded_checkpoint = False
        if checkpoint is not None:
            self._resume(model, plan_type)

    def _segment(self, k: int) -> Path:
        """Segment k of the checkpoint: the plans' replications saved in the k-th save
        (`optimize-<hash>.npz` is segment 0, then `optimize-<hash>.1.npz`, ...)."""
        assert self.checkpoint is not None
        c = self.checkpoint
        return c if k == 0 else c.with_name(f"{c.stem}.{k}{c.suffix}")

    def _resume(self, model: Model, plan_type: type) -> None:
        """Read the checkpoint's segments in order; any that does not verify (corrupt,
        forged, from another run, out of order) discards them all: start afresh."""
        raw: dict = {}
        k = 0
        while os.path.lexists(self._segment(k)):
            arrays = load_arrays(self._segment(k), self._binding(k))
            if not merge_segment(raw, arrays, model, plan_type):
                j = 0
                while os.path.lexists(self._segment(j)):
                    discard(self._segment(j))
                    j += 1
                self.discarded_checkpoint = True
                return
            k += 1
        self._raw = raw
        self._saved = {p: len(v[0]["objective"]) for p, v in raw.items()}
        self._segments = k
        self.resumed = len(raw)

    def _binding(self, segment: int = 0) -> str:
        """What a checkpoint segment is: segment k of this search (its file name hashes
        the scenario, seed, targets and stages) on these callers."""
        name = self.checkpoint.name if self.checkpoint is not None else ""
        return f"search|{name}|{self.key}|{self.reps[0]}|{len(self.reps)}|{segment}"

    @property
    def replications(self) -> int:
        return self.n

    def work_asked(self) -> float:
        """Plan-replications asked for so far (the search's work budget counts these)."""
        return float(self.work)

    def set_stage(self, n: int) -> None:
        self.n = min(n, len(self.reps))

    def judge(self, samples: dict, intervals: dict) -> list[Judgement]:
        return judge_samples(self.model, self.targets, samples, intervals, self.confidence)

    def _have(self, p: P) -> int:
        raw = self._raw.get(p)
        return 0 if raw is None else len(raw[0]["objective"])

    def evaluate_many(
        self, plans: Sequence[P], n: int | None = None, base: P | None = None
    ) -> list[Evaluation[P]]:
        """The plans judged on the first `n` replications (default: the stage). A plan
        derived from `base` (the search's incumbent) is re-simulated only over the part
        of each day its change touches (sim/engine_window.py): same callers, same
        outcomes, a fraction of the work."""
        n = self.n if n is None else min(n, len(self.reps))
        for p in dict.fromkeys(plans):
            asked = self._asked.get(p, 0)
            if n > asked:
                self.work += n - asked
                self._asked[p] = n
        todo = [p for p in dict.fromkeys(plans) if self._have(p) < n]
        if todo:
            jobs = [(p, self.reps[self._have(p) : n]) for p in todo]
            groups = self._split(jobs)
            R = len(self.reps)
            tasks = [
                (self.model, p, self.key, self.seed, reps, self.engine, base, R)
                for p, reps in groups
            ]
            parts: dict[int, tuple] = {}
            for i, part in self.executor.imap(_evaluate_task, tasks):
                parts[i] = part
                if self.tick is not None and len(parts) < len(tasks):  # the last: below
                    self.calls_running = self.calls + sum(x[2] for x in parts.values())
                    self.tick()
            for p in todo:
                idx = [i for i, (q, _) in enumerate(groups) if q == p]
                old = self._raw.get(p)
                pieces = ([old] if old else []) + [parts[i] for i in idx]
                samples = {s: np.concatenate([x[0][s] for x in pieces]) for s in DAY_STATS}
                ints = {s: np.concatenate([x[1][s] for x in pieces]) for s in INTERVAL_STATS}
                calls = sum(parts[i][2] for i in idx)
                self._raw[p] = (samples, ints, (old[2] if old else 0) + calls)
                self.evaluations += 1
                self.calls += calls
            if self.tick is not None:
                self.tick()
            if self.checkpoint is not None and time.monotonic() - self._saved_at > 5.0:
                self.save()
        return [self._view(p, n) for p in plans]

    def _view(self, p: P, n: int) -> Evaluation[P]:
        v = self._views.get((p, n))
        if v is None:
            samples, ints, calls = self._raw[p]
            samples = {s: x[:n] for s, x in samples.items()}
            ints = {s: x[:n] for s, x in ints.items()}
            v = Evaluation(p, samples, ints, self.judge(samples, ints), calls)
            self._views[(p, n)] = v
        return v

    def evaluated(self, n: int) -> list[Evaluation[P]]:
        """Every plan simulated on at least the first n replications, judged on them."""
        return [self._view(p, n) for p in self._raw if self._have(p) >= n]

    def save(self) -> None:
        """Append what was simulated since the last save as a new segment (atomically):
        the checkpoint grows with the new work, and is never rewritten whole."""
        if self.checkpoint is None:
            return
        new = {
            p: (self._saved.get(p, 0), v)
            for p, v in self._raw.items()
            if len(v[0]["objective"]) > self._saved.get(p, 0)
        }
        self._saved_at = time.monotonic()
        if not new:
            return
        k = self._segments
        if save_arrays(self._segment(k), segment_arrays(new), self._binding(k)):
            self._segments += 1
            for p, (_, v) in new.items():
                self._saved[p] = len(v[0]["objective"])

    def evaluate(self, plan: P, n: int | None = None, base: P | None = None) -> Evaluation[P]:
        return self.evaluate_many([plan], n, base)[0]

    def _split(self, jobs: list[tuple[P, list[int]]]) -> list[tuple[P, list[int]]]:
        """One task per plan, or per replication block when there are few plans."""
        w = max(1, self.executor.workers)
        if len(jobs) >= w:
            return jobs
        out = []
        for p, reps in jobs:
            k = min(len(reps), -(-w // len(jobs)))
            out += [(p, [int(r) for r in b]) for b in np.array_split(np.asarray(reps), k) if len(b)]
        return out


def paired(a: Evaluation, b: Evaluation, stat: str = "objective") -> tuple[float, float]:
    """Mean and standard error of b - a over the common replications."""
    d = b.samples[stat] - a.samples[stat]
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return float(d.mean()) if len(d) else math.nan, math.nan
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))
