"""`optimize_shifts`: a roster of shifts with breaks and the cross-sell policy, chosen
together for profit under the service targets (`ccsim optimize --shifts`).

1. Requirement: agents on the phones per interval from the analytic seed (Erlang A with
   the modified offered load, under the fluid LP's selling policy), on the shift grid.
2. Schedule: the cheapest roster covering it (`schedule.schedule_shifts`, a pulp MIP that
   also places every break).
3. Simulation, common random numbers, in stages of growing replications (as the
   per-interval search): intervals that miss a target get shifts added (the same MIP,
   covering one more agent there); each segment's threshold, then the thresholds per
   interval, are re-optimized to sell in the slack the shifts leave; and one shift at a
   time is removed, added, moved by a grid step, or has a break moved, when the paired
   profit says so. Improving moves on different shifts are tried together.
4. Confirmation on fresh seeds, with the same repair, exactly as the per-interval
   optimizer's: only a plan that meets every target there is recommended.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ccsim.sim import NEVER, Executor, Model, ScenarioError, SimResult
from ccsim.sim.runner import model_fingerprint
from ccsim.sim.scenario.targets import Judgement, Targets, overall

from ..analytic.seed import seed_staffing, seed_thresholds
from ..evaluate import Evaluator
from ..result import OptimizeResult
from ..search.moves import Bounds
from ..search.progress import Progress, SearchLog, SearchProgress
from ..search.staffing import repair_from_result
from ..staging import (
    checkpoint_file,
    checkpoint_notes,
    confirm,
    confirmed_text,
    not_recommended_note,
    remaining_move_text,
    run_settings,
    run_stages,
    search_stages,
    stopped_text,
)
from .moves import grid_steps
from .roster_plan import RosterPlan, ShiftPlan, default_shift_time_limit
from .schedule import Schedule, schedule_shifts
from .search import add_cover, shift_search

__all__ = ["RosterPlan", "default_shift_time_limit", "optimize_shifts"]


def optimize_shifts(
    model: Model,
    *,
    replications: int | None = None,
    confirm_replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    time_limit: float | None = None,
    targets: Targets | None = None,
    cross_sell: bool = True,
    progress: Progress | None = None,
    confidence: float | None = None,
    checkpoint_dir: Path | None = None,
    budget: float | None = None,
) -> OptimizeResult:
    """The most profitable roster and policy that meet the targets; see the module
    docstring. With `checkpoint_dir`, the plans evaluated are saved as the search goes,
    and a rerun after an interruption reuses them. Raises when the scenario
    has no shift templates (ScenarioError) or they cannot cover the day (PlanningError)."""
    if model.shifts is None:
        raise ScenarioError(
            "--shifts needs a 'shifts:' section with shift templates (docs/shifts.md)",
            file=model.source,
        )
    t0 = time.perf_counter()
    R, Rc, stop, seed, executor, targets = run_settings(
        model, replications, confirm_replications, seed, executor, time_limit,
        default_shift_time_limit(model), targets, confidence, budget,
    )  # fmt: skip
    bounds = Bounds.from_model(model)
    first, need, seeded, ranking = _first_roster(model, targets, bounds, cross_sell, progress)
    stages = search_stages(R, model)
    key = f"{model_fingerprint(model, seed, 'fast')}-{targets}-{stages}-{cross_sell}-shifts"
    ck = checkpoint_file(checkpoint_dir, "shifts", key)
    ev = Evaluator(model, targets, stages[-1], seed, executor, checkpoint=ck, plan_type=RosterPlan)
    stop.spent = ev.work_asked
    report = SearchProgress(progress, ev, stop, stages) if progress else None
    log = SearchLog()

    def search(plan: RosterPlan) -> RosterPlan:
        return shift_search(ev, plan, ranking, bounds, stop, report, cross_sell, log).plan

    plan, used = run_stages(ev, stages, stop, log, seeded, search)
    notes: list[str] = []
    plan = _best_seen(model, ev, plan, used[-1], log, notes)
    log.evaluations = ev.evaluations
    notes += checkpoint_notes(ev)
    how = _how_text(model, first, targets, log, used, stages)
    if Rc is None:
        Rc = max(200, 4 * used[-1])
    res, base, no_sell, judged, plan, c_calls = _confirm_roster(
        model, plan, targets, seed, Rc, executor, progress, log, notes
    )
    feasible = overall(judged) == "met"
    out = OptimizeResult(
        model,
        plan,  # type: ignore[arg-type]
        seeded,  # type: ignore[arg-type]
        res,
        base,
        targets,
        how + confirmed_text(res),
        feasible,
        {j.target.key: j.slack for j in judged},
        log,
        time.perf_counter() - t0,
        ev.calls + c_calls,
        None,
        notes,
        judged,
        no_sell=no_sell,
    )
    out.shift_plan = ShiftPlan(first, need)
    return out


def _best_seen(
    model: Model, ev: Evaluator, plan: RosterPlan, n: int, log: SearchLog, notes: list[str]
) -> RosterPlan:
    """Never recommend a roster when the search saw one that met every target on the
    same days and earned more (a search cut by its budget can end anywhere), nor when
    the scenario's own roster does."""
    seen = ev.evaluated(n)
    own = None
    if model.roster is not None:
        own = RosterPlan(model.roster, tuple(tuple(int(x) for x in r) for r in model.thresholds))
        seen.append(ev.evaluate(own, n=n))
    final = ev.evaluate(plan, n=n)
    better = max((e for e in seen if e.feasible), key=lambda e: e.profit, default=None)
    if better is None or better.plan == plan:
        return plan
    if final.feasible and better.profit <= final.profit:
        return plan
    what = "the scenario's own roster" if better.plan == own else "a roster the search had seen"
    notes.append(
        f"{what} met every target on the search's {n} replications and earned "
        f"{better.profit - final.profit:+,.2f} a day more than where the search ended"
        + ("" if final.feasible else " (which missed a target there)")
        + "; it is the answer"
    )
    log.moves.append(f"best plan seen: {what} ({better.profit - final.profit:+,.2f})")
    return better.plan


