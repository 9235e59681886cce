"""Searches over plans: by simulation (any scenario) and exact (Markov-solvable ones)."""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ccsim.sim import ALWAYS, NEVER, Model
from ccsim.sim.targets import interval_arrays, sample_stats, verdicts

from .analytic.erlang import agents_needed
from .analytic.markov import MarkovResult, chain_rates, threshold_chain
from .analytic.seed import smooth
from .budget import Budget
from .evaluate import Evaluation, Evaluator, Targets, paired
from .plan import Plan, SearchPlan, threshold_label

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


@dataclass
class Bounds:
    lo: int = 0
    hi: int | None = None
    max_change: int | None = None
    th_min: int = -3
    th_max: int = 8
    per_interval: bool = False

    @classmethod
    def from_model(cls, model: Model) -> Bounds:
        o = model.optimizer
        return cls(
            o.staffing_min,
            o.staffing_max,
            o.max_change,
            o.threshold_min,
            o.threshold_max,
            o.per_interval and not model.steady,
        )

    def candidates(self) -> list[int]:
        return [NEVER, *range(self.th_min, self.th_max + 1), ALWAYS]

    def clamp(self, s: np.ndarray) -> tuple[int, ...]:
        """Staffing raised to respect `max_change`, then capped at `hi`."""
        if self.max_change:
            s = smooth(np.asarray(s), self.max_change)
        if self.hi is not None:
            s = np.minimum(s, self.hi)
        return tuple(int(x) for x in s)

    def staffing_ok(self, s: tuple[int, ...]) -> bool:
        if min(s) < self.lo or (self.hi is not None and max(s) > self.hi):
            return False
        if self.max_change:
            return all(abs(a - b) <= self.max_change for a, b in zip(s, s[1:], strict=False))
        return True


MIN_GAIN_SE = 1.0  # a move is taken only when its paired profit gain exceeds this many s.e.
JOINT_TRIES = 3  # thresholds tried as joint moves per segment and round


def _gain(cur: Evaluation, cand: Evaluation) -> tuple[float, float]:
    """Paired profit gain of `cand` over `cur` and its standard error."""
    return paired(cur, cand)


def _accepts(cur: Evaluation, cand: Evaluation) -> bool:
    """Feasible (every target met on the search sample) and a clear paired gain."""
    if not cand.feasible or cand.plan == cur.plan:
        return False
    g, se = _gain(cur, cand)
    return g > 0 and (not math.isfinite(se) or g > MIN_GAIN_SE * se)


def _bound_slack(j) -> float:
    """Slack of a judgement's one-sided bound (>= 0: met)."""
    t = j.target
    return float(t.slack(j.lo if t.higher_is_better else j.hi))


def _promising(cur_full: Evaluation, cur_small: Evaluation, cand_small: Evaluation) -> bool:
    """Worth simulating on the full stage? A positive paired gain on the prefix, and every
    target plausibly met at the full stage: a day target's full-stage bound is predicted
    as the current plan's plus the candidate's paired change on the prefix (common random
    numbers make that change precise even on a few days); a per-interval target must not
    be missed on the prefix."""
    if paired(cur_small, cand_small)[0] <= 0:
        return False
    for jf, js, jc in zip(cur_full.judged, cur_small.judged, cand_small.judged, strict=True):
        if jc.target.per_interval:
            if jc.verdict == "missed":
                return False
            continue
        if not (math.isfinite(jc.slack) and math.isfinite(js.slack)):
            continue
        if _bound_slack(jf) + (jc.slack - js.slack) < 0:
            return False
    return True


def screened(
    ev: Evaluator, cur: Evaluation, plans: Sequence[SearchPlan]
) -> list[Evaluation | None]:
    """Evaluate plans at the evaluator's stage; in later stages, first screen them on the
    earlier stages' replications (a prefix of this stage's, so nothing is simulated twice)
    and go on simulating only the promising ones (`_promising`). Screened-out plans come
    back as None."""
    keep = list(dict.fromkeys(plans))
    for small_n in ev.screens:
        if small_n >= ev.n or not keep:
            break
        small = ev.evaluate_many(keep, n=small_n, base=cur.plan)
        base = ev.evaluate(cur.plan, n=small_n)
        keep = [p for p, e in zip(keep, small, strict=True) if _promising(cur, base, e)]
    full = dict(zip(keep, ev.evaluate_many(keep, base=cur.plan), strict=True))
    return [full.get(p) for p in plans]


