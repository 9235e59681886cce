"""The one number formatter: how every statistic is written on the screen, in the summary
page, the charts' labels and the workbook. Rates are fractions in files and percent on
screen; differences of rates are points; seconds and money have their own forms.
"""

from __future__ import annotations

import math

from ccsim.sim import Estimate

RATES = frozenset(
    {"service_level", "abandon_rate", "p_wait", "occupancy", "conversion", "satisfaction"}
)
SECONDS = frozenset({"asa", "mean_wait", "aht"})
MONEY = frozenset(
    {
        "revenue",
        "staffing_cost",
        "abandon_cost",
        "decline_cost",
        "profit",
        "value_at_risk",
        "long_run_profit",
    }
)
DASH = "–"  # no value (no call answered, no offer made, ...)


def kind_of(stat: str) -> str:
    """'pct', 's', 'money' or 'n' (a count)."""
    if stat in RATES:
        return "pct"
    if stat in SECONDS:
        return "s"
    if stat in MONEY:
        return "money"
    return "n"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def value(x, kind: str) -> str:
    """A value of that kind: '91.2%', '4.4 s', '12,345', or a dash."""
    if _missing(x):
        return DASH
    if kind == "pct":
        return f"{100 * x:.1f}%"
    if kind == "s":
        return f"{x:.1f} s"
    return f"{x + 0.0 if round(x) != 0 else 0.0:,.0f}"  # no '-0'


def signed(x, kind: str = "money") -> str:
    """A change: '+1.2 pts', '-3.0 s', '+1,234'."""
    if _missing(x):
        return "n/a"
    if kind == "pct":
        return f"{100 * x:+,.1f} pts"
    if kind == "s":
        return f"{x:+,.1f} s"
    return f"{x:+,.0f}"


def difference(d: dict | None, kind: str) -> str:
    """A paired difference from JSON ({mean, ci95}): '+3.7 pts [+3.1, +4.3] *', the star
    when the interval excludes 0."""
    if not d or d["mean"] is None:
        return ""
    lo, hi = d["ci95"]
    scale, unit = (100, " pts") if kind == "pct" else (1, " s" if kind == "s" else "")

    def num(x: float) -> str:
        return f"{x * scale:+,.1f}" if kind in ("pct", "s") else f"{x:+,.0f}"

    if lo is None:
        return f"{num(d['mean'])}{unit}"
    sig = " *" if not (lo <= 0 <= hi) else ""
    return f"{num(d['mean'])}{unit} [{num(lo)}, {num(hi)}]{sig}"


def estimate(stat: str, e: Estimate, ci: bool = True, sep: str = "\n") -> str:
    """An estimate with its 95% half-width: '91.2%' over '±0.8' (two lines keep tables
    narrow); '4.4s ±0.3' with sep=' '."""
    if e.n == 0 or not math.isfinite(e.mean):
        return DASH
    h = e.half_width
    show = ci and math.isfinite(h)
    kind = kind_of(stat)
    if kind == "pct":
        return f"{100 * e.mean:.1f}%" + (f"{sep}±{100 * h:.1f}" if show else "")
    if kind == "s":
        return f"{e.mean:.1f}s" + (f"{sep}±{h:.1f}" if show else "")
    if kind == "money" or abs(e.mean) >= 1000:
        return value(e.mean, "money") + (f"{sep}±{h:,.0f}" if show else "")
    return f"{e.mean:,.1f}" + (f"{sep}±{h:,.1f}" if show else "")
