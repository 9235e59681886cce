"""Window runs (sim/engine_window.py) against full runs: a plan changed from some
interval on, re-simulated only from the incumbent's saved state before the change to the
state where both runs coincide again, has the full run's accumulators.

The random scenarios are the differential test's (deterministic times, so simultaneous
events and their tie-break are part of what is compared); the changes are staffing in one
or two intervals, thresholds and max_wait from an interval on, and staffing steps inside
an interval (rosters).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
from helpers import model_from
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_differential import scenario

from ccsim import sim
from ccsim.optimize.evaluate import Evaluator, Targets
from ccsim.optimize.plan import Plan
from ccsim.sim import ALWAYS, NEVER
from ccsim.sim.engine.coupling import changed_steps
from ccsim.sim.engine.fast import arrivals_of, engine_plan, run_fast
from ccsim.sim.engine.stream import customer_stream
from ccsim.sim.engine.trajectory import join_chunks
from ccsim.sim.engine.window import WindowRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("CCSIM_HYPOTHESIS_EXAMPLES", 60))


def window_equals_full(base: sim.Model, changed: list[sim.Model], seed: int, rep: int, **kw):
    """Every changed plan's window run has its full run's accumulators; returns the
    callers the window runs simulated and those the full runs did."""
    chunk = join_chunks(list(customer_stream(base, seed, rep)))
    a = arrivals_of(chunk)
    runner = WindowRunner(base)
    tr = runner.trajectory(a, len(chunk) > 0, kw.get("keep_bytes", 1 << 30))
    full_base = run_fast(base, [chunk])[0]
    np.testing.assert_array_equal(tr.counts, full_base.counts)
    np.testing.assert_array_equal(tr.busy, full_base.busy)
    window_calls = full_calls = 0
    for m in changed:
        full = run_fast(m, [chunk])[0]
        got = runner.run(m, engine_plan(m), changed_steps(m, base), tr, a)
        if got is None:  # changed before the first saved state: run in full by the caller
            assert changed_steps(m, base)[0] < tr.steps[0]
            continue
        counts, busy, staffed, calls = got
        # the window's accumulators are the incumbent's, minus its window, plus the
        # plan's: a sum may differ from the full run's by a few units in the last place
        # of the largest of those terms (an incumbent whose day runs to 1e14 s, with no
        # agent for a quarter hour and handle times that grow with the wait, has sums of
        # waits near 1e14, whose last place is 0.016)
        big = max(float(np.abs(full_base.counts).max()), float(np.abs(full.counts).max()), 1.0)
        atol = max(1e-6, 4 * float(np.spacing(big)))
        np.testing.assert_allclose(counts, full.counts, rtol=1e-9, atol=atol)
        np.testing.assert_allclose(busy, full.busy, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(staffed, full.staffed, rtol=1e-9, atol=1e-6)
        window_calls += calls
        full_calls += full.calls
    return window_calls, full_calls


def changes(model: sim.Model, rng: np.random.Generator, n: int) -> list[sim.Model]:
    """`n` plans changed from a random interval on, as a search changes them."""
    T, K = model.n_intervals, model.n_segments
    out = []
    for _ in range(n):
        t = int(rng.integers(0, T))
        staffing = model.staffing.copy()
        thresholds = model.thresholds.copy()
        kind = int(rng.integers(0, 4))
        if kind == 0:  # one interval
            staffing[t] = max(0, staffing[t] + int(rng.choice([-2, -1, 1, 2])))
        elif kind == 1 and t + 1 < T:  # an agent moved to the next interval
            if staffing[t] > 0:
                staffing[t] -= 1
                staffing[t + 1] += 1
        elif kind == 2:  # a threshold from t on
            thresholds[t:, int(rng.integers(0, K))] = int(rng.choice([NEVER, -1, 0, 2, ALWAYS]))
        else:  # one interval's threshold
            thresholds[t, int(rng.integers(0, K))] = int(rng.choice([NEVER, 0, ALWAYS]))
        if staffing[-1] == 0 and any(p.kind == "none" for p in model.patience):
            staffing[-1] = 1
        out.append(model.with_plan(staffing=staffing, thresholds=thresholds))
    return out


RUNAWAY_DAY = {  # no agent for 15 min, handle times that grow with the wait: sums near 1e14
    "horizon": {"interval": "5min", "intervals": 4},
    "segments": {
        "s0": {
            "volume": [0, 25, 29, 16],
            "handle_time": {"dist": "exponential", "mean": "20s"},
            "priority": 0,
            "handle_per_minute_waited": "20s",
        },
        "s1": {
            "volume": [0, 0, 0, 0],
            "handle_time": {"dist": "exponential", "mean": "20s"},
            "priority": 0,
        },
    },
    "staffing": [0, 0, 0, 1],
    "policy": {"cross_sell": {}},
    "satisfaction": {"answered_within": "20s", "no_pitch_after": "0s"},
}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(), st.integers(0, 2**31))
@example(RUNAWAY_DAY, 2)  # found by a CI run: the tolerance must scale with the sums
def test_window_runs_equal_full_runs_on_random_scenarios(data, seed):
    base = model_from(data)
    rng = np.random.default_rng(seed)
    window_equals_full(base, changes(base, rng, 6), seed, 0)


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(), st.integers(2, 3), st.data(), st.integers(0, 2**31))
def test_window_runs_equal_full_runs_with_staffing_steps(data, m, draw, seed):
    """Rosters: staffing that changes inside an interval, changed at one step."""
    model = model_from(data)
    S = m * model.n_intervals
    steps = np.asarray(draw.draw(st.lists(st.integers(1, 8), min_size=S, max_size=S)))
    base = model.with_plan(staffing=steps)
    rng = np.random.default_rng(seed)
    changed = []
    for _ in range(5):
        s = steps.copy()
        j = int(rng.integers(0, S))
        s[j] = max(0, s[j] + int(rng.choice([-1, 1])))
        s[-1] = max(1, s[-1])
        changed.append(base.with_plan(staffing=s))
    window_equals_full(base, changed, seed, 0)


def test_window_runs_on_examples_save_work():
    """The retail bank and its waiting variant: +-1 agent in every interval. The
    windows simulate a fraction of the day (measured: about 1/12), not all of it."""
    for name in ("retail_bank", "retail_bank_waiting"):
        base = sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        changed = []
        for t in range(1, base.n_intervals):
            for d in (-1, 1):
                s = base.staffing.copy()
                s[t] += d
                changed.append(base.with_plan(staffing=s))
        window, full = window_equals_full(base, changed, 7, 3)
        assert window < full / 4


def test_window_runs_with_growing_tables_and_thinned_states():
    """A queue longer than the tables' first size (they grow while the trajectory is
    saved), and a trajectory that keeps only some states (a small memory allowance):
    restarts from an earlier state, and couplings only where a state was kept."""
    exp = {"dist": "exponential"}
    base = model_from(  # nobody hangs up and the load is 1.3 agents' worth per agent
        {
            "horizon": {"interval": "30min", "intervals": 6},
            "segments": {
                "a": {
                    "volume": [300, 400, 400, 300, 200, 100],
                    "handle_time": {**exp, "mean": "5min"},
                    "cross_sell": {
                        "accept": 0.3,
                        "revenue": 5,
                        "offer_time": {**exp, "mean": "1min"},
                    },
                }
            },
            "staffing": [40, 50, 50, 45, 40, 30],
            "policy": {"cross_sell": {"a": {"threshold": 0}}},
        }
    )
    rng = np.random.default_rng(3)
    chunk = join_chunks(list(customer_stream(base, 1, 0)))
    runner = WindowRunner(base)
    tr = runner.trajectory(arrivals_of(chunk), True, 1 << 30)
    assert tr.islot.shape[1] > 256  # more callers present at once than the first tables hold
    window_equals_full(base, changes(base, rng, 12), 1, 0)
    thin = runner.trajectory(arrivals_of(chunk), True, 150_000)
    assert 1 < len(thin.steps) < base.n_intervals
    window_equals_full(base, changes(base, rng, 12), 1, 0, keep_bytes=150_000)


def test_changed_steps():
    base = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    assert changed_steps(base, base) == (base.n_intervals, -1)
    s = base.staffing.copy()
    s[5] += 1
    s[9] -= 1
    assert changed_steps(base.with_plan(staffing=s), base) == (5, 9)
    th = base.thresholds.copy()
    th[3:, 1] = ALWAYS
    assert changed_steps(base.with_plan(thresholds=th), base) == (3, base.n_intervals - 1)


def test_evaluator_window_path_equals_full_evaluation():
    """A search's evaluation of plans derived from an incumbent (windows) gives the
    numbers of a fresh evaluator that simulates every plan in full."""
    model = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    targets = Targets.from_model(model)
    inc = Plan.of(model.staffing, model.thresholds)
    plans = [inc.with_staffing(t, int(inc.staffing[t]) + d) for t in (2, 11, 23) for d in (-1, 1)]
    plans.append(dataclasses.replace(inc, staffing=tuple(x + 1 for x in inc.staffing)))
    windows = Evaluator(model, targets, 6, seed=5)
    full = Evaluator(model, targets, 6, seed=5)
    got = windows.evaluate_many(plans, base=inc)
    want = full.evaluate_many(plans)
    for g, w in zip(got, want, strict=True):
        for s, x in w.samples.items():
            np.testing.assert_allclose(g.samples[s], x, rtol=1e-9, atol=1e-9, err_msg=s)
        assert [j.verdict for j in g.judged] == [j.verdict for j in w.judged]
    assert windows.calls < full.calls
