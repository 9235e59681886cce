"""The comparison as JSON: what every view of it reads (compare.json; the tables, charts,
summary page, workbook and deck). Built here, in the application layer, from the
results the model layers return; `simulate --out` builds it for its one plan too."""

from __future__ import annotations

import numpy as np

from ccsim.optimize.plan import Plan, policy_dict
from ccsim.sim import Model, SimResult
from ccsim.sim.comparison import CompareResult
from ccsim.sim.engine.accumulators import H_OFFERS, H_SALES
from ccsim.sim.results import staffing_json
from ccsim.sim.scenario.targets import Targets, overall, verdict_rule_text
from ccsim.sim.stats import SL_CONVENTION_TEXT, STATISTICS

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
            "wait_buckets": wait_buckets(res),
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
        "customer": customer_json(m),
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
    hist = res.hist  # (HIST_ROWS, K, bins), summed over replications
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


# waits (s) that bound the buckets of the offers-by-wait chart; the last is open
WAIT_BUCKETS = (0, 10, 20, 30, 45, 60, 90, 120, 180, 300)


def customer_json(m: Model) -> dict:
    """What the scenario says of callers who react to waiting and of the customer beyond
    the call: which views to show, and the definitions they rest on."""
    return {
        "wait_aware": m.wait_effects is not None or m.max_wait is not None,
        "value_modelled": m.customer_value is not None,
        "satisfaction_set": m.satisfaction_set,
        "objective": m.optimizer.objective,
        "satisfied_within": m.satisfied_within,
        "no_pitch_after": m.no_pitch_after,
    }


def wait_buckets(res: SimResult) -> dict:
    """Offers, sales and revenue per day by the caller's wait before an agent answered
    (buckets `WAIT_BUCKETS`), all segments together, and the conversion in each bucket."""
    hist = res.hist
    assert hist is not None  # a finished result carries its histogram
    R = max(1, int(res.meta.get("replications") or 1))
    edges = list(WAIT_BUCKETS) + [hist.shape[2]]
    offers, sales, revenue = [], [], []
    rev = np.asarray(res.model.revenue, float)
    for a, b in zip(edges, edges[1:], strict=False):
        o = hist[H_OFFERS, :, a:b].sum(axis=1)
        s = hist[H_SALES, :, a:b].sum(axis=1)
        offers.append(float(o.sum()) / R)
        sales.append(float(s.sum()) / R)
        revenue.append(float(s @ rev) / R)
    return {
        "from_seconds": list(WAIT_BUCKETS),
        "offers": offers,
        "sales": sales,
        "revenue": revenue,
        "conversion": [s / o if o > 0 else None for s, o in zip(sales, offers, strict=True)],
    }
