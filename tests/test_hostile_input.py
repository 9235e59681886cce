"""Input a careless or hostile user gives: call logs, CSV forecasts, checkpoints, names
that a spreadsheet would run, interrupts, full disks. Each ends in one clean line (exit 2),
a reported skip, or a recomputation; never a traceback, a hang or a wrong number."""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.sim.calibration import read_anonymous_bank, read_csv_log
from ccsim.sim.calibration.logs import parse_time
from ccsim.sim.checkpoint import load_arrays, save_arrays
from ccsim.sim.scenario.spreadsheet_safe import header_names, neutralise, restore

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BANK = str(SCENARIOS / "retail_bank.yaml")
runner = CliRunner()


def run(args):
    r = runner.invoke(app, args)
    return r.exit_code, (r.stdout or "") + (r.stderr or "")


def one_clean_line(code, out, *words):
    assert code == 2, out
    assert "Traceback" not in out, out
    lines = [x for x in out.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), out
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


# --- call logs -------------------------------------------------------------------------

HEADER = (
    "vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\t"
    "q_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver"
)


def bank_row(i: int, date="990201", q_start=None, outcome="AGENT", call_id=None) -> str:
    t = 8 * 3600 + 37 * i
    hms = lambda s: f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"  # noqa: E731
    q = hms(t + 5) if q_start is None else q_start
    server = "ANNA" if outcome == "AGENT" else "NO_SERVER"
    return "\t".join(
        [
            "AA0101",
            str(call_id if call_id is not None else 1000 + i),
            "1",
            "2",
            "PS" if i % 3 else "NW",
            date,
            hms(t),
            hms(t + 5),
            "5",
            q,
            hms(t + 20),
            "15",
            outcome,
            hms(t + 20),
            hms(t + 200),
            "180",
            server,
        ]
    )


def bank_log(tmp_path: Path, rows: list[str], name="log.txt") -> Path:
    p = tmp_path / name
    p.write_text("\n".join([HEADER, *rows]) + "\n", encoding="latin-1")
    return p


ROWS = [bank_row(i) for i in range(300)]


def test_a_bank_log_given_twice_is_refused(tmp_path):
    once = bank_log(tmp_path, ROWS)
    assert len(read_anonymous_bank(once)) == 300
    # `cat log log`: the header comes back as a record
    twice = tmp_path / "twice.txt"
    twice.write_text(once.read_text() * 2, encoding="latin-1")
    with pytest.raises(sim.ScenarioError, match="line 302 repeats the header line"):
        read_anonymous_bank(twice)
    # the records again without the header: every call_id repeats
    body = bank_log(tmp_path, ROWS + ROWS, "body.txt")
    with pytest.raises(sim.ScenarioError, match="300 of 600 records repeat .* given twice"):
        read_anonymous_bank(body)


def test_a_few_repeated_records_are_skipped_and_reported(tmp_path):
    log = read_anonymous_bank(bank_log(tmp_path, [*ROWS, ROWS[7], ROWS[8]]))
    assert len(log) == 300
    assert log.dropped["repeated call_id (skipped)"] == 2
    # the same call_id on another VRU line is another call (the 1999 logs have hundreds)
    other = ROWS[9].replace("AA0101", "AA0202", 1)
    assert len(read_anonymous_bank(bank_log(tmp_path, [*ROWS, other]))) == 301


def _with(field: int, value: str) -> str:
    cells = bank_row(5).split("\t")
    cells[field] = value
    return "\t".join(cells)


