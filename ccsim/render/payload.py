"""The comparison as JSON: what every view of it reads (compare.json; the tables, charts,
summary page, workbook and deck). Built here, in the application layer, from the
results the model layers return; `simulate --out` builds it for its one plan too."""

from __future__ import annotations

import numpy as np

from ccsim.optimize.plan import Plan, policy_dict
from ccsim.sim import SimResult
from ccsim.sim.comparison import CompareResult
from ccsim.sim.results import staffing_json
from ccsim.sim.stats import SL_CONVENTION_TEXT, STATISTICS
from ccsim.sim.targets import Targets, overall, verdict_rule_text

WAIT_POINTS = 601  # waiting-time CDF, 1-second steps up to 10 minutes


def comparison_json(c: CompareResult) -> dict:
    """Everything the tables, charts, summary page, workbook and deck show about a
    comparison, as plain JSON (compare.json)."""
    m = c.model
    t = Targets.from_model(m)
    alts = {}
    for name, res in c.results.items():
        judged = t.judge(res)
        js = res.to_json()
        mm = c.models[name]
        alts[name] = {
            "description": c.descriptions.get(name, ""),
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
            if name == c.baseline
            else {s: c.difference(name, s).to_json() for s in STATISTICS},
            "waiting": _waiting(res),
            "cross_sell_value": c.cross_sell_value(name),
        }
    return {
        "kind": "ccsim.compare",
        "scenario": m.name,
        "baseline": c.baseline,
        "recommendation": c.recommendation(),
        "alternatives": alts,
        "segments": m.segments,
        "interval_labels": [row["label"] for row in c.results[c.baseline].to_json()["intervals"]],
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
        "grid": c.grid,
        "frontier": c.frontier,
        "optimize_method": c.optimize_method,
        "meta": c.meta,
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
