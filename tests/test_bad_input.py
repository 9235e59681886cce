"""Every class of bad input: one clear line naming file and field, exit code 2, no traceback."""

import copy
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from ccsim.cli import app

BASE = {
    "name": "bad input test",
    "horizon": {"start": "08:00", "interval": "30min", "intervals": 3},
    "segments": {
        "premium": {
            "volume": [10, 20, 15],
            "handle_time": {"dist": "exponential", "mean": "5min"},
            "patience": {"dist": "exponential", "mean": "3min"},
            "cross_sell": {"eligible": 0.8, "accept": 0.2, "revenue": 100},
        },
        "mass": {"rate": "60/h", "handle_time": {"dist": "lognormal", "mean": "4min", "cv": 1}},
    },
    "staffing": [5, 6, 5],
    "policy": {"cross_sell": {"premium": {"threshold": 2}}},
    "simulation": {"replications": 2, "seed": 1},
}


def mutate(path, value):
    d = copy.deepcopy(BASE)
    node = d
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return d


CASES = [
    # (name, scenario dict, field path expected in the message, words expected)
    (
        "unknown field",
        mutate(("segments", "premium", "handle_tme"), {"dist": "exponential", "mean": "1min"}),
        "segments.premium.handle_tme",
        "unknown field",
    ),
    (
        "negative time",
        mutate(("segments", "mass", "handle_time"), {"dist": "exponential", "mean": "-4min"}),
        "segments.mass.handle_time",
        "greater than 0",
    ),
    (
        "probability > 1",
        mutate(("segments", "premium", "cross_sell", "accept"), 1.4),
        "segments.premium.cross_sell.accept",
        "less than or equal to 1",
    ),
    (
        "probability < 0",
        mutate(("segments", "premium", "cross_sell", "eligible"), -0.1),
        "segments.premium.cross_sell.eligible",
        "greater than or equal to 0",
    ),
    ("list length", mutate(("staffing",), [5, 6]), "staffing", "2 values but the horizon has 3"),
    (
        "volume length",
        mutate(("segments", "premium", "volume"), [1, 2, 3, 4]),
        "segments.premium.volume",
        "4 values",
    ),
    (
        "unknown segment threshold",
        mutate(("policy", "cross_sell"), {"gold": {"threshold": 1}}),
        "policy.cross_sell.gold",
        "unknown segment",
    ),
    (
        "bad unit",
        mutate(("segments", "mass", "rate"), "60/fortnight"),
        "segments.mass.rate",
        "unknown period",
    ),
    (
        "duration without unit",
        mutate(("segments", "mass", "handle_time"), {"dist": "exponential", "mean": 4}),
        "segments.mass.handle_time",
        "has no unit",
    ),
    (
        "bad interval unit",
        mutate(("horizon", "interval"), "30 lightyears"),
        "horizon.interval",
        "cannot parse",
    ),
    (
        "empty",
        mutate(("segments", "mass", "rate"), "0/h")
        | {
            "segments": {
                "premium": mutate(("segments", "premium", "volume"), 0)["segments"]["premium"],
                "mass": mutate(("segments", "mass", "rate"), "0/h")["segments"]["mass"],
            }
        },
        "segments",
        "empty scenario",
    ),
    ("no segments", mutate(("segments",), {}), "segments", "at least 1"),
    ("missing field", mutate(("staffing",), KeyError), "staffing", "required field is missing"),
    (
        "unknown dist",
        mutate(("segments", "mass", "handle_time"), {"dist": "weibull", "mean": "4min"}),
        "segments.mass.handle_time",
        "weibull",
    ),
    (
        "threshold without product",
        mutate(("policy", "cross_sell"), {"mass": {"threshold": 1}}),
        "policy.cross_sell.mass",
        "no cross_sell parameters",
    ),
    (
        "no patience, nobody at the end",
        mutate(("staffing",), [5, 6, 0]),
        "staffing",
        "never be answered",
    ),
    (
        "two volume kinds",
        mutate(("segments", "mass", "volume"), 5),
        "segments.mass",
        "exactly one of",
    ),
    # numbers out of range (issue 12): each refused at load time, with the field
    ("staffing 1e30", mutate(("staffing",), 1e30), "staffing", "number too large"),
    (
        "infinite cv",
        mutate(("segments", "mass", "handle_time", "cv"), float("inf")),
        "segments.mass.handle_time.cv",
        "finite",
    ),
    (
        "NaN probability",
        mutate(("segments", "premium", "cross_sell", "accept"), float("nan")),
        "segments.premium.cross_sell.accept",
        "NaN",
    ),
    (
        "volume 1e15",
        mutate(("segments", "premium", "volume"), 1e15),
        "segments.premium.volume",
        "less than or equal to 10,000,000",
    ),
    (
        "infinite rate",
        mutate(("segments", "mass", "rate"), "1e400/h"),
        "segments.mass.rate",
        "not a finite number",
    ),
    ("clock past midnight", mutate(("horizon", "start"), "25:00"), "horizon.start", "out of range"),
    (
        "huge threshold",
        mutate(("policy", "cross_sell", "premium", "threshold"), 10**20),
        "policy.cross_sell.premium",
        "1,000,000",
    ),
    (
        "more calls than a run can hold",
        mutate(("segments", "mass", "rate"), "5000/s")
        | {"horizon": BASE["horizon"] | {"interval": "10h"}},
        "segments",
        "calls in one replication",
    ),
    (
        "misspelled section",
        {k if k != "staffing" else "staffng": v for k, v in BASE.items()},
        "staffng",
        "did you mean 'staffing'",
    ),
    (
        "misspelled field in a segment",
        mutate(
            ("segments", "mass"),
            {"rate": "60/h", "handel_time": {"dist": "exponential", "mean": "4min"}},
        ),
        "segments.mass.handel_time",
        "did you mean 'handle_time'",
    ),
    (
        "floor with a per-interval target",
        mutate(("targets",), {"service_level": {"within": "20s", "per": "interval", "floor": 0.5}}),
        "targets.service_level",
        "floor",
    ),
]

