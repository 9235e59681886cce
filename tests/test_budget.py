"""The search ends on a budget of work, never on the wall clock (issue 23): the same
scenario and seed give the same plan on 1 or 2 workers, and a search cut by the
wall-clock safety net says so first. No outcome here depends on the machine's speed: the
budget counts plan-replications, and the one time limit used is over before it starts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.optimize.budget import Budget
from ccsim.optimize.optimizer import optimize
from ccsim.render.optimize_table import stopped_line
from ccsim.sim.scenario.units import parse_calls

ROOT = Path(__file__).resolve().parent.parent


def test_a_budget_gives_the_same_plan_on_one_and_two_workers():
    m = sim.load_scenario(ROOT / "scenarios" / "insurance_service.yaml")
    one = optimize(m, replications=4, confirm_replications=8, budget=6e6)
    with sim.LocalPool(2) as pool:
        two = optimize(m, replications=4, confirm_replications=8, budget=6e6, executor=pool)
    assert one.search.stopped == "budget"  # the budget, not convergence, ended it
    assert two.plan == one.plan
    assert two.search.evaluations == one.search.evaluations
    assert two.search.moves == one.search.moves
    assert two.result.summary["profit"].mean == one.result.summary["profit"].mean
    assert "work budget" in one.method and "STOPPED EARLY" not in one.method


def test_a_time_limit_that_cuts_the_search_says_so_first():
    m = sim.load_scenario(ROOT / "scenarios" / "insurance_service.yaml")
    cut = optimize(m, replications=4, confirm_replications=8, time_limit=1e-9)
    assert cut.search.stopped == "time limit" and cut.search.stopped_by_time
    assert "SEARCH STOPPED EARLY" in cut.method
    line = stopped_line(cut)
    assert line is not None and line.startswith("SEARCH STOPPED EARLY")
    assert cut.to_json()["search"]["stopped_early"] == "time limit"


def test_budget_stays_out_once_spent():
    spent = [0.0]
    b = Budget(work=10, spent=lambda: spent[0])
    assert not b.out()
    spent[0] = 10
    assert b.out() and b.reason == "budget"
    spent[0] = 0  # never back in
    assert b.out()


@pytest.mark.parametrize(
    "text, calls", [("200M", 2e8), ("1.5G", 1.5e9), ("400k", 4e5), (5e7, 5e7), ("3e6", 3e6)]
)
def test_parse_calls(text, calls):
    assert parse_calls(text) == calls


@pytest.mark.parametrize("text", ["-5M", "lots", "0", "nanM", True])
def test_bad_budgets_are_refused(text):
    with pytest.raises(ValueError):
        parse_calls(text)


def test_bad_budget_on_the_command_line_is_one_clear_error():
    r = CliRunner().invoke(
        app, ["optimize", str(ROOT / "scenarios" / "retail_bank.yaml"), "--budget", "lots"]
    )
    assert r.exit_code == 2
    assert "--budget" in r.output and "Traceback" not in r.output


def test_scenario_budget_is_read_and_checked(tmp_path):
    import yaml

    data = yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text())
    data["optimizer"] = {"budget": "300M"}
    assert sim.parse_scenario(data, file="x").optimizer.budget == 3e8
    data["optimizer"] = {"budget": "-1M"}
    with pytest.raises(sim.ScenarioError, match="optimizer.budget"):
        sim.parse_scenario(data, file="x")
    assert json.dumps(data)  # the scenario stays plain data


def test_checkpoint_segments_hold_only_new_work(tmp_path):
    """Each save appends a segment with the replications simulated since the last one
    (the checkpoint grows with the work, never rewritten whole); a resumed evaluator reads
    the segments back in order, and one that does not verify discards them all."""
    from ccsim.optimize.evaluate import Evaluator, Targets
    from ccsim.optimize.plan import Plan
    from ccsim.sim.checkpoint import load_arrays, save_arrays

    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    t = Targets.from_model(m)
    ck = tmp_path / "optimize-test.npz"
    ev = Evaluator(m, t, 8, seed=3, checkpoint=ck)
    p1 = Plan.of(m.staffing, m.thresholds)
    p2 = p1.with_staffing(5, int(m.staffing[5]) + 1)
    ev.evaluate_many([p1, p2], n=4)
    ev.save()
    ev.evaluate_many([p1], n=8)
    ev.save()
    ev.save()  # nothing new: no segment
    segments = sorted(tmp_path.glob("optimize-test*.npz"))
    assert [f.name for f in segments] == ["optimize-test.1.npz", "optimize-test.npz"]
    second = load_arrays(tmp_path / "optimize-test.1.npz", ev._binding(1))
    assert int(second["n"]) == 1 and int(second["0/meta"][0]) == 4
    assert second["0/day"].shape[1] == 4  # only replications 4-7 of the first plan
    again = Evaluator(m, t, 8, seed=3, checkpoint=ck)
    assert again.resumed == 2
    got = again.evaluate_many([p1, p2], n=8)
    want = ev.evaluate_many([p1, p2], n=8)
    assert np.array_equal(got[0].samples["objective"], want[0].samples["objective"])
    assert again.evaluations == 1  # p2's replications 4-7 only
    # a later segment that does not verify (here: signed for the first segment's place,
    # as a renamed file would be): every segment goes, the search starts afresh
    save_arrays(tmp_path / "optimize-test.1.npz", second, ev._binding(0))
    fresh = Evaluator(m, t, 8, seed=3, checkpoint=ck)
    assert fresh.discarded_checkpoint and fresh.resumed == 0
    assert not list(tmp_path.glob("optimize-test*.npz"))


def test_segments_store_shared_columns_once_and_read_back_exactly(tmp_path):
    """A plan that differs from another of its segment in one interval stores that
    interval's samples only (the rest, and its thresholds, as references back); reading
    the segment gives every plan's samples byte for byte, NaNs included; a reference that
    points forward is refused."""
    from ccsim.optimize.evaluate import Evaluator, Targets
    from ccsim.optimize.plan import Plan
    from ccsim.optimize.segments import INTERVAL_STATS, merge_segment, segment_arrays
    from ccsim.sim.checkpoint import load_arrays, save_arrays

    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    ev = Evaluator(m, Targets.from_model(m), 6, seed=5)
    p1 = Plan.of(m.staffing, m.thresholds)
    p2 = p1.with_staffing(20, int(m.staffing[20]) + 1)  # a window run from 18:00 on
    e1, e2 = ev.evaluate_many([p1, p2], n=6)
    raw = {
        p: (0, (e.samples, e.intervals, 1000 + i)) for i, (p, e) in enumerate(((p1, e1), (p2, e2)))
    }
    a = segment_arrays(raw)
    refs = a["1/intref"]
    assert refs.shape == (len(INTERVAL_STATS), m.n_intervals)
    assert a["1/int"].shape[1] == int((refs < 0).sum())
    assert ((refs == 0).sum(axis=1) >= 19).all()  # 20 intervals before the change: shared
    assert "1/plan_ref/thresholds" in a and "1/plan/staffing" in a
    f = tmp_path / "seg.npz"
    save_arrays(f, a)
    back: dict = {}
    assert merge_segment(back, load_arrays(f), m, Plan)
    for p, e in ((p1, e1), (p2, e2)):
        for s in INTERVAL_STATS:
            assert back[p][1][s].tobytes() == np.asarray(e.intervals[s]).tobytes()
        assert back[p][0]["objective"].tobytes() == e.samples["objective"].tobytes()
    forward = dict(a)
    forward["0/plan_ref/staffing"] = np.asarray(1)
    del forward["0/plan/staffing"]
    assert not merge_segment({}, forward, m, Plan)
