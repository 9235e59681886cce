"""Compiling a validated scenario into the model the engines read: the horizon, the
arrival rates, staffing (numbers or a roster of shifts), the policy and every segment's
samplers, then the checks that need the whole model."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .customer_value import (
    compile_customer_value,
)
from .distributions import ZERO, Sampler, make_sampler
from .errors import ScenarioError
from .model import ALWAYS, MAX_CALLS_PER_REPLICATION, NEVER, Model, OptimizerConfig
from .roster import Roster, ShiftSet, compile_roster, compile_shifts
from .schema import Scenario, ThresholdPolicy
from .targets import Targets
from .wait_effects import compile_max_wait, compile_wait_effects


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
    h = _horizon(sc)
    rates = _rates(sc, h, file)
    staffing, steps, shifts, roster = _staffing(sc, h, file)
    handle, patience, offer, close = _samplers(sc, base_dir, file)
    prios = np.asarray([s.priority for s in sc.segments.values()])
    levels = sorted(set(prios.tolist()), reverse=True)  # higher number is served first

    def prob(attr: str, default: float) -> np.ndarray:
        return np.asarray(
            [
                getattr(s.cross_sell, attr) if s.cross_sell else default
                for s in sc.segments.values()
            ],
            dtype=np.float64,
        )

    sl = sc.targets.service_level
    model = Model(
        name=sc.name,
        steady=h.steady,
        clock_start=sc.horizon.start,
        boundaries=h.boundaries,
        measured=h.measured,
        rates=rates,
        staffing=staffing,
        thresholds=compile_policy(sc.policy, sc, h.T, file),
        segments=list(sc.segments),
        priority=np.asarray([levels.index(p) for p in prios], dtype=np.int64),
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
        shrinkage=_shrinkage(sc.costs.shrinkage, h.T, h.steady, file),
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
    max_wait = compile_max_wait(sc.policy, sc.segments, h.T, file, "policy")
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


@dataclass(frozen=True)
class _Horizon:
    """The day's intervals (or a steady-state run's warm-up and batches)."""

    steady: bool
    T: int  # intervals
    L: float | None  # interval length, seconds (None: steady state)
    boundaries: np.ndarray  # (T+1,) seconds from the horizon start
    measured: np.ndarray  # (T,) bool


def _horizon(sc: Scenario) -> _Horizon:
    """A steady-state run becomes a "day": the warm-up (not measured), then equal batches."""
    hz = sc.horizon
    if hz.steady_state is not None:
        ss = hz.steady_state
        batch = ss.length / ss.batches
        pieces = [0.0, ss.warmup] if ss.warmup > 0 else [0.0]
        bounds = pieces + [pieces[-1] + batch * (i + 1) for i in range(ss.batches)]
        boundaries = np.asarray(bounds, dtype=np.float64)
        T = len(boundaries) - 1
        measured = np.ones(T, dtype=bool)
        if ss.warmup > 0:
            measured[0] = False
        return _Horizon(True, T, None, boundaries, measured)
    assert hz.interval is not None and hz.intervals is not None
    T = hz.intervals
    boundaries = np.arange(T + 1, dtype=np.float64) * hz.interval
    return _Horizon(False, T, hz.interval, boundaries, np.ones(T, dtype=bool))


def _rate_array(rate, count, path: str, count_key: str, h: _Horizon, file: str | None):
    """Rates per second from `rate` (per unit of time) or `count` (calls per interval)."""
    if rate is not None:
        if h.steady and isinstance(rate, list):
            raise ScenarioError(
                "a steady-state scenario takes one rate, not a list", file=file, path=f"{path}.rate"
            )
        return _per_interval(rate, h.T, f"{path}.rate", file)
    if count is not None:
        if h.steady:
            raise ScenarioError(
                f"a steady-state scenario needs 'rate' (e.g. 120/h), not '{count_key}'",
                file=file,
                path=f"{path}.{count_key}",
            )
        assert h.L is not None  # a day horizon: steady state was refused above
        return _per_interval(count, h.T, f"{path}.{count_key}", file, 1.0 / h.L)
    return None


def _rates(sc: Scenario, h: _Horizon, file: str | None) -> np.ndarray:
    """(T, K) arrivals per second: each segment's own, or its share of the forecast."""
    fc = sc.forecast
    total = _rate_array(fc.rate, fc.total, "forecast", "total", h, file) if fc else None
    rates = np.zeros((h.T, len(sc.segments)))
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
            r = _rate_array(seg.rate, seg.volume, path, "volume", h, file)
            assert r is not None
            rates[:, k] = r
    if shares and abs(sum(shares) - 1.0) > 1e-6 and len(shares) == len(sc.segments):
        raise ScenarioError(
            f"segment shares add up to {sum(shares):g}, not 1", file=file, path="segments"
        )
    if h.steady:
        rates[:] = rates[-1]
    return rates


def _staffing(
    sc: Scenario, h: _Horizon, file: str | None
) -> tuple[np.ndarray, int, ShiftSet | None, Roster | None]:
    """Agents on the phones per staffing step: the scenario's numbers, or its roster's
    shifts on their finer grid (steps per interval), with the shift templates."""
    if isinstance(sc.staffing, list) and h.steady:
        raise ScenarioError(
            "a steady-state scenario takes one staffing number", file=file, path="staffing"
        )
    shifts = None
    if sc.shifts is not None:
        if h.steady:
            raise ScenarioError(
                "shifts need a day horizon (interval and intervals)", file=file, path="shifts"
            )
        assert h.L is not None
        shifts = compile_shifts(
            sc.shifts, sc.horizon.start, h.T * h.L, h.L, sc.costs.agent_per_hour, file
        )
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
        assert h.L is not None  # compile_shifts refuses a steady-state horizon
        steps = round(h.L / shifts.grid)
        return roster.on_phones(shifts, h.T * steps), steps, shifts, roster
    if sc.staffing is None:
        raise ScenarioError(
            "required field is missing: give 'staffing' (agents per interval) or a 'roster'",
            file=file,
            path="staffing",
        )
    return _per_interval(sc.staffing, h.T, "staffing", file).astype(np.int64), 1, shifts, None


def _samplers(
    sc: Scenario, base_dir: Path | None, file: str | None
) -> tuple[list[Sampler], list[Sampler], list[Sampler], list[Sampler]]:
    """Each segment's handle, patience, offer and close time samplers."""

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
    return handle, patience, offer, close


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