def _staffing_moves(
    plan: Plan, model: Model, bounds: Bounds, big: bool = True
) -> list[tuple[str, frozenset[int], Plan]]:
    """(label, intervals touched, plan) for +-1 (and with `big`, +-2) agents in one
    interval, and one agent moved to the neighbouring interval, within the bounds."""
    moves: list[tuple[str, frozenset[int], Plan]] = []
    steps = (-2, -1, 1, 2) if big else (-1, 1)
    if model.steady:  # one staffing level for the whole run
        for d in steps:
            s = tuple(x + d for x in plan.staffing)
            if bounds.staffing_ok(s) and s[0] >= 1:
                moves.append((f"staffing {d:+d}", frozenset({0}), replace(plan, staffing=s)))
        return moves
    meas = model.measured
    T = model.n_intervals
    for t in range(T):
        if not meas[t]:
            continue
        lab = model.interval_label(t)
        for d in steps:
            n = plan.staffing[t] + d
            if n < 0:
                continue
            p = plan.with_staffing(t, n)
            if bounds.staffing_ok(p.staffing):
                moves.append((f"{lab} {d:+d} agent{'s' if abs(d) > 1 else ''}", frozenset({t}), p))
    for t in range(T - 1):
        for a, b in ((t, t + 1), (t + 1, t)):
            if plan.staffing[a] < 1:
                continue
            moved = list(plan.staffing)
            moved[a] -= 1
            moved[b] += 1
            if bounds.staffing_ok(tuple(moved)):
                moves.append(
                    (
                        f"one agent from {model.interval_label(a)} to {model.interval_label(b)}",
                        frozenset({a, b}),
                        replace(plan, staffing=tuple(moved)),
                    )
                )
    return moves


REPAIR_STATS = ("offered", "service_level", "abandon_rate")


def interval_stats_of_evaluation(e: Evaluation) -> dict[str, tuple]:
    """(mean, se, n) arrays over all intervals, from a search evaluation."""
    return {s: sample_stats(e.intervals[s]) for s in REPAIR_STATS}


