"""The fast engine's event heap on its own: the heap order, the slot back-pointers, and
pops in (time, key) order, after random pushes, pops and re-keys (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsim.sim.engine.heap import (
    before,
    key_kind,
    key_seq,
    key_slot,
    make_key,
    pop_root,
    push,
    rekey,
)

CAP = 64


def check_invariants(ht, hk, pos, size):
    for i in range(1, size):
        parent = (i - 1) // 2
        assert not before(ht[i], hk[i], ht[parent], hk[parent]), (i, parent)
    for i in range(size):
        assert pos[key_slot(hk[i])] == i
    live = {key_slot(hk[i]) for i in range(size)}
    assert all(pos[s] == -1 for s in range(CAP) if s not in live)


def test_key_packs_and_unpacks():
    k = make_key(123456, 4_000_000, 2)
    assert (key_seq(k), key_slot(k), key_kind(k)) == (123456, 4_000_000, 2)
    # a later sequence number sorts later whatever the slot and kind
    assert make_key(7, 0, 0) > make_key(6, 4_000_000, 3)


ops = st.lists(
    st.tuples(
        st.sampled_from(["push", "pop", "rekey"]),
        st.integers(0, 20),  # a time (few values: many ties, decided by the key)
        st.integers(0, CAP - 1),  # which entry to re-key
    ),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_random_operations_keep_the_heap(operations):
    ht = np.empty(CAP)
    hk = np.empty(CAP, np.int64)
    pos = np.full(CAP, -1, np.int64)
    size = 0
    seq = 0
    free = list(range(CAP))
    ref: dict[int, tuple[float, int]] = {}  # slot -> (time, key): what the heap should hold
    for op, t, which in operations:
        if op == "push" and free:
            slot = free.pop()
            key = make_key(seq, slot, seq % 3)
            seq += 1
            push(ht, hk, pos, size, float(t), key)
            size += 1
            ref[slot] = (float(t), key)
        elif op == "pop" and size:
            first = min(ref.values())
            assert (ht[0], hk[0]) == first  # the root is the earliest (time, key)
            slot = key_slot(hk[0])
            pop_root(ht, hk, pos, size)
            size -= 1
            del ref[slot]
            free.append(slot)
        elif op == "rekey" and size:
            i = which % size
            slot = key_slot(hk[i])
            key = make_key(seq, slot, 1)
            seq += 1
            rekey(ht, hk, pos, i, size, float(t), key)
            ref[slot] = (float(t), key)
        check_invariants(ht, hk, pos, size)
    # draining pops everything in (time, key) order
    out = []
    while size:
        out.append((ht[0], hk[0]))
        pop_root(ht, hk, pos, size)
        size -= 1
    assert out == sorted(ref.values())
