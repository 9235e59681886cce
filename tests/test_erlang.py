"""Erlang B/C/A against the textbook check values and independent evaluations."""

import math

import numpy as np
import pytest

from ccsim.optimize.analytic.erlang import (
    agents_needed,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    scheduled,
    square_root_staffing,
)


def test_issue_check_values():
    lam, mu = 100 / 1800, 1 / 180  # 100 calls per 30 min, AHT 180 s
    m = erlang_c_metrics(14, lam, mu, 20.0)
    assert round(m.p_wait, 4) == 0.1741
    assert round(m.service_level, 4) == 0.8884
    assert round(m.asa, 2) == 7.84
    assert round(erlang_c_metrics(11, lam, mu, 20.0).p_wait, 4) == 0.6821
    assert agents_needed(lam, mu, within=20.0, target_sl=0.8) == 14


def erlang_b_recursion(n, a):
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


@pytest.mark.parametrize(
    "n,a",
    [
        (1, 0.5),
        (10, 8.0),
        (100, 99.5),
        (1000, 990.0),
        (20000, 19950.0),
        (20000, 21000.0),
        (5000, 100.0),
    ],
)
def test_erlang_b_log_space_matches_recursion(n, a):
    assert erlang_b(n, a) == pytest.approx(erlang_b_recursion(n, a), rel=1e-9)


def birth_death(n, lam, mu, theta, qmax):
    """Stationary distribution by the plain recursion, rescaled at every step."""
    p = [1.0]
    for j in range(1, n + qmax + 1):
        death = min(j, n) * mu + max(j - n, 0) * theta
        p.append(p[-1] * lam / death)
        if p[-1] > 1e200:
            p = [x / 1e200 for x in p]
    p = np.array(p)
    return p / p.sum()


@pytest.mark.parametrize("n,load", [(3, 2.5), (50, 48.0), (2000, 1990.0), (20000, 19900.0)])
def test_erlang_c_and_a_against_birth_death(n, load):
    mu = 1 / 200
    lam = load * mu
    p = birth_death(n, lam, mu, 0.0, qmax=int(60 * math.sqrt(n)) + 3000)
    assert erlang_c(n, load) == pytest.approx(p[n:].sum(), rel=1e-7)
    theta = 1 / 300
    p = birth_death(n, lam, mu, theta, qmax=int(20 * math.sqrt(n)) + 200)
    a = erlang_a(n, lam, mu, theta, 20.0)
    q = np.arange(len(p)) - n
    assert a.p_wait == pytest.approx(p[n:].sum(), rel=1e-9)
    assert a.p_abandon == pytest.approx(theta * (p * np.maximum(q, 0)).sum() / lam, rel=1e-9)


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    lam, mu, n = 100 / 1800, 1 / 180, 12
    c = erlang_c_metrics(n, lam, mu, 20.0)
    prev = None
    for patience in (60, 600, 6000, 6e5, 6e7):
        a = erlang_a(n, lam, mu, 1 / patience, 20.0)
        gap = abs(a.p_wait - c.p_wait)
        if prev is not None:
            assert gap < prev
        prev = gap
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-4)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-4)
    assert a.asa == pytest.approx(c.asa, rel=1e-4)


def test_erlang_a_is_stable_above_capacity():
    a = erlang_a(10, 20 / 60, 1 / 60, 1 / 30, 20.0)  # load 20 on 10 agents: fine with abandonment
    assert 0 < a.p_abandon < 1 and a.occupancy < 1
    assert a.p_abandon == pytest.approx(1 - a.occupancy * 10 / 20, rel=1e-9)  # flow balance


def test_inverses_are_minimal():
    lam, mu, theta = 300 / 3600, 1 / 240, 1 / 180
    for kw in ({"target_sl": 0.8}, {"max_asa": 15.0}, {"max_abandon": 0.03}):
        n = agents_needed(lam, mu, theta, within=20.0, **kw)
        ok = erlang_a(n, lam, mu, theta, 20.0)
        below = erlang_a(n - 1, lam, mu, theta, 20.0)
        if "target_sl" in kw:
            assert ok.service_level >= 0.8 > below.service_level
        if "max_asa" in kw:
            assert ok.asa <= 15.0 < below.asa
        if "max_abandon" in kw:
            assert ok.p_abandon <= 0.03 < below.p_abandon
    n = agents_needed(lam, mu, within=20.0, target_sl=0.8, max_occupancy=0.7)
    assert erlang_c_metrics(n, lam, mu, 20.0).occupancy <= 0.7


def test_shrinkage_and_square_root_staffing():
    assert scheduled(14, 0.3) == pytest.approx(20.0)
    assert square_root_staffing(100, 1.0) == 110
    with pytest.raises(ValueError):
        scheduled(10, 1.0)


def test_large_center_inverse_is_fast_and_sane():
    lam, mu = 15000 / 1800, 1 / 180  # 1500 erlangs
    n = agents_needed(lam, mu, within=20.0, target_sl=0.9)
    assert 1500 < n < 1600


def test_smallest_agents_from_a_guess_is_the_smallest():
    """The staffing search starts at the offered load and gallops down or up: for any
    monotone predicate it returns what a scan from the lower bound returns."""
    from ccsim.optimize.analytic.erlang import _smallest

    rng = np.random.default_rng(1)
    for _ in range(500):
        need, n_lo = int(rng.integers(1, 200)), int(rng.integers(0, 50))
        guess = int(rng.integers(0, 300))

        def ok(n: int, need=need) -> bool:
            return n >= need

        assert _smallest(n_lo, ok, guess) == max(n_lo, need)
        assert _smallest(n_lo, ok) == max(n_lo, need)
