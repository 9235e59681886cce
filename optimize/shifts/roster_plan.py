"""What the shift search moves: a roster of shifts with breaks and a threshold per
(interval, segment), and how it is saved in a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ccsim.sim import Model
from ccsim.sim.scenario.roster import Roster, ShiftRow

from ..plan import Plan, set_threshold
from .schedule import Schedule


@dataclass(frozen=True)
class RosterPlan:
    """A roster and a threshold per (interval, segment): what the shift search moves."""

    roster: Roster
    thresholds: tuple[tuple[int, ...], ...]

    def apply(self, model: Model) -> Model:
        return model.with_roster(self.roster, np.asarray(self.thresholds, np.int64))

    def with_threshold(self, k: int, value: int, t: int | None = None) -> RosterPlan:
        return RosterPlan(self.roster, set_threshold(self.thresholds, k, value, t))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """For a checkpoint file: each row's template name, and [start, agents, break
        starts...] (NaN-padded); the thresholds."""
        width = 2 + max((len(r.breaks) for r in self.roster.rows), default=0)
        rows = np.full((len(self.roster.rows), width), np.nan)
        for i, r in enumerate(self.roster.rows):
            rows[i, :2] = (r.start, r.agents)
            rows[i, 2 : 2 + len(r.breaks)] = r.breaks
        return {
            "templates": np.asarray([r.template for r in self.roster.rows], dtype=str),
            "rows": rows,
            "thresholds": np.asarray(self.thresholds, np.int64),
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], model: Model) -> RosterPlan | None:
        """`to_arrays` read back; None when it does not fit the model's templates."""
        shifts = model.shifts
        th = np.asarray(a["thresholds"], np.int64)
        if shifts is None or th.shape != (model.n_intervals, model.n_segments):
            return None
        rows = []
        for name, r in zip(a["templates"], a["rows"], strict=True):
            try:
                t = shifts.template(str(name))
            except KeyError:
                return None
            breaks = tuple(float(x) for x in r[2 : 2 + len(t.breaks)])
            rows.append(ShiftRow(float(r[0]), t.name, breaks, int(r[1])))
        return cls(Roster.of(rows), tuple(tuple(int(x) for x in row) for row in th))

    def with_roster(self, roster: Roster) -> RosterPlan:
        return RosterPlan(roster, self.thresholds)

    def interval_plan(self, model: Model) -> Plan:
        """The per-interval plan with the same thresholds (staffing: mean on the phones,
        rounded up), for views that read a plan per interval."""
        m = self.apply(model)
        return Plan.of(np.ceil(m.interval_staffing() - 1e-9), self.thresholds)


def default_shift_time_limit(model: Model) -> float:
    """Seconds (at the reference speed) for the shift search's work budget. The retail
    bank's roster needs about 4,300 plans to converge; at 1 s per interval and sellable
    segment the budget ran out after 3,867, in stage 2 of 3, and a poorer roster (-127 a
    day) was recommended. 2 s leaves room."""
    sellable = int((model.eligible > 0).sum())
    return 30.0 + 2.0 * model.n_intervals * (1 + sellable)


@dataclass
class ShiftPlan:
    """What the shift optimizer adds to an OptimizeResult: the MIP's first roster, its
    cost against the LP bound, and the requirement it covered."""

    schedule: Schedule
    requirement: np.ndarray  # (T,) agents per interval asked of the MIP (analytic seed)