@pytest.mark.parametrize(
    "row, words",
    [
        (bank_row(5, date="991341"), "date '991341' is not a date"),
        (bank_row(5, date="99x201"), "date '99x201'"),
        (bank_row(5, q_start="25:61:00"), "'25:61:00' is not a time of day"),
        (bank_row(5, q_start="x:y:z"), "'x:y:z' is not a time of day"),
        (_with(13, "8:61:20"), "'8:61:20'"),  # ser_start, a field the fit does not use
        (_with(6, "24:00:00"), "'24:00:00'"),  # vru_entry
        (bank_row(5, outcome="MAYBE"), "outcome 'MAYBE'"),
        (_with(11, "-15"), "q_time '-15'"),
    ],
)
def test_bad_fields_in_a_bank_log_name_their_line(tmp_path, row, words):
    p = bank_log(tmp_path, [ROWS[0], ROWS[1], row])
    with pytest.raises(sim.ScenarioError, match="line 4: cannot read") as e:
        read_anonymous_bank(p)
    assert words in str(e.value)


def test_a_stray_quote_is_a_character_not_a_field_that_runs_on(tmp_path):
    rows = list(ROWS)
    rows[5] = rows[5].replace("\tPS\t", '\tP"S\t').replace("\tNW\t", '\tN"W\t')
    log = read_anonymous_bank(bank_log(tmp_path, rows))
    assert len(log) == 300  # not merged with the lines after it
    rows[6] = rows[6].replace("\t990201\t", '\t"990201\t')
    with pytest.raises(sim.ScenarioError, match="line 8: .*date"):
        read_anonymous_bank(bank_log(tmp_path, rows))


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "the log is empty"),
        (b"\n\n  \n", "the log is empty"),
        (b"\x00\x01" * 500, "not a text"),
    ],
)
def test_empty_and_binary_logs(tmp_path, content, words):
    p = tmp_path / "log.csv"
    p.write_bytes(content)
    code, out = run(["calibrate", str(p), "-o", str(tmp_path / "c.yaml")])
    one_clean_line(code, out, words)


def test_a_folder_is_not_a_log(tmp_path):
    code, out = run(["calibrate", str(tmp_path), "-o", str(tmp_path / "c.yaml")])
    one_clean_line(code, out, "is a folder, not a file")


def test_generic_csv_logs(tmp_path):
    mapping = {"arrival": "start", "outcome": "status", "wait": "queue_s", "handle": "talk_s"}
    head = "start,status,queue_s,talk_s"
    rows = [f"8:{i // 60:02d}:{i % 60:02d},answered,{i % 7},{100 + i}" for i in range(400)]
    p = tmp_path / "log.csv"
    p.write_text("\n".join([head, *rows]) + "\n")
    assert len(read_csv_log(p, mapping)) == 400
    p.write_text("\n".join([head, *rows, head, *rows]) + "\n")
    with pytest.raises(sim.ScenarioError, match="line 402 repeats the header"):
        read_csv_log(p, mapping)
    p.write_text("\n".join([head, *rows, *rows]) + "\n")
    with pytest.raises(sim.ScenarioError, match="given twice"):
        read_csv_log(p, mapping)
    p.write_text("\n".join([head, *rows, rows[3]]) + "\n")
    log = read_csv_log(p, mapping)
    assert len(log) == 400 and log.dropped == {"repeated record (skipped)": 1}
    p.write_text("\n".join([head, *rows[:5], "8:00:30,answered,3", *rows[5:]]) + "\n")
    with pytest.raises(sim.ScenarioError, match="line 7: 3 fields where the header has 4"):
        read_csv_log(p, mapping)
    p.write_text("\n".join([head, "8:00:00,answered,-4,100"]) + "\n")
    with pytest.raises(sim.ScenarioError, match="line 2: .*wait '-4'"):
        read_csv_log(p, mapping)
    p.write_text("start,status,start,talk_s\n8:00:00,answered,1,100\n")
    with pytest.raises(sim.ScenarioError, match="'start' appears twice"):
        read_csv_log(p, mapping)


