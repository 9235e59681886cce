"""Calibration: a round trip on a log the simulator writes, and the February 1999 log."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import model_from, svg_texts_and_ids
from scipy import stats
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.sim.calibration import backtest, calibrate, read_anonymous_bank, read_ccsim_calls
from ccsim.sim.calibration.fit import kaplan_meier

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT.parent / "shared" / "data" / "anonymous_bank" / "february_1999.txt"
runner = CliRunner()

TRUE = {
    "a": {"volume": [40, 60, 80, 80, 60, 40], "mean": 300.0, "cv": 0.8, "patience": 180.0},
    "b": {"volume": [20, 30, 40, 40, 30, 20], "mean": 180.0, "cv": 1.2, "patience": 120.0},
}
DAYS = 40


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    segs = {
        k: {
            "volume": v["volume"],
            "handle_time": {"dist": "lognormal", "mean": f"{v['mean']}s", "cv": v["cv"]},
            "patience": {"dist": "exponential", "mean": f"{v['patience']}s"},
        }
        for k, v in TRUE.items()
    }
    m = model_from(
        {
            "horizon": {"start": "09:00", "interval": "30min", "intervals": 6},
            "segments": segs,
            "staffing": [9, 12, 15, 15, 12, 9],
            "simulation": {"replications": DAYS, "seed": 4},
        }
    )
    calls = tmp_path_factory.mktemp("rt") / "calls.csv"
    sim.simulate(m, calls_file=calls)
    log = read_ccsim_calls(calls)
    return m, calibrate(log, interval=1800, days="all", start=9 * 3600, end=12 * 3600), log


def test_round_trip_recovers_arrival_rates(round_trip):
    _, cal, _ = round_trip
    chi2, dof = 0.0, 0
    for k, v in TRUE.items():
        est = np.array(cal.scenario["segments"][k]["volume"])
        lam = np.array(v["volume"], float)
        chi2 += float((((est - lam) ** 2) / (lam / DAYS)).sum())  # Poisson: var of a mean = lam / D
        dof += len(lam)
    assert stats.chi2.sf(chi2, dof) > 0.001, chi2


def test_round_trip_recovers_lognormal_parameters(round_trip):
    _, cal, _ = round_trip
    for k, v in TRUE.items():
        f = cal.report["segments"][k]["handle"]
        sigma = math.sqrt(math.log1p(v["cv"] ** 2))
        mu = math.log(v["mean"]) - sigma**2 / 2
        n = f["n"]
        assert abs(f["mu"] - mu) < 4 * sigma / math.sqrt(n), (k, f["mu"], mu)
        assert abs(f["sigma"] - sigma) < 4 * sigma / math.sqrt(2 * n), (k, f["sigma"], sigma)
        assert f["ks_p_value"] > 0.001  # the right family is not rejected


def test_round_trip_recovers_patience(round_trip):
    _, cal, _ = round_trip
    for k, v in TRUE.items():
        p = cal.report["segments"][k]["patience"]
        assert p["abandoned"] > 200
        assert abs(p["exponential_mean_s"] - v["patience"]) < 4 * p["standard_error_s"], (k, p)


def test_round_trip_scenario_runs_and_backtests(round_trip, tmp_path):
    _, cal, _ = round_trip
    m = sim.parse_scenario(cal.scenario, file="<calibrated>")
    assert m.n_intervals == 6
    bt = backtest(m, cal.observed, replications=10)
    assert bt.summary["abandon_rate"]["weighted_mae"] < 0.05


def test_kaplan_meier_matches_exponential_without_censoring_bias():
    rng = np.random.default_rng(0)
    patience = rng.exponential(100, 20_000)
    service = rng.exponential(60, 20_000)  # answered first if service wait < patience
    wait = np.minimum(patience, service)
    t, S = kaplan_meier(wait, patience <= service)
    for x in (50, 100, 200):
        assert np.interp(x, t, S) == pytest.approx(math.exp(-x / 100), abs=0.02)


@pytest.mark.skipif(not BANK.exists(), reason="the February 1999 log is not beside the repository")
def test_february_1999_calibrates_and_backtests(tmp_path):
    r = runner.invoke(app, ["calibrate", str(BANK), "-o", str(tmp_path / "bank.yaml")])
    assert r.exit_code == 0, r.output
    m = sim.load_scenario(tmp_path / "bank.yaml")
    assert m.n_intervals == 34 and m.segments[:2] == ["PS", "NW"]
    assert (tmp_path / "bank_fit.png").exists() and (tmp_path / "bank_handle.csv").exists()
    r = runner.invoke(
        app,
        [
            "backtest",
            str(tmp_path / "bank.yaml"),
            "--observed",
            str(tmp_path / "bank_observed.csv"),
            "--out",
            str(tmp_path / "bt"),
            "-r",
            "20",
            "--workers",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "bt" / "backtest.png").exists()
    log = read_anonymous_bank(BANK)
    assert log.dropped["phantom"] == 278 and len(log) == 33344 - 278 - 1941 - 491


def test_calibrate_bad_input(tmp_path):
    r = runner.invoke(app, ["calibrate", str(tmp_path / "nope.csv")])
    assert r.exit_code == 2 and "not found" in r.stderr
    f = tmp_path / "log.csv"
    f.write_text("start,status\n08:00:01,answered\n")
    r = runner.invoke(app, ["calibrate", str(f)])
    assert r.exit_code == 2 and "--map" in r.stderr
    r = runner.invoke(app, ["calibrate", str(f), "--map", "arrival=begin,outcome=status"])
    assert r.exit_code == 2 and "columns not in the file" in r.stderr


# --- predicting another month ---------------------------------------------------------


def test_a_perfect_model_predicts_its_own_log_within_the_noise_floor(round_trip):
    """The true model, given the log's volumes day by day and its own staffing, predicts
    the log's pooled hourly KPIs with an error of the order of the noise floor and no
    clear bias; a model with handle times 30% too long does not."""
    from ccsim.sim.calibration.predict import predict_month

    true, _, calls = round_trip
    r = predict_month(
        true,
        calls,
        days="all",
        by="hour",
        replications_per_day=8,
        seed=3,
        staffing_method="scenario",
    )
    for m in ("abandon_rate", "service_level", "asa"):
        s = r["summary"][m]
        assert s["weighted_mae"] < 2.5 * s["noise_floor_model"], (m, s)
    for row in r["rows"]:  # each logged day is replayed with its own calls
        assert row["offered_simulated"] == pytest.approx(row["offered_observed"])
    slow = sim.parse_scenario(
        {
            **true.raw,
            "segments": {
                k: {**v, "handle_time": {**v["handle_time"], "mean": f"{TRUE[k]['mean'] * 1.3}s"}}
                for k, v in true.raw["segments"].items()
            },
        },
        file="<slow>",
    )
    r = predict_month(
        slow,
        calls,
        days="all",
        by="hour",
        replications_per_day=8,
        seed=3,
        staffing_method="scenario",
    )
    s = r["summary"]["abandon_rate"]
    assert s["bias"] > 3 * s["noise_floor_model"], s


def test_pooled_rates_are_ratios_of_sums():
    """Two days in one interval: 1 of 10 and 50 of 100 abandoned. The pooled rate is
    51/110, not the mean of the days' rates (27.5%); unknown call types go to 'other'."""
    from ccsim.sim.calibration.logs import CallLog
    from ccsim.sim.calibration.predict import _rates, month_data

    n1, n2 = 10, 100
    n = n1 + n2
    ab = np.zeros(n, bool)
    ab[0] = True
    ab[n1 : n1 + 50] = True
    log = CallLog(
        day=np.array(["d1"] * n1 + ["d2"] * n2),
        weekday=np.zeros(n, int),
        arrival=np.full(n, 9 * 3600 + 60.0),
        segment=np.array(["a"] * (n - 5) + ["zz"] * 5),
        answered=~ab,
        wait=np.where(ab, 30.0, 0.0),
        handle=np.where(ab, np.nan, 100.0),
        agent=np.array([""] * n),
    )
    m = model_from(
        {
            "horizon": {"start": "09:00", "interval": "30min", "intervals": 1},
            "segments": {
                "a": {"volume": 10, "handle_time": {"dist": "exponential", "mean": "2min"}},
                "other": {"volume": 1, "handle_time": {"dist": "exponential", "mean": "2min"}},
            },
            "staffing": 3,
        }
    )
    data = month_data(m, log, days="all", staffing_method="scenario")
    rate = _rates(data.counts.sum(axis=0), m.sl_convention)["abandon_rate"][0]
    assert rate == pytest.approx(51 / 110)
    assert data.unmatched == {"zz": 5} and data.volumes[:, 0, 1].sum() == 5
    assert data.staffing.tolist() == [[3.0], [3.0]]


