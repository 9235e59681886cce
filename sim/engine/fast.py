"""The fast engine: the compiled loop (`kernel`) driven chunk by chunk over a
replication's customer stream, its tables grown when full; warm-up of the compiler."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..scenario.model import Model
from .accumulators import (
    HIST_BINS,
    HIST_ROWS,
    NFIELDS,
    RepResult,
)
from .heap import MAX_SLOTS
from .kernel import run_chunk
from .layout import STATE, Accumulators, Arrivals, Plan, grown, new_tables
from .records import (
    NREC,
)
from .stream import CallerChunk

INITIAL_SLOTS = 256  # callers in the system before the tables first double


def arrivals_of(chunk: CallerChunk) -> Arrivals:
    """The compiled loop's view of a chunk of callers."""
    return Arrivals(
        chunk.arrival,
        chunk.segment,
        chunk.interval,
        chunk.base,
        chunk.patience,
        chunk.eligible,
        chunk.offer,
        chunk.accept_uniforms(),
        chunk.close,
        chunk.first_id,
    )


def engine_plan(model: Model) -> Plan:
    """The compiled loop's view of a model's plan and economics."""
    # staffing changes at interval boundaries, or at the steps of a roster's finer grid
    fx = model.effects()
    cv = model.customer()
    return Plan(
        model.step_bounds.astype(np.float64),
        model.steps_per_interval,
        model.staffing.astype(np.int64),
        model.thresholds.astype(np.int64),
        model.priority.astype(np.int64),
        model.revenue.astype(np.float64),
        float(model.sl_within),
        model.max_wait_table().astype(np.float64),
        fx.accept_mode.astype(np.int64),
        fx.accept_base.astype(np.float64),
        fx.half_life.astype(np.float64),
        fx.table_waits.astype(np.float64),
        fx.table_probs.astype(np.float64),
        fx.table_points.astype(np.int64),
        fx.handle_per_wait.astype(np.float64),
        cv.value.astype(np.float64),
        cv.log_keep_per_second.astype(np.float64),
        cv.log_keep_abandon.astype(np.float64),
        cv.log_keep_decline.astype(np.float64),
        float(model.satisfied_within),
        float(model.no_pitch_after),
    )


def start_state(model: Model, anyone_calls: bool = True) -> np.ndarray:
    """The loop's state at time 0, in the reference engine's process start order:
    staffing first, then arrivals (which end at once when nobody calls)."""
    state = np.zeros(1, STATE)
    st = state[0]
    st["n"] = model.staffing[0]
    st["next_step"] = 1
    st["step_seq"] = 0
    st["arrival_seq"] = 1 if anyone_calls else -1
    st["seq"] = 2 if anyone_calls else 1
    st["step_time"] = model.step_bounds[1]
    return state


def run_fast(
    model: Model,
    chunks: Iterable[CallerChunk],
    want_records: bool = False,
    initial_slots: int = INITIAL_SLOTS,
) -> tuple[RepResult, np.ndarray | None]:
    """Simulate one replication on the given customer stream with the compiled loop."""
    T, K = model.n_intervals, model.n_segments
    acc = Accumulators(
        np.zeros((T, K, NFIELDS)),
        np.zeros(T + 1),
        np.zeros(T + 1),
        np.zeros((HIST_ROWS, K, HIST_BINS)),
    )
    tab = new_tables(initial_slots, int(model.priority.max()) + 1)
    plan = engine_plan(model)
    it = iter(chunks)
    first = next(it, None)
    chunk: CallerChunk = EMPTY_CHUNK if first is None else first
    state = start_state(model, first is not None)
    st = state[0]
    records: list[np.ndarray] = []
    while True:
        nxt = next(it, None)
        final = nxt is None
        st["next_arrival"] = 0
        a = arrivals_of(chunk)
        while True:
            cap = tab.islot.shape[0]
            rec = np.empty((len(chunk) - st["next_arrival"] + cap if want_records else 0, NREC))
            nrec, status = run_chunk(a, final, state, tab, plan, acc, rec, want_records)
            if want_records:
                records.append(rec[:nrec].copy())
            if status == 0:
                break
            if 2 * cap > MAX_SLOTS:
                raise RuntimeError("more than 4 million callers in the system at once")
            tab = grown(tab)
            st["free"] = cap
        if nxt is None:
            break
        chunk = nxt
    result = RepResult(
        acc.counts, acc.busy, acc.staffed, acc.hist, int(st["calls"]), float(st["now"])
    )
    recs = np.concatenate(records) if want_records else None
    return result, recs


EMPTY_CHUNK = CallerChunk(
    0,
    np.empty(0),
    np.empty(0, np.int64),
    np.empty(0, np.int64),
    np.empty(0),
    np.empty(0),
    np.empty(0, np.bool_),
    np.empty(0),
    np.empty(0, np.bool_),
    np.empty(0),
)


def warm_up_model(intervals: int = 1) -> Model:
    """A tiny day of one-minute intervals, to compile the loops on."""
    from ..scenario.distributions import Sampler

    return Model(
        name="warm-up",
        steady=False,
        clock_start=0.0,
        boundaries=60.0 * np.arange(intervals + 1),
        measured=np.ones(intervals, bool),
        rates=np.full((intervals, 1), 0.1),
        staffing=np.ones(intervals, np.int64),
        thresholds=np.zeros((intervals, 1), np.int64),
        segments=["a"],
        priority=np.zeros(1, np.int64),
        eligible=np.ones(1),
        accept=np.ones(1),
        revenue=np.ones(1),
        decline_cost=np.zeros(1),
        handle=[Sampler("exponential", 30.0)],
        patience=[Sampler("exponential", 30.0)],
        offer=[Sampler("exponential", 5.0)],
        close=[Sampler("deterministic", 0.0)],
    )


def warm_up_compiler() -> None:
    """Compile (or load from numba's cache) the event loop once, outside any timing."""
    from .stream import customer_stream

    m = warm_up_model()
    run_fast(m, customer_stream(m, 0, 0), want_records=True)
