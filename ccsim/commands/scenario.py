"""`ccsim validate FILE` and `ccsim init`: check a scenario, or start one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape

from ccsim import sim

from ..output import write_text
from ..render import tables as report
from .common import (
    Flag,
    ScenarioArg,
    check_out_file,
    fail,
    friendly,
    out_console,
)


@friendly
def validate(file: ScenarioArg) -> None:
    """Check a scenario file and summarise what it describes."""
    m = sim.load_scenario(file)
    lengths = m.interval_lengths
    # erlangs of base handle work per interval
    load = (m.rates * np.array([h.mean for h in m.handle])[None, :]).sum(axis=1)
    out_console.print(f"[green]ok[/green] {escape(str(file))}: {escape(m.name)}")
    if m.steady:
        out_console.print(
            f"  steady state: warm-up {lengths[0] / 3600 if not m.measured[0] else 0:g} h, "
            f"{int(m.measured.sum())} batches, {m.expected_calls():,.0f} calls expected"
        )
    else:
        out_console.print(
            f"  {m.n_intervals} intervals of {lengths[0] / 60:g} min from "
            f"{report.format_clock(m.clock_start)}, {m.expected_calls():,.0f} calls expected"
        )
    out_console.print(f"  segments: {escape(', '.join(m.segments))}")
    agents = m.interval_staffing()
    with_agents = agents > 0
    util = load[with_agents] / agents[with_agents] if with_agents.any() else [math.inf]
    source = f"a roster of {m.roster.agents} shifts, " if m.roster is not None else ""
    out_console.print(
        f"  staffing {source}{m.staffing.min()}-{m.staffing.max()} agents on the phones; peak base load "
        f"{load.max():.1f} erlangs; highest load per agent {max(util):.2f}"
    )
    for line in _shift_lines(m) + _waiting_lines(m):
        out_console.print("  " + escape(line))
    if (load >= agents).any():
        bad = [report.format_clock(s) for s in m.interval_starts_clock()[load >= agents]]
        out_console.print(
            f"  [yellow]warning:[/yellow] base load exceeds staffing in "
            f"{len(bad)} interval(s): {', '.join(bad[:6])}{' ...' if len(bad) > 6 else ''}"
        )


def _shift_lines(m: sim.Model) -> list[str]:
    """The shift templates `optimize --shifts` builds a roster from, one line each."""
    if m.shifts is None:
        return []
    clock = report.format_clock
    lines = [f"shift templates on a {m.shifts.grid / 60:g}-min grid (optimize --shifts):"]
    for t in m.shifts.templates:
        breaks = ", ".join(f"{b.length / 60:g} min{'' if b.paid else ' unpaid'}" for b in t.breaks)
        lines.append(
            f"  {t.name}: {t.length / 3600:g} h starting {clock(m.clock_start + t.earliest)}-"
            f"{clock(m.clock_start + t.latest)}, {len(t.breaks)} break(s)"
            + (f" ({breaks})" if breaks else "")
            + f", {t.cost_per_hour:g}{f' {m.currency}' if m.currency else ''}/h"
            + (f", at most {t.max_agents}" if t.max_agents is not None else "")
        )
    return lines


def _waiting_lines(m: sim.Model) -> list[str]:
    """What the scenario says of callers who react to waiting and of the customer."""
    from ccsim.sim.scenario.wait_effects import DECAY, TABLE

    lines = []
    fx = m.wait_effects
    if fx is not None:
        parts = []
        for k, name in enumerate(m.segments):
            what = []
            if fx.accept_mode[k] == DECAY:
                what.append(f"acceptance halves every {fx.half_life[k]:g} s of wait")
            elif fx.accept_mode[k] == TABLE:
                what.append(f"acceptance by wait ({int(fx.table_points[k])} points)")
            if fx.handle_per_wait[k] > 0:
                what.append(f"handle +{60 * fx.handle_per_wait[k]:g} s per minute waited")
            if what:
                parts.append(f"{name}: {', '.join(what)}")
        lines.append("callers react to waiting: " + "; ".join(parts))
    if m.max_wait is not None:
        caps = [
            f"{name} {m.max_wait[0, k]:g} s"
            if (m.max_wait[:, k] == m.max_wait[0, k]).all()
            else f"{name} per interval"
            for k, name in enumerate(m.segments)
            if np.isfinite(m.max_wait[:, k]).any()
        ]
        lines.append("offers only to callers who waited at most: " + ", ".join(caps))
    if m.customer_value is not None:
        vals = [
            f"{name} {m.customer_value.value[k]:,.0f}"
            for k, name in enumerate(m.segments)
            if m.customer_value.value[k] > 0
        ]
        lines.append(
            f"customer value{f' ({m.currency})' if m.currency else ''}: {', '.join(vals)}; "
            f"objective: {m.optimizer.objective}"
        )
    return lines


@friendly
def init(
    file: Annotated[Path, typer.Argument(help="where to write the example")] = Path(
        "scenario.yaml"
    ),
    force: Annotated[bool, Flag("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a commented example scenario to start from."""
    from ..template import EXAMPLE

    check_out_file(file, "init")  # a folder there is not overwritten, with --force or not
    if file.exists() and not force:
        fail(f"{file}: already exists (use --force to overwrite)")
    write_text(file, EXAMPLE)
    out_console.print(f"wrote {file}; try: ccsim validate {file} && ccsim simulate {file}")
