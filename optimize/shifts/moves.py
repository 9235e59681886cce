"""Moves on a roster: a shift removed, added, moved by a grid step, or a break moved;
thresholds per interval to sell in the slack the shifts leave."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from ccsim.sim import ALWAYS, NEVER, Model
from ccsim.sim.scenario.roster import Roster, ShiftRow

from ..search.moves import Bounds
from ..search.thresholds import threshold_text
from .roster_plan import RosterPlan

Move = tuple[str, frozenset, Callable[[RosterPlan], RosterPlan | None]]


def _set_threshold(p: RosterPlan, *, k: int, v: int, t: int) -> RosterPlan:
    return p.with_threshold(k, v, t)


def _remove(row: ShiftRow) -> Callable[[RosterPlan], RosterPlan | None]:
    key = (row.start, row.template, row.breaks)

    def f(p: RosterPlan) -> RosterPlan | None:
        for i, r in enumerate(p.roster.rows):
            if (r.start, r.template, r.breaks) == key:
                return p.with_roster(p.roster.remove_one(i))
        return None

    return f


def _add(row: ShiftRow) -> Callable[[RosterPlan], RosterPlan | None]:
    return lambda p: p.with_roster(p.roster.add(row))


def _both(a, b) -> Callable[[RosterPlan], RosterPlan | None]:
    def f(p: RosterPlan) -> RosterPlan | None:
        q = a(p)
        return None if q is None else b(q)

    return f


def grid_steps(model: Model) -> int:
    """Steps per interval on the shift grid."""
    assert model.shifts is not None
    return round(float(model.interval_lengths[0]) / model.shifts.grid)


def _template_count(roster: Roster, name: str) -> int:
    return sum(r.agents for r in roster.rows if r.template == name)


def _best_breaks(model: Model, start: float, template, cover: np.ndarray) -> tuple[float, ...]:
    """Breaks of a new shift where the phones are fullest (the break costs least there)."""
    g = model.shifts.grid  # type: ignore[union-attr]
    out = []
    for b in template.breaks:
        best, where = -math.inf, start
        for o in b.offsets(g):
            a = round((start + o) / g)
            here = float(cover[a : a + round(b.length / g)].min())
            if here > best:
                best, where = here, start + o
        out.append(float(where))
    return tuple(out)


def shift_moves(model: Model, plan: RosterPlan, first_stage: bool) -> list[Move]:
    """Remove one agent from a row; add one shift of a template at a start (breaks where
    the phones are fullest); move one agent's shift by a grid step; in the first stage,
    move one agent's break by a grid step."""
    shifts = model.shifts
    assert shifts is not None
    g = shifts.grid
    cover = plan.roster.on_phones(shifts, model.n_intervals * grid_steps(model))
    moves: list[Move] = []
    for r in plan.roster.rows:
        tag = shifts.clock(r.start)
        moves.append((f"remove a {r.template} shift at {tag}", frozenset({("row", r)}), _remove(r)))
    for t in shifts.templates:
        if t.max_agents is not None and _template_count(plan.roster, t.name) >= t.max_agents:
            continue
        for s in t.starts(g):
            row = ShiftRow(float(s), t.name, _best_breaks(model, float(s), t, cover), 1)
            moves.append(
                (
                    f"add a {t.name} shift at {shifts.clock(s)}",
                    frozenset({("add", t.name, s)}),
                    _add(row),
                )
            )
    for r in plan.roster.rows:
        t = shifts.template(r.template)
        one = ShiftRow(r.start, r.template, r.breaks, 1)
        for d in (-g, g):
            s = r.start + d
            if t.earliest - 1e-9 <= s <= t.latest + 1e-9:
                moved = ShiftRow(s, r.template, tuple(b + d for b in r.breaks), 1)
                moves.append(
                    (
                        f"move a {r.template} shift {shifts.clock(r.start)} -> {shifts.clock(s)}",
                        frozenset({("row", r)}),
                        _both(_remove(one), _add(moved)),
                    )
                )
        if not first_stage:
            continue
        for j, b in enumerate(t.breaks):
            for d in (-g, g):
                off = r.breaks[j] + d - r.start
                if b.lo - 1e-9 <= off and off + b.length <= b.hi + 1e-9:
                    nb = tuple(x + d if i == j else x for i, x in enumerate(r.breaks))
                    moved = ShiftRow(r.start, r.template, nb, 1)
                    moves.append(
                        (
                            f"move a break of the {r.template} shift at {shifts.clock(r.start)} "
                            f"to {shifts.clock(r.breaks[j] + d)}",
                            frozenset({("row", r)}),
                            _both(_remove(one), _add(moved)),
                        )
                    )
    return moves


def threshold_moves(
    model: Model, plan: RosterPlan, bounds: Bounds, ranking: list[int]
) -> list[Move]:
    """Each sellable segment's threshold one step up or down in one interval."""
    moves: list[Move] = []
    for k in ranking:
        if model.eligible[k] <= 0:
            continue
        for t in range(model.n_intervals):
            now = plan.thresholds[t][k]
            if now <= NEVER:
                opts = {bounds.th_min}
            elif now >= ALWAYS:
                opts = {bounds.th_max}
            else:
                opts = {max(bounds.th_min, now - 1), min(bounds.th_max, now + 1)}
                opts |= {NEVER} if now == bounds.th_min else set()
                opts |= {ALWAYS} if now == bounds.th_max else set()
            for v in sorted(opts - {now}):
                label = (
                    f"{model.segments[k]} at {model.interval_label(t)}: threshold "
                    f"{threshold_text(now)} -> {threshold_text(v)}"
                )
                moves.append(
                    (
                        label,
                        frozenset({("th", k, t)}),
                        functools.partial(_set_threshold, k=k, v=v, t=t),
                    )
                )
    return moves
