"""The fast engine's event heap: a binary min-heap of timed events in arrays, ordered by
(time, key), with a back-pointer from each caller's slot to its entry.

A key packs the event's sequence number, the caller's slot and the event kind:
`seq << SEQ_SHIFT | slot << KIND_BITS | kind`. Ordering by key is ordering by sequence
number, the tie-break the reference engine (simpy) uses for simultaneous events. Every
caller in the system holds at most one timer, so `pos[slot]` (its entry's index, or -1)
lets the engine re-key that entry in place instead of leaving stale entries behind.

Invariants (tests/test_event_heap.py): for 0 < i < size, entry i is not before its
parent (i - 1) // 2; `pos[key_slot(hk[i])] == i` for every entry; popping the root
yields entries in (time, key) order.
"""

from __future__ import annotations

from numba import njit

KIND_BITS = 2
SLOT_BITS = 22
SEQ_SHIFT = KIND_BITS + SLOT_BITS
MAX_SLOTS = 1 << SLOT_BITS
SLOT_MASK = MAX_SLOTS - 1
KIND_MASK = (1 << KIND_BITS) - 1


@njit(cache=True)
def make_key(seq, slot, kind):
    return (seq << SEQ_SHIFT) | (slot << KIND_BITS) | kind


@njit(cache=True)
def key_slot(key):
    return (key >> KIND_BITS) & SLOT_MASK


@njit(cache=True)
def key_kind(key):
    return key & KIND_MASK


@njit(cache=True)
def key_seq(key):
    return key >> SEQ_SHIFT


@njit(cache=True)
def before(t1, k1, t2, k2):
    """Does entry (t1, k1) come before (t2, k2)?"""
    return t1 < t2 or (t1 == t2 and k1 < k2)


@njit(cache=True)
def sift_up(ht, hk, pos, i):
    t = ht[i]
    key = hk[i]
    while i > 0:
        parent = (i - 1) >> 1
        if not before(t, key, ht[parent], hk[parent]):
            break
        ht[i] = ht[parent]
        hk[i] = hk[parent]
        pos[key_slot(hk[i])] = i
        i = parent
    ht[i] = t
    hk[i] = key
    pos[key_slot(key)] = i


@njit(cache=True)
def sift_down(ht, hk, pos, i, size):
    t = ht[i]
    key = hk[i]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and before(ht[c + 1], hk[c + 1], ht[c], hk[c]):
            c += 1
        if not before(ht[c], hk[c], t, key):
            break
        ht[i] = ht[c]
        hk[i] = hk[c]
        pos[key_slot(hk[i])] = i
        i = c
    ht[i] = t
    hk[i] = key
    pos[key_slot(key)] = i


@njit(cache=True)
def push(ht, hk, pos, size, t, key):
    """Add an entry to a heap of `size` entries (the caller then has size + 1)."""
    ht[size] = t
    hk[size] = key
    sift_up(ht, hk, pos, size)


@njit(cache=True)
def pop_root(ht, hk, pos, size):
    """Remove the earliest entry from a heap of `size` entries."""
    pos[key_slot(hk[0])] = -1
    last = size - 1
    if last > 0:
        ht[0] = ht[last]
        hk[0] = hk[last]
        sift_down(ht, hk, pos, 0, last)


@njit(cache=True)
def rekey(ht, hk, pos, i, size, t, key):
    """Give entry i a new time and key (a caller's one timer changes meaning)."""
    up = before(t, key, ht[i], hk[i])
    ht[i] = t
    hk[i] = key
    if up:
        sift_up(ht, hk, pos, i)
    else:
        sift_down(ht, hk, pos, i, size)
