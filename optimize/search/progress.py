"""What a search reports while it runs, and the log it leaves: rounds, moves taken, the
best move it turned down, why it stopped."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..budget import Budget
from ..evaluate import Evaluator

Progress = Callable[..., None]  # (what, plans evaluated[, share of the work budget spent])


class SearchProgress:
    """What a search reports while it runs, as work comes back from the workers (at
    most twice a second): its stage and step, plans evaluated, replications, simulated
    calls, and the share of its work budget spent (the command's bar and ETA)."""

    def __init__(self, report: Progress | None, ev: Evaluator, stop: Budget, stages: list[int]):
        self.report = report
        self.ev = ev
        self.stop = stop
        self.stages = stages
        self.step = "searching"
        self._last = 0.0
        if report is not None:
            ev.tick = self.emit

    def __call__(self, step: str, evaluations: int = 0, done: float | None = None) -> None:
        self.step = step
        self._last = 0.0
        self.emit()

    def emit(self) -> None:
        now = time.monotonic()
        if self.report is None or now - self._last < 0.5:
            return
        self._last = now
        ev = self.ev
        stage = self.stages.index(ev.n) + 1 if ev.n in self.stages else len(self.stages)
        work = self.stop.work
        done = min(1.0, ev.work_asked() / work) if math.isfinite(work) and work > 0 else None
        calls = max(ev.calls, ev.calls_running)
        self.report(
            f"stage {stage} of {len(self.stages)} ({ev.n} replications), {self.step}, "
            f"{calls / 1e6:,.1f}M calls simulated",
            ev.evaluations,
            done,
        )


@dataclass
class SearchLog:
    rounds: int = 0
    evaluations: int = 0
    moves: list[str] = field(default_factory=list)
    best_rejected: tuple[str, float, float] | None = None  # move, paired gain, its s.e.
    stopped: str | None = None  # why the search ended early: "budget" or "time limit"

    @property
    def stopped_by_time(self) -> bool:
        return self.stopped == "time limit"
