"""Forecasts and staffing from a CSV file; a day given by start and end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_csv_example_equals_the_inline_one():
    a = sim.load_scenario(ROOT / "scenarios" / "retail_bank_csv.yaml")
    b = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    np.testing.assert_allclose(a.rates, b.rates)
    assert a.staffing.tolist() == b.staffing.tolist() and a.n_intervals == 24
    # the lists are in the scenario data, so a plan written from it stands alone
    assert a.raw["staffing"] == b.staffing.tolist()


def _write(tmp_path, csv_text, horizon='{start: "08:00", end: "09:30", interval: 30min}'):
    (tmp_path / "fc.csv").write_text(csv_text)
    (tmp_path / "s.yaml").write_text(
        f"horizon: {horizon}\n"
        "segments:\n  calls: {volume: {file: fc.csv, column: calls}, "
        "handle_time: {dist: exponential, mean: 4min}}\n"
        "staffing: {file: fc.csv, column: agents}\n"
    )
    return tmp_path / "s.yaml"


@pytest.mark.parametrize(
    "csv_text,words",
    [
        ("start,calls,agents\n08:00,10,3\n08:30,12,3\n", "has 2 rows; the horizon has 3"),
        ("start,calls,agents\n08:00,10,3\n08:45,12,3\n09:00,9,3\n", "row 3 should start at 08:30"),
        ("start,calls\n08:00,10\n08:30,12\n09:00,9\n", "needs a 'start' column and a 'agents'"),
        ("start,calls,agents\n08:00,10,3\n08:30,lots,3\n09:00,9,3\n", "'lots' is not a number"),
    ],
)
def test_bad_forecast_files(tmp_path, csv_text, words):
    f = _write(tmp_path, csv_text)
    r = CliRunner().invoke(app, ["validate", str(f)])
    out = r.output
    assert r.exit_code == 2 and "Traceback" not in out
    assert words in out and str(f) in out, out


def test_missing_file_and_bad_end(tmp_path):
    f = _write(tmp_path, "start,calls,agents\n08:00,1,1\n")
    (tmp_path / "fc.csv").unlink()
    r = CliRunner().invoke(app, ["validate", str(f)])
    assert r.exit_code == 2 and "file not found" in r.output
    d = {
        "horizon": {"start": "08:00", "end": "09:40", "interval": "30min"},
        "segments": {"a": {"volume": 5, "handle_time": {"dist": "exponential", "mean": "1min"}}},
        "staffing": 2,
    }
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(d))
    r = CliRunner().invoke(app, ["validate", str(tmp_path / "e.yaml")])
    assert r.exit_code == 2 and "horizon" in r.output and "whole number" in r.output
