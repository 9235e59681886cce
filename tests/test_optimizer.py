"""The optimizer against the true optimum, found by enumerating the exact Markov chain."""

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import model_from

from ccsim import sim
from ccsim.optimize.analytic.erlang import agents_needed
from ccsim.optimize.analytic.markov import threshold_chain
from ccsim.optimize.evaluate import Targets
from ccsim.optimize.optimizer import optimize

ROOT = Path(__file__).resolve().parent.parent
EXP = {"dist": "exponential"}
CANDS = [sim.NEVER, *range(-3, 9), sim.ALWAYS]


def stationary(
    segments: dict, targets: dict, agent_cost=30.0, abandon_cost=3.0, length="200h", reps=8
):
    segs = {}
    for name, (rate, eligible, accept, revenue) in segments.items():
        segs[name] = {
            "rate": rate,
            "handle_time": {**EXP, "mean": "4min"},
            "patience": {**EXP, "mean": "3min"},
            "cross_sell": {
                "eligible": eligible,
                "accept": accept,
                "revenue": revenue,
                "offer_time": {**EXP, "mean": "1.5min"},
            },
        }
    return model_from(
        {
            "horizon": {"steady_state": {"warmup": "5h", "length": length, "batches": 4}},
            "segments": segs,
            "staffing": 10,
            "costs": {"agent_per_hour": agent_cost, "abandoned_call": abandon_cost},
            "targets": targets,
            "simulation": {"replications": reps, "seed": 3},
        }
    )


def exact(model, n, th, within=True):
    return threshold_chain(
        n,
        model.rates[-1],
        1 / 240,
        1 / 90,
        1 / 180,
        model.eligible,
        model.accept,
        model.revenue,
        np.asarray(th),
        model.decline_cost,
        within=model.sl_within if within else None,
    )


def feasible(r, t: Targets) -> bool:
    return (
        (t.sl_fraction is None or r.service_level >= t.sl_fraction)
        and (t.max_abandon is None or r.p_abandon <= t.max_abandon)
        and (t.max_asa is None or r.asa <= t.max_asa)
    )


def brute_force(model, cands=CANDS):
    """Every staffing level from Erlang A's up, every combination of thresholds."""
    t = Targets.from_model(model)
    lam = float(model.rates[-1].sum())
    n0 = agents_needed(
        lam,
        1 / 240,
        1 / 180,
        within=model.sl_within,
        target_sl=t.sl_fraction,
        max_asa=t.max_asa,
        max_abandon=t.max_abandon,
    )
    points = []
    for n in range(n0, n0 + 9):
        for th in itertools.product(cands, repeat=model.n_segments):
            r = exact(model, n, th, within=False)
            points.append((r.profit_rate(model.agent_cost_per_hour, model.abandon_cost), n, th))
    points.sort(reverse=True)
    for profit, n, th in points:  # the first feasible in order of profit is the optimum
        if feasible(exact(model, n, th), t):
            return profit, n, th
    raise AssertionError("nothing feasible")


MIXES = {  # small centers (9-11 agents) keep the brute force quick
    "one rich, one poor segment": (
        {"gold": ("25/h", 1.0, 0.4, 60), "basic": ("50/h", 0.7, 0.05, 30)},
        {"service_level": {"within": "20s", "fraction": 0.8}, "max_abandon_rate": 0.05},
    ),
    "best threshold negative": (
        {"a": ("75/h", 1.0, 0.1, 9), "b": ("30/h", 1.0, 0.3, 8)},
        {"service_level": {"within": "20s", "fraction": 0.9}},
    ),
    "abandonment and ASA targets": (
        {"a": ("45/h", 0.8, 0.25, 40), "b": ("45/h", 0.5, 0.2, 25)},
        {"max_abandon_rate": 0.03, "max_asa": "15s"},
    ),
}


@pytest.mark.slow  # long statistical run: CI runs it, the default run skips it
@pytest.mark.parametrize("name", list(MIXES))
def test_exact_search_finds_the_optimum(name):
    segs, targets = MIXES[name]
    m = stationary(segs, targets)
    best_profit, n, th = brute_force(m)
    res = optimize(m, replications=4, confirm_replications=4)
    assert "Exact" in res.method
    chosen_n = res.plan.staffing[0]
    chosen_th = res.plan.thresholds[0]
    r = exact(m, chosen_n, chosen_th)
    t = Targets.from_model(m)
    assert feasible(r, t)  # the targets hold exactly, not only on a simulation estimate
    profit = r.profit_rate(m.agent_cost_per_hour, m.abandon_cost)
    assert profit >= best_profit - 0.01 * abs(best_profit), (profit, best_profit, n, th)
    if name == "best threshold negative":
        assert min(th) < 0 and min(chosen_th) < 0  # the case the mix was built for


