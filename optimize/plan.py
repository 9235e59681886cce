"""A plan: staffing per interval and a threshold per (interval, segment).

Thresholds use the simulator's sentinels (`sim.NEVER`, `sim.ALWAYS`); a plan turns back
into scenario YAML that `ccsim simulate` runs as is.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self

import numpy as np
import yaml

from ccsim.sim import ALWAYS, NEVER, Model


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


@dataclass(frozen=True)
class Plan:
    staffing: tuple[int, ...]
    thresholds: tuple[tuple[int, ...], ...]  # [interval][segment]

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
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The plan as arrays, for a checkpoint file."""
        return {
            "staffing": np.asarray(self.staffing, np.int64),
            "thresholds": np.asarray(self.thresholds, np.int64),
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], model: Model) -> Plan | None:
        """`to_arrays` read back; None when it does not fit the model."""
        p = cls.of(a["staffing"], a["thresholds"])
        if len(p.staffing) != model.n_intervals:
            return None
        return p

    def with_staffing(self, t: int, value: int) -> Plan:
        s = list(self.staffing)
        s[t] = value
        return Plan(tuple(s), self.thresholds)

    def with_threshold(self, k: int, value: int, t: int | None = None) -> Plan:
        return Plan(self.staffing, set_threshold(self.thresholds, k, value, t))


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


def policy_dict(plan: Plan, model: Model) -> dict:
    """The plan's cross-sell policy in scenario form."""
    th = np.asarray(plan.thresholds)
    out: dict = {}
    for k, name in enumerate(model.segments):
        col = th[:, k]
        if (col == col[0]).all():
            v = threshold_label(col[0])
            out[name] = v if isinstance(v, str) else {"threshold": v}
        else:
            out[name] = {"threshold": [threshold_label(x) for x in col]}
    return out


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
