"""`ccsim erlang` and `ccsim markov` as a user runs them."""

import json
from pathlib import Path

from typer.testing import CliRunner

from ccsim.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_erlang_target_json():
    r = runner.invoke(
        app,
        [
            "erlang",
            "--rate",
            "100/30min",
            "--aht",
            "180s",
            "--target-sl",
            "0.8",
            "--within",
            "20s",
            "--shrinkage",
            "0.3",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["model"] == "C" and js["agents"] == 14
    assert round(js["p_wait"], 4) == 0.1741 and round(js["service_level"], 4) == 0.8884
    assert round(js["asa"], 2) == 7.84 and abs(js["scheduled_agents"] - 20.0) < 1e-9
    assert set(js) >= {
        "model",
        "agents",
        "scheduled_agents",
        "p_wait",
        "service_level",
        "asa",
        "p_abandon",
        "occupancy",
    }


def test_erlang_agents_table():
    r = runner.invoke(app, ["erlang", "--rate", "100/30min", "--aht", "180s", "--agents", "11"])
    assert r.exit_code == 0
    assert "0.6821" in r.stdout and "13" in r.stdout  # rows n-2 .. n+2


def test_erlang_a_targets():
    r = runner.invoke(
        app,
        [
            "erlang",
            "--rate",
            "200/h",
            "--aht",
            "3min",
            "--patience",
            "3min",
            "--max-abandon",
            "0.05",
            "--json",
        ],
    )
    js = json.loads(r.stdout)
    assert js["model"] == "A" and js["p_abandon"] <= 0.05


def test_erlang_bad_input():
    for args, words in [
        (["--rate", "100/fortnight", "--aht", "3min", "--agents", "3"], "--rate"),
        (["--rate", "100/h", "--aht", "3", "--agents", "3"], "--aht"),
        (["--rate", "100/h", "--aht", "3min"], "give --agents"),
        (["--rate", "100/h", "--aht", "3min", "--max-abandon", "0.1"], "--patience"),
    ]:
        r = runner.invoke(app, ["erlang", *args])
        assert r.exit_code == 2 and words in (r.stdout + r.stderr), args


def test_markov_command():
    r = runner.invoke(app, ["markov", str(ROOT / "scenarios" / "erlang_a_steady.yaml"), "--json"])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert round(js["p_wait"], 4) == 0.4327 and js["truncation_error"] < 1e-8
    r = runner.invoke(app, ["markov", str(ROOT / "scenarios" / "retail_bank.yaml")])
    assert r.exit_code == 2 and "does not apply" in r.stderr
