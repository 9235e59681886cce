"""What every command shares: the typer app, the consoles, the one way to fail on bad
input (one line, exit 2), output-path checks, workers, progress, common options."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from ccsim import sim
from ccsim.sim import ScenarioError

from ..output import written_files


class _BareHelp:
    """--help shown as a bare flag (typer with click 8.2+ prints '<bool>' after it)."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


class Command(_BareHelp, TyperCommand):
    pass


class Group(_BareHelp, TyperGroup):
    pass


app = typer.Typer(
    cls=Group,
    add_completion=False,
    no_args_is_help=True,
    help="Call-center simulator and staffing optimizer with cross-sell policies.",
)
out_console = Console(emoji=False)
if not out_console.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
    out_console = Console(width=140, emoji=False)
err_console = Console(stderr=True, emoji=False)


EXIT_INFEASIBLE = 3  # optimize: no plan met every target; the best one is still written


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(
        f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def friendly(fn):
    """Turn bad input into one clear line and exit code 2; a file-system failure (a full
    disk, a folder that cannot be written) into one line naming what was written before
    it; Ctrl-C into an honest note of what was kept; output paths checked before any long
    work starts."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if isinstance(kwargs.get("out"), Path):
            check_out_dir(kwargs["out"], "--out")
        for key in ("output", "calls"):
            if isinstance(kwargs.get(key), Path):
                check_out_file(kwargs[key], f"--{key}")
        written_before = len(written_files())
        try:
            return fn(*args, **kwargs)
        except ScenarioError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(_os_error_line(exc, written_files()[written_before:], kwargs.get("out")))
        except KeyboardInterrupt:
            _interrupted(kwargs.get("out"))

    return wrapper


def _os_error_line(exc: OSError, written: list[Path], out: Path | None) -> str:
    """'PATH: No space left on device; written before it: a, b; ...' Nothing is left
    half-written: every output file goes to a temporary name and is renamed."""
    where = exc.filename or (f"writing into {out}" if out is not None else "writing the outputs")
    what = exc.strerror or type(exc).__name__
    done = ", ".join(str(p) for p in written) if written else "nothing"
    line = f"{where}: {what}; written before it: {done}"
    if out is not None and _has_checkpoints(out):
        line += f"; finished work is kept in {out}/.checkpoints: free space and rerun to resume"
    return line


def _interrupted(out: Path | None) -> NoReturn:
    kept = out is not None and _has_checkpoints(out)
    err_console.print(
        f"interrupted: finished work is kept under {out}/.checkpoints; run the same command "
        "again to resume"
        if kept
        else "interrupted: no finished work was kept"
        + (" (with --out DIR, simulate and optimize resume)" if out is None else ""),
        markup=False,
        highlight=False,
    )
    if sim.executor_was_aborted():
        # worker processes were killed mid-task; the pool's bookkeeping thread may wait on
        # a result cut in half, and the interpreter would join it at exit: leave now
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    raise typer.Exit(130) from None


def _has_checkpoints(out: Path) -> bool:
    ck = out / ".checkpoints"
    try:
        return ck.is_dir() and any(p.is_file() for p in ck.rglob("*.npz"))
    except OSError:
        return False


def _check_writable(path: Path, folder: Path, option: str) -> None:
    """The nearest existing folder of `folder` must be writable (it is created below)."""
    p = folder.resolve()
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        fail(f"{option} {path}: cannot write there ({p} is not writable)")


def check_out_dir(out: Path, option: str = "--out") -> None:
    """A folder we can write results into, checked before the work starts."""
    if out.exists() and not out.is_dir():
        fail(f"{option} {out}: exists and is not a folder")
    _check_writable(out, out, option)


def check_out_file(path: Path, option: str) -> None:
    """A file we can write, checked before the work starts."""
    if path.is_dir():
        fail(f"{option} {path}: is a folder; give a file name")
    _check_writable(path, path.parent, option)


def clean_checkpoints(out: Path) -> None:
    """Every output is written: the resume files of this run are no longer needed."""
    import shutil

    shutil.rmtree(out / ".checkpoints", ignore_errors=True)


def make_executor(workers: int | None, dask: str | None = None) -> sim.Executor:
    """The executor, or one clear line if the Dask scheduler cannot be reached."""
    try:
        return sim.make_executor(workers, dask)
    except Exception as exc:  # distributed raises OSError, TimeoutError, ValueError, ...
        if not dask:
            raise
        fail(
            f"--dask {dask}: cannot connect to a Dask scheduler there ({type(exc).__name__}: {exc})"
        )
        raise  # unreachable: fail exits


ScenarioArg = Annotated[Path, typer.Argument(help="scenario file (YAML)", show_default=False)]


def Flag(*names: str, **kw):
    """A boolean option shown in --help as a bare flag (typer with click 8.2+ would print
    '<bool>' after it)."""
    return typer.Option(*names, metavar="", **kw)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        out_console.print(f"ccsim {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        Flag("--version", callback=_print_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Call-center simulator and staffing optimizer with cross-sell policies."""


JsonOpt = Annotated[bool, Flag("--json", help="print results as one JSON object")]
QuietOpt = Annotated[
    bool, Flag("--quiet", "-q", help="no progress lines or compile note on stderr")
]
WorkersOpt = Annotated[
    int | None, typer.Option(min=1, help="worker processes (default: all cores)")
]
DaskOpt = Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")]
SeedOpt = Annotated[
    int | None,
    typer.Option(min=0, max=2**63 - 1, help="random seed (default: the scenario's)"),
]
ConfidenceOpt = Annotated[
    float | None,
    typer.Option(
        min=0.5,
        max=0.999,
        help="confidence at which a target counts as met (default: the scenario's, 0.95)",
    ),
]


def load(file: Path, confidence: float | None = None) -> sim.Model:
    """The scenario, with the verdict's confidence from the command line if given."""
    model = sim.load_scenario(file)
    if confidence is None:
        return model
    return dataclasses.replace(model, targets=model.targets.with_confidence(confidence))


def parse_option(option: str, parser, text: str | None):
    """A command-line value read with `parser` (e.g. a duration); a bad one fails cleanly."""
    if text is None:
        return None
    try:
        return parser(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")
