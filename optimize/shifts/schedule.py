"""Shift scheduling: the cheapest roster that covers a requirement curve (a pulp MIP).

Decision variables, for each template and each start time on the grid:

- ``x[t, s]``: agents who start template t at s (integer);
- ``y[t, s, b, o]``: of them, those who take break b at offset o from the start (integer),
  one variable per position the break's window allows; ``sum_o y[t, s, b, o] = x[t, s]``.

Agents on the phones in grid step g are the agents whose shift covers g minus those on a
break in g; they must be at least the requirement r_g. The objective is the paid cost
(each template's paid hours at its rate). Breaks are placed implicitly, by counts per
position (Bechtold & Jacobs 1990, Aykin 1996): because a template's break windows follow
one another without overlapping, any choice of one position per break is a valid day
for one agent, and the counts decompose into individual shifts (`_rows`). This keeps the
model small (starts x break positions, not starts x break patterns) and its LP
relaxation tight; the gap to it is reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pulp

from ccsim.sim.scenario.errors import PlanningError
from ccsim.sim.scenario.roster import Roster, ShiftRow, ShiftSet

from ..analytic.lp import solve

__all__ = ["Schedule", "schedule_shifts"]


@dataclass
class Schedule:
    roster: Roster
    requirement: np.ndarray  # (S,) agents on the phones asked for, per grid step
    coverage: np.ndarray  # (S,) agents on the phones the roster gives
    cost: float  # paid cost of the roster
    lp_bound: float  # the LP relaxation's cost: no roster can be cheaper
    status: str
    seconds: float

    @property
    def gap(self) -> float:
        """Relative gap of the roster's cost above the LP bound (0: proven optimal)."""
        if self.lp_bound <= 0:
            return 0.0
        return max(0.0, self.cost / self.lp_bound - 1.0)


def _build(shifts: ShiftSet, req: np.ndarray, integer: bool, taken: dict[str, int]):
    g = shifts.grid
    S = len(req)
    cat = pulp.LpInteger if integer else pulp.LpContinuous
    prob = pulp.LpProblem("ccsim_shifts", pulp.LpMinimize)
    cover: list[list] = [[] for _ in range(S)]
    xs: dict = {}
    ys: dict = {}
    cost = []
    for ti, t in enumerate(shifts.templates):
        L = round(t.length / g)
        per_template = []
        for s in t.starts(g):
            a = round(s / g)
            x = prob.add_variable(f"x_{ti}_{a}", lowBound=0, cat=cat)
            xs[(ti, a)] = x
            per_template.append(x)
            cost.append(t.cost * x)
            for step in range(a, min(S, a + L)):
                cover[step].append(x)
            for bi, b in enumerate(t.breaks):
                ys_b = []
                blen = round(b.length / g)
                for o in b.offsets(g):
                    oi = round(o / g)
                    y = prob.add_variable(f"y_{ti}_{a}_{bi}_{oi}", lowBound=0, cat=cat)
                    ys[(ti, a, bi, oi)] = y
                    ys_b.append(y)
                    for step in range(a + oi, min(S, a + oi + blen)):
                        cover[step].append(-1 * y)
                prob += pulp.lpSum(ys_b) == x, f"breaks_{ti}_{a}_{bi}"
        used = taken.get(t.name, 0)
        if t.max_agents is not None:
            prob += pulp.lpSum(per_template) <= t.max_agents - used, f"max_{ti}"
        if t.min_agents > used:
            prob += pulp.lpSum(per_template) >= t.min_agents - used, f"min_{ti}"
    for step in range(S):
        if req[step] > 0:
            prob += pulp.lpSum(cover[step]) >= float(req[step]), f"cover_{step}"
    prob += pulp.lpSum(cost)
    return prob, xs, ys


def _rows(shifts: ShiftSet, xs: dict, ys: dict) -> Roster:
    """Decompose start and break-position counts into shifts: the k-th agent of a start
    takes the k-th earliest position of every break."""
    g = shifts.grid
    rows = []
    for (ti, a), x in xs.items():
        n = round(x.value() or 0)
        if n <= 0:
            continue
        t = shifts.templates[ti]
        per_break = []
        for bi, b in enumerate(t.breaks):
            slots: list[int] = []
            for o in b.offsets(g):
                oi = round(o / g)
                slots += [oi] * round(ys[(ti, a, bi, oi)].value() or 0)
            per_break.append(sorted(slots)[:n])
        for k in range(n):
            breaks = tuple((a + pb[k]) * g for pb in per_break)
            rows.append(ShiftRow(a * g, t.name, breaks, 1))
    return Roster.of(rows)


def schedule_shifts(
    shifts: ShiftSet,
    requirement: np.ndarray,
    time_limit: float = 30.0,
    taken: dict[str, int] | None = None,
) -> Schedule:
    """The cheapest roster with at least `requirement[g]` agents on the phones in every
    grid step g (steps from the day's start); raises ValueError when no roster of the
    templates can cover it (a step no template reaches, or max_agents too low). `taken`:
    agents per template already on another roster (they count against max_agents)."""
    taken = taken or {}
    t0 = time.perf_counter()
    req = np.asarray(np.ceil(np.asarray(requirement, float) - 1e-9), np.int64)
    lp, _, _ = _build(shifts, req, integer=False, taken=taken)
    status = solve(lp, time_limit)
    if status != "Optimal":
        reach = np.zeros(len(req), bool)
        for t in shifts.templates:
            for s in t.starts(shifts.grid):
                a = round(s / shifts.grid)
                reach[a : a + round(t.length / shifts.grid)] = True
        gaps = np.flatnonzero((req > 0) & ~reach)
        where = (
            f"no template covers {shifts.clock(gaps[0] * shifts.grid)}"
            if len(gaps)
            else "the templates' max_agents are too low for the requirement"
        )
        raise PlanningError(f"no roster of the shift templates covers the requirement: {where}")
    bound = float(pulp.value(lp.objective) or 0.0)
    mip, xs, ys = _build(shifts, req, integer=True, taken=taken)
    status = solve(mip, max(1.0, time_limit - (time.perf_counter() - t0)))
    if xs and all(v.value() is None for v in xs.values()):
        raise PlanningError(f"the shift MIP found no integer roster ({status})")
    roster = _rows(shifts, xs, ys)
    S = len(req)
    cover = roster.on_phones(shifts, S)
    if (cover < req).any():  # a time-limited MIP must still return a covering roster
        raise PlanningError(f"the shift MIP stopped without a covering roster ({status})")
    return Schedule(
        roster,
        req,
        cover,
        roster.cost(shifts),
        bound,
        status,
        time.perf_counter() - t0,
    )
