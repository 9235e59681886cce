"""Shifts and rosters: who is present, who is on the phones, and what it costs.

A *template* is a kind of shift (length, a window of start times, breaks each placed in
a window measured from the shift's start). A *roster* is a list of rows: a template, a
start time, the start of each of its breaks, and how many agents work it. Everything is
on the scenario's grid (e.g. 15 min), which divides the forecast interval, so staffing
becomes a step function of time: agents on the phones per grid step (present, not on a
break). The engines take that step function as it is.

Times are seconds from the horizon's start; `clock` turns them into '08:30'.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .errors import ScenarioError
from .schema import RosterRow, Shifts
from .units import format_clock, parse_clock

__all__ = [
    "Break",
    "Roster",
    "ShiftRow",
    "ShiftSet",
    "Template",
    "compile_roster",
    "compile_shifts",
]


def _on_grid(x: float, grid: float) -> bool:
    return abs(x / grid - round(x / grid)) < 1e-9


@dataclass(frozen=True)
class Break:
    length: float
    lo: float  # the break lies inside [lo, hi], offsets from the shift's start
    hi: float
    paid: bool = True

    def offsets(self, grid: float) -> np.ndarray:
        """Possible starts of the break, from the shift's start, on the grid."""
        return np.arange(self.lo, self.hi - self.length + grid / 2, grid)


@dataclass(frozen=True)
class Template:
    name: str
    length: float
    earliest: float  # first and last start, from the horizon's start
    latest: float
    breaks: tuple[Break, ...]
    cost_per_hour: float
    max_agents: int | None = None
    min_agents: int = 0

    @property
    def paid_hours(self) -> float:
        """Hours paid per shift: attendance minus unpaid breaks."""
        return (self.length - sum(b.length for b in self.breaks if not b.paid)) / 3600.0

    @property
    def cost(self) -> float:
        return self.paid_hours * self.cost_per_hour

    def starts(self, grid: float) -> np.ndarray:
        return np.arange(self.earliest, self.latest + grid / 2, grid)


# the shift MIP's size limits: the examples have a few thousand variables; HiGHS solves a
# few hundred thousand in seconds, and pulp's model of 10 million terms takes gigabytes
MAX_MIP_VARIABLES = 500_000
MAX_MIP_TERMS = 10_000_000


@dataclass(frozen=True)
class ShiftSet:
    """The scenario's `shifts:` section, compiled: the grid and the templates."""

    grid: float
    templates: tuple[Template, ...]
    clock_start: float = 0.0

    def template(self, name: str) -> Template:
        for t in self.templates:
            if t.name == name:
                return t
        raise KeyError(name)

    def clock(self, t: float) -> str:
        return format_clock(self.clock_start + t)

    def mip_size(self) -> tuple[int, int]:
        """Variables and coverage terms of the shift MIP (optimize/schedule.py): one
        variable per template start and per break placement; each covers its steps."""
        g = self.grid
        variables = terms = 0
        for t in self.templates:
            n_starts = len(t.starts(g))
            variables += n_starts
            terms += n_starts * round(t.length / g)
            for b in t.breaks:
                n_off = len(b.offsets(g))
                variables += n_starts * n_off
                terms += n_starts * n_off * round(b.length / g)
        return variables, terms


@dataclass(frozen=True, order=True)
class ShiftRow:
    """`agents` agents on `template` from `start`, with breaks starting at `breaks`."""

    start: float
    template: str
    breaks: tuple[float, ...]
    agents: int


