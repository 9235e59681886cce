"""How a move is judged and taken, whatever it changes: the bounds a plan must keep, the
paired gain that accepts a move, screening on earlier stages' replications, rounds of
moves taken together, and the moves a round may leave out."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ccsim.sim import ALWAYS, NEVER, Model

from ..analytic.seed import smooth
from ..evaluate import Evaluation, Evaluator, paired
from ..plan import Plan, SearchPlan
from .progress import SearchLog


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


def gain(cur: Evaluation, cand: Evaluation) -> tuple[float, float]:
    """Paired profit gain of `cand` over `cur` and its standard error."""
    return paired(cur, cand)


def accepts(cur: Evaluation, cand: Evaluation) -> bool:
    """Feasible (every target met on the search sample) and a clear paired gain."""
    if not cand.feasible or cand.plan == cur.plan:
        return False
    g, se = gain(cur, cand)
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
                g, se = gain(cur, e)  # type: ignore[arg-type]
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
            rejected.append((label, *gain(cur, e)))
    good = [i for i, e in enumerate(evs) if e is not None and accepts(cur, e)]
    if not good:
        return cur, False
    good.sort(key=lambda i: -gain(cur, evs[i])[0])  # type: ignore[arg-type]
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
            if accepts(cur, ce) and gain(cur, ce)[0] > gain(cur, best)[0]:
                best, label = ce, f"{k} {kind} moves at once"
                break
        k //= 2
    g, se = gain(cur, best)
    log.moves.append(f"{kind}: {label} ({g:+,.0f} ± {se:,.0f})")
    return best, True


def note_best_rejected(log: SearchLog, rejected: list[tuple[str, float, float]]) -> None:
    """The best neighbour left when a search stops: how much it could still be missing."""
    finite = [r for r in rejected if math.isfinite(r[1])]
    log.best_rejected = max(finite, key=lambda x: x[1]) if finite else None
