"""Re-simulating only the part of a day that a plan change touches.

A search evaluates hundreds of plans that differ from the incumbent in one interval (an
agent more at 10:15) or from one interval on. On the same callers (common random
numbers) such a plan runs exactly like the incumbent up to that interval, and once both
systems are again in the same state at an interval boundary (the same callers present,
answered at the same moments, with the same pending events in the same order) they run
alike to the end of the day. So the incumbent's run is kept once per replication with
its state at interval boundaries (`Trajectory`), and a changed plan is simulated only
from the last saved boundary before its first change to the first boundary where the
two states coincide (`run_window`): its accumulators are the incumbent's, minus the
incumbent's over that window, plus its own over that window.

The event order, and so every caller's outcome, is the full run's (the state comparison
includes the order of pending events, the engines' tie-break); only floating-point sums
may differ in the last bits (they are added in another order). tests/test_window.py
holds window runs to full runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..scenario.model import Model
from ..stats import HIST_ROWS, NFIELDS
from .fast import (
    EMPTY_CHUNK,
    F_ANS,
    F_DEC,
    FREE,
    S_FLAGS,
    S_ID,
    S_ITV,
    S_NEXT,
    S_STATUS,
    STATE,
    Accumulators,
    Arrivals,
    Plan,
    Tables,
    _run_chunk,
    arrivals_of,
    engine_plan,
    grown,
    new_tables,
    start_state,
    warm_up_model,
)
from .heap import key_kind, key_seq
from .stream import CallerChunk, customer_stream

TABLE_FULL = 1  # _run_chunk's status when the tables filled (2: stopped at the step asked)
_FIELDS: tuple[str, ...] = STATE.names or ()
_FREE_WORD = _FIELDS.index("free")  # the first free slot, as a word of the state
_BUCKET_WORD = _FIELDS.index("bucket")
_HIGH_WORD = _FIELDS.index("high")


def join_chunks(chunks: list[CallerChunk]) -> CallerChunk:
    """A replication's callers as one chunk (a window run starts mid-day)."""
    if not chunks:
        return EMPTY_CHUNK
    if len(chunks) == 1:
        return chunks[0]
    cat = np.concatenate
    us = [c.accept_uniforms() for c in chunks]
    return CallerChunk(
        chunks[0].first_id,
        cat([c.arrival for c in chunks]),
        cat([c.interval for c in chunks]),
        cat([c.segment for c in chunks]),
        cat([c.base for c in chunks]),
        cat([c.patience for c in chunks]),
        cat([c.eligible for c in chunks]),
        cat([c.offer for c in chunks]),
        cat([c.accept for c in chunks]),
        cat([c.close for c in chunks]),
        cat(us),
    )


def _accumulators(model: Model) -> Accumulators:
    T, K = model.n_intervals, model.n_segments
    # the waiting-time histogram is not needed by a search: one bin
    return Accumulators(
        np.zeros((T, K, NFIELDS)), np.zeros(T + 1), np.zeros(T + 1), np.zeros((HIST_ROWS, K, 1))
    )


@dataclass
class Trajectory:
    """One plan's run of one replication, with its state saved just before some
    staffing steps (`steps`, ascending): the scalar state as 64-bit words and the first
    rows of the tables (rows at and above a state's `high` are fresh, as `new_tables`
    makes them). `counts`, `busy`, `staffed` are the run's accumulators at the end."""

    steps: np.ndarray
    words: np.ndarray  # (n, fields) the STATE record's words
    islot: np.ndarray  # (n, rows, 7)
    fslot: np.ndarray  # (n, rows, 8)
    hpos: np.ndarray  # (n, rows)
    ht: np.ndarray  # (n, rows)
    hk: np.ndarray  # (n, rows)
    qhead: np.ndarray  # (n, priorities)
    qtail: np.ndarray
    # the accumulators at each saved state, where they are not yet final: counts rows
    # lo..lo+rows-1 (the arrival intervals of callers still present, and the current
    # ones; rows below lo are final, rows above are empty) and the current bucket's
    # busy and staffed time (earlier buckets are final, later ones empty)
    lo: np.ndarray  # (n,)
    partial: np.ndarray  # (n, width, K, F)
    part_busy: np.ndarray  # (n, 2): busy, staffed of the state's bucket
    counts: np.ndarray
    busy: np.ndarray
    staffed: np.ndarray

    def arrays(self) -> tuple:
        """The arrays the compiled window loop reads."""
        state = self.words.view(STATE).reshape(len(self.steps))
        return (
            self.steps,
            self.words,
            state,
            self.islot,
            self.fslot,
            self.hpos,
            self.ht,
            self.hk,
            self.qhead,
            self.qtail,
            self.lo,
            self.partial,
            self.part_busy,
            self.counts,
            self.busy,
            self.staffed,
        )


