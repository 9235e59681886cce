"""When a search stops: a budget of work, never the wall clock (issue 23).

The work is counted in plan-replications the search asks for (one plan simulated on one
day; a plan asked for again on days it already has costs nothing), which depends only on
the scenario, the seed and the search's own decisions, not on what a checkpoint already
holds: the same scenario and seed give the
same plan, byte for byte, on a busy or an idle machine and on any number of workers. The
default budget grows with the problem like the old time limit did, at a reference speed
(`REFERENCE_CALLS_PER_SECOND`); searches that converge (most) never reach it. The wall
clock stays as a safety net only (`--time-limit`, `optimizer.time_limit`): when it cuts a
search, the output says "search stopped early" and how far the search got.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# calls per second the default budgets are converted at: the fast engine on a 2-core
# machine (README, Speed), so a budget "of 180 s" is 450 million simulated calls
REFERENCE_CALLS_PER_SECOND = 2.5e6
# the safety net, when none is given: this many times the default budget's reference time
SAFETY_FACTOR = 4.0


def _nothing_spent() -> float:
    return 0.0


@dataclass
class Budget:
    """The search's budget: `work` plan-replications (inf: none), and a wall-clock
    `deadline` (a `time.perf_counter()` value; inf: none). `spent` reports the work asked
    for so far (set by the search once its evaluator exists). Once out, it stays out,
    with its `reason`."""

    work: float = math.inf
    deadline: float = math.inf
    spent: Callable[[], float] = field(default=_nothing_spent, repr=False)
    reason: str | None = None  # "budget" or "time limit" once out

    def out(self) -> bool:
        if self.reason is None:
            if self.spent() >= self.work:
                self.reason = "budget"
            elif time.perf_counter() >= self.deadline:
                self.reason = "time limit"
        return self.reason is not None


def work_for(calls: float, calls_per_replication: float) -> float:
    """Plan-replications worth `calls` simulated calls, for a day of this many calls."""
    return calls / max(1.0, calls_per_replication)


def calls_for(seconds: float) -> float:
    """Simulated calls for `seconds` at the reference speed."""
    return seconds * REFERENCE_CALLS_PER_SECOND
