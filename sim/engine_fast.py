"""The fast engine: the reference engine's event logic as one compiled (numba) event loop.

It reads the same customer stream, chunk by chunk, and keeps its state between chunks
in arrays: a binary heap of timed events ordered by (time, sequence number), a slot
table for callers in the system, and one linked-list queue per priority level. The
sequence number grows by one each time the reference engine would create a simpy
timeout, so simultaneous events run in the same order in both engines and every caller
gets the same outcome. Memory is bounded by the callers in the system, not by the run.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numba import njit

from .model import Model
from .records import NREC
from .stats import HIST_BINS, NFIELDS, RepResult
from .stream import CallerChunk

# event kinds in the heap payload (slot * 4 + kind)
_ABANDON, _BASE_END, _COMPLETE = 0, 1, 2
# slot columns
_ID, _SEG, _ITV, _STATUS, _HPOS, _NEXT, _PREV, _FLAGS = range(8)
_ARR, _BASE, _PAT, _OFF, _CLO, _ANS, _DEC = range(7)
_WAITING, _SERVICE = 1, 2
# state indices
_SEQ, _BUSY, _NWAIT, _N, _BUCKET, _NEXTB, _BSEQ, _ASEQ, _HSIZE, _FREE, _CALLS, _AI = range(12)
_NOW, _LAST, _ACREATED, _BTIME, _TA = range(5)


# A heap entry is (time, key) with key = seq << 24 | slot << 2 | kind: ordering by key is
# ordering by sequence number, the tie-break shared with the reference engine.
_KIND_BITS = 2
_SLOT_BITS = 22
_SEQ_SHIFT = _KIND_BITS + _SLOT_BITS
MAX_SLOTS = 1 << _SLOT_BITS


@njit(cache=True)
def _before(t1, k1, t2, k2):
    return t1 < t2 or (t1 == t2 and k1 < k2)


@njit(cache=True)
def _sift_up(ht, hk, islot, i):
    t = ht[i]
    key = hk[i]
    while i > 0:
        parent = (i - 1) >> 1
        if not _before(t, key, ht[parent], hk[parent]):
            break
        ht[i] = ht[parent]
        hk[i] = hk[parent]
        islot[(hk[i] >> 2) & (MAX_SLOTS - 1), _HPOS] = i
        i = parent
    ht[i] = t
    hk[i] = key
    islot[(key >> 2) & (MAX_SLOTS - 1), _HPOS] = i


@njit(cache=True)
def _sift_down(ht, hk, islot, i, size):
    t = ht[i]
    key = hk[i]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and _before(ht[c + 1], hk[c + 1], ht[c], hk[c]):
            c += 1
        if not _before(ht[c], hk[c], t, key):
            break
        ht[i] = ht[c]
        hk[i] = hk[c]
        islot[(hk[i] >> 2) & (MAX_SLOTS - 1), _HPOS] = i
        i = c
    ht[i] = t
    hk[i] = key
    islot[(key >> 2) & (MAX_SLOTS - 1), _HPOS] = i


@njit(cache=True)
def _rekey(ht, hk, islot, i, size, t, key):
    """Give heap entry i a new time and key (a caller's one timer changes meaning)."""
    up = _before(t, key, ht[i], hk[i])
    ht[i] = t
    hk[i] = key
    if up:
        _sift_up(ht, hk, islot, i)
    else:
        _sift_down(ht, hk, islot, i, size)


@njit(cache=True)
def _pop_root(ht, hk, islot, size):
    """Remove the earliest entry from a heap of `size` entries."""
    islot[(hk[0] >> 2) & (MAX_SLOTS - 1), _HPOS] = -1
    last = size - 1
    if last > 0:
        ht[0] = ht[last]
        hk[0] = hk[last]
        _sift_down(ht, hk, islot, 0, last)


@njit(cache=True)
def _push(ht, hk, islot, size, t, key):
    ht[size] = t
    hk[size] = key
    _sift_up(ht, hk, islot, size)


@njit(cache=True)
def _grow_slots(islot, fslot):
    cap = islot.shape[0]
    ni = np.empty((2 * cap, islot.shape[1]), np.int64)
    nf = np.empty((2 * cap, fslot.shape[1]), np.float64)
    ni[:cap] = islot
    nf[:cap] = fslot
    for s in range(cap, 2 * cap):
        ni[s, _STATUS] = 0
        ni[s, _NEXT] = s + 1 if s + 1 < 2 * cap else -1
    return ni, nf


@njit(cache=True)
def _record(rec, nrec, islot, fslot, s, outcome, wait, now):
    rec[nrec, 0] = islot[s, _ID]
    rec[nrec, 1] = islot[s, _SEG]
    rec[nrec, 2] = islot[s, _ITV]
    rec[nrec, 3] = fslot[s, _ARR]
    rec[nrec, 4] = outcome
    rec[nrec, 5] = wait
    rec[nrec, 6] = fslot[s, _ANS] if outcome == 1 else np.nan
    rec[nrec, 7] = fslot[s, _DEC] if outcome == 1 else np.nan
    rec[nrec, 8] = now
    f = islot[s, _FLAGS]
    rec[nrec, 9] = f & 1
    rec[nrec, 10] = (f >> 2) & 1
    rec[nrec, 11] = (f >> 3) & 1


@njit(cache=True, nogil=True)
def _run_chunk(
    arr,
    seg,
    itv,
    base,
    pat,
    elig,
    offer,
    acc,
    close,
    first_id,
    final,
    ist,
    fst,
    islot,
    fslot,
    ht,
    hk,
    qhead,
    qtail,
    bounds,
    steps_per_interval,
    staffing,
    thresholds,
    prio,
    revenue,
    sl_t,
    counts,
    busy_acc,
    staffed_acc,
    hist,
    rec,
    want_rec,
):
    S = staffing.shape[0]  # staffing steps
    P = qhead.shape[0]
    n_arr = arr.shape[0]
    nb = hist.shape[2]
    nrec = 0
    # scalar state lives in locals inside the loop (kept in registers) and in ist/fst between calls
    seq = ist[_SEQ]
    busy = ist[_BUSY]
    nwait = ist[_NWAIT]
    n = ist[_N]
    bucket = ist[_BUCKET]
    nextb = ist[_NEXTB]
    bseq = ist[_BSEQ]
    aseq = ist[_ASEQ]
    hsize = ist[_HSIZE]
    free = ist[_FREE]
    calls = ist[_CALLS]
    now = fst[_NOW]
    last = fst[_LAST]
    btime = fst[_BTIME]
    ai = ist[_AI]  # next arrival of this chunk (not 0 when resuming after growth)
    ta = fst[_TA]  # its time: created at fst[_ACREATED] as simpy's now + delay
    if ai == 0 and n_arr > 0:
        d = arr[0] - fst[_ACREATED]
        ta = fst[_ACREATED] + (d if d > 0.0 else 0.0)
    status = 0
    tb_max = thresholds.shape[0] - 1
    while True:
        # ---- the next event: heap top, interval boundary, or arrival -------------------
        kind = -1  # 0 heap, 1 boundary, 2 arrival
        bt = np.inf
        bk = np.int64(0)  # sequence number of the best candidate
        if hsize > 0:
            kind = 0
            bt = ht[0]
            bk = hk[0] >> _SEQ_SHIFT
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
            free = islot[s, _NEXT]
            k = seg[i]
            it = itv[i]
            islot[s, _ID] = first_id + i
            islot[s, _SEG] = k
            islot[s, _ITV] = it
            islot[s, _FLAGS] = (1 if elig[i] else 0) | (2 if acc[i] else 0)
            fslot[s, _ARR] = now
            fslot[s, _BASE] = base[i]
            fslot[s, _PAT] = pat[i]
            fslot[s, _OFF] = offer[i]
            fslot[s, _CLO] = close[i]
            fslot[s, _DEC] = np.nan
            counts[it, k, 0] += 1.0
            if busy < n:
                # answered at once (wait 0)
                islot[s, _STATUS] = _SERVICE
                busy += 1
                fslot[s, _ANS] = now
                counts[it, k, 1] += 1.0
                counts[it, k, 3] += 1.0
                hist[0, k, 0] += 1.0
                _push(
                    ht, hk, islot, hsize, now + base[i], (seq << _SEQ_SHIFT) | (s << 2) | _BASE_END
                )
                hsize += 1
                seq += 1
            else:
                fslot[s, _ANS] = np.nan
                islot[s, _STATUS] = _WAITING
                nwait += 1
                p = prio[k]
                islot[s, _NEXT] = -1
                islot[s, _PREV] = qtail[p]
                if qtail[p] >= 0:
                    islot[qtail[p], _NEXT] = s
                else:
                    qhead[p] = s
                qtail[p] = s
                islot[s, _HPOS] = -1
                if pat[i] < np.inf:
                    _push(
                        ht,
                        hk,
                        islot,
                        hsize,
                        now + pat[i],
                        (seq << _SEQ_SHIFT) | (s << 2) | _ABANDON,
                    )
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
                fst[_ACREATED] = now
            else:
                aseq = -1
        else:
            # ---- a timed event from the heap --------------------------------------------
            # every caller in the system holds at most one timer, so no entry is stale
            key = hk[0]
            ev = key & 3
            s = (key >> 2) & (MAX_SLOTS - 1)
            if ev != _BASE_END:
                _pop_root(ht, hk, islot, hsize)
                hsize -= 1
            if ev == _ABANDON:
                if islot[s, _STATUS] == _WAITING:
                    nwait -= 1
                    k = islot[s, _SEG]
                    p = prio[k]
                    nx = islot[s, _NEXT]
                    pv = islot[s, _PREV]
                    if pv >= 0:
                        islot[pv, _NEXT] = nx
                    else:
                        qhead[p] = nx
                    if nx >= 0:
                        islot[nx, _PREV] = pv
                    else:
                        qtail[p] = pv
                    wait = now - fslot[s, _ARR]
                    it = islot[s, _ITV]
                    counts[it, k, 2] += 1.0
                    counts[it, k, 6] += wait
                    if wait > 0.0:
                        counts[it, k, 7] += 1.0
                    if wait <= sl_t:
                        counts[it, k, 4] += 1.0
                    bi = int(wait)
                    hist[1, k, bi if bi < nb - 1 else nb - 1] += 1.0
                    if want_rec:
                        _record(rec, nrec, islot, fslot, s, 0, wait, now)
                        nrec += 1
                    islot[s, _STATUS] = 0
                    islot[s, _NEXT] = free
                    free = s
            elif ev == _BASE_END:
                fslot[s, _DEC] = now
                k = islot[s, _SEG]
                f = islot[s, _FLAGS]
                if (f & 1) and nwait + busy - n <= thresholds[
                    bucket if bucket < tb_max else tb_max, k
                ]:
                    it = islot[s, _ITV]
                    counts[it, k, 10] += 1.0
                    if f & 2:
                        islot[s, _FLAGS] = f | 12
                        counts[it, k, 11] += 1.0
                        counts[it, k, 12] += revenue[k]
                        extra = fslot[s, _OFF] + fslot[s, _CLO]
                    else:
                        islot[s, _FLAGS] = f | 4
                        counts[it, k, 13] += 1.0
                        extra = fslot[s, _OFF]
                    # the caller's timer (the heap root) now marks the end of the call
                    ht[0] = now + extra
                    hk[0] = (seq << _SEQ_SHIFT) | (s << 2) | _COMPLETE
                    _sift_down(ht, hk, islot, 0, hsize)
                    seq += 1
                else:
                    _pop_root(ht, hk, islot, hsize)
                    hsize -= 1
                    ev = _COMPLETE  # no offer: the agent is freed at once
            if ev == _COMPLETE:
                busy -= 1
                it = islot[s, _ITV]
                k = islot[s, _SEG]
                counts[it, k, 8] += now - fslot[s, _ANS]
                counts[it, k, 9] += 1.0
                if want_rec:
                    _record(rec, nrec, islot, fslot, s, 1, fslot[s, _ANS] - fslot[s, _ARR], now)
                    nrec += 1
                islot[s, _STATUS] = 0
                islot[s, _NEXT] = free
                free = s
                dispatch = nwait > 0
        if dispatch:
            # ---- answer waiting callers, highest priority first ------------------------
            for p in range(P):
                while busy < n and qhead[p] >= 0:
                    s = qhead[p]
                    nx = islot[s, _NEXT]
                    qhead[p] = nx
                    if nx >= 0:
                        islot[nx, _PREV] = -1
                    else:
                        qtail[p] = -1
                    nwait -= 1
                    islot[s, _STATUS] = _SERVICE
                    busy += 1
                    fslot[s, _ANS] = now
                    wait = now - fslot[s, _ARR]
                    k = islot[s, _SEG]
                    it = islot[s, _ITV]
                    counts[it, k, 1] += 1.0
                    counts[it, k, 5] += wait
                    counts[it, k, 6] += wait
                    if wait > 0.0:
                        counts[it, k, 7] += 1.0
                    if wait <= sl_t:
                        counts[it, k, 3] += 1.0
                    bi = int(wait)
                    hist[0, k, bi if bi < nb - 1 else nb - 1] += 1.0
                    key = (seq << _SEQ_SHIFT) | (s << 2) | _BASE_END
                    seq += 1
                    h = islot[s, _HPOS]
                    if h >= 0:  # its abandonment timer becomes the end of the base handle time
                        _rekey(ht, hk, islot, h, hsize, now + fslot[s, _BASE], key)
                    else:
                        _push(ht, hk, islot, hsize, now + fslot[s, _BASE], key)
                        hsize += 1
                if busy >= n:
                    break
        if kind == 1 and nextb <= S:
            bseq = seq  # the staffing process creates its next timeout
            seq += 1
            btime = now + (bounds[nextb] - now)
    ist[_SEQ] = seq
    ist[_BUSY] = busy
    ist[_NWAIT] = nwait
    ist[_N] = n
    ist[_BUCKET] = bucket
    ist[_NEXTB] = nextb
    ist[_BSEQ] = bseq
    ist[_ASEQ] = aseq
    ist[_HSIZE] = hsize
    ist[_FREE] = free
    ist[_CALLS] = calls
    ist[_AI] = ai
    fst[_TA] = ta
    fst[_NOW] = now
    fst[_LAST] = last
    fst[_BTIME] = btime
    return nrec, status


def run_fast(
    model: Model, chunks: Iterable[CallerChunk], want_records: bool = False
) -> tuple[RepResult, np.ndarray | None]:
    """Simulate one replication on the given customer stream with the compiled loop."""
    T, K = model.n_intervals, model.n_segments
    counts = np.zeros((T, K, NFIELDS))
    busy_acc = np.zeros(T + 1)
    staffed_acc = np.zeros(T + 1)
    hist = np.zeros((2, K, HIST_BINS))
    # slot table and heap share one capacity: each caller in the system holds <= 1 timer
    cap = 256
    islot = np.zeros((cap, 8), np.int64)
    islot[:, _NEXT] = np.arange(1, cap + 1)
    islot[-1, _NEXT] = -1
    fslot = np.zeros((cap, 7))
    ht = np.empty(islot.shape[0])
    hk = np.empty(islot.shape[0], np.int64)
    P = int(model.priority.max()) + 1
    qhead = np.full(P, -1, np.int64)
    qtail = np.full(P, -1, np.int64)
    ist = np.zeros(12, np.int64)
    fst = np.zeros(5)
    # process start order of the reference engine: staffing first, then arrivals
    ist[_N] = model.staffing[0]
    ist[_NEXTB] = 1
    ist[_BSEQ] = 0
    ist[_ASEQ] = 1
    ist[_SEQ] = 2
    fst[_BTIME] = model.step_bounds[1]
    # staffing changes at interval boundaries, or at the steps of a roster's finer grid
    bounds = model.step_bounds.astype(np.float64)
    staffing = model.staffing.astype(np.int64)
    thresholds = model.thresholds.astype(np.int64)
    prio = model.priority.astype(np.int64)
    revenue = model.revenue.astype(np.float64)
    sl_t = float(model.sl_within)
    records: list[np.ndarray] = []
    it = iter(chunks)
    first = next(it, None)
    chunk: CallerChunk = _EMPTY if first is None else first
    if first is None:  # nobody calls: the arrival process ends at once
        ist[_ASEQ] = -1
        ist[_SEQ] = 1
    while True:
        nxt = next(it, None)
        final = nxt is None
        ist[_AI] = 0
        while True:
            cap = islot.shape[0]
            rec = np.empty((len(chunk) - ist[_AI] + cap if want_records else 0, NREC))
            nrec, status = _run_chunk(
                chunk.arrival,
                chunk.segment,
                chunk.interval,
                chunk.base,
                chunk.patience,
                chunk.eligible,
                chunk.offer,
                chunk.accept,
                chunk.close,
                chunk.first_id,
                final,
                ist,
                fst,
                islot,
                fslot,
                ht,
                hk,
                qhead,
                qtail,
                bounds,
                model.steps_per_interval,
                staffing,
                thresholds,
                prio,
                revenue,
                sl_t,
                counts,
                busy_acc,
                staffed_acc,
                hist,
                rec,
                want_records,
            )
            if want_records:
                records.append(rec[:nrec].copy())
            if status == 0:
                break
            if 2 * cap > MAX_SLOTS:
                raise RuntimeError("more than 4 million callers in the system at once")
            islot, fslot = _grow_slots(islot, fslot)
            ht = np.concatenate([ht, np.empty(cap)])
            hk = np.concatenate([hk, np.empty(cap, np.int64)])
            ist[_FREE] = cap
        if nxt is None:
            break
        chunk = nxt
    result = RepResult(counts, busy_acc, staffed_acc, hist, int(ist[_CALLS]), float(fst[_NOW]))
    recs = np.concatenate(records) if want_records else None
    return result, recs


_EMPTY = CallerChunk(
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


def warm_up_compiler() -> None:
    """Compile (or load from cache) the event loop once, outside any timing."""
    from .distributions import Sampler

    m = Model(
        name="warm-up",
        steady=False,
        clock_start=0.0,
        boundaries=np.array([0.0, 60.0]),
        measured=np.ones(1, bool),
        rates=np.array([[0.1]]),
        staffing=np.array([1], np.int64),
        thresholds=np.zeros((1, 1), np.int64),
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
    from .stream import customer_stream

    run_fast(m, customer_stream(m, 0, 0), want_records=True)
