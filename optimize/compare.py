"""`optimize.compare`: alternatives side by side on the same callers.

Every alternative is simulated on the same replications (same seeds), so the difference
from the baseline is computed per replication and its confidence interval is narrow. The
result carries what the charts need (per-interval figures, waiting-time distributions,
a threshold grid and the optimizer's frontier when available) as plain JSON.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ccsim.sim import (
    ALWAYS,
    NEVER,
    Alike,
    Executor,
    InProcess,
    Model,
    simulate,
)
from ccsim.sim.comparison import CompareResult
from ccsim.sim.scenario.targets import Targets, overall

from .evaluate import Evaluator
from .plan import Plan, threshold_label
from .search.progress import Progress

GRID = [NEVER, -3, -2, -1, 0, 1, 2, 3, 5, 8, ALWAYS]


def threshold_grid(
    model: Model,
    segments: tuple[int, int],
    replications: int,
    seed: int,
    executor: Executor,
    progress: Progress | None = None,
) -> dict:
    """Profit over a grid of thresholds for two segments (others as in the scenario)."""
    t = Targets.from_model(model)
    ev: Evaluator[Plan] = Evaluator(model, t, replications, seed, executor)
    base = Plan.from_model(model)
    k1, k2 = segments
    plans = [base.with_threshold(k1, a).with_threshold(k2, b) for a in GRID for b in GRID]
    evs = ev.evaluate_many(plans)
    if progress:
        progress("threshold grid", ev.evaluations)
    profit = np.array([e.profit for e in evs]).reshape(len(GRID), len(GRID))
    feas = np.array([e.feasible for e in evs]).reshape(len(GRID), len(GRID))
    return {
        "segments": [model.segments[k1], model.segments[k2]],
        "values": [threshold_label(v) for v in GRID],
        "profit": np.round(profit, 2).tolist(),
        "feasible": feas.tolist(),
        "feasible_means": f"every target met at {t.confidence:.0%} confidence on these "
        f"{replications} replications",
        "replications": replications,
        "calls": ev.calls,
    }


def compare(
    model: Model,
    alternatives: dict[str, Model],
    *,
    descriptions: dict[str, str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    grid: bool = True,
    frontier: list[dict] | None = None,
    optimize_method: str | None = None,
    progress: Progress | None = None,
) -> CompareResult:
    """Simulate the baseline (the scenario's plan) and the alternatives on common seeds.

    Verdicts are decided the way the optimizer decides them: while any alternative's
    verdict is borderline, every alternative (and its twin without offers) gets twice
    the replications, on the same seeds (the pairing holds), up to `decide_cap(...)`
    replications; a verdict still borderline then says how many would decide it."""
    executor = executor or InProcess()
    R = replications or model.replications
    seed = model.seed if seed is None else seed
    models = {"scenario": model, **alternatives}
    targets = Targets.from_model(model)
    # each plan with its twin without offers: one stream of callers for both
    runners = {
        name: Alike(
            [mm] + ([mm.without_offers()] if mm.makes_offers() else []), seed, executor, mm.engine
        )
        for name, mm in models.items()
    }
    # a steady-state run is judged on its batches, not on more runs
    cap = R if model.steady else decide_cap(model, R, sum(len(r.models) for r in runners.values()))
    n = R
    while True:
        runs = {}
        for i, (name, runner) in enumerate(runners.items()):
            if progress:
                progress(f"simulating {name} ({n} replications)", i)
            runs[name] = runner.run(n)
        undecided = [
            name for name, r in runs.items() if overall(targets.judge(r[0])) == "borderline"
        ]
        if not undecided or 2 * n > cap:
            break
        n *= 2
    results = {name: r[0] for name, r in runs.items()}
    no_sell = {name: r[1] for name, r in runs.items() if len(r) > 1}
    calls = sum(x.meta["calls_simulated"] for r in runs.values() for x in r)
    decided = {
        "replications": n,
        "first": R,
        "cap": cap,
        "undecided": {name: replications_to_decide(targets, results[name]) for name in undecided},
    }
    g = None
    sellable = [k for k in range(model.n_segments) if model.eligible[k] > 0]
    if grid and len(sellable) >= 2:
        from .analytic.seed import seed_thresholds

        _, ranking = seed_thresholds(model)
        top = [model.segments.index(n) for n in ranking if model.segments.index(n) in sellable][:2]
        g = threshold_grid(model, (top[0], top[1]), max(4, R // 2), seed, executor, progress)
        calls += g["calls"]
    desc = {"scenario": "the scenario's own plan", **(descriptions or {})}
    return CompareResult(
        model,
        "scenario",
        models,
        results,
        desc,
        g,
        frontier,
        optimize_method,
        {"replications": n, "seed": seed, "calls_simulated": calls, "verdicts": decided},
        no_sell,
    )


# compare decides verdicts on up to this many times its first replications, within this
# many simulated calls (about 30 s on 2 cores)
DECIDE_FACTOR = 64
DECIDE_CALLS = 200e6


def decide_cap(model: Model, first: int, runs: int) -> int:
    """The most replications compare may use to decide a borderline verdict: 64 times
    the first (20 -> 1,280, the optimizer's confirmation), fewer for a large scenario
    (`DECIDE_CALLS` over the plans run)."""
    by_calls = DECIDE_CALLS / max(1.0, model.expected_calls() * max(1, runs))
    return max(first, min(DECIDE_FACTOR * first, int(by_calls)))


def replications_to_decide(targets: Targets, res) -> int | None:
    """About how many replications would decide a borderline verdict: the bound's
    half-width shrinks as 1/sqrt(n), so n (half-width / |mean - limit|)^2 for the
    hardest borderline target (None when a mean sits on its limit)."""
    need = 0.0
    for j in targets.judge(res):
        if j.verdict != "borderline":
            continue
        half = (j.mean - j.lo) if j.target.higher_is_better else (j.hi - j.mean)
        gap = abs(j.slack)
        if not (math.isfinite(half) and gap > 0):
            return None
        need = max(need, j.n * (half / gap) ** 2)
    return int(math.ceil(need)) if need else None


SENSITIVITY_VOLUMES = ("+5%", "+10%")


def sensitivity(
    result: CompareResult,
    volumes: tuple[str, ...] = SENSITIVITY_VOLUMES,
    executor: Executor | None = None,
) -> dict:
    """The recommended plan (else the scenario's) on days whose volumes are above the
    forecast: profit, service and the verdict at each, on the comparison's seeds."""
    from ccsim.sim.scenario.alternatives import factor

    name = result.recommendation() or result.baseline
    plan = result.models[name]
    res0 = result.results[name]
    R, seed = res0.meta["replications"], res0.meta["seed"]
    targets = Targets.from_model(result.model)
    rows = []
    for v in ("+0%", *volumes):
        f = factor(v, None, "volume")
        m = dataclasses.replace(plan, rates=plan.rates * f)
        res = res0 if f == 1.0 else simulate(m, replications=R, seed=seed, executor=executor)
        s = res.summary
        rows.append(
            {
                "volume": v if f != 1.0 else "forecast",
                "factor": f,
                **{k: s[k].to_json() for k in ("profit", "service_level", "abandon_rate", "asa")},
                "verdict": overall(targets.judge(res)),
            }
        )
    return {"plan": name, "replications": R, "seed": seed, "rows": rows}
