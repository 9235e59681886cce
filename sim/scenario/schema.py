"""The scenario file format, as pydantic models. Field names are the ones planners write.

Validation here is per field; checks that need the whole scenario (list lengths against
the number of intervals, thresholds for known segments, stability) live in `model.py`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .distributions import Deterministic, DistSpec, Duration
from .units import parse_calls, parse_clock, parse_rate, parse_run_length

Rate = Annotated[float, BeforeValidator(parse_rate)]
RunLength = Annotated[float, BeforeValidator(parse_run_length)]
Clock = Annotated[float, BeforeValidator(parse_clock)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0, le=1e12)]
# ranges a real center stays far inside: a larger number is a typo (docs/scenarios.md)
MAX_AGENTS = 100_000
MAX_VOLUME = 10_000_000  # calls in one interval
Agents = Annotated[int, Field(ge=0, le=MAX_AGENTS)]
Volume = Annotated[float, Field(ge=0.0, le=MAX_VOLUME)]

SL_CONVENTIONS = ("exclude_short_abandons", "offered", "answered", "short_abandons_good")


def _none_word(value: object) -> object:
    """`patience: none` (or null) means callers never hang up."""
    if isinstance(value, str) and value.strip().lower() in ("none", "never", "inf"):
        return None
    return value


class _Model(BaseModel):
    # NaN and infinity are refused everywhere: they pass `>= 0` checks and poison a run
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SteadyState(_Model):
    warmup: RunLength = Field(ge=0)
    length: RunLength = Field(gt=0)
    batches: int = Field(default=10, ge=2, le=1000)


class Horizon(_Model):
    start: Clock = 0.0
    end: Clock | None = None  # instead of `intervals`: the day from start to end
    interval: Duration | None = Field(default=None, gt=0)
    intervals: int | None = Field(default=None, ge=1, le=10_000)
    steady_state: SteadyState | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> Horizon:
        if self.end is not None:
            if self.interval is None:
                raise ValueError("'end' needs 'interval' (e.g. 30min)")
            span = self.end - self.start
            n = span / self.interval
            if span <= 0 or abs(n - round(n)) > 1e-9:
                raise ValueError(
                    f"from start to end is {span / 60:g} min: not a positive whole number of "
                    f"{self.interval / 60:g}-min intervals"
                )
            if self.intervals is not None and self.intervals != round(n):
                raise ValueError(
                    f"'intervals' ({self.intervals}) and start to end ({round(n)}) disagree"
                )
            self.intervals = round(n)
        day = self.interval is not None or self.intervals is not None
        if day and self.steady_state is not None:
            raise ValueError(
                "give either 'interval' and 'intervals' (day mode) or 'steady_state', not both"
            )
        if self.steady_state is None and (self.interval is None or self.intervals is None):
            raise ValueError(
                "day mode needs both 'interval' (e.g. 30min) and 'intervals' (a count)"
            )
        return self


class AcceptDecay(_Model):
    """p(w) = accept x 2^(-w / half_life): a caller who waited buys less."""

    half_life: Duration = Field(gt=0)


class CrossSell(_Model):
    eligible: Probability = 1.0
    accept: Probability | None = None  # p at no wait; with accept_by_wait, its first point
    # acceptance that falls with the caller's wait in queue (one of the two, or neither)
    accept_decay: AcceptDecay | None = None
    accept_by_wait: list[tuple[Duration, Probability]] | None = Field(default=None, min_length=1)
    revenue: NonNegative
    offer_time: DistSpec = Deterministic(dist="deterministic", value=0.0)
    close_time: DistSpec | None = None
    decline_cost: NonNegative = 0.0

    @model_validator(mode="after")
    def _acceptance(self) -> CrossSell:
        if self.accept_decay is not None and self.accept_by_wait is not None:
            raise ValueError("give accept_decay or accept_by_wait, not both")
        if self.accept_by_wait is not None:
            waits = [w for w, _ in self.accept_by_wait]
            if any(b <= a for a, b in zip(waits, waits[1:], strict=False)):
                raise ValueError(
                    "accept_by_wait: the waits must increase ([[0s, 0.3], [1min, 0.2]])"
                )
            if any(w < 0 for w in waits):
                raise ValueError("accept_by_wait: a wait cannot be negative")
            if self.accept is None:
                self.accept = self.accept_by_wait[0][1]
        if self.accept is None:
            raise ValueError("'accept' is required (the share of offers accepted)")
        return self


class CustomerValue(_Model):
    """The customer beyond today's call (sim/customer_value.py): the long-run value of one
    customer and how each experience raises the chance that the customer is lost."""

    value: NonNegative  # long-run value of one customer, in the scenario's currency
    # below 1: a certain loss per minute would make a zero wait undefined (0 x ln 0)
    lost_per_minute_waited: float = Field(default=0.0, ge=0.0, lt=1.0)
    lost_if_abandoned: Probability = 0.0
    lost_per_declined_offer: Probability = 0.0


class Segment(_Model):
    volume: Volume | list[Volume] | None = None
    rate: Rate | list[Rate] | None = None
    share: Probability | None = None
    handle_time: DistSpec
    patience: Annotated[DistSpec | None, BeforeValidator(_none_word)] = None
    priority: int = 0
    cross_sell: CrossSell | None = None
    # the base handle time grows by this much per minute the caller waited (field data:
    # up to 21 s per minute past the announced delay); default none
    handle_per_minute_waited: Duration = Field(default=0.0, ge=0.0, le=3600.0)
    customer_value: CustomerValue | None = None

    @model_validator(mode="after")
    def _one_volume(self) -> Segment:
        given = [k for k in ("volume", "rate", "share") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'volume' (calls per interval), 'rate' (e.g. 120/h) "
                f"or 'share' (of forecast.total); got {given or 'none'}"
            )
        rates = (
            self.rate
            if isinstance(self.rate, list)
            else [self.rate]
            if self.rate is not None
            else []
        )
        if any(r < 0 for r in rates):
            raise ValueError("a rate must not be negative")
        return self


class Forecast(_Model):
    total: Volume | list[Volume] | None = None
    rate: Rate | list[Rate] | None = None
    uncertainty_cv: float = Field(default=0.0, ge=0.0, le=5.0)


MAX_THRESHOLD = 1_000_000
ThresholdEntry = (
    Annotated[int, Field(ge=-MAX_THRESHOLD, le=MAX_THRESHOLD)] | Literal["never", "always"]
)


MaxWaitEntry = Annotated[Duration | None, BeforeValidator(_none_word)]


class ThresholdPolicy(_Model):
    """Offer iff the queue is short enough (threshold) and, with max_wait, the caller
    waited at most that long; each a value or one per interval."""

    threshold: ThresholdEntry | list[ThresholdEntry] = "always"
    # per interval, `none` is no limit in that interval
    max_wait: MaxWaitEntry | list[MaxWaitEntry] = None

    @model_validator(mode="after")
    def _something(self) -> ThresholdPolicy:
        if "threshold" not in self.model_fields_set and self.max_wait is None:
            raise ValueError("give 'threshold', 'max_wait' or both")
        waits = self.max_wait if isinstance(self.max_wait, list) else [self.max_wait]
        if any(w is not None and w < 0 for w in waits):
            raise ValueError("max_wait cannot be negative")
        return self


SegmentPolicy = Literal["never", "always"] | ThresholdPolicy


class Policy(_Model):
    cross_sell: Literal["never", "always"] | dict[str, SegmentPolicy] = "never"


Shrinkage = Annotated[float, Field(ge=0.0, lt=1.0)]


class Costs(_Model):
    currency: str = Field(default="", max_length=12)  # shown with every amount: "EUR", "$"
    agent_per_hour: NonNegative = 0.0
    # one share for the day, or one per interval (breaks, meetings and training vary)
    shrinkage: Shrinkage | list[Shrinkage] = 0.0
    abandoned_call: NonNegative = 0.0


class ServiceLevelTarget(_Model):
    within: Duration = Field(gt=0)
    # below 1: in a queue some callers always wait longer than T, so 100% is never met
    fraction: float = Field(default=0.8, ge=0.0, lt=1.0)
    per: Literal["interval", "day"] = "day"
    convention: Literal[SL_CONVENTIONS] = "exclude_short_abandons"  # type: ignore[valid-type]
    floor: Probability | None = None  # with per: day, no interval may fall below this

    @model_validator(mode="after")
    def _floor(self) -> ServiceLevelTarget:
        if self.floor is not None and self.per == "interval":
            raise ValueError("'floor' protects intervals under a day target: use it with per: day")
        if self.floor is not None and self.floor > self.fraction:
            raise ValueError("'floor' must not be above 'fraction' (the day target)")
        return self


class Targets(_Model):
    service_level: ServiceLevelTarget | None = None
    max_abandon_rate: Probability | None = None
    max_abandon_rate_interval: Probability | None = None  # the same cap in every interval
    max_asa: Duration | None = Field(default=None, ge=0)
    # a target is "met" when it holds with this confidence (one-sided, on the mean)
    confidence: float = Field(default=0.95, ge=0.5, lt=1.0)


class Satisfaction(_Model):
    """A satisfied caller: answered within `answered_within` and, if offered the product,
    waited at most `no_pitch_after` (both assumptions to set per center)."""

    answered_within: Duration = Field(default=60.0, gt=0)
    no_pitch_after: Duration = Field(default=30.0, ge=0)


class Simulation(_Model):
    replications: int = Field(default=20, ge=1, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    engine: Literal["fast", "simpy"] = "fast"


class StaffingBounds(_Model):
    min: int = Field(default=0, ge=0, le=MAX_AGENTS)
    max: int | None = Field(default=None, ge=1, le=MAX_AGENTS)
    max_change: int | None = Field(default=None, ge=1)


class ThresholdRange(_Model):
    min: int = Field(default=-3, ge=-1000, le=1000)
    max: int = Field(default=8, ge=-1000, le=1000)
    per_interval: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdRange:
        if self.max < self.min:
            raise ValueError("max must not be below min")
        return self


class OptimizerSettings(_Model):
    staffing: StaffingBounds = StaffingBounds()
    thresholds: ThresholdRange = ThresholdRange()
    replications: int | None = Field(default=None, ge=2, le=10_000)
    confirm_replications: int | None = Field(default=None, ge=2, le=100_000)
    time_limit: Duration | None = Field(default=None, gt=0)
    # the search's work: simulated calls ("200M"), default from the scenario's size
    budget: Annotated[float | None, BeforeValidator(parse_calls)] = None
    # what the search maximises: today's profit, or profit less customer value at risk
    objective: Literal["profit", "long_run_profit"] = "profit"


class ShiftBreak(_Model):
    """A break the scheduler places inside `within` (offsets from the shift's start)."""

    length: Duration = Field(gt=0)
    within: tuple[Duration, Duration]
    paid: bool = True

    @model_validator(mode="after")
    def _fits(self) -> ShiftBreak:
        a, b = self.within
        if b - a < self.length:
            raise ValueError(
                f"the window {a / 60:g}-{b / 60:g} min is shorter than the break "
                f"({self.length / 60:g} min)"
            )
        return self


class ShiftStarts(_Model):
    earliest: Clock
    latest: Clock

    @model_validator(mode="after")
    def _ordered(self) -> ShiftStarts:
        if self.latest < self.earliest:
            raise ValueError("'latest' must not be before 'earliest'")
        return self


class ShiftTemplate(_Model):
    length: Duration = Field(gt=0)  # attendance, start to end, breaks included
    starts: ShiftStarts
    breaks: list[ShiftBreak] = Field(default_factory=list)
    cost_per_hour: NonNegative | None = None  # default: costs.agent_per_hour
    max_agents: Agents | None = None
    min_agents: Agents = 0


class Shifts(_Model):
    # 1 to 60 min: a roster on a finer grid is no plan a center runs, and its MIP grows
    # with 1/grid squared (a 1 s grid: hundreds of millions of variables)
    grid: Duration = Field(default=900.0, ge=60.0, le=3600.0)
    templates: dict[str, ShiftTemplate] = Field(min_length=1)


class RosterRow(_Model):
    """Agents who work one shift: a template, a start, and their breaks ('12:00-12:30')."""

    template: str
    start: Clock
    breaks: list[str] = Field(default_factory=list)
    agents: int = Field(ge=1, le=MAX_AGENTS)


Change = float | str  # a factor: 1.1, "x1.1", "+10%", "-5%"


class Alternative(_Model):
    """A plan or a what-if to compare with the scenario's own: overrides of staffing and
    policy, and of the day's conditions (volumes, handle times, patience, shrinkage,
    accept rates, revenue)."""

    description: str | None = None
    staffing: Agents | list[Agents] | str | None = None
    policy: Policy | None = None
    volume: Change | list[Volume] | None = None  # a change of every segment, or day totals
    handle_time: Change | None = None
    patience: Change | None = None
    shrinkage: float | None = Field(default=None, ge=0.0, lt=1.0)
    accept: Change | None = None
    revenue: Change | None = None


class Scenario(_Model):
    name: str = "Unnamed scenario"
    description: str | None = None
    horizon: Horizon
    forecast: Forecast | None = None
    segments: dict[str, Segment] = Field(min_length=1)
    staffing: Agents | list[Agents] | None = None  # or a roster (below)
    shifts: Shifts | None = None
    roster: list[RosterRow] | None = None
    policy: Policy = Policy()
    costs: Costs = Costs()
    targets: Targets = Targets()
    satisfaction: Satisfaction = Satisfaction()
    simulation: Simulation = Simulation()
    optimizer: OptimizerSettings = OptimizerSettings()
    alternatives: dict[str, Alternative] = Field(default_factory=dict)
