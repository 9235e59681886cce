"""The two engines on the same customer streams: the same outcome for every caller.

Scenarios are drawn at random (hypothesis): 1-3 segments, 1-4 intervals, staffing that
rises, drops and touches zero, priorities, every policy kind including per-interval
thresholds and negative ones, and deterministic times that make simultaneous events
(the tie-break is part of what is compared).
"""

import os

import numpy as np
from helpers import model_from
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccsim.sim.engine import fast as engine_fast
from ccsim.sim.engine.fast import run_fast
from ccsim.sim.engine.reference import run_simpy
from ccsim.sim.engine.stream import customer_stream

MEANS = ["20s", "1min", "2min", "3.5min"]


@st.composite
def distribution(draw, allow_zero=False):
    kind = draw(
        st.sampled_from(
            ["exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical"]
        )
    )
    mean = draw(st.sampled_from(MEANS))
    if kind == "exponential":
        return {"dist": kind, "mean": mean}
    if kind in ("lognormal", "gamma"):
        return {"dist": kind, "mean": mean, "cv": draw(st.sampled_from([0.3, 1.0, 1.5]))}
    if kind == "deterministic":
        return {"dist": kind, "value": "0s" if allow_zero and draw(st.booleans()) else mean}
    if kind == "uniform":
        return {"dist": kind, "low": "10s", "high": mean}
    return {"dist": kind, "values": ["30s", "45s", "2min", mean]}


@st.composite
def scenario(draw):
    T = draw(st.integers(1, 4))
    K = draw(st.integers(1, 3))
    segments, policy = {}, {}
    any_impatient_free = False
    for k in range(K):
        name = f"s{k}"
        seg = {
            "volume": draw(st.lists(st.integers(0, 40), min_size=T, max_size=T)),
            "handle_time": draw(distribution()),
            "priority": draw(st.integers(0, 2)),
        }
        if draw(st.booleans()):
            seg["patience"] = draw(distribution(allow_zero=True))
        else:
            any_impatient_free = True
        if draw(st.booleans()):
            seg["cross_sell"] = {
                "eligible": draw(st.sampled_from([0.0, 0.5, 1.0])),
                "accept": draw(st.sampled_from([0.0, 0.3, 1.0])),
                "revenue": 10,
                "offer_time": draw(distribution(allow_zero=True)),
            }
            if draw(st.booleans()):
                seg["cross_sell"]["close_time"] = draw(distribution(allow_zero=True))
            # callers who react to waiting: acceptance by wait, offers that look at it
            reacts = draw(st.integers(0, 2))
            if reacts == 1:
                seg["cross_sell"]["accept_decay"] = {
                    "half_life": draw(st.sampled_from(["20s", "1min"]))
                }
            elif reacts == 2:
                seg["cross_sell"]["accept_by_wait"] = [["10s", 0.9], ["40s", 0.4], ["2min", 0.1]]
            entry = st.one_of(st.integers(-4, 4), st.sampled_from(["never", "always"]))
            waits = st.sampled_from(["0s", "20s", "1min"])
            choice = draw(st.integers(0, 5))
            policy[name] = (
                "never"
                if choice == 0
                else "always"
                if choice == 1
                else {"threshold": draw(entry)}
                if choice == 2
                else {"threshold": draw(st.lists(entry, min_size=T, max_size=T))}
                if choice == 3
                else {"threshold": draw(entry), "max_wait": draw(waits)}
                if choice == 4
                else {"max_wait": draw(st.lists(waits, min_size=T, max_size=T))}
            )
        if draw(st.booleans()):
            seg["handle_per_minute_waited"] = draw(st.sampled_from(["5s", "20s"]))
        if draw(st.booleans()):  # the customer beyond today's call
            seg["customer_value"] = {
                "value": draw(st.sampled_from([0, 800, 2500.5])),
                "lost_per_minute_waited": draw(st.sampled_from([0.0, 0.004, 0.9])),
                "lost_if_abandoned": draw(st.sampled_from([0.0, 0.05, 1.0])),
                "lost_per_declined_offer": draw(st.sampled_from([0.0, 0.02])),
            }
        segments[name] = seg
    staffing = draw(st.lists(st.integers(0, 8), min_size=T, max_size=T))
    if any_impatient_free and staffing[-1] == 0:
        staffing[-1] = 1
    if sum(sum(s["volume"]) for s in segments.values()) == 0:
        segments["s0"]["volume"][0] = 5
    return {
        "horizon": {"interval": draw(st.sampled_from(["5min", "15min", "30min"])), "intervals": T},
        "segments": segments,
        "staffing": staffing,
        "policy": {"cross_sell": policy},
        "satisfaction": {
            "answered_within": draw(st.sampled_from(["20s", "1min"])),
            "no_pitch_after": draw(st.sampled_from(["0s", "30s"])),
        },
    }