@pytest.mark.skipif(not BANK.exists(), reason="the February 1999 log is not beside the repository")
def test_backtest_another_month_on_the_cli(tmp_path):
    jan = BANK.with_name("january_1999.txt")
    if not jan.exists():
        pytest.skip("the January 1999 log is not beside the repository")
    r = runner.invoke(app, ["calibrate", str(jan), "-o", str(tmp_path / "jan.yaml")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "backtest",
            str(tmp_path / "jan.yaml"),
            "--log",
            str(BANK),
            "--by",
            "hour",
            "--out",
            str(tmp_path / "bt"),
            "-r",
            "4",
            "--workers",
            "1",
            "--handle-level",
            "month",
        ],
    )
    assert r.exit_code == 0, r.output
    # the model's error and the handle-time forecast's, on separate lines
    assert "handle-time level from the month predicted" in r.output
    assert "with the month's handle level (the model's error)" in r.output
    import json

    js = json.loads((tmp_path / "bt" / "backtest.json").read_text())
    assert js["handle_level"] == "month" and "summary" in js["fitted_handle_level"]
    assert len(js["dates"]) == 20 and js["rows"][0]["label"] == "07h"
    for m in ("abandon_rate", "service_level", "asa", "p_wait"):
        assert {"weighted_mae", "bias", "noise_floor", "noise_floor_model"} <= set(js["summary"][m])
    assert all(r["agents_seen"] > 0 for r in js["rows"])
    # the chart its help promises, 16:9, simulated against observed hour by hour
    texts, ids = svg_texts_and_ids(tmp_path / "bt" / "backtest.svg")
    assert "Back-test on 20 days" in texts and "series:observed:asa" in ids
    assert (tmp_path / "bt" / "backtest.png").read_bytes()[16:24] == (2000).to_bytes(4, "big") + (
        1125
    ).to_bytes(4, "big")
    r = runner.invoke(app, ["backtest", str(tmp_path / "jan.yaml")])
    assert r.exit_code == 2


