"""Shifts and rosters: the step function they give the engines, their cost, the MIP
against enumeration and pyworkforce, bad shift sections, and the shift optimizer's plan
on fresh days."""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import model_from
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.optimize.shifts.schedule import schedule_shifts
from ccsim.sim.engine.fast import run_fast
from ccsim.sim.engine.records import R_ANS, R_ARR
from ccsim.sim.engine.reference import run_simpy
from ccsim.sim.scenario.roster import Break, Roster, ShiftRow, ShiftSet, Template

EXP = {"dist": "exponential"}

# a small day: 08:00-12:00 in half hours, two templates on a 15-min grid
DAY = {
    "name": "shift test",
    "horizon": {"start": "08:00", "interval": "30min", "intervals": 8},
    "segments": {
        "calls": {
            "volume": [40, 60, 90, 110, 110, 90, 70, 50],
            "handle_time": {**EXP, "mean": "4min"},
            "patience": {**EXP, "mean": "3min"},
            "cross_sell": {
                "eligible": 0.7,
                "accept": 0.25,
                "revenue": 40,
                "offer_time": {**EXP, "mean": "1min"},
            },
        }
    },
    "shifts": {
        "grid": "15min",
        "templates": {
            "long": {
                "length": "3h",
                "starts": {"earliest": "08:00", "latest": "09:00"},
                "breaks": [{"length": "15min", "within": ["1h", "2h"]}],
            },
            "short": {
                "length": "2h",
                "starts": {"earliest": "08:00", "latest": "10:00"},
                "cost_per_hour": 30,
            },
        },
    },
    "staffing": 8,
    "costs": {"agent_per_hour": 36, "abandoned_call": 3},
    "targets": {
        "service_level": {"within": "20s", "fraction": 0.8, "per": "day"},
        "max_abandon_rate": 0.06,
    },
    "simulation": {"replications": 20, "seed": 5},
}


def with_roster(rows, shrinkage=0.0):
    d = copy.deepcopy(DAY)
    del d["staffing"]
    d["roster"] = rows
    d["costs"]["shrinkage"] = shrinkage
    return model_from(d)


ROSTER = [
    {"template": "long", "start": "08:00", "breaks": ["09:15-09:30"], "agents": 3},
    {"template": "long", "start": "09:00", "breaks": ["10:30-10:45"], "agents": 2},
    {"template": "short", "start": "10:00", "agents": 4},
]


def test_roster_step_function_and_cost():
    m = with_roster(ROSTER, shrinkage=0.2)
    assert m.steps_per_interval == 2 and len(m.staffing) == 16
    # 08:00-09:00: 3; 09:00: 5; 09:15: 2 (3 on a break); 10:00: 9 (the short shifts
    # start); 10:30: 7 (2 on a break); 11:00: 6 (the first long shifts end)
    expect = [3, 3, 3, 3, 5, 2, 5, 5, 9, 9, 7, 9, 6, 6, 6, 6]
    assert m.staffing.tolist() == expect
    present = m.roster.present(m.shifts, 16)
    assert present.tolist() == [3, 3, 3, 3, 5, 5, 5, 5, 9, 9, 9, 9, 6, 6, 6, 6]
    np.testing.assert_allclose(m.interval_staffing(), [3, 3, 3.5, 5, 9, 8, 6, 6])
    # paid: 5 long shifts x 3 h at 36, 4 short x 2 h at 30 (paid breaks), grossed up by 1/0.8
    cost = (5 * 3 * 36 + 4 * 2 * 30) / 0.8
    assert m.staffing_cost().sum() == pytest.approx(cost)
    assert m.paid_hours().sum() == pytest.approx((15 + 8) / 0.8)
    res = sim.simulate(m, replications=3, seed=1)
    assert res.summary["staffing_cost"].mean == pytest.approx(cost)


def test_unpaid_break_is_not_paid():
    d = copy.deepcopy(DAY)
    d["shifts"]["templates"]["long"]["breaks"][0]["paid"] = False
    del d["staffing"]
    d["roster"] = ROSTER[:1]
    m = model_from(d)
    assert m.staffing_cost().sum() == pytest.approx(3 * 2.75 * 36)


