"""The model's rules on hand-made customer streams, in both engines.

Each case writes the callers out by hand, so the expected outcome can be worked out
on paper: the threshold rule at its edges, no pre-emption when staffing drops, pick-up
at once when it rises, priorities, abandonment.
"""

import math

import numpy as np
import pytest
from helpers import chunk, model_from

from ccsim.sim.engine.accumulators import ABANDONED, ANSWERED, ATTEMPTS, OFFERED
from ccsim.sim.engine.fast import run_fast
from ccsim.sim.engine.records import R_ACC, R_ANS, R_ATT, R_END, R_ID, R_OUT, R_WAIT
from ccsim.sim.engine.reference import run_simpy

ENGINES = {"simpy": run_simpy, "fast": run_fast}


def two_interval_model(staffing, threshold, k=1, interval="100s", patience=None):
    seg = {
        "volume": 1,
        "handle_time": {"dist": "deterministic", "value": "60s"},
        "cross_sell": {"eligible": 1, "accept": 1, "revenue": 10},
    }
    if patience:
        seg["patience"] = patience
    segs = {f"s{i}": dict(seg, priority=i) for i in range(k)}
    pol = threshold if isinstance(threshold, str) else {n: {"threshold": threshold} for n in segs}
    return model_from(
        {
            "horizon": {"interval": interval, "intervals": 2},
            "segments": segs,
            "staffing": staffing,
            "policy": {"cross_sell": pol},
        }
    )


def run(engine, model, c):
    res, rec = ENGINES[engine](model, [c], want_records=True)
    return res, rec[np.argsort(rec[:, R_ID])]


@pytest.fixture(params=list(ENGINES))
def engine(request):
    return request.param


def test_threshold_zero_offers_only_when_nobody_waits(engine):
    # one agent; A arrives at 0 (base 10); B arrives at 5 and waits; C at 50, after B started
    m = two_interval_model(1, 0)
    c = chunk(
        [0.0, 5.0, 50.0], base=[10, 10, 10], eligible=[1, 1, 1], offer=[3, 3, 3], accept=[0, 0, 0]
    )
    _, rec = run(engine, m, c)
    # A decides at 10 with B waiting: Y - n = 2 - 1 = 1 > 0, no offer; B decides at 20 alone: offer
    assert rec[:, R_ATT].tolist() == [0, 1, 1]
    assert rec[1, R_ANS] == 10.0 and rec[1, R_END] == 23.0


def test_threshold_minus_one_needs_an_idle_agent(engine):
    m = two_interval_model(2, -1)
    # A and B overlap in service; C comes after both left
    c = chunk([0.0, 1.0, 40.0], base=[10, 10, 10], eligible=[1, 1, 1], offer=[2, 2, 2])
    _, rec = run(engine, m, c)
    # A at 10: Y=2 (A,B), n=2 -> 0 > -1: no offer. B at 11: Y=1 -> -1 <= -1: offer. C alone: offer
    assert rec[:, R_ATT].tolist() == [0, 1, 1]


def test_never_and_always(engine):
    c = chunk(
        [0.0, 1.0, 2.0],
        base=[10, 10, 10],
        eligible=[1, 1, 0],
        offer=[2, 2, 2],
        accept=[1, 0, 1],
        close=[5, 5, 5],
    )
    _, rec = run(engine, two_interval_model(1, "never"), c)
    assert rec[:, R_ATT].sum() == 0
    res, rec = run(engine, two_interval_model(1, "always"), c)
    # the ineligible caller is never offered; the accepted offer adds offer + close time
    assert rec[:, R_ATT].tolist() == [1, 1, 0] and rec[:, R_ACC].tolist() == [1, 0, 0]
    assert rec[0, R_END] == 17.0 and rec[1, R_END] == 17.0 + 12.0
    assert res.counts[..., ATTEMPTS].sum() == 2


def test_staffing_drop_finishes_calls_in_hand(engine):
    # 2 agents in [0,100), 1 from 100 on. A, B in service across the drop; C waits.
    m = two_interval_model([2, 1], "never")
    c = chunk([1.0, 2.0, 95.0], base=[150, 160, 10], interval=[0, 0, 0])
    _, rec = run(engine, m, c)
    assert rec[0, R_END] == 151.0 and rec[1, R_END] == 162.0  # nobody is cut off
    # A's agent leaves at 151 (only one agent staffed); C is answered when B's call ends
    assert rec[2, R_ANS] == 162.0


def test_staffing_rise_answers_at_once(engine):
    m = two_interval_model([1, 3], "never")
    c = chunk([1.0, 2.0, 3.0], base=[500, 500, 500])
    _, rec = run(engine, m, c)
    assert rec[:, R_ANS].tolist() == [1.0, 100.0, 100.0]


def test_priority_and_fcfs_within(engine):
    m = two_interval_model(1, "never", k=2)
    # one agent busy with the first caller; then low (s0), high (s1), low, high arrive
    c = chunk([0.0, 1.0, 2.0, 3.0, 4.0], segment=[0, 0, 1, 0, 1], base=[10] * 5)
    _, rec = run(engine, m, c)
    order = np.argsort(rec[:, R_ANS]).tolist()
    assert order == [0, 2, 4, 1, 3]


def test_abandonment_and_conservation(engine):
    m = two_interval_model(1, "never", patience={"dist": "exponential", "mean": "1min"})
    c = chunk([0.0, 1.0, 2.0], base=[100, 10, 10], patience=[5, 50, 300])
    res, rec = run(engine, m, c)
    assert rec[:, R_OUT].tolist() == [1, 0, 1]
    assert rec[1, R_WAIT] == 50.0 and rec[2, R_ANS] == 100.0
    cnt = res.counts
    assert cnt[..., OFFERED].sum() == cnt[..., ANSWERED].sum() + cnt[..., ABANDONED].sum() == 3


def test_zero_patience_abandons_at_once_when_all_busy(engine):
    m = two_interval_model(1, "never", patience={"dist": "deterministic", "value": 0})
    c = chunk([0.0, 1.0], base=[10, 10], patience=[0.0, 0.0])
    _, rec = run(engine, m, c)
    assert rec[:, R_OUT].tolist() == [1, 0] and rec[1, R_WAIT] == 0.0


def test_day_ends_with_every_call_answered_or_abandoned(engine):
    """Arrivals stop at the close; the last interval's agents work the queue off."""
    m = two_interval_model([1, 1], "never")
    c = chunk([150.0, 160.0, 170.0], base=[100, 100, 100], interval=[1, 1, 1])
    res, rec = run(engine, m, c)
    assert rec[:, R_OUT].tolist() == [1, 1, 1] and res.end_time == 450.0
    assert math.isclose(res.busy[2], 250.0)  # busy time after the 200 s close
