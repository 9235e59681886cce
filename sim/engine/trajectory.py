"""The incumbent's run kept for window runs: a replication's callers as one chunk, the
engine's state and not-yet-final accumulator rows at every staffing step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..scenario.model import Model
from .accumulators import HIST_ROWS, NFIELDS
from .fast import EMPTY_CHUNK
from .kernel import run_chunk
from .layout import (
    FREE,
    S_ITV,
    S_STATUS,
    STATE,
    Accumulators,
    Plan,
    Tables,
    grown,
)
from .stream import CallerChunk

TABLE_FULL = 1  # run_chunk's status when the tables filled (2: stopped at the step asked)


_FIELDS: tuple[str, ...] = STATE.names or ()


FREE_WORD = _FIELDS.index("free")  # the first free slot, as a word of the state


BUCKET_WORD = _FIELDS.index("bucket")


HIGH_WORD = _FIELDS.index("high")


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


def empty_accumulators(model: Model) -> Accumulators:
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


def run_until(a, state, tab: Tables, plan: Plan, acc: Accumulators, stop: int) -> Tables:
    """Run to just before staffing step `stop` (-1: to the end), growing the tables when
    they fill; returns the tables (grown or not)."""
    rec = np.empty((0, 0))
    while True:
        _, status = run_chunk(a, True, state, tab, plan, acc, rec, False, stop)
        if status != TABLE_FULL:
            return tab
        cap = tab.islot.shape[0]
        tab = grown(tab)
        state[0]["free"] = cap


@njit(cache=True)
def save_run(a, state, words, tab, plan, acc, steps, i, out):
    """Run to each of `steps` from index i on, copying the state into `out` just before
    each; returns (next index, status): status 1 when the tables filled."""
    o_words, o_islot, o_fslot, o_hpos, o_ht, o_hk, o_qh, o_qt, o_lo, o_part, o_pb = out
    rec = np.empty((0, 0))
    T = acc.counts.shape[0]
    while i < len(steps):
        _, status = run_chunk(a, True, state, tab, plan, acc, rec, False, steps[i])
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


def grown_rows(x: np.ndarray, cap: int, fill) -> np.ndarray:
    """Saved tables `x` (n, rows, ...) widened to `cap` rows filled with `fill`."""
    out = np.empty((x.shape[0], cap, *x.shape[2:]), x.dtype)
    out[:, : x.shape[1]] = x
    out[:, x.shape[1] :] = fill
    return out
