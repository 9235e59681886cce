"""Outputs are never lost or half-written, paths are checked before the work, user text is
printed literally, and no mutation of an example scenario gives a traceback."""

import copy
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.sim.calibration.backtest import pair_intervals, read_observed

ROOT = Path(__file__).resolve().parent.parent
BANK = str(ROOT / "scenarios" / "retail_bank.yaml")
runner = CliRunner()


def run(args):
    r = runner.invoke(app, args)
    return r.exit_code, (r.stdout or "") + (r.stderr or "")


def test_out_at_a_file_and_calls_at_a_folder_fail_before_the_work(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, out = run(["simulate", BANK, "-r", "2", "--out", str(f)])
    assert code == 2 and "not a folder" in out and "Traceback" not in out
    code, out = run(["compare", BANK, "-r", "2", "--out", str(f)])
    assert code == 2 and "not a folder" in out
    code, out = run(["simulate", BANK, "-r", "2", "--calls", str(tmp_path)])
    assert code == 2 and "is a folder" in out
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))


def test_interrupted_calls_file_leaves_nothing(tmp_path):
    m = sim.load_scenario(BANK)
    target = tmp_path / "calls.csv"
    seen = []

    def progress(n):
        seen.append(n)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sim.simulate(m, replications=4, seed=1, calls_file=target, progress=progress)
    assert not target.exists() and not list(tmp_path.iterdir())
    sim.simulate(m, replications=2, seed=1, calls_file=target)
    assert target.read_text().count("\n") > 1000


def test_corrupt_checkpoint_is_discarded_and_the_numbers_stay(tmp_path):
    m = sim.load_scenario(BANK)
    clean = sim.simulate(m, replications=3, seed=4)
    first = sim.simulate(m, replications=3, seed=4, checkpoint_dir=tmp_path)
    files = sorted(tmp_path.rglob("rep_*.npz"))
    assert len(files) == 3
    files[1].write_bytes(b"not a checkpoint")
    again = sim.simulate(m, replications=3, seed=4, checkpoint_dir=tmp_path)
    assert again.meta["discarded_checkpoints"] == 1
    for r in (first, again):
        assert r.summary["profit"].mean == clean.summary["profit"].mean
    # a planted pickle is never unpickled: the format is numbers only
    import pickle

    files[0].write_bytes(pickle.dumps({"x": 1}))
    third = sim.simulate(m, replications=3, seed=4, checkpoint_dir=tmp_path)
    assert third.meta["discarded_checkpoints"] == 1
    assert third.summary["profit"].mean == clean.summary["profit"].mean


def test_out_is_cleaned_after_success(tmp_path):
    code, out = run(["simulate", BANK, "-r", "2", "--out", str(tmp_path), "--workers", "1"])
    assert code == 0, out
    assert (tmp_path / "results.json").exists() and not (tmp_path / ".checkpoints").exists()


def test_plot_takes_results_json_and_refuses_other_json(tmp_path):
    code, out = run(["simulate", BANK, "-r", "2", "--out", str(tmp_path), "--workers", "1"])
    assert code == 0, out
    for p in tmp_path.glob("*.png"):
        p.unlink()
    code, out = run(["plot", str(tmp_path / "results.json")])
    assert code == 0, out
    assert list(tmp_path.glob("*.png"))
    other = tmp_path / "other.json"
    for content in ('{"a": 1}', "[1, 2]", "not json"):
        other.write_text(content)
        code, out = run(["plot", str(other)])
        assert code == 2 and "Traceback" not in out, out


def test_user_text_is_printed_literally(tmp_path):
    d = yaml.safe_load(Path(BANK).read_text())
    d["name"] = "Bank [/bold] :x: [red]*x*"
    f = tmp_path / "markup.yaml"
    f.write_text(yaml.safe_dump(d))
    for cmd in (["validate"], ["simulate", "-r", "2", "--workers", "1"]):
        code, out = run([*cmd, str(f)])
        assert code == 0, out
        assert "Bank [/bold] :x: [red]*x*" in out
    out_dir = tmp_path / "cmp"
    code, out = run(
        ["compare", str(f), "-r", "2", "--no-grid", "--out", str(out_dir), "--workers", "1"]
    )
    assert code == 0, out
    md = (out_dir / "summary.md").read_text()
    assert "Bank \\[/bold\\] :x: \\[red\\]\\*x\\*" in md
    assert "Bank [/bold] :x: [red]*x*" in (out_dir / "summary.html").read_text()


def test_calibrate_does_not_overwrite_without_force(tmp_path):
    calls = tmp_path / "calls.csv"
    m = sim.load_scenario(BANK)
    sim.simulate(m, replications=2, seed=1, calls_file=calls)
    target = tmp_path / "fitted.yaml"
    target.write_text("keep me")
    code, out = run(["calibrate", str(calls), "-o", str(target)])
    assert code == 2 and "--force" in out and target.read_text() == "keep me"
    code, out = run(["calibrate", str(calls), "-o", str(target), "--force"])
    assert code == 0, out
    assert target.read_text() != "keep me"


