"""The analytic starting point: fluid ranking for the policy, Erlang A with the modified
offered load for staffing per interval."""

from __future__ import annotations

import math

import numpy as np

from ccsim.sim import NEVER, Model

from ..evaluate import Targets
from ..plan import Plan
from .erlang import agents_needed
from .fluid import fluid_plan


def modified_offered_load(rates: np.ndarray, lengths: np.ndarray, service: float) -> np.ndarray:
    """Mean busy agents per interval of an infinite-server queue with time-varying arrivals
    (exponential service of mean `service`), divided by the service time: the arrival
    rate a stationary model should see in each interval (the MOL approximation)."""
    m = rates[0] * service  # start in balance with the first interval
    out = np.empty(len(rates))
    for t, (lam, L) in enumerate(zip(rates, lengths, strict=True)):
        target = lam * service
        decay = math.exp(-L / service)
        out[t] = target + (m - target) * service / L * (1 - decay)  # mean over the interval
        m = target + (m - target) * decay
    return out / service


def seed_thresholds(model: Model) -> tuple[np.ndarray, list[str]]:
    """Offer (threshold 0: while nobody waits) to segments whose offers earn more per agent
    hour than an agent costs, in the fluid model; never to the others."""
    fl = fluid_plan(model)
    cost = model.cost_per_phone_hour
    th = np.full(model.n_segments, NEVER, np.int64)
    for k in range(model.n_segments):
        if model.eligible[k] > 0 and fl.value_per_agent_hour[k] > cost:
            th[k] = 0
    return th, fl.ranking


def pooled_times(model: Model, extra: np.ndarray | float = 0.0) -> tuple[float, float]:
    """The day's call-weighted mean work per call (handle time, plus `extra` seconds per
    segment, e.g. the offers) and abandonment rate (1 / mean patience; 0 without): one
    queue's Erlang parameters for a mix of segments."""
    total = model.rates.sum(axis=0)
    w = total / total.sum()
    base = np.array([h.mean for h in model.handle])
    theta_k = np.array([0.0 if p.kind == "none" else 1.0 / p.mean for p in model.patience])
    return float(w @ (base + extra)), float(w @ theta_k)


def seed_staffing(
    model: Model,
    targets: Targets,
    thresholds: np.ndarray,
    lo: int = 0,
    hi: int | None = None,
    max_change: int | None = None,
) -> np.ndarray:
    """Fewest agents per interval meeting the targets in Erlang A (or C), with the MOL."""
    lam = model.rates.sum(axis=1)
    extra = np.where(thresholds > NEVER, model.cross_sell_work(), 0.0)
    service, theta = pooled_times(model, extra)
    lam_eff = modified_offered_load(lam, model.interval_lengths, service)
    n = np.zeros(model.n_intervals, np.int64)
    for t in range(model.n_intervals):
        if lam_eff[t] <= 0:
            n[t] = lo
            continue
        n[t] = agents_needed(
            lam_eff[t],
            1.0 / service,
            theta,
            within=model.sl_within,
            target_sl=targets.sl_fraction,
            max_asa=targets.max_asa,
            max_abandon=targets.max_abandon,
        )
    if model.steady:
        n[:] = n[-1]
    n = np.maximum(n, lo)
    if hi is not None:
        n = np.minimum(n, hi)
    if max_change:
        n = smooth(n, max_change)
    return n


def smooth(n: np.ndarray, max_change: int) -> np.ndarray:
    """Raise staffing until consecutive intervals differ by at most max_change."""
    n = n.copy()
    for _ in range(len(n)):
        changed = False
        for t in range(1, len(n)):
            if n[t - 1] - n[t] > max_change:
                n[t] = n[t - 1] - max_change
                changed = True
            if n[t] - n[t - 1] > max_change:
                n[t - 1] = n[t] - max_change
                changed = True
        if not changed:
            break
    return n


def seed_plan(model: Model, targets: Targets) -> tuple[Plan, list[str]]:
    o = model.optimizer
    th, ranking = seed_thresholds(model)
    n = seed_staffing(
        model, targets, th, lo=o.staffing_min, hi=o.staffing_max, max_change=o.max_change
    )
    return Plan.of(n, np.tile(th, (model.n_intervals, 1))), ranking
