"""The shift search by simulation: rounds of shift and threshold moves, and the repair
that covers intervals where a target misses with more shifts (the same MIP)."""

from __future__ import annotations

import numpy as np

from ccsim.sim import Model, PlanningError
from ccsim.sim.scenario.roster import Roster

from ..budget import Budget
from ..evaluate import Evaluation, Evaluator
from ..search.moves import Bounds, accepts, gain, note_best_rejected, screened
from ..search.moves import batch_round as search_batch_round
from ..search.progress import Progress, SearchLog
from ..search.staffing import repair
from ..search.thresholds import threshold_text
from .moves import Move, _template_count, grid_steps, shift_moves, threshold_moves
from .roster_plan import RosterPlan
from .schedule import schedule_shifts

MAX_SHIFT_REPAIRS = 12  # repair rounds on the search sample


def batch_round(
    ev: Evaluator,
    cur: Evaluation,
    moves: list[Move],
    log: SearchLog,
    kind: str,
    rejected: list[tuple[str, float, float]],
) -> tuple[Evaluation, bool]:
    """`search.batch_round` for roster moves: a move is a function of the plan, so moves
    on distinct keys combine by applying them one after another."""
    kept = []
    for label, keys, fn in moves:
        moved = fn(cur.plan)
        if moved is not None and moved != cur.plan:
            kept.append((label, keys, moved, fn))

    def combine(idx: list[int]) -> RosterPlan | None:
        p: RosterPlan | None = cur.plan
        for i in idx:
            p = kept[i][3](p) if p is not None else None
        return p

    return search_batch_round(
        ev,
        cur,
        [(label, keys, moved) for label, keys, moved, _ in kept],
        combine,
        log,
        kind,
        rejected,
    )


def segment_threshold_round(
    ev: Evaluator,
    cur: Evaluation,
    bounds: Bounds,
    ranking: list[int],
    log: SearchLog,
    rejected: list[tuple[str, float, float]],
) -> tuple[Evaluation, bool]:
    """One threshold for the whole day per segment, every candidate value."""
    model = ev.model
    improved = False
    for k in ranking:
        if model.eligible[k] <= 0:
            continue
        trial = [cur.plan.with_threshold(k, c) for c in bounds.candidates()]
        trial = [p for p in trial if p != cur.plan]
        evs = [e for e in screened(ev, cur, trial) if e is not None]
        for e in evs:
            if e.feasible:
                rejected.append(
                    (
                        f"{model.segments[k]}: threshold {threshold_text(e.plan.thresholds[0][k])}",
                        *gain(cur, e),
                    )
                )
        ok = [e for e in evs if accepts(cur, e)]
        if ok:
            best = max(ok, key=lambda e: gain(cur, e)[0])
            g, se = gain(cur, best)
            column = {row[k] for row in cur.plan.thresholds}
            now = threshold_text(cur.plan.thresholds[0][k]) if len(column) == 1 else "per interval"
            log.moves.append(
                f"{model.segments[k]}: threshold {now} -> "
                f"{threshold_text(best.plan.thresholds[0][k])} all day ({g:+,.0f} ± {se:,.0f})"
            )
            cur, improved = best, True
    return cur, improved


def add_cover(model: Model, plan: RosterPlan, add: np.ndarray) -> RosterPlan | None:
    """The roster plus the cheapest shifts that put `add[t]` more agents on the phones in
    each interval t (the shift MIP on the difference); None when the templates cannot."""
    shifts = model.shifts
    assert shifts is not None
    if not add.any():
        return None
    need = np.repeat(add, grid_steps(model))
    taken = {t.name: _template_count(plan.roster, t.name) for t in shifts.templates}
    try:
        extra = schedule_shifts(shifts, need, time_limit=10.0, taken=taken)
    except PlanningError:  # the templates cannot add that much
        return None
    return plan.with_roster(Roster.of([*plan.roster.rows, *extra.roster.rows]))


def repair_roster(
    ev: Evaluator,
    plan: RosterPlan,
    log: SearchLog | None,
    stop: Budget,
    progress: Progress | None = None,
) -> Evaluation:
    """Add shifts where the targets miss until they are met on the evaluator's sample."""
    return repair(
        ev,
        plan,  # type: ignore[arg-type]
        Bounds(),
        log,
        progress,
        stop,
        max_steps=MAX_SHIFT_REPAIRS,
        mend=lambda p, add: add_cover(ev.model, p, add),
    )


def shift_search(
    ev: Evaluator,
    start: RosterPlan,
    ranking: list[int],
    bounds: Bounds,
    stop: Budget,
    progress: Progress | None,
    cross_sell: bool,
    log: SearchLog,
) -> Evaluation:
    cur = repair_roster(ev, start, log, stop, progress)
    while not stop.out():
        log.rounds += 1
        improved = False
        rejected: list[tuple[str, float, float]] = []
        if cross_sell:
            if progress:
                progress("policy moves", ev.evaluations)
            cur, imp = segment_threshold_round(ev, cur, bounds, ranking, log, rejected)
            improved |= imp
            if stop.out():
                break
            if progress:
                progress("per-interval policy moves", ev.evaluations)
            cur, imp = batch_round(
                ev,
                cur,
                threshold_moves(ev.model, cur.plan, bounds, ranking),
                log,
                "per-interval threshold",
                rejected,
            )
            improved |= imp
            if stop.out():
                break
        if progress:
            progress(f"shift moves, round {log.rounds}", ev.evaluations)
        cur, imp = batch_round(
            ev,
            cur,
            shift_moves(ev.model, cur.plan, first_stage=not ev.screens),
            log,
            "shift",
            rejected,
        )
        improved |= imp
        if not improved:
            note_best_rejected(log, rejected)
            break
    if stop.out():
        log.stopped = log.stopped or stop.reason
    return cur
