"""The money, exactly: staffing cost with shrinkage, abandonment and decline costs,
revenue and profit, on a hand-made stream whose every figure is worked out on paper."""

import math

import numpy as np
import pytest
from helpers import chunk, model_from

from ccsim import sim
from ccsim.sim.engine.fast import run_fast
from ccsim.sim.engine.reference import run_simpy
from ccsim.sim.results import batch_kpis, rep_kpis

ENGINES = {"simpy": run_simpy, "fast": run_fast}


def money_model():
    seg = {
        "volume": 1,
        "handle_time": {"dist": "deterministic", "value": "10s"},
        "patience": {"dist": "deterministic", "value": "1s"},
    }
    return model_from(
        {
            "horizon": {"interval": "100s", "intervals": 2},
            "segments": {
                "gold": {**seg, "cross_sell": {"accept": 1, "revenue": 10, "decline_cost": 1.5}},
                "basic": {**seg, "cross_sell": {"accept": 0, "revenue": 20, "decline_cost": 0.5}},
            },
            "staffing": [2, 1],
            "policy": {"cross_sell": "always"},
            "costs": {"agent_per_hour": 36, "shrinkage": 0.25, "abandoned_call": 4},
        }
    )


@pytest.mark.parametrize("engine", list(ENGINES))
def test_every_cost_and_the_profit_on_paper(engine):
    m = money_model()
    # A (gold) at 0: accepts, +10. B (basic) at 1: declines, goodwill 0.5. C (gold) at 2
    # finds both agents busy and hangs up at 3: abandonment cost 4.
    c = chunk(
        [0.0, 1.0, 2.0],
        segment=[0, 1, 0],
        base=[10, 10, 10],
        patience=[1e9, 1e9, 1.0],
        eligible=[1, 1, 1],
        offer=[3, 2, 3],
        accept=[1, 0, 1],
    )
    rep, _ = ENGINES[engine](m, [c])
    k = rep_kpis(m, rep)
    day = k["summary"]
    # paid hours = agents x length / (1 - shrinkage): (2 x 100 s + 1 x 100 s) / 0.75
    paid_hours = 300 / 3600 / 0.75
    assert day["staffing_cost"] == pytest.approx(36 * paid_hours, rel=1e-12)  # 4.0
    assert k["intervals"]["staffing_cost"].tolist() == pytest.approx(
        [36 * 200 / 3600 / 0.75, 36 * 100 / 3600 / 0.75]
    )
    assert day["revenue"] == 10 and day["abandon_cost"] == 4 and day["decline_cost"] == 0.5
    assert day["attempts"] == 2 and day["accepts"] == 1 and day["abandoned"] == 1
    assert day["profit"] == pytest.approx(10 - 4.0 - 4 - 0.5, rel=1e-12)
    seg = k["segments"]
    assert seg["revenue"].tolist() == [10, 0] and seg["decline_cost"].tolist() == [0, 0.5]
    assert seg["abandon_cost"].tolist() == [4, 0]
    # the search's batch path computes the very same figures
    b = batch_kpis(m, rep.counts[None], rep.busy[None], rep.staffed[None])
    for s in ("profit", "staffing_cost", "revenue", "abandon_cost", "decline_cost"):
        assert b["summary"][s][0] == day[s]
    assert not math.isnan(day["occupancy"])


def test_shrinkage_and_cost_scale_the_staffing_cost():
    m = money_model()
    base = (m.paid_hours() * m.agent_cost_per_hour).sum()
    m.shrinkage = 0.0
    assert (m.paid_hours() * m.agent_cost_per_hour).sum() == pytest.approx(base * 0.75)


def test_shrinkage_per_interval_grosses_up_each_interval():
    """costs.shrinkage as a list: each interval's paid hours are its agents' hours over
    (1 - that interval's shrinkage); a wrong length or a steady state is refused."""
    d = {
        "horizon": {"start": "08:00", "interval": "30min", "intervals": 3},
        "segments": {"a": {"volume": 20, "handle_time": {"dist": "exponential", "mean": "2min"}}},
        "staffing": [4, 6, 5],
        "costs": {"agent_per_hour": 30, "shrinkage": [0.2, 0.4, 0.0]},
    }
    m = model_from(d)
    expect = 30 * 0.5 * np.array([4 / 0.8, 6 / 0.6, 5 / 1.0])
    np.testing.assert_allclose(m.staffing_cost(), expect)
    res = sim.simulate(m, replications=2, seed=1)
    assert res.summary["staffing_cost"].mean == pytest.approx(expect.sum())
    assert m.shrinkage_at(1) == 0.4
    with pytest.raises(sim.ScenarioError, match="has 2 values"):
        model_from({**d, "costs": {"shrinkage": [0.1, 0.2]}})