@dataclass(frozen=True)
class Roster:
    rows: tuple[ShiftRow, ...]

    @classmethod
    def of(cls, rows) -> Roster:
        """Rows with the same template, start and breaks merged; sorted; empty rows gone."""
        c: Counter = Counter()
        for r in rows:
            c[(r.start, r.template, tuple(r.breaks))] += r.agents
        return cls(tuple(ShiftRow(s, t, b, n) for (s, t, b), n in sorted(c.items()) if n > 0))

    @property
    def agents(self) -> int:
        return sum(r.agents for r in self.rows)

    def add(self, row: ShiftRow) -> Roster:
        return Roster.of([*self.rows, row])

    def remove_one(self, i: int) -> Roster:
        rows = list(self.rows)
        r = rows[i]
        rows[i] = ShiftRow(r.start, r.template, r.breaks, r.agents - 1)
        return Roster.of(rows)

    # --- the step functions -------------------------------------------------------------
    def _steps(self, shifts: ShiftSet, n_steps: int, breaks: bool, paid_only: bool = False):
        g = shifts.grid
        out = np.zeros(n_steps, np.float64 if paid_only else np.int64)
        for r in self.rows:
            t = shifts.template(r.template)
            a, b = round(r.start / g), round((r.start + t.length) / g)
            out[a:b] += r.agents
            for bk, s in zip(t.breaks, r.breaks, strict=True):
                if breaks or (paid_only and not bk.paid):
                    i = round(s / g)
                    out[i : i + round(bk.length / g)] -= r.agents
        return out

    def on_phones(self, shifts: ShiftSet, n_steps: int) -> np.ndarray:
        """Agents on the phones per grid step: present and not on a break."""
        return self._steps(shifts, n_steps, breaks=True)

    def present(self, shifts: ShiftSet, n_steps: int) -> np.ndarray:
        """Agents present per grid step (on a break or not)."""
        return self._steps(shifts, n_steps, breaks=False)

    def paid_present(self, shifts: ShiftSet, n_steps: int) -> np.ndarray:
        """Agents present and paid per grid step (unpaid breaks excluded)."""
        return self._steps(shifts, n_steps, breaks=False, paid_only=True)

    def cost_by_step(self, shifts: ShiftSet, n_steps: int) -> np.ndarray:
        """Paid cost per grid step (unpaid breaks excluded), at each template's rate."""
        out = np.zeros(n_steps)
        for t in shifts.templates:
            sub = Roster(tuple(r for r in self.rows if r.template == t.name))
            if sub.rows:
                paid = sub.paid_present(shifts, n_steps)
                out += paid * shifts.grid / 3600.0 * t.cost_per_hour
        return out

    def paid_hours(self, shifts: ShiftSet) -> float:
        return sum(shifts.template(r.template).paid_hours * r.agents for r in self.rows)

    def cost(self, shifts: ShiftSet) -> float:
        return sum(shifts.template(r.template).cost * r.agents for r in self.rows)

    # --- rows as planners read them -----------------------------------------------------
    def table(self, shifts: ShiftSet) -> list[dict]:
        """One dict per row: template, start, end, breaks ('12:00-12:30; ...'), agents."""
        out = []
        for r in self.rows:
            t = shifts.template(r.template)
            out.append(
                {
                    "template": r.template,
                    "start": shifts.clock(r.start),
                    "end": shifts.clock(r.start + t.length),
                    "breaks": [
                        f"{shifts.clock(s)}-{shifts.clock(s + b.length)}"
                        for b, s in zip(t.breaks, r.breaks, strict=True)
                    ],
                    "agents": r.agents,
                    "paid_hours": t.paid_hours * r.agents,
                }
            )
        return out

    def to_json(self, shifts: ShiftSet, n_steps: int) -> dict:
        """Rows, totals, and agents on the phones and present per grid step."""
        return {
            "rows": self.table(shifts),
            "shifts": self.agents,
            "paid_hours": self.paid_hours(shifts),
            "cost": self.cost(shifts),
            "grid_minutes": shifts.grid / 60,
            "steps": [shifts.clock(i * shifts.grid) for i in range(n_steps + 1)],
            "on_phones": self.on_phones(shifts, n_steps).tolist(),
            "present": self.present(shifts, n_steps).tolist(),
        }

    def to_scenario(self, shifts: ShiftSet) -> list[dict]:
        """The roster as the scenario's `roster:` section."""
        return [
            {
                "template": d["template"],
                "start": d["start"],
                "breaks": d["breaks"],
                "agents": d["agents"],
            }
            for d in self.table(shifts)
        ]


# --- compiling the scenario's sections ----------------------------------------------------


def compile_shifts(
    spec: Shifts,
    clock_start: float,
    day_end: float,
    interval: float,
    agent_cost: float,
    file: str | None,
) -> ShiftSet:
    """Check the `shifts:` section against the day and the grid; times from the day's start."""
    g = spec.grid
    if not _on_grid(interval, g):
        raise ScenarioError(
            f"the grid ({g / 60:g} min) must divide the forecast interval ({interval / 60:g} min)",
            file=file,
            path="shifts.grid",
        )
    out = [
        _template(name, t, g, clock_start, day_end, agent_cost, file)
        for name, t in spec.templates.items()
    ]
    shifts = ShiftSet(g, tuple(out), clock_start)
    variables, terms = shifts.mip_size()
    if variables > MAX_MIP_VARIABLES or terms > MAX_MIP_TERMS:
        raise ScenarioError(
            f"the shift MIP would have {variables:,} variables and {terms:,} coverage terms "
            f"(at most {MAX_MIP_VARIABLES:,} and {MAX_MIP_TERMS:,}): use a coarser grid, "
            "narrower start windows or break windows",
            file=file,
            path="shifts",
        )
    return shifts