def test_engines_answer_nobody_before_agents_arrive():
    """0 agents on the phones in the first quarter hour, 5 after: no call of the first
    interval is answered before 08:15, in either engine."""
    m = model_from({**DAY, "staffing": 5}).with_plan(staffing=np.array([0] + [5] * 15))
    for run in (run_fast, run_simpy):
        _, rec = run(m, sim.customer_stream(m, 3, 0), want_records=True)
        early = rec[:, R_ARR] < 900.0
        assert early.sum() > 5  # callers did arrive before 08:15
        assert np.nanmin(rec[:, R_ANS]) >= 900.0


# --- the MIP ---------------------------------------------------------------------------


def _small_set(with_breaks: bool, g: float = 1800.0) -> ShiftSet:
    """A 3-h template starting in the first hour (a 30-min break in its second hour) and
    a cheaper 2-h one starting in the first two hours, on a 30-min grid."""
    brk = (Break(1800.0, 3600.0, 7200.0),) if with_breaks else ()
    return ShiftSet(
        g,
        (
            Template("long", 3 * 3600.0, 0.0, 3600.0, brk, 36.0),
            Template("short", 2 * 3600.0, 0.0, 7200.0, (), 40.0),
        ),
    )


def _enumerate(shifts: ShiftSet, req: np.ndarray, top: int) -> float:
    """Cheapest covering roster by brute force: every count 0..top of every start and
    (for the long template) every break position."""
    g = shifts.grid
    options = []
    for t in shifts.templates:
        for s in t.starts(g):
            if t.breaks:
                for o in t.breaks[0].offsets(g):
                    options.append(ShiftRow(float(s), t.name, (float(s + o),), 1))
            else:
                options.append(ShiftRow(float(s), t.name, (), 1))
    S = len(req)
    cover = np.array([Roster((r,)).on_phones(shifts, S) for r in options])
    cost = np.array([shifts.template(r.template).cost for r in options])
    counts = np.array(list(itertools.product(range(top + 1), repeat=len(options))))
    ok = (counts @ cover >= req).all(axis=1)
    return float((counts[ok] @ cost).min())


def test_mip_matches_enumeration_without_breaks():
    shifts = _small_set(with_breaks=False)
    req = np.array([1, 2, 3, 3, 2, 2, 1, 1])
    s = schedule_shifts(shifts, req)
    assert (s.coverage >= req).all()
    assert s.cost == pytest.approx(_enumerate(shifts, req, top=3))
    assert s.lp_bound <= s.cost + 1e-9 and s.gap >= 0


def test_mip_matches_enumeration_with_breaks():
    """Breaks placed by the MIP: the same cost as the best of every break position."""
    shifts = _small_set(with_breaks=True)
    req = np.array([1, 2, 2, 2, 2, 1, 1, 0])
    s = schedule_shifts(shifts, req)
    assert (s.coverage >= req).all()
    assert s.cost == pytest.approx(_enumerate(shifts, req, top=2))


def test_mip_no_more_expensive_than_pyworkforce():
    """pyworkforce's MinRequiredResources on the same requirement with the same shifts
    (no breaks: it has none): ccsim's roster costs no more."""
    scheduling = pytest.importorskip("pyworkforce.scheduling")
    rng = np.random.default_rng(3)
    S = 24
    shifts = ShiftSet(
        900.0,
        (
            Template("long", 4 * 3600.0, 0.0, S * 900.0 - 4 * 3600.0, (), 36.0),
            Template("short", 2 * 3600.0, 0.0, S * 900.0 - 2 * 3600.0, (), 40.0),
        ),
    )
    req = rng.integers(2, 12, S)
    s = schedule_shifts(shifts, req)
    coverage, cost = {}, {}
    for t in shifts.templates:
        for st in t.starts(900.0):
            row = ShiftRow(float(st), t.name, (), 1)
            name = f"{t.name}@{int(st)}"
            coverage[name] = Roster((row,)).on_phones(shifts, S).tolist()
            cost[name] = int(round(t.cost))
    pw = scheduling.MinRequiredResources(
        num_days=1,
        periods=S,
        shifts_coverage=coverage,
        required_resources=[req.tolist()],
        max_period_concurrency=200,
        max_shift_concurrency=200,
        cost_dict=cost,
        max_search_time=30.0,
        num_search_workers=1,
    ).solve()
    pw_cost = sum(cost[r["shift"]] * r["resources"] for r in pw["resources_shifts"])
    assert pw["status"] in ("OPTIMAL", "FEASIBLE")
    assert s.cost <= pw_cost + 1e-9