@pytest.mark.parametrize("text", ["25:00:00", "7:60", "7:00:60", "x:y:z", "1:2:3:4", "-5", "nan"])
def test_times_of_day_are_checked(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_times_of_day_that_are_fine():
    assert parse_time("7:02:47") == 7 * 3600 + 2 * 60 + 47
    assert parse_time("23:59:59.5") == 86399.5
    assert parse_time("07:02") == 7 * 3600 + 120


# --- CSV forecasts ---------------------------------------------------------------------


def test_a_csv_forecast_with_a_repeated_column_is_refused(tmp_path):
    text = (SCENARIOS / "retail_bank_forecast.csv").read_text().splitlines()
    head = text[0].split(",")
    assert head[:3] == ["start", "premium", "mass"]
    # 'mass' twice: a reader keyed by name would take one of the two silently
    rows = [",".join([*r.split(","), r.split(",")[1]]) for r in text[1:]]
    (tmp_path / "retail_bank_forecast.csv").write_text(
        "\n".join([",".join([*head, "mass"]), *rows]) + "\n"
    )
    f = tmp_path / "s.yaml"
    f.write_text((SCENARIOS / "retail_bank_csv.yaml").read_text())
    code, out = run(["validate", str(f)])
    one_clean_line(code, out, "column 'mass' appears twice")


# --- checkpoints -----------------------------------------------------------------------


def _reps(tmp_path) -> list[Path]:
    return sorted(tmp_path.rglob("rep_*.npz"))


def test_a_forged_checkpoint_is_recomputed(tmp_path):
    m = sim.load_scenario(BANK)
    clean = sim.simulate(m, replications=3, seed=4)
    sim.simulate(m, replications=3, seed=4, checkpoint_dir=tmp_path)
    f = _reps(tmp_path)[1]
    with np.load(f) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["counts"] = arrays["counts"] * 1000  # profit x1000, the MAC left as it was
    with f.open("wb") as fh:
        np.savez(fh, **arrays)
    again = sim.simulate(m, replications=3, seed=4, checkpoint_dir=tmp_path)
    assert again.meta["discarded_checkpoints"] == 1
    assert again.summary["profit"].mean == clean.summary["profit"].mean
    # another replication's genuine file under this name does not verify either
    files = _reps(tmp_path)
    files[2].write_bytes(files[0].read_bytes())
    third = sim.simulate(m, replications=3, seed=4, checkpoint_dir=tmp_path)
    assert third.meta["discarded_checkpoints"] == 1
    assert third.summary["profit"].mean == clean.summary["profit"].mean


def test_checkpoints_that_are_not_files_are_passed_over(tmp_path):
    m = sim.load_scenario(BANK)
    clean = sim.simulate(m, replications=3, seed=4)
    sim.simulate(m, replications=3, seed=4, checkpoint_dir=tmp_path)
    a, b, c = _reps(tmp_path)
    a.unlink()
    a.mkdir()  # a folder at that name
    b.unlink()
    os.mkfifo(b)  # a FIFO would block a reader forever
    target = tmp_path / "elsewhere.npz"
    target.write_bytes(c.read_bytes())
    c.unlink()
    c.symlink_to(target)  # a link is never followed
    again = sim.simulate(m, replications=3, seed=4, checkpoint_dir=tmp_path)
    assert again.meta["discarded_checkpoints"] == 3
    assert again.summary["profit"].mean == clean.summary["profit"].mean
    assert a.is_dir() and target.exists()


def test_a_checkpoint_that_unpacks_to_gigabytes_is_not_read(tmp_path):
    f = tmp_path / "bomb.npz"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        header = (
            b"\x93NUMPY\x01\x00"
            + b"v\x00"
            + b"{'descr': '|u1', 'fortran_order': False, 'shape': (1000000000,), }".ljust(118)
            + b"\n"
        )
        with zf.open("counts.npy", "w", force_zip64=True) as fh:
            fh.write(header)
            block = bytes(1 << 20)
            for _ in range(64):  # 64 MB of zeros in a file of a few hundred KB
                fh.write(block)
    f.write_bytes(buf.getvalue())
    assert f.stat().st_size < 1_000_000
    assert load_arrays(f) is None


def test_signed_arrays_round_trip_and_bind_to_their_run(tmp_path):
    f = tmp_path / "x.npz"
    arrays = {"a": np.arange(5.0), "b": np.asarray(3)}
    assert save_arrays(f, arrays, "run-1")
    back = load_arrays(f, "run-1")
    assert back is not None and np.array_equal(back["a"], arrays["a"])
    assert load_arrays(f, "run-2") is None
    (tmp_path / "d.npz").mkdir()
    assert not save_arrays(tmp_path / "d.npz", arrays, "run-1")  # a folder is left alone


def test_a_forged_search_checkpoint_is_discarded(tmp_path):
    from ccsim.optimize.evaluate import Evaluator
    from ccsim.optimize.plan import Plan
    from ccsim.optimize.segments import segment_arrays

    m = sim.load_scenario(BANK)
    ck = tmp_path / "search.npz"
    ev = Evaluator(m, m.targets, 4, 1, checkpoint=ck)
    plan = Plan.of(m.staffing, m.thresholds)
    ev.evaluate(plan)
    ev.save()
    assert Evaluator(m, m.targets, 4, 1, checkpoint=ck).resumed == 1
    raw = {p: (0, ({k: v * 1000 for k, v in s.items()}, i, c)) for p, (s, i, c) in ev._raw.items()}
    with ck.open("wb") as fh:
        np.savez(fh, **segment_arrays(raw))
    forged = Evaluator(m, m.targets, 4, 1, checkpoint=ck)
    assert forged.discarded_checkpoint and forged.resumed == 0


# --- names a spreadsheet would run -----------------------------------------------------


def test_formula_like_text_is_neutralised_and_restored():
    for name in ["=1+2", "+SUM(A1)", "-x", "@cmd", "\t=1", '=HYPERLINK("http://x")']:
        assert neutralise(name).startswith("'")
        assert restore(neutralise(name)) == name
    for fine in ["premium", "-3.5", "+2", "1e3", 4, None, "'quoted"]:
        assert neutralise(fine) == fine
    assert header_names([" a", "'=b"]) == ["a", "=b"]


def test_a_segment_named_like_a_formula_is_text_in_every_output(tmp_path):
    data = yaml.safe_load(Path(BANK).read_text())
    data["segments"] = {"=1+2": data["segments"]["premium"], "mass": data["segments"]["mass"]}
    data["policy"]["cross_sell"] = {"=1+2": data["policy"]["cross_sell"]["premium"]}
    data.pop("alternatives", None)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(data, allow_unicode=True))
    out = tmp_path / "out"
    calls = tmp_path / "calls.csv"
    code, text = run(["simulate", str(f), "-r", "2", "--out", str(out), "--calls", str(calls)])
    assert code == 0, text
    from openpyxl import load_workbook

    wb = load_workbook(out / "workbook.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(c.value == "=1+2" for c in cells)
    assert not [c for c in cells if c.data_type == "f"]  # no formula anywhere
    for csv_file in [out / "segments.csv", calls]:
        body = csv_file.read_text()
        assert "'=1+2" in body
        assert not any(line.startswith("=") or ",=" in line for line in body.splitlines())


# --- interrupts, full disks, grids, costs ----------------------------------------------


def test_ctrl_c_during_compare_with_two_workers_ends_at_once(tmp_path):
    """Ctrl-C at several moments: the command must end (it once hung for minutes, waiting
    for running tasks), with code 130 and no worker left. The timeout is a hang detector,
    far above any machine's exit time, not a speed test."""
    psutil = pytest.importorskip("psutil")
    for delay in (1.0, 2.5, 4.0):
        p = subprocess.Popen(
            [sys.executable, "-m", "ccsim.cli", "compare", BANK, "--workers", "2", "-r", "400"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            text=True,
        )
        parent = psutil.Process(p.pid)
        children = []
        for _ in range(300):  # until the pool is up
            children = parent.children(recursive=True)
            if len(children) >= 2:
                break
            time.sleep(0.1)
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            pytest.fail(f"compare still running 60 s after Ctrl-C (sent after {delay} s)")
        if p.returncode == 0:
            continue  # it had finished already
        assert p.returncode == 130, err
        assert "Traceback" not in err and "interrupted" in err
        assert "kept under" not in err  # compare keeps no checkpoints: it must not claim to
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive


def test_a_full_disk_names_what_was_written(tmp_path, monkeypatch):
    import ccsim.output as output

    real = os.replace
    count = {"n": 0}

    def replace(src, dst):  # the disk fills up after two result files
        if ".checkpoints" not in str(dst):
            count["n"] += 1
            if count["n"] > 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
    out = tmp_path / "out"
    code, text = run(["simulate", BANK, "-r", "2", "--workers", "1", "--out", str(out)])
    line = one_clean_line(code, text, "No space left on device", "written before it")
    assert "results.json" in line and "intervals.csv" in line
    assert "can resume" not in line or ".checkpoints" in line
    assert not list(out.glob(".*.part"))  # nothing half-written


def test_a_one_second_shift_grid_is_refused_at_validate(tmp_path):
    text = (SCENARIOS / "retail_bank_shifts.yaml").read_text()
    f = tmp_path / "s.yaml"
    f.write_text(text.replace("grid: 15min", "grid: 1s"))
    one_clean_line(*run(["validate", str(f)]), "shifts.grid")
    # on a legal grid, templates whose MIP would not fit in memory are refused too
    wide = text.replace("grid: 15min", "grid: 1min").replace(
        'starts: {earliest: "10:00", latest: "16:00"}',
        'starts: {earliest: "08:00", latest: "16:00"}',
    )
    data = yaml.safe_load(wide)
    for i in range(40):
        data["shifts"]["templates"][f"t{i}"] = data["shifts"]["templates"]["full_time"]
    f.write_text(yaml.safe_dump(data))
    one_clean_line(*run(["validate", str(f)]), "the shift MIP would have", "coarser grid")


def test_a_staffing_what_if_on_a_roster_costs_the_agents_it_adds():
    from ccsim.sim.scenario.alternatives import alternative_model
    from ccsim.sim.scenario.schema import Alternative

    data = yaml.safe_load((SCENARIOS / "retail_bank_shifts.yaml").read_text())
    data.pop("staffing", None)
    data.pop("alternatives", None)
    data["roster"] = [
        {"template": "full_time", "start": "08:00", "agents": 20,
         "breaks": ["10:00-10:15", "12:00-12:30", "14:00-14:15"]},
        {"template": "full_time", "start": "11:30", "agents": 20,
         "breaks": ["13:30-13:45", "15:30-16:00", "17:30-17:45"]},
        {"template": "part_time", "start": "10:00", "agents": 10, "breaks": ["12:00-12:15"]},
    ]  # fmt: skip
    m = sim.parse_scenario(data)
    assert m.roster is not None
    alt = alternative_model(m, "st2", Alternative(staffing="+2"))
    assert alt.roster is not None  # the roster, its rates and breaks stay
    added_hours = (alt.staffing - m.staffing).sum() * m.shifts.grid / 3600
    assert added_hours == pytest.approx(2 * 12)  # 2 agents over the 12-hour day
    extra = alt.staffing_cost().sum() - m.staffing_cost().sum()
    assert extra == pytest.approx(added_hours * m.cost_per_phone_hour)
    # a number replaces the roster, paid at the agent cost
    flat = alternative_model(m, "n30", Alternative(staffing=30))
    assert flat.roster is None
    assert flat.staffing_cost().sum() == pytest.approx(30 * 12 * m.cost_per_phone_hour)


# --- ordinary slips --------------------------------------------------------------------


def _deep_yaml(tmp_path) -> str:
    f = tmp_path / "deep.yaml"
    f.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    return str(f)


def _binary(tmp_path) -> str:
    f = tmp_path / "obs.csv"
    f.write_bytes(bytes(range(256)) * 20)
    return str(f)


def _alt_in_file(tmp_path) -> str:
    text = (
        Path(BANK)
        .read_text()
        .replace("alternatives:\n", 'alternatives:\n  x: {handle_time: "x0"}\n', 1)
    )
    f = tmp_path / "alt.yaml"
    f.write_text(text)
    return str(f)


def _typo(tmp_path) -> str:
    f = tmp_path / "typo.yaml"
    f.write_text(
        Path(BANK)
        .read_text()
        .replace("{dist: exponential, mean: 3min}", "{dist: exponential, maen: 3min}")
    )
    return str(f)


SLIPS = [
    (lambda t: ["compare", BANK, "-r", "2", "--alt", 'x={handle_time: "x0"}'], ["x.handle_time", "above 0"]),
    (lambda t: ["validate", _alt_in_file(t)], ["alternatives.x.handle_time"]),
    (lambda t: ["simulate", BANK, "--seed", "9" * 5000], ["seed"]),
    (lambda t: ["simulate", BANK, "--seed", str(2**63)], ["seed"]),
    (lambda t: ["validate", _deep_yaml(t)], ["nested too deeply"]),
    (lambda t: ["compare", BANK, "--alt", "x=" + "[" * 50_000], ["nested too deeply"]),
    (lambda t: ["backtest", BANK, "--observed", _binary(t)], ["not a UTF-8 text file"]),
    (lambda t: ["backtest", BANK, "--observed", str(t)], ["is a folder"]),
    (lambda t: ["erlang", "--rate", "-5/h", "--aht", "180s", "--agents", "3"], ["--rate"]),
    (lambda t: ["erlang", "--rate", "100/30min", "--aht", "3min", "--target-sl", "0.8", "--within", "-5s"], ["--within"]),
    (lambda t: ["erlang", "--rate", "100/30min", "--aht", "3min", "--target-sl", "1.0"], ["below 1"]),
    (lambda t: ["validate", _typo(t)], ["'maen'", "did you mean 'mean'"]),
    (lambda t: ["validate", str(t)], ["is a folder"]),
    (lambda t: ["init", "--force", str(t)], ["is a folder"]),
]  # fmt: skip


@pytest.mark.parametrize("make, words", SLIPS)
def test_ordinary_slips_get_one_clean_line(tmp_path, make, words):
    code, out = run(make(tmp_path))
    assert "Traceback" not in out
    assert code == 2, out
    text = " ".join(out.split())
    for w in words:
        assert w in text, (w, out)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_erlang_out_where_nothing_can_be_written(tmp_path):
    one_clean_line(*run(["erlang", BANK, "--out", "/proc/x", "-r", "2"]), "/proc/x")


def test_calls_into_a_missing_folder_creates_it(tmp_path):
    calls = tmp_path / "new" / "sub" / "calls.csv"
    code, out = run(["simulate", BANK, "-r", "1", "--workers", "1", "--calls", str(calls)])
    assert code == 0, out
    assert calls.stat().st_size > 0


def test_a_scenario_target_of_100_percent_is_refused(tmp_path):
    text = Path(BANK).read_text()
    assert "fraction: 0.8" in text
    f = tmp_path / "s.yaml"
    f.write_text(text.replace("fraction: 0.8", "fraction: 1.0", 1))
    one_clean_line(*run(["validate", str(f)]), "targets.service_level.fraction")


# --- fuzz: the classes the scenario fuzz test missed -----------------------------------

FUZZ = settings(
    max_examples=int(os.environ.get("CCSIM_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CELLS = ["", "x", "-1", "25:61:00", "x:y:z", "1e400", "nan", '"', "'", "=1+2", "\x00", "990231", "AGENT", "HANG", "PHANTOM", "0:00:00", "\t"]  # fmt: skip


@FUZZ
@given(
    line=st.integers(0, 40),
    field=st.integers(0, 16),
    value=st.sampled_from(CELLS) | st.text(max_size=12),
    repeat=st.integers(0, 3),
)
def test_fuzzed_bank_logs_read_or_fail_cleanly(tmp_path_factory, line, field, value, repeat):
    rows = [r.split("\t") for r in ROWS[:40]]
    if line < len(rows):
        rows[line][field] = value
    body = ["\t".join(r) for r in rows] + ["\t".join(rows[0])] * repeat
    folder = tmp_path_factory.mktemp("log")
    p = folder / "log.txt"
    p.write_text("\n".join([HEADER, *body]) + "\n", encoding="utf-8")
    try:
        log = read_anonymous_bank(p)
    except sim.ScenarioError:
        return
    assert len(log) <= 40 and np.isfinite(log.arrival).all() and (log.wait >= 0).all()


@FUZZ
@given(
    row=st.integers(1, 30),
    col=st.integers(0, 3),
    value=st.sampled_from(CELLS) | st.text(max_size=10),
)
def test_fuzzed_csv_forecasts_load_or_fail_cleanly(tmp_path_factory, row, col, value):
    folder = tmp_path_factory.mktemp("csv")
    lines = [
        r.split(",") for r in (SCENARIOS / "retail_bank_forecast.csv").read_text().splitlines()
    ]
    if row < len(lines):
        lines[row][col] = value
    else:
        lines[0][col] = value  # the header
    import csv as csv_module

    buf = io.StringIO()
    csv_module.writer(buf).writerows(lines)
    (folder / "retail_bank_forecast.csv").write_text(buf.getvalue())
    f = folder / "s.yaml"
    f.write_text((SCENARIOS / "retail_bank_csv.yaml").read_text())
    code, out = run(["validate", str(f)])
    assert code in (0, 2) and "Traceback" not in out, out


ALT_PIECES = ["staffing", "policy", "volume", "handle_time", "patience", "accept", "revenue", "shrinkage", "cross_sell", "never", "x0", "-100%", "+2", "x1e9", "[", "]", "{", "}", ":", ",", "'", '"', "=", " ", "-3", "1e400", "nan", "&a", "*a", "!!python/object"]  # fmt: skip


@FUZZ
@given(pieces=st.lists(st.sampled_from(ALT_PIECES), max_size=12))
def test_fuzzed_alt_strings_parse_or_fail_cleanly(pieces):
    from ccsim.sim.scenario.alternatives import alternative_model, parse_cli_alternative

    m = sim.load_scenario(BANK)
    text = "x={" + "".join(pieces) + "}"
    try:
        name, alt = parse_cli_alternative(text)
        alternative_model(m, name, alt, "--alt")
    except sim.ScenarioError:
        pass


@FUZZ
@given(offset=st.integers(0, 10_000), byte=st.integers(0, 255), cut=st.booleans())
def test_fuzzed_checkpoints_are_recomputed_never_trusted(tmp_path_factory, offset, byte, cut):
    folder = tmp_path_factory.mktemp("ck")
    m = sim.load_scenario(BANK)
    clean = sim.simulate(m, replications=1, seed=3)
    sim.simulate(m, replications=1, seed=3, checkpoint_dir=folder)
    (f,) = _reps(folder)
    data = bytearray(f.read_bytes())
    i = offset % len(data)
    if cut:
        data = data[:i]
    elif data[i] == byte:
        return
    else:
        data[i] = byte
    f.write_bytes(bytes(data))
    again = sim.simulate(m, replications=1, seed=3, checkpoint_dir=folder)
    assert again.summary["profit"].mean == clean.summary["profit"].mean
