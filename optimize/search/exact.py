"""The exact search for Markov-solvable scenarios: agents and thresholds chosen on the
chain's exact figures, no simulation noise."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ccsim.sim import NEVER, Model

from ..analytic.erlang import agents_needed
from ..analytic.markov import MarkovResult, chain_rates, threshold_chain
from ..budget import Budget
from ..evaluate import Targets
from .moves import Bounds
from .progress import Progress, SearchLog


@dataclass
class ExactPoint:
    agents: int
    thresholds: tuple[int, ...]
    result: MarkovResult
    profit_rate: float
    feasible: bool


def exact_evaluator(model: Model, targets: Targets):
    """point(n, thresholds, waiting) -> ExactPoint from the Markov chain. Waiting-time
    figures (SL, ASA; the costly part) are computed only when asked for and a target
    needs them; without them `feasible` covers the abandonment target only."""
    mu, gamma, theta = chain_rates(model)
    lam = model.rates[-1]
    need_wait = targets.needs_waiting_times()
    cache: dict = {}

    def point(n: int, th: tuple[int, ...], waiting: bool = True) -> ExactPoint:
        waiting = waiting and need_wait
        key = (n, th, waiting)
        if key in cache:
            return cache[key]
        r = threshold_chain(
            n,
            lam,
            mu,
            gamma,
            theta,
            model.eligible,
            model.accept,
            model.revenue,
            np.asarray(th),
            model.decline_cost,
            within=model.sl_within if waiting else None,
        )
        profit = r.profit_rate(
            model.agent_cost_per_hour, model.abandon_cost, float(np.mean(model.shrinkage))
        )
        caps = [x for x in (targets.max_abandon, targets.max_abandon_interval) if x is not None]
        ok = all(r.p_abandon <= x for x in caps)
        if waiting:
            for x in (targets.sl_fraction, targets.sl_floor):
                if x is not None:
                    ok = ok and r.service_level >= x
            if targets.max_asa is not None:
                ok = ok and r.asa <= targets.max_asa
        p = ExactPoint(n, th, r, profit, ok)
        cache[key] = p
        return p

    return point


def _best_at(
    point,
    n: int,
    K: int,
    sellable: list[int],
    cands: list[int],
    floor: float,
    start: tuple[int, ...] | None,
) -> tuple[ExactPoint | None, int]:
    """The most profitable feasible thresholds at n agents (None if none beats `floor`)."""
    evaluations = 0
    if len(sellable) <= 2:
        # every combination; feasibility checked in order of profit. Offering more never
        # shortens waits, so a combination that dominates an infeasible one is skipped.
        combos = []
        for values in itertools.product(cands, repeat=len(sellable)):
            combo = [NEVER] * K
            for k, v in zip(sellable, values, strict=True):
                combo[k] = v
            p = point(n, tuple(combo), waiting=False)
            evaluations += 1
            combos.append((p.profit_rate, values, p))
        combos.sort(key=lambda x: -x[0])
        bad: list[tuple[int, ...]] = []
        for profit, values, quick in combos:
            if profit <= floor:
                return None, evaluations
            if not quick.feasible or any(
                all(v >= b for v, b in zip(values, bv, strict=True)) for bv in bad
            ):
                bad.append(values)
                continue
            full = point(n, quick.thresholds)
            evaluations += 1
            if full.feasible:
                return full, evaluations
            bad.append(values)
        return None, evaluations
    # more segments: coordinate descent from `start` (or never), then pairwise moves
    th = start or tuple([NEVER] * K)
    cur = point(n, th)
    if not cur.feasible:
        th = tuple([NEVER] * K)
        cur = point(n, th)
    for _ in range(6):
        changed = False
        for k in sellable:
            for c in cands:
                trial = tuple(c if j == k else th[j] for j in range(K))
                if trial == th:
                    continue
                quick = point(n, trial, waiting=False)
                evaluations += 1
                if not quick.feasible or (
                    cur.feasible and quick.profit_rate <= cur.profit_rate + 1e-12
                ):
                    continue
                p = point(n, trial)
                evaluations += 1
                if p.feasible:
                    cur, th, changed = p, trial, True
        if not changed:
            break
    return (cur if cur.feasible and cur.profit_rate > floor else None), evaluations


def exact_search(
    model: Model,
    targets: Targets,
    bounds: Bounds,
    ranking: list[int],
    stop: Budget,
    progress: Progress | None = None,
    search_thresholds: bool = True,
) -> tuple[ExactPoint, SearchLog, int]:
    """Staffing levels upward from the Erlang A answer; for each, coordinate descent over
    the thresholds with the exact chain. Stops when even selling to everyone at no extra
    waiting could not beat the best profit found."""
    log = SearchLog()
    point = exact_evaluator(model, targets)
    lam = model.rates[-1]
    mu, _, theta = chain_rates(model)
    n0 = agents_needed(
        float(lam.sum()),
        mu,
        theta,
        within=model.sl_within,
        target_sl=targets.sl_fraction,
        max_asa=targets.max_asa,
        max_abandon=targets.max_abandon,
    )
    n0 = max(n0, bounds.lo, 1)
    value = model.accept * model.revenue - (1 - model.accept) * model.decline_cost
    revenue_cap = float((lam * model.eligible * np.maximum(value, 0)).sum())
    cost = model.cost_per_phone_hour / 3600.0
    K = model.n_segments
    cands = bounds.candidates() if search_thresholds else [NEVER]
    sellable = [k for k in ranking if model.eligible[k] > 0] if search_thresholds else []
    best: ExactPoint | None = None
    evaluations = 0
    n = n0
    while not stop.out():
        if bounds.hi is not None and n > bounds.hi:
            break
        if best is not None and revenue_cap - cost * n < best.profit_rate:
            break  # even selling to everyone could not pay for this many agents
        cur, e = _best_at(
            point,
            n,
            K,
            sellable,
            cands,
            best.profit_rate if best else -math.inf,
            best.thresholds if best else None,
        )
        evaluations += e
        if cur is not None:
            best = cur
        log.rounds += 1
        if progress:
            progress(f"exact search, {n} agents", evaluations)
        n += 1
    else:
        log.stopped = stop.reason
    if best is None:
        # nothing feasible within the bounds or the time: the most agents tried, selling
        # to nobody, is the best service there is; the caller marks it infeasible
        top = min(n, bounds.hi) if bounds.hi is not None else n
        best = point(max(top, 1), tuple([NEVER] * K))
    log.evaluations = evaluations
    return best, log, n0
