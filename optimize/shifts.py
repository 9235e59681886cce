"""`optimize_shifts`: a roster of shifts with breaks and the cross-sell policy, chosen
together for profit under the service targets (`ccsim optimize --shifts`).

1. Requirement: agents on the phones per interval from the analytic seed (Erlang A with
   the modified offered load, under the fluid LP's selling policy), on the shift grid.
2. Schedule: the cheapest roster covering it (`schedule.schedule_shifts`, a pulp MIP that
   also places every break).
3. Simulation, common random numbers, in stages of growing replications (as the
   per-interval search): intervals that miss a target get shifts added (the same MIP,
   covering one more agent there); each segment's threshold, then the thresholds per
   interval, are re-optimized to sell in the slack the shifts leave; and one shift at a
   time is removed, added, moved by a grid step, or has a break moved, when the paired
   profit says so. Improving moves on different shifts are tried together.
4. Confirmation on fresh seeds, with the same repair, exactly as the per-interval
   optimizer's: only a plan that meets every target there is recommended.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ccsim.sim import ALWAYS, NEVER, Executor, Model, PlanningError, ScenarioError, SimResult
from ccsim.sim.runner import model_fingerprint
from ccsim.sim.scenario.roster import Roster, ShiftRow
from ccsim.sim.targets import Judgement, Targets, overall

from .analytic.seed import seed_staffing, seed_thresholds
from .budget import Budget
from .evaluate import Evaluation, Evaluator
from .optimizer import (
    OptimizeResult,
    confirm,
    run_settings,
    search_stages,
    stopped_text,
)
from .plan import Plan, set_threshold
from .schedule import Schedule, schedule_shifts
from .search import (
    Bounds,
    Progress,
    SearchLog,
    SearchProgress,
    _accepts,
    _gain,
    _th,
    note_best_rejected,
    repair,
    repair_from_result,
    screened,
)
from .search import batch_round as search_batch_round

__all__ = ["RosterPlan", "default_shift_time_limit", "optimize_shifts"]

MAX_SHIFT_REPAIRS = 12  # repair rounds on the search sample


@dataclass(frozen=True)
class RosterPlan:
    """A roster and a threshold per (interval, segment): what the shift search moves."""

    roster: Roster
    thresholds: tuple[tuple[int, ...], ...]

    def apply(self, model: Model) -> Model:
        return model.with_roster(self.roster, np.asarray(self.thresholds, np.int64))

    def with_threshold(self, k: int, value: int, t: int | None = None) -> RosterPlan:
        return RosterPlan(self.roster, set_threshold(self.thresholds, k, value, t))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """For a checkpoint file: each row's template name, and [start, agents, break
        starts...] (NaN-padded); the thresholds."""
        width = 2 + max((len(r.breaks) for r in self.roster.rows), default=0)
        rows = np.full((len(self.roster.rows), width), np.nan)
        for i, r in enumerate(self.roster.rows):
            rows[i, :2] = (r.start, r.agents)
            rows[i, 2 : 2 + len(r.breaks)] = r.breaks
        return {
            "templates": np.asarray([r.template for r in self.roster.rows], dtype=str),
            "rows": rows,
            "thresholds": np.asarray(self.thresholds, np.int64),
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], model: Model) -> RosterPlan | None:
        """`to_arrays` read back; None when it does not fit the model's templates."""
        shifts = model.shifts
        th = np.asarray(a["thresholds"], np.int64)
        if shifts is None or th.shape != (model.n_intervals, model.n_segments):
            return None
        rows = []
        for name, r in zip(a["templates"], a["rows"], strict=True):
            try:
                t = shifts.template(str(name))
            except KeyError:
                return None
            breaks = tuple(float(x) for x in r[2 : 2 + len(t.breaks)])
            rows.append(ShiftRow(float(r[0]), t.name, breaks, int(r[1])))
        return cls(Roster.of(rows), tuple(tuple(int(x) for x in row) for row in th))

    def with_roster(self, roster: Roster) -> RosterPlan:
        return RosterPlan(roster, self.thresholds)

    def interval_plan(self, model: Model) -> Plan:
        """The per-interval plan with the same thresholds (staffing: mean on the phones,
        rounded up), for views that read a plan per interval."""
        m = self.apply(model)
        return Plan.of(np.ceil(m.interval_staffing() - 1e-9), self.thresholds)


