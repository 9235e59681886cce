import math

import pytest

from ccsim.sim.scenario.units import format_clock, parse_clock, parse_duration, parse_rate


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("20s", 20),
        ("4.5min", 270),
        ("1h", 3600),
        ("2 min", 120),
        ("90 seconds", 90),
        ("0.5h", 1800),
        ("250ms", 0.25),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["20", "4.5 parsecs", "min", "", "1e400s", 5, True, None])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_zero_needs_no_unit():
    assert parse_duration(0) == 0.0


def test_rates():
    assert parse_rate("120/h") == pytest.approx(120 / 3600)
    assert parse_rate("100/30min") == pytest.approx(100 / 1800)
    assert parse_rate("10/min") == pytest.approx(10 / 60)
    for bad in ["120", "120/fortnight", "x/h", 12]:
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_clock():
    assert parse_clock("08:00") == 8 * 3600
    assert parse_clock(480) == 8 * 3600  # YAML 1.1 reads 8:00 as 480 (sexagesimal minutes)
    assert format_clock(8 * 3600 + 1800) == "08:30"
    with pytest.raises(ValueError):
        parse_clock("25:00")
    assert math.isinf(parse_duration("none", allow_inf=True))


def test_run_length_may_exceed_a_year_but_not_a_century():
    """A steady-state check against a formula may run for years of simulated time."""
    from ccsim.sim.scenario.units import parse_run_length

    assert parse_run_length("17000h") == 17000 * 3600.0
    with pytest.raises(ValueError, match="longer than a year"):
        parse_duration("17000h")
    with pytest.raises(ValueError, match="longer than 100 years"):
        parse_run_length("1000000h")
