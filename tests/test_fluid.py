"""The fluid LP against its closed-form answer on small cases."""

import numpy as np
import pytest
from helpers import model_from

from ccsim.optimize.analytic.fluid import fluid_plan


def one_segment(revenue, agent_cost=36.0, accept=0.5, staffing=10, abandon_cost=0.0):
    return model_from(
        {
            "horizon": {"interval": "1h", "intervals": 1},
            "segments": {
                "a": {
                    "rate": "60/h",
                    "handle_time": {"dist": "exponential", "mean": "5min"},
                    "patience": {"dist": "exponential", "mean": "2min"},
                    "cross_sell": {
                        "eligible": 0.5,
                        "accept": accept,
                        "revenue": revenue,
                        "offer_time": {"dist": "exponential", "mean": "2min"},
                    },
                }
            },
            "staffing": staffing,
            "costs": {"agent_per_hour": agent_cost, "abandoned_call": abandon_cost},
            "policy": {"cross_sell": "always"},
        }
    )


def test_profitable_offer_is_made_to_everyone_and_staffed_for():
    m = one_segment(revenue=100)  # an offer: 50 expected for 2 min of agent time >> 36/h
    p = fluid_plan(m, max_occupancy=0.8, max_abandon=0.0)
    lam, b, w, e = 1 / 60, 300.0, 120.0, 0.5
    assert p.offer_share[0, 0] == pytest.approx(1.0)
    assert p.staffing[0] == pytest.approx((lam * b + lam * e * w) / 0.8, rel=1e-6)
    assert p.value_per_agent_hour[0] == pytest.approx(50 / 120 * 3600)


def test_unprofitable_offer_is_not_made():
    m = one_segment(revenue=1.0)  # 0.5 per offer for 2 minutes: less than 36/h
    p = fluid_plan(m, max_occupancy=0.8, max_abandon=0.0)
    assert p.offer_share[0, 0] == pytest.approx(0.0)
    assert p.staffing[0] == pytest.approx(1 / 60 * 300 / 0.8, rel=1e-6)


def test_fixed_staffing_limits_offers():
    # 6 agents at 80%: 4.8 erlangs; base work 5 erlangs already: no room to sell, some abandon
    m = one_segment(revenue=100, abandon_cost=200)  # a lost call costs more than a sale earns
    p = fluid_plan(m, staffing=np.array([6]), max_occupancy=0.8, max_abandon=0.1)
    assert p.offer_share[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert p.abandon_share[0] == pytest.approx(0.2 / 5, rel=1e-6)
    # when hang-ups cost nothing the LP lets callers go to sell to others: the targets and
    # the abandonment cost are what keep "serve first, then sell"
    cheap = fluid_plan(
        one_segment(revenue=100), staffing=np.array([6]), max_occupancy=0.8, max_abandon=0.1
    )
    assert cheap.abandon_share[0] == pytest.approx(0.1) and cheap.offer_share[0, 0] > 0


def test_ranking_orders_segments_by_value_per_agent_hour():
    seg = {"rate": "60/h", "handle_time": {"dist": "exponential", "mean": "5min"}}
    m = model_from(
        {
            "horizon": {"interval": "1h", "intervals": 1},
            "segments": {
                "low": {
                    **seg,
                    "cross_sell": {
                        "accept": 0.1,
                        "revenue": 50,
                        "offer_time": {"dist": "deterministic", "value": "1min"},
                    },
                },
                "high": {
                    **seg,
                    "cross_sell": {
                        "accept": 0.3,
                        "revenue": 50,
                        "offer_time": {"dist": "deterministic", "value": "1min"},
                    },
                },
            },
            "staffing": 12,
        }
    )
    assert fluid_plan(m).ranking == ["high", "low"]