@pytest.mark.slow  # long statistical run: CI runs it, the default run skips it
def test_exact_search_with_three_sellable_segments():
    """More than two sellable segments: the exact search's coordinate descent (with
    pairwise moves) against every combination of thresholds in the bounds."""
    segs = {
        "gold": ("20/h", 1.0, 0.4, 60),
        "silver": ("30/h", 0.8, 0.2, 30),
        "basic": ("35/h", 0.6, 0.05, 25),
    }
    m = stationary(
        segs, {"service_level": {"within": "20s", "fraction": 0.8}, "max_abandon_rate": 0.05}
    )
    m = dataclasses.replace(
        m, optimizer=dataclasses.replace(m.optimizer, threshold_min=-1, threshold_max=2)
    )
    cands = [sim.NEVER, -1, 0, 1, 2, sim.ALWAYS]
    best_profit, n, th = brute_force(m, cands)
    res = optimize(m, replications=4, confirm_replications=4)
    assert "Exact" in res.method
    r = exact(m, res.plan.staffing[0], res.plan.thresholds[0])
    assert feasible(r, Targets.from_model(m))
    profit = r.profit_rate(m.agent_cost_per_hour, m.abandon_cost)
    assert profit >= best_profit - 0.01 * abs(best_profit), (profit, best_profit, n, th)


@pytest.mark.slow  # long statistical run: CI runs it, the default run skips it
def test_simulation_search_on_a_stationary_case():
    """The simulation search, forced on a case the chain can judge."""
    segs, targets = MIXES["one rich, one poor segment"]
    m = stationary(segs, targets, length="400h", reps=8)
    best_profit, n, th = brute_force(m)
    res = optimize(m, method="simulation", replications=8, confirm_replications=8)
    r = exact(m, res.plan.staffing[0], res.plan.thresholds[0])
    profit = r.profit_rate(m.agent_cost_per_hour, m.abandon_cost)
    assert feasible(r, Targets.from_model(m))
    assert profit >= best_profit - 0.01 * abs(best_profit), (profit, best_profit, res.plan, n, th)


@pytest.mark.slow  # long statistical run: CI runs it, the default run skips it
def test_day_plan_holds_on_fresh_days_and_beats_the_scenario():
    """The recommended plan, re-simulated on 400 days of another seed family that neither
    the search nor its confirmation saw, meets every target on the mean."""
    m = sim.load_scenario(ROOT / "scenarios/retail_bank.yaml")
    res = optimize(m, replications=10)
    assert res.feasible and res.verdict == "met"
    diff = res.differences()["profit"]
    assert diff["ci95"][0] > 0  # better than the scenario's own plan, significantly
    assert res.calls_simulated > 0 and res.search.evaluations > 10
    fresh = sim.simulate(res.plan.apply(m), replications=400, seed=97_531)
    judged = m.targets.judge(fresh)
    assert all(j.slack >= 0 for j in judged), [j.to_json() for j in judged]
    assert sim.overall(judged) != "missed"
    # the plan is a scenario that simulate runs as is
    assert len(res.plan_json()["staffing"]) == m.n_intervals


def test_max_change_and_bounds_are_kept():
    m = sim.load_scenario(ROOT / "scenarios/retail_bank.yaml")
    m = dataclasses.replace(
        m, optimizer=dataclasses.replace(m.optimizer, max_change=4, staffing_max=45)
    )
    res = optimize(m, replications=6, confirm_replications=6)
    s = np.array(res.plan.staffing)
    assert s.max() <= 45 and np.abs(np.diff(s)).max() <= 4
    assert math.isfinite(res.result.summary["profit"].mean)


@pytest.mark.slow  # long statistical run: CI runs it, the default run skips it
def test_optimizer_resumes_from_its_checkpoint(tmp_path):
    m = sim.load_scenario(ROOT / "scenarios/insurance_service.yaml")
    # on a budget of work: the resumed search asks for the same plans and stops where the
    # first one stopped, though every plan now comes from the checkpoint
    first = optimize(m, replications=4, confirm_replications=4, budget=6e6, checkpoint_dir=tmp_path)
    assert first.search.stopped == "budget"
    assert list(tmp_path.glob("optimize-*.npz"))
    again = optimize(m, replications=4, confirm_replications=4, budget=6e6, checkpoint_dir=tmp_path)
    assert again.plan == first.plan
    assert any("resumed" in n for n in again.notes)
    assert again.search.evaluations == 0  # every plan came from the checkpoint
    assert again.result.summary["profit"].mean == first.result.summary["profit"].mean


@pytest.mark.slow  # long statistical run: CI runs it, the default run skips it
def test_search_turns_selling_on_from_a_no_sell_start():
    """From the best plan that sells to nobody, every threshold move alone breaks a target
    (the staffing is just enough without selling); the joint move (threshold + the
    staffing that pays for it) still finds that selling to premium callers pays."""
    m = sim.load_scenario(ROOT / "scenarios/retail_bank.yaml")
    nosell = optimize(m, replications=6, cross_sell=False)
    assert all(th == sim.NEVER for th in nosell.plan.thresholds[0])
    res = optimize(m, replications=6, start=nosell.plan)
    premium = m.segments.index("premium")
    assert res.plan.thresholds[0][premium] != sim.NEVER
    assert any("agent-intervals" in mv for mv in res.search.moves), res.search.moves
    assert res.result.summary["profit"].mean > nosell.result.summary["profit"].mean
