"""`ccsim optimize` as a user runs it: the plan file runs as is, JSON has its shape."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ccsim.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_optimize_writes_a_runnable_plan(tmp_path):
    out = tmp_path / "opt"
    r = runner.invoke(
        app,
        [
            "optimize",
            str(ROOT / "scenarios" / "insurance_service.yaml"),
            "--out",
            str(out),
            "--budget",
            "12M",
            "-r",
            "6",
            "--workers",
            "1",
        ],
    )
    # a search on a budget of work: the same plan, and the same verdict, on any machine
    assert r.exit_code == 0, r.output
    assert "How it was found" in r.stdout and "work budget" in r.stdout
    assert "Recommended staffing" in r.stdout
    text = (out / "plan.yaml").read_text()
    plan = yaml.safe_load(text)
    assert len(plan["staffing"]) == 32
    # the empirical CSV path was rewritten relative to the output folder
    claims = plan["segments"]["claims"]["handle_time"]["file"]
    assert (out / claims).resolve().exists()
    r2 = runner.invoke(
        app, ["simulate", str(out / "plan.yaml"), "-r", "3", "--json", "--workers", "1"]
    )
    assert r2.exit_code == 0, r2.output
    js = json.loads((out / "optimize.json").read_text())
    assert js["plan"]["staffing"] == plan["staffing"]
    assert set(js) >= {"plan", "summary", "method", "targets", "seconds", "calls_simulated"}
    assert js["calls_simulated"] > 0 and js["seconds"] > 0
    # the headline: selling against the same staffing without offers, paired
    v = js["cross_sell_value"]
    if v is not None:
        assert "Cross-selling under this plan is worth" in r.stdout
        assert v["profit"]["mean"] == pytest.approx(
            v["revenue"]["mean"] - v["service_cost"]["mean"], abs=1e-6
        )


def test_optimize_json_exact_method():
    r = runner.invoke(
        app,
        ["optimize", str(ROOT / "scenarios" / "erlang_a_steady.yaml"), "--json", "--workers", "1"],
    )
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["method"].startswith("Exact") and js["plan"]["staffing"] == 8
    assert js["targets"]["feasible"] and js["summary"]["profit"]["mean"] is not None


def test_optimize_bad_options(tmp_path):
    path = str(ROOT / "scenarios" / "retail_bank.yaml")
    r = runner.invoke(app, ["optimize", path, "--method", "genetic"])
    assert r.exit_code == 2 and "--method" in r.stderr
    r = runner.invoke(app, ["optimize", path, "--method", "exact"])
    assert r.exit_code == 2 and "does not apply" in r.stderr
    r = runner.invoke(app, ["optimize", path, "--frontier", "--levels", "80,90"])
    assert r.exit_code == 2 and "--levels" in r.stderr


def test_frontier_files(tmp_path):
    r = runner.invoke(
        app,
        [
            "optimize",
            str(ROOT / "scenarios" / "erlang_a_steady.yaml"),
            "--frontier",
            "--levels",
            "0.7,0.8",
            "--out",
            str(tmp_path),
            "--workers",
            "1",
            "-r",
            "4",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = json.loads((tmp_path / "frontier.json").read_text())["points"]
    assert len(rows) == 4 and {p["cross_sell"] for p in rows} == {True, False}
    assert (tmp_path / "frontier.csv").read_text().startswith("service_level_target,")