def _one_agent_log(calls: list[tuple[float, float, float, str]]):
    """A one-day log: (arrival, wait, handle, agent); handle nan = abandoned."""
    from ccsim.sim.calibration.logs import CallLog

    n = len(calls)
    arr, wait, handle, agent = (np.array([c[i] for c in calls]) for i in range(4))
    return CallLog(
        np.array(["2026-01-05"] * n),
        np.zeros(n, int),
        arr.astype(float),
        np.array(["a"] * n),
        np.isfinite(handle.astype(float)),
        wait.astype(float),
        handle.astype(float),
        agent.astype(str),
    )


def test_present_counts_idle_time_only_while_nobody_waits():
    """'present': an agent idle while nobody waits may have had no call, so a long gap
    without a wait counts, a long gap while a caller waited is a break, a short gap counts
    either way; before the first call and after the last, up to the nearest wait."""
    from ccsim.sim.calibration.fit import agents_by_day

    h = 3600.0
    lo = 8 * h

    def present(calls):
        log = _one_agent_log(calls)
        return agents_by_day(log, np.zeros(len(log), int), 1, lo, h, 3, "present", 600.0)[0]

    # agent A answers at 08:30 (5 min) and 09:30 (5 min); nobody else waits all day
    quiet = [(lo + 0.5 * h, 0, 300, "A"), (lo + 1.5 * h, 0, 300, "A")]
    np.testing.assert_allclose(present(quiet), [1, 1, 1])  # the whole day: no wait seen
    # a caller waits 08:59:30-09:01:00 (then abandons) while A is idle: the gap is a
    # break; A is present up to 08:35 and from 09:30; the edges reach the day's ends
    waited = [*quiet, (lo + h - 30, 90, float("nan"), "")]
    np.testing.assert_allclose(present(waited), [35 / 60, 30 / 60, 1])
    # the same wait at 08:33 (a short one: 4 s, routing) changes nothing
    routing = [*quiet, (lo + 0.55 * h, 4, float("nan"), "")]
    np.testing.assert_allclose(present(routing), [1, 1, 1])
    # a wait before the first call ends at 08:10: A counts from then
    early = [*quiet, (lo + 600 - 60, 60, float("nan"), "")]
    np.testing.assert_allclose(present(early), [50 / 60, 1, 1])
    # a short gap (< 10 min) while a caller waits is still present (idle between calls)
    short = [(lo, 0, 600, "A"), (lo + 900, 0, 600, "A"), (lo + 660, 120, float("nan"), "")]
    got = present(short)
    assert got[0] == pytest.approx(1.0)  # 08:00-08:25 joined, then present to day end


