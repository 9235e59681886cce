"""The fast engine: the reference engine's event logic as one compiled (numba) event loop.

It reads the same customer stream, chunk by chunk, and keeps its state between chunks
in arrays: a binary heap of timed events ordered by (time, sequence number), a slot
table for callers in the system, and one linked-list queue per priority level. The
sequence number grows by one each time the reference engine would create a simpy
timeout, so simultaneous events run in the same order in both engines and every caller
gets the same outcome. Memory is bounded by the callers in the system, not by the run.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable

import numpy as np
from numba import njit

from ..scenario.customer_value import value_at_risk
from ..scenario.model import Model
from ..scenario.wait_effects import accept_prob
from ..stats import (
    ABANDONED,
    ABN_T,
    ANS_T,
    ANSWERED,
    ATTEMPTS,
    COMPLETED,
    DECLINES,
    H_ABANDONED,
    H_ANSWERED,
    H_OFFERS,
    H_SALES,
    HANDLE,
    HIST_BINS,
    HIST_ROWS,
    NFIELDS,
    OFFERED,
    REVENUE,
    SATISFIED,
    VALUE_RISK,
    WAIT_ALL,
    WAIT_ANS,
    WAITED,
    RepResult,
)
from ..stats import ACCEPTS as SALES
from .heap import MAX_SLOTS, key_kind, key_seq, key_slot, make_key, pop_root, push, rekey, sift_down
from .records import (
    NREC,
    R_ACC,
    R_ANS,
    R_ARR,
    R_ATT,
    R_DEC,
    R_ELIG,
    R_END,
    R_ID,
    R_ITV,
    R_OUT,
    R_SEG,
    R_WAIT,
)
from .stream import CallerChunk

# event kinds (the low bits of a heap key)
ABANDON, BASE_END, COMPLETE = 0, 1, 2
# integer columns of the slot table (one row per caller in the system)
S_ID, S_SEG, S_ITV, S_STATUS, S_NEXT, S_PREV, S_FLAGS = range(7)
N_INT_COLUMNS = 7
# float columns: arrival, base handle time, patience, offer time, close time, answered,
# end of the base handle time ("decided"), the accept uniform u (sale iff u < p_k(wait))
F_ARR, F_BASE, F_PAT, F_OFF, F_CLO, F_ANS, F_DEC, F_U = range(8)
N_FLOAT_COLUMNS = 8
# S_STATUS: a free slot, a waiting caller, a caller in service
FREE, WAITING, SERVICE = 0, 1, 2
# S_FLAGS bits: eligible for an offer, was offered, bought (whether an offer is accepted
# depends on the wait: u < p_k(wait), decided when the base handle ends)
ELIGIBLE, OFFERED_BIT, SOLD = 1, 4, 8

# the scalar state carried between chunks (a one-element record array)
STATE = np.dtype(
    [
        ("seq", np.int64),  # next sequence number (simpy's event order)
        ("busy", np.int64),  # agents serving
        ("nwait", np.int64),  # callers waiting
        ("n", np.int64),  # agents on the phones now
        ("bucket", np.int64),  # the interval whose statistics accrue
        ("next_step", np.int64),  # next staffing step to start
        ("step_seq", np.int64),  # sequence number of the staffing process's timeout
        ("arrival_seq", np.int64),  # ... of the arrival process's timeout (-1: none)
        ("heap_size", np.int64),
        ("free", np.int64),  # first free slot (-1: the tables are full)
        ("calls", np.int64),  # callers arrived
        ("high", np.int64),  # slots ever used: rows at and above it are still fresh
        ("next_arrival", np.int64),  # index in the current chunk (not 0 after growth)
        ("now", np.float64),
        ("last", np.float64),  # time of the last busy/staffed accrual
        ("arrival_created", np.float64),  # when the pending arrival's timeout was made
        ("step_time", np.float64),  # when the next staffing step starts
        ("arrival_time", np.float64),  # when the next arrival comes
    ]
)

# argument groups of the compiled loop (numba takes named tuples of arrays)
Arrivals = namedtuple(
    "Arrivals", "arrival segment interval base patience eligible offer accept close first_id"
)
Tables = namedtuple("Tables", "islot fslot ht hk hpos qhead qtail")
Plan = namedtuple(
    "Plan",
    "bounds steps_per_interval staffing thresholds priority revenue sl_within "
    # callers who react to waiting (sim/wait_effects.py)
    "max_wait accept_mode accept_base half_life table_waits table_probs table_points "
    "handle_per_wait "
    # the customer beyond today's call (sim/customer_value.py) and the satisfaction figure
    "cv_value cv_wait cv_abandon cv_decline satisfied_within no_pitch_after",
)
_accept_prob = njit(cache=True)(accept_prob)
_value_at_risk = njit(cache=True)(value_at_risk)
Accumulators = namedtuple("Accumulators", "counts busy staffed hist")


def new_tables(cap: int, priorities: int) -> Tables:
    """Empty tables for `cap` callers in the system: every slot free, chained."""
    islot = np.zeros((cap, N_INT_COLUMNS), np.int64)
    islot[:, S_NEXT] = np.arange(1, cap + 1)
    islot[-1, S_NEXT] = -1
    return Tables(
        islot,
        np.zeros((cap, N_FLOAT_COLUMNS)),
        np.empty(cap),
        np.empty(cap, np.int64),
        np.full(cap, -1, np.int64),
        np.full(priorities, -1, np.int64),
        np.full(priorities, -1, np.int64),
    )


def grown(tab: Tables) -> Tables:
    """The tables at twice the capacity; the new slots free and chained (the caller sets
    state.free to the first of them). Slot table and heap share one capacity: each caller
    in the system holds at most one timer."""
    cap = tab.islot.shape[0]
    islot = np.zeros((2 * cap, N_INT_COLUMNS), np.int64)
    fslot = np.zeros((2 * cap, N_FLOAT_COLUMNS))
    islot[:cap] = tab.islot
    fslot[:cap] = tab.fslot
    islot[cap:, S_NEXT] = np.arange(cap + 1, 2 * cap + 1)
    islot[-1, S_NEXT] = -1
    hpos = np.full(2 * cap, -1, np.int64)
    hpos[:cap] = tab.hpos
    return Tables(
        islot,
        fslot,
        np.concatenate([tab.ht, np.empty(cap)]),
        np.concatenate([tab.hk, np.empty(cap, np.int64)]),
        hpos,
        tab.qhead,
        tab.qtail,
    )


@njit(cache=True)
def _record(rec, nrec, islot, fslot, s, outcome, wait, now):
    rec[nrec, R_ID] = islot[s, S_ID]
    rec[nrec, R_SEG] = islot[s, S_SEG]
    rec[nrec, R_ITV] = islot[s, S_ITV]
    rec[nrec, R_ARR] = fslot[s, F_ARR]
    rec[nrec, R_OUT] = outcome
    rec[nrec, R_WAIT] = wait
    rec[nrec, R_ANS] = fslot[s, F_ANS] if outcome == 1 else np.nan
    rec[nrec, R_DEC] = fslot[s, F_DEC] if outcome == 1 else np.nan
    rec[nrec, R_END] = now
    f = islot[s, S_FLAGS]
    rec[nrec, R_ELIG] = 1 if f & ELIGIBLE else 0
    rec[nrec, R_ATT] = 1 if f & OFFERED_BIT else 0
    rec[nrec, R_ACC] = 1 if f & SOLD else 0


@njit(cache=True, nogil=True)
def _run_chunk(a, final, state, tab, plan, acc, rec, want_rec, stop_step=-1):
    """Run events until the chunk's arrivals are used up (or, if `final`, until no event
    is left). Returns (records written, status): status 1 means the slot table is full;
    the caller grows it and calls again, and the loop resumes where it stopped. Status 2:
    the loop stopped just before staffing step `stop_step` (time accrued up to it), so a
    run can be saved and resumed at an interval boundary (sim/engine_window.py)."""
    arr, seg, itv, base, pat = a.arrival, a.segment, a.interval, a.base, a.patience
    elig, offer, accept, close, first_id = a.eligible, a.offer, a.accept, a.close, a.first_id
    islot, fslot, ht, hk, hpos, qhead, qtail = (
        tab.islot,
        tab.fslot,
        tab.ht,
        tab.hk,
        tab.hpos,
        tab.qhead,
        tab.qtail,
    )
    bounds, steps_per_interval, staffing = plan.bounds, plan.steps_per_interval, plan.staffing
    thresholds, prio, revenue, sl_t = plan.thresholds, plan.priority, plan.revenue, plan.sl_within
    max_wait, growth = plan.max_wait, plan.handle_per_wait
    cv_v, cv_w, cv_a, cv_d = plan.cv_value, plan.cv_wait, plan.cv_abandon, plan.cv_decline
    sat_t, no_pitch = plan.satisfied_within, plan.no_pitch_after
    accept_mode, accept_base = plan.accept_mode, plan.accept_base
    counts, busy_acc, staffed_acc, hist = acc.counts, acc.busy, acc.staffed, acc.hist
    S = staffing.shape[0]  # staffing steps
    P = qhead.shape[0]
    n_arr = arr.shape[0]
    nb = hist.shape[2]
    nrec = 0
    # scalar state lives in locals inside the loop (kept in registers), in `state` between calls
    st = state[0]
    seq = st.seq
    busy = st.busy
    nwait = st.nwait
    n = st.n
    bucket = st.bucket
    nextb = st.next_step
    bseq = st.step_seq
    aseq = st.arrival_seq
    hsize = st.heap_size
    free = st.free
    calls = st.calls
    high = st.high
    now = st.now
    last = st.last
    btime = st.step_time
    ai = st.next_arrival  # next arrival of this chunk (not 0 when resuming after growth)
    ta = st.arrival_time  # its time: created at st.arrival_created as simpy's now + delay
    if ai == 0 and n_arr > 0:
        d = arr[0] - st.arrival_created
        ta = st.arrival_created + (d if d > 0.0 else 0.0)
    status = 0
    tb_max = thresholds.shape[0] - 1
    while True:
        # ---- the next event: heap top, staffing step, or arrival ------------------------
        kind = -1  # 0 heap, 1 staffing step, 2 arrival
        bt = np.inf
        bk = np.int64(0)  # sequence number of the best candidate
        if hsize > 0:
            kind = 0
            bt = ht[0]
            bk = key_seq(hk[0])
        if nextb <= S and (kind < 0 or btime < bt or (btime == bt and bseq < bk)):
            kind = 1
            bt = btime
            bk = bseq
        if ai < n_arr:
            if kind < 0 or ta < bt or (ta == bt and aseq < bk):
                kind = 2
                bt = ta
        elif not final:
            break  # the next arrival is in the next chunk: its place in the order is unknown
        if kind < 0:
            break
        if kind == 1 and nextb == stop_step:
            dt = bt - last
            if dt > 0.0:
                busy_acc[bucket] += busy * dt
                staffed_acc[bucket] += (n if n > busy else busy) * dt
                last = bt
            status = 2
            break
        now = bt
        dt = now - last
        if dt > 0.0:
            busy_acc[bucket] += busy * dt
            staffed_acc[bucket] += (n if n > busy else busy) * dt
            last = now
        dispatch = False
        if kind == 1:
            bucket = nextb // steps_per_interval  # the interval whose statistics accrue
            n = staffing[nextb if nextb < S else S - 1]
            nextb += 1
            dispatch = True
        elif kind == 2:
            # ---- arrival ---------------------------------------------------------------
            if free < 0:
                status = 1  # no free slot: return, let the caller grow the tables, resume here
                break
            i = ai
            ai += 1
            calls += 1
            s = free
            free = islot[s, S_NEXT]
            if s >= high:
                high = s + 1
            k = seg[i]
            it = itv[i]
            islot[s, S_ID] = first_id + i
            islot[s, S_SEG] = k
            islot[s, S_ITV] = it
            islot[s, S_FLAGS] = ELIGIBLE if elig[i] else 0
            fslot[s, F_U] = accept[i]
            fslot[s, F_ARR] = now
            fslot[s, F_BASE] = base[i]
            fslot[s, F_PAT] = pat[i]
            fslot[s, F_OFF] = offer[i]
            fslot[s, F_CLO] = close[i]
            fslot[s, F_DEC] = np.nan
            counts[it, k, OFFERED] += 1.0
            if busy < n:
                # answered at once (wait 0)
                islot[s, S_STATUS] = SERVICE
                busy += 1
                fslot[s, F_ANS] = now
                counts[it, k, ANSWERED] += 1.0
                counts[it, k, ANS_T] += 1.0
                hist[H_ANSWERED, k, 0] += 1.0
                push(ht, hk, hpos, hsize, now + base[i], make_key(seq, s, BASE_END))
                hsize += 1
                seq += 1
            else:
                fslot[s, F_ANS] = np.nan
                islot[s, S_STATUS] = WAITING
                nwait += 1
                p = prio[k]
                islot[s, S_NEXT] = -1
                islot[s, S_PREV] = qtail[p]
                if qtail[p] >= 0:
                    islot[qtail[p], S_NEXT] = s
                else:
                    qhead[p] = s
                qtail[p] = s
                hpos[s] = -1
                if pat[i] < np.inf:
                    push(ht, hk, hpos, hsize, now + pat[i], make_key(seq, s, ABANDON))
                    hsize += 1
                    seq += 1
            # the arrival process creates the next arrival's timeout
            if ai < n_arr:
                aseq = seq
                seq += 1
                d = arr[ai] - now
                ta = now + (d if d > 0.0 else 0.0)
            elif not final:
                aseq = seq
                seq += 1
                st.arrival_created = now
            else:
                aseq = -1
        else:
            # ---- a timed event from the heap --------------------------------------------
            # every caller in the system holds at most one timer, so no entry is stale
            key = hk[0]
            ev = key_kind(key)
            s = key_slot(key)
            if ev != BASE_END:
                pop_root(ht, hk, hpos, hsize)
                hsize -= 1
            if ev == ABANDON:
                if islot[s, S_STATUS] == WAITING:
                    nwait -= 1
                    k = islot[s, S_SEG]
                    p = prio[k]
                    nx = islot[s, S_NEXT]
                    pv = islot[s, S_PREV]
                    if pv >= 0:
                        islot[pv, S_NEXT] = nx
                    else:
                        qhead[p] = nx
                    if nx >= 0:
                        islot[nx, S_PREV] = pv
                    else:
                        qtail[p] = pv
                    wait = now - fslot[s, F_ARR]
                    it = islot[s, S_ITV]
                    counts[it, k, ABANDONED] += 1.0
                    counts[it, k, WAIT_ALL] += wait
                    if wait > 0.0:
                        counts[it, k, WAITED] += 1.0
                    if wait <= sl_t:
                        counts[it, k, ABN_T] += 1.0
                    bi = int(wait) if wait < nb - 1 else nb - 1  # no int overflow
                    hist[H_ABANDONED, k, bi] += 1.0
                    if cv_v[k] != 0.0:
                        counts[it, k, VALUE_RISK] += _value_at_risk(
                            k, wait, True, False, cv_v, cv_w, cv_a, cv_d
                        )
                    if want_rec:
                        _record(rec, nrec, islot, fslot, s, 0, wait, now)
                        nrec += 1
                    islot[s, S_STATUS] = FREE
                    islot[s, S_NEXT] = free
                    free = s
            elif ev == BASE_END:
                fslot[s, F_DEC] = now
                k = islot[s, S_SEG]
                f = islot[s, S_FLAGS]
                tb = bucket if bucket < tb_max else tb_max
                waited = fslot[s, F_ANS] - fslot[s, F_ARR]
                if (
                    (f & ELIGIBLE)
                    and nwait + busy - n <= thresholds[tb, k]
                    and waited <= max_wait[tb, k]
                ):
                    it = islot[s, S_ITV]
                    counts[it, k, ATTEMPTS] += 1.0
                    p_w = (
                        accept_base[k]
                        if accept_mode[k] == 0
                        else _accept_prob(
                            k,
                            waited,
                            accept_mode,
                            accept_base,
                            plan.half_life,
                            plan.table_waits,
                            plan.table_probs,
                            plan.table_points,
                        )
                    )
                    bi = int(waited) if waited < nb - 1 else nb - 1
                    hist[H_OFFERS, k, bi] += 1.0
                    if fslot[s, F_U] < p_w:
                        islot[s, S_FLAGS] = f | OFFERED_BIT | SOLD
                        hist[H_SALES, k, bi] += 1.0
                        counts[it, k, SALES] += 1.0
                        counts[it, k, REVENUE] += revenue[k]
                        extra = fslot[s, F_OFF] + fslot[s, F_CLO]
                    else:
                        islot[s, S_FLAGS] = f | OFFERED_BIT
                        counts[it, k, DECLINES] += 1.0
                        extra = fslot[s, F_OFF]
                    # the caller's timer (the heap root) now marks the end of the call
                    ht[0] = now + extra
                    hk[0] = make_key(seq, s, COMPLETE)
                    sift_down(ht, hk, hpos, 0, hsize)
                    seq += 1
                else:
                    pop_root(ht, hk, hpos, hsize)
                    hsize -= 1
                    ev = COMPLETE  # no offer: the agent is freed at once
            if ev == COMPLETE:
                busy -= 1
                it = islot[s, S_ITV]
                k = islot[s, S_SEG]
                counts[it, k, HANDLE] += now - fslot[s, F_ANS]
                counts[it, k, COMPLETED] += 1.0
                f = islot[s, S_FLAGS]
                waited = fslot[s, F_ANS] - fslot[s, F_ARR]
                pitched = (f & OFFERED_BIT) != 0
                declined = pitched and (f & SOLD) == 0
                if cv_v[k] != 0.0:
                    counts[it, k, VALUE_RISK] += _value_at_risk(
                        k, waited, False, declined, cv_v, cv_w, cv_a, cv_d
                    )
                # customer_value.satisfied, inline (a call per caller costs here)
                if waited <= sat_t and not (pitched and waited > no_pitch):
                    counts[it, k, SATISFIED] += 1.0
                if want_rec:
                    _record(rec, nrec, islot, fslot, s, 1, fslot[s, F_ANS] - fslot[s, F_ARR], now)
                    nrec += 1
                islot[s, S_STATUS] = FREE
                islot[s, S_NEXT] = free
                free = s
                dispatch = nwait > 0
        if dispatch:
            # ---- answer waiting callers, highest priority first ------------------------
            for p in range(P):
                while busy < n and qhead[p] >= 0:
                    s = qhead[p]
                    nx = islot[s, S_NEXT]
                    qhead[p] = nx
                    if nx >= 0:
                        islot[nx, S_PREV] = -1
                    else:
                        qtail[p] = -1
                    nwait -= 1
                    islot[s, S_STATUS] = SERVICE
                    busy += 1
                    fslot[s, F_ANS] = now
                    wait = now - fslot[s, F_ARR]
                    k = islot[s, S_SEG]
                    it = islot[s, S_ITV]
                    counts[it, k, ANSWERED] += 1.0
                    counts[it, k, WAIT_ANS] += wait
                    counts[it, k, WAIT_ALL] += wait
                    if wait > 0.0:
                        counts[it, k, WAITED] += 1.0
                    if wait <= sl_t:
                        counts[it, k, ANS_T] += 1.0
                    bi = int(wait) if wait < nb - 1 else nb - 1
                    hist[H_ANSWERED, k, bi] += 1.0
                    key = make_key(seq, s, BASE_END)
                    seq += 1
                    h = hpos[s]
                    # the base handle time, lengthened by the wait where the scenario says so
                    b = fslot[s, F_BASE] + growth[k] * wait
                    if h >= 0:  # its abandonment timer becomes the end of the base handle time
                        rekey(ht, hk, hpos, h, hsize, now + b, key)
                    else:
                        push(ht, hk, hpos, hsize, now + b, key)
                        hsize += 1
                if busy >= n:
                    break
        if kind == 1 and nextb <= S:
            bseq = seq  # the staffing process creates its next timeout
            seq += 1
            btime = now + (bounds[nextb] - now)
    st.seq = seq
    st.busy = busy
    st.nwait = nwait
    st.n = n
    st.bucket = bucket
    st.next_step = nextb
    st.step_seq = bseq
    st.arrival_seq = aseq
    st.heap_size = hsize
    st.free = free
    st.calls = calls
    st.high = high
    st.next_arrival = ai
    st.arrival_time = ta
    st.now = now
    st.last = last
    st.step_time = btime
    return nrec, status


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
            nrec, status = _run_chunk(a, final, state, tab, plan, acc, rec, want_records)
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
