"""Service targets and the one rule that judges them: met, borderline or missed.

Every command, table, chart title and summary page asks `verdict` (through
`Targets.judge`), so they cannot disagree. The rule, at confidence c (default 95%):

- **met**: the target holds with confidence c: the one-sided Student-t bound of the mean
  (lower bound for "at least", upper bound for "at most") is on the right side;
- **missed**: the target fails with confidence c: the opposite one-sided bound is on the
  wrong side;
- **borderline**: neither; more replications would decide it.

With fewer than two replications there is no interval and nothing is decided
(borderline). A plan "meets the targets" only when every check is met; per-interval
targets are judged in every measured interval.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from scipy import stats as sps

if TYPE_CHECKING:
    from .schema import Targets as TargetsSpec


class Estimate(Protocol):
    """A statistic's estimate as `judge` reads it (`sim.stats.Estimate`)."""

    @property
    def mean(self) -> float: ...
    @property
    def se(self) -> float: ...
    @property
    def n(self) -> int: ...


class Measured(Protocol):
    """What `Targets.judge` reads of a simulation result (`sim.results.SimResult`): the
    day's estimates, each interval's, and the model they belong to. A protocol, so the
    scenario's targets need not know the results (which know the model, which holds the
    targets)."""

    @property
    def model(self) -> Any: ...
    @property
    def summary(self) -> Mapping[str, Estimate]: ...
    @property
    def intervals(self) -> Sequence[Mapping[str, Estimate]]: ...


VERDICTS = ("met", "borderline", "missed")
DEFAULT_CONFIDENCE = 0.95


@functools.lru_cache(maxsize=4096)
def _t_ppf(confidence: float, dof: int) -> float:
    return float(sps.t.ppf(confidence, dof))


def t_quantile(confidence: float, n: np.ndarray | int) -> np.ndarray:
    """One-sided Student-t quantile for n replications (NaN below two). A search judges
    thousands of plans on the same few replication counts: the quantiles are cached
    (scipy's ppf costs about 0.2 ms a call)."""
    n = np.asarray(n, dtype=float)
    dof = np.maximum(n - 1, 1)
    values, inverse = np.unique(dof, return_inverse=True)
    q = np.array([_t_ppf(float(confidence), int(v)) for v in values])[inverse].reshape(n.shape)
    return np.where(n >= 2, q, np.nan)


