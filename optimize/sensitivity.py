"""How the best plan moves as callers' patience for a pitch shrinks: the optimizer run
once per half-life of `accept_decay` (`ccsim optimize --half-lives 4min,2min,1min,30s`).

Every segment with `accept_decay` gets the half-life of the row; other segments keep
theirs. Each row is a full optimization (same seed, same search budget), so the rows
differ only by the half-life, and each plan is confirmed on its own fresh days.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ccsim.sim import Model, PlanningError
from ccsim.sim.scenario.units import format_duration
from ccsim.sim.scenario.wait_effects import DECAY

from .optimizer import optimize
from .plan import policy_dict, policy_text
from .result import OptimizeResult
from .search.progress import Progress


def with_half_life(model: Model, seconds: float) -> Model:
    """The model with every accept_decay half-life set to `seconds`."""
    fx = model.wait_effects
    if fx is None or not (fx.accept_mode == DECAY).any():
        raise PlanningError(
            "--half-lives needs a segment with cross_sell.accept_decay", file=model.source
        )
    half = np.where(fx.accept_mode == DECAY, float(seconds), fx.half_life)
    return dataclasses.replace(model, wait_effects=dataclasses.replace(fx, half_life=half))


def sensitivity_row(half_life: float, res: OptimizeResult) -> dict:
    m = res.model
    s = res.result.summary
    pol = policy_dict(res.plan, m)
    return {
        "half_life": format_duration(half_life),
        "half_life_seconds": half_life,
        "agent_hours": res.agent_hours,
        **{f"policy_{name}": policy_text(pol[name], short=True) for name in m.segments},
        "attempts": s["attempts"].mean,
        "conversion": s["conversion"].mean,
        "revenue": s["revenue"].mean,
        "profit": s["profit"].mean,
        "long_run_profit": s["long_run_profit"].mean,
        "satisfaction": s["satisfaction"].mean,
        "verdict": res.verdict,
    }


def half_life_sensitivity(
    model: Model,
    half_lives: list[float],
    progress: Progress | None = None,
    **optimize_args,
) -> list[dict]:
    """One optimized plan per half-life, longest first (rows of `sensitivity_row`)."""
    rows = []
    for h in sorted(half_lives, reverse=True):
        if not (math.isfinite(h) and h > 0):
            raise PlanningError(f"--half-lives: {h!r} is not a positive duration")
        label = format_duration(h)

        def step(desc: str, evaluations: int, label: str = label) -> None:
            if progress:
                progress(f"half-life {label}: {desc}", evaluations)

        res = optimize(with_half_life(model, h), progress=step, **optimize_args)
        rows.append(sensitivity_row(h, res))
    return rows