def _template(
    name: str, t, g: float, clock_start: float, day_end: float, agent_cost: float,
    file: str | None,
) -> Template:  # fmt: skip
    """One shift template, checked: on the grid, inside the day, breaks in order."""
    p = f"shifts.templates.{name}"

    def err(msg: str, path: str) -> ScenarioError:
        return ScenarioError(msg, file=file, path=path)

    if not _on_grid(t.length, g):
        raise err(f"length {t.length / 3600:g}h is not a multiple of the grid", f"{p}.length")
    first, last = t.starts.earliest - clock_start, t.starts.latest - clock_start
    for what, x in (("earliest", first), ("latest", last)):
        if not _on_grid(x, g):
            raise err(
                f"start {format_clock(x + clock_start)} is not on the {g / 60:g}-min grid",
                f"{p}.starts.{what}",
            )
    if first < 0:
        raise err(
            f"earliest start {format_clock(t.starts.earliest)} is before the day starts "
            f"({format_clock(clock_start)})",
            f"{p}.starts.earliest",
        )
    if last + t.length > day_end + 1e-9:
        raise err(
            f"a shift starting at {format_clock(t.starts.latest)} ends at "
            f"{format_clock(t.starts.latest + t.length)}, after the day ends "
            f"({format_clock(clock_start + day_end)})",
            f"{p}.starts.latest",
        )
    prev_end = 0.0
    for i, b in enumerate(t.breaks):
        bp = f"{p}.breaks[{i}]"
        lo, hi = b.within
        for x in (b.length, lo, hi):
            if not _on_grid(x, g):
                raise err(f"{x / 60:g} min is not a multiple of the grid", bp)
        if hi > t.length:
            raise err(
                f"the window ends {hi / 3600:g}h after the start, after the shift "
                f"({t.length / 3600:g}h)",
                f"{bp}.within",
            )
        if lo < prev_end:
            raise err(
                "break windows must follow one another without overlapping "
                "(so that any placement is a valid day for one agent)",
                f"{bp}.within",
            )
        prev_end = hi
    if t.max_agents is not None and t.max_agents < t.min_agents:
        raise err("max_agents is below min_agents", f"{p}.max_agents")
    return Template(
        name,
        t.length,
        first,
        last,
        tuple(Break(b.length, b.within[0], b.within[1], b.paid) for b in t.breaks),
        agent_cost if t.cost_per_hour is None else t.cost_per_hour,
        t.max_agents,
        t.min_agents,
    )


def compile_roster(rows: list[RosterRow], shifts: ShiftSet, file: str | None) -> Roster:
    """Check each roster row against its template (start window, break windows, grid)."""
    g = shifts.grid
    out = []
    names = [t.name for t in shifts.templates]
    for i, r in enumerate(rows):
        p = f"roster[{i}]"

        def err(msg: str, path: str = p) -> ScenarioError:
            return ScenarioError(msg, file=file, path=path)

        if r.template not in names:
            raise err(
                f"unknown template {r.template!r} (templates: {', '.join(names)})", f"{p}.template"
            )
        t = shifts.template(r.template)
        start = r.start - shifts.clock_start
        if not (t.earliest - 1e-9 <= start <= t.latest + 1e-9) or not _on_grid(start, g):
            raise err(
                f"start {format_clock(r.start)} is not a start of {r.template!r} "
                f"({shifts.clock(t.earliest)} to {shifts.clock(t.latest)} on the "
                f"{g / 60:g}-min grid)",
                f"{p}.start",
            )
        if len(r.breaks) != len(t.breaks):
            raise err(
                f"{r.template!r} has {len(t.breaks)} breaks; this row gives {len(r.breaks)}",
                f"{p}.breaks",
            )
        starts = []
        for j, (text, b) in enumerate(zip(r.breaks, t.breaks, strict=True)):
            bp = f"{p}.breaks[{j}]"
            try:
                a, z = (parse_clock(x.strip()) - shifts.clock_start for x in text.split("-"))
            except ValueError:
                raise err(f"expected a break such as '12:00-12:30', got {text!r}", bp) from None
            if not math.isclose(z - a, b.length):
                raise err(
                    f"the break lasts {(z - a) / 60:g} min; the template's {b.length / 60:g} min",
                    bp,
                )
            off = a - start
            if off < b.lo - 1e-9 or off + b.length > b.hi + 1e-9 or not _on_grid(a, g):
                raise err(
                    f"{text} is outside its window ({shifts.clock(start + b.lo)} to "
                    f"{shifts.clock(start + b.hi)}) or off the grid",
                    bp,
                )
            starts.append(a)
        out.append(ShiftRow(start, r.template, tuple(starts), r.agents))
    roster = Roster.of(out)
    for t in shifts.templates:
        n = sum(r.agents for r in roster.rows if r.template == t.name)
        if t.max_agents is not None and n > t.max_agents:
            raise ScenarioError(
                f"the roster has {n} agents on {t.name!r}; its max_agents is {t.max_agents}",
                file=file,
                path="roster",
            )
    return roster
