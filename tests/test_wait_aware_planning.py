"""Planning with callers who react to waiting: the optimizer's max_wait moves, plans that
carry max_wait back into scenario form, what-ifs with max_wait, the fluid LP's expected
acceptance, the exact method's refusal, the half-life sensitivity's inputs, and the
compare views of the customer. No test here is time-limited: searches run to the end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import model_from

from ccsim import sim
from ccsim.optimize.analytic.fluid import expected_acceptance, nominal_wait
from ccsim.optimize.analytic.markov import applicable
from ccsim.optimize.budget import Budget
from ccsim.optimize.evaluate import Evaluator
from ccsim.optimize.plan import Plan, plan_scenario, policy_dict
from ccsim.optimize.search.moves import Bounds
from ccsim.optimize.search.progress import SearchLog
from ccsim.optimize.search.thresholds import _max_wait_round, searches_max_wait
from ccsim.optimize.sensitivity import with_half_life
from ccsim.sim.scenario.alternatives import alternative_model, parse_cli_alternative

ROOT = Path(__file__).resolve().parent.parent
EXP = {"dist": "exponential"}


def day(decay: str | None, policy=None, extra: dict | None = None) -> sim.Model:
    """A busy half-day where long waits are common and offers are long."""
    cs = {"accept": 0.4, "revenue": 30, "offer_time": {**EXP, "mean": "2min"}}
    if decay:
        cs["accept_decay"] = {"half_life": decay}
    return model_from(
        {
            "horizon": {"interval": "30min", "intervals": 4},
            "segments": {
                "calls": {
                    "volume": [90, 110, 110, 90],
                    "handle_time": {**EXP, "mean": "4min"},
                    "patience": {**EXP, "mean": "5min"},
                    "cross_sell": cs,
                    **(extra or {}),
                }
            },
            "staffing": [13, 15, 15, 13],
            "policy": {"cross_sell": {"calls": policy or "always"}},
            "costs": {"agent_per_hour": 30, "abandoned_call": 5},
            "targets": {"max_abandon_rate": 0.2},
            "simulation": {"replications": 12, "seed": 3},
        }
    )


def test_the_search_stops_pitching_long_waiters_when_acceptance_fades():
    """A 10-s half-life makes a pitch after a minute's wait nearly worthless but as long
    as any other: the max_wait round caps offers at a minute's wait or less, and the
    capped plan earns more on the same callers."""
    m = day("10s")
    assert searches_max_wait(m)
    ev = Evaluator(m, m.targets, 12, 3)
    start = ev.evaluate(Plan.from_model(m))
    best, improved = _max_wait_round(
        ev, start, [0], Bounds.from_model(m), SearchLog(), Budget(), []
    )
    assert improved
    chosen = best.plan.max_wait_table(m)[0, 0]
    assert math.isfinite(chosen) and chosen <= 60.0
    assert best.profit > start.profit


def test_no_wait_fields_no_max_wait_search():
    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    assert not searches_max_wait(m)


def test_plan_with_max_wait_round_trips_through_plan_yaml(tmp_path):
    m = day("1min", policy={"threshold": 2})
    plan = Plan.from_model(m).with_max_wait(m, 0, 45.0)
    assert policy_dict(plan, m) == {"calls": {"threshold": 2, "max_wait": "45s"}}
    text = plan_scenario(plan, m, tmp_path, "test")
    back = sim.parse_scenario(yaml.safe_load(text), file="plan.yaml")
    assert back.max_wait is not None and (back.max_wait == 45.0).all()
    # per interval, with intervals without a limit
    per = Plan(plan.staffing, plan.thresholds, ((45.0,), (math.inf,), (30.0,), (math.inf,)))
    entry = policy_dict(per, m)["calls"]
    assert entry["max_wait"] == ["45s", "none", "30s", "none"]
    again = sim.parse_scenario(
        {**yaml.safe_load(plan_scenario(per, m, tmp_path, "t")), "simulation": {}}, file="p"
    )
    assert again.max_wait is not None
    assert again.max_wait[:, 0].tolist() == [45.0, math.inf, 30.0, math.inf]


def test_a_policy_what_if_carries_its_max_wait():
    m = day("1min", policy={"threshold": 2, "max_wait": "30s"})
    name, alt = parse_cli_alternative(
        "quick={policy: {cross_sell: {calls: {threshold: 2, max_wait: 10s}}}}"
    )
    out = alternative_model(m, name, alt)
    assert out.max_wait is not None and (out.max_wait == 10.0).all()
    _, none = parse_cli_alternative("plain={policy: {cross_sell: {calls: {threshold: 2}}}}")
    assert alternative_model(m, "plain", none).max_wait is None


def test_fluid_acceptance_at_the_nominal_wait():
    """W ~ Exp(m): E[2^(-W/h)] = 1 / (1 + m ln 2 / h); with max_wait w only P(W <= w) of
    the callers are offered, at E[p(W) | W <= w]."""
    m = model_from(
        {
            "horizon": {"interval": "30min", "intervals": 1},
            "segments": {
                "calls": {
                    "volume": 50,
                    "handle_time": {**EXP, "mean": "3min"},
                    "cross_sell": {
                        "accept": 0.3,
                        "revenue": 10,
                        "accept_decay": {"half_life": "1min"},
                    },
                }
            },
            "staffing": 6,
            "targets": {"service_level": {"within": "20s", "fraction": 0.8}},
        }
    )
    mean = nominal_wait(m)
    assert mean == pytest.approx(20 / math.log(5))
    p, reach = expected_acceptance(m)
    assert p[0] == pytest.approx(0.3 / (1 + mean * math.log(2) / 60), rel=1e-4)
    assert reach[0] == 1.0
    capped = m.with_plan(max_wait=np.full((1, 1), 30.0))
    p, reach = expected_acceptance(capped)
    theta = math.log(2) / 60
    inside = (1 - math.exp(-(1 / mean + theta) * 30)) / (1 + mean * theta)  # E[2^(-W/h); W<=30]
    assert reach[0] == pytest.approx(1 - math.exp(-30 / mean))
    assert p[0] == pytest.approx(0.3 * inside / reach[0], rel=1e-4)


def test_exact_method_refuses_callers_who_react_to_waiting():
    m = model_from(
        {
            "horizon": {"steady_state": {"warmup": "1h", "length": "10h"}},
            "segments": {
                "calls": {
                    "rate": "100/h",
                    "handle_time": {**EXP, "mean": "3min"},
                    "cross_sell": {"accept": 0.3, "revenue": 10},
                }
            },
            "staffing": 8,
            "policy": {"cross_sell": {"calls": {"max_wait": "30s"}}},
        }
    )
    assert "own wait" in applicable(m)
    assert applicable(m.with_plan(max_wait=np.full((2, 1), math.inf))) is None


def test_half_life_sensitivity_needs_a_decay():
    m = day("2min")
    assert (with_half_life(m, 30.0).effects().half_life == 30.0).all()
    with pytest.raises(sim.PlanningError, match="accept_decay"):
        with_half_life(day(None), 30.0)


def test_compare_shows_the_customer_and_draws_its_charts(tmp_path):
    from ccsim.render.charts.comparison import CUSTOMER_CHARTS, draw_all
    from ccsim.render.payload import comparison_json
    from ccsim.render.summary import stats_for
    from ccsim.sim.comparison import CompareResult

    cv = {
        "customer_value": {"value": 900, "lost_per_minute_waited": 0.01, "lost_if_abandoned": 0.05}
    }
    m = day("1min", policy={"threshold": 2}, extra=cv)
    models = {"scenario": m}
    _, alt = parse_cli_alternative(
        "quick={policy: {cross_sell: {calls: {threshold: 2, max_wait: 10s}}}}"
    )
    models["quick"] = alternative_model(m, "quick", alt)
    results = {n: sim.simulate(mm, replications=4) for n, mm in models.items()}
    js = comparison_json(CompareResult(m, "scenario", models, results, {}))
    assert [k for k, _, _ in stats_for(js)][-3:] == [
        "satisfaction",
        "value_at_risk",
        "long_run_profit",
    ]
    wb = js["alternatives"]["quick"]["wait_buckets"]
    assert sum(wb["offers"][1:]) == 0  # nobody who waited 10 s or more was pitched
    assert sum(js["alternatives"]["scenario"]["wait_buckets"]["offers"][1:]) > 0
    names = {p.stem for p in draw_all(js, tmp_path)}
    assert set(CUSTOMER_CHARTS) <= names
    svg = (tmp_path / "profit_vs_value_at_risk.svg").read_text()
    assert "series:scenario" in svg and "series:quick" in svg


@pytest.mark.parametrize(
    "args, words",
    [
        (["--half-lives", "1min"], "accept_decay"),
        (["--half-lives", "soon"], "--half-lives"),
        (["--half-lives", "1min", "--frontier"], "neither"),
    ],
)
def test_half_lives_bad_use_is_one_clear_error(args, words):
    from typer.testing import CliRunner

    from ccsim.cli import app

    r = CliRunner().invoke(app, ["optimize", str(ROOT / "scenarios" / "retail_bank.yaml"), *args])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output
