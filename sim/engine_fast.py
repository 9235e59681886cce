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
_ID, _SEG, _ITV, _STATUS, _ABSEQ, _NEXT, _PREV, _FLAGS = range(8)
_ARR, _BASE, _PAT, _OFF, _CLO, _ANS, _DEC = range(7)
_WAITING, _SERVICE = 1, 2
# state indices
_SEQ, _BUSY, _NWAIT, _N, _BUCKET, _NEXTB, _BSEQ, _ASEQ, _HSIZE, _FREE, _CALLS = range(11)
_NOW, _LAST, _ACREATED, _BTIME = range(4)


@njit(cache=True)
def _heap_push(ht, hs, hp, size, t, s, p):
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        pt = ht[parent]
        if pt < t or (pt == t and hs[parent] < s):
            break
        ht[i] = pt
        hs[i] = hs[parent]
        hp[i] = hp[parent]
        i = parent
    ht[i] = t
    hs[i] = s
    hp[i] = p


@njit(cache=True)
def _heap_pop(ht, hs, hp, size):
    """Remove the root; `size` is the size before removal."""
    last = size - 1
    t = ht[last]
    s = hs[last]
    p = hp[last]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= last:
            break
        if c + 1 < last and (ht[c + 1] < ht[c] or (ht[c + 1] == ht[c] and hs[c + 1] < hs[c])):
            c += 1
        if t < ht[c] or (t == ht[c] and s < hs[c]):
            break
        ht[i] = ht[c]
        hs[i] = hs[c]
        hp[i] = hp[c]
        i = c
    ht[i] = t
    hs[i] = s
    hp[i] = p


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
def _grow_heap(ht, hs, hp):
    cap = ht.shape[0]
    nt = np.empty(2 * cap, np.float64)
    ns = np.empty(2 * cap, np.int64)
    npl = np.empty(2 * cap, np.int64)
    nt[:cap] = ht
    ns[:cap] = hs
    npl[:cap] = hp
    return nt, ns, npl


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


