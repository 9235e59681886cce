"""The fast engine's kernel: the reference engine's event logic as one compiled (numba)
event loop.

It reads the same customer stream, chunk by chunk, and keeps its state between chunks
in arrays: a binary heap of timed events ordered by (time, sequence number), a slot
table for callers in the system, and one linked-list queue per priority level. The
sequence number grows by one each time the reference engine would create a simpy
timeout, so simultaneous events run in the same order in both engines and every caller
gets the same outcome. Memory is bounded by the callers in the system, not by the run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..scenario.customer_value import value_at_risk
from ..scenario.wait_effects import accept_prob
from .accumulators import (
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
    OFFERED,
    REVENUE,
    SATISFIED,
    VALUE_RISK,
    WAIT_ALL,
    WAIT_ANS,
    WAITED,
)
from .accumulators import ACCEPTS as SALES
from .heap import key_kind, key_seq, key_slot, make_key, pop_root, push, rekey, sift_down
from .layout import (
    ABANDON,
    BASE_END,
    COMPLETE,
    ELIGIBLE,
    F_ANS,
    F_ARR,
    F_BASE,
    F_CLO,
    F_DEC,
    F_OFF,
    F_PAT,
    F_U,
    FREE,
    OFFERED_BIT,
    S_FLAGS,
    S_ID,
    S_ITV,
    S_NEXT,
    S_PREV,
    S_SEG,
    S_STATUS,
    SERVICE,
    SOLD,
    WAITING,
)
from .records import (
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

_accept_prob = njit(cache=True)(accept_prob)


_value_at_risk = njit(cache=True)(value_at_risk)


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
def run_chunk(a, final, state, tab, plan, acc, rec, want_rec, stop_step=-1):
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
