"""`optimize.optimize`: staffing per interval and cross-sell thresholds for the most profit
under the service targets.

1. Seed: fluid LP ranking (which segments are worth an agent's time) and Erlang A with
   the modified offered load per interval (staffing that meets the targets).
2. Search: exact (Markov chain) when the scenario is stationary with exponential times;
   otherwise by simulation with common random numbers (see `search.py`).
3. Confirm: the plan and the scenario's own plan on fresh seeds, paired.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ccsim.sim import (
    NEVER,
    Alike,
    Executor,
    InProcess,
    Model,
    PlanningError,
    SimResult,
    paired_difference,
)
from ccsim.sim.results import selling_value
from ccsim.sim.runner import model_fingerprint
from ccsim.sim.targets import Judgement, Targets, overall, verdict_rule_text

from .analytic.markov import MarkovResult, applicable
from .analytic.seed import seed_plan
from .budget import SAFETY_FACTOR, Budget, calls_for, work_for
from .evaluate import Evaluator
from .plan import Plan, SearchPlan, policy_dict, staffing_value
from .search import (
    MAX_WAIT_GRID,
    Bounds,
    Progress,
    SearchLog,
    SearchProgress,
    exact_search,
    repair_from_result,
    searches_max_wait,
    simulation_search,
)

FRESH_SEED_OFFSET = 1_000_003  # confirmation seeds differ from the search's
MAX_SEARCH_REPLICATIONS = 320
MAX_STAGES = 3
CONFIRM_GROWTH = 2  # a borderline confirmation may grow to 2x its replications
MAX_REPAIRS = 4
# the KPIs set against the scenario's own plan: the optimize table and optimize.json's
# `differences` (plan minus scenario, paired over the confirmation's replications)
COMPARED_KPIS = (
    "profit",
    "revenue",
    "staffing_cost",
    "service_level",
    "asa",
    "abandon_rate",
    "attempts",
    "occupancy",
)
# ... and, when the scenario models the customer beyond the call, these
CUSTOMER_KPIS = ("satisfaction", "value_at_risk", "long_run_profit")


def compared_kpis(model: Model) -> tuple[str, ...]:
    """The KPIs set against the scenario's plan (customer figures when modelled)."""
    return COMPARED_KPIS + (CUSTOMER_KPIS if model.customer_value is not None else ())


