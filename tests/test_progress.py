"""What long commands show while they work, and the search's leaner rounds: a round may
leave moves out, the search never stops on one."""

from __future__ import annotations

import io
import time
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.commands import progress as progress_mod
from ccsim.optimize.analytic.seed import seed_plan
from ccsim.optimize.budget import Budget
from ccsim.optimize.evaluate import Evaluator, Targets
from ccsim.optimize.plan import Plan
from ccsim.optimize.search import progress as search_progress
from ccsim.optimize.search.moves import Bounds, accepts
from ccsim.optimize.search.progress import SearchProgress
from ccsim.optimize.search.simulation import simulation_search
from ccsim.optimize.search.staffing import staffing_moves

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain_reporter(monkeypatch) -> tuple[progress_mod.Reporter, io.StringIO, Clock]:
    out = io.StringIO()
    monkeypatch.setattr(progress_mod, "err_console", Console(file=out, width=80))
    clock = Clock()
    monkeypatch.setattr(progress_mod.time, "monotonic", clock)
    monkeypatch.setattr(progress_mod, "PLAIN_AFTER", 2.0)  # conftest turns it off
    return progress_mod.Reporter("optimizing"), out, clock


def test_plain_progress_lines_start_after_two_seconds_then_every_ten(monkeypatch):
    rep, out, clock = plain_reporter(monkeypatch)
    assert not rep.live  # not a terminal: plain lines
    rep("stage 1 of 3 (20 replications), policy moves", 12, 0.05)
    assert out.getvalue() == ""  # a step shorter than 2 s prints nothing
    clock.now = 2.5
    rep("stage 1 of 3 (20 replications), staffing moves, round 1", 340, 0.2)
    clock.now = 9.0
    rep("stage 1 of 3 (20 replications), staffing moves, round 2", 700, 0.3)
    clock.now = 12.6
    rep("stage 2 of 3 (80 replications), staffing moves, round 3", 901, 0.55)
    lines = out.getvalue().splitlines()
    assert lines == [
        "optimizing: stage 1 of 3 (20 replications), staffing moves, round 1 (340 plans), "
        "20% of the work budget, 2 s",
        "optimizing: stage 2 of 3 (80 replications), staffing moves, round 3 (901 plans), "
        "55% of the work budget, 13 s",
    ]


def test_a_quiet_reporter_prints_nothing(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress_mod, "err_console", Console(file=out))
    clock = Clock()
    monkeypatch.setattr(progress_mod.time, "monotonic", clock)
    rep = progress_mod.Reporter("simulating", enabled=False, total=100)
    clock.now = 30.0
    rep("anything", 5, 0.5)
    rep.advance(10)
    assert out.getvalue() == ""


def test_search_progress_names_stage_replications_calls_and_budget_share(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(search_progress.time, "monotonic", clock)
    model = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    ev: Evaluator[Plan] = Evaluator(model, Targets.from_model(model), 80, seed=1)
    seen: list[tuple] = []
    stop = Budget(work=400.0, spent=ev.work_asked)
    report = SearchProgress(lambda *a: seen.append(a), ev, stop, [20, 80])
    ev.set_stage(20)
    clock.now = 100.0
    report("policy moves")
    clock.now = 101.0  # reports come at most twice a second
    ev.evaluate(Plan.of(model.staffing, model.thresholds))  # ticks as the work comes back
    text, plans, done = seen[-1]
    assert text.startswith("stage 1 of 2 (20 replications), policy moves, ")
    assert text.endswith("M calls simulated")
    assert plans == 1 and done == 20 / 400


def test_optimize_quiet_writes_nothing_on_stderr(tmp_path):
    res = CliRunner().invoke(
        app,
        [
            "optimize",
            str(ROOT / "scenarios" / "retail_bank.yaml"),
            "--quiet",
            "--budget",
            "3M",
            "--workers",
            "1",
        ],
    )
    assert res.exit_code in (0, 3), res.output
    assert res.stderr == ""


def test_the_search_stops_only_where_no_single_move_is_a_clear_gain():
    """Rounds leave hopeless staffing moves and unchanged policies out; the search must
    still end on a plan from which no staffing move and no threshold is a clear gain
    on its final sample (the full sweep before stopping)."""
    model = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    targets = Targets.from_model(model)
    ev: Evaluator[Plan] = Evaluator(model, targets, 12, seed=9)
    bounds = Bounds.from_model(model)
    start, _ = seed_plan(model, targets)
    best, log = simulation_search(ev, start, [0, 1], bounds, Budget())
    assert log.stopped is None and log.rounds > 1
    moves = [p for *_, p in staffing_moves(best.plan, model, bounds, big=True)]
    moves += [best.plan.with_threshold(k, c) for k in (0, 1) for c in bounds.candidates()]
    evs = ev.evaluate_many(moves, base=best.plan)
    assert not any(accepts(best, e) for e in evs)


def test_a_slow_engine_load_gets_one_compile_note(monkeypatch):
    """While the engine loads for longer than the threshold (it is compiling), one line
    says so; a quiet command prints nothing."""
    import ccsim.sim.engine.fast as engine_fast

    out = io.StringIO()
    monkeypatch.setattr(progress_mod, "err_console", Console(file=out, width=200))
    monkeypatch.setattr(progress_mod, "COMPILE_NOTE_AFTER", 0.01)

    def compiling() -> None:  # returns once the note is out (or after 10 s)
        for _ in range(1000):
            if out.getvalue():
                return
            time.sleep(0.01)

    monkeypatch.setattr(engine_fast, "warm_up_compiler", compiling)
    with progress_mod.compile_note(True):
        pass
    assert out.getvalue().startswith("compiling the fast engine (first run after an install")
    assert len(out.getvalue().splitlines()) == 1
    out.truncate(0)
    out.seek(0)
    monkeypatch.setattr(engine_fast, "warm_up_compiler", lambda: time.sleep(0.05))
    with progress_mod.compile_note(False):
        pass
    assert out.getvalue() == ""
