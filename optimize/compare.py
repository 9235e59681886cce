"""`optimize.compare`: alternatives side by side on the same callers.

Every alternative is simulated on the same replications (same seeds), so the difference
from the baseline is computed per replication and its confidence interval is narrow. The
result carries what the charts need (per-interval figures, waiting-time distributions,
a threshold grid and the optimizer's frontier when available) as plain JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ccsim.sim import (
    ALWAYS,
    NEVER,
    Executor,
    InProcess,
    Model,
    SimResult,
    paired_difference,
    simulate,
)
from ccsim.sim.results import selling_value, staffing_json
from ccsim.sim.stats import SL_CONVENTION_TEXT, STATISTICS
from ccsim.sim.targets import Targets, overall, verdict_rule_text

from .evaluate import Evaluator
from .plan import Plan, policy_dict, threshold_label
from .search import Progress

GRID = [NEVER, -3, -2, -1, 0, 1, 2, 3, 5, 8, ALWAYS]
WAIT_POINTS = 601  # waiting-time CDF, 1-second steps up to 10 minutes


@dataclass
class CompareResult:
    model: Model
    baseline: str
    models: dict[str, Model]
    results: dict[str, SimResult]
    descriptions: dict[str, str]
    grid: dict | None = None
    frontier: list[dict] | None = None
    optimize_method: str | None = None
    meta: dict = field(default_factory=dict)
    no_sell: dict[str, SimResult] = field(default_factory=dict)  # each plan without offers

    def cross_sell_value(self, name: str) -> dict | None:
        """What cross-selling earns under the plan, against the same plan without offers
        on the same seeds: profit (revenue minus the service cost it causes), revenue,
        and the extra abandonment and decline costs; None if the plan offers nothing."""
        base = self.no_sell.get(name)
        return None if base is None else selling_value(self.results[name], base)

    def difference(self, name: str, stat: str):
        return paired_difference(self.results[self.baseline], self.results[name], stat)

    def verdict(self, name: str) -> str:
        """'met' / 'borderline' / 'missed': the alternative's targets (the one rule)."""
        return overall(self.model.targets.judge(self.results[name]))

    def recommendation(self) -> str | None:
        """The most profitable alternative whose every target is met (None if none is)."""
        ok = [n for n in self.results if self.verdict(n) == "met"]
        if not ok:
            return None
        return max(ok, key=lambda n: self.results[n].summary["profit"].mean)

    def to_json(self) -> dict:
        m = self.model
        t = Targets.from_model(m)
        alts = {}
        for name, res in self.results.items():
            judged = t.judge(res)
            js = res.to_json()
            mm = self.models[name]
            alts[name] = {
                "description": self.descriptions.get(name, ""),
                "plan": {
                    "staffing": staffing_json(mm),
                    "policy": policy_dict(Plan.from_model(mm), mm),
                },
                "summary": js["summary"],
                "segments": js["segments"],
                "intervals": js["intervals"],
                "meets_targets": overall(judged) == "met",
                "verdict": overall(judged),
                "checks": [j.to_json() for j in judged],
                "difference": None
                if name == self.baseline
                else {s: self.difference(name, s).to_json() for s in STATISTICS},
                "waiting": _waiting(res),
                "cross_sell_value": self.cross_sell_value(name),
            }
        return {
            "kind": "ccsim.compare",
            "scenario": m.name,
            "baseline": self.baseline,
            "recommendation": self.recommendation(),
            "alternatives": alts,
            "segments": m.segments,
            "interval_labels": [
                row["label"] for row in self.results[self.baseline].to_json()["intervals"]
            ],
            "measured": m.measured.tolist(),
            "targets": {
                "service_level": t.sl_fraction,
                "service_level_per": t.sl_per,
                "within": m.sl_within,
                "max_abandon_rate": t.max_abandon,
                "max_asa": t.max_asa,
                "service_level_floor": t.sl_floor,
                "max_abandon_rate_interval": t.max_abandon_interval,
                "confidence": t.confidence,
                "rule": verdict_rule_text(t.confidence),
            },
            "currency": m.currency,
            "definitions": {
                "cross_sell_value": "the plan's profit minus the same plan's without offers, "
                "paired over the same replications: cross-sell revenue minus the abandonment "
                "and decline costs that selling causes (staffing is the same)",
                "service_level": f"{SL_CONVENTION_TEXT[m.sl_convention]}, T = {m.sl_within:g} s",
                "profit": "revenue - staffing cost - abandonment cost - decline cost",
                "difference": "alternative minus baseline, paired over common replications "
                "(same seeds, same callers); 95% Student-t interval",
            },
            "grid": self.grid,
            "frontier": self.frontier,
            "optimize_method": self.optimize_method,
            "meta": self.meta,
        }


def _waiting(res: SimResult) -> dict:
    """Per segment: P(wait <= t) for answered callers, t = 0..600 s, and the share answered."""
    hist = res.hist  # (2, K, bins), summed over replications
    assert hist is not None  # a finished result carries its histogram
    out = {}
    for k, name in enumerate(res.model.segments):
        ans = hist[0, k]
        total = ans.sum() + hist[1, k].sum()
        cdf = np.cumsum(ans)[:WAIT_POINTS] / ans.sum() if ans.sum() else np.zeros(WAIT_POINTS)
        out[name] = {
            "cdf_answered": np.round(cdf, 6).tolist(),
            "answered_share": float(ans.sum() / total) if total else None,
        }
    return out


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
    """Simulate the baseline (the scenario's plan) and the alternatives on common seeds."""
    executor = executor or InProcess()
    R = replications or model.replications
    seed = model.seed if seed is None else seed
    models = {"scenario": model, **alternatives}
    results = {}
    calls = 0
    for i, (name, mm) in enumerate(models.items()):
        if progress:
            progress(f"simulating {name}", i)
        results[name] = simulate(mm, replications=R, seed=seed, executor=executor)
        calls += results[name].meta["calls_simulated"]
    no_sell = {}
    for name, mm in models.items():
        if not mm.makes_offers():
            continue
        if progress:
            progress(f"simulating {name} without offers", len(models))
        no_sell[name] = simulate(mm.without_offers(), replications=R, seed=seed, executor=executor)
        calls += no_sell[name].meta["calls_simulated"]
    g = None
    sellable = [k for k in range(model.n_segments) if model.eligible[k] > 0]
    if grid and len(sellable) >= 2:
        from .seed import seed_thresholds

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
        {"replications": R, "seed": seed, "calls_simulated": calls},
        no_sell,
    )


SENSITIVITY_VOLUMES = ("+5%", "+10%")


def sensitivity(
    result: CompareResult,
    volumes: tuple[str, ...] = SENSITIVITY_VOLUMES,
    executor: Executor | None = None,
) -> dict:
    """The recommended plan (else the scenario's) on days whose volumes are above the
    forecast: profit, service and the verdict at each, on the comparison's seeds."""
    from ccsim.sim.alternatives import factor
    from ccsim.sim.targets import Targets, overall

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
