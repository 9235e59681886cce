"""Searches over plans: by simulation (any scenario) and exact (Markov-solvable ones)."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim import ALWAYS, NEVER, Model

from .erlang import agents_needed
from .evaluate import Evaluation, Evaluator, Targets, paired
from .markov import MarkovResult, chain_rates, threshold_chain
from .plan import Plan

Progress = Callable[[str, int], None]


@dataclass
class SearchLog:
    rounds: int = 0
    evaluations: int = 0
    moves: list[str] = field(default_factory=list)
    best_rejected: tuple[str, float, float] | None = None  # move, paired gain, its s.e.
    stopped_by_time: bool = False


@dataclass
class Bounds:
    lo: int = 0
    hi: int | None = None
    max_change: int | None = None
    th_min: int = -3
    th_max: int = 8
    per_interval: bool = False

    @classmethod
    def from_model(cls, model: Model) -> Bounds:
        if model.scenario is None:
            return cls()
        o = model.scenario.optimizer
        return cls(
            o.staffing.min,
            o.staffing.max,
            o.staffing.max_change,
            o.thresholds.min,
            o.thresholds.max,
            o.thresholds.per_interval and not model.steady,
        )

    def candidates(self) -> list[int]:
        return [NEVER, *range(self.th_min, self.th_max + 1), ALWAYS]

    def staffing_ok(self, s: tuple[int, ...]) -> bool:
        if min(s) < self.lo or (self.hi is not None and max(s) > self.hi):
            return False
        if self.max_change:
            return all(abs(a - b) <= self.max_change for a, b in zip(s, s[1:], strict=False))
        return True


def _better(cand: Evaluation, cur: Evaluation) -> float:
    """Paired profit gain of a feasible candidate, or -inf."""
    if not cand.feasible:
        return -math.inf
    return paired(cur, cand)[0]


def _staffing_moves(plan: Plan, model: Model, bounds: Bounds) -> list[tuple[str, int | None, Plan]]:
    """(label, interval or None for all, plan) for every +-1 staffing move in bounds."""
    moves = []
    if model.steady:  # one staffing level for the whole run
        for d in (-1, 1):
            s = tuple(x + d for x in plan.staffing)
            if bounds.staffing_ok(s) and s[0] >= 1:
                moves.append((f"staffing {d:+d}", None, Plan(s, plan.thresholds)))
        return moves
    for t in range(model.n_intervals):
        for d in (-1, 1):
            p = plan.with_staffing(t, plan.staffing[t] + d)
            if bounds.staffing_ok(p.staffing):
                moves.append((f"interval {t} {d:+d}", t, p))
    return moves


def repair(
    ev: Evaluator,
    plan: Plan,
    bounds: Bounds,
    log: SearchLog,
    progress: Progress | None,
    deadline: float,
) -> Evaluation:
    """Add agents where service is worst until the targets hold (or nothing can be added)."""
    cur = ev.evaluate(plan)
    model = ev.model
    while not cur.feasible and time.perf_counter() < deadline:
        s = np.array(cur.plan.staffing)
        if model.steady:
            s = s + 1
        else:
            sl = np.nanmean(cur.interval_sl, axis=0)
            sl = np.where(np.isfinite(sl), sl, 1.0)
            worst = np.argsort(sl)[: max(1, model.n_intervals // 4)]
            s[worst] += 1
        if bounds.hi is not None:
            s = np.minimum(s, bounds.hi)
        if tuple(s) == cur.plan.staffing:
            break
        cur = ev.evaluate(Plan(tuple(int(x) for x in s), cur.plan.thresholds))
        log.moves.append("repair: add agents where service is worst")
        if progress:
            progress("repairing targets", ev.evaluations)
    return cur


def simulation_search(
    ev: Evaluator,
    start: Plan,
    ranking: list[int],
    bounds: Bounds,
    deadline: float,
    progress: Progress | None = None,
    search_thresholds: bool = True,
) -> tuple[Evaluation, SearchLog]:
    """Coordinate search over thresholds, then +-1 staffing moves, until nothing improves.

    Every candidate is judged on the same replications; a move is taken when it keeps the
    targets (on the estimate) and its paired profit gain is positive.
    """
    log = SearchLog()
    model = ev.model
    cur = repair(ev, start, bounds, log, progress, deadline)
    cands = bounds.candidates()
    while time.perf_counter() < deadline:
        log.rounds += 1
        improved = False
        if search_thresholds:
            for k in ranking:
                if model.eligible[k] <= 0:
                    continue
                trial = [cur.plan.with_threshold(k, c) for c in cands]
                evs = ev.evaluate_many(trial)
                gains = [_better(e, cur) for e in evs]
                i = int(np.argmax(gains))
                if gains[i] > 0 and evs[i].plan != cur.plan:
                    cur = evs[i]
                    improved = True
                    log.moves.append(f"{model.segments[k]}: threshold {cands[i]}")
                if progress:
                    progress("policy search", ev.evaluations)
            if bounds.per_interval:
                for k in ranking:
                    if model.eligible[k] <= 0:
                        continue
                    for t in range(model.n_intervals):
                        now = cur.plan.thresholds[t][k]
                        opts = {
                            NEVER,
                            ALWAYS,
                            max(bounds.th_min, min(bounds.th_max, now - 1)),
                            max(bounds.th_min, min(bounds.th_max, now + 1)),
                        } - {now}
                        trial = [cur.plan.with_threshold(k, c, t) for c in sorted(opts)]
                        evs = ev.evaluate_many(trial)
                        gains = [_better(e, cur) for e in evs]
                        i = int(np.argmax(gains))
                        if gains[i] > 0:
                            cur = evs[i]
                            improved = True
                    if progress:
                        progress("per-interval policy", ev.evaluations)
        moves = _staffing_moves(cur.plan, model, bounds)
        evs = ev.evaluate_many([p for *_, p in moves])
        gains = [_better(e, cur) for e in evs]
        order = np.argsort(gains)[::-1]
        good = [i for i in order if gains[i] > 0]
        if good:
            best = evs[good[0]]
            # take every improving move at once (one per interval) if that is better still
            chosen, used = [], set()
            for i in good:
                t = moves[i][1]
                if t not in used:
                    used.add(t)
                    chosen.append(i)
            if len(chosen) > 1:
                s = np.array(cur.plan.staffing)
                for i in chosen:
                    s += np.array(moves[i][2].staffing) - np.array(cur.plan.staffing)
                combo = Plan(tuple(int(x) for x in s), cur.plan.thresholds)
                if bounds.staffing_ok(combo.staffing):
                    ce = ev.evaluate(combo)
                    if ce.feasible and ce.profit > best.profit:
                        best = ce
            cur = best
            improved = True
            log.moves.append(
                f"staffing: {len(chosen) if best.plan != evs[good[0]].plan else 1} move(s)"
            )
        if progress:
            progress("staffing search", ev.evaluations)
        if not improved:
            # the best neighbour left: how much the search could still be missing
            feas = [(moves[i][0], *paired(cur, evs[i])) for i in range(len(evs)) if evs[i].feasible]
            if feas:
                log.best_rejected = max(feas, key=lambda x: x[1])
            break
    else:
        log.stopped_by_time = True
    log.evaluations = ev.evaluations
    return cur, log


# --- exact search (Markov chain) -------------------------------------------------------


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
    need_wait = targets.sl_fraction is not None or targets.max_asa is not None
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
        profit = r.profit_rate(model.agent_cost_per_hour, model.abandon_cost, model.shrinkage)
        ok = targets.max_abandon is None or r.p_abandon <= targets.max_abandon
        if waiting:
            if targets.sl_fraction is not None:
                ok = ok and r.service_level >= targets.sl_fraction
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
            th = [NEVER] * K
            for k, v in zip(sellable, values, strict=True):
                th[k] = v
            p = point(n, tuple(th), waiting=False)
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
    deadline: float,
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
    cost = model.agent_cost_per_hour / 3600.0 / (1.0 - model.shrinkage)
    K = model.n_segments
    cands = bounds.candidates() if search_thresholds else [NEVER]
    sellable = [k for k in ranking if model.eligible[k] > 0] if search_thresholds else []
    best: ExactPoint | None = None
    evaluations = 0
    n = n0
    while time.perf_counter() < deadline:
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
        log.stopped_by_time = True
    if best is None:
        raise ValueError("no staffing level meets the targets within the bounds")
    log.evaluations = evaluations
    return best, log, n0