runner = CliRunner()


def run_cli(args):
    r = runner.invoke(app, args)
    return r.exit_code, (r.stdout or "") + (getattr(r, "stderr", "") or ""), r.exception


@pytest.mark.parametrize("name,data,path,words", CASES, ids=[c[0] for c in CASES])
def test_bad_scenarios(tmp_path, name, data, path, words):
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(data))
    for cmd in ("validate", "simulate"):
        code, out, exc = run_cli([cmd, str(f)])
        assert code == 2, out
        assert isinstance(exc, SystemExit)
        assert "Traceback" not in out
        assert str(f) in out and path in out and words in out, out


def test_unstable_steady_state(tmp_path):
    d = {
        "horizon": {"steady_state": {"warmup": "1h", "length": "10h"}},
        "segments": {
            "a": {"rate": "100/h", "handle_time": {"dist": "exponential", "mean": "6min"}}
        },
        "staffing": 10,
    }
    f = tmp_path / "unstable.yaml"
    f.write_text(yaml.safe_dump(d))
    code, out, _ = run_cli(["simulate", str(f)])
    assert code == 2 and "unstable" in out and "staffing" in out


def test_missing_file(tmp_path):
    code, out, _ = run_cli(["simulate", str(tmp_path / "nope.yaml")])
    assert code == 2 and "nope.yaml" in out and "file not found" in out


def test_bad_yaml(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("name: x\nsegments: [a, b\n  staffing: 3\n")
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "broken.yaml" in out and "line" in out and "not valid YAML" in out


def test_not_a_mapping(tmp_path):
    f = tmp_path / "list.yaml"
    f.write_text("- 1\n- 2\n")
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "mapping" in out


def test_duplicate_keys_are_refused_with_their_lines(tmp_path):
    text = yaml.safe_dump(BASE, sort_keys=False)
    f = tmp_path / "dup.yaml"
    f.write_text(text + "staffing: 3\n")
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "duplicate key 'staffing'" in out and "line" in out
    seg = text.replace(
        "  mass:",
        "  premium:\n    volume: 3\n    handle_time: {dist: exponential, mean: 1min}\n  mass:",
    )
    f.write_text(seg)
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "duplicate key 'premium'" in out


def test_empirical_csv_problems(tmp_path):
    d = mutate(
        ("segments", "mass", "handle_time"),
        {"dist": "empirical", "file": "h.csv", "column": "secs"},
    )
    f = tmp_path / "emp.yaml"
    f.write_text(yaml.safe_dump(d))
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "h.csv" in out and "not found" in out
    (tmp_path / "h.csv").write_text("other\n1\n")
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "column 'secs'" in out
    (tmp_path / "h.csv").write_text("secs\n100\n-3\n")
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "line 3" in out
    # the segment and field are named; the file's contents never are
    assert "segments.mass.handle_time" in out
    (tmp_path / "h.csv").write_text("secret-token-123,other\n1,2\n")
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "secret-token-123" not in out
    (tmp_path / "h.csv").write_text("secs\nsecret-token-456\n")
    code, out, _ = run_cli(["validate", str(f)])
    assert code == 2 and "secret-token-456" not in out and "line 2" in out


def test_real_process_no_traceback(tmp_path):
    """The installed console entry point, as a user runs it."""
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(CASES[0][1]))
    p = subprocess.run(
        [sys.executable, "-m", "ccsim.cli", "simulate", str(f)], capture_output=True, text=True
    )
    assert p.returncode == 2
    assert "Traceback" not in p.stderr + p.stdout
    assert "segments.premium.handle_tme: unknown field" in p.stderr


def test_good_base_scenario_is_valid(tmp_path):
    f = tmp_path / "ok.yaml"
    f.write_text(yaml.safe_dump(BASE))
    code, out, exc = run_cli(["validate", str(f)])
    assert code == 0, out