def default_shift_time_limit(model: Model) -> float:
    """Seconds (at the reference speed) for the shift search's work budget. The retail
    bank's roster needs about 4,300 plans to converge; at 1 s per interval and sellable
    segment the budget ran out after 3,867, in stage 2 of 3, and a poorer roster (-127 a
    day) was recommended. 2 s leaves room."""
    sellable = int((model.eligible > 0).sum())
    return 30.0 + 2.0 * model.n_intervals * (1 + sellable)


# --- moves on a roster ------------------------------------------------------------------

Move = tuple[str, frozenset, Callable[[RosterPlan], RosterPlan | None]]


def _set_threshold(p: RosterPlan, *, k: int, v: int, t: int) -> RosterPlan:
    return p.with_threshold(k, v, t)


def _remove(row: ShiftRow) -> Callable[[RosterPlan], RosterPlan | None]:
    key = (row.start, row.template, row.breaks)

    def f(p: RosterPlan) -> RosterPlan | None:
        for i, r in enumerate(p.roster.rows):
            if (r.start, r.template, r.breaks) == key:
                return p.with_roster(p.roster.remove_one(i))
        return None

    return f


def _add(row: ShiftRow) -> Callable[[RosterPlan], RosterPlan | None]:
    return lambda p: p.with_roster(p.roster.add(row))


def _both(a, b) -> Callable[[RosterPlan], RosterPlan | None]:
    def f(p: RosterPlan) -> RosterPlan | None:
        q = a(p)
        return None if q is None else b(q)

    return f


def grid_steps(model: Model) -> int:
    """Steps per interval on the shift grid."""
    assert model.shifts is not None
    return round(float(model.interval_lengths[0]) / model.shifts.grid)


def _template_count(roster: Roster, name: str) -> int:
    return sum(r.agents for r in roster.rows if r.template == name)


def _best_breaks(model: Model, start: float, template, cover: np.ndarray) -> tuple[float, ...]:
    """Breaks of a new shift where the phones are fullest (the break costs least there)."""
    g = model.shifts.grid  # type: ignore[union-attr]
    out = []
    for b in template.breaks:
        best, where = -math.inf, start
        for o in b.offsets(g):
            a = round((start + o) / g)
            here = float(cover[a : a + round(b.length / g)].min())
            if here > best:
                best, where = here, start + o
        out.append(float(where))
    return tuple(out)


def shift_moves(model: Model, plan: RosterPlan, first_stage: bool) -> list[Move]:
    """Remove one agent from a row; add one shift of a template at a start (breaks where
    the phones are fullest); move one agent's shift by a grid step; in the first stage,
    move one agent's break by a grid step."""
    shifts = model.shifts
    assert shifts is not None
    g = shifts.grid
    cover = plan.roster.on_phones(shifts, model.n_intervals * grid_steps(model))
    moves: list[Move] = []
    for r in plan.roster.rows:
        tag = shifts.clock(r.start)
        moves.append((f"remove a {r.template} shift at {tag}", frozenset({("row", r)}), _remove(r)))
    for t in shifts.templates:
        if t.max_agents is not None and _template_count(plan.roster, t.name) >= t.max_agents:
            continue
        for s in t.starts(g):
            row = ShiftRow(float(s), t.name, _best_breaks(model, float(s), t, cover), 1)
            moves.append(
                (
                    f"add a {t.name} shift at {shifts.clock(s)}",
                    frozenset({("add", t.name, s)}),
                    _add(row),
                )
            )
    for r in plan.roster.rows:
        t = shifts.template(r.template)
        one = ShiftRow(r.start, r.template, r.breaks, 1)
        for d in (-g, g):
            s = r.start + d
            if t.earliest - 1e-9 <= s <= t.latest + 1e-9:
                moved = ShiftRow(s, r.template, tuple(b + d for b in r.breaks), 1)
                moves.append(
                    (
                        f"move a {r.template} shift {shifts.clock(r.start)} -> {shifts.clock(s)}",
                        frozenset({("row", r)}),
                        _both(_remove(one), _add(moved)),
                    )
                )
        if not first_stage:
            continue
        for j, b in enumerate(t.breaks):
            for d in (-g, g):
                off = r.breaks[j] + d - r.start
                if b.lo - 1e-9 <= off and off + b.length <= b.hi + 1e-9:
                    nb = tuple(x + d if i == j else x for i, x in enumerate(r.breaks))
                    moved = ShiftRow(r.start, r.template, nb, 1)
                    moves.append(
                        (
                            f"move a break of the {r.template} shift at {shifts.clock(r.start)} "
                            f"to {shifts.clock(r.breaks[j] + d)}",
                            frozenset({("row", r)}),
                            _both(_remove(one), _add(moved)),
                        )
                    )
    return moves


