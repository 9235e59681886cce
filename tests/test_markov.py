"""The simulator (both engines) against the exact Markov chain of threshold cross-selling."""

import numpy as np
import pytest
from helpers import model_from, within_ci

from ccsim import sim
from ccsim.optimize.analytic.erlang import erlang_a
from ccsim.optimize.analytic.markov import NEVER, applicable, solve_model, threshold_chain
from ccsim.sim.engine.accumulators import ATTEMPTS, OFFERED
from ccsim.sim.stats import estimate

EXP = {"dist": "exponential"}


def scenario(n, segments, policy, length="300h", reps=10, seed=1, patience="2min"):
    segs = {}
    for name, (rate, eligible, accept, revenue) in segments.items():
        segs[name] = {
            "rate": rate,
            "handle_time": {**EXP, "mean": "4min"},
            "cross_sell": {
                "eligible": eligible,
                "accept": accept,
                "revenue": revenue,
                "offer_time": {**EXP, "mean": "1min"},
            },
        }
        if patience:
            segs[name]["patience"] = {**EXP, "mean": patience}
    return model_from(
        {
            "horizon": {"steady_state": {"warmup": "10h", "length": length}},
            "segments": segs,
            "staffing": n,
            "policy": {"cross_sell": policy},
            "simulation": {"replications": reps, "seed": seed},
        }
    )


CASES = {
    "two segments, thresholds 5 and 0": (
        45,
        {"a": ("240/min", 1, 0.3, 50), "b": ("360/min", 1, 0.1, 20)},
        {"a": {"threshold": 5}, "b": {"threshold": 0}},
    ),
    "negative thresholds": (
        20,
        {"a": ("150/h", 0.8, 0.25, 60), "b": ("100/h", 0.6, 0.1, 30)},
        {"a": {"threshold": -1}, "b": {"threshold": -3}},
    ),
    "three segments, one always, one never": (
        12,
        {"a": ("60/h", 1, 0.2, 40), "b": ("50/h", 0.5, 0.3, 80), "c": ("40/h", 1, 0.1, 10)},
        {"a": {"threshold": 2}, "b": "always", "c": "never"},
    ),
}


def fix_rates(case):
    n, segs, pol = case
    # the first case is the benchmark's 10 calls/min split 0.4 / 0.6
    segs = {
        k: (("4/min" if v[0] == "240/min" else "6/min" if v[0] == "360/min" else v[0]),) + v[1:]
        for k, v in segs.items()
    }
    return n, segs, pol


def attempts_per_call(res, k):
    vals = []
    for rep in res.reps:
        c = rep.counts[res.model.measured].sum(axis=0)
        vals.append(c[k, ATTEMPTS] / c[k, OFFERED])
    return estimate(np.array(vals))


@pytest.mark.parametrize("engine,length,reps", [("fast", "300h", 10), ("simpy", "60h", 6)])
@pytest.mark.parametrize("name", list(CASES))
def test_simulator_matches_markov_chain(name, engine, length, reps):
    n, segs, pol = fix_rates(CASES[name])
    m = scenario(n, segs, pol, length=length, reps=reps)
    assert applicable(m) is None
    exact = solve_model(m)
    assert exact.truncation_error < 1e-8
    res = sim.simulate(m, engine=engine)
    tol = 0.06 if engine == "fast" else 0.15  # the CI must be this narrow to count
    for stat, value in [
        ("p_wait", exact.p_wait),
        ("abandon_rate", exact.p_abandon),
        ("mean_wait", exact.mean_wait),
        ("occupancy", exact.occupancy),
    ]:
        est = res.summary[stat]
        assert est.half_width < tol * value, (stat, est, value)
        assert within_ci(est, value), (stat, est, value)
    for k, seg in enumerate(m.segments):
        value = exact.attempts_per_call[k]
        est = attempts_per_call(res, k)
        if value == 0:
            assert est.mean == 0
            continue
        assert est.half_width < tol * value, (seg, est, value)
        assert within_ci(est, value), (seg, est, value)


def test_chain_reduces_to_erlang_a_without_offers():
    lam, mu, theta = 200 / 3600, 1 / 300, 1 / 150
    for n in (5, 17, 30):
        r = threshold_chain(
            n,
            [lam * 0.3, lam * 0.7],
            mu,
            1 / 60,
            theta,
            [1, 1],
            [0.5, 0.5],
            [10, 10],
            [NEVER, NEVER],
            tol=1e-13,
        )
        e = erlang_a(n, lam, mu, theta, 20.0)
        assert r.p_wait == pytest.approx(e.p_wait, rel=1e-9)
        assert r.p_abandon == pytest.approx(e.p_abandon, rel=1e-9)
        assert r.mean_wait == pytest.approx(e.mean_wait, rel=1e-9)
        assert r.occupancy == pytest.approx(e.occupancy, rel=1e-9)
        assert r.attempts_rate.sum() == 0
    r = threshold_chain(
        7, [lam], mu, 1 / 60, theta, [1], [0.5], [10], [NEVER], within=20.0, tol=1e-13
    )
    e = erlang_a(7, lam, mu, theta, 20.0)
    assert r.service_level == pytest.approx(e.service_level, rel=1e-9)
    assert r.asa == pytest.approx(e.asa, rel=1e-9)


def test_more_selling_means_more_waiting_and_revenue():
    kw = dict(
        n=20,
        arrival_rates=[150 / 3600],
        mu=1 / 240,
        gamma=1 / 60,
        theta=1 / 120,
        eligible=[1],
        accept=[0.2],
        revenue=[50],
    )
    rs = [threshold_chain(thresholds=[k], **kw) for k in (-3, -1, 0, 2, 5)]
    assert all(a.p_wait < b.p_wait for a, b in zip(rs, rs[1:], strict=False))
    assert all(
        a.revenue_rate.sum() < b.revenue_rate.sum() for a, b in zip(rs, rs[1:], strict=False)
    )


def test_not_applicable_is_explained():
    m = scenario(10, {"a": ("60/h", 1, 0.2, 40)}, {"a": {"threshold": 1}})
    assert applicable(m) is None
    day = model_from(
        {
            "horizon": {"interval": "30min", "intervals": 2},
            "segments": {"a": {"volume": 10, "handle_time": {**EXP, "mean": "4min"}}},
            "staffing": 3,
        }
    )
    assert "steady-state" in applicable(day)
