"""The selling decision: each segment's threshold (for the day or per interval) and
max_wait, each change alone or with the agents that mend the targets it breaks."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from ccsim.sim import ALWAYS, NEVER, Model

from ..budget import Budget
from ..evaluate import Evaluation, Evaluator, paired
from ..plan import Plan, SearchPlan, threshold_label
from .moves import JOINT_TRIES, Bounds, accepts, gain, screened
from .progress import SearchLog
from .staffing import repair


def _best_policy_move(
    ev: Evaluator,
    cur: Evaluation,
    trial: list,
    bounds: Bounds,
    stop: Budget,
    rejected: list[tuple[str, float, float]],
    label: Callable[[SearchPlan], str],
) -> tuple[Evaluation | None, bool]:
    """The best of a segment's policy changes `trial` (thresholds or max_wait), each alone
    or with the agents that mend the targets it breaks (a joint move: the change, then
    agents added where the targets miss); (best, joint) or (None, False)."""
    trial = [p for p in dict.fromkeys(trial) if p != cur.plan]
    evs = [e for e in screened(ev, cur, trial) if e is not None]
    ok = [e for e in evs if accepts(cur, e)]
    for e in evs:
        if e.feasible:
            rejected.append((label(e.plan), *gain(cur, e)))
    best = max(ok, key=lambda e: gain(cur, e)[0]) if ok else None
    joint = False
    # joint moves: the most profitable changes that break a target, each with the agents
    # that mend it (ranked on the screening sample in later stages: it is cheap)
    small_n = ev.screens[-1] if ev.screens else ev.n
    pool = ev.evaluate_many(trial, n=small_n)
    base = ev.evaluate(cur.plan, n=small_n)
    infeasible = sorted(
        (e for e in pool if not e.feasible and paired(base, e)[0] > 0),
        key=lambda e: -paired(base, e)[0],
    )
    for top in infeasible[:JOINT_TRIES]:  # the most profitable first
        if stop.out():
            break
        fixed = repair(ev, top.plan, bounds, None, None, stop, max_steps=8)
        if accepts(cur, fixed) and (best is None or gain(cur, fixed)[0] > gain(cur, best)[0]):
            best, joint = fixed, True
    return best, joint


def _move_text(cur: Evaluation, best: Evaluation, what: str, joint: bool) -> str:
    g, se = gain(cur, best)
    extra = sum(best.plan.staffing) - sum(cur.plan.staffing)
    return (
        what + (f" with {extra:+d} agent-intervals" if joint else "") + f" ({g:+,.0f} ± {se:,.0f})"
    )


def _threshold_label(p: SearchPlan, k: int, name: str) -> str:
    return f"{name}: threshold {threshold_text(p.thresholds[0][k])}"


def _max_wait_label(p: Plan, model: Model, k: int, name: str) -> str:
    return f"{name}: max_wait {_wait_text(p.max_wait_table(model)[0, k])}"


def _threshold_round(
    ev: Evaluator,
    cur: Evaluation,
    ranking: list[int],
    bounds: Bounds,
    log: SearchLog,
    stop: Budget,
    rejected: list[tuple[str, float, float]],
) -> tuple[Evaluation, bool]:
    """One pass over the segments' thresholds (`_best_policy_move`)."""
    model = ev.model
    cands = bounds.candidates()
    improved = False
    for k in ranking:
        if model.eligible[k] <= 0 or stop.out():
            continue
        now = cur.plan.thresholds[0][k] if not bounds.per_interval else None
        name = model.segments[k]
        best, joint = _best_policy_move(
            ev,
            cur,
            [cur.plan.with_threshold(k, c) for c in cands],
            bounds,
            stop,
            rejected,
            functools.partial(_threshold_label, k=k, name=name),
        )
        if best is not None:
            what = f"{name}: threshold {threshold_text(now)} -> {threshold_text(best.plan.thresholds[0][k])}"
            log.moves.append(_move_text(cur, best, what, joint))
            cur = best
            improved = True
    return cur, improved


# offer only to callers who waited at most this long (inf: any wait); seconds
MAX_WAIT_GRID = (math.inf, 0.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0)


def searches_max_wait(model: Model) -> bool:
    """The search moves max_wait when callers react to waiting, the customer's value is
    modelled or the scenario already limits offers by the wait; otherwise it has no
    reason to (and the search stays as it was)."""
    return (
        model.wait_effects is not None
        or model.max_wait is not None
        or model.customer_value is not None
    )


def _wait_text(seconds: float) -> str:
    return "any wait" if not math.isfinite(seconds) else f"{seconds:g}s"


def _max_wait_round(
    ev: Evaluator,
    cur: Evaluation,
    ranking: list[int],
    bounds: Bounds,
    log: SearchLog,
    stop: Budget,
    rejected: list[tuple[str, float, float]],
) -> tuple[Evaluation, bool]:
    """One pass over the offered segments' max_wait (one value for the day), from the
    grid `MAX_WAIT_GRID`, each alone or with the agents that mend the targets."""
    model = ev.model
    improved = False
    for k in ranking:
        offered = any(row[k] > NEVER for row in cur.plan.thresholds)
        if model.eligible[k] <= 0 or not offered or stop.out():
            continue
        name = model.segments[k]
        now = cur.plan.max_wait_table(model)[:, k]
        best, joint = _best_policy_move(
            ev,
            cur,
            [cur.plan.with_max_wait(model, k, w) for w in MAX_WAIT_GRID],
            bounds,
            stop,
            rejected,
            functools.partial(_max_wait_label, model=model, k=k, name=name),
        )
        if best is not None:
            was = _wait_text(now[0]) if (now == now[0]).all() else "per interval"
            new = _wait_text(best.plan.max_wait_table(model)[0, k])
            log.moves.append(_move_text(cur, best, f"{name}: max_wait {was} -> {new}", joint))
            cur = best
            improved = True
    return cur, improved


def _per_interval_round(
    ev: Evaluator,
    cur: Evaluation,
    ranking: list[int],
    bounds: Bounds,
    log: SearchLog,
    stop: Budget,
) -> tuple[Evaluation, bool]:
    model = ev.model
    improved = False
    for k in ranking:
        if model.eligible[k] <= 0:
            continue
        for t in range(model.n_intervals):
            if stop.out():
                return cur, improved
            now = cur.plan.thresholds[t][k]
            opts = {
                NEVER,
                ALWAYS,
                max(bounds.th_min, min(bounds.th_max, now - 1)) if NEVER < now < ALWAYS else 0,
                max(bounds.th_min, min(bounds.th_max, now + 1)) if NEVER < now < ALWAYS else 0,
            } - {now}
            trial = [cur.plan.with_threshold(k, c, t) for c in sorted(opts)]
            evs = [e for e in screened(ev, cur, trial) if e is not None]
            ok = [e for e in evs if accepts(cur, e)]
            if ok:
                best = max(ok, key=lambda e: gain(cur, e)[0])
                log.moves.append(
                    f"{model.segments[k]} at {model.interval_label(t)}: threshold "
                    f"{threshold_text(now)} -> {threshold_text(best.plan.thresholds[t][k])}"
                )
                cur = best
                improved = True
    return cur, improved


def threshold_text(k) -> str:
    return str(threshold_label(int(k))) if k is not None else "per interval"
