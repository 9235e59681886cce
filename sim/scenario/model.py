"""The compiled model: a validated scenario turned into arrays the engines read.

Everything is in seconds and per second. A steady-state scenario becomes a "day" whose
first interval is the warm-up (not measured) followed by equal batches of the
measurement window, so both modes share one engine and one statistics layout.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..targets import Targets
from .customer_value import (
    NO_PITCH_AFTER,
    SATISFIED_WITHIN,
    CustomerValue,
    compile_customer_value,
    no_customer_value,
)
from .distributions import ZERO, Sampler, make_sampler
from .errors import ScenarioError
from .roster import Roster, ShiftSet, compile_roster, compile_shifts
from .schema import Scenario, ThresholdPolicy
from .units import format_clock
from .wait_effects import WaitEffects, compile_max_wait, compile_wait_effects, neutral

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
        import dataclasses

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
        import dataclasses

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
        import dataclasses

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


def _per_interval(value, n: int, path: str, file: str | None, scale: float = 1.0) -> np.ndarray:
    if isinstance(value, list):
        if len(value) != n:
            raise ScenarioError(
                f"has {len(value)} values but the horizon has {n} intervals", file=file, path=path
            )
        return np.asarray(value, dtype=np.float64) * scale
    return np.full(n, float(value) * scale)


def compile_scenario(sc: Scenario, file: str | None = None, base_dir: Path | None = None) -> Model:
    """Turn a validated scenario into a Model; raises ScenarioError on whole-file problems."""
    names = list(sc.segments)
    K = len(names)
    hz = sc.horizon
    steady = hz.steady_state is not None
    if steady:
        ss = hz.steady_state
        assert ss is not None
        batch = ss.length / ss.batches
        pieces = [0.0, ss.warmup] if ss.warmup > 0 else [0.0]
        bounds = pieces + [pieces[-1] + batch * (i + 1) for i in range(ss.batches)]
        boundaries = np.asarray(bounds, dtype=np.float64)
        T = len(boundaries) - 1
        measured = np.ones(T, dtype=bool)
        if ss.warmup > 0:
            measured[0] = False
        L = None
    else:
        assert hz.interval is not None and hz.intervals is not None
        T = hz.intervals
        L = hz.interval
        boundaries = np.arange(T + 1, dtype=np.float64) * L
        measured = np.ones(T, dtype=bool)

    # --- arrival rates -------------------------------------------------------------
    def rate_array(rate, count, path: str, count_key: str) -> np.ndarray | None:
        """Rates per second from `rate` (per unit of time) or `count` (calls per interval)."""
        if rate is not None:
            if steady and isinstance(rate, list):
                raise ScenarioError(
                    "a steady-state scenario takes one rate, not a list",
                    file=file,
                    path=f"{path}.rate",
                )
            return _per_interval(rate, T, f"{path}.rate", file)
        if count is not None:
            if steady:
                raise ScenarioError(
                    f"a steady-state scenario needs 'rate' (e.g. 120/h), not '{count_key}'",
                    file=file,
                    path=f"{path}.{count_key}",
                )
            assert L is not None  # a day horizon: steady state was refused above
            return _per_interval(count, T, f"{path}.{count_key}", file, 1.0 / L)
        return None

    fc = sc.forecast
    total = rate_array(fc.rate, fc.total, "forecast", "total") if fc is not None else None
    rates = np.zeros((T, K))
    shares = []
    for k, (name, seg) in enumerate(sc.segments.items()):
        path = f"segments.{name}"
        if seg.share is not None:
            if total is None:
                raise ScenarioError(
                    "'share' needs forecast.total (calls per interval) or forecast.rate",
                    file=file,
                    path=f"{path}.share",
                )
            rates[:, k] = seg.share * total
            shares.append(seg.share)
        else:
            r = rate_array(seg.rate, seg.volume, path, "volume")
            assert r is not None
            rates[:, k] = r
    if shares and abs(sum(shares) - 1.0) > 1e-6 and len(shares) == K:
        raise ScenarioError(
            f"segment shares add up to {sum(shares):g}, not 1", file=file, path="segments"
        )
    if steady:
        rates[:] = rates[-1]

    # --- staffing ------------------------------------------------------------------
    if isinstance(sc.staffing, list) and steady:
        raise ScenarioError(
            "a steady-state scenario takes one staffing number", file=file, path="staffing"
        )
    shifts = roster = None
    steps = 1
    if sc.shifts is not None:
        if steady:
            raise ScenarioError(
                "shifts need a day horizon (interval and intervals)", file=file, path="shifts"
            )
        assert L is not None
        shifts = compile_shifts(sc.shifts, hz.start, T * L, L, sc.costs.agent_per_hour, file)
    if sc.roster is not None:
        if shifts is None:
            raise ScenarioError(
                "a roster needs the shift templates: add a 'shifts:' section",
                file=file,
                path="roster",
            )
        if sc.staffing is not None:
            raise ScenarioError(
                "give either 'staffing' or a 'roster', not both", file=file, path="staffing"
            )
        roster = compile_roster(sc.roster, shifts, file)
        assert L is not None  # compile_shifts refuses a steady-state horizon
        steps = round(L / shifts.grid)
        staffing = roster.on_phones(shifts, T * steps)
    elif sc.staffing is None:
        raise ScenarioError(
            "required field is missing: give 'staffing' (agents per interval) or a 'roster'",
            file=file,
            path="staffing",
        )
    else:
        staffing = _per_interval(sc.staffing, T, "staffing", file).astype(np.int64)

    # --- policy --------------------------------------------------------------------
    thresholds = compile_policy(sc.policy, sc, T, file)
    max_wait = compile_max_wait(sc.policy, sc.segments, T, file, "policy")

    # --- segments ------------------------------------------------------------------
    def prob(attr: str, default: float) -> np.ndarray:
        return np.asarray(
            [
                getattr(s.cross_sell, attr) if s.cross_sell else default
                for s in sc.segments.values()
            ],
            dtype=np.float64,
        )

    def sampler(spec, path: str):
        try:
            return make_sampler(spec, base_dir)
        except ValueError as exc:  # e.g. an empirical CSV: name the segment and the field
            raise ScenarioError(str(exc), file=file, path=path) from None

    handle, patience, offer, close = [], [], [], []
    for name, s in sc.segments.items():
        handle.append(sampler(s.handle_time, f"segments.{name}.handle_time"))
        patience.append(sampler(s.patience, f"segments.{name}.patience"))
        cs = s.cross_sell
        offer.append(
            sampler(cs.offer_time, f"segments.{name}.cross_sell.offer_time") if cs else ZERO
        )
        close.append(
            sampler(cs.close_time, f"segments.{name}.cross_sell.close_time")
            if cs and cs.close_time
            else ZERO
        )
    prios = np.asarray([s.priority for s in sc.segments.values()])
    levels = sorted(set(prios.tolist()), reverse=True)  # higher number is served first
    priority = np.asarray([levels.index(p) for p in prios], dtype=np.int64)

    sl = sc.targets.service_level
    model = Model(
        name=sc.name,
        steady=steady,
        clock_start=hz.start,
        boundaries=boundaries,
        measured=measured,
        rates=rates,
        staffing=staffing,
        thresholds=thresholds,
        segments=names,
        priority=priority,
        eligible=prob("eligible", 0.0),
        accept=prob("accept", 0.0),
        revenue=prob("revenue", 0.0),
        decline_cost=prob("decline_cost", 0.0),
        handle=handle,
        patience=patience,
        offer=offer,
        close=close,
        forecast_cv=sc.forecast.uncertainty_cv if sc.forecast else 0.0,
        agent_cost_per_hour=sc.costs.agent_per_hour,
        shrinkage=_shrinkage(sc.costs.shrinkage, T, steady, file),
        abandon_cost=sc.costs.abandoned_call,
        currency=sc.costs.currency,
        sl_within=sl.within if sl else 20.0,
        sl_convention=sl.convention if sl else "exclude_short_abandons",
        replications=sc.simulation.replications,
        seed=sc.simulation.seed,
        engine=sc.simulation.engine,
        targets=Targets.from_spec(sc.targets, sl.within if sl else 20.0),
        optimizer=OptimizerConfig.from_spec(sc.optimizer),
        steps_per_interval=steps,
        shifts=shifts,
        roster=roster,
        scenario=sc,
        source=file,
    )
    effects = compile_wait_effects(sc.segments, model.accept)
    model = dataclasses.replace(
        model,
        wait_effects=effects if effects.active else None,
        max_wait=None if np.isinf(max_wait).all() else max_wait,
        customer_value=compile_customer_value(sc.segments),
        satisfied_within=sc.satisfaction.answered_within,
        no_pitch_after=sc.satisfaction.no_pitch_after,
        satisfaction_set="satisfaction" in sc.model_fields_set,
    )
    check_model(model, file)
    return model


def _shrinkage(value, T: int, steady: bool, file: str | None) -> float | np.ndarray:
    if not isinstance(value, list):
        return float(value)
    if steady:
        raise ScenarioError(
            "a steady-state scenario takes one shrinkage", file=file, path="costs.shrinkage"
        )
    return _per_interval(value, T, "costs.shrinkage", file)


def compile_policy(
    policy, sc: Scenario, T: int, file: str | None, prefix: str = "policy"
) -> np.ndarray:
    """Thresholds (T, K) of a policy section; `prefix` is its place in the file."""
    names = list(sc.segments)
    K = len(names)
    thresholds = np.full((T, K), NEVER, dtype=np.int64)
    cs = policy.cross_sell
    per_seg = {n: cs for n in names} if isinstance(cs, str) else cs
    for name, pol in per_seg.items():
        path = f"{prefix}.cross_sell.{name}"
        if name not in sc.segments:
            raise ScenarioError(
                f"unknown segment {name!r} (segments are: {', '.join(names)})", file=file, path=path
            )
        k = names.index(name)
        if pol != "never" and sc.segments[name].cross_sell is None:
            if isinstance(cs, str):
                continue  # 'always' for all: segments without a product are simply not offered
            raise ScenarioError(
                f"segment {name!r} has no cross_sell parameters to offer", file=file, path=path
            )
        if isinstance(pol, ThresholdPolicy):
            entries = pol.threshold if isinstance(pol.threshold, list) else [pol.threshold] * T
            if len(entries) != T:
                raise ScenarioError(
                    f"has {len(entries)} values but the horizon has {T} intervals",
                    file=file,
                    path=f"{path}.threshold",
                )
            thresholds[:, k] = [_threshold_value(e) for e in entries]
        else:
            thresholds[:, k] = _threshold_value(pol)
    return thresholds


def _threshold_value(entry) -> int:
    if entry == "never":
        return NEVER
    if entry == "always":
        return ALWAYS
    return int(entry)


def check_model(m: Model, file: str | None = None) -> None:
    """Whole-scenario checks: an empty day, callers who could wait forever, an unstable queue."""
    if m.expected_calls() <= 0:
        raise ScenarioError(
            "empty scenario: no calls arrive (all volumes and rates are zero)",
            file=file,
            path="segments",
        )
    # a day must fit in a run: the stream is drawn in chunks, but the time and the list of
    # chunk pieces grow with the calls (about 5 million calls a second on one core)
    calls = m.expected_calls() * (1.0 + 4.0 * m.forecast_cv)
    if calls > MAX_CALLS_PER_REPLICATION:
        raise ScenarioError(
            f"about {calls:,.0f} calls in one replication (at most "
            f"{MAX_CALLS_PER_REPLICATION:,.0f}): at ~5 million calls a second that is "
            f"{calls / 5e6 / 60:,.0f} minutes per replication; check the volumes, rates and "
            "the horizon",
            file=file,
            path="segments",
        )
    patient = np.array([p.kind == "none" for p in m.patience])
    if not m.steady and patient.any() and m.staffing[-1] == 0:
        seg = m.segments[int(np.argmax(patient))]
        raise ScenarioError(
            f"the day ends with 0 agents on the phones, so callers of segment {seg!r} (no "
            "patience) could never be answered",
            file=file,
            path="roster" if m.roster is not None else "staffing",
        )
    if m.steady:
        n = int(m.staffing[0])
        rate = m.rates[-1]
        work = np.array([h.mean for h in m.handle])
        extra = m.cross_sell_work()
        always = m.thresholds[-1] >= ALWAYS
        load_no_patience = float((rate * (work + np.where(always, extra, 0.0)))[patient].sum())
        if load_no_patience >= n and math.isfinite(load_no_patience):
            raise ScenarioError(
                f"unstable: callers who never abandon bring {load_no_patience:.2f} erlangs of work "
                f"to {n} agents; the queue would grow without bound (add agents or patience)",
                file=file,
                path="staffing",
            )
