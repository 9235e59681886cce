"""The profit-service frontier: the best profit for each service-level target, with
cross-selling and without. It shows what each point of service level costs."""

from __future__ import annotations

from dataclasses import dataclass

from ccsim.sim import Executor, Model

from .budget import SAFETY_FACTOR, calls_for
from .evaluate import Targets
from .optimizer import optimize
from .result import OptimizeResult
from .search.progress import Progress

FRONTIER_SECONDS = 30.0  # each point's default budget, in seconds at the reference speed
DEFAULT_LEVELS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


@dataclass
class FrontierPoint:
    level: float
    cross_sell: bool
    result: OptimizeResult

    def row(self) -> dict:
        s = self.result.result.summary
        return {
            "service_level_target": self.level,
            "cross_sell": self.cross_sell,
            "feasible": self.result.feasible,
            "profit": s["profit"].mean,
            "profit_lo": s["profit"].lo,
            "profit_hi": s["profit"].hi,
            "service_level": s["service_level"].mean,
            "asa": s["asa"].mean,
            "abandon_rate": s["abandon_rate"].mean,
            "revenue": s["revenue"].mean,
            "staffing_cost": s["staffing_cost"].mean,
            "agent_hours": self.result.agent_hours,
        }


def frontier(
    model: Model,
    levels=DEFAULT_LEVELS,
    *,
    executor: Executor | None = None,
    replications: int | None = None,
    confirm_replications: int | None = None,
    budget_each: float | None = None,
    time_limit_each: float | None = None,
    progress: Progress | None = None,
) -> list[FrontierPoint]:
    """Optimize for each SL target (warm-started from the neighbouring level), with and
    without cross-selling. Other targets of the scenario are kept. Each point's search
    ends on its own or on `budget_each` simulated calls (default: 30 s at the reference
    speed); `time_limit_each` is a wall-clock safety net."""
    if budget_each is None:
        budget_each = calls_for(FRONTIER_SECONDS)
    base = Targets.from_model(model)
    points = []
    for cross in (True, False):
        start = None
        for level in sorted(levels, reverse=True):
            t = Targets(
                level,
                base.sl_per if base.sl_fraction is not None else "day",
                base.max_abandon,
                base.max_asa,
            )
            if progress:
                progress(f"frontier: SL {level:.0%}{'' if cross else ', no cross-sell'}", 0)
            r = optimize(
                model,
                targets=t,
                executor=executor,
                replications=replications,
                confirm_replications=confirm_replications,
                budget=budget_each,
                time_limit=time_limit_each or SAFETY_FACTOR * FRONTIER_SECONDS,
                start=start,
                cross_sell=cross,
            )
            start = r.plan
            points.append(FrontierPoint(level, cross, r))
    return points