def test_a_logged_day_is_replayed_as_its_counts():
    """With arrival counts set, every replication has exactly those calls per interval and
    segment, at times uniform in the interval (the Poisson day given its counts: a KS test
    of the times within the interval, all callers and one segment alone)."""
    import dataclasses

    from ccsim.sim.engine.accumulators import OFFERED
    from ccsim.sim.engine.stream import customer_stream

    EXP3 = {"dist": "exponential", "mean": "3min"}
    base = model_from(
        {
            "horizon": {"start": "08:00", "interval": "30min", "intervals": 3},
            "segments": {
                "a": {"volume": [10, 10, 10], "handle_time": EXP3, "patience": "none"},
                "b": {"volume": [10, 10, 10], "handle_time": EXP3, "patience": "none"},
            },
            "staffing": 6,
            "simulation": {"replications": 30, "seed": 2},
        }
    )
    counts = np.array([[40, 0], [7, 25], [0, 0]])
    m = dataclasses.replace(base, rates=counts / 1800.0, arrival_counts=counts)
    u_all, u_b, gaps = [], [], []
    for rep in range(30):
        calls = list(customer_stream(m, 2, rep))
        arrival = np.concatenate([c.arrival for c in calls])
        itv = np.concatenate([c.interval for c in calls])
        seg = np.concatenate([c.segment for c in calls])
        assert np.all(np.diff(arrival) >= 0)
        got = np.zeros_like(counts)
        np.add.at(got, (itv, seg), 1)
        np.testing.assert_array_equal(got, counts)
        assert np.all(arrival // 1800 == itv)
        u = arrival / 1800.0 - itv
        u_all.append(u)
        u_b.append(u[seg == 1])
        gaps.append(np.diff(u[itv == 0]))  # spacings of 40 uniforms: Beta(1, 40) each
    assert stats.kstest(np.concatenate(u_all), "uniform").pvalue > 0.001
    assert stats.kstest(np.concatenate(u_b), "uniform").pvalue > 0.001
    assert stats.kstest(np.concatenate(gaps), "beta", args=(1, 40)).pvalue > 0.001
    res = sim.simulate(m)
    for r in res.reps:  # the engine sees the same callers: offered = the counts
        np.testing.assert_array_equal(r.counts[:, :, OFFERED], counts)
    slow = sim.simulate(dataclasses.replace(m, engine="simpy"), replications=3)
    for r, q in zip(res.reps, slow.reps, strict=False):  # both engines, the same callers
        np.testing.assert_allclose(r.counts, q.counts)
    assert res.reps[0].counts[:, :, OFFERED].sum() == 72


def test_handle_level_of_the_month_separates_model_and_forecast_error(round_trip, tmp_path):
    """A month whose calls run 30% longer than the fitted month's: with the fitted handle
    level the prediction is biased (too little abandonment: the model is told the old
    AHT); with the month's level (--handle-level month) the factor is found and the bias
    goes, and the fitted level's errors are reported beside, on the same seeds."""
    from ccsim.sim.calibration.predict import predict_month

    true, cal, log = round_trip
    fitted = sim.parse_scenario(cal.scenario, file="<calibrated>")
    ref = {k: v["handle"]["sample_mean_s"] for k, v in cal.report["segments"].items()}
    # the fitted month itself: its level against itself is 1, and nothing changes
    same = predict_month(
        fitted, log, days="all", replications_per_day=2, seed=3, handle_level="month",
        handle_reference=ref,
    )  # fmt: skip
    assert all(h["factor"] == pytest.approx(1.0) for h in same["handle"].values())
    for m, e in same["summary"].items():  # the same run (sums may differ in the last bits)
        f = same["fitted_handle_level"]["summary"][m]
        assert e["bias"] == pytest.approx(f["bias"], rel=1e-9, abs=1e-12), m
    longer = dataclasses.replace(true, handle=[h.scaled(1.3) for h in true.handle])
    calls = tmp_path / "later.csv"
    sim.simulate(longer, replications=15, seed=11, calls_file=calls)
    later = read_ccsim_calls(calls)
    fixed = predict_month(fitted, later, days="all", replications_per_day=4, seed=3)
    month = predict_month(
        fitted, later, days="all", replications_per_day=4, seed=3, handle_level="month",
        handle_reference=ref,
    )  # fmt: skip
    assert fixed["handle_level"] == "fitted" and "fitted_handle_level" not in fixed
    for k, h in month["handle"].items():
        # the month's mean over some 3,000 answered calls: within a few percent of 1.3x
        # the fitted mean (which is itself a fit)
        assert h["factor"] == pytest.approx(1.3, rel=0.06), (k, h)
    # the fitted-level run beside is the plain prediction, same seeds
    for m, e in fixed["summary"].items():
        f = month["fitted_handle_level"]["summary"][m]
        assert f["weighted_mae"] == pytest.approx(e["weighted_mae"], rel=1e-9, abs=1e-12), m
    f, m = fixed["summary"]["abandon_rate"], month["summary"]["abandon_rate"]
    assert f["bias"] < -0.02  # the old AHT: several points too little abandonment
    assert abs(m["bias"]) < abs(f["bias"]) / 3 and m["weighted_mae"] < f["weighted_mae"] / 2
    with pytest.raises(sim.ScenarioError, match="handle-level"):
        predict_month(fitted, later, days="all", handle_level="weekly")
