"""Erlang B, C and A (M/M/n+M): waiting, service level, abandonment, and their inverses.

Everything is evaluated in log space (Poisson log-pmf / log-cdf, cumulative log products
for the abandonment tail), so it stays finite from 1 to tens of thousands of agents and
for loads close to n. Times are in seconds, rates per second.

Service level in Erlang A follows the scenario's default convention:
    SL(T) = P(answered within T) / (1 - P(abandoned within T)),
computed exactly from the tagged caller's phase-type waiting time (see `erlang_a`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import expm_multiply
from scipy.special import gammaln, logsumexp
from scipy.stats import poisson

from ccsim.sim.scenario.errors import PlanningError
from ccsim.sim.scenario.model import gross_up


def erlang_b(n: int, a: float) -> float:
    """Blocking probability of M/M/n/n with offered load a erlangs."""
    if n < 0 or a < 0:
        raise ValueError("n and a must be non-negative")
    if a == 0:
        return 0.0 if n > 0 else 1.0
    return float(math.exp(poisson.logpmf(n, a) - poisson.logcdf(n, a)))


def erlang_c(n: int, a: float) -> float:
    """Probability of waiting in M/M/n (Erlang C); 1 when a >= n (unstable)."""
    if a >= n:
        return 1.0
    b = erlang_b(n, a)
    return float(n * b / (n - a * (1.0 - b)))


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of one staffing level (times in seconds)."""

    model: str  # "C" or "A"
    agents: int
    load: float  # offered load in erlangs
    p_wait: float
    service_level: float
    asa: float  # mean wait of answered callers
    mean_wait: float  # mean wait of all callers
    p_abandon: float
    occupancy: float


def erlang_c_metrics(n: int, lam: float, mu: float, within: float) -> QueueMetrics:
    """M/M/n: P(wait), SL = P(W <= T), ASA; infinite waits when unstable."""
    a = lam / mu
    if n <= a:
        return QueueMetrics("C", n, a, 1.0, 0.0, math.inf, math.inf, 0.0, 1.0)
    c = erlang_c(n, a)
    gap = n * mu - lam
    return QueueMetrics(
        "C", n, a, c, 1.0 - c * math.exp(-gap * within), c / gap, c / gap, 0.0, a / n
    )


def _log_stationary(n: int, lam: float, mu: float, theta: float, tol: float = 1e-16):
    """log pi_j (unnormalised) for j = 0..n+Q of M/M/n+M, Q chosen so the tail is < tol."""
    a = lam / mu
    j = np.arange(n + 1)
    head = j * math.log(a) - gammaln(j + 1) if a > 0 else np.where(j == 0, 0.0, -np.inf)
    # queue part: pi_{n+k} = pi_n * prod_{i=1..k} lam / (n mu + i theta)
    logs = [head[-1]]
    k = 0
    total_head = logsumexp(head)
    while True:
        k += 1
        logs.append(logs[-1] + math.log(lam) - math.log(n * mu + k * theta))
        if logs[-1] - total_head < math.log(tol) and (n * mu + k * theta) > lam:
            break
        if k > 10_000_000:
            raise RuntimeError("queue tail does not converge")
    return np.concatenate([head, np.asarray(logs[1:])])