def threshold_moves(
    model: Model, plan: RosterPlan, bounds: Bounds, ranking: list[int]
) -> list[Move]:
    """Each sellable segment's threshold one step up or down in one interval."""
    moves: list[Move] = []
    for k in ranking:
        if model.eligible[k] <= 0:
            continue
        for t in range(model.n_intervals):
            now = plan.thresholds[t][k]
            if now <= NEVER:
                opts = {bounds.th_min}
            elif now >= ALWAYS:
                opts = {bounds.th_max}
            else:
                opts = {max(bounds.th_min, now - 1), min(bounds.th_max, now + 1)}
                opts |= {NEVER} if now == bounds.th_min else set()
                opts |= {ALWAYS} if now == bounds.th_max else set()
            for v in sorted(opts - {now}):
                label = (
                    f"{model.segments[k]} at {model.interval_label(t)}: threshold "
                    f"{_th(now)} -> {_th(v)}"
                )
                moves.append(
                    (
                        label,
                        frozenset({("th", k, t)}),
                        functools.partial(_set_threshold, k=k, v=v, t=t),
                    )
                )
    return moves


def batch_round(
    ev: Evaluator,
    cur: Evaluation,
    moves: list[Move],
    log: SearchLog,
    kind: str,
    rejected: list[tuple[str, float, float]],
) -> tuple[Evaluation, bool]:
    """`search.batch_round` for roster moves: a move is a function of the plan, so moves
    on distinct keys combine by applying them one after another."""
    kept = []
    for label, keys, fn in moves:
        moved = fn(cur.plan)
        if moved is not None and moved != cur.plan:
            kept.append((label, keys, moved, fn))

    def combine(idx: list[int]) -> RosterPlan | None:
        p: RosterPlan | None = cur.plan
        for i in idx:
            p = kept[i][3](p) if p is not None else None
        return p

    return search_batch_round(
        ev,
        cur,
        [(label, keys, moved) for label, keys, moved, _ in kept],
        combine,
        log,
        kind,
        rejected,
    )


def segment_threshold_round(
    ev: Evaluator,
    cur: Evaluation,
    bounds: Bounds,
    ranking: list[int],
    log: SearchLog,
    rejected: list[tuple[str, float, float]],
) -> tuple[Evaluation, bool]:
    """One threshold for the whole day per segment, every candidate value."""
    model = ev.model
    improved = False
    for k in ranking:
        if model.eligible[k] <= 0:
            continue
        trial = [cur.plan.with_threshold(k, c) for c in bounds.candidates()]
        trial = [p for p in trial if p != cur.plan]
        evs = [e for e in screened(ev, cur, trial) if e is not None]
        for e in evs:
            if e.feasible:
                rejected.append(
                    (
                        f"{model.segments[k]}: threshold {_th(e.plan.thresholds[0][k])}",
                        *_gain(cur, e),
                    )
                )
        ok = [e for e in evs if _accepts(cur, e)]
        if ok:
            best = max(ok, key=lambda e: _gain(cur, e)[0])
            g, se = _gain(cur, best)
            column = {row[k] for row in cur.plan.thresholds}
            now = _th(cur.plan.thresholds[0][k]) if len(column) == 1 else "per interval"
            log.moves.append(
                f"{model.segments[k]}: threshold {now} -> "
                f"{_th(best.plan.thresholds[0][k])} all day ({g:+,.0f} ± {se:,.0f})"
            )
            cur, improved = best, True
    return cur, improved


# --- repair: shifts added where a target misses ----------------------------------------


def add_cover(model: Model, plan: RosterPlan, add: np.ndarray) -> RosterPlan | None:
    """The roster plus the cheapest shifts that put `add[t]` more agents on the phones in
    each interval t (the shift MIP on the difference); None when the templates cannot."""
    shifts = model.shifts
    assert shifts is not None
    if not add.any():
        return None
    need = np.repeat(add, grid_steps(model))
    taken = {t.name: _template_count(plan.roster, t.name) for t in shifts.templates}
    try:
        extra = schedule_shifts(shifts, need, time_limit=10.0, taken=taken)
    except PlanningError:  # the templates cannot add that much
        return None
    return plan.with_roster(Roster.of([*plan.roster.rows, *extra.roster.rows]))


def repair_roster(
    ev: Evaluator,
    plan: RosterPlan,
    log: SearchLog | None,
    stop: Budget,
    progress: Progress | None = None,
) -> Evaluation:
    """Add shifts where the targets miss until they are met on the evaluator's sample."""
    return repair(
        ev,
        plan,  # type: ignore[arg-type]
        Bounds(),
        log,
        progress,
        stop,
        max_steps=MAX_SHIFT_REPAIRS,
        mend=lambda p, add: add_cover(ev.model, p, add),
    )


