"""The fluid (deterministic) relaxation as a linear program (pulp, solved by HiGHS).

Per interval t and segment k, with rates per second:
    n_t      agents on the phones (continuous), or fixed if staffing is given
    a_kt     abandonment rate, 0 <= a_kt <= lambda_kt
    y_kt     offer rate, 0 <= y_kt <= e_k (lambda_kt - a_kt)   (only served callers hear an offer)
capacity   sum_k (lambda_kt - a_kt) b_k + y_kt w_k <= rho_max n_t,  w_k = o_k + p_k c_k
targets    sum_k a_kt <= alpha sum_k lambda_kt  (per interval), when a maximum abandonment is set
maximise   sum_t L_t [ sum_k y_kt v_k - abandon_cost sum_k a_kt ] - agent cost of n_t over L_t
           with v_k = p_k r_k - (1 - p_k) d_k, the expected value of one offer.

Queueing delay is invisible to a fluid model, which is why `rho_max` (an occupancy cap)
stands in for the service-level target. The LP's worth is its ranking: an offer to
segment k pays v_k for w_k seconds of agent time, so segments are worth selling to in
the order of v_k / w_k, and only while that beats the agent cost per second.

Callers who react to waiting (accept_decay, accept_by_wait, max_wait): p_k is replaced
by the expected acceptance over a nominal wait W ~ Exp(mean m) of answered callers, m
the mean the service-level target allows (P(W > T) = 1 - SL: m = T / ln(1 / (1 - SL))),
else the ASA target, else 20 s; under max_wait w only the share P(W <= w) is offered,
with acceptance E[p_k(W) | W <= w]. That is where the ranking changes: a segment whose
acceptance fades fast is worth less per agent hour than its accept rate says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp
from scipy.integrate import trapezoid

from .lp import solve


@dataclass
class FluidPlan:
    staffing: np.ndarray  # (T,) agents on the phones, continuous
    offer_share: np.ndarray  # (T, K) share of eligible served callers offered
    abandon_share: np.ndarray  # (T,) fluid abandonment rate / arrival rate
    value_per_agent_hour: np.ndarray  # (K,) v_k / w_k * 3600: the ranking
    ranking: list[str]  # segments, most valuable offer first
    profit: float  # objective over the horizon (measured intervals)
    status: str


NOMINAL_WAIT = 20.0  # seconds, when the scenario sets neither an SL nor an ASA target


def nominal_wait(model) -> float:
    """Mean wait of answered callers that the targets allow (see the module docstring)."""
    t = model.targets
    if t.sl_fraction is not None and 0.0 < t.sl_fraction < 1.0:
        return float(model.sl_within / np.log(1.0 / (1.0 - t.sl_fraction)))
    if t.max_asa:
        return float(t.max_asa)
    return NOMINAL_WAIT


def expected_acceptance(model) -> tuple[np.ndarray, np.ndarray]:
    """Per segment: the acceptance E[p_k(W) | W <= max_wait] and the share P(W <= max_wait)
    of answered callers who may be offered, at the nominal wait; (accept, 1) when callers
    do not react to waiting."""
    K = model.n_segments
    reach = np.ones(K)
    if model.wait_effects is None and model.max_wait is None:
        return np.asarray(model.accept, float), reach
    fx = model.effects()
    m = nominal_wait(model)
    cap = model.max_wait_table().min(axis=0)  # the tightest interval's limit
    p = np.empty(K)
    for k in range(K):
        hi = min(cap[k], 20.0 * m)
        ws = np.linspace(0.0, hi, 801)
        dens = np.exp(-ws / m) / m
        pw = np.array([fx.accept_probability(k, x) for x in ws])
        mass = trapezoid(dens, ws) if hi > 0 else 0.0
        if mass <= 1e-12:  # max_wait 0: only callers answered at once (the atom at 0)
            p[k] = fx.accept_probability(k, 0.0)
        else:
            p[k] = float(trapezoid(pw * dens, ws) / mass)
        reach[k] = 1.0 - np.exp(-cap[k] / m) if np.isfinite(cap[k]) else 1.0
    return p, reach


def fluid_plan(
    model,
    staffing: np.ndarray | None = None,
    max_occupancy: float = 0.9,
    max_abandon: float | None = None,
) -> FluidPlan:
    """Solve the fluid LP for a compiled sim.Model; staffing fixed if given."""
    T, K = model.n_intervals, model.n_segments
    lam = model.rates
    L = model.interval_lengths
    b = np.array([h.mean for h in model.handle])
    p, reach = expected_acceptance(model)
    w = np.array(
        [o.mean + pk * c.mean for o, pk, c in zip(model.offer, p, model.close, strict=True)]
    )
    v = p * model.revenue - (1 - p) * model.decline_cost
    e = model.eligible * reach
    sellable = (e > 0) & (v > 0)
    cost_per_agent_second = model.cost_per_phone_hour / 3600.0
    if max_abandon is None:
        max_abandon = model.targets.max_abandon
    prob = pulp.LpProblem("ccsim_fluid", pulp.LpMaximize)
    n = [
        prob.add_variable(f"n_{t}", lowBound=0) if staffing is None else float(staffing[t])
        for t in range(T)
    ]
    a = [[prob.add_variable(f"a_{t}_{k}", 0, float(lam[t, k])) for k in range(K)] for t in range(T)]
    y = [
        [prob.add_variable(f"y_{t}_{k}", 0) if sellable[k] else 0.0 for k in range(K)]
        for t in range(T)
    ]
    objective = []
    for t in range(T):
        weight = L[t] if model.measured[t] else 0.0
        for k in range(K):
            if sellable[k]:
                prob += y[t][k] <= float(e[k]) * (float(lam[t, k]) - a[t][k])
        prob += (
            pulp.lpSum(
                (float(lam[t, k]) - a[t][k]) * float(b[k]) + y[t][k] * float(w[k]) for k in range(K)
            )
            <= max_occupancy * n[t]
        )
        if max_abandon is not None:
            prob += pulp.lpSum(a[t]) <= max_abandon * float(lam[t].sum())
        objective.append(
            weight
            * (
                pulp.lpSum(y[t][k] * float(v[k]) for k in range(K))
                - model.abandon_cost * pulp.lpSum(a[t])
                - cost_per_agent_second * n[t]
            )
        )
    prob += pulp.lpSum(objective)
    status = solve(prob)

    def val(x) -> float:
        return float(x) if isinstance(x, (int, float)) else float(x.value() or 0.0)

    n_val = np.array([val(x) for x in n])
    y_val = np.array([[val(x) for x in row] for row in y])
    a_val = np.array([[val(x) for x in row] for row in a])
    served = lam - a_val
    denom = e[None, :] * served
    share = np.divide(y_val, denom, out=np.zeros_like(y_val), where=denom > 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        vph = np.where(w > 0, v / np.where(w > 0, w, 1) * 3600.0, np.where(v > 0, np.inf, 0.0))
    order = sorted(range(K), key=lambda k: -vph[k])
    return FluidPlan(
        staffing=n_val,
        offer_share=np.clip(share, 0, 1),
        abandon_share=np.divide(a_val.sum(1), lam.sum(1), out=np.zeros(T), where=lam.sum(1) > 0),
        value_per_agent_hour=vph,
        ranking=[model.segments[k] for k in order],
        profit=float(pulp.value(prob.objective) or 0.0),
        status=status,
    )
