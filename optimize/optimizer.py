"""`optimize.optimize`: staffing per interval and cross-sell thresholds for the most profit
under the service targets.

1. Seed: fluid LP ranking (which segments are worth an agent's time) and Erlang A with
   the modified offered load per interval (staffing that meets the targets).
2. Search: exact (Markov chain) when the scenario is stationary with exponential times;
   otherwise by simulation with common random numbers (see the `search` room).
3. Confirm: the plan and the scenario's own plan on fresh seeds, paired.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from ccsim.sim import (
    NEVER,
    Executor,
    Model,
    PlanningError,
    SimResult,
)
from ccsim.sim.runner import model_fingerprint
from ccsim.sim.scenario.targets import Judgement, Targets, overall

from .analytic.markov import MarkovResult, applicable
from .analytic.seed import seed_plan
from .budget import Budget
from .evaluate import Evaluator
from .plan import Plan
from .result import OptimizeResult
from .search.exact import exact_search
from .search.moves import Bounds
from .search.progress import Progress, SearchLog, SearchProgress
from .search.simulation import simulation_search
from .search.staffing import repair_from_result
from .search.thresholds import MAX_WAIT_GRID, searches_max_wait
from .staging import (
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


def _objective_text(model: Model) -> str:
    return (
        "long-run profit (profit - customer value at risk)"
        if model.optimizer.objective == "long_run_profit"
        else "profit"
    )


def _max_wait_text(model: Model) -> str:
    if not searches_max_wait(model):
        return ""
    grid = ", ".join(f"{w:g}s" for w in MAX_WAIT_GRID if w < float("inf"))
    return f"; each offered segment's max_wait (any wait, {grid}) likewise"


def default_time_limit(model: Model) -> float:
    """Seconds for the search when neither the CLI nor the scenario sets one: the search
    grows with intervals and sellable segments (a 48 x 15-min day needs about twice the
    time of 24 half hours)."""
    sellable = int((model.eligible > 0).sum())
    return 60.0 + 2.5 * model.n_intervals * (1 + sellable)


def optimize(
    model: Model,
    *,
    replications: int | None = None,
    confirm_replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    time_limit: float | None = None,
    method: str = "auto",
    targets: Targets | None = None,
    start: Plan | None = None,
    cross_sell: bool = True,
    progress: Progress | None = None,
    checkpoint_dir: Path | None = None,
    confidence: float | None = None,
    budget: float | None = None,
) -> OptimizeResult:
    """Find the most profitable plan that meets the targets; see the module docstring.
    The search ends when no move is a clear gain, or when it has simulated `budget`
    calls (default: from the scenario's size, `default_budget`); `time_limit` is a
    wall-clock safety net only."""
    t0 = time.perf_counter()
    R, Rc, stop, seed, executor, targets = run_settings(
        model, replications, confirm_replications, seed, executor, time_limit,
        default_time_limit(model), targets, confidence, budget,
    )  # fmt: skip
    bounds = Bounds.from_model(model)
    seeded, ranking_names = seed_plan(model, targets)
    if not cross_sell:
        seeded = Plan.of(seeded.staffing, np.full((model.n_intervals, model.n_segments), NEVER))
    ranking = [model.segments.index(n) for n in ranking_names]
    if start is not None:
        seeded = start
    why = applicable(model)
    use_exact = method == "exact" or (method == "auto" and why is None)
    if method == "exact" and why:
        raise PlanningError(f"the exact model does not apply: {why}", file=model.source)
    if use_exact:
        found = _exact(model, targets, bounds, ranking, stop, progress, cross_sell)
        # the chain's values are the truth; the simulation only cross-checks
        Rc = max(40, 4 * R) if Rc is None else Rc
    else:
        found = _simulated(
            model, targets, bounds, ranking, stop, progress, cross_sell, seeded, R, seed,
            executor, checkpoint_dir, start,
        )  # fmt: skip
        # four times the last stage: the plan's margin on the search sample is then about
        # twice what the confirmation needs, so a plan that is truly feasible passes
        Rc = max(200, 4 * found.used[-1]) if Rc is None else Rc
    found.how += f" The fluid LP ranks offers by value per agent hour: {', '.join(ranking_names)}."
    return _confirmed(model, found, seeded, targets, bounds, seed, Rc, executor, progress, t0)


@dataclasses.dataclass
class _Found:
    """What a search found, before the confirmation: the plan, the search's log, how it
    was found (text), notes, simulated calls; exact searches add the chain's result."""

    plan: Plan
    log: SearchLog
    how: str
    notes: list[str]
    calls: int = 0
    used: list[int] = dataclasses.field(default_factory=list)
    exact: MarkovResult | None = None
    exact_ok: bool = True


def _exact(
    model: Model,
    targets: Targets,
    bounds: Bounds,
    ranking: list[int],
    stop: Budget,
    progress: Progress | None,
    cross_sell: bool,
) -> _Found:
    """The exact search: agents and thresholds on the Markov chain's exact figures."""
    best, log, n0 = exact_search(
        model, targets, bounds, ranking, stop, progress, search_thresholds=cross_sell
    )
    plan = Plan.of(
        np.full(model.n_intervals, best.agents),
        np.tile(np.asarray(best.thresholds), (model.n_intervals, 1)),
    )
    how = (
        f"Exact: the scenario is stationary with exponential times, so each candidate was "
        f"solved with the Markov chain (truncation error < 1e-8). Staffing levels from "
        f"{n0} (Erlang A for the targets without selling) upward; for each, coordinate "
        f"descent over thresholds in [{bounds.th_min}, {bounds.th_max}] plus never/always; "
        f"stopped when no more agents could pay for themselves. {log.evaluations} chain "
        f"solutions. The targets are judged on the chain's exact values; the simulation "
        f"below must not contradict them."
    )
    return _Found(plan, log, how, [], exact=best.result, exact_ok=best.feasible)


def _simulated(
    model: Model,
    targets: Targets,
    bounds: Bounds,
    ranking: list[int],
    stop: Budget,
    progress: Progress | None,
    cross_sell: bool,
    seeded: Plan,
    R: int,
    seed: int,
    executor: Executor,
    checkpoint_dir: Path | None,
    start: Plan | None,
) -> _Found:
    """The search by simulation, in stages of growing replications, from the seed."""
    stages = search_stages(R, model)
    key = f"{model_fingerprint(model, seed, 'fast')}-{targets}-{stages}-{cross_sell}-{start}"
    ck = checkpoint_file(checkpoint_dir, "optimize", key)
    ev: Evaluator[Plan] = Evaluator(model, targets, stages[-1], seed, executor, checkpoint=ck)
    stop.spent = ev.work_asked
    report = SearchProgress(progress, ev, stop, stages) if progress else None
    log = SearchLog()

    def search(plan: Plan) -> Plan:
        best, _ = simulation_search(ev, plan, ranking, bounds, stop, report, cross_sell, log)
        return best.plan

    plan, used = run_stages(ev, stages, stop, log, seeded, search)
    gap = remaining_move_text(log, ", so no single move is a clear gain")
    how = (
        f"Seeded by the fluid LP (segments to sell to) and Erlang A with the modified "
        f"offered load per interval; improved by local search: each segment's threshold "
        f"in [{bounds.th_min}, {bounds.th_max}] plus never/always, alone or with the "
        f"agents that make it feasible"
        f"{_max_wait_text(model)}"
        f"{', per-interval thresholds' if bounds.per_interval else ''}, +-1 agent in an "
        f"interval (and +-2 in the first stage), one agent moved to the next interval, and "
        f"improving staffing moves together. {log.rounds} round(s) in {len(used)} stage(s) of "
        f"{', '.join(map(str, used))} replications, each stage starting from the last "
        f"one's plan; {log.evaluations} plans, every plan of a stage on the same "
        f"replications (common random numbers). A move was taken only when every target "
        f"was met at {targets.confidence:.0%} confidence on the stage's replications and "
        f"its paired {_objective_text(model)} gain exceeded one standard error.{gap}"
        f"{stopped_text(log, used, stages)}"
    )
    return _Found(plan, log, how, checkpoint_notes(ev), ev.calls, used)


def _confirmed(
    model: Model,
    found: _Found,
    seeded: Plan,
    targets: Targets,
    bounds: Bounds,
    seed: int,
    Rc: int,
    executor: Executor,
    progress: Progress | None,
    t0: float,
) -> OptimizeResult:
    """The plan found, judged on fresh seeds (agents added where a target misses), and
    the answer: recommended only when every target is met there."""
    plan, log, notes, exact = found.plan, found.log, found.notes, found.exact

    def mend(plan: Plan, res: SimResult, judged: list[Judgement]) -> Plan | None:
        s = bounds.clamp(np.array(plan.staffing) + repair_from_result(res, judged, targets))
        return None if s == plan.staffing else dataclasses.replace(plan, staffing=s)

    res, base, no_sell, judged, attempts, c_calls = confirm(
        model, plan, targets, seed, Rc, executor, mend, exact is not None, progress
    )
    if attempts:
        plan = dataclasses.replace(plan, staffing=tuple(int(x) for x in res.model.staffing))
        notes.append(
            f"confirmation missed a target {attempts} time(s); agents were added where it "
            f"missed and the plan confirmed again on new fresh seeds"
        )
        log.moves.append(f"confirmation repair: {attempts} round(s)")
    verdict = overall(judged)
    # exact: the chain's values are the truth of a stationary model; the simulation must
    # not contradict them. Otherwise every target must be met on the fresh replications.
    feasible = found.exact_ok and verdict != "missed" if exact is not None else verdict == "met"
    if exact is not None:
        notes.append(
            "exact search: targets judged on the chain's exact values"
            + ("" if found.exact_ok else " (NOT met by any plan within the bounds and the time)")
            + f"; on the simulation they are {verdict}"
        )
    elif not feasible:
        notes.append(not_recommended_note(res, verdict, "plan"))
    return OptimizeResult(
        model,
        plan,
        seeded,
        res,
        base,
        targets,
        found.how + confirmed_text(res),
        feasible,
        {j.target.key: j.slack for j in judged},
        log,
        time.perf_counter() - t0,
        found.calls + c_calls,
        exact,
        notes,
        judged,
        no_sell=no_sell,
    )
