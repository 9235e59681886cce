"""The staffing decision: agents added, removed or moved between intervals, and the
repair that adds agents where the targets miss."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ccsim.sim import Model
from ccsim.sim.scenario.targets import interval_arrays, sample_stats, verdicts

from ..budget import Budget
from ..evaluate import Evaluation, Evaluator, Targets
from ..plan import Plan
from .moves import Bounds, MoveMemo, batch_round
from .progress import Progress, SearchLog


def staffing_moves(
    plan: Plan, model: Model, bounds: Bounds, big: bool = True
) -> list[tuple[str, frozenset[int], Plan]]:
    """(label, intervals touched, plan) for +-1 (and with `big`, +-2) agents in one
    interval, and one agent moved to the neighbouring interval, within the bounds."""
    moves: list[tuple[str, frozenset[int], Plan]] = []
    steps = (-2, -1, 1, 2) if big else (-1, 1)
    if model.steady:  # one staffing level for the whole run
        for d in steps:
            s = tuple(x + d for x in plan.staffing)
            if bounds.staffing_ok(s) and s[0] >= 1:
                moves.append((f"staffing {d:+d}", frozenset({0}), replace(plan, staffing=s)))
        return moves
    meas = model.measured
    T = model.n_intervals
    for t in range(T):
        if not meas[t]:
            continue
        lab = model.interval_label(t)
        for d in steps:
            n = plan.staffing[t] + d
            if n < 0:
                continue
            p = plan.with_staffing(t, n)
            if bounds.staffing_ok(p.staffing):
                moves.append((f"{lab} {d:+d} agent{'s' if abs(d) > 1 else ''}", frozenset({t}), p))
    for t in range(T - 1):
        for a, b in ((t, t + 1), (t + 1, t)):
            if plan.staffing[a] < 1:
                continue
            moved = list(plan.staffing)
            moved[a] -= 1
            moved[b] += 1
            if bounds.staffing_ok(tuple(moved)):
                moves.append(
                    (
                        f"one agent from {model.interval_label(a)} to {model.interval_label(b)}",
                        frozenset({a, b}),
                        replace(plan, staffing=tuple(moved)),
                    )
                )
    return moves


REPAIR_STATS = ("offered", "service_level", "abandon_rate")


def interval_stats_of_evaluation(e: Evaluation) -> dict[str, tuple]:
    """(mean, se, n) arrays over all intervals, from a search evaluation."""
    return {s: sample_stats(e.intervals[s]) for s in REPAIR_STATS}


def repair_increment(
    model: Model, judged: list, stats: dict[str, tuple], confidence: float
) -> np.ndarray:
    """Agents to add, per interval, to mend the targets that are not met: +1 in every
    interval where a per-interval target is not met, and +1 in the eighth of the
    intervals that contribute most to a day target that is not (late calls for service
    level and ASA, abandoned calls for abandonment)."""
    T = model.n_intervals
    add = np.zeros(T, np.int64)
    if model.steady:
        add[:] = 1
        return add
    meas = model.measured
    k = max(1, int(meas.sum()) // 8)
    offered = stats["offered"][0]
    for j in judged:
        if j.verdict == "met":
            continue
        t = j.target
        if t.per_interval:
            m, se, n = stats[t.stat]
            vs = verdicts(m, se, n, t.limit, t.higher_is_better, confidence)
            add[meas & np.isfinite(m) & (vs != "met")] = 1
            continue
        if t.stat == "abandon_rate":
            weight = offered * stats["abandon_rate"][0]
        else:  # service level and ASA: calls answered late
            weight = offered * (1.0 - stats["service_level"][0])
        weight = np.where(meas & np.isfinite(weight), weight, -np.inf)
        add[np.argsort(weight)[::-1][:k]] = 1
    return add


def repair_from_result(res, judged: list, targets: Targets) -> np.ndarray:
    """`repair_increment` for a confirmation run."""
    stats = interval_arrays(res, REPAIR_STATS)
    return repair_increment(res.model, judged, stats, targets.confidence)


def _add_staffing(plan: Plan, add: np.ndarray, bounds: Bounds) -> Plan | None:
    s = bounds.clamp(np.array(plan.staffing) + add)
    return None if s == plan.staffing else replace(plan, staffing=s)


def repair(
    ev: Evaluator,
    plan: Plan,
    bounds: Bounds,
    log: SearchLog | None,
    progress: Progress | None,
    stop: Budget,
    max_steps: int | None = None,
    mend: Callable | None = None,
) -> Evaluation:
    """Add agents where the targets miss until they are met on the evaluator's sample
    (or nothing more can be added, or `max_steps` rounds are used). `mend(plan, add)`
    turns the agents to add per interval into a plan (None: nothing can be added); by
    default staffing plus `add`, within the bounds."""
    cur = ev.evaluate(plan)
    steps = 0
    mend = mend or (lambda p, add: _add_staffing(p, add, bounds))
    while not cur.feasible and not stop.out():
        if max_steps is not None and steps >= max_steps:
            break
        add = repair_increment(
            ev.model, cur.judged, interval_stats_of_evaluation(cur), ev.confidence
        )
        nxt = mend(cur.plan, add)
        if nxt is None:
            break
        cur = ev.evaluate(nxt, base=cur.plan)
        steps += 1
        if log is not None:
            log.moves.append("repair: add agents where the targets miss")
        if progress:
            progress("repairing targets", ev.evaluations)
    return cur


def _staffing_round(
    ev: Evaluator,
    cur: Evaluation,
    bounds: Bounds,
    log: SearchLog,
    rejected: list[tuple[str, float, float]],
    memo: MoveMemo | None = None,
) -> tuple[Evaluation, bool]:
    """Every staffing move (but those `memo` leaves out); the best, or all improving
    moves on distinct intervals at once when that is better still."""
    # +-2 agents in the first stage only: later stages refine what it found
    moves = staffing_moves(cur.plan, ev.model, bounds, big=not ev.screens)
    if memo is not None:
        moves = memo.active(moves, cur.plan, ev.n)
    now = np.array(cur.plan.staffing)

    def combine(idx: list[int]) -> Plan | None:
        s = now.copy()
        for i in idx:
            s += np.array(moves[i][2].staffing) - now
        combo = replace(cur.plan, staffing=tuple(int(x) for x in s))
        return combo if bounds.staffing_ok(combo.staffing) else None

    return batch_round(ev, cur, moves, combine, log, "staffing", rejected, memo)