def _how_text(
    model: Model,
    first: Schedule,
    targets: Targets,
    log: SearchLog,
    used: list[int],
    stages: list[int],
) -> str:
    """How the roster was found, for the report."""
    assert model.shifts is not None
    return (
        f"Requirement per interval from Erlang A with the modified offered load under the "
        f"fluid LP's selling policy; the cheapest roster covering it on the "
        f"{model.shifts.grid / 60:g}-min grid from a MIP (pulp/HiGHS, breaks placed by the "
        f"MIP): {first.roster.agents} shifts costing {first.cost:,.2f}, {first.gap:.2%} above "
        f"the LP bound {first.lp_bound:,.2f} ({first.status}, {first.seconds:.1f} s). Then by "
        f"simulation with common random numbers: shifts added where a target missed; each "
        f"segment's threshold, then thresholds per interval, to sell in the slack; one shift "
        f"removed, added, moved by a grid step, or a break moved, when the paired profit "
        f"gain exceeded one standard error with every target met at "
        f"{targets.confidence:.0%} confidence. {log.rounds} round(s) in {len(used)} stage(s) "
        f"of {', '.join(map(str, used))} replications; {log.evaluations} plans."
        f"{remaining_move_text(log)}{stopped_text(log, used, stages)}"
    )


def _confirm_roster(
    model: Model,
    plan: RosterPlan,
    targets: Targets,
    seed: int,
    Rc: int,
    executor: Executor,
    progress: Progress | None,
    log: SearchLog,
    notes: list[str],
) -> tuple[SimResult, SimResult, SimResult | None, list[Judgement], RosterPlan, int]:
    """The roster on fresh seeds; shifts added where a target misses (the same MIP)."""

    def mend(p: RosterPlan, res: SimResult, judged: list[Judgement]) -> RosterPlan | None:
        return add_cover(model, p, repair_from_result(res, judged, targets))

    res, base, no_sell, judged, attempts, c_calls = confirm(
        model, plan, targets, seed, Rc, executor, mend, False, progress
    )
    if attempts:
        assert res.model.roster is not None
        plan = RosterPlan(res.model.roster, plan.thresholds)
        notes.append(
            f"confirmation missed a target {attempts} time(s); shifts were added where it "
            f"missed and the plan confirmed again on new fresh seeds"
        )
        log.moves.append(f"confirmation repair: {attempts} round(s)")
    verdict = overall(judged)
    if verdict != "met":
        notes.append(not_recommended_note(res, verdict, "roster"))
    return res, base, no_sell, judged, plan, c_calls


def _first_roster(
    model: Model, targets: Targets, bounds: Bounds, cross_sell: bool, progress: Progress | None
) -> tuple[Schedule, np.ndarray, RosterPlan, list[int]]:
    """The analytic requirement (Erlang A under the fluid LP's policy) and the cheapest
    roster covering it (the MIP): the search's start, and the segments' ranking."""
    assert model.shifts is not None
    th, ranking_names = seed_thresholds(model)
    if not cross_sell:
        th[:] = NEVER
    need = seed_staffing(model, targets, th, lo=bounds.lo, hi=bounds.hi)
    if progress:
        progress("scheduling shifts (MIP)", 0)
    first = schedule_shifts(model.shifts, np.repeat(need, grid_steps(model)))
    thresholds = tuple(tuple(int(x) for x in th) for _ in range(model.n_intervals))
    ranking = [model.segments.index(n) for n in ranking_names]
    return first, need, RosterPlan(first.roster, thresholds), ranking