def repair_increment(
    model: Model, judged: list, stats: dict[str, tuple], confidence: float
) -> np.ndarray:
    """Agents to add, per interval, to mend the targets that are not met: +1 in every
    interval where a per-interval target is not met, and +1 in the eighth of the
    intervals that contribute most to a day target that is not (late calls for service
    level and ASA, abandoned calls for abandonment)."""
    T = model.n_intervals
    add = np.zeros(T, np.int64)
    if model.steady:
        add[:] = 1
        return add
    meas = model.measured
    k = max(1, int(meas.sum()) // 8)
    offered = stats["offered"][0]
    for j in judged:
        if j.verdict == "met":
            continue
        t = j.target
        if t.per_interval:
            m, se, n = stats[t.stat]
            vs = verdicts(m, se, n, t.limit, t.higher_is_better, confidence)
            add[meas & np.isfinite(m) & (vs != "met")] = 1
            continue
        if t.stat == "abandon_rate":
            weight = offered * stats["abandon_rate"][0]
        else:  # service level and ASA: calls answered late
            weight = offered * (1.0 - stats["service_level"][0])
        weight = np.where(meas & np.isfinite(weight), weight, -np.inf)
        add[np.argsort(weight)[::-1][:k]] = 1
    return add


def repair_from_result(res, judged: list, targets: Targets) -> np.ndarray:
    """`repair_increment` for a confirmation run."""
    stats = interval_arrays(res, REPAIR_STATS)
    return repair_increment(res.model, judged, stats, targets.confidence)


def _add_staffing(plan: Plan, add: np.ndarray, bounds: Bounds) -> Plan | None:
    s = bounds.clamp(np.array(plan.staffing) + add)
    return None if s == plan.staffing else replace(plan, staffing=s)


def repair(
    ev: Evaluator,
    plan: Plan,
    bounds: Bounds,
    log: SearchLog | None,
    progress: Progress | None,
    stop: Budget,
    max_steps: int | None = None,
    mend: Callable | None = None,
) -> Evaluation:
    """Add agents where the targets miss until they are met on the evaluator's sample
    (or nothing more can be added, or `max_steps` rounds are used). `mend(plan, add)`
    turns the agents to add per interval into a plan (None: nothing can be added); by
    default staffing plus `add`, within the bounds."""
    cur = ev.evaluate(plan)
    steps = 0
    mend = mend or (lambda p, add: _add_staffing(p, add, bounds))
    while not cur.feasible and not stop.out():
        if max_steps is not None and steps >= max_steps:
            break
        add = repair_increment(
            ev.model, cur.judged, interval_stats_of_evaluation(cur), ev.confidence
        )
        nxt = mend(cur.plan, add)
        if nxt is None:
            break
        cur = ev.evaluate(nxt, base=cur.plan)
        steps += 1
        if log is not None:
            log.moves.append("repair: add agents where the targets miss")
        if progress:
            progress("repairing targets", ev.evaluations)
    return cur


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
    ok = [e for e in evs if _accepts(cur, e)]
    for e in evs:
        if e.feasible:
            rejected.append((label(e.plan), *_gain(cur, e)))
    best = max(ok, key=lambda e: _gain(cur, e)[0]) if ok else None
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
        if _accepts(cur, fixed) and (best is None or _gain(cur, fixed)[0] > _gain(cur, best)[0]):
            best, joint = fixed, True
    return best, joint


def _move_text(cur: Evaluation, best: Evaluation, what: str, joint: bool) -> str:
    g, se = _gain(cur, best)
    extra = sum(best.plan.staffing) - sum(cur.plan.staffing)
    return (
        what + (f" with {extra:+d} agent-intervals" if joint else "") + f" ({g:+,.0f} ± {se:,.0f})"
    )


def _threshold_label(p: SearchPlan, k: int, name: str) -> str:
    return f"{name}: threshold {_th(p.thresholds[0][k])}"


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
            what = f"{name}: threshold {_th(now)} -> {_th(best.plan.thresholds[0][k])}"
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
            ok = [e for e in evs if _accepts(cur, e)]
            if ok:
                best = max(ok, key=lambda e: _gain(cur, e)[0])
                log.moves.append(
                    f"{model.segments[k]} at {model.interval_label(t)}: threshold "
                    f"{_th(now)} -> {_th(best.plan.thresholds[t][k])}"
                )
                cur = best
                improved = True
    return cur, improved


class MoveMemo:
    """Staffing moves a round may leave out ("don't look" bits, as in local search for
    the travelling salesman): a move that was clearly hopeless (its paired gain below
    zero by two standard errors, a target clearly missed, or screened out) when it was
    last tried is not tried again while the plan near it (its intervals and `RADIUS`
    either side, the policy, the stage) is what it was then. A search never ends on a
    round that left moves out: it then tries every move once more (`full_sweep`), so
    it still stops only where no single move is a clear gain."""

    RADIUS = 2  # intervals either side whose staffing a move's value depends on

    def __init__(self) -> None:
        self._hopeless: dict[str, tuple[Plan, frozenset[int], int]] = {}
        self.skipped = 0
        self.full_sweep = False

    def _near(self, p: Plan, q: Plan, touched: frozenset[int]) -> bool:
        if p.thresholds != q.thresholds or p.max_wait != q.max_wait:
            return False
        lo = max(0, min(touched) - self.RADIUS)
        hi = max(touched) + self.RADIUS + 1
        return p.staffing[lo:hi] == q.staffing[lo:hi]

    def active(self, moves: Sequence[tuple[str, frozenset, Plan]], cur: Plan, n: int):
        """The moves to try this round (every one on a full sweep)."""
        self.skipped = 0
        if self.full_sweep:
            return list(moves)
        out = []
        for mv in moves:
            seen = self._hopeless.get(mv[0])
            if seen is not None and seen[2] == n and self._near(seen[0], cur, mv[1]):
                self.skipped += 1
            else:
                out.append(mv)
        return out

    def record(self, moves, evs: Sequence[Evaluation | None], cur: Evaluation, n: int) -> None:
        for (label, touched, _), e in zip(moves, evs, strict=True):
            hopeless = e is None or any(j.verdict == "missed" for j in e.judged)
            if not hopeless:
                g, se = _gain(cur, e)  # type: ignore[arg-type]
                hopeless = math.isfinite(se) and g + 2.0 * se < 0
            if hopeless:
                self._hopeless[label] = (cur.plan, touched, n)
            else:
                self._hopeless.pop(label, None)


def batch_round(
    ev: Evaluator,
    cur: Evaluation,
    moves: Sequence[tuple[str, frozenset, SearchPlan]],
    combine: Callable[[list[int]], SearchPlan | None],
    log: SearchLog,
    kind: str,
    rejected: list[tuple[str, float, float]],
    memo: MoveMemo | None = None,
) -> tuple[Evaluation, bool]:
    """One round of moves (label, what it touches, the moved plan), screened on the
    earlier stages' replications: the best accepted move, or the accepted moves on
    distinct keys together (all, else the better half, quarter, ...) when that gains
    more; `combine(indices)` makes the plan of several moves (None: not allowed). A
    search that takes one move a round needs many rounds."""
    evs = screened(ev, cur, [p for *_, p in moves])
    if memo is not None:
        memo.record(moves, evs, cur, ev.n)
    for (label, _, _), e in zip(moves, evs, strict=True):
        if e is not None and e.feasible:
            rejected.append((label, *_gain(cur, e)))
    good = [i for i, e in enumerate(evs) if e is not None and _accepts(cur, e)]
    if not good:
        return cur, False
    good.sort(key=lambda i: -_gain(cur, evs[i])[0])  # type: ignore[arg-type]
    best = evs[good[0]]
    assert best is not None  # `good` holds evaluated moves only
    label = moves[good[0]][0]
    chosen: list[int] = []
    used: set = set()
    for i in good:
        if not (moves[i][1] & used):
            used |= moves[i][1]
            chosen.append(i)
    k = len(chosen)
    while k > 1:
        combo = combine(chosen[:k])
        if combo is not None:
            ce = ev.evaluate(combo, base=cur.plan)
            if _accepts(cur, ce) and _gain(cur, ce)[0] > _gain(cur, best)[0]:
                best, label = ce, f"{k} {kind} moves at once"
                break
        k //= 2
    g, se = _gain(cur, best)
    log.moves.append(f"{kind}: {label} ({g:+,.0f} ± {se:,.0f})")
    return best, True


def _staffing_round(
    ev: Evaluator,
    cur: Evaluation,
    bounds: Bounds,
    log: SearchLog,
    rejected: list[tuple[str, float, float]],
    memo: MoveMemo | None = None,
) -> tuple[Evaluation, bool]:
    """Every staffing move (but those `memo` leaves out); the best, or all improving
    moves on distinct intervals at once when that is better still."""
    # +-2 agents in the first stage only: later stages refine what it found
    moves = _staffing_moves(cur.plan, ev.model, bounds, big=not ev.screens)
    if memo is not None:
        moves = memo.active(moves, cur.plan, ev.n)
    now = np.array(cur.plan.staffing)

    def combine(idx: list[int]) -> Plan | None:
        s = now.copy()
        for i in idx:
            s += np.array(moves[i][2].staffing) - now
        combo = replace(cur.plan, staffing=tuple(int(x) for x in s))
        return combo if bounds.staffing_ok(combo.staffing) else None

    return batch_round(ev, cur, moves, combine, log, "staffing", rejected, memo)


def _th(k) -> str:
    return str(threshold_label(int(k))) if k is not None else "per interval"


def simulation_search(
    ev: Evaluator,
    start: Plan,
    ranking: list[int],
    bounds: Bounds,
    stop: Budget,
    progress: Progress | None = None,
    search_thresholds: bool = True,
    log: SearchLog | None = None,
) -> tuple[Evaluation, SearchLog]:
    """Local search on one set of replications, from `start` (repaired first).

    Moves: each segment's threshold (alone, or with the agents that make it feasible),
    per-interval thresholds when asked, +-1 and +-2 agents in an interval, one agent moved
    to the next interval, and all improving staffing moves at once. A move is taken when
    the plan stays feasible (every target met on this sample at the search confidence)
    and its paired profit gain exceeds its standard error.

    Rounds leave out what is unlikely to have changed: policy moves after a round in
    which none was taken (staffing moves of a few agents seldom move the best policy),
    and staffing moves that were clearly hopeless near an unchanged plan (`MoveMemo`).
    The search stops only after a round that tried every move and took none.
    """
    log = log or SearchLog()
    cur = repair(ev, start, bounds, log, progress, stop)
    memo = MoveMemo()
    policy_due = True  # policy rounds run while they improve, and on every full sweep
    while not stop.out():
        log.rounds += 1
        improved = False
        policy_improved = False
        rejected: list[tuple[str, float, float]] = []
        if search_thresholds and policy_due:
            if progress:
                progress("policy moves", ev.evaluations)
            cur, imp = _threshold_round(ev, cur, ranking, bounds, log, stop, rejected)
            policy_improved |= imp
            if searches_max_wait(ev.model) and isinstance(cur.plan, Plan):
                if progress:
                    progress("max_wait moves", ev.evaluations)
                cur, imp = _max_wait_round(ev, cur, ranking, bounds, log, stop, rejected)
                policy_improved |= imp
            if bounds.per_interval:
                if progress:
                    progress("per-interval policy moves", ev.evaluations)
                cur, imp = _per_interval_round(ev, cur, ranking, bounds, log, stop)
                policy_improved |= imp
        improved |= policy_improved
        if stop.out():
            break
        if progress:
            progress(f"staffing moves, round {log.rounds}", ev.evaluations)
        cur, imp = _staffing_round(ev, cur, bounds, log, rejected, memo)
        improved |= imp
        left_out = memo.skipped or (search_thresholds and not policy_due)
        if not improved and left_out:
            # a round that left moves out never ends the search: try every move
            memo.full_sweep = policy_due = True
            continue
        memo.full_sweep = False
        if not improved:
            note_best_rejected(log, rejected)
            break
        policy_due = policy_improved
    if stop.out():
        log.stopped = log.stopped or stop.reason
    return cur, log


def note_best_rejected(log: SearchLog, rejected: list[tuple[str, float, float]]) -> None:
    """The best neighbour left when a search stops: how much it could still be missing."""
    finite = [r for r in rejected if math.isfinite(r[1])]
    log.best_rejected = max(finite, key=lambda x: x[1]) if finite else None


# --- exact search (Markov chain) -------------------------------------------------------


@dataclass
class ExactPoint:
    agents: int
    thresholds: tuple[int, ...]
    result: MarkovResult
    profit_rate: float
    feasible: bool


def exact_evaluator(model: Model, targets: Targets):
    """point(n, thresholds, waiting) -> ExactPoint from the Markov chain. Waiting-time
    figures (SL, ASA; the costly part) are computed only when asked for and a target
    needs them; without them `feasible` covers the abandonment target only."""
    mu, gamma, theta = chain_rates(model)
    lam = model.rates[-1]
    need_wait = targets.needs_waiting_times()
    cache: dict = {}

    def point(n: int, th: tuple[int, ...], waiting: bool = True) -> ExactPoint:
        waiting = waiting and need_wait
        key = (n, th, waiting)
        if key in cache:
            return cache[key]
        r = threshold_chain(
            n,
            lam,
            mu,
            gamma,
            theta,
            model.eligible,
            model.accept,
            model.revenue,
            np.asarray(th),
            model.decline_cost,
            within=model.sl_within if waiting else None,
        )
        profit = r.profit_rate(
            model.agent_cost_per_hour, model.abandon_cost, float(np.mean(model.shrinkage))
        )
        caps = [x for x in (targets.max_abandon, targets.max_abandon_interval) if x is not None]
        ok = all(r.p_abandon <= x for x in caps)
        if waiting:
            for x in (targets.sl_fraction, targets.sl_floor):
                if x is not None:
                    ok = ok and r.service_level >= x
            if targets.max_asa is not None:
                ok = ok and r.asa <= targets.max_asa
        p = ExactPoint(n, th, r, profit, ok)
        cache[key] = p
        return p

    return point


def _best_at(
    point,
    n: int,
    K: int,
    sellable: list[int],
    cands: list[int],
    floor: float,
    start: tuple[int, ...] | None,
) -> tuple[ExactPoint | None, int]:
    """The most profitable feasible thresholds at n agents (None if none beats `floor`)."""
    evaluations = 0
    if len(sellable) <= 2:
        # every combination; feasibility checked in order of profit. Offering more never
        # shortens waits, so a combination that dominates an infeasible one is skipped.
        combos = []
        for values in itertools.product(cands, repeat=len(sellable)):
            combo = [NEVER] * K
            for k, v in zip(sellable, values, strict=True):
                combo[k] = v
            p = point(n, tuple(combo), waiting=False)
            evaluations += 1
            combos.append((p.profit_rate, values, p))
        combos.sort(key=lambda x: -x[0])
        bad: list[tuple[int, ...]] = []
        for profit, values, quick in combos:
            if profit <= floor:
                return None, evaluations
            if not quick.feasible or any(
                all(v >= b for v, b in zip(values, bv, strict=True)) for bv in bad
            ):
                bad.append(values)
                continue
            full = point(n, quick.thresholds)
            evaluations += 1
            if full.feasible:
                return full, evaluations
            bad.append(values)
        return None, evaluations
    # more segments: coordinate descent from `start` (or never), then pairwise moves
    th = start or tuple([NEVER] * K)
    cur = point(n, th)
    if not cur.feasible:
        th = tuple([NEVER] * K)
        cur = point(n, th)
    for _ in range(6):
        changed = False
        for k in sellable:
            for c in cands:
                trial = tuple(c if j == k else th[j] for j in range(K))
                if trial == th:
                    continue
                quick = point(n, trial, waiting=False)
                evaluations += 1
                if not quick.feasible or (
                    cur.feasible and quick.profit_rate <= cur.profit_rate + 1e-12
                ):
                    continue
                p = point(n, trial)
                evaluations += 1
                if p.feasible:
                    cur, th, changed = p, trial, True
        if not changed:
            break
    return (cur if cur.feasible and cur.profit_rate > floor else None), evaluations


def exact_search(
    model: Model,
    targets: Targets,
    bounds: Bounds,
    ranking: list[int],
    stop: Budget,
    progress: Progress | None = None,
    search_thresholds: bool = True,
) -> tuple[ExactPoint, SearchLog, int]:
    """Staffing levels upward from the Erlang A answer; for each, coordinate descent over
    the thresholds with the exact chain. Stops when even selling to everyone at no extra
    waiting could not beat the best profit found."""
    log = SearchLog()
    point = exact_evaluator(model, targets)
    lam = model.rates[-1]
    mu, _, theta = chain_rates(model)
    n0 = agents_needed(
        float(lam.sum()),
        mu,
        theta,
        within=model.sl_within,
        target_sl=targets.sl_fraction,
        max_asa=targets.max_asa,
        max_abandon=targets.max_abandon,
    )
    n0 = max(n0, bounds.lo, 1)
    value = model.accept * model.revenue - (1 - model.accept) * model.decline_cost
    revenue_cap = float((lam * model.eligible * np.maximum(value, 0)).sum())
    cost = model.cost_per_phone_hour / 3600.0
    K = model.n_segments
    cands = bounds.candidates() if search_thresholds else [NEVER]
    sellable = [k for k in ranking if model.eligible[k] > 0] if search_thresholds else []
    best: ExactPoint | None = None
    evaluations = 0
    n = n0
    while not stop.out():
        if bounds.hi is not None and n > bounds.hi:
            break
        if best is not None and revenue_cap - cost * n < best.profit_rate:
            break  # even selling to everyone could not pay for this many agents
        cur, e = _best_at(
            point,
            n,
            K,
            sellable,
            cands,
            best.profit_rate if best else -math.inf,
            best.thresholds if best else None,
        )
        evaluations += e
        if cur is not None:
            best = cur
        log.rounds += 1
        if progress:
            progress(f"exact search, {n} agents", evaluations)
        n += 1
    else:
        log.stopped = stop.reason
    if best is None:
        # nothing feasible within the bounds or the time: the most agents tried, selling
        # to nobody, is the best service there is; the caller marks it infeasible
        top = min(n, bounds.hi) if bounds.hi is not None else n
        best = point(max(top, 1), tuple([NEVER] * K))
    log.evaluations = evaluations
    return best, log, n0
