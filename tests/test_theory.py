"""The simulator against exact queueing results (Erlang C, Erlang A).

Tolerances are the replications' own: the exact value must lie within 3 standard errors
of the simulated mean (standard error from the 95% t-interval over replications). Each
test also checks the interval is narrow, so the comparison has power to fail.
"""

import pytest
from helpers import steady, within_ci

from ccsim import sim
from ccsim.optimize.analytic.erlang import erlang_a, erlang_c_metrics

EXP = {"dist": "exponential"}


def check(res, exact: dict, max_rel_half_width: float = 0.05):
    for stat, value in exact.items():
        est = res.summary[stat]
        assert est.n >= 5
        assert est.half_width <= max_rel_half_width * abs(value), (stat, est, value)
        assert within_ci(est, value), (stat, est, value)


def test_mmn_against_erlang_c():
    lam, mu, n, T = 200 / 3600, 1 / 180, 12, 20.0
    m = steady("200/h", {**EXP, "mean": "180s"}, n, length="400h", reps=10, seed=11)
    res = sim.simulate(m)
    ex = erlang_c_metrics(n, lam, mu, T)
    check(
        res,
        {
            "p_wait": ex.p_wait,
            "asa": ex.asa,
            "mean_wait": ex.mean_wait,
            "service_level": ex.service_level,
            "occupancy": ex.occupancy,
        },
    )
    assert res.summary["abandoned"].mean == 0


@pytest.mark.parametrize("n,patience_min", [(7, 2.0), (9, 5.0)])
def test_mmn_m_against_erlang_a(n, patience_min):
    lam, mu, theta, T = 100 / 3600, 1 / 240, 1 / (60 * patience_min), 20.0
    m = steady(
        "100/h",
        {**EXP, "mean": "4min"},
        n,
        patience={**EXP, "mean": f"{patience_min}min"},
        length="600h",
        reps=10,
        seed=5,
    )
    res = sim.simulate(m)
    ex = erlang_a(n, lam, mu, theta, T)
    check(
        res,
        {
            "p_wait": ex.p_wait,
            "abandon_rate": ex.p_abandon,
            "asa": ex.asa,
            "mean_wait": ex.mean_wait,
            "service_level": ex.service_level,
            "occupancy": ex.occupancy,
        },
        max_rel_half_width=0.08,
    )


def test_priorities_keep_the_erlang_a_totals():
    """Identical exponential segments in two priority classes: the number in system is
    the same birth-death process, so the totals still match Erlang A."""
    lam, mu, theta, n = 100 / 3600, 1 / 240, 1 / 120, 7
    seg = {
        "rate": "40/h",
        "handle_time": {**EXP, "mean": "4min"},
        "patience": {**EXP, "mean": "2min"},
        "priority": 1,
    }
    m = steady(
        "60/h",
        {**EXP, "mean": "4min"},
        n,
        patience={**EXP, "mean": "2min"},
        length="600h",
        reps=10,
        seed=9,
        extra_segments={"vip": seg},
    )
    res = sim.simulate(m)
    ex = erlang_a(n, lam, mu, theta, 20.0)
    check(
        res,
        {"p_wait": ex.p_wait, "abandon_rate": ex.p_abandon, "mean_wait": ex.mean_wait},
        max_rel_half_width=0.08,
    )
    # and priority does what it says: the high-priority segment waits less
    assert res.segments["vip"]["asa"].hi < res.segments["calls"]["asa"].lo


def test_reference_engine_against_erlang_a():
    lam, mu, theta, n = 100 / 3600, 1 / 240, 1 / 120, 7
    m = steady(
        "100/h",
        {**EXP, "mean": "4min"},
        n,
        patience={**EXP, "mean": "2min"},
        length="150h",
        reps=8,
        seed=3,
    )
    res = sim.simulate(m, engine="simpy")
    ex = erlang_a(n, lam, mu, theta, 20.0)
    check(
        res,
        {"p_wait": ex.p_wait, "abandon_rate": ex.p_abandon, "mean_wait": ex.mean_wait},
        max_rel_half_width=0.12,
    )


def test_one_long_run_uses_batch_means():
    lam, mu, theta, n = 100 / 3600, 1 / 240, 1 / 120, 7
    m = steady(
        "100/h",
        {**EXP, "mean": "4min"},
        n,
        patience={**EXP, "mean": "2min"},
        length="4000h",
        reps=1,
        seed=8,
    )
    res = sim.simulate(m)
    assert res.summary["abandon_rate"].n == 10  # ten batches
    ex = erlang_a(n, lam, mu, theta, 20.0)
    check(res, {"abandon_rate": ex.p_abandon, "mean_wait": ex.mean_wait}, max_rel_half_width=0.08)
