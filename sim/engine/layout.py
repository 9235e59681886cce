"""The compiled engine's memory: event kinds, the slot table's columns and flags, the
scalar state carried between chunks, and the argument groups the compiled loop takes."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

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
