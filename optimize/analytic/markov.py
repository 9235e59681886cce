"""The exact continuous-time Markov chain of the threshold cross-sell model.

Assumptions (those under which the chain is exact): Poisson arrivals by segment, one
FCFS queue without priorities, every segment with the same exponential base handle time
(rate mu), the same exponential offer time (rate gamma, or an instant offer) and the
same exponential patience (rate theta, or none); close time 0.

State: (b, o, q) = callers in base service, agents busy with an offer, callers waiting.
Why it is exact: a caller's segment is a mark drawn at arrival, independent of
everything else, and neither entering service (FCFS) nor leaving the base phase
(common mu) nor abandoning (common theta) looks at it. So the segments of the callers
in base service are i.i.d. with P(k) = lambda_k / lambda, and the caller who finishes
its base time next is of segment k with that probability, whatever the state. It is
offered the product iff eligible (e_k) and Y - n <= K_k, Y = b + o + q.

The queue is truncated at Q, doubled until the stationary mass at the boundary is below
`tol`; that mass is reported as the truncation error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, bicgstab, expm_multiply, spilu, splu, spsolve

from ccsim.sim import ALWAYS, NEVER, PlanningError, ScenarioError
from ccsim.sim.scenario.model import gross_up

__all__ = [
    "ALWAYS",
    "NEVER",
    "MarkovResult",
    "applicable",
    "chain_rates",
    "solve_model",
    "threshold_chain",
]


@dataclass
class MarkovResult:
    """Stationary performance. Rates are per second; per-call figures are per offered call."""

    agents: int
    p_wait: float
    p_abandon: float
    mean_wait: float  # all callers, seconds (Little's law)
    mean_queue: float
    occupancy: float
    attempts_rate: np.ndarray  # offers per second, by segment
    accepts_rate: np.ndarray
    revenue_rate: np.ndarray  # revenue per second, by segment
    decline_cost_rate: np.ndarray
    attempts_per_call: np.ndarray  # offers per offered call of the segment
    truncation_error: float
    queue_cap: int
    states: int
    service_level: float = math.nan  # P(answered <= T) / (1 - P(abandoned <= T)); needs within=
    asa: float = math.nan  # mean wait of answered callers
    arrival_rates: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def profit_rate(
        self, agent_cost_per_hour: float, abandon_cost: float, shrinkage: float = 0.0
    ) -> float:
        """Profit per second: revenue - paid agents - abandonments - declines."""
        lam = float(self.arrival_rates.sum())
        return float(
            self.revenue_rate.sum()
            - self.decline_cost_rate.sum()
            - gross_up(self.agents * agent_cost_per_hour / 3600.0, shrinkage)
            - lam * self.p_abandon * abandon_cost
        )


def _solve(n: int, lam: np.ndarray, mu: float, gamma: float, theta: float, p_offer_fn, Q: int):
    """Stationary distribution of the chain truncated at queue length Q."""
    lam_tot = float(lam.sum())
    # enumerate states: c = b + o < n with q = 0; then c = n with q = 0..Q
    bs: list[np.ndarray] = []
    os_: list[np.ndarray] = []
    qs: list[np.ndarray] = []
    for busy in range(n):
        bc = np.arange(busy + 1)
        bs.append(bc)
        os_.append(busy - bc)
        qs.append(np.zeros(busy + 1, np.int64))
    b_full = np.arange(n + 1)
    for qq in range(Q + 1):
        bs.append(b_full)
        os_.append(n - b_full)
        qs.append(np.full(n + 1, qq))
    b = np.concatenate(bs).astype(np.int64)
    o = np.concatenate(os_).astype(np.int64)
    q = np.concatenate(qs).astype(np.int64)
    S = len(b)
    base_full = n * (n + 1) // 2

    def index(b_, o_, q_):
        c = b_ + o_
        return np.where(c < n, c * (c + 1) // 2 + b_, base_full + q_ * (n + 1) + b_)

    rows, cols, rates = [], [], []

    def add(mask, rate, nb, no, nq):
        m = mask & (rate > 0)
        if m.any():
            rows.append(np.flatnonzero(m))
            cols.append(index(nb[m], no[m], nq[m]))
            rates.append(rate[m] if np.ndim(rate) else np.full(int(m.sum()), rate))

    c = b + o
    full = c == n
    # arrivals
    add(~full, np.full(S, lam_tot), b + 1, o, q)
    add(full & (q < Q), np.full(S, lam_tot), b, o, q + 1)
    # end of base handle time: offer (agent stays busy) or free the agent
    p_off = p_offer_fn(b + o + q - n)  # per state, summed over segments
    if math.isinf(gamma):
        p_off = np.zeros(S)  # instant offers do not change the dynamics
    add(b > 0, b * mu * p_off, b - 1, o + 1, q)
    add((b > 0) & (q > 0), b * mu * (1 - p_off), b, o, q - 1)
    add((b > 0) & (q == 0), b * mu * (1 - p_off), b - 1, o, q)
    # end of an offer
    if not math.isinf(gamma):
        add((o > 0) & (q > 0), o * gamma, b + 1, o - 1, q - 1)
        add((o > 0) & (q == 0), o * gamma, b, o - 1, q)
    # abandonment
    add(q > 0, q * theta, b, o, q - 1)
    r = np.concatenate(rows)
    cc = np.concatenate(cols)
    v = np.concatenate(rates).astype(float)
    G = sparse.csr_matrix((v, (r, cc)), shape=(S, S))
    G = G - sparse.diags(np.asarray(G.sum(axis=1)).ravel())
    A = G.T.tolil()
    A[0, :] = 1.0  # replace one balance equation by the normalisation
    rhs = np.zeros(S)
    rhs[0] = 1.0
    pi = spsolve(A.tocsc(), rhs)
    pi = np.maximum(pi, 0.0)
    pi /= pi.sum()
    return pi, b, o, q


def threshold_chain(
    n: int,
    arrival_rates,
    mu: float,
    gamma: float,
    theta: float,
    eligible,
    accept,
    revenue,
    thresholds,
    decline_cost=None,
    tol: float = 1e-8,
    max_queue: int = 1 << 16,
    within: float | None = None,
) -> MarkovResult:
    """Solve the chain. Rates per second; gamma = inf for instant offers; theta = 0 for no
    abandonment. thresholds[k]: offer iff Y - n <= K_k (NEVER / ALWAYS sentinels allowed).
    With `within` = T, also the service level and ASA (see `_tagged_caller`)."""
    lam = np.asarray(arrival_rates, float)
    e = np.asarray(eligible, float)
    p = np.asarray(accept, float)
    r = np.asarray(revenue, float)
    d = np.zeros_like(lam) if decline_cost is None else np.asarray(decline_cost, float)
    K = np.asarray(thresholds, np.int64)
    if n < 1:
        raise PlanningError("the Markov model needs at least one agent")
    share = lam / lam.sum()

    def offer_prob_by_segment(excess: np.ndarray) -> np.ndarray:
        return (share * e)[None, :] * (excess[:, None] <= K[None, :])

    def p_offer(excess: np.ndarray) -> np.ndarray:
        return offer_prob_by_segment(excess).sum(axis=1)

    Q = 16 + n // 2
    while True:
        pi, b, o, q = _solve(n, lam, mu, gamma, theta, p_offer, Q)
        err = float(pi[q == Q].sum())
        if err < tol:
            break
        if max_queue <= Q:
            raise PlanningError(
                f"queue does not settle within {max_queue} callers (unstable?); "
                f"mass at the cap {err:.2e}"
            )
        Q *= 2
    full = (b + o) == n
    p_wait = float(pi[full].sum())
    mean_q = float((pi * q).sum())
    lam_tot = float(lam.sum())
    p_ab = theta * mean_q / lam_tot
    # offers: base completions (rate b mu) of segment k that meet the rule
    by_seg = offer_prob_by_segment(b + o + q - n)  # (S, K)
    attempts = (pi * b * mu) @ by_seg
    accepts = attempts * p
    sl = asa = math.nan
    if within is not None:
        sl, asa = _tagged_caller(n, lam, mu, gamma, theta, pi, b, o, q, Q, p_offer, within)
    return MarkovResult(
        agents=n,
        p_wait=p_wait,
        p_abandon=p_ab,
        mean_wait=mean_q / lam_tot,
        mean_queue=mean_q,
        occupancy=float((pi * (b + o)).sum()) / n,
        attempts_rate=attempts,
        accepts_rate=accepts,
        revenue_rate=accepts * r,
        decline_cost_rate=(attempts - accepts) * d,
        attempts_per_call=np.divide(attempts, lam, out=np.zeros_like(lam), where=lam > 0),
        truncation_error=err,
        queue_cap=Q,
        states=len(pi),
        arrival_rates=lam,
        service_level=sl,
        asa=asa,
    )


def applicable(model) -> str | None:
    """Why a compiled sim.Model cannot be solved exactly, or None if it can."""
    if not model.steady:
        return "the exact model is for steady-state scenarios"
    if model.wait_effects is not None or model.max_wait is not None:
        # the chain's state is the number in the system; a caller's own wait is not in it
        return "callers react to their own wait (accept_decay, accept_by_wait, max_wait or handle growth)"
    if model.optimizer.objective != "profit":
        return "the objective counts customer value at risk, which the chain does not track"
    if len(set(model.priority.tolist())) > 1:
        return "segments have different priorities (the chain assumes one FCFS queue)"
    h = {(x.kind, x.mean) for x in model.handle}
    if len(h) != 1 or next(iter(h))[0] != "exponential":
        return "every segment needs the same exponential handle time"
    pt = {(x.kind, x.mean) for x in model.patience}
    if len(pt) != 1 or next(iter(pt))[0] not in ("exponential", "none"):
        return "every segment needs the same exponential patience (or none)"
    offered = [
        k
        for k in range(model.n_segments)
        if model.eligible[k] > 0 and (model.thresholds[:, k] > NEVER).any()
    ]
    of = {(model.offer[k].kind, model.offer[k].mean) for k in offered}
    if (
        len(of) > 1
        or (of and next(iter(of))[0] not in ("exponential", "deterministic"))
        or (of and next(iter(of))[0] == "deterministic" and next(iter(of))[1] != 0)
    ):
        return "offered segments need the same exponential offer time (or 0)"
    if any(not model.close[k].is_zero for k in offered):
        return "close times must be 0"
    if (model.thresholds != model.thresholds[0]).any():
        return "thresholds must not vary by interval"
    return None


def chain_rates(model) -> tuple[float, float, float]:
    """(mu, gamma, theta) of a model the chain applies to: handle, offer (inf when
    offers take no time) and abandonment rates per second."""
    mu = 1.0 / model.handle[0].mean
    pat = model.patience[0]
    theta = 0.0 if pat.kind == "none" else 1.0 / pat.mean
    offered = [k for k in range(model.n_segments) if model.eligible[k] > 0]
    gamma = math.inf
    if offered and model.offer[offered[0]].kind == "exponential":
        gamma = 1.0 / model.offer[offered[0]].mean
    return mu, gamma, theta


def solve_model(model, tol: float = 1e-8, with_waiting: bool = True) -> MarkovResult:
    """The exact chain for a steady-state sim.Model (see `applicable`)."""
    why = applicable(model)
    if why:
        raise ScenarioError(f"the exact model does not apply: {why}", file=model.source)
    mu, gamma, theta = chain_rates(model)
    return threshold_chain(
        int(model.staffing[0]),
        model.rates[-1],
        mu,
        gamma,
        theta,
        model.eligible,
        model.accept,
        model.revenue,
        model.thresholds[0],
        model.decline_cost,
        tol=tol,
        within=model.sl_within if with_waiting else None,
    )


def _tagged_caller(n, lam, mu, gamma, theta, pi, b, o, q, Q, p_offer, within):
    """Waiting time of a caller who finds all agents busy, exactly.

    While it waits the state is (b, j, m): callers in base service (o = n - b), callers
    ahead, callers behind; offers depend on Y - n = j + 1 + m. It leaves by being answered
    (an agent frees with j = 0) or by hanging up (rate theta). Started from what arrivals
    see (PASTA), absorption by time T gives P(answered <= T) and P(abandoned <= T); the
    fundamental matrix gives E[wait; answered]. Callers behind are capped at Q, like the
    queue.
    """
    lam_tot = float(lam.sum())
    M = Q
    full = (b + o) == n
    start_b, start_j = b[full], q[full]
    weight = pi[full]
    p_no_wait = 1.0 - float(weight.sum())
    nb, nj, nm = n + 1, Q + 1, M + 1
    S = nb * nj * nm
    SERVED, ABANDONED = S, S + 1
    bb, jj, mm = (
        a.ravel() for a in np.meshgrid(np.arange(nb), np.arange(nj), np.arange(nm), indexing="ij")
    )
    oo = n - bb

    def idx(b_, j_, m_):
        return (b_ * nj + j_) * nm + m_

    rows, cols, vals = [], [], []

    def add(mask, rate, target):
        sel = mask & (rate > 0)
        if sel.any():
            rows.append(np.flatnonzero(sel))
            cols.append(target[sel])
            vals.append(rate[sel])

    full_s = np.full(S, 1.0)
    add(mm < M, lam_tot * full_s, idx(bb, jj, np.minimum(mm + 1, M)))
    p_off = np.zeros(S) if math.isinf(gamma) else p_offer(jj + 1 + mm)
    base = bb * mu
    add(bb > 0, base * p_off, idx(np.maximum(bb - 1, 0), jj, mm))  # offer: agent stays busy
    free_base = base * (1 - p_off)
    add(jj > 0, free_base, idx(bb, np.maximum(jj - 1, 0), mm))  # the head of line is answered
    add(jj == 0, free_base, np.full(S, SERVED))
    if not math.isinf(gamma):
        add((jj > 0) & (oo > 0), oo * gamma, idx(np.minimum(bb + 1, n), np.maximum(jj - 1, 0), mm))
        add((jj == 0) & (oo > 0), oo * gamma, np.full(S, SERVED))
    add(jj > 0, jj * theta, idx(bb, np.maximum(jj - 1, 0), mm))
    add(mm > 0, mm * theta, idx(bb, jj, np.maximum(mm - 1, 0)))
    add(np.ones(S, bool), theta * full_s, np.full(S, ABANDONED))
    G = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(S + 2, S + 2)
    )
    G = G - sparse.diags(np.asarray(G.sum(axis=1)).ravel())
    p0 = np.zeros(S + 2)
    np.add.at(p0, idx(start_b, start_j, 0), weight)
    end = expm_multiply(G.T * within, p0) if within > 0 else p0
    ans_t = p_no_wait + float(end[SERVED])
    abn_t = float(end[ABANDONED])
    sl = ans_t / (1.0 - abn_t) if abn_t < 1 else math.nan
    Gtt = G[:S, :S].tocsc()
    r_served = np.asarray(G[:S, SERVED].todense()).ravel()
    solve = _solver(-Gtt)
    x = solve(r_served)  # P(answered | start)
    y = solve(x)  # E[wait; answered | start]
    p_served = p_no_wait + float(p0[:S] @ x)
    return sl, float(p0[:S] @ y) / p_served if p_served > 0 else math.nan


def _solver(A):
    """Solve A x = b repeatedly: direct LU for small systems, ILU-preconditioned BiCGSTAB
    (checked to a 1e-12 relative residual) for large ones, where LU fill-in is slow."""
    if A.shape[0] < 4000:
        lu = splu(A.tocsc())
        return lu.solve
    ilu = spilu(A.tocsc(), drop_tol=1e-6, fill_factor=20)
    pre = LinearOperator(A.shape, ilu.solve)

    def solve(b):
        x, info = bicgstab(A, b, M=pre, rtol=1e-13, atol=0.0, maxiter=5000)
        if info != 0 or np.linalg.norm(A @ x - b) > 1e-12 * max(np.linalg.norm(b), 1e-300):
            return spsolve(A.tocsc(), b)
        return x

    return solve