@dataclass
class OptimizeResult:
    model: Model
    plan: Plan
    seed_plan: Plan
    result: SimResult  # the plan, on fresh seeds
    baseline: SimResult  # the scenario's own plan, same fresh seeds
    targets: Targets
    method: str
    feasible: bool
    margins: dict[str, float]
    search: SearchLog
    seconds: float
    calls_simulated: int
    exact: MarkovResult | None = None
    notes: list[str] = field(default_factory=list)
    judged: list[Judgement] = field(default_factory=list)  # the targets on confirmation
    shift_plan: Any = None  # optimize.shifts.ShiftPlan when the plan is a roster
    no_sell: SimResult | None = None  # the plan without offers, on the confirmation's seeds

    def cross_sell_value(self) -> dict | None:
        """What selling earns under the plan against the same staffing without offers,
        paired on the confirmation's replications (None if the plan offers nothing)."""
        return None if self.no_sell is None else selling_value(self.result, self.no_sell)

    @property
    def agent_hours(self) -> float:
        """Agent-hours on the phones over the measured intervals (before shrinkage)."""
        m = self.model
        return float(
            sum(
                self.plan.staffing[t] * m.interval_lengths[t]
                for t in range(m.n_intervals)
                if m.measured[t]
            )
            / 3600.0
        )

    @property
    def roster(self):
        """The plan's roster (a `sim.roster.Roster`), or None for a per-interval plan."""
        return getattr(self.plan, "roster", None)

    @property
    def verdict(self) -> str:
        """'met' (recommended), 'borderline' or 'missed' (not recommended)."""
        return (
            overall(self.judged) if self.exact is None else ("met" if self.feasible else "missed")
        )

    def plan_json(self) -> dict:
        policy = {"cross_sell": policy_dict(self.plan, self.model)}
        if self.roster is not None:
            assert self.model.shifts is not None
            return {"roster": self.roster.to_scenario(self.model.shifts), "policy": policy}
        return {"staffing": staffing_value(self.plan, self.model), "policy": policy}

    def roster_json(self) -> dict | None:
        """The roster as rows, its paid hours and cost, and how the MIP found its start."""
        shifts = self.model.shifts
        if self.roster is None or shifts is None:
            return None
        m = self.result.model
        S = len(m.staffing)
        out = self.roster.to_json(shifts, S)
        sp = self.shift_plan
        if sp is not None:
            out["mip"] = {
                "requirement_per_interval": [int(x) for x in sp.requirement],
                "requirement": np.repeat(sp.requirement, S // m.n_intervals).tolist(),
                "first_roster_cost": sp.schedule.cost,
                "lp_bound": sp.schedule.lp_bound,
                "gap_to_lp_bound": sp.schedule.gap,
                "status": sp.schedule.status,
                "seconds": round(sp.schedule.seconds, 3),
            }
        return out

    def differences(self) -> dict:
        """Plan minus the scenario's own plan, paired over the confirmation replications."""
        out = {}
        for s in compared_kpis(self.model):
            e = paired_difference(self.baseline, self.result, s)
            out[s] = e.to_json()
        return out

    def to_json(self) -> dict:
        summary = {k: v.to_json() for k, v in self.result.summary.items()}
        return {
            "plan": self.plan_json(),
            "summary": summary,
            "baseline": {
                "plan": {
                    "staffing": staffing_value(Plan.from_model(self.model), self.model),
                    "policy": {"cross_sell": policy_dict(Plan.from_model(self.model), self.model)},
                },
                "summary": {k: v.to_json() for k, v in self.baseline.summary.items()},
            },
            "difference_vs_baseline": self.differences(),
            "roster": self.roster_json(),
            "cross_sell_value": self.cross_sell_value(),
            "recommended": self.feasible,
            "targets": {
                "feasible": self.feasible,
                "verdict": self.verdict,
                "confidence": self.targets.confidence,
                "rule": verdict_rule_text(self.targets.confidence),
                "checks": [j.to_json() for j in self.judged],
                "margins": self.margins,
                "definitions": self.targets.describe(),
            },
            "intervals": self.result.to_json()["intervals"],
            "method": self.method,
            "search": {
                "rounds": self.search.rounds,
                "evaluations": self.search.evaluations,
                "moves": self.search.moves[-50:],
                "stopped_by_time_limit": self.search.stopped_by_time,
                # "time limit": the safety net cut the search (the output says so first);
                # "budget": it spent its work budget before converging; null: it converged
                "stopped_early": self.search.stopped,
                "best_remaining_move": (
                    None
                    if self.search.best_rejected is None
                    else {
                        "move": self.search.best_rejected[0],
                        "profit_gain": self.search.best_rejected[1],
                        "standard_error": self.search.best_rejected[2],
                    }
                ),
            },
            "seconds": round(self.seconds, 2),
            "calls_simulated": self.calls_simulated,
            "notes": self.notes,
        }


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


def stopped_text(log: SearchLog, used: list[int], stages: list[int]) -> str:
    """How far a search got when it did not end on its own."""
    if log.stopped is None:
        return ""
    where = f"in stage {len(used)} of {len(stages)}, after {log.evaluations} plans"
    if log.stopped == "time limit":
        return f" SEARCH STOPPED EARLY by the time limit {where}."
    return f" The search spent its work budget {where}."


def default_time_limit(model: Model) -> float:
    """Seconds for the search when neither the CLI nor the scenario sets one: the search
    grows with intervals and sellable segments (a 48 x 15-min day needs about twice the
    time of 24 half hours)."""
    sellable = int((model.eligible > 0).sum())
    return 60.0 + 2.5 * model.n_intervals * (1 + sellable)


def search_stages(first: int, model: Model) -> list[int]:
    """Replications of the successive search stages: each stage restarts the local search
    from the previous answer on four times as many replications (retrospective
    approximation), so the last moves are judged on enough days to be real."""
    calls = max(1.0, model.expected_calls())
    cap = int(min(MAX_SEARCH_REPLICATIONS, max(first, 2_000_000 // calls)))
    stages = [first]
    while len(stages) < MAX_STAGES and stages[-1] < cap:
        stages.append(min(cap, stages[-1] * 4))
    return stages


def run_settings(
    model: Model,
    replications: int | None,
    confirm_replications: int | None,
    seed: int | None,
    executor: Executor | None,
    time_limit: float | None,
    default_limit: float,
    targets: Targets | None,
    confidence: float | None,
    budget: float | None = None,
) -> tuple[int, int | None, Budget, int, Executor, Targets]:
    """A search's settings: the caller's, else the scenario's `optimizer:` section, else
    the defaults: (replications per plan, confirmation replications or None, the budget
    (simulated calls, and the wall clock as a safety net), seed, executor, targets).
    `default_limit` is the default budget in seconds at the reference speed."""
    opt = model.optimizer
    R = replications or opt.replications or min(model.replications, 20)
    Rc = confirm_replications or opt.confirm_replications
    calls = budget or opt.budget or calls_for(default_limit)
    work = work_for(calls, model.expected_calls() * (1.0 + model.forecast_cv))
    limit = time_limit or opt.time_limit or SAFETY_FACTOR * default_limit
    targets = targets or Targets.from_model(model)
    if confidence is not None:
        targets = targets.with_confidence(confidence)
    return (
        R,
        Rc,
        Budget(work, time.perf_counter() + limit),
        model.seed if seed is None else seed,
        executor or InProcess(),
        targets,
    )


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
        model,
        replications,
        confirm_replications,
        seed,
        executor,
        time_limit,
        default_time_limit(model),
        targets,
        confidence,
        budget,
    )
    bounds = Bounds.from_model(model)
    seeded, ranking_names = seed_plan(model, targets)
    if not cross_sell:
        seeded = Plan.of(seeded.staffing, np.full((model.n_intervals, model.n_segments), NEVER))
    ranking = [model.segments.index(n) for n in ranking_names]
    if start is not None:
        seeded = start
    notes: list[str] = []
    ranking_text = (
        f" The fluid LP ranks offers by value per agent hour: {', '.join(ranking_names)}."
    )
    exact = None
    why = applicable(model)
    use_exact = method == "exact" or (method == "auto" and why is None)
    if method == "exact" and why:
        raise PlanningError(f"the exact model does not apply: {why}", file=model.source)
    log = SearchLog()
    used: list[int] = []
    exact_ok = True
    if use_exact:
        best, log, n0 = exact_search(
            model, targets, bounds, ranking, stop, progress, search_thresholds=cross_sell
        )
        plan = Plan.of(
            np.full(model.n_intervals, best.agents),
            np.tile(np.asarray(best.thresholds), (model.n_intervals, 1)),
        )
        exact = best.result
        exact_ok = best.feasible
        how = (
            f"Exact: the scenario is stationary with exponential times, so each candidate was "
            f"solved with the Markov chain (truncation error < 1e-8). Staffing levels from "
            f"{n0} (Erlang A for the targets without selling) upward; for each, coordinate "
            f"descent over thresholds in [{bounds.th_min}, {bounds.th_max}] plus never/always; "
            f"stopped when no more agents could pay for themselves. {log.evaluations} chain "
            f"solutions. The targets are judged on the chain's exact values; the simulation "
            f"below must not contradict them."
        )
        calls = 0
    else:
        stages = search_stages(R, model)
        ck = None
        if checkpoint_dir is not None:
            key = (
                f"{model_fingerprint(model, seed, 'fast')}-{targets}-{stages}-{cross_sell}-{start}"
            )
            ck = (
                Path(checkpoint_dir)
                / f"optimize-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
            )
        ev: Evaluator[Plan] = Evaluator(model, targets, stages[-1], seed, executor, checkpoint=ck)
        stop.spent = ev.work_asked
        report = SearchProgress(progress, ev, stop, stages) if progress else None
        plan = seeded
        for i, Rs in enumerate(stages):
            if i > 0 and stop.out():
                break
            ev.set_stage(Rs)
            ev.screens = stages[:i]
            log.best_rejected = None
            best_ev, log = simulation_search(
                ev, plan, ranking, bounds, stop, report, cross_sell, log
            )
            plan = best_ev.plan
            used.append(Rs)
            ev.save()
        calls = ev.calls
        log.evaluations = ev.evaluations
        if ev.discarded_checkpoint:
            notes.append("a corrupt checkpoint of this search was discarded; searched afresh")
        if ev.resumed:
            notes.append(
                f"resumed: {ev.resumed} plans evaluated before an interruption were reused"
            )
        gap = ""
        if log.best_rejected:
            mv, g, se = log.best_rejected
            gap = (
                f" At the end the best remaining move ({mv}) changed profit by "
                f"{g:+,.0f} ± {1.96 * se:,.0f} (95%), so no single move is a clear gain."
            )
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
    how += ranking_text
    if Rc is None:
        # four times the last stage: the plan's margin on the search sample is then about
        # twice what the confirmation needs, so a plan that is truly feasible passes
        # (exact search: the chain's values are the truth; the simulation only cross-checks)
        Rc = max(40, 4 * R) if use_exact else max(200, 4 * used[-1])

    def mend(plan: Plan, res: SimResult, judged: list[Judgement]) -> Plan | None:
        s = bounds.clamp(np.array(plan.staffing) + repair_from_result(res, judged, targets))
        return None if s == plan.staffing else dataclasses.replace(plan, staffing=s)

    res, base, no_sell, judged, attempts, c_calls = confirm(
        model, plan, targets, seed, Rc, executor, mend, exact is not None, progress
    )
    calls += c_calls
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
    feasible = exact_ok and verdict != "missed" if exact is not None else verdict == "met"
    fresh = res.meta.get("seed")
    how += (
        f" Confirmed on {res.meta['replications']} replications on fresh seeds (seed {fresh}) "
        f"that the search never saw; the scenario's own plan was run on the same seeds for "
        f"paired differences."
    )
    if exact is not None:
        notes.append(
            "exact search: targets judged on the chain's exact values"
            + ("" if exact_ok else " (NOT met by any plan within the bounds and the time)")
            + f"; on the simulation they are {verdict}"
        )
    elif not feasible:
        notes.append(
            f"not recommended: on {res.meta['replications']} fresh replications at least one "
            f"target is {verdict} (see Targets); the plan is the best found, marked infeasible"
        )
    margins = {j.target.key: j.slack for j in judged}
    return OptimizeResult(
        model,
        plan,
        seeded,
        res,
        base,
        targets,
        how,
        feasible,
        margins,
        log,
        time.perf_counter() - t0,
        calls,
        exact,
        notes,
        judged,
        no_sell=no_sell,
    )


def confirm(
    model: Model,
    plan: SearchPlan,
    targets: Targets,
    seed: int,
    replications: int,
    executor: Executor,
    mend: Callable[[Any, SimResult, list[Judgement]], Any],
    exact: bool,
    progress: Progress | None = None,
) -> tuple[SimResult, SimResult, SimResult | None, list[Judgement], int, int]:
    """Judge the plan on fresh seeds the search never saw (with the scenario's own plan
    and the plan without offers on the same days: None when it makes no offer). A borderline target gets more
    replications (up to `CONFIRM_GROWTH` times as many); a target that is not met sends the
    plan to `mend` (agents added where it misses; None when nothing can be added; the
    k-th repair applies it 2^(k-1) times) and a new confirmation on new seeds."""
    calls = 0
    attempts = 0
    while True:
        fresh = seed + FRESH_SEED_OFFSET * (attempts + 1)
        if progress:
            progress(f"confirming on fresh seeds ({replications} replications)", 0)
        # the plan, the scenario's own plan and the plan without offers on the same days,
        # each day's callers drawn once (the last two give the paired differences)
        m = plan.apply(model)
        models = [m, model] + ([m.without_offers()] if m.makes_offers() else [])
        alike = Alike(models, fresh, executor)
        runs = alike.run(replications)
        judged = targets.judge(runs[0])
        grown = replications
        while overall(judged) == "borderline" and grown < CONFIRM_GROWTH * replications:
            grown *= 2
            runs = alike.run(grown)
            judged = targets.judge(runs[0])
        calls += sum(r.meta["calls_simulated"] for r in runs)
        if exact or overall(judged) == "met" or attempts >= MAX_REPAIRS:
            break
        # each repair adds twice what the one before added: one agent in an eighth of the
        # intervals can be too little for a large center (a 230-agent day stayed 0.04
        # points above its abandonment cap through four equal repairs)
        mended = plan
        for _ in range(2**attempts):
            nxt = mend(mended, runs[0], judged)
            if nxt is None:
                break
            mended = nxt
        if mended is plan:
            break
        plan = mended
        attempts += 1
    res, base = runs[0], runs[1]
    no_sell = runs[2] if len(runs) > 2 else None
    return res, base, no_sell, judged, attempts, calls