# --- the search ------------------------------------------------------------------------


def shift_search(
    ev: Evaluator,
    start: RosterPlan,
    ranking: list[int],
    bounds: Bounds,
    stop: Budget,
    progress: Progress | None,
    cross_sell: bool,
    log: SearchLog,
) -> Evaluation:
    cur = repair_roster(ev, start, log, stop, progress)
    while not stop.out():
        log.rounds += 1
        improved = False
        rejected: list[tuple[str, float, float]] = []
        if cross_sell:
            if progress:
                progress("policy moves", ev.evaluations)
            cur, imp = segment_threshold_round(ev, cur, bounds, ranking, log, rejected)
            improved |= imp
            if stop.out():
                break
            if progress:
                progress("per-interval policy moves", ev.evaluations)
            cur, imp = batch_round(
                ev,
                cur,
                threshold_moves(ev.model, cur.plan, bounds, ranking),
                log,
                "per-interval threshold",
                rejected,
            )
            improved |= imp
            if stop.out():
                break
        if progress:
            progress(f"shift moves, round {log.rounds}", ev.evaluations)
        cur, imp = batch_round(
            ev,
            cur,
            shift_moves(ev.model, cur.plan, first_stage=not ev.screens),
            log,
            "shift",
            rejected,
        )
        improved |= imp
        if not improved:
            note_best_rejected(log, rejected)
            break
    if stop.out():
        log.stopped = log.stopped or stop.reason
    return cur


@dataclass
class ShiftPlan:
    """What the shift optimizer adds to an OptimizeResult: the MIP's first roster, its
    cost against the LP bound, and the requirement it covered."""

    schedule: Schedule
    requirement: np.ndarray  # (T,) agents per interval asked of the MIP (analytic seed)


