"""A plan: staffing per interval, a threshold per (interval, segment) and, when the search
moves it, a max_wait per (interval, segment) (offer only to callers who waited at most
that long; None keeps the scenario's own).

Thresholds use the simulator's sentinels (`sim.NEVER`, `sim.ALWAYS`); a plan turns back
into scenario YAML that `ccsim simulate` runs as is.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, Self

import numpy as np
import yaml

from ccsim.sim import ALWAYS, NEVER, Model
from ccsim.sim.scenario.units import format_duration


class SearchPlan(Protocol):
    """What a search moves and evaluates: a per-interval `Plan` or a roster plan
    (`optimize.shifts.RosterPlan`). Hashable and immutable; applied to a model to run."""

    @property
    def thresholds(self) -> tuple[tuple[int, ...], ...]: ...

    def apply(self, model: Model) -> Model: ...

    def with_threshold(self, k: int, value: int, t: int | None = None) -> Self: ...

    def to_arrays(self) -> dict[str, np.ndarray]: ...

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], model: Model) -> Self | None: ...


MaxWait = tuple[tuple[float, ...], ...]  # [interval][segment] seconds, inf: no limit


@dataclass(frozen=True)
class Plan:
    staffing: tuple[int, ...]
    thresholds: tuple[tuple[int, ...], ...]  # [interval][segment]
    max_wait: MaxWait | None = None  # None: the scenario's own max_wait

    @classmethod
    def of(cls, staffing, thresholds) -> Plan:
        return cls(
            tuple(int(x) for x in np.asarray(staffing).ravel()),
            tuple(tuple(int(x) for x in row) for row in np.asarray(thresholds)),
        )

    @classmethod
    def from_model(cls, model: Model) -> Plan:
        return cls.of(model.staffing, model.thresholds)

    def apply(self, model: Model) -> Model:
        return model.with_plan(
            staffing=np.asarray(self.staffing, np.int64),
            thresholds=np.asarray(self.thresholds, np.int64),
            max_wait=None if self.max_wait is None else np.asarray(self.max_wait, np.float64),
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The plan as arrays, for a checkpoint file."""
        out = {
            "staffing": np.asarray(self.staffing, np.int64),
            "thresholds": np.asarray(self.thresholds, np.int64),
        }
        if self.max_wait is not None:
            out["max_wait"] = np.asarray(self.max_wait, np.float64)
        return out

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], model: Model) -> Plan | None:
        """`to_arrays` read back; None when it does not fit the model."""
        p = cls.of(a["staffing"], a["thresholds"])
        if len(p.staffing) != model.n_intervals:
            return None
        if "max_wait" in a:
            mw = np.asarray(a["max_wait"], np.float64)
            if mw.shape != (model.n_intervals, model.n_segments) or (mw < 0).any():
                return None
            p = replace(p, max_wait=_max_wait_tuple(mw))
        return p

    def with_staffing(self, t: int, value: int) -> Plan:
        s = list(self.staffing)
        s[t] = value
        return replace(self, staffing=tuple(s))

    def with_threshold(self, k: int, value: int, t: int | None = None) -> Plan:
        return replace(self, thresholds=set_threshold(self.thresholds, k, value, t))

    def with_max_wait(self, model: Model, k: int, seconds: float) -> Plan:
        """Segment k offered only to callers who waited at most `seconds` (inf: any wait),
        in every interval; the other segments keep theirs."""
        mw = self.max_wait_table(model)
        mw[:, k] = seconds
        return replace(self, max_wait=_max_wait_tuple(mw))

    def max_wait_table(self, model: Model) -> np.ndarray:
        """(T, K) max_wait in seconds (the scenario's where the plan sets none)."""
        if self.max_wait is None:
            return model.max_wait_table().copy()
        return np.asarray(self.max_wait, np.float64)


def _max_wait_tuple(mw: np.ndarray) -> MaxWait:
    return tuple(tuple(float(x) for x in row) for row in mw)