def _run_until(a, state, tab: Tables, plan: Plan, acc: Accumulators, stop: int) -> Tables:
    """Run to just before staffing step `stop` (-1: to the end), growing the tables when
    they fill; returns the tables (grown or not)."""
    rec = np.empty((0, 0))
    while True:
        _, status = _run_chunk(a, True, state, tab, plan, acc, rec, False, stop)
        if status != TABLE_FULL:
            return tab
        cap = tab.islot.shape[0]
        tab = grown(tab)
        state[0]["free"] = cap


@njit(cache=True)
def _save_run(a, state, words, tab, plan, acc, steps, i, out):
    """Run to each of `steps` from index i on, copying the state into `out` just before
    each; returns (next index, status): status 1 when the tables filled."""
    o_words, o_islot, o_fslot, o_hpos, o_ht, o_hk, o_qh, o_qt, o_lo, o_part, o_pb = out
    rec = np.empty((0, 0))
    T = acc.counts.shape[0]
    while i < len(steps):
        _, status = _run_chunk(a, True, state, tab, plan, acc, rec, False, steps[i])
        if status == TABLE_FULL:
            return i, status
        st = state[0]
        lo = st.bucket
        for r in range(st.high):
            if tab.islot[r, S_STATUS] != FREE and tab.islot[r, S_ITV] < lo:
                lo = tab.islot[r, S_ITV]
        hi = min(T - 1, st.bucket + 1)  # later rows: nobody has arrived in them yet
        o_lo[i] = lo
        o_part[i, : hi - lo + 1] = acc.counts[lo : hi + 1]
        o_pb[i, 0] = acc.busy[st.bucket]
        o_pb[i, 1] = acc.staffed[st.bucket]
        o_words[i, :] = words
        # rows from `high` on are fresh: `trajectory` fills them in when it trims
        o_islot[i, : st.high] = tab.islot[: st.high]
        o_fslot[i, : st.high] = tab.fslot[: st.high]
        o_hpos[i, : st.high] = tab.hpos[: st.high]
        o_ht[i, : st.heap_size] = tab.ht[: st.heap_size]
        o_hk[i, : st.heap_size] = tab.hk[: st.heap_size]
        o_qh[i, :] = tab.qhead
        o_qt[i, :] = tab.qtail
        i += 1
    return i, 0


def _grown_rows(x: np.ndarray, cap: int, fill) -> np.ndarray:
    """Saved tables `x` (n, rows, ...) widened to `cap` rows filled with `fill`."""
    out = np.empty((x.shape[0], cap, *x.shape[2:]), x.dtype)
    out[:, : x.shape[1]] = x
    out[:, x.shape[1] :] = fill
    return out