def bounds(
    mean: np.ndarray | float,
    se: np.ndarray | float,
    n: np.ndarray | int,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided lower and upper confidence bounds of a mean (vectorised)."""
    m = np.asarray(mean, dtype=float)
    h = t_quantile(confidence, n) * np.asarray(se, dtype=float)
    return m - h, m + h


def verdicts(
    mean: np.ndarray | float,
    se: np.ndarray | float,
    n: np.ndarray | int,
    limit: float,
    higher_is_better: bool,
    confidence: float = DEFAULT_CONFIDENCE,
) -> np.ndarray:
    """The rule of this module, vectorised: an array of 'met' / 'borderline' / 'missed'."""
    lo, hi = bounds(mean, se, n, confidence)
    if higher_is_better:
        good, bad = lo >= limit, hi < limit
    else:
        good, bad = hi <= limit, lo > limit
    good = good & np.isfinite(lo)
    bad = bad & np.isfinite(lo)
    out = np.where(good, "met", np.where(bad, "missed", "borderline"))
    return out


def verdict(
    mean: float,
    se: float,
    n: int,
    limit: float,
    higher_is_better: bool,
    confidence: float = DEFAULT_CONFIDENCE,
) -> str:
    """'met', 'borderline' or 'missed' for one estimate against one limit."""
    return str(verdicts(mean, se, n, limit, higher_is_better, confidence)[()])


def worst(vs) -> str:
    """The worst of several verdicts ('met' when there are none)."""
    vs = list(vs)
    for v in ("missed", "borderline"):
        if v in vs:
            return v
    return "met"


@dataclass(frozen=True)
class Target:
    """One limit on one statistic, for the day or for every measured interval."""

    key: str  # service_level, service_level_floor, abandon_rate, abandon_rate_interval, asa
    stat: str  # the statistic judged
    limit: float
    higher_is_better: bool
    per_interval: bool
    text: str  # "service level >= 80% within 20s (day)"

    def slack(self, value):
        """How far a value is on the right side of the limit (negative: wrong side)."""
        v = np.asarray(value, dtype=float)
        return v - self.limit if self.higher_is_better else self.limit - v


@dataclass
class Judgement:
    """The verdict of one target, over the day or over the measured intervals."""

    target: Target
    verdict: str
    mean: float  # the day's mean, or the worst interval's
    lo: float  # one-sided bounds at the confidence of the judgement
    hi: float
    n: int
    where: str  # "day" or the worst interval's label
    interval: int | None = None  # the worst interval (per-interval targets)
    counts: dict[str, int] = field(default_factory=dict)  # per-interval targets: verdicts

    @property
    def slack(self) -> float:
        """Mean minus limit, signed so that >= 0 is on the right side."""
        return float(self.target.slack(self.mean))

    def to_json(self) -> dict:
        def num(x):
            return None if x is None or not math.isfinite(x) else float(x)

        out = {
            "target": self.target.key,
            "text": self.target.text,
            "statistic": self.target.stat,
            "limit": self.target.limit,
            "verdict": self.verdict,
            "mean": num(self.mean),
            "bound": num(self.lo if self.target.higher_is_better else self.hi),
            "margin": num(self.slack),
            "where": self.where,
        }
        if self.target.per_interval:
            out["intervals"] = self.counts
        return out


@dataclass(frozen=True)
class Targets:
    """The scenario's service targets, compiled; `judge` applies the module's rule."""

    sl_fraction: float | None = None
    sl_per: str = "day"  # "day" or "interval"
    max_abandon: float | None = None
    max_asa: float | None = None
    sl_floor: float | None = None  # per-interval SL floor beside a day target
    max_abandon_interval: float | None = None
    confidence: float = DEFAULT_CONFIDENCE
    sl_within: float = 20.0

    @classmethod
    def from_spec(cls, spec: TargetsSpec | None, sl_within: float = 20.0) -> Targets:
        if spec is None:
            return cls(sl_within=sl_within)
        sl = spec.service_level
        return cls(
            sl_fraction=sl.fraction if sl else None,
            sl_per=sl.per if sl else "day",
            max_abandon=spec.max_abandon_rate,
            max_asa=spec.max_asa,
            sl_floor=sl.floor if sl else None,
            max_abandon_interval=spec.max_abandon_rate_interval,
            confidence=spec.confidence,
            sl_within=sl.within if sl else sl_within,
        )

    @classmethod
    def from_model(cls, model) -> Targets:
        return model.targets

    def with_confidence(self, confidence: float) -> Targets:
        import dataclasses

        return dataclasses.replace(self, confidence=confidence)

    @property
    def items(self) -> tuple[Target, ...]:
        w = f"within {self.sl_within:g}s"
        out = []
        if self.sl_fraction is not None:
            per = self.sl_per == "interval"
            out.append(
                Target(
                    "service_level",
                    "service_level",
                    self.sl_fraction,
                    True,
                    per,
                    f"service level >= {self.sl_fraction:.0%} {w} "
                    f"({'every interval' if per else 'day'})",
                )
            )
        if self.sl_floor is not None:
            out.append(
                Target(
                    "service_level_floor",
                    "service_level",
                    self.sl_floor,
                    True,
                    True,
                    f"service level >= {self.sl_floor:.0%} {w} (floor, every interval)",
                )
            )
        if self.max_abandon is not None:
            out.append(
                Target(
                    "abandon_rate",
                    "abandon_rate",
                    self.max_abandon,
                    False,
                    False,
                    f"abandonment <= {self.max_abandon:.1%} (day)",
                )
            )
        if self.max_abandon_interval is not None:
            out.append(
                Target(
                    "abandon_rate_interval",
                    "abandon_rate",
                    self.max_abandon_interval,
                    False,
                    True,
                    f"abandonment <= {self.max_abandon_interval:.1%} (every interval)",
                )
            )
        if self.max_asa is not None:
            out.append(
                Target("asa", "asa", self.max_asa, False, False, f"ASA <= {self.max_asa:g}s (day)")
            )
        return tuple(out)

    def describe(self) -> list[str]:
        return [t.text for t in self.items]

    def needs_waiting_times(self) -> bool:
        return any(t.stat in ("service_level", "asa") for t in self.items)

    # --- judging ---------------------------------------------------------------------

    def judge_arrays(
        self,
        day: dict[str, tuple[float, float, int]],
        intervals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
        labels: list[str],
        confidence: float | None = None,
    ) -> list[Judgement]:
        """Judge from (mean, se, n) of each day statistic and arrays of them over the
        measured intervals (same order as `labels`)."""
        c = self.confidence if confidence is None else confidence
        out = []
        for t in self.items:
            if not t.per_interval:
                m, se, n = day[t.stat]
                if not math.isfinite(m):  # e.g. no call answered at all: ASA undefined
                    out.append(Judgement(t, "missed", m, m, m, n, "day"))
                    continue
                lo, hi = bounds(m, se, n, c)
                v = verdict(m, se, n, t.limit, t.higher_is_better, c)
                out.append(Judgement(t, v, m, float(lo), float(hi), n, "day"))
                continue
            mi, sei, ni = intervals[t.stat]
            ok = np.isfinite(mi)  # intervals without any call have no rate to judge
            if not ok.any():
                out.append(Judgement(t, "met", math.nan, math.nan, math.nan, 0, "no calls"))
                continue
            vs = verdicts(mi, sei, ni, t.limit, t.higher_is_better, c)
            los, his = bounds(mi, sei, ni, c)
            bound = los if t.higher_is_better else his
            score = np.where(ok, t.slack(np.where(np.isfinite(bound), bound, mi)), np.inf)
            i = int(np.argmin(score))
            counts = {v: int(((vs == v) & ok).sum()) for v in VERDICTS}
            out.append(
                Judgement(
                    t,
                    worst(vs[ok]),
                    float(mi[i]),
                    float(los[i]),
                    float(his[i]),
                    int(np.asarray(ni)[i]) if np.ndim(ni) else int(ni),
                    labels[i],
                    i,
                    counts,
                )
            )
        return out

    def judge_model(
        self,
        model,
        day: dict[str, tuple[float, float, int]],
        intervals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
        confidence: float | None = None,
    ) -> list[Judgement]:
        """`judge_arrays` with (mean, se, n) arrays over all the model's intervals: only
        the measured ones are judged, and the worst is named in the model's numbering."""
        meas = np.flatnonzero(model.measured)
        labels = [model.interval_label(int(i)) for i in meas]
        ints = {s: (v[0][meas], v[1][meas], np.asarray(v[2])[meas]) for s, v in intervals.items()}
        judged = self.judge_arrays(day, ints, labels, confidence)
        for j in judged:
            if j.interval is not None:
                j.interval = int(meas[j.interval])
        return judged

    def judge(self, res: Measured, confidence: float | None = None) -> list[Judgement]:
        """Judge a simulation result (its day summary and its measured intervals)."""
        day = {s: _mse(res.summary[s]) for s in ("service_level", "abandon_rate", "asa")}
        ints = interval_arrays(res, ("service_level", "abandon_rate"))
        return self.judge_model(res.model, day, ints, confidence)


def _mse(e: Estimate) -> tuple[float, float, int]:
    return e.mean, e.se, e.n


def interval_arrays(res: Measured, stats) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(mean, se, n) arrays over all intervals of a simulation result, per statistic."""
    out = {}
    for s in stats:
        rows = [_mse(row[s]) for row in res.intervals]
        m, se, n = (np.array([r[j] for r in rows], dtype=float) for j in range(3))
        out[s] = (m, se, n)
    return out


def overall(judged: list[Judgement]) -> str:
    """The plan's verdict: the worst over its targets ('met' if it has none)."""
    return worst(j.verdict for j in judged)


def sample_stats(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard error and count of the finite values along `axis` (vectorised)."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    n = ok.sum(axis=axis)
    xs = np.where(ok, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = xs.sum(axis=axis) / n
        dev = np.where(ok, x - np.expand_dims(m, axis), 0.0)
        var = (dev**2).sum(axis=axis) / (n - 1)
        se = np.sqrt(var / n)
    m = np.where(n > 0, m, np.nan)
    se = np.where(n > 1, se, np.nan)
    return m, se, n


def verdict_rule_text(confidence: float) -> str:
    return (
        f"met: the target holds with {confidence:.0%} confidence (one-sided Student-t bound "
        f"of the mean on the right side); missed: it fails with {confidence:.0%} confidence; "
        f"borderline: neither (more replications would decide)"
    )
