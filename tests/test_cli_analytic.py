"""`ccsim erlang` and `ccsim markov` as a user runs them."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ccsim import sim
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
    assert "68.2%" in r.stdout and "13" in r.stdout  # rows n-2 .. n+2, in percent
    assert "Abandon" not in r.stdout  # Erlang C has no abandonment to show
    r = runner.invoke(app, ["erlang", "--rate", "100/30min", "--aht", "180s", "--agents", "11",
                            "--shrinkage", "0.3"])  # fmt: skip
    # 11 agents on the phones need 11 / 0.7 = 15.7 heads: 16 are scheduled
    row = next(line for line in r.stdout.splitlines() if line.strip().startswith("│     11"))
    assert "│        16 │" in row, row


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


def test_erlang_per_interval_table_from_a_scenario(tmp_path):
    """`ccsim erlang FILE`: per interval, Erlang C and A agents for the scenario's
    targets (the same as `agents_needed` on that interval alone), scheduled heads, and the
    simulated result of the Erlang A staffing beside them."""
    from ccsim.optimize.analytic.erlang import agents_needed

    r = CliRunner().invoke(
        app,
        [
            "erlang",
            str(ROOT / "scenarios/retail_bank.yaml"),
            "--json",
            "-r",
            "4",
            "--workers",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    m = sim.load_scenario(ROOT / "scenarios/retail_bank.yaml")
    assert len(js["rows"]) == m.n_intervals
    lam = float(m.rates[4].sum())
    row = js["rows"][4]
    mu = 1.0 / js["aht_s"]
    assert row["erlang_c"]["agents"] == agents_needed(
        lam, mu, 0.0, within=20.0, target_sl=0.8, max_asa=40.0
    )
    assert row["erlang_a"]["agents"] <= row["erlang_c"]["agents"]
    assert row["erlang_a"]["scheduled"] == pytest.approx(row["erlang_a"]["agents"] / 0.7)
    assert 0 <= row["simulated"]["service_level"]["mean"] <= 1
    assert (tmp_path / "erlang.csv").read_text().count("\n") == m.n_intervals + 1
    r = CliRunner().invoke(app, ["erlang", str(ROOT / "scenarios/erlang_a_steady.yaml")])
    assert r.exit_code == 2 and "day scenario" in r.output
    # the table a planner reads: the same numbers as the JSON, one row per interval
    r = CliRunner().invoke(
        app,
        ["erlang", str(ROOT / "scenarios/retail_bank.yaml"), "-r", "4", "--workers", "1"],
        terminal_width=160,
    )
    assert r.exit_code == 0, r.output
    rows = [[c.strip() for c in ln.split("│") if c.strip()] for ln in r.output.splitlines()]
    cells = next(c for c in rows if c and c[0] == row["interval"])
    assert cells[2:4] == [str(row["erlang_c"]["agents"]), str(row["erlang_a"]["agents"])]
    assert "Simulated day with the Erlang A staffing" in r.output


def test_init_writes_an_example_that_runs(tmp_path):
    f = tmp_path / "mine.yaml"
    r = CliRunner().invoke(app, ["init", str(f)])
    assert r.exit_code == 0 and f.exists(), r.output
    assert sim.load_scenario(f).expected_calls() > 0
    r = CliRunner().invoke(app, ["init", str(f)])
    assert r.exit_code == 2 and "already exists" in r.output
    r = CliRunner().invoke(app, ["validate", str(f)])
    assert r.exit_code == 0 and "ok" in r.output
    # the starter shows the newer features and meets its own targets (checked on 400
    # days and three seeds when it was written: every target met with room)
    m = sim.load_scenario(f)
    assert m.currency == "EUR" and m.shifts is not None and m.targets.sl_floor == 0.7
    res = sim.simulate(m, replications=40, seed=3)
    assert sim.overall(m.targets.judge(res)) == "met"


def test_version_and_flags_in_help():
    from ccsim import __version__

    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"ccsim {__version__}"
    r = runner.invoke(app, ["optimize", "--help"], terminal_width=120)
    assert "--shifts" in r.output and "--json" in r.output
    lines = [ln for ln in r.output.splitlines() if "--shifts" in ln or "--json " in ln]
    assert lines and not any("<bool>" in ln for ln in lines), lines
    # no command, nor the group, shows typer's own --help with a value
    for args in (
        ["--help"],
        *([c.name or c.callback.__name__, "--help"] for c in app.registered_commands),
    ):
        r = runner.invoke(app, args, terminal_width=120)
        assert r.exit_code == 0 and "--help" in r.output and "<bool>" not in r.output, args


def test_markov_reports_service_level_or_says_why(tmp_path):
    from ccsim.optimize.analytic.erlang import metrics

    r = runner.invoke(app, ["markov", str(ROOT / "scenarios/erlang_a_steady.yaml"), "--json"])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    m = sim.load_scenario(ROOT / "scenarios/erlang_a_steady.yaml")
    lam, mu = float(m.rates[-1].sum()), 1.0 / m.handle[0].mean
    exact = metrics(js["agents"], lam, mu, m.sl_within, 1.0 / m.patience[0].mean)
    assert js["service_level"] == pytest.approx(exact.service_level)
    d = yaml.safe_load((ROOT / "scenarios/erlang_a_steady.yaml").read_text())
    seg = next(iter(d["segments"].values()))
    seg["cross_sell"] = {
        "accept": 0.2,
        "revenue": 10,
        "offer_time": {"dist": "exponential", "mean": "1min"},
    }
    d["policy"] = {"cross_sell": "always"}
    f = tmp_path / "sell.yaml"
    f.write_text(yaml.safe_dump(d))
    r = runner.invoke(app, ["markov", str(f), "--json"])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["service_level"] is None and "callers behind" in js["service_level_note"]