@njit(cache=True)
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
    hs,
    hp,
    qhead,
    qtail,
    bounds,
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
    T = staffing.shape[0]
    n_arr = arr.shape[0]
    nb = hist.shape[2]
    nrec = 0
    ai = 0  # next arrival of this chunk
    # time of the pending arrival timeout (created at fst[_ACREATED], like simpy's now + delay)
    ta = 0.0
    if n_arr > 0:
        d = arr[0] - fst[_ACREATED]
        ta = fst[_ACREATED] + (d if d > 0.0 else 0.0)
    while True:
        # ---- choose the next event: heap top, boundary, or arrival ------------------
        kind = -1  # 0 heap, 1 boundary, 2 arrival
        bt = np.inf
        bs = np.int64(0)
        hsize = ist[_HSIZE]
        if hsize > 0:
            kind = 0
            bt = ht[0]
            bs = hs[0]
        if ist[_NEXTB] <= T:
            tb = fst[_BTIME]
            if kind < 0 or tb < bt or (tb == bt and ist[_BSEQ] < bs):
                kind = 1
                bt = tb
                bs = ist[_BSEQ]
        if ai < n_arr:
            if kind < 0 or ta < bt or (ta == bt and ist[_ASEQ] < bs):
                kind = 2
                bt = ta
        elif not final:
            # the next arrival lies in the next chunk: its place in the order is unknown yet
            return islot, fslot, ht, hs, hp, nrec
        if kind < 0:
            return islot, fslot, ht, hs, hp, nrec
        now = bt
        # integrate busy and staffed time up to now
        dt = now - fst[_LAST]
        if dt > 0.0:
            b = ist[_BUCKET]
            busy_acc[b] += ist[_BUSY] * dt
            nstaff = ist[_N] if ist[_N] > ist[_BUSY] else ist[_BUSY]
            staffed_acc[b] += nstaff * dt
            fst[_LAST] = now
        fst[_NOW] = now
        dispatch = False
        if kind == 1:
            j = ist[_NEXTB]
            ist[_BUCKET] = j
            ist[_N] = staffing[j if j < T else T - 1]
            ist[_NEXTB] = j + 1
            dispatch = True
        elif kind == 2:
            # ---- arrival ---------------------------------------------------------------
            i = ai
            ai += 1
            ist[_CALLS] += 1
            if ist[_FREE] < 0:
                islot, fslot = _grow_slots(islot, fslot)
                ist[_FREE] = islot.shape[0] // 2
            s = ist[_FREE]
            ist[_FREE] = islot[s, _NEXT]
            k = seg[i]
            islot[s, _ID] = first_id + i
            islot[s, _SEG] = k
            islot[s, _ITV] = itv[i]
            islot[s, _FLAGS] = (1 if elig[i] else 0) | (2 if acc[i] else 0)
            fslot[s, _ARR] = now
            fslot[s, _BASE] = base[i]
            fslot[s, _PAT] = pat[i]
            fslot[s, _OFF] = offer[i]
            fslot[s, _CLO] = close[i]
            fslot[s, _ANS] = np.nan
            fslot[s, _DEC] = np.nan
            counts[itv[i], k, 0] += 1.0
            if ist[_BUSY] < ist[_N]:
                islot[s, _STATUS] = _SERVICE
                islot[s, _NEXT] = -1
                # start service (same code as in dispatch below)
                ist[_BUSY] += 1
                fslot[s, _ANS] = now
                row = counts[itv[i], k]
                row[1] += 1.0  # answered, wait 0
                if sl_t >= 0.0:
                    row[3] += 1.0
                hist[0, k, 0] += 1.0
                if ist[_HSIZE] == ht.shape[0]:
                    ht, hs, hp = _grow_heap(ht, hs, hp)
                _heap_push(ht, hs, hp, ist[_HSIZE], now + base[i], ist[_SEQ], s * 4 + _BASE_END)
                ist[_HSIZE] += 1
                ist[_SEQ] += 1
            else:
                islot[s, _STATUS] = _WAITING
                ist[_NWAIT] += 1
                p = prio[k]
                islot[s, _NEXT] = -1
                islot[s, _PREV] = qtail[p]
                if qtail[p] >= 0:
                    islot[qtail[p], _NEXT] = s
                else:
                    qhead[p] = s
                qtail[p] = s
                if pat[i] < np.inf:
                    if ist[_HSIZE] == ht.shape[0]:
                        ht, hs, hp = _grow_heap(ht, hs, hp)
                    islot[s, _ABSEQ] = ist[_SEQ]
                    _heap_push(ht, hs, hp, ist[_HSIZE], now + pat[i], ist[_SEQ], s * 4 + _ABANDON)
                    ist[_HSIZE] += 1
                    ist[_SEQ] += 1
            # the arrival process creates the next arrival's timeout
            if ai < n_arr:
                ist[_ASEQ] = ist[_SEQ]
                ist[_SEQ] += 1
                d = arr[ai] - now
                ta = now + (d if d > 0.0 else 0.0)
            elif not final:
                ist[_ASEQ] = ist[_SEQ]
                ist[_SEQ] += 1
                fst[_ACREATED] = now
            else:
                ist[_ASEQ] = -1
        else:
            # ---- a timed event from the heap --------------------------------------------
            seq = hs[0]
            payload = hp[0]
            _heap_pop(ht, hs, hp, ist[_HSIZE])
            ist[_HSIZE] -= 1
            s = payload >> 2
            ev = payload & 3
            if ev == _ABANDON:
                if islot[s, _STATUS] == _WAITING and islot[s, _ABSEQ] == seq:
                    ist[_NWAIT] -= 1
                    p = prio[islot[s, _SEG]]
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
                    k = islot[s, _SEG]
                    row = counts[islot[s, _ITV], k]
                    row[2] += 1.0
                    row[6] += wait
                    if wait > 0.0:
                        row[7] += 1.0
                    if wait <= sl_t:
                        row[4] += 1.0
                    bi = int(wait)
                    hist[1, k, bi if bi < nb - 1 else nb - 1] += 1.0
                    if want_rec:
                        _record(rec, nrec, islot, fslot, s, 0, wait, now)
                        nrec += 1
                    islot[s, _STATUS] = 0
                    islot[s, _NEXT] = ist[_FREE]
                    ist[_FREE] = s
            elif ev == _BASE_END:
                fslot[s, _DEC] = now
                k = islot[s, _SEG]
                y = ist[_NWAIT] + ist[_BUSY]
                b = ist[_BUCKET]
                thr = thresholds[b if b < T else T - 1, k]
                f = islot[s, _FLAGS]
                if (f & 1) and y - ist[_N] <= thr:
                    row = counts[islot[s, _ITV], k]
                    row[10] += 1.0
                    if f & 2:
                        islot[s, _FLAGS] = f | 12
                        row[11] += 1.0
                        row[12] += revenue[k]
                        extra = fslot[s, _OFF] + fslot[s, _CLO]
                    else:
                        islot[s, _FLAGS] = f | 4
                        row[13] += 1.0
                        extra = fslot[s, _OFF]
                    if ist[_HSIZE] == ht.shape[0]:
                        ht, hs, hp = _grow_heap(ht, hs, hp)
                    _heap_push(ht, hs, hp, ist[_HSIZE], now + extra, ist[_SEQ], s * 4 + _COMPLETE)
                    ist[_HSIZE] += 1
                    ist[_SEQ] += 1
                else:
                    ev = _COMPLETE  # no offer: the agent is freed at once
            if ev == _COMPLETE:
                ist[_BUSY] -= 1
                row = counts[islot[s, _ITV], islot[s, _SEG]]
                row[8] += now - fslot[s, _ANS]
                row[9] += 1.0
                if want_rec:
                    _record(rec, nrec, islot, fslot, s, 1, fslot[s, _ANS] - fslot[s, _ARR], now)
                    nrec += 1
                islot[s, _STATUS] = 0
                islot[s, _NEXT] = ist[_FREE]
                ist[_FREE] = s
                dispatch = True
        if dispatch:
            # ---- answer waiting callers, highest priority first ------------------------
            P = qhead.shape[0]
            for p in range(P):
                while ist[_BUSY] < ist[_N] and qhead[p] >= 0:
                    s = qhead[p]
                    nx = islot[s, _NEXT]
                    qhead[p] = nx
                    if nx >= 0:
                        islot[nx, _PREV] = -1
                    else:
                        qtail[p] = -1
                    ist[_NWAIT] -= 1
                    islot[s, _STATUS] = _SERVICE
                    ist[_BUSY] += 1
                    fslot[s, _ANS] = now
                    wait = now - fslot[s, _ARR]
                    k = islot[s, _SEG]
                    row = counts[islot[s, _ITV], k]
                    row[1] += 1.0
                    row[5] += wait
                    row[6] += wait
                    if wait > 0.0:
                        row[7] += 1.0
                    if wait <= sl_t:
                        row[3] += 1.0
                    bi = int(wait)
                    hist[0, k, bi if bi < nb - 1 else nb - 1] += 1.0
                    if ist[_HSIZE] == ht.shape[0]:
                        ht, hs, hp = _grow_heap(ht, hs, hp)
                    _heap_push(
                        ht, hs, hp, ist[_HSIZE], now + fslot[s, _BASE], ist[_SEQ], s * 4 + _BASE_END
                    )
                    ist[_HSIZE] += 1
                    ist[_SEQ] += 1
                if ist[_BUSY] >= ist[_N]:
                    break
        if kind == 1 and ist[_NEXTB] <= T:
            ist[_BSEQ] = ist[_SEQ]  # the staffing process creates its next timeout
            ist[_SEQ] += 1
            fst[_BTIME] = now + (bounds[ist[_NEXTB]] - now)


