"""Statistics: the KPIs derived from the accumulators an engine fills
(`engine.accumulators`), and their estimates over replications.

An engine adds each caller's outcome to `counts[interval_of_arrival, segment, field]`
and integrates busy and staffed agent time per interval; memory is independent of the
number of calls. KPIs are computed per replication from those sums, then averaged over
replications with a 95% confidence interval (Student t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from .engine.accumulators import (
    ABANDONED,
    ABN_T,
    ACCEPTS,
    ANS_T,
    ANSWERED,
    ATTEMPTS,
    COMPLETED,
    HANDLE,
    OFFERED,
    REVENUE,
    SATISFIED,
    VALUE_RISK,
    WAIT_ALL,
    WAIT_ANS,
    WAITED,
)

STATISTICS = (
    "offered",
    "answered",
    "abandoned",
    "abandon_rate",
    "service_level",
    "asa",
    "mean_wait",
    "p_wait",
    "occupancy",
    "aht",
    "attempts",
    "accepts",
    "conversion",
    "revenue",
    "staffing_cost",
    "abandon_cost",
    "decline_cost",
    "profit",
    "satisfaction",
    "value_at_risk",
    "long_run_profit",
)

DEFINITIONS = {
    "offered": "calls that arrived in the period (attributed to the interval of arrival)",
    "answered": "offered calls picked up by an agent",
    "abandoned": "offered calls that hung up while waiting",
    "abandon_rate": "abandoned / offered",
    "service_level": "SL(T) under the scenario's convention; default answered within T / (offered - abandoned within T)",
    "asa": "average speed of answer: mean wait of answered calls (s)",
    "mean_wait": "mean wait of all offered calls, abandoned ones up to hang-up (s)",
    "p_wait": "share of offered calls that waited more than 0 s",
    "occupancy": "busy agent time / staffed agent time in the period (agents finishing a call after their shift count as staffed)",
    "aht": "average handle time of answered calls, cross-sell time included (s)",
    "attempts": "cross-sell offers made",
    "accepts": "cross-sell offers accepted",
    "conversion": "accepts / attempts",
    "revenue": "cross-sell revenue from accepted offers",
    "staffing_cost": "paid agent hours (staffing x interval length / (1 - shrinkage)) x agent cost per hour",
    "abandon_cost": "abandoned calls x cost per abandoned call",
    "decline_cost": "declined offers x goodwill cost per declined offer",
    "profit": "revenue - staffing_cost - abandon_cost - decline_cost",
    "satisfaction": "share of offered calls answered within the satisfaction time and not pitched after waiting longer than the no-pitch time (scenario 'satisfaction:'; defaults 60 s and 30 s)",
    "value_at_risk": "customer value at risk: sum over callers of the customer's long-run value x P(customer lost), P rising with minutes waited, abandoning and each declined offer (segments' customer_value; 0 without it)",
    "long_run_profit": "profit - value_at_risk",
}

SL_CONVENTION_TEXT = {
    "exclude_short_abandons": "answered within T / (offered - abandoned within T)",
    "offered": "answered within T / offered",
    "answered": "answered within T / answered",
    "short_abandons_good": "(answered within T + abandoned within T) / offered",
}


def _div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def kpis(
    c: np.ndarray,
    busy: float | np.ndarray | None,
    staffed: float | np.ndarray | None,
    staffing_cost: float | np.ndarray | None,
    abandon_cost_per_call: float,
    decline_cost: np.ndarray | float,
    convention: str,
) -> dict[str, np.ndarray]:
    """KPIs from accumulator sums `c[..., field]` (any leading shape)."""
    off, ans, abn = c[..., OFFERED], c[..., ANSWERED], c[..., ABANDONED]
    ans_t, abn_t = c[..., ANS_T], c[..., ABN_T]
    if convention == "exclude_short_abandons":
        sl = _div(ans_t, off - abn_t)
    elif convention == "offered":
        sl = _div(ans_t, off)
    elif convention == "answered":
        sl = _div(ans_t, ans)
    elif convention == "short_abandons_good":
        sl = _div(ans_t + abn_t, off)
    else:
        raise ValueError(convention)
    nan = np.full(off.shape, np.nan)
    abandon_cost = abn * abandon_cost_per_call
    revenue = c[..., REVENUE]
    out = {
        "offered": off,
        "answered": ans,
        "abandoned": abn,
        "abandon_rate": _div(abn, off),
        "service_level": sl,
        "asa": _div(c[..., WAIT_ANS], ans),
        "mean_wait": _div(c[..., WAIT_ALL], off),
        "p_wait": _div(c[..., WAITED], off),
        "occupancy": nan if busy is None else _div(np.asarray(busy), np.asarray(staffed)),
        "aht": _div(c[..., HANDLE], c[..., COMPLETED]),
        "attempts": c[..., ATTEMPTS],
        "accepts": c[..., ACCEPTS],
        "conversion": _div(c[..., ACCEPTS], c[..., ATTEMPTS]),
        "revenue": revenue,
        "staffing_cost": nan if staffing_cost is None else np.asarray(staffing_cost, dtype=float),
        "abandon_cost": abandon_cost,
        "decline_cost": np.asarray(decline_cost, dtype=float),
    }
    out["profit"] = (
        nan
        if staffing_cost is None
        else revenue - out["staffing_cost"] - abandon_cost - out["decline_cost"]
    )
    out["satisfaction"] = _div(c[..., SATISFIED], off)
    out["value_at_risk"] = c[..., VALUE_RISK]
    out["long_run_profit"] = out["profit"] - out["value_at_risk"]
    return out


def _num(x: float | None) -> float | None:
    """JSON has no NaN: an undefined statistic is null."""
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass
class Estimate:
    mean: float
    lo: float
    hi: float
    n: int
    se: float = math.nan  # standard error of the mean

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2

    def to_json(self) -> dict:
        return {"mean": _num(self.mean), "ci95": [_num(self.lo), _num(self.hi)]}


def estimate(samples: np.ndarray, level: float = 0.95) -> Estimate:
    """Mean and Student-t confidence interval of independent samples; NaNs are skipped."""
    x = np.asarray(samples, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    m = float(x.mean())
    if n == 1:
        return Estimate(m, math.nan, math.nan, 1)
    se = float(x.std(ddof=1)) / math.sqrt(n)
    h = float(sps.t.ppf(0.5 + level / 2, n - 1)) * se
    return Estimate(m, m - h, m + h, n, se)


class Moments:
    """Running count, mean and sum of squared deviations (Welford) of arrays of a fixed
    shape, NaN skipped: the statistics of many replications in constant memory. Folded
    in a fixed order, it gives the same numbers however many workers ran them."""

    def __init__(self, shape: tuple[int, ...]):
        self.n = np.zeros(shape, np.int64)
        self.mean = np.zeros(shape)
        self.m2 = np.zeros(shape)

    def add(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=float)
        ok = np.isfinite(x)
        self.n += ok
        delta = np.where(ok, x - self.mean, 0.0)
        self.mean += np.where(ok, delta / np.maximum(self.n, 1), 0.0)
        self.m2 += np.where(ok, delta * (np.where(ok, x, 0.0) - self.mean), 0.0)

    def estimates(self, level: float = 0.95) -> list[Estimate]:
        """One Estimate per element (flattened), as `estimate` would give."""
        n, m, m2 = self.n.ravel(), self.mean.ravel(), self.m2.ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(np.maximum(m2, 0.0) / (n - 1) / n)
            h = sps.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * se
        out = []
        for j in range(len(n)):
            nj = int(n[j])
            if nj == 0:
                out.append(Estimate(math.nan, math.nan, math.nan, 0))
            elif nj == 1:
                out.append(Estimate(float(m[j]), math.nan, math.nan, 1))
            else:
                mj, hj = float(m[j]), float(h[j])
                out.append(Estimate(mj, mj - hj, mj + hj, nj, float(se[j])))
        return out
