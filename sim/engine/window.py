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

import numpy as np
from numba import njit

from ..scenario.model import Model
from .coupling import changed_steps, coupled, restore
from .fast import arrivals_of, engine_plan, start_state, warm_up_model
from .kernel import run_chunk
from .layout import (
    S_NEXT,
    STATE,
    Arrivals,
    Plan,
    grown,
    new_tables,
)
from .stream import customer_stream
from .trajectory import (
    BUCKET_WORD,
    HIGH_WORD,
    TABLE_FULL,
    Trajectory,
    empty_accumulators,
    grown_rows,
    join_chunks,
    run_until,
    save_run,
)


class WindowRunner:
    """Window runs of changed plans against one base plan: its trajectories, and the
    working state, tables and accumulators every window run reuses."""

    def __init__(self, base: Model):
        self.base = base
        self.base_plan = engine_plan(base)
        self.priorities = int(base.priority.max()) + 1
        self.state = np.zeros(1, STATE)
        self.words = self.state.view(np.int64).reshape(-1)
        self.acc = empty_accumulators(base)
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
        acc = empty_accumulators(m)
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
            i, status = save_run(a, state, words, tab, self.base_plan, acc, steps, i, tuple(out))
            if status != TABLE_FULL:
                break
            old = cap
            tab = grown(tab)
            state[0]["free"] = old
            cap = tab.islot.shape[0]
            for j in range(1, 6):  # the saved rows (those from `high` on are filled in later)
                out[j] = grown_rows(out[j], cap, 0)
        run_until(a, state, tab, self.base_plan, acc, -1)
        rows = max(1, min(cap, int(state[0]["high"])))
        T = m.n_intervals
        bucket = out[0][:, BUCKET_WORD]
        own = np.minimum(T - 1, bucket + 1) - out[8] + 1  # partial rows each state saved
        width = int(own.max())
        per_step = (
            rows * (out[1].shape[2] + out[2].shape[2] + 3) * 8
            + words.nbytes
            + width * acc.counts[0].nbytes
        )
        stride = max(1, -(-S * per_step // max(1, keep_bytes)))
        keep = np.arange(stride - 1, S, stride)
        high = out[0][keep, HIGH_WORD]
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
    restore(tr_words, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, tr_qh, tr_qt, i0, words, tab)
    start_calls = state[0].calls
    end = -1
    for i in range(i0 + 1, len(tr_steps)):
        _, status = run_chunk(a, True, state, tab, plan, acc, rec, False, tr_steps[i])
        if status == TABLE_FULL:
            return -1, TABLE_FULL, 0
        if tr_steps[i] >= couple_from and coupled(
            state, tab, tr_state, tr_islot, tr_fslot, tr_hpos, tr_ht, tr_hk, i
        ):
            end = i
            break
    if end < 0:
        _, status = run_chunk(a, True, state, tab, plan, acc, rec, False, -1)
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