def test_backtest_pairs_by_start_and_rejects_impossible_rates(tmp_path):
    m = sim.load_scenario(BANK)
    starts = m.interval_starts_clock()
    rows = [
        {"start": s, "label": m.interval_label(t), "offered": 10, "abandon_rate": 0.01 * t}
        for t, s in enumerate(starts)
    ]
    shuffled = rows[::-1]
    paired = pair_intervals(m, shuffled)
    assert [r["abandon_rate"] for r in paired] == [r["abandon_rate"] for r in rows]
    f = tmp_path / "obs.csv"
    f.write_text("start,offered,abandon_rate\n28800,10,-0.2\n")
    with pytest.raises(sim.ScenarioError, match="abandon_rate"):
        read_observed(f)
    f.write_text("start,offered,abandon_rate\n28800,10,1.5\n")
    with pytest.raises(sim.ScenarioError, match="fraction"):
        read_observed(f)
    with pytest.raises(sim.ScenarioError, match="no observed row starts at"):
        pair_intervals(m, rows[:-1])


# --- fuzz: mutate the example scenarios ------------------------------------------------

VALUES = [
    -1,
    0,
    1,
    2.5,
    1e30,
    -1e30,
    math.nan,
    math.inf,
    "",
    "abc",
    "5min",
    "-3s",
    "10/h",
    "1e400/h",
    "25:00",
    "never",
    "always",
    None,
    True,
    [],
    {},
    [1, 2],
    {"dist": "exponential", "mean": "nan s"},
    "[/bold]",
]


def leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, (*path, k))
    elif isinstance(node, list) and node:
        yield from leaves(node[0], (*path, 0))
        yield path, node
    yield path, node


def set_at(data, path, value):
    if not path:
        return value
    d = copy.deepcopy(data)
    node = d
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return d


EXAMPLES = {
    p.name: yaml.safe_load(p.read_text()) for p in sorted((ROOT / "scenarios").glob("*.yaml"))
}


@settings(
    max_examples=int(os.environ.get("CCSIM_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(EXAMPLES)),
    pick=st.integers(min_value=0, max_value=10_000),
    value=st.sampled_from(VALUES),
    drop=st.booleans(),
)
def test_mutated_examples_exit_0_or_2_with_one_line(tmp_path_factory, name, pick, value, drop):
    data = EXAMPLES[name]
    spots = [p for p, _ in leaves(data) if p]
    path = spots[pick % len(spots)]
    if drop and isinstance(path[-1], str):
        mutated = copy.deepcopy(data)
        node = mutated
        for k in path[:-1]:
            node = node[k]
        del node[path[-1]]
    else:
        mutated = set_at(data, path, value)
    folder = tmp_path_factory.mktemp("fuzz")
    if name == "insurance_service.yaml":  # its empirical CSV travels with it
        (folder / "insurance_claims_handle.csv").write_text(
            (ROOT / "scenarios" / "insurance_claims_handle.csv").read_text()
        )
    f = folder / name
    f.write_text(yaml.safe_dump(mutated, allow_unicode=True))
    code, out = run(["validate", str(f)])
    assert code in (0, 2), out
    assert "Traceback" not in out
    if code == 2:
        lines = [x for x in out.strip().splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), out
        return
    model = sim.load_scenario(f)
    if model.expected_calls() < 200_000:
        code, out = run(["simulate", str(f), "-r", "1", "--workers", "1", "--json"])
        assert code in (0, 2) and "Traceback" not in out, out
        if code == 0:
            js = json.loads(out)
            assert js["summary"]["offered"]["mean"] is None or np.isfinite(
                js["summary"]["offered"]["mean"]
            )


def test_workers_die_with_a_killed_main_process():
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    p = subprocess.Popen(
        [sys.executable, "-m", "ccsim.cli", "simulate", BANK, "-r", "5000", "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        parent = psutil.Process(p.pid)
        children = []
        for _ in range(200):  # until the pool is up
            children = parent.children(recursive=True)
            if len(children) >= 2:
                break
            time.sleep(0.1)
        assert children, "no worker processes started"
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, alive
    finally:
        if p.poll() is None:
            p.kill()


def test_two_runs_share_an_out_folder(tmp_path):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "ccsim.cli", "simulate", BANK, "-r", "6", "--workers", "1"]
    procs = [
        subprocess.Popen(
            [*cmd, "--seed", str(s), "--out", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for s in (1, 2)
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert "Traceback" not in err
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".part")]
    assert json.loads((tmp_path / "results.json").read_text())["meta"]["seed"] in (1, 2)


def test_long_runs_keep_no_replication_and_give_the_same_numbers():
    """Streaming summaries: no replication kept, interval figures equal to those computed
    with every replication kept, whatever the number of workers."""
    m = sim.load_scenario(BANK)
    kept = sim.simulate(m, replications=6, seed=8)
    with sim.LocalPool(2) as pool:
        lean = sim.simulate(m, replications=6, seed=8, executor=pool, keep_reps=False)
    assert lean.reps == [] and len(kept.reps) == 6
    for t in range(m.n_intervals):
        for s in ("service_level", "abandon_rate", "profit"):
            a, b = kept.intervals[t][s], lean.intervals[t][s]
            assert (a.mean == b.mean and a.hi == b.hi) or (
                math.isnan(a.mean) and math.isnan(b.mean)
            )
    assert np.array_equal(kept.hist, lean.hist)