def compare(model, seed, rep, initial_slots=engine_fast.INITIAL_SLOTS):
    ra, a = run_simpy(model, customer_stream(model, seed, rep), want_records=True)
    rb, b = run_fast(
        model, customer_stream(model, seed, rep), want_records=True, initial_slots=initial_slots
    )
    a = a[np.argsort(a[:, 0], kind="stable")]
    b = b[np.argsort(b[:, 0], kind="stable")]
    assert a.shape == b.shape
    # every field of every caller: outcome, wait, answer, decision and end times, offer, accept
    assert np.array_equal(a, b, equal_nan=True)
    assert np.array_equal(ra.counts, rb.counts)
    assert np.array_equal(ra.hist, rb.hist)
    assert ra.end_time == rb.end_time and ra.calls == rb.calls
    np.testing.assert_allclose(ra.busy, rb.busy, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(ra.staffed, rb.staffed, rtol=1e-9, atol=1e-6)


@settings(
    max_examples=int(os.environ.get("CCSIM_HYPOTHESIS_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario(), st.integers(0, 2**31))
def test_engines_agree_call_by_call(data, seed):
    compare(model_from(data), seed, 0)


@settings(
    max_examples=int(os.environ.get("CCSIM_HYPOTHESIS_EXAMPLES", 60)) // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario(), st.integers(2, 3), st.data(), st.integers(0, 2**31))
def test_engines_agree_with_staffing_steps(data, m, draw, seed):
    """Staffing that changes inside an interval (a roster on a finer grid): each interval
    cut into m steps with their own agents, zero included."""
    model = model_from(data)
    steps = draw.draw(
        st.lists(st.integers(0, 8), min_size=m * model.n_intervals, max_size=m * model.n_intervals)
    )
    if any(p.kind == "none" for p in model.patience) and steps[-1] == 0:
        steps[-1] = 1
    stepped = model.with_plan(staffing=np.asarray(steps))
    assert stepped.steps_per_interval == m and len(stepped.step_bounds) == len(steps) + 1
    compare(stepped, seed, 0)


def test_engines_agree_across_chunks_and_growth(monkeypatch):
    """A long steady-state run: many chunks, 10^5 callers, and tables that grow: they
    start at 4 slots, so they double many times mid-chunk (counted), and every caller
    still gets the reference engine's outcome."""
    growths = []
    real = engine_fast.grown

    def counted(tab):
        growths.append(tab.islot.shape[0])
        return real(tab)

    monkeypatch.setattr(engine_fast, "grown", counted)
    exp = {"dist": "exponential"}
    m = model_from(
        {
            "horizon": {"steady_state": {"warmup": "2h", "length": "150h", "batches": 4}},
            "segments": {
                "a": {
                    "rate": "400/h",
                    "handle_time": {**exp, "mean": "4min"},
                    "patience": {**exp, "mean": "2min"},
                    "priority": 1,
                    "cross_sell": {
                        "accept": 0.3,
                        "revenue": 5,
                        "offer_time": {**exp, "mean": "1min"},
                    },
                },
                "b": {
                    "rate": "300/h",
                    "handle_time": {"dist": "deterministic", "value": "3min"},
                    "patience": {"dist": "deterministic", "value": "90s"},
                    "cross_sell": {
                        "accept": 0.1,
                        "revenue": 5,
                        "offer_time": {"dist": "deterministic", "value": "1min"},
                    },
                },
            },
            "staffing": 45,
            "policy": {"cross_sell": {"a": {"threshold": 5}, "b": {"threshold": -2}}},
        }
    )
    compare(m, 3, 0, initial_slots=4)
    assert growths[:4] == [4, 8, 16, 32] and len(growths) >= 5  # 4 -> 128 slots or more