def erlang_a(n: int, lam: float, mu: float, theta: float, within: float) -> QueueMetrics:
    """M/M/n+M (Palm / Erlang A) with abandonment rate theta = 1 / mean patience.

    A caller who finds q others waiting passes stages m = q, ..., 0 (callers ahead); in
    stage m it moves on at rate n mu + m theta (a service ends or someone ahead hangs up)
    and hangs up itself at rate theta; from stage 0 it is answered at rate n mu. The
    absorption probabilities by time T give P(answered within T) and P(abandoned within T).
    """
    if theta <= 0:
        return erlang_c_metrics(n, lam, mu, within)
    if n == 0:
        # everybody waits and abandons after their patience
        p_ab_t = 1.0 - math.exp(-theta * within)
        return QueueMetrics(
            "A", 0, lam / mu, 1.0, 0.0 if p_ab_t < 1 else math.nan, math.nan, 1.0 / theta, 1.0, 0.0
        )
    logp = _log_stationary(n, lam, mu, theta)
    logp -= logsumexp(logp)
    p = np.exp(logp)
    q = p[n:]  # arrivals that find n + m in system wait behind m callers (PASTA)
    p_wait = float(q.sum())
    m = np.arange(len(q))
    mean_queue = float((m * q).sum())
    p_abandon = theta * mean_queue / lam
    mean_wait = mean_queue / lam
    # P(answered | m ahead) = prod_{i=0..m} (n mu + i theta) / (n mu + (i+1) theta)
    log_step = np.log(n * mu + m * theta) - np.log(n * mu + (m + 1) * theta)
    log_served = np.cumsum(log_step)
    inv_rate = np.cumsum(1.0 / (n * mu + (m + 1) * theta))
    served_wait = float((q * np.exp(log_served) * inv_rate).sum())
    p_answered = 1.0 - p_abandon
    asa = served_wait / p_answered if p_answered > 0 else math.nan
    # absorption by time T: generator over stages, two absorbing states appended
    M = len(q)
    rows, cols, vals = [], [], []
    for i in range(M):
        out = n * mu + i * theta
        to = i - 1 if i > 0 else M  # the next place in line, or answered
        for col, v in ((to, out), (M + 1, theta), (i, -(out + theta))):  # abandoned; stay
            rows.append(i)
            cols.append(col)
            vals.append(v)
    G = sparse.csr_matrix((vals, (rows, cols)), shape=(M + 2, M + 2))
    start = np.concatenate([q, [0.0, 0.0]])
    end = expm_multiply(G.T * within, start) if within > 0 else start
    ans_t = (1.0 - p_wait) + float(end[M])
    abn_t = float(end[M + 1])
    sl = ans_t / (1.0 - abn_t) if abn_t < 1 else math.nan
    occupancy = lam * p_answered / (n * mu)
    return QueueMetrics("A", n, lam / mu, p_wait, sl, asa, mean_wait, p_abandon, occupancy)


def metrics(n: int, lam: float, mu: float, within: float, theta: float = 0.0) -> QueueMetrics:
    """Erlang A if callers abandon (theta > 0), else Erlang C."""
    return (
        erlang_a(n, lam, mu, theta, within) if theta > 0 else erlang_c_metrics(n, lam, mu, within)
    )


def _bisect(lo: int, hi: int, ok) -> int:
    """Smallest n in (lo, hi] with ok(n), given ok(hi) and not ok(lo)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _smallest(n_lo: int, ok, guess: int | None = None) -> int:
    """Smallest n >= n_lo with ok(n) true, for a monotone predicate (gallop then bisect).
    A `guess` near the answer (the offered load) saves evaluations: from it the search
    gallops down while ok holds, or up until it does."""
    if guess is not None and guess > n_lo:
        if ok(guess):
            step, hi = 1, guess
            lo = guess - 1
            while lo > n_lo and ok(lo):  # gallop down
                hi = lo
                step *= 2
                lo = max(n_lo, guess - step)
            if lo <= n_lo and ok(n_lo):
                return n_lo
            return _bisect(lo, hi, ok)
        n_lo = guess + 1
    if ok(n_lo):
        return n_lo
    step = 1
    lo, hi = n_lo, n_lo + 1
    while not ok(hi):
        lo = hi
        step *= 2
        hi = n_lo + step
        if hi > 10_000_000:
            raise PlanningError("no staffing level up to 10 million agents meets the target")
    return _bisect(lo, hi, ok)


def agents_needed(
    lam: float,
    mu: float,
    theta: float = 0.0,
    *,
    within: float = 20.0,
    target_sl: float | None = None,
    max_asa: float | None = None,
    max_abandon: float | None = None,
    max_occupancy: float | None = None,
) -> int:
    """Fewest agents on the phones that meet every target given (and the occupancy cap)."""
    a = lam / mu
    n0 = max(1, math.floor(a) + 1) if theta <= 0 else 1

    def ok(n: int) -> bool:
        r = metrics(n, lam, mu, within, theta)
        return (
            (target_sl is None or r.service_level >= target_sl)
            and (max_asa is None or r.asa <= max_asa)
            and (max_abandon is None or r.p_abandon <= max_abandon)
            and (max_occupancy is None or r.occupancy <= max_occupancy)
        )

    return _smallest(n0, ok, guess=max(n0, math.ceil(a)))


def scheduled(agents: float, shrinkage: float) -> float:
    """Heads to schedule so that `agents` are on the phones: agents / (1 - shrinkage)."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    return gross_up(agents, shrinkage)


def square_root_staffing(load: float, beta: float) -> int:
    """n = R + beta * sqrt(R), rounded up (Halfin-Whitt quality-and-efficiency regime)."""
    return max(0, math.ceil(load + beta * math.sqrt(load)))
