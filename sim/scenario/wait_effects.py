"""Callers who react to waiting: acceptance that falls with the wait, offers that look at
the wait (`max_wait`), and handle time that grows with it.

The wait is the caller's time in queue before an agent picked the call up. Common random
numbers hold: the caller's accept uniform u is drawn in the stream whatever the plan, and
the sale happens iff u < p_k(w), so plans that change waits are compared on the same
callers. Without these fields every quantity is the constant of before (p_k(w) = accept,
no lengthening, max_wait infinite), and the engines give the same numbers bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ScenarioError

CONSTANT, DECAY, TABLE = 0, 1, 2  # accept_mode per segment


@dataclass(frozen=True)
class WaitEffects:
    """Per segment k: how acceptance depends on the wait, and the handle-time growth."""

    accept_mode: np.ndarray  # (K,) int64: CONSTANT, DECAY or TABLE
    accept_base: np.ndarray  # (K,) p at no wait (the scenario's accept)
    half_life: np.ndarray  # (K,) seconds, inf unless DECAY
    table_waits: np.ndarray  # (K, P) seconds, padded with inf
    table_probs: np.ndarray  # (K, P), padded with the last value
    table_points: np.ndarray  # (K,) int64, points used
    handle_per_wait: np.ndarray  # (K,) seconds of handle per second waited

    @property
    def active(self) -> bool:
        return bool((self.accept_mode != CONSTANT).any() or (self.handle_per_wait > 0).any())

    def accept_probability(self, k: int, wait: float) -> float:
        """p_k(w), the same arithmetic as the compiled engine's `accept_prob`."""
        return accept_prob(
            k,
            wait,
            self.accept_mode,
            self.accept_base,
            self.half_life,
            self.table_waits,
            self.table_probs,
            self.table_points,
        )


def accept_prob(k, wait, mode, base, half, tw, tp, tn) -> float:
    """p_k(w): constant, accept x 2^(-w / half_life), or piecewise linear in w (flat
    before the first point and beyond the last). Plain Python so numba can compile it
    (the fast engine wraps it with njit)."""
    m = mode[k]
    if m == CONSTANT:
        return base[k]
    if m == DECAY:
        return base[k] * 2.0 ** (-wait / half[k])
    n = tn[k]
    if wait <= tw[k, 0]:
        return tp[k, 0]
    for j in range(1, n):
        if wait <= tw[k, j]:
            w0, w1 = tw[k, j - 1], tw[k, j]
            p0, p1 = tp[k, j - 1], tp[k, j]
            return p0 + (p1 - p0) * (wait - w0) / (w1 - w0)
    return tp[k, n - 1]


def neutral(accept: np.ndarray) -> WaitEffects:
    """No reaction to waiting: p_k(w) = accept_k, no handle growth."""
    K = len(accept)
    return WaitEffects(
        np.zeros(K, np.int64),
        np.asarray(accept, np.float64),
        np.full(K, math.inf),
        np.full((K, 1), math.inf),
        np.zeros((K, 1)),
        np.ones(K, np.int64),
        np.zeros(K),
    )


def compile_wait_effects(segments: dict, accept: np.ndarray) -> WaitEffects:
    """The scenario's per-segment wait effects (validated by the schema)."""
    K = len(segments)
    out = neutral(accept)
    mode, half = out.accept_mode.copy(), out.half_life.copy()
    tables = {}
    growth = np.zeros(K)
    for k, s in enumerate(segments.values()):
        growth[k] = s.handle_per_minute_waited / 60.0
        cs = s.cross_sell
        if cs is None:
            continue
        if cs.accept_decay is not None:
            mode[k], half[k] = DECAY, cs.accept_decay.half_life
        elif cs.accept_by_wait is not None:
            mode[k] = TABLE
            tables[k] = cs.accept_by_wait
    P = max([len(t) for t in tables.values()] + [1])
    tw = np.full((K, P), math.inf)
    tp = np.zeros((K, P))
    tn = np.ones(K, np.int64)
    for k, pts in tables.items():
        tn[k] = len(pts)
        tw[k, : len(pts)] = [w for w, _ in pts]
        tp[k, : len(pts)] = [p for _, p in pts]
        tp[k, len(pts) :] = pts[-1][1]
    return WaitEffects(mode, out.accept_base, half, tw, tp, tn, growth)


def compile_max_wait(policy, segments: dict, T: int, file: str | None, prefix: str) -> np.ndarray:
    """max_wait (T, K) in seconds of a policy section (inf where none is given)."""
    names = list(segments)
    out = np.full((T, len(names)), math.inf)
    cs = policy.cross_sell
    if isinstance(cs, str):
        return out
    for name, pol in cs.items():
        w = getattr(pol, "max_wait", None)
        if w is None or name not in names:
            continue  # an unknown segment is reported by compile_policy
        k = names.index(name)
        values = w if isinstance(w, list) else [w] * T
        if len(values) != T:
            raise ScenarioError(
                f"has {len(values)} values but the horizon has {T} intervals",
                file=file,
                path=f"{prefix}.cross_sell.{name}.max_wait",
            )
        out[:, k] = [math.inf if v is None else v for v in values]
    return out
