"""Whole-day runs: conservation, reproducibility, the CLI's outputs, every example scenario."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.sim.engine.accumulators import ABANDONED, ANSWERED, COMPLETED, OFFERED
from ccsim.sim.stats import STATISTICS

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
runner = CliRunner()


def test_conservation_every_interval_and_segment():
    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    for r in range(3):
        res, _ = sim.run_replication(m, seed=5, replication=r)
        c = res.counts
        assert np.array_equal(c[..., OFFERED], c[..., ANSWERED] + c[..., ABANDONED])
        assert np.array_equal(c[..., ANSWERED], c[..., COMPLETED])
        assert c[..., OFFERED].sum() == res.calls


def test_same_seed_same_numbers_any_workers():
    m = sim.load_scenario(ROOT / "scenarios" / "telecom_support.yaml")
    a = sim.simulate(m, replications=6, seed=3)
    b = sim.simulate(m, replications=6, seed=3)
    with sim.LocalPool(2) as pool:
        c = sim.simulate(m, replications=6, seed=3, executor=pool)
    d = sim.simulate(m, replications=6, seed=4)
    for s in STATISTICS:
        assert np.array_equal(a.samples[s], b.samples[s], equal_nan=True)
        assert np.array_equal(a.samples[s], c.samples[s], equal_nan=True)
    assert not np.array_equal(a.samples["offered"], d.samples["offered"])


def test_replications_are_independent_of_each_other():
    """Replication r draws the same callers whether or not others run (CRN by seed)."""
    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    alone, _ = sim.run_replication(m, seed=9, replication=4)
    res = sim.simulate(m, replications=6, seed=9)
    assert np.array_equal(res.reps[4].counts, alone.counts)


def test_policy_changes_do_not_change_the_callers():
    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    never = m.with_plan(thresholds=np.full_like(m.thresholds, sim.NEVER))
    a = sim.simulate(m, replications=4, seed=1)
    b = sim.simulate(never, replications=4, seed=1)
    assert np.array_equal(a.samples["offered"], b.samples["offered"])
    assert b.summary["attempts"].mean == 0 and a.summary["attempts"].mean > 0


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_example_runs_as_is(path, tmp_path):
    r = runner.invoke(
        app, ["simulate", str(path), "-r", "3", "--out", str(tmp_path), "--workers", "1"]
    )
    assert r.exit_code == 0, r.output
    js = json.loads((tmp_path / "results.json").read_text())
    assert set(STATISTICS) <= set(js["summary"])
    assert (tmp_path / "intervals.csv").read_text().count("\n") == len(js["intervals"]) + 2
    assert not list(tmp_path.glob("*.part"))


def test_json_output_shape():
    path = ROOT / "scenarios" / "telecom_support.yaml"
    r = runner.invoke(app, ["simulate", str(path), "-r", "4", "--json", "--workers", "1"])
    assert r.exit_code == 0
    js = json.loads(r.stdout)
    assert set(js) >= {"summary", "segments", "intervals"}
    for block in [js["summary"], *js["segments"].values(), *js["intervals"]]:
        for s in STATISTICS:
            assert set(block[s]) == {"mean", "ci95"}
    assert js["intervals"][1]["start"] == 9 * 3600
    assert js["segments"]["technical"]["attempts"]["mean"] == 0  # policy: never
    sl = js["summary"]["service_level"]
    assert sl["ci95"][0] <= sl["mean"] <= sl["ci95"][1]


def test_calls_file_matches_statistics(tmp_path):
    path = ROOT / "scenarios" / "insurance_service.yaml"
    calls = tmp_path / "calls.csv"
    r = runner.invoke(app, ["simulate", str(path), "-r", "2", "--calls", str(calls), "--json"])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("replication,call_id,segment")
    assert len(lines) - 1 == js["meta"]["calls_simulated"]
    answered = sum(1 for ln in lines[1:] if ",answered," in ln)
    assert answered == pytest.approx(js["summary"]["answered"]["mean"] * 2)


def test_resume_reuses_finished_replications(tmp_path):
    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    first = sim.simulate(m, replications=3, seed=2, checkpoint_dir=tmp_path)
    again = sim.simulate(m, replications=5, seed=2, checkpoint_dir=tmp_path)
    assert again.meta["resumed_replications"] == 3
    fresh = sim.simulate(m, replications=5, seed=2)
    assert np.array_equal(again.samples["profit"], fresh.samples["profit"])
    assert np.array_equal(first.samples["profit"], fresh.samples["profit"][:3])


def test_forecast_uncertainty_widens_daily_volume():
    m = sim.load_scenario(ROOT / "scenarios" / "insurance_service.yaml")  # cv 0.1
    res = sim.simulate(m, replications=40, seed=1)
    sd = np.std(res.samples["offered"], ddof=1)
    mean = res.summary["offered"].mean
    # Poisson alone gives sd = sqrt(mean) ~ 31; the day factor adds about 0.1 * mean ~ 97
    assert sd > 2 * np.sqrt(mean)