def set_threshold(
    thresholds: tuple[tuple[int, ...], ...], k: int, value: int, t: int | None = None
) -> tuple[tuple[int, ...], ...]:
    """Segment k's threshold set to `value` in interval t (every interval if t is None)."""
    return tuple(
        tuple(value if j == k and (t is None or i == t) else x for j, x in enumerate(row))
        for i, row in enumerate(thresholds)
    )


def threshold_label(k: int) -> str | int:
    return "never" if k <= NEVER else "always" if k >= ALWAYS else int(k)


def policy_dict(plan: SearchPlan, model: Model) -> dict:
    """The plan's cross-sell policy in scenario form, max_wait included (a roster plan
    keeps the scenario's)."""
    th = np.asarray(plan.thresholds)
    table = getattr(plan, "max_wait_table", None)
    mw = table(model) if table is not None else model.max_wait_table()
    out: dict = {}
    for k, name in enumerate(model.segments):
        col = th[:, k]
        if (col == col[0]).all():
            v = threshold_label(col[0])
            entry: str | dict = v if isinstance(v, str) else {"threshold": v}
        else:
            entry = {"threshold": [threshold_label(x) for x in col]}
        waits = mw[:, k]
        if not np.isinf(waits).all() and entry != "never":
            entry = {"threshold": entry} if isinstance(entry, str) else entry
            if entry.get("threshold") == "always":
                del entry["threshold"]
            if (waits == waits[0]).all():
                entry["max_wait"] = _wait_text(waits[0])
            else:
                entry["max_wait"] = [_wait_text(w) for w in waits]
        out[name] = entry
    return out


def policy_text(entry, short: bool = False) -> str:
    """A `policy_dict` entry in words: 'threshold 3, max_wait 45s', 'always, max_wait
    1min', 'never'; `short`: '3, <= 45s'."""
    if isinstance(entry, str):
        return entry
    th = entry.get("threshold", "always")
    text = "per interval" if isinstance(th, list) else str(th)
    if not short and text not in ("always", "never"):
        text = f"threshold {text}"
    mw = entry.get("max_wait")
    if mw is not None:
        mw = "per interval" if isinstance(mw, list) else mw
        text += f", <= {mw}" if short else f", max_wait {mw}"
    return text


def _wait_text(seconds: float) -> str:
    return format_duration(seconds) if math.isfinite(seconds) else "none"


def staffing_value(plan: Plan, model: Model):
    return plan.staffing[0] if model.steady else list(plan.staffing)


def plan_scenario(
    plan: Plan, model: Model, out_dir: Path, note: str, simulation: dict | None = None
) -> str:
    """The scenario file with the plan's staffing and policy, as YAML text.

    Relative paths of empirical-distribution CSV files are rewritten relative to
    `out_dir`, so the plan runs from where it is written. `simulation` overrides the
    simulation section (the optimizer puts its confirmation's replications and seed
    there, so `ccsim simulate plan.yaml` reproduces the verdict it printed).
    """
    data = copy.deepcopy(model.raw or {})
    roster = getattr(plan, "roster", None)
    if roster is not None and model.shifts is not None:
        data.pop("staffing", None)
        data["roster"] = roster.to_scenario(model.shifts)
    else:
        data.pop("roster", None)
        data["staffing"] = staffing_value(plan, model)
    data["policy"] = {"cross_sell": policy_dict(plan, model)}
    if simulation:
        data["simulation"] = {**(data.get("simulation") or {}), **simulation}
    base = Path(model.source).resolve().parent if model.source else Path.cwd()
    for seg in data.get("segments", {}).values():
        for key in ("handle_time", "patience"):
            _fix_path(seg.get(key), base, out_dir)
        cs = seg.get("cross_sell") or {}
        for key in ("offer_time", "close_time"):
            _fix_path(cs.get(key), base, out_dir)
    header = "".join(f"# {line}\n" for line in note.splitlines())
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _fix_path(spec, base: Path, out_dir: Path) -> None:
    if isinstance(spec, dict) and spec.get("dist") == "empirical" and spec.get("file"):
        f = Path(spec["file"])
        if not f.is_absolute():
            spec["file"] = os.path.relpath(base / f, out_dir.resolve())