class WindowRunner:
    """Window runs of changed plans against one base plan: its trajectories, and the
    working state, tables and accumulators every window run reuses."""

    def __init__(self, base: Model):
        self.base = base
        self.base_plan = engine_plan(base)
        self.priorities = int(base.priority.max()) + 1
        self.state = np.zeros(1, STATE)
        self.words = self.state.view(np.int64).reshape(-1)
        self.acc = _accumulators(base)
        self.tab = new_tables(256, self.priorities)
        self.trajectories: dict[int, Trajectory] = {}  # by replication, kept by its user

    def trajectory(self, a: Arrivals, anyone_calls: bool, keep_bytes: int) -> Trajectory:
        """Run the base plan on one replication's callers (`arrivals_of` one chunk),
        keeping the states of as many staffing steps as fit in `keep_bytes` (every
        one, or every second, third, ...)."""
        m = self.base
        S = len(m.staffing)
        steps = np.arange(1, S + 1, dtype=np.int64)
        tab = new_tables(256, self.priorities)
        state = start_state(m, anyone_calls)
        words = state.view(np.int64).reshape(-1)
        acc = _accumulators(m)
        P, cap = self.priorities, tab.islot.shape[0]
        out = [
            np.empty((S, len(words)), np.int64),
            np.empty((S, cap, tab.islot.shape[1]), np.int64),
            np.empty((S, cap, tab.fslot.shape[1])),
            np.empty((S, cap), np.int64),
            np.empty((S, cap)),
            np.empty((S, cap), np.int64),
            np.empty((S, P), np.int64),
            np.empty((S, P), np.int64),
            np.empty(S, np.int64),
            np.empty((S, *acc.counts.shape)),  # rows past a state's own are zeroed below
            np.empty((S, 2)),
        ]
        i = 0
        while True:
            i, status = _save_run(a, state, words, tab, self.base_plan, acc, steps, i, tuple(out))
            if status != TABLE_FULL:
                break
            old = cap
            tab = grown(tab)
            state[0]["free"] = old
            cap = tab.islot.shape[0]
            for j in range(1, 6):  # the saved rows (those from `high` on are filled in later)
                out[j] = _grown_rows(out[j], cap, 0)
        _run_until(a, state, tab, self.base_plan, acc, -1)
        rows = max(1, min(cap, int(state[0]["high"])))
        T = m.n_intervals
        bucket = out[0][:, _BUCKET_WORD]
        own = np.minimum(T - 1, bucket + 1) - out[8] + 1  # partial rows each state saved
        width = int(own.max())
        per_step = (
            rows * (out[1].shape[2] + out[2].shape[2] + 3) * 8
            + words.nbytes
            + width * acc.counts[0].nbytes
        )
        stride = max(1, -(-S * per_step // max(1, keep_bytes)))
        keep = np.arange(stride - 1, S, stride)
        high = out[0][keep, _HIGH_WORD]
        fresh = np.arange(rows)[None, :] >= high[:, None]  # (kept, rows): rows never used yet
        islot = out[1][keep, :rows]
        islot[fresh] = 0
        islot[..., S_NEXT] = np.where(fresh, np.arange(1, rows + 1), islot[..., S_NEXT])
        fslot = out[2][keep, :rows]
        fslot[fresh] = 0.0
        hpos = out[3][keep, :rows]
        hpos[fresh] = -1
        partial = out[9][keep, :width]
        partial[np.arange(width)[None, :] >= own[keep][:, None]] = 0.0
        return Trajectory(
            steps[keep],
            out[0][keep],
            islot,
            fslot,
            hpos,
            out[4][keep, :rows],
            out[5][keep, :rows],
            out[6][keep],
            out[7][keep],
            out[8][keep],
            partial,
            out[10][keep],
            acc.counts,
            acc.busy,
            acc.staffed,
        )

    def run(
        self, model: Model, plan: Plan, span: tuple[int, int], tr: Trajectory, a: Arrivals
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
        """`model`'s accumulators (counts, busy, staffed) on the replication of `tr` and
        the callers simulated, re-simulating only from the last saved state before the
        plan's first change (`span`, from `changed_steps`); None when no saved state
        comes before it or the working tables fill (run it in full instead)."""
        S = len(model.staffing)
        first, last = span
        if first >= S:
            return tr.counts, tr.busy, tr.staffed, 0  # the same plan
        i0 = int(np.searchsorted(tr.steps, first, side="right")) - 1
        if i0 < 0:
            return None
        # after the last step the final staffing and thresholds hold until the system empties
        couple_from = last + 1 if last < S - 1 else S + 1
        rows = tr.islot.shape[1]
        if self.tab.islot.shape[0] < 2 * rows:
            self.tab = new_tables(2 * rows, self.priorities)
        arrays = tr.arrays()
        end, status, simulated = _window(
            a, plan, arrays, i0, couple_from, self.state, self.words, self.tab, self.acc
        )
        if status == TABLE_FULL:
            return None
        out = (np.empty_like(tr.counts), np.empty_like(tr.busy), np.empty_like(tr.staffed))
        _combine(arrays, i0, end, self.acc, out)
        return (*out, int(simulated))


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
def _restore(tr_words, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, tr_qh, tr_qt, i, words, tab):
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
        s = words[_FREE_WORD]
        if s < 0:
            words[_FREE_WORD] = rows
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
def _coupled(state, tab, tr_state, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, i):
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


@njit(cache=True)
def _zero(acc):
    acc.counts[:] = 0.0
    acc.busy[:] = 0.0
    acc.staffed[:] = 0.0


@njit(cache=True)
def _window(a, plan, tr, i0, couple_from, state, words, tab, acc):
    """Run `plan` from saved state i0 until it coincides with the trajectory at a later
    saved state of step `couple_from` or later (from there on the plans are the same),
    or to the end, accumulating into the zeroed `acc`. Returns (index of the coinciding
    state or -1 for the end, status, callers simulated): status 1 means the working
    tables filled (the caller runs the replication in full)."""
    tr_steps, tr_words, tr_state, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, tr_qh, tr_qt = tr[:10]
    rec = np.empty((0, 0))
    _zero(acc)
    _restore(tr_words, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, tr_qh, tr_qt, i0, words, tab)
    start_calls = state[0].calls
    end = -1
    for i in range(i0 + 1, len(tr_steps)):
        _, status = _run_chunk(a, True, state, tab, plan, acc, rec, False, tr_steps[i])
        if status == TABLE_FULL:
            return -1, TABLE_FULL, 0
        if tr_steps[i] >= couple_from and _coupled(
            state, tab, tr_state, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, i
        ):
            end = i
            break
    if end < 0:
        _, status = _run_chunk(a, True, state, tab, plan, acc, rec, False, -1)
        if status == TABLE_FULL:
            return -1, TABLE_FULL, 0
    return end, 0, state[0].calls - start_calls


@njit(cache=True)
def _base_row(tr_lo, tr_part, final, i, r):
    """Row r of the trajectory's counts at saved state i (-1: at the end of the day), as
    (source, row): source 0 the final counts, 1 the saved partial counts, 2 empty."""
    if i < 0 or r < tr_lo[i]:
        return 0, r
    j = r - tr_lo[i]
    return (1, j) if j < tr_part.shape[1] else (2, 0)


@njit(cache=True)
def _base_time(tr_state, tr_pb, final, i, r, col):
    """Bucket r of the trajectory's busy (col 0) or staffed (1) time at saved state i."""
    if i < 0:
        return final[r]
    b = tr_state[i].bucket
    if r < b:
        return final[r]
    if r == b:
        return tr_pb[i, col]
    return 0.0


@njit(cache=True)
def _combine(tr, i0, end, acc, out):
    """The changed plan's day: the trajectory's accumulators, with the stretch from saved
    state i0 to `end` (-1: the end of the day) replaced by the window run's `acc`."""
    tr_state = tr[2]
    tr_lo, tr_part, tr_pb, counts, busy, staffed = tr[10:]
    o_counts, o_busy, o_staffed = out
    o_counts[:] = counts
    o_busy[:] = busy
    o_staffed[:] = staffed
    T = counts.shape[0]
    # rows past the coinciding state's partial rows are empty then and now, and the
    # window run put nothing there
    last = T if end < 0 else min(T, tr_lo[end] + tr_part.shape[1])
    for r in range(tr_lo[i0], last):
        s0, j0 = _base_row(tr_lo, tr_part, counts, i0, r)
        s1, j1 = _base_row(tr_lo, tr_part, counts, end, r)
        then = counts[j0] if s0 == 0 else tr_part[i0, j0]
        now = counts[j1] if s1 == 0 else tr_part[end, j1]
        o = o_counts[r]
        w = acc.counts[r]
        for k in range(o.shape[0]):
            for f in range(o.shape[1]):
                d = w[k, f]
                if s1 != 2:
                    d -= now[k, f]
                if s0 != 2:
                    d += then[k, f]
                o[k, f] += d
    for r in range(tr_state[i0].bucket, busy.shape[0]):
        o_busy[r] += acc.busy[r] - (
            _base_time(tr_state, tr_pb, busy, end, r, 0)
            - _base_time(tr_state, tr_pb, busy, i0, r, 0)
        )
        o_staffed[r] += acc.staffed[r] - (
            _base_time(tr_state, tr_pb, staffed, end, r, 1)
            - _base_time(tr_state, tr_pb, staffed, i0, r, 1)
        )


def warm_up() -> None:
    """Compile (or load from numba's cache) the window runs once."""
    base = warm_up_model(3)
    chunk = join_chunks(list(customer_stream(base, 0, 0)))
    a = arrivals_of(chunk)
    runner = WindowRunner(base)
    tr = runner.trajectory(a, len(chunk) > 0, 1 << 20)
    m = base.with_plan(staffing=np.array([1, 2, 1]))
    runner.run(m, engine_plan(m), changed_steps(m, base), tr, a)


__all__ = ["Trajectory", "WindowRunner", "changed_steps", "join_chunks"]
