"""When a changed plan's run has rejoined the incumbent's: the same callers, statuses,
times and flags, the same pending events in the same order; and where two plans differ."""

from __future__ import annotations

import numpy as np
from numba import njit

from ..scenario.model import Model
from .heap import key_kind, key_seq
from .layout import (
    F_ANS,
    F_DEC,
    FREE,
    S_FLAGS,
    S_ID,
    S_NEXT,
    S_STATUS,
)
from .trajectory import FREE_WORD


def changed_steps(model: Model, base: Model) -> tuple[int, int]:
    """The first and the last staffing step in which `model`'s plan differs from
    `base`'s (staffing, or an interval's thresholds or max_wait, which hold over all its
    steps); (S, -1) when they do not differ, S being the number of steps."""
    S = len(model.staffing)
    spi = model.steps_per_interval
    if spi != base.steps_per_interval or not np.array_equal(model.step_bounds, base.step_bounds):
        return 0, S - 1
    d = np.flatnonzero(model.staffing != base.staffing)
    first, last = (int(d[0]), int(d[-1])) if len(d) else (S, -1)
    rows = np.flatnonzero(
        (model.thresholds != base.thresholds).any(axis=1)
        | (model.max_wait_table() != base.max_wait_table()).any(axis=1)
    )
    if len(rows):
        first = min(first, int(rows[0]) * spi)
        last = max(last, (int(rows[-1]) + 1) * spi - 1)
    return first, last


@njit(cache=True)
def restore(tr_words, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, tr_qh, tr_qt, i, words, tab):
    """Put the saved state i into the working state and tables. The working tables are
    larger than the saved rows: the rows beyond are fresh, and the free list, which may
    have ended where the run's tables ended at that moment, goes on into them."""
    islot, fslot, ht, hk, hpos, qhead, qtail = tab
    rows = tr_islot.shape[1]
    cap = islot.shape[0]
    for r in range(rows):
        for c in range(islot.shape[1]):
            islot[r, c] = tr_islot[i, r, c]
        for c in range(fslot.shape[1]):
            fslot[r, c] = tr_fslot[i, r, c]
        hpos[r] = tr_hpos[i, r]
    for r in range(rows, cap):  # fresh rows, chained
        for c in range(islot.shape[1]):
            islot[r, c] = 0
        islot[r, S_NEXT] = r + 1 if r + 1 < cap else -1
        hpos[r] = -1
    for j in range(tr_words.shape[1]):
        words[j] = tr_words[i, j]
    for r in range(rows):
        ht[r] = tr_ht[i, r]
        hk[r] = tr_hk[i, r]
    for p in range(qhead.shape[0]):
        qhead[p] = tr_qh[i, p]
        qtail[p] = tr_qt[i, p]
    if rows < cap:
        # free list: the slot numbers differ from the full run's, which changes nothing
        # (events are ordered by time and sequence number, never by slot)
        s = words[FREE_WORD]
        if s < 0:
            words[FREE_WORD] = rows
        else:
            while islot[s, S_NEXT] >= 0:
                s = islot[s, S_NEXT]
            if s < rows:
                islot[s, S_NEXT] = rows


@njit(cache=True)
def _present(islot, rows):
    """Slots of the callers in the system, ordered by caller id."""
    m = 0
    for r in range(rows):
        if islot[r, S_STATUS] != FREE:
            m += 1
    slots = np.empty(m, np.int64)
    ids = np.empty(m, np.int64)
    m = 0
    for r in range(rows):
        if islot[r, S_STATUS] != FREE:
            slots[m] = r
            ids[m] = islot[r, S_ID]
            m += 1
    return slots[np.argsort(ids, kind="mergesort")]


@njit(cache=True)
def _same_float(x, y):
    return x == y or (np.isnan(x) and np.isnan(y))


@njit(cache=True)
def coupled(state, tab, tr_state, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, i):
    """Is the working run in the saved state i, up to slot numbers and the offset of
    sequence numbers: the same callers present, each in the same status with the same
    answer and decision times and flags, the same pending events at the same times, and
    those events (with the staffing and arrival timers) in the same order?"""
    a = state[0]
    b = tr_state[i]
    if (
        a.busy != b.busy
        or a.nwait != b.nwait
        or a.n != b.n
        or a.calls != b.calls
        or a.next_arrival != b.next_arrival
        or a.heap_size != b.heap_size
        or a.next_step != b.next_step
        or (a.arrival_seq < 0) != (b.arrival_seq < 0)
    ):
        return False
    islot, fslot, ht, hk, hpos = tab.islot, tab.fslot, tab.ht, tab.hk, tab.hpos
    sa = _present(islot, a.high)
    sb = _present(tr_islot[i], min(b.high, tr_islot.shape[1]))
    m = len(sa)
    if len(sb) != m:
        return False
    seq_a = np.empty(m + 2, np.int64)
    seq_b = np.empty(m + 2, np.int64)
    for x in range(m):
        p, q = sa[x], sb[x]
        if (
            islot[p, S_ID] != tr_islot[i, q, S_ID]
            or islot[p, S_STATUS] != tr_islot[i, q, S_STATUS]
            or islot[p, S_FLAGS] != tr_islot[i, q, S_FLAGS]
            or not _same_float(fslot[p, F_ANS], tr_fslot[i, q, F_ANS])
            or not _same_float(fslot[p, F_DEC], tr_fslot[i, q, F_DEC])
        ):
            return False
        ha, hb = hpos[p], tr_hpos[i, q]
        if (ha < 0) != (hb < 0):
            return False
        if ha >= 0:
            if ht[ha] != tr_ht[i, hb] or key_kind(hk[ha]) != key_kind(tr_hk[i, hb]):
                return False
            seq_a[x] = key_seq(hk[ha])
            seq_b[x] = key_seq(tr_hk[i, hb])
        else:
            seq_a[x] = -1
            seq_b[x] = -1
    seq_a[m] = a.step_seq
    seq_b[m] = b.step_seq
    seq_a[m + 1] = a.arrival_seq
    seq_b[m + 1] = b.arrival_seq
    oa = np.argsort(seq_a, kind="mergesort")
    ob = np.argsort(seq_b, kind="mergesort")
    return bool((oa == ob).all())
