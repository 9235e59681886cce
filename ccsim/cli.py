"""The `ccsim` command line. Bad input prints one line (file: field: problem) and exits 2."""

from __future__ import annotations

import functools
import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import sim
from sim import ScenarioError

from . import report
from .output import write_json, write_text

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Call-center simulator and staffing optimizer with cross-sell policies.",
)
out_console = Console()
if not out_console.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
    out_console = Console(width=140)
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    err_console.print(
        f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def friendly(fn):
    """Turn bad input into one clear line and exit code 2; Ctrl-C into a resume hint."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ScenarioError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            err_console.print(
                "interrupted: finished work is saved under --out; "
                "run the same command again to resume"
            )
            raise typer.Exit(130) from None

    return wrapper


def progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not enabled,
    )


ScenarioArg = Annotated[Path, typer.Argument(help="scenario file (YAML)", show_default=False)]


@app.command()
@friendly
def simulate(
    file: ScenarioArg,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1, help="replications (default: the scenario's)"),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="random seed (default: the scenario's)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="write results.json, intervals.csv, segments.csv here")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print results as one JSON object")
    ] = False,
    engine: Annotated[
        str | None, typer.Option(help="fast (compiled, default) or simpy (reference)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="worker processes (default: all cores)")
    ] = None,
    dask: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")
    ] = None,
    calls: Annotated[Path | None, typer.Option(help="write call-level records to this CSV")] = None,
) -> None:
    """Simulate the scenario's day (or steady state) under its staffing and policy."""
    model = sim.load_scenario(file)
    if engine not in (None, "fast", "simpy"):
        fail(f"--engine: unknown engine {engine!r}; use fast or simpy")
    R = replications or model.replications
    executor = sim.make_executor(workers if R > 1 else 1, dask)
    with executor, progress_bar(not json_out) as bar:
        task = bar.add_task("simulating", total=R)
        res = sim.simulate(
            model,
            replications=R,
            seed=seed,
            engine=engine,
            executor=executor,
            calls_file=calls,
            checkpoint_dir=out / ".checkpoints" if out else None,
            progress=lambda n: bar.advance(task, n),
        )
    js = res.to_json()
    if out:
        write_json(out / "results.json", js)
        write_text(out / "intervals.csv", res.intervals_csv())
        write_text(out / "segments.csv", res.segments_csv())
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
        return
    report.print_simulation(res, out_console)
    if out:
        out_console.print(
            f"[dim]results written to {out}/ (results.json, intervals.csv, segments.csv)[/dim]"
        )
    if calls:
        out_console.print(f"[dim]call records written to {calls}[/dim]")


@app.command()
@friendly
def validate(file: ScenarioArg) -> None:
    """Check a scenario file and summarise what it describes."""
    m = sim.load_scenario(file)
    lengths = m.interval_lengths
    work = sum(m.rates[:, k] * m.handle[k].mean for k in range(m.n_segments))
    load = work  # erlangs of base handle work per interval
    out_console.print(f"[green]ok[/green] {file}: {m.name}")
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
    out_console.print(f"  segments: {', '.join(m.segments)}")
    with_agents = m.staffing > 0
    util = load[with_agents] / m.staffing[with_agents] if with_agents.any() else [math.inf]
    out_console.print(
        f"  staffing {m.staffing.min()}-{m.staffing.max()} agents; peak base load "
        f"{load.max():.1f} erlangs; highest load per agent {max(util):.2f}"
    )
    if (load >= m.staffing).any():
        bad = [report.format_clock(s) for s in m.interval_starts_clock()[load >= m.staffing]]
        out_console.print(
            f"  [yellow]warning:[/yellow] base load exceeds staffing in "
            f"{len(bad)} interval(s): {', '.join(bad[:6])}{' ...' if len(bad) > 6 else ''}"
        )


@app.command()
def init(
    file: Annotated[Path, typer.Argument(help="where to write the example")] = Path(
        "scenario.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a commented example scenario to start from."""
    from .template import EXAMPLE

    if file.exists() and not force:
        fail(f"{file}: already exists (use --force to overwrite)")
    write_text(file, EXAMPLE)
    out_console.print(f"wrote {file}; try: ccsim validate {file} && ccsim simulate {file}")


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