def optimize_shifts(
    model: Model,
    *,
    replications: int | None = None,
    confirm_replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    time_limit: float | None = None,
    targets: Targets | None = None,
    cross_sell: bool = True,
    progress: Progress | None = None,
    confidence: float | None = None,
    checkpoint_dir: Path | None = None,
    budget: float | None = None,
) -> OptimizeResult:
    """The most profitable roster and policy that meet the targets; see the module
    docstring. With `checkpoint_dir`, the plans evaluated are saved as the search goes,
    and a rerun after an interruption reuses them. Raises when the scenario
    has no shift templates (ScenarioError) or they cannot cover the day (PlanningError)."""
    if model.shifts is None:
        raise ScenarioError(
            "--shifts needs a 'shifts:' section with shift templates (docs/shifts.md)",
            file=model.source,
        )
    t0 = time.perf_counter()
    R, Rc, stop, seed, executor, targets = run_settings(
        model,
        replications,
        confirm_replications,
        seed,
        executor,
        time_limit,
        default_shift_time_limit(model),
        targets,
        confidence,
        budget,
    )
    bounds = Bounds.from_model(model)
    th, ranking_names = seed_thresholds(model)
    if not cross_sell:
        th[:] = NEVER
    ranking = [model.segments.index(n) for n in ranking_names]
    need = seed_staffing(model, targets, th, lo=bounds.lo, hi=bounds.hi)
    m = grid_steps(model)
    if progress:
        progress("scheduling shifts (MIP)", 0)
    first = schedule_shifts(model.shifts, np.repeat(need, m))
    thresholds = tuple(tuple(int(x) for x in th) for _ in range(model.n_intervals))
    plan = RosterPlan(first.roster, thresholds)

    stages = search_stages(R, model)
    ck = None
    if checkpoint_dir is not None:
        key = f"{model_fingerprint(model, seed, 'fast')}-{targets}-{stages}-{cross_sell}-shifts"
        ck = Path(checkpoint_dir) / f"shifts-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    ev = Evaluator(model, targets, stages[-1], seed, executor, checkpoint=ck, plan_type=RosterPlan)
    stop.spent = ev.work_asked
    report = SearchProgress(progress, ev, stop, stages) if progress else None
    log = SearchLog()
    used: list[int] = []
    for i, Rs in enumerate(stages):
        if i > 0 and stop.out():
            break
        ev.set_stage(Rs)
        ev.screens = stages[:i]
        log.best_rejected = None
        best = shift_search(ev, plan, ranking, bounds, stop, report, cross_sell, log)
        plan = best.plan
        used.append(Rs)
        ev.save()
    notes: list[str] = []
    # never recommend a roster when the search saw one that met every target on the
    # same days and earned more (a search cut by its budget can end anywhere), nor when
    # the scenario's own roster does
    seen = ev.evaluated(used[-1])
    if model.roster is not None:
        own = RosterPlan(model.roster, tuple(tuple(int(x) for x in r) for r in model.thresholds))
        seen.append(ev.evaluate(own, n=used[-1]))
    final = ev.evaluate(plan, n=used[-1])
    better = max((e for e in seen if e.feasible), key=lambda e: e.profit, default=None)
    if (
        better is not None
        and better.plan != plan
        and (not final.feasible or better.profit > final.profit)
    ):
        what = (
            "the scenario's own roster"
            if model.roster is not None and better.plan == own
            else ("a roster the search had seen")
        )
        notes.append(
            f"{what} met every target on the search's {used[-1]} replications and earned "
            f"{better.profit - final.profit:+,.0f} a day more than where the search ended; "
            "it is the answer"
        )
        log.moves.append(f"best plan seen: {what} ({better.profit - final.profit:+,.0f})")
        plan = better.plan
    log.evaluations = ev.evaluations
    calls = ev.calls
    if ev.discarded_checkpoint:
        notes.append("a corrupt checkpoint of this search was discarded; searched afresh")
    if ev.resumed:
        notes.append(f"resumed: {ev.resumed} plans evaluated before an interruption were reused")

    def mend(p: RosterPlan, res: SimResult, judged: list[Judgement]) -> RosterPlan | None:
        return add_cover(model, p, repair_from_result(res, judged, targets))

    if Rc is None:
        Rc = max(200, 4 * used[-1])
    res, base, no_sell, judged, attempts, c_calls = confirm(
        model, plan, targets, seed, Rc, executor, mend, False, progress
    )
    calls += c_calls
    if attempts:
        assert res.model.roster is not None
        plan = RosterPlan(res.model.roster, plan.thresholds)
        notes.append(
            f"confirmation missed a target {attempts} time(s); shifts were added where it "
            f"missed and the plan confirmed again on new fresh seeds"
        )
        log.moves.append(f"confirmation repair: {attempts} round(s)")
    verdict = overall(judged)
    feasible = verdict == "met"
    if not feasible:
        notes.append(
            f"not recommended: on {res.meta['replications']} fresh replications at least one "
            f"target is {verdict} (see Targets); the roster is the best found, marked infeasible"
        )
    shifts = model.shifts
    gap = ""
    if log.best_rejected:
        mv, g, se = log.best_rejected
        gap = (
            f" At the end the best remaining move ({mv}) changed profit by "
            f"{g:+,.0f} ± {1.96 * se:,.0f} (95%)."
        )
    how = (
        f"Requirement per interval from Erlang A with the modified offered load under the "
        f"fluid LP's selling policy; the cheapest roster covering it on the "
        f"{shifts.grid / 60:g}-min grid from a MIP (pulp/HiGHS, breaks placed by the MIP): "
        f"{first.roster.agents} shifts costing {first.cost:,.2f}, {first.gap:.2%} above the "
        f"LP bound {first.lp_bound:,.2f} ({first.status}, {first.seconds:.1f} s). Then by "
        f"simulation with common random numbers: shifts added where a target missed; each "
        f"segment's threshold, then thresholds per interval, to sell in the slack; one shift "
        f"removed, added, moved by a grid step, or a break moved, when the paired profit "
        f"gain exceeded one standard error with every target met at "
        f"{targets.confidence:.0%} confidence. {log.rounds} round(s) in {len(used)} stage(s) "
        f"of {', '.join(map(str, used))} replications; {log.evaluations} plans.{gap}"
        f"{stopped_text(log, used, stages)}"
        f" Confirmed on {res.meta['replications']} replications on fresh seeds (seed "
        f"{res.meta.get('seed')}) that the search never saw; the scenario's own plan ran on "
        f"the same seeds for paired differences."
    )
    seeded = RosterPlan(first.roster, thresholds)
    out = OptimizeResult(
        model,
        plan,  # type: ignore[arg-type]
        seeded,  # type: ignore[arg-type]
        res,
        base,
        targets,
        how,
        feasible,
        {j.target.key: j.slack for j in judged},
        log,
        time.perf_counter() - t0,
        calls,
        None,
        notes,
        judged,
        no_sell=no_sell,
    )
    out.shift_plan = ShiftPlan(first, need)
    return out
