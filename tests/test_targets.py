"""The one verdict rule (met / borderline / missed) and its use by every command."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import model_from
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.optimize.evaluate import Evaluator, StreamCache, stream_key
from ccsim.optimize.plan import Plan
from ccsim.sim.scenario.targets import Targets, verdict

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_verdict_at_its_edges():
    # n = 101: one-sided 95% t quantile 1.660; bound = mean - 1.660 se
    assert verdict(0.82, 0.01, 101, 0.8, True) == "met"  # 0.8034 >= 0.8
    assert verdict(0.81, 0.01, 101, 0.8, True) == "borderline"  # 0.7934 < 0.8 < 0.8266
    assert verdict(0.78, 0.01, 101, 0.8, True) == "missed"  # 0.7966 < 0.8
    assert verdict(0.82, 0.01, 101, 0.8, True, confidence=0.99) == "borderline"  # 2.364 se
    assert verdict(0.046, 0.002, 101, 0.05, False) == "met"
    assert verdict(0.049, 0.002, 101, 0.05, False) == "borderline"
    assert verdict(0.9, float("nan"), 1, 0.8, True) == "borderline"  # one replication
    assert verdict(0.9, 0.0, 20, 0.8, True) == "met"  # no spread at all


def test_per_interval_targets_judge_the_worst_interval():
    t = Targets(sl_fraction=0.8, sl_floor=0.7, max_abandon_interval=0.1)
    m = np.array([0.9, 0.71, 0.95])
    se = np.array([0.01, 0.01, 0.01])
    n = np.array([50, 50, 50])
    day = {"service_level": (0.85, 0.005, 50), "abandon_rate": (0.03, 0.001, 50)}
    day["asa"] = (10.0, 1.0, 50)
    ab = (np.array([0.02, 0.12, 0.01]), se, n)
    judged = {
        j.target.key: j
        for j in t.judge_arrays(
            day, {"service_level": (m, se, n), "abandon_rate": ab}, ["a", "b", "c"]
        )
    }
    assert judged["service_level"].verdict == "met" and judged["service_level"].where == "day"
    floor = judged["service_level_floor"]
    assert (
        floor.verdict == "borderline" and floor.where == "b"
    )  # 0.71 - 1.68 x 0.01 < 0.7 < 0.71 + 0.0168
    assert floor.counts == {"met": 2, "borderline": 1, "missed": 0}
    cap = judged["abandon_rate_interval"]
    assert cap.verdict == "missed" and cap.where == "b"
    assert sim.overall(list(judged.values())) == "missed"


def test_floor_fields_are_validated():
    base = {
        "horizon": {"interval": "30min", "intervals": 2},
        "segments": {"a": {"volume": 10, "handle_time": {"dist": "exponential", "mean": "3min"}}},
        "staffing": 3,
    }
    with pytest.raises(sim.ScenarioError, match="floor"):
        model_from(
            {
                **base,
                "targets": {"service_level": {"within": "20s", "per": "interval", "floor": 0.5}},
            }
        )
    with pytest.raises(sim.ScenarioError, match="floor"):
        model_from(
            {**base, "targets": {"service_level": {"within": "20s", "fraction": 0.8, "floor": 0.9}}}
        )
    m = model_from(
        {
            **base,
            "targets": {
                "service_level": {"within": "20s", "fraction": 0.8, "floor": 0.6},
                "max_abandon_rate_interval": 0.1,
                "confidence": 0.9,
            },
        }
    )
    assert m.targets.sl_floor == 0.6 and m.targets.max_abandon_interval == 0.1
    assert m.targets.confidence == 0.9
    assert [t.key for t in m.targets.items] == [
        "service_level",
        "service_level_floor",
        "abandon_rate_interval",
    ]


def test_stream_cache_keys_empirical_values():
    """Two models whose empirical handle times have the same mean must not share callers."""

    def with_values(values):
        return model_from(
            {
                "horizon": {"interval": "30min", "intervals": 2},
                "segments": {
                    "a": {"volume": 40, "handle_time": {"dist": "empirical", "values": values}}
                },
                "staffing": 5,
            }
        )

    m1, m2 = with_values(["60s", "180s"]), with_values(["119s", "121s"])
    assert stream_key(m1, 1) != stream_key(m2, 1)
    cache = StreamCache()
    a = cache.chunks(m1, stream_key(m1, 1), 1, 0)
    b = cache.chunks(m2, stream_key(m2, 1), 1, 0)
    assert len(cache) == 2 and not np.array_equal(a[0].base, b[0].base)
    e1 = Evaluator(m1, m1.targets, 3, 1).evaluate(Plan.from_model(m1))
    e2 = Evaluator(m2, m2.targets, 3, 1).evaluate(Plan.from_model(m2))
    assert not np.array_equal(e1.samples["asa"], e2.samples["asa"])


def test_simulate_and_compare_say_the_same_words(tmp_path):
    path = str(ROOT / "scenarios" / "retail_bank.yaml")
    r = runner.invoke(app, ["simulate", path, "-r", "8", "--seed", "5", "--workers", "1"])
    assert r.exit_code == 0, r.output
    c = runner.invoke(
        app, ["compare", path, "-r", "8", "--seed", "5", "--no-grid", "--json", "--workers", "1"]
    )
    assert c.exit_code == 0, c.output
    js = json.loads(c.stdout)
    checks = js["alternatives"]["scenario"]["checks"]
    for check in checks:
        line = next(x for x in r.stdout.splitlines() if x.strip().startswith(check["text"]))
        assert line.rstrip().split("-> ")[1].split(";")[0] == check["verdict"]
    assert f"all targets: {js['alternatives']['scenario']['verdict']}" in r.stdout


def test_optimize_without_a_feasible_plan_exits_3_and_marks_the_plan(tmp_path):
    src = yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text())
    src["optimizer"] = {"staffing": {"max": 20}}  # far too few agents for the peak
    f = tmp_path / "tight.yaml"
    f.write_text(yaml.safe_dump(src))
    out = tmp_path / "opt"
    r = runner.invoke(
        app,
        ["optimize", str(f), "--out", str(out), "--budget", "12M", "-r", "4", "--workers", "1"],
    )
    assert r.exit_code == 3, r.output
    assert "Not recommended" in r.stdout and "Recommended staffing" not in r.stdout
    assert (out / "plan.yaml").read_text().startswith("# INFEASIBLE")
    js = json.loads((out / "optimize.json").read_text())
    assert js["recommended"] is False and js["targets"]["verdict"] in ("missed", "borderline")
    assert "1099511627776" not in (out / "optimize.json").read_text()


@pytest.mark.slow  # long statistical run: CI runs it, the default run skips it
def test_simulating_the_plan_file_reproduces_the_optimizers_verdict(tmp_path):
    out = tmp_path / "opt"
    r = runner.invoke(
        app,
        [
            "optimize",
            str(ROOT / "scenarios" / "retail_bank.yaml"),
            "--out",
            str(out),
            "--budget",
            "50M",
            "-r",
            "4",
            "--workers",
            "1",
        ],
    )
    assert r.exit_code in (0, 3), r.output
    opt = json.loads((out / "optimize.json").read_text())
    s = runner.invoke(app, ["simulate", str(out / "plan.yaml"), "--json", "--workers", "1"])
    assert s.exit_code == 0, s.output
    js = json.loads(s.stdout)
    for stat in ("abandon_rate", "service_level", "profit"):
        assert js["summary"][stat]["mean"] == pytest.approx(opt["summary"][stat]["mean"], rel=1e-12)
    text = runner.invoke(app, ["simulate", str(out / "plan.yaml"), "--workers", "1"]).stdout
    for check in opt["targets"]["checks"]:
        line = next(x for x in text.splitlines() if x.strip().startswith(check["text"]))
        assert line.rstrip().split("-> ")[1].split(";")[0] == check["verdict"]


def test_exact_search_without_a_feasible_plan_exits_3(tmp_path):
    src = yaml.safe_load((ROOT / "scenarios" / "erlang_a_steady.yaml").read_text())
    src["optimizer"] = {"staffing": {"max": 5}}  # Erlang A needs 8 for the targets
    f = tmp_path / "tight.yaml"
    f.write_text(yaml.safe_dump(src))
    r = runner.invoke(app, ["optimize", str(f), "--json", "--workers", "1"])
    assert r.exit_code == 3, r.output
    js = json.loads(r.stdout)
    assert js["method"].startswith("Exact") and js["recommended"] is False
    assert js["plan"]["staffing"] == 5
