"""The search by simulation: rounds of policy and staffing moves on one set of
replications, until a round that tried every move takes none."""

from __future__ import annotations

from ..budget import Budget
from ..evaluate import Evaluation, Evaluator
from ..plan import Plan
from .moves import Bounds, MoveMemo, note_best_rejected
from .progress import Progress, SearchLog
from .staffing import _staffing_round, repair
from .thresholds import _max_wait_round, _per_interval_round, _threshold_round, searches_max_wait


def simulation_search(
    ev: Evaluator,
    start: Plan,
    ranking: list[int],
    bounds: Bounds,
    stop: Budget,
    progress: Progress | None = None,
    search_thresholds: bool = True,
    log: SearchLog | None = None,
) -> tuple[Evaluation, SearchLog]:
    """Local search on one set of replications, from `start` (repaired first).

    Moves: each segment's threshold (alone, or with the agents that make it feasible),
    per-interval thresholds when asked, +-1 and +-2 agents in an interval, one agent moved
    to the next interval, and all improving staffing moves at once. A move is taken when
    the plan stays feasible (every target met on this sample at the search confidence)
    and its paired profit gain exceeds its standard error.

    Rounds leave out what is unlikely to have changed: policy moves after a round in
    which none was taken (staffing moves of a few agents seldom move the best policy),
    and staffing moves that were clearly hopeless near an unchanged plan (`MoveMemo`).
    The search stops only after a round that tried every move and took none.
    """
    log = log or SearchLog()
    cur = repair(ev, start, bounds, log, progress, stop)
    memo = MoveMemo()
    policy_due = True  # policy rounds run while they improve, and on every full sweep
    while not stop.out():
        log.rounds += 1
        improved = False
        policy_improved = False
        rejected: list[tuple[str, float, float]] = []
        if search_thresholds and policy_due:
            if progress:
                progress("policy moves", ev.evaluations)
            cur, imp = _threshold_round(ev, cur, ranking, bounds, log, stop, rejected)
            policy_improved |= imp
            if searches_max_wait(ev.model) and isinstance(cur.plan, Plan):
                if progress:
                    progress("max_wait moves", ev.evaluations)
                cur, imp = _max_wait_round(ev, cur, ranking, bounds, log, stop, rejected)
                policy_improved |= imp
            if bounds.per_interval:
                if progress:
                    progress("per-interval policy moves", ev.evaluations)
                cur, imp = _per_interval_round(ev, cur, ranking, bounds, log, stop)
                policy_improved |= imp
        improved |= policy_improved
        if stop.out():
            break
        if progress:
            progress(f"staffing moves, round {log.rounds}", ev.evaluations)
        cur, imp = _staffing_round(ev, cur, bounds, log, rejected, memo)
        improved |= imp
        left_out = memo.skipped or (search_thresholds and not policy_due)
        if not improved and left_out:
            # a round that left moves out never ends the search: try every move
            memo.full_sweep = policy_due = True
            continue
        memo.full_sweep = False
        if not improved:
            note_best_rejected(log, rejected)
            break
        policy_due = policy_improved
    if stop.out():
        log.stopped = log.stopped or stop.reason
    return cur, log
