"""Replications: run the engine on each replication's customer stream, then aggregate.

`simulate` is the Python entry point. Replications go through an Executor, so they run
in-process, on local worker processes or on a Dask cluster with the same numbers. With a
checkpoint folder, each finished replication is saved at once and reused on a rerun, so
an interrupted long run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .checkpoint import discard, load_arrays, rep_arrays, rep_from_arrays, save_arrays
from .engine.accumulators import HIST_BINS, HIST_ROWS, NFIELDS, RepResult
from .engine.fast import run_fast
from .engine.records import CallWriter
from .engine.reference import run_simpy
from .engine.stream import CHUNK, customer_stream, prefetched
from .executor import Executor, InProcess
from .results import Accumulator, SimResult, reps_kpis
from .scenario.model import Model

ENGINES = {"fast": run_fast, "simpy": run_simpy}


def run_replication(
    model: Model, seed: int, replication: int, engine: str = "fast", want_records: bool = False
) -> tuple[RepResult, np.ndarray | None]:
    """One replication: its own customer stream, the chosen engine."""
    chunks = customer_stream(model, seed, replication)
    if model.expected_calls() > 4 * CHUNK:  # long runs: draw the stream while simulating
        chunks = prefetched(chunks)
    return ENGINES[engine](model, chunks, want_records)


def _batches(todo: list[int], workers: int) -> list[list[int]]:
    """Replications in tasks of up to 16, about four tasks per worker."""
    batch = max(1, min(16, len(todo) // (4 * max(1, workers)) or 1))
    return [todo[i : i + batch] for i in range(0, len(todo), batch)]


def _task(args: tuple) -> list[tuple[RepResult, dict]]:
    model, seed, reps, engine = args
    out = [run_replication(model, seed, r, engine)[0] for r in reps]
    return list(zip(out, reps_kpis(model, out), strict=True))


def _alike_task(args: tuple) -> list[tuple[list[dict], np.ndarray, int]]:
    """Replications `reps` of several plans on the same callers: per plan, each
    replication's KPIs, the summed waiting-time histogram and the calls (the raw
    accumulators stay in the worker: a histogram per replication is 100 kB or more)."""
    models, seed, reps, engine = args
    runs: list[list[RepResult]] = [[] for _ in models]
    for r in reps:
        chunks = list(customer_stream(models[0], seed, r))
        for j, m in enumerate(models):
            runs[j].append(ENGINES[engine](m, chunks)[0])
    return [
        (reps_kpis(m, out), np.sum([x.hist for x in out], axis=0), sum(x.calls for x in out))
        for m, out in zip(models, runs, strict=True)
    ]


class Alike:
    """Several plans of one scenario (the same callers: only staffing and policy differ)
    on the same replications, each replication's callers drawn once for all of them; the
    same numbers as `simulate` on each plan. `run(n)` extends every plan to n
    replications (a borderline verdict asks for more days)."""

    def __init__(
        self, models: Sequence[Model], seed: int, executor: Executor | None = None, engine="fast"
    ):
        self.models = list(models)
        self.seed = seed
        self.executor = executor or InProcess()
        self.engine = engine
        self.accumulators = [Accumulator(m, False) for m in self.models]
        self.n = 0
        self.seconds = 0.0

    def run(self, replications: int) -> list[SimResult]:
        t0 = time.perf_counter()
        todo = list(range(self.n, replications))
        ex = self.executor
        groups = _batches(todo, ex.workers)
        tasks = [(self.models, self.seed, g, self.engine) for g in groups]
        for gi, out in ex.imap(_alike_task, tasks):
            for acc, (kp, hist, calls) in zip(self.accumulators, out, strict=True):
                acc.add_totals(hist, calls)
                for r, k in zip(groups[gi], kp, strict=True):
                    acc.add_kpis(r, k)
        self.n = max(self.n, replications)
        self.seconds += time.perf_counter() - t0
        meta = {
            "replications": self.n,
            "seed": self.seed,
            "engine": self.engine,
            "wall_seconds": round(self.seconds, 3),
            "workers": ex.workers,
            "resumed_replications": 0,
        }
        return [acc.result(dict(meta)) for acc in self.accumulators]


def model_fingerprint(model: Model, seed: int, engine: str) -> str:
    """A key for checkpoints: changes whenever anything that affects the numbers changes."""
    h = hashlib.sha256()
    sc = model.scenario
    h.update((sc.model_dump_json() if sc is not None else model.name).encode())
    for a in (
        model.boundaries,
        model.rates,
        model.staffing,
        model.thresholds,
        model.accept,
        model.revenue,
    ):
        h.update(np.ascontiguousarray(a).tobytes())
    if model.max_wait is not None:
        h.update(b"max_wait" + np.ascontiguousarray(model.max_wait).tobytes())
    h.update(f"{seed}|{engine}".encode())
    return h.hexdigest()[:16]


def _rep_binding(fingerprint: str, r: int) -> str:
    """What a replication's checkpoint is: this run's replication r (a file renamed from
    another replication or run does not verify)."""
    return f"replication|{fingerprint}|{r}"


def _fits(rep: RepResult, model: Model) -> bool:
    """The shapes of a replication of this model."""
    T, K = model.n_intervals, model.n_segments
    return (
        rep.counts.shape == (T, K, NFIELDS)
        and rep.busy.shape == (T + 1,)
        and rep.staffed.shape == (T + 1,)
        and rep.hist.shape == (HIST_ROWS, K, HIST_BINS)
    )


def simulate(
    model: Model,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    executor: Executor | None = None,
    calls_file: str | Path | None = None,
    checkpoint_dir: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    first_replication: int = 0,
    keep_reps: bool = True,
) -> SimResult:
    """Simulate `replications` days (or steady-state runs) and aggregate the statistics.

    Replications are numbered from `first_replication`, so a run can be extended with
    more independent days of the same seed. `keep_reps=False` keeps only each
    replication's KPIs (a few numbers per interval), for long runs."""
    R = replications or model.replications
    R0 = first_replication
    seed = model.seed if seed is None else seed
    engine = engine or model.engine
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use 'fast' or 'simpy'")
    t0 = time.perf_counter()
    results = Accumulator(model, keep_reps, first=R0)
    discarded = 0
    ck: Path | None = None
    fingerprint = model_fingerprint(model, seed, engine)
    if checkpoint_dir is not None:
        ck = Path(checkpoint_dir) / fingerprint
        ck.mkdir(parents=True, exist_ok=True)
        for r in range(R0, R0 + R):
            f = ck / f"rep_{r:06d}.npz"
            if os.path.lexists(f):
                rep = rep_from_arrays(load_arrays(f, _rep_binding(fingerprint, r)))
                if rep is None or not _fits(rep, model):
                    discard(f)  # corrupt, foreign, forged or not a file: run it again
                    discarded += 1
                    continue
                results.add(rep, r)
        if progress and len(results):
            progress(len(results))
    todo = [r for r in range(R0, R0 + R) if r not in results]
    resumed = R - len(todo)
    if calls_file is not None:
        writer = CallWriter(calls_file, model.segments, model.clock_start)
        try:
            for r in range(R0, R0 + R):  # records are written in replication order, in-process
                res, rec = run_replication(model, seed, r, engine, want_records=True)
                assert rec is not None  # asked for
                writer.write(r, rec)
                results.add(res, r)
                if progress:
                    progress(1)
        except BaseException:
            writer.abort()
            raise
        writer.close()
        todo = []
    executor = executor or InProcess()
    groups = _batches(todo, executor.workers)
    for gi, out in executor.imap(_task, [(model, seed, g, engine) for g in groups]):
        for r, (res, k) in zip(groups[gi], out, strict=True):
            results.add(res, r, k)
            if ck is not None:
                save_arrays(ck / f"rep_{r:06d}.npz", rep_arrays(res), _rep_binding(fingerprint, r))
        if progress:
            progress(len(out))
    elapsed = time.perf_counter() - t0
    meta = {
        "replications": R,
        "seed": seed,
        "engine": engine,
        "wall_seconds": round(elapsed, 3),
        "workers": executor.workers,
        "resumed_replications": resumed,
    }
    if discarded:
        meta["discarded_checkpoints"] = discarded
    return results.result(meta)
