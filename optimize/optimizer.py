"""`optimize.optimize`: staffing per interval and cross-sell thresholds for the most profit
under the service targets.

1. Seed: fluid LP ranking (which segments are worth an agent's time) and Erlang A with
   the modified offered load per interval (staffing that meets the targets).
2. Search: exact (Markov chain) when the scenario is stationary with exponential times;
   otherwise by simulation with common random numbers (see `search.py`).
3. Confirm: the plan and the scenario's own plan on fresh seeds, paired.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim import NEVER, Executor, InProcess, Model, SimResult, paired_difference, simulate
from sim.runner import model_fingerprint

from .evaluate import Evaluator, Targets
from .markov import MarkovResult, applicable
from .plan import Plan, policy_dict, staffing_value
from .search import Bounds, Progress, SearchLog, exact_search, simulation_search
from .seed import seed_plan

FRESH_SEED_OFFSET = 1_000_003
COMPARED_KPIS = (
    "profit",
    "revenue",
    "staffing_cost",
    "service_level",
    "asa",
    "abandon_rate",
    "attempts",
    "occupancy",
)  # confirmation seeds differ from the search's


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

    def plan_json(self) -> dict:
        return {
            "staffing": staffing_value(self.plan, self.model),
            "policy": {"cross_sell": policy_dict(self.plan, self.model)},
        }

    def differences(self) -> dict:
        """Plan minus the scenario's own plan, paired over the confirmation replications."""
        out = {}
        for s in COMPARED_KPIS:
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
            "targets": {
                "feasible": self.feasible,
                "margins": self.margins,
                "definitions": self.targets.describe(self.model.sl_within),
            },
            "intervals": self.result.to_json()["intervals"],
            "method": self.method,
            "search": {
                "rounds": self.search.rounds,
                "evaluations": self.search.evaluations,
                "moves": self.search.moves[-50:],
                "stopped_by_time_limit": self.search.stopped_by_time,
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
) -> OptimizeResult:
    """Find the most profitable plan that meets the targets; see the module docstring."""
    t0 = time.perf_counter()
    opt = model.scenario.optimizer if model.scenario else None
    R = (
        replications
        or (opt.replications if opt and opt.replications else None)
        or min(model.replications, 20)
    )
    Rc = (
        confirm_replications
        or (opt.confirm_replications if opt and opt.confirm_replications else None)
        or max(2 * R, 40)
    )
    limit = time_limit or (opt.time_limit if opt and opt.time_limit else None) or 110.0
    deadline = t0 + limit
    seed = model.seed if seed is None else seed
    executor = executor or InProcess()
    targets = targets or Targets.from_model(model)
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
        raise ValueError(f"the exact model does not apply: {why}")
    if use_exact:
        best, log, n0 = exact_search(
            model, targets, bounds, ranking, deadline, progress, search_thresholds=cross_sell
        )
        plan = Plan.of(
            np.full(model.n_intervals, best.agents),
            np.tile(np.asarray(best.thresholds), (model.n_intervals, 1)),
        )
        exact = best.result
        how = (
            f"Exact: the scenario is stationary with exponential times, so each candidate was "
            f"solved with the Markov chain (truncation error < 1e-8). Staffing levels from "
            f"{n0} (Erlang A for the targets without selling) upward; for each, coordinate "
            f"descent over thresholds in [{bounds.th_min}, {bounds.th_max}] plus never/always; "
            f"stopped when no more agents could pay for themselves. {log.evaluations} chain "
            f"solutions. Coordinate descent can miss a joint move of two thresholds; the "
            f"confirmation below re-checks the plan by simulation."
        )
        calls = 0
    else:
        ck = None
        if checkpoint_dir is not None:
            key = f"{model_fingerprint(model, seed, 'fast')}-{targets}-{R}-{cross_sell}-{start}"
            ck = (
                Path(checkpoint_dir)
                / f"optimize-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pkl"
            )
        ev = Evaluator(model, targets, R, seed, executor, checkpoint=ck)
        best_ev, log = simulation_search(
            ev, seeded, ranking, bounds, deadline, progress, search_thresholds=cross_sell
        )
        plan = best_ev.plan
        calls = ev.calls
        ev.save()
        if ev.resumed:
            notes.append(
                f"resumed: {ev.resumed} plans evaluated before an interruption were reused"
            )
        gap = ""
        if log.best_rejected:
            mv, g, se = log.best_rejected
            gap = (
                f" At the end the best remaining single move ({mv}) changed profit by "
                f"{g:+,.0f} ± {1.96 * se:,.0f} (95%), so no single +-1 staffing move or "
                f"threshold change is a clear gain."
            )
        how = (
            f"Seeded by the fluid LP (segments to sell to) and Erlang A with the modified "
            f"offered load per interval; improved by coordinate search over thresholds in "
            f"[{bounds.th_min}, {bounds.th_max}] plus never/always"
            f"{' (per interval too)' if bounds.per_interval else ''} and +-1 staffing moves, "
            f"{log.rounds} round(s), {log.evaluations} plans each simulated on the same {R} "
            f"replications (common random numbers, paired profit differences); a plan counts "
            f"as feasible when every target holds on the estimate.{gap}"
            f"{' Stopped by the time limit.' if log.stopped_by_time else ''} Not explored: "
            f"moves of 2+ agents at once, joint moves of several thresholds."
        )
    # confirmation on fresh seeds, paired with the scenario's own plan
    fresh = seed + FRESH_SEED_OFFSET
    if progress:
        progress("confirming on fresh seeds", log.evaluations)
    res = simulate(
        plan.apply(model),
        replications=Rc,
        seed=fresh,
        executor=executor,
        checkpoint_dir=checkpoint_dir,
    )
    base = simulate(
        model, replications=Rc, seed=fresh, executor=executor, checkpoint_dir=checkpoint_dir
    )
    calls += res.meta["calls_simulated"] + base.meta["calls_simulated"]
    margins = targets.margins_of(res)
    feasible = all(m >= 0 for m in margins.values())
    how += ranking_text
    how += (
        f" Confirmed with {Rc} replications on fresh seeds (seed {fresh}); the scenario's "
        f"own plan was run on the same seeds for paired differences."
    )
    if not feasible:
        notes.append(
            "on the confirmation run at least one target is not met on the estimate: "
            "the plan is at the edge of feasibility or no feasible plan exists in the bounds"
        )
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
    )
