"""Parsing of durations, rates and clock times written with units in scenario files.

Internally every duration is in seconds and every rate is per second.
"""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_DURATION_RE = re.compile(rf"^\s*({_NUMBER})\s*([a-zA-Z]+)\s*$")
_PERIOD_RE = re.compile(rf"^\s*({_NUMBER})?\s*([a-zA-Z]+)\s*$")
_CLOCK_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")

UNITS_HELP = "use a number with a unit, e.g. 20s, 4.5min, 1h"

# sane ranges, checked when a file is read (docs/scenarios.md, "Ranges")
MAX_DURATION = 366 * 86400.0  # a duration longer than a year is a typo
# a steady-state run checked against queueing formulas may be long (10 million calls at
# 10 a minute is 1.9 years of simulated time); a century is still a typo
MAX_RUN_LENGTH = 100 * 366 * 86400.0
MAX_RATE = 10_000.0  # calls per second (36 million an hour)


def parse_run_length(value: object) -> float:
    """A steady-state run's length or warm-up: a duration of up to a century."""
    return parse_duration(value, limit=MAX_RUN_LENGTH)


def parse_duration(value: object, *, allow_inf: bool = False, limit: float = MAX_DURATION) -> float:
    """'4.5min' -> 270.0 seconds. A bare number is refused: units are part of the format."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}; {UNITS_HELP}")
    if isinstance(value, (int, float)):
        if value == 0:
            return 0.0
        raise ValueError(f"duration {value!r} has no unit; {UNITS_HELP}")
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as '20s', got {value!r}")
    text = value.strip().lower()
    if allow_inf and text in ("inf", "infinite", "none", "never"):
        return math.inf
    m = _DURATION_RE.match(text)
    if not m or m.group(2) not in _UNIT_SECONDS:
        raise ValueError(f"cannot parse duration {value!r}; {UNITS_HELP}")
    seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if not math.isfinite(seconds):
        raise ValueError(f"duration {value!r} is not finite")
    if seconds > limit:
        years = "a year" if limit == MAX_DURATION else f"{limit / (366 * 86400):g} years"
        raise ValueError(f"duration {value!r} is longer than {years}")
    return seconds


def parse_rate(value: object) -> float:
    """'120/h' -> 1/30 per second; '100/30min' -> 100 per 1800 s. Returns calls per second."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"rate {value!r} has no unit; write e.g. '120/h' or '10/min'")
    if not isinstance(value, str) or "/" not in value:
        raise ValueError(f"cannot parse rate {value!r}; write e.g. '120/h' or '100/30min'")
    count_text, period_text = value.split("/", 1)
    try:
        count = float(count_text)
    except ValueError:
        raise ValueError(f"cannot parse rate {value!r}: {count_text!r} is not a number") from None
    m = _PERIOD_RE.match(period_text.lower())
    if not m or m.group(2) not in _UNIT_SECONDS:
        raise ValueError(f"cannot parse rate {value!r}: unknown period {period_text!r}")
    period = (float(m.group(1)) if m.group(1) else 1.0) * _UNIT_SECONDS[m.group(2)]
    if period <= 0:
        raise ValueError(f"rate {value!r} has a non-positive period")
    rate = count / period
    if not math.isfinite(rate):
        raise ValueError(f"rate {value!r} is not a finite number")
    if rate > MAX_RATE:
        raise ValueError(f"rate {value!r} is above {MAX_RATE:,.0f} calls per second")
    return rate


def parse_clock(value: object) -> float:
    """'08:00' -> 28800 seconds after midnight."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads unquoted 08:00 as a sexagesimal integer (480): minutes.
        if not 0 <= value <= 24 * 60:
            raise ValueError(f"clock time {value!r} is out of range (00:00 to 24:00)")
        return float(value) * 60.0
    if not isinstance(value, str):
        raise ValueError(f"expected a clock time such as '08:00', got {value!r}")
    m = _CLOCK_RE.match(value)
    if not m:
        raise ValueError(f"cannot parse clock time {value!r}; write e.g. '08:00'")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 24 or mi > 59 or s > 59 or (h == 24 and (mi or s)):
        raise ValueError(f"clock time {value!r} is out of range (00:00 to 24:00)")
    return float(h * 3600 + mi * 60 + s)


def format_clock(seconds: float) -> str:
    """28800 -> '08:00'."""
    total = int(round(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}" if s == 0 else f"{h:02d}:{m:02d}:{s:02d}"


def format_duration(seconds: float) -> str:
    """A short human label: 45s, 4.5min, 2h."""
    if seconds < 120:
        return f"{seconds:g}s"
    if seconds < 7200:
        return f"{seconds / 60:g}min"
    return f"{seconds / 3600:g}h"


def parse_calls(value: object) -> float | None:
    """A number of simulated calls: '200M', '1.5G', '400k', 5e7 (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("expected a number of simulated calls such as 200M")
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        text = str(value).strip().upper()
        scale = {"K": 1e3, "M": 1e6, "G": 1e9}.get(text[-1:], 1.0)
        try:
            v = float(text[:-1] if scale != 1.0 else text) * scale
        except ValueError:
            raise ValueError(
                f"expected a number of simulated calls such as 200M, got {value!r}"
            ) from None
    if not (0 < v < 1e15):
        raise ValueError(f"expected a positive number of simulated calls, got {value!r}")
    return v