def test_mip_says_what_cannot_be_covered():
    shifts = _small_set(with_breaks=False)
    req = np.zeros(12, np.int64)
    req[-1] = 1  # 05:30-06:00: no template reaches it
    with pytest.raises(sim.PlanningError, match="no template covers"):
        schedule_shifts(shifts, req)


# --- bad shift sections ------------------------------------------------------------------


def _bad(change) -> dict:
    d = copy.deepcopy(DAY)
    change(d)
    return d


def _tpl(d):
    return d["shifts"]["templates"]["long"]


BAD = [
    ("grid", lambda d: d["shifts"].update(grid="20min"), "shifts.grid", "divide"),
    (
        "window after the shift",
        lambda d: _tpl(d)["breaks"][0].update(within=["2h", "4h"]),
        "shifts.templates.long.breaks[0].within",
        "after the shift",
    ),
    (
        "start before the day",
        lambda d: _tpl(d)["starts"].update(earliest="07:00"),
        "shifts.templates.long.starts.earliest",
        "before the day starts",
    ),
    (
        "ends after the day",
        lambda d: _tpl(d)["starts"].update(latest="11:00"),
        "shifts.templates.long.starts.latest",
        "after the day ends",
    ),
    (
        "overlapping windows",
        lambda d: _tpl(d)["breaks"].append({"length": "15min", "within": ["1.5h", "2.5h"]}),
        "shifts.templates.long.breaks[1].within",
        "overlapping",
    ),
    (
        "window shorter than break",
        lambda d: _tpl(d)["breaks"][0].update(within=["1h", "1h"]),
        "shifts.templates.long.breaks",
        "shorter than the break",
    ),
    (
        "roster and staffing",
        lambda d: d.update(roster=ROSTER),
        "staffing",
        "not both",
    ),
    (
        "roster break outside its window",
        lambda d: (d.pop("staffing"), d.update(roster=[{**ROSTER[0], "breaks": ["08:15-08:30"]}])),
        "roster[0].breaks[0]",
        "outside its window",
    ),
    (
        "roster unknown template",
        lambda d: (d.pop("staffing"), d.update(roster=[{**ROSTER[0], "template": "lng"}])),
        "roster[0].template",
        "unknown template",
    ),
    (
        "roster without shifts",
        lambda d: (d.pop("staffing"), d.pop("shifts"), d.update(roster=ROSTER)),
        "roster",
        "needs the shift templates",
    ),
]


@pytest.mark.parametrize("name,change,path,words", BAD, ids=[b[0] for b in BAD])
def test_bad_shift_sections(tmp_path, name, change, path, words):
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(_bad(change)))
    r = CliRunner().invoke(app, ["validate", str(f)])
    out = r.stdout + (getattr(r, "stderr", "") or "")
    assert r.exit_code == 2 and "Traceback" not in out
    assert str(f) in out and path in out and words in out, out


def test_shifts_flag_needs_templates(tmp_path):
    d = copy.deepcopy(DAY)
    del d["shifts"]
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(d))
    r = CliRunner().invoke(app, ["optimize", str(f), "--shifts"])
    assert r.exit_code == 2 and "shifts" in r.stdout + (getattr(r, "stderr", "") or "")


# --- the shift optimizer -----------------------------------------------------------------


@pytest.fixture(scope="module")
def optimized(tmp_path_factory):
    out = tmp_path_factory.mktemp("shifts")
    f = out / "day.yaml"
    f.write_text(yaml.safe_dump(DAY))
    # a subprocess: its standard output must be JSON and nothing else (no solver banner)
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "ccsim.cli",
            "optimize",
            str(f),
            "--shifts",
            "--json",
            "--out",
            str(out / "o"),
            "--workers",
            "2",
            "--budget",
            "100M",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode in (0, 3), p.stderr
    return json.loads(p.stdout), out / "o"