def run_fast(
    model: Model, chunks: Iterable[CallerChunk], want_records: bool = False
) -> tuple[RepResult, np.ndarray | None]:
    """Simulate one replication on the given customer stream with the compiled loop."""
    T, K = model.n_intervals, model.n_segments
    counts = np.zeros((T, K, NFIELDS))
    busy_acc = np.zeros(T + 1)
    staffed_acc = np.zeros(T + 1)
    hist = np.zeros((2, K, HIST_BINS))
    cap = 256
    islot = np.zeros((cap, 8), np.int64)
    islot[:, _NEXT] = np.arange(1, cap + 1)
    islot[-1, _NEXT] = -1
    fslot = np.zeros((cap, 7))
    ht = np.empty(cap)
    hs = np.empty(cap, np.int64)
    hp = np.empty(cap, np.int64)
    P = int(model.priority.max()) + 1
    qhead = np.full(P, -1, np.int64)
    qtail = np.full(P, -1, np.int64)
    ist = np.zeros(11, np.int64)
    fst = np.zeros(4)
    # process start order of the reference engine: staffing first, then arrivals
    ist[_N] = model.staffing[0]
    ist[_NEXTB] = 1
    ist[_BSEQ] = 0
    ist[_ASEQ] = 1
    ist[_SEQ] = 2
    ist[_FREE] = 0
    fst[_BTIME] = model.boundaries[1]
    bounds = model.boundaries.astype(np.float64)
    staffing = model.staffing.astype(np.int64)
    thresholds = model.thresholds.astype(np.int64)
    prio = model.priority.astype(np.int64)
    revenue = model.revenue.astype(np.float64)
    records: list[np.ndarray] = []
    it = iter(chunks)
    chunk = next(it, None)
    if chunk is None:
        ist[_ASEQ] = -1
        ist[_SEQ] = 1
    empty_f = np.empty(0)
    empty_i = np.empty(0, np.int64)
    empty_b = np.empty(0, np.bool_)
    while True:
        nxt = next(it, None) if chunk is not None else None
        final = nxt is None
        if chunk is None:
            args = (
                empty_f,
                empty_i,
                empty_i,
                empty_f,
                empty_f,
                empty_b,
                empty_f,
                empty_b,
                empty_f,
                0,
            )
            n_arr = 0
        else:
            args = (
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
            )
            n_arr = len(chunk)
        rec = np.empty((n_arr + islot.shape[0] if want_records else 0, NREC))
        islot, fslot, ht, hs, hp, nrec = _run_chunk(
            *args,
            final,
            ist,
            fst,
            islot,
            fslot,
            ht,
            hs,
            hp,
            qhead,
            qtail,
            bounds,
            staffing,
            thresholds,
            prio,
            revenue,
            float(model.sl_within),
            counts,
            busy_acc,
            staffed_acc,
            hist,
            rec,
            want_records,
        )
        if want_records:
            records.append(rec[:nrec].copy())
        if final:
            break
        chunk = nxt
    result = RepResult(counts, busy_acc, staffed_acc, hist, int(ist[_CALLS]), float(fst[_NOW]))
    recs = np.concatenate(records) if want_records else None
    return result, recs


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
