"""What a long command shows while it works, on stderr: a live bar on a terminal, a plain
line every few seconds otherwise (a log file, CI, a pipe), nothing under --json or
--quiet; and a one-line note while the fast engine compiles on its first run."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .common import err_console

PLAIN_EVERY = 10.0  # seconds between plain progress lines (not a terminal)
PLAIN_AFTER = 2.0  # a step shorter than this prints no plain line
COMPILE_NOTE_AFTER = 4.0  # seconds of loading the engine after which it must be compiling


class Reporter:
    """A progress callback `(text, plans, done)`: `done` is the share of the work
    budget spent (None: unknown), which gives the bar its length and the ETA."""

    def __init__(self, what: str, enabled: bool = True, total: float | None = None):
        self.what = what
        self.enabled = enabled
        self.live = enabled and err_console.is_terminal
        self.total = total
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last_line = -math.inf
        self._t0 = time.monotonic()

    def __enter__(self) -> Reporter:
        if self.live:
            self._bar = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=err_console,
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(escape(self.what), total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def __call__(self, text: str, plans: int = 0, done: float | None = None) -> None:
        if not self.enabled:
            return
        desc = f"{self.what}: {text}" + (f" ({plans:,} plans)" if plans else "")
        if self._bar is not None and self._task is not None:
            if done is not None:
                self._bar.update(self._task, total=1.0, completed=min(1.0, done))
            self._bar.update(self._task, description=escape(desc))
            return
        now = time.monotonic()
        if now - self._t0 >= PLAIN_AFTER and now - self._last_line >= PLAIN_EVERY:
            self._last_line = now
            share = f", {done:.0%} of the work budget" if done is not None else ""
            err_console.print(
                f"{desc}{share}, {now - self._t0:,.0f} s",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )

    def advance(self, n: int) -> None:
        """Counted work (replications of a simulation, out of `total`)."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)
            return
        if self.enabled and self.total:
            self._count = getattr(self, "_count", 0) + n
            self(f"{self._count:,} of {self.total:,.0f} replications")


@contextmanager
def compile_note(enabled: bool, optimizing: bool = False) -> Iterator[None]:
    """Load the fast engine (and for a search its window runs) before the work starts;
    if that takes more than `COMPILE_NOTE_AFTER` seconds it is compiling (the first run
    after an install; loading the cached code takes 1-2 s), and one line says so. numba
    keeps the machine code, so it happens once."""
    timer = threading.Timer(
        COMPILE_NOTE_AFTER,
        lambda: err_console.print(
            "compiling the fast engine (first run after an install, about 20-60 s; "
            "kept for later runs)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        ),
    )
    if enabled and math.isfinite(COMPILE_NOTE_AFTER):
        timer.start()
    try:
        from ccsim.sim.engine.fast import warm_up_compiler

        warm_up_compiler()
        if optimizing:
            from ccsim.sim.engine.window import warm_up

            warm_up()
        yield
    finally:
        timer.cancel()
