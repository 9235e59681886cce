"""The compiled model: a validated scenario turned into arrays the engines read.

Everything is in seconds and per second. A steady-state scenario becomes a "day" whose
first interval is the warm-up (not measured) followed by equal batches of the
measurement window, so both modes share one engine and one statistics layout.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .customer_value import (
    NO_PITCH_AFTER,
    SATISFIED_WITHIN,
    CustomerValue,
    no_customer_value,
)
from .distributions import Sampler
from .roster import Roster, ShiftSet
from .schema import Scenario
from .targets import Targets
from .units import format_clock
from .wait_effects import WaitEffects, neutral

MAX_CALLS_PER_REPLICATION = 200_000_000


def gross_up(on_phones, shrinkage: float | np.ndarray):
    """Paid agents (or cost) for agents on the phones: on_phones / (1 - shrinkage). The
    shrinkage gross-up is written here only; every cost in ccsim goes through it."""
    return on_phones / (1.0 - shrinkage)


# Threshold sentinels: offer iff Y - n <= K. Y - n >= -n, so NEVER is never met.
NEVER = -(2**40)
ALWAYS = 2**40


@dataclass(frozen=True)
class OptimizerConfig:
    """The scenario's `optimizer:` section, compiled: the search's bounds and budget
    (None = the optimizer's own default). Change it with `dataclasses.replace`."""

    staffing_min: int = 0
    staffing_max: int | None = None
    max_change: int | None = None
    threshold_min: int = -3
    threshold_max: int = 8
    per_interval: bool = False
    replications: int | None = None
    confirm_replications: int | None = None
    time_limit: float | None = None
    objective: str = "profit"  # or "long_run_profit": profit - customer value at risk
    budget: float | None = None  # simulated calls the search may spend (None: from the size)

    @classmethod
    def from_spec(cls, o) -> OptimizerConfig:
        return cls(
            o.staffing.min,
            o.staffing.max,
            o.staffing.max_change,
            o.thresholds.min,
            o.thresholds.max,
            o.thresholds.per_interval,
            o.replications,
            o.confirm_replications,
            o.time_limit,
            o.objective,
            o.budget,
        )


@dataclass
class Model:
    """A scenario ready to simulate. Arrays are indexed [interval] or [interval, segment]."""

    name: str
    steady: bool
    clock_start: float
    boundaries: np.ndarray  # (T+1,) seconds from the horizon start
    measured: np.ndarray  # (T,) bool: counted in the summary
    rates: np.ndarray  # (T, K) arrivals per second
    staffing: np.ndarray  # (T * steps_per_interval,) int64: agents on the phones per step
    thresholds: np.ndarray  # (T, K) int64, NEVER / ALWAYS sentinels
    segments: list[str]
    priority: np.ndarray  # (K,) int64 rank: 0 is served first
    eligible: np.ndarray  # (K,)
    accept: np.ndarray
    revenue: np.ndarray
    decline_cost: np.ndarray
    handle: list[Sampler]
    patience: list[Sampler]
    offer: list[Sampler]
    close: list[Sampler]
    forecast_cv: float = 0.0
    # (T, K) whole numbers of callers per interval and segment, replayed exactly in every
    # replication (times uniform in the interval: the Poisson day given its counts; no
    # forecast multiplier); `rates` must be counts / interval length, for the analytic
    # models. None: Poisson arrivals at `rates` (the scenario's forecast)
    arrival_counts: np.ndarray | None = None
    agent_cost_per_hour: float = 0.0
    shrinkage: float | np.ndarray = 0.0  # the day's share, or (T,) one per interval
    abandon_cost: float = 0.0
    currency: str = ""
    sl_within: float = 20.0
    sl_convention: str = "exclude_short_abandons"
    replications: int = 20
    seed: int = 0
    engine: str = "fast"
    targets: Targets = field(default_factory=Targets)  # the scenario's service targets
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)  # search settings
    # staffing may change inside an interval (a roster on a finer grid): steps of equal
    # length, `steps_per_interval` of them in each interval
    steps_per_interval: int = 1
    shifts: ShiftSet | None = None  # the scenario's shift templates, if any
    roster: Roster | None = None  # when set, staffing is its agents on the phones
    # a what-if on a roster ("+2 agents"): agents per step on the phones beyond (or, when
    # negative, short of) the roster's, paid at the agent cost for the time they add
    extra_staffing: np.ndarray | None = None
    # callers who react to waiting (sim/wait_effects.py); None: they do not
    wait_effects: WaitEffects | None = None
    max_wait: np.ndarray | None = None  # (T, K) seconds: offer only if waited at most this
    # the customer beyond today's call (sim/customer_value.py); None: not modelled
    customer_value: CustomerValue | None = None
    satisfied_within: float = SATISFIED_WITHIN  # satisfied: answered within this ...
    no_pitch_after: float = NO_PITCH_AFTER  # ... and not offered after waiting longer
    satisfaction_set: bool = False  # the scenario has a satisfaction section (shown then)
    scenario: Scenario | None = field(default=None, repr=False)
    source: str | None = None
    raw: dict | None = field(default=None, repr=False)  # the file's data, for writing plans

    @property
    def n_intervals(self) -> int:
        return len(self.boundaries) - 1

    @property
    def n_segments(self) -> int:
        return len(self.segments)

    @property
    def interval_lengths(self) -> np.ndarray:
        return np.diff(self.boundaries)

    @property
    def end(self) -> float:
        return float(self.boundaries[-1])

    def expected_calls(self) -> float:
        """Expected number of arrivals in one replication (before any forecast multiplier)."""
        return float((self.rates * self.interval_lengths[:, None]).sum())

    def interval_starts_clock(self) -> np.ndarray:
        """Interval starts as seconds after midnight (for labels)."""
        return self.clock_start + self.boundaries[:-1]

    def interval_label(self, t: int) -> str:
        """'08:30' in a day; 'warm-up' or 'batch 1', 'batch 2', ... in steady state."""
        if not self.steady:
            return format_clock(self.clock_start + self.boundaries[t])
        return "warm-up" if not self.measured[t] else f"batch {int(self.measured[: t + 1].sum())}"

    @property
    def step_bounds(self) -> np.ndarray:
        """Times at which staffing may change: the interval boundaries, each interval cut
        into `steps_per_interval` equal steps."""
        m = self.steps_per_interval
        if m == 1:
            return self.boundaries
        b = self.boundaries
        inner = b[:-1, None] + np.diff(b)[:, None] * np.arange(m)[None, :] / m
        return np.append(inner.ravel(), b[-1])

    def interval_staffing(self) -> np.ndarray:
        """Agents on the phones per interval (the mean over its steps: 42.5 when a quarter
        of an hour has 42 and the next 43)."""
        m = self.steps_per_interval
        return self.staffing.reshape(self.n_intervals, m).mean(axis=1)

    def _per_interval_sum(self, per_step: np.ndarray) -> np.ndarray:
        return per_step.reshape(self.n_intervals, self.steps_per_interval).sum(axis=1)

    def paid_hours(self) -> np.ndarray:
        """Paid agent-hours per interval, grossed up by shrinkage: staffing x length, or
        with a roster its agents present and paid (paid breaks in, unpaid ones out)."""
        if self.roster is not None and self.shifts is not None:
            n = len(self.staffing)
            paid = self.roster.paid_present(self.shifts, n) + self._extra_steps()
            hours = self._per_interval_sum(paid * self.shifts.grid / 3600.0)
        else:
            step = np.diff(self.step_bounds)
            hours = self._per_interval_sum(self.staffing * step / 3600.0)
        return gross_up(hours, self.shrinkage)

    def _extra_steps(self) -> np.ndarray:
        if self.extra_staffing is None:
            return np.zeros(len(self.staffing))
        return np.asarray(self.extra_staffing, np.float64)

    def staffing_cost(self) -> np.ndarray:
        """Staffing cost per interval: paid hours at the agent cost, or with a roster each
        template's paid hours at its own rate; grossed up by shrinkage."""
        if self.roster is not None and self.shifts is not None:
            cost = self.roster.cost_by_step(self.shifts, len(self.staffing))
            cost = cost + self._extra_steps() * self.shifts.grid / 3600.0 * self.agent_cost_per_hour
            return gross_up(self._per_interval_sum(cost), self.shrinkage)
        return self.paid_hours() * self.agent_cost_per_hour

    @property
    def cost_per_phone_hour(self) -> float:
        """What one agent on the phones for an hour costs, shrinkage included (with
        shrinkage per interval, the mean over the intervals: the analytic models' rate)."""
        return float(np.mean(gross_up(self.agent_cost_per_hour, self.shrinkage)))

    def shrinkage_at(self, t: int) -> float:
        """Shrinkage of interval t."""
        s = np.asarray(self.shrinkage, float)
        return float(s if s.ndim == 0 else s[t])

    def offer_work(self) -> np.ndarray:
        """Expected extra agent time of one offer, by segment: offer + accept x close."""
        return np.array(
            [
                o.mean + a * c.mean
                for o, a, c in zip(self.offer, self.accept, self.close, strict=True)
            ]
        )

    def cross_sell_work(self) -> np.ndarray:
        """Expected extra agent time per caller when every eligible caller is offered."""
        return self.eligible * self.offer_work()

    def with_plan(
        self,
        staffing: np.ndarray | None = None,
        thresholds: np.ndarray | None = None,
        keep_roster: bool = False,
        max_wait: np.ndarray | None = None,
    ) -> Model:
        """A copy with another staffing (per interval, or per step of a finer grid) or
        policy; the customer stream is unchanged. New staffing replaces a roster, unless
        `keep_roster` (a change of the roster's staffing, on its grid: the roster stays
        and the agents added or removed are costed at the agent rate)."""

        changes: dict = {}
        if staffing is not None:
            s = np.asarray(staffing, np.int64).copy()
            if len(s) % self.n_intervals:
                raise ValueError(f"{len(s)} staffing steps for {self.n_intervals} intervals")
            keep = keep_roster and self.roster is not None and len(s) == len(self.staffing)
            base = self.staffing - (0 if self.extra_staffing is None else self.extra_staffing)
            changes = {
                "staffing": s,
                "steps_per_interval": len(s) // self.n_intervals,
                "roster": self.roster if keep else None,
                "extra_staffing": (s - base) if keep else None,
            }
        if thresholds is not None:
            changes["thresholds"] = np.asarray(thresholds, np.int64).copy()
        if max_wait is not None:
            mw = np.asarray(max_wait, np.float64).copy()
            changes["max_wait"] = None if np.isinf(mw).all() else mw
        return dataclasses.replace(self, **changes)

    def effects(self) -> WaitEffects:
        """The wait effects the engines use, at this model's accept rates (a what-if may
        have scaled them)."""

        base = self.wait_effects or neutral(self.accept)
        return dataclasses.replace(base, accept_base=np.asarray(self.accept, np.float64))

    def customer(self) -> CustomerValue:
        """The customer-value model the engines use (value 0 where none is given)."""
        return self.customer_value or no_customer_value(self.n_segments)

    def max_wait_table(self) -> np.ndarray:
        """(T, K) max_wait in seconds, inf where the policy sets none."""
        if self.max_wait is None:
            return np.full((self.n_intervals, self.n_segments), np.inf)
        return self.max_wait

    def makes_offers(self) -> bool:
        """Does the policy offer anything (an eligible segment not set to never)?"""
        return bool(((self.thresholds > NEVER) & (self.eligible > 0)[None, :]).any())

    def without_offers(self) -> Model:
        """The same plan (staffing or roster) with every offer switched off."""
        return self.with_plan(thresholds=np.full_like(self.thresholds, NEVER))

    def with_roster(self, roster: Roster, thresholds: np.ndarray | None = None) -> Model:
        """A copy staffed by `roster` (on the scenario's shift grid)."""

        if self.shifts is None:
            raise ValueError("the scenario has no shift templates")
        m = round(float(self.interval_lengths[0]) / self.shifts.grid)
        out = dataclasses.replace(
            self,
            staffing=roster.on_phones(self.shifts, self.n_intervals * m),
            steps_per_interval=m,
            roster=roster,
            extra_staffing=None,
        )
        return (
            out
            if thresholds is None
            else dataclasses.replace(out, thresholds=np.asarray(thresholds, np.int64).copy())
        )
