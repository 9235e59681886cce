"""How a search is run, whatever it moves: its settings, its stages of growing
replications, its checkpoint, and the confirmation on fresh seeds that decides what is
recommended."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ccsim.sim import (
    Alike,
    Executor,
    InProcess,
    Model,
    SimResult,
)
from ccsim.sim.scenario.targets import Judgement, Targets, overall

from .budget import SAFETY_FACTOR, Budget, calls_for, work_for
from .evaluate import Evaluator
from .plan import SearchPlan
from .search.progress import Progress, SearchLog

FRESH_SEED_OFFSET = 1_000_003  # confirmation seeds differ from the search's
MAX_SEARCH_REPLICATIONS = 320
MAX_STAGES = 3
CONFIRM_GROWTH = 2  # a borderline confirmation may grow to 2x its replications
MAX_REPAIRS = 4

P = TypeVar("P")


def stopped_text(log: SearchLog, used: list[int], stages: list[int]) -> str:
    """How far a search got when it did not end on its own."""
    if log.stopped is None:
        return ""
    where = f"in stage {len(used)} of {len(stages)}, after {log.evaluations} plans"
    if log.stopped == "time limit":
        return f" SEARCH STOPPED EARLY by the time limit {where}."
    return f" The search spent its work budget {where}."


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


def checkpoint_file(checkpoint_dir: Path | None, kind: str, key: str) -> Path | None:
    """The search's checkpoint file, named by a hash of everything that shapes it."""
    if checkpoint_dir is None:
        return None
    return Path(checkpoint_dir) / f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def run_stages(
    ev: Evaluator,
    stages: list[int],
    stop: Budget,
    log: SearchLog,
    plan: P,
    search: Callable[[P], P],
) -> tuple[P, list[int]]:
    """Each stage restarts `search` (plan -> better plan) from the last stage's answer on
    more replications; a later stage starts only while the budget lasts. Returns the
    plan and the replications of the stages run; the checkpoint is saved after each."""
    used: list[int] = []
    for i, n in enumerate(stages):
        if i > 0 and stop.out():
            break
        ev.set_stage(n)
        ev.screens = stages[:i]
        log.best_rejected = None
        plan = search(plan)
        used.append(n)
        ev.save()
    log.evaluations = ev.evaluations
    return plan, used


def checkpoint_notes(ev: Evaluator) -> list[str]:
    """What the planner should know about the checkpoint the search read."""
    notes = []
    if ev.discarded_checkpoint:
        notes.append("a corrupt checkpoint of this search was discarded; searched afresh")
    if ev.resumed:
        notes.append(f"resumed: {ev.resumed} plans evaluated before an interruption were reused")
    return notes


def remaining_move_text(log: SearchLog, tail: str = "") -> str:
    """The best move left when the search stopped, and what it would have changed."""
    if not log.best_rejected:
        return ""
    mv, g, se = log.best_rejected
    return f" At the end the best remaining move ({mv}) changed profit by {g:+,.0f} ± {1.96 * se:,.0f} (95%){tail}."


def confirmed_text(res: SimResult) -> str:
    return (
        f" Confirmed on {res.meta['replications']} replications on fresh seeds (seed "
        f"{res.meta.get('seed')}) that the search never saw; the scenario's own plan was run "
        f"on the same seeds for paired differences."
    )


def not_recommended_note(res: SimResult, verdict: str, what: str) -> str:
    return (
        f"not recommended: on {res.meta['replications']} fresh replications at least one "
        f"target is {verdict} (see Targets); the {what} is the best found, marked infeasible"
    )
