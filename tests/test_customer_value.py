"""The customer beyond today's call: customer value at risk and the satisfaction figure.

Exact checks in M/M/n without abandonment (P(W = 0) = 1 - C, W | W > 0 ~ Exp(n mu - lambda),
offer time zero so offers do not change the queue):
- value at risk per caller, with a risk a per minute waited only:
  v E[1 - (1 - a)^(W / 60)] = v C theta / (n mu - lambda + theta), theta = -ln(1 - a) / 60;
- satisfaction with every caller eligible with probability e and always offered:
  P(W <= L) + (1 - e) P(L < W <= T) = 1 - C [e exp(-gap L) + (1 - e) exp(-gap T)].
Tolerances as in test_wait_effects: within 3 standard errors and within 1.5%, with a
confidence interval narrow enough for that to fail. Identities call by call (both engines)
check abandonment and declines, which the exact checks do not reach.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import model_from, within_ci

from ccsim import sim
from ccsim.optimize.analytic.erlang import erlang_c
from ccsim.sim.stats import estimate

EXP = {"dist": "exponential"}
LAM, MU, N = 170 / 3600, 1 / 180, 10  # 8.5 erlangs on 10 agents
GAP = N * MU - LAM
C = erlang_c(N, LAM / MU)


def mmn(
    segment_extra: dict,
    satisfaction: dict | None = None,
    eligible: float = 1.0,
    length: str = "1500h",
):
    data = {
        "horizon": {"steady_state": {"warmup": "20h", "length": length}},
        "segments": {
            "calls": {
                "rate": "170/h",
                "handle_time": {**EXP, "mean": "3min"},
                "cross_sell": {"eligible": eligible, "accept": 0.3, "revenue": 10},
                **segment_extra,
            }
        },
        "staffing": N,
        "policy": {"cross_sell": "always"},
        "simulation": {"replications": 10, "seed": 5},
    }
    if satisfaction:
        data["satisfaction"] = satisfaction
    return model_from(data)


def close_to(est: sim.Estimate, exact: float, rel: float = 0.015) -> None:
    assert est.half_width <= rel * abs(exact), (est, exact)
    assert within_ci(est, exact), (est, exact)
    assert abs(est.mean - exact) <= rel * abs(exact), (est, exact)


def test_value_at_risk_from_waiting_is_exact():
    a, v = 0.05, 1000.0
    # only callers who wait carry a risk: a longer run for the same relative precision
    cv = {"customer_value": {"value": v, "lost_per_minute_waited": a}}
    res = sim.simulate(mmn(cv, length="5000h"))
    theta = -math.log1p(-a) / 60
    exact = v * C * theta / (GAP + theta)
    close_to(estimate(res.samples["value_at_risk"] / res.samples["offered"]), exact)
    lrp = res.samples["profit"] - res.samples["value_at_risk"]
    np.testing.assert_allclose(res.samples["long_run_profit"], lrp)


def test_satisfaction_is_exact():
    e, L, T = 0.6, 15.0, 60.0
    res = sim.simulate(mmn({}, {"answered_within": f"{T}s", "no_pitch_after": f"{L}s"}, eligible=e))
    exact = 1 - C * (e * math.exp(-GAP * L) + (1 - e) * math.exp(-GAP * T))
    close_to(res.summary["satisfaction"], exact)


@pytest.mark.parametrize("engine", ["fast", "simpy"])
def test_value_at_risk_and_satisfaction_add_up_call_by_call(engine):
    """The counts are the per-call formula summed over the calls' records: abandoned callers
    carry the abandonment risk, declined offers their own; satisfied callers are answered
    in time and not pitched after a long wait."""
    from ccsim.sim.engine.accumulators import SATISFIED, VALUE_RISK
    from ccsim.sim.engine.records import R_ACC, R_ATT, R_OUT, R_WAIT
    from ccsim.sim.runner import run_replication

    a, b, c, v = 0.02, 0.1, 0.05, 2000.0
    m = model_from(
        {
            "horizon": {"interval": "30min", "intervals": 2},
            "segments": {
                "calls": {
                    "volume": [90, 60],
                    "handle_time": {**EXP, "mean": "3min"},
                    "patience": {**EXP, "mean": "2min"},
                    "cross_sell": {"accept": 0.4, "revenue": 10, "eligible": 0.7},
                    "customer_value": {
                        "value": v,
                        "lost_per_minute_waited": a,
                        "lost_if_abandoned": b,
                        "lost_per_declined_offer": c,
                    },
                }
            },
            "staffing": [6, 6],
            "policy": {"cross_sell": {"calls": {"threshold": 4}}},
            "satisfaction": {"answered_within": "40s", "no_pitch_after": "10s"},
        }
    )
    rep, rec = run_replication(m, 3, 0, engine, want_records=True)
    assert rec is not None
    w, ab = rec[:, R_WAIT], rec[:, R_OUT] == 0
    pitched, sold = rec[:, R_ATT] == 1, rec[:, R_ACC] == 1
    declined = pitched & ~sold
    assert ab.sum() > 5 and declined.sum() > 5 and (pitched & (w > 10)).sum() > 3
    keep = (1 - a) ** (w / 60) * np.where(ab, 1 - b, 1.0) * np.where(declined, 1 - c, 1.0)
    assert rep.counts[..., VALUE_RISK].sum() == pytest.approx(v * (1 - keep).sum(), rel=1e-12)
    happy = ~ab & (w <= 40) & ~(pitched & (w > 10))
    assert rep.counts[..., SATISFIED].sum() == happy.sum()


def test_no_customer_model_means_no_value_at_risk():
    m = mmn({})
    assert m.customer_value is None
    res = sim.simulate(m, replications=2)
    assert res.summary["value_at_risk"].mean == 0.0
    assert res.summary["long_run_profit"].mean == res.summary["profit"].mean


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"customer_value": {"value": -1}}, "value"),
        ({"customer_value": {"value": 10, "lost_per_minute_waited": 1.0}}, "less than 1"),
        ({"customer_value": {"value": 10, "lost_if_abandoned": 1.5}}, "lost_if_abandoned"),
        ({"customer_value": {"value": 10, "churn": 0.1}}, "churn"),
    ],
)
def test_bad_customer_value_fields_are_one_clear_error(extra, words):
    with pytest.raises(sim.ScenarioError, match=words):
        mmn(extra)