def test_shift_plan_is_a_valid_roster_and_runs_as_is(optimized):
    js, out = optimized
    assert js["recommended"] is True
    rows = js["roster"]["rows"]
    assert rows and js["roster"]["shifts"] == sum(r["agents"] for r in rows)
    csv = (out / "roster.csv").read_text().splitlines()
    assert csv[0] == "template,start,end,breaks,agents,paid_hours" and len(csv) == len(rows) + 1
    for name in ("coverage", "shifts"):
        assert (out / f"{name}.png").stat().st_size > 0 and (out / f"{name}.svg").exists()
    # the price of shifts: the MIP's roster against the same requirement staffed interval
    # by interval at the scenario's hourly cost (30-min intervals)
    mip, cost = js["roster"]["mip"], DAY["costs"]["agent_per_hour"]
    free = sum(mip["requirement_per_interval"]) * 0.5 * cost
    assert mip["requirement_cost_per_interval"] == pytest.approx(free)
    assert mip["price_of_shifts"] == pytest.approx(mip["first_roster_cost"] - free)
    # plan.yaml is a scenario whose staffing is the roster's agents on the phones, and
    # simulating it reproduces the optimizer's confirmation exactly
    plan = sim.load_scenario(out / "plan.yaml")
    assert plan.roster is not None and plan.staffing.tolist() == js["roster"]["on_phones"]
    res = sim.simulate(plan)
    for s in ("profit", "service_level", "abandon_rate", "staffing_cost"):
        assert res.summary[s].mean == pytest.approx(js["summary"][s]["mean"], rel=1e-12)
    assert res.summary["staffing_cost"].mean == pytest.approx(
        js["roster"]["cost"] / (1 - plan.shrinkage)
    )
    # selling in the roster's slack, against the same roster without offers
    v = js["cross_sell_value"]
    assert v["revenue"]["mean"] > 0
    assert v["profit"]["mean"] == pytest.approx(
        v["revenue"]["mean"] - v["service_cost"]["mean"], abs=1e-6
    )
    mip = js["roster"]["mip"]
    assert mip["lp_bound"] <= mip["first_roster_cost"] + 1e-6


def test_shift_plan_holds_on_fresh_days(optimized):
    """400 days of a seed family neither the search nor the confirmation used."""
    _, out = optimized
    plan = sim.load_scenario(out / "plan.yaml")
    res = sim.simulate(plan, replications=400, seed=777_777)
    judged = plan.targets.judge(res)
    assert sim.overall(judged) == "met", [j.to_json() for j in judged]


def test_roster_plan_survives_a_checkpoint(tmp_path):
    """The shift search's evaluated plans are saved as plain arrays (no pickle) and read
    back equal, so an interrupted search resumes; a file of other templates is refused."""
    from ccsim.optimize.segments import DAY_STATS, INTERVAL_STATS, merge_segment, segment_arrays
    from ccsim.optimize.shifts.roster_plan import RosterPlan
    from ccsim.sim.checkpoint import load_arrays, save_arrays

    m = with_roster(ROSTER)
    plan = RosterPlan(m.roster, tuple(tuple(int(x) for x in r) for r in m.thresholds))
    samples = {s: np.arange(3.0) for s in DAY_STATS}
    ints = {s: np.ones((3, 8)) for s in INTERVAL_STATS}
    f = tmp_path / "ck.npz"
    save_arrays(f, segment_arrays({plan: (0, (samples, ints, 99))}))
    back: dict = {}
    assert merge_segment(back, load_arrays(f), m, RosterPlan)
    assert list(back) == [plan] and back[plan][2] == 99
    assert np.array_equal(back[plan][0]["objective"], samples["objective"])
    d = copy.deepcopy(DAY)
    d["shifts"]["templates"]["other"] = d["shifts"]["templates"].pop("long")
    assert not merge_segment({}, load_arrays(f), model_from(d), RosterPlan)


def test_validate_names_the_shift_templates():
    """`validate` of a scenario with shift templates says what --shifts will build from."""
    example = Path(__file__).resolve().parent.parent / "scenarios" / "retail_bank_shifts.yaml"
    r = CliRunner().invoke(app, ["validate", str(example)], terminal_width=160)
    assert r.exit_code == 0, r.output
    assert "shift templates on a 15-min grid" in r.output
    assert "full_time: 8.5 h starting 08:00-11:30, 3 break(s)" in r.output
    assert "30 min unpaid" in r.output and "at most 30" in r.output
