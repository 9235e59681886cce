"""Back-test: the simulated day against the observed one, interval by interval."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..results import SimResult
from ..runner import simulate
from ..scenario.errors import ScenarioError, require_input_file
from ..scenario.model import Model
from ..scenario.spreadsheet_safe import header_names

METRICS = ("abandon_rate", "asa", "service_level", "p_wait")


@dataclass
class BacktestResult:
    model: Model
    sim: SimResult
    observed: list[dict]
    rows: list[dict]  # per interval: observed, simulated mean and CI per metric
    summary: dict  # per metric: weighted MAE and bias, worst interval, day values; offered

    def to_json(self) -> dict:
        return {
            "kind": "ccsim.backtest",
            "scenario": self.model.name,
            "rows": self.rows,
            "summary": self.summary,
            "meta": self.sim.meta,
        }


def read_observed(path: str | Path) -> list[dict]:
    """observed.csv or observed.json written by `ccsim calibrate`."""
    p = Path(path)
    require_input_file(p)
    try:
        if p.suffix == ".json":
            data = json.loads(p.read_text(encoding="utf-8"))
            rows = data["intervals"] if isinstance(data, dict) else data
        else:
            with p.open(newline="", encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                reader.fieldnames = header_names(reader.fieldnames) if reader.fieldnames else None
                rows = [dict(r) for r in reader]
    except UnicodeDecodeError:
        raise ScenarioError(
            "not a UTF-8 text file (a CSV or JSON from ccsim calibrate)", file=str(path)
        ) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"not valid JSON ({exc})", file=str(path)) from None
    except (csv.Error, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ScenarioError(
            f"not an observed-KPI file ({type(exc).__name__}: {exc})", file=str(path)
        ) from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ScenarioError("not an observed-KPI file (expected rows of fields)", file=str(path))
    out = []
    for i, r in enumerate(rows):
        try:
            out.append(
                {
                    k: (None if r.get(k) in (None, "") else float(r[k]))
                    for k in ("start", "offered", *METRICS)
                }
                | {"label": r.get("label", "")}
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ScenarioError(f"row {i + 1}: {exc}", file=str(path)) from None
        row = out[-1]
        for k, v in row.items():
            if k == "label" or v is None:
                continue
            if not np.isfinite(v) or v < 0:
                raise ScenarioError(
                    f"{k} is {v:g}; it must be a finite number >= 0",
                    file=str(path),
                    path=f"row {i + 1}",
                )
            if k in ("abandon_rate", "service_level", "p_wait") and v > 1:
                raise ScenarioError(
                    f"{k} is {v:g}; a rate is a fraction between 0 and 1",
                    file=str(path),
                    path=f"row {i + 1}",
                )
    return out


def pair_intervals(model: Model, observed: list[dict], file: str | None = None) -> list[dict]:
    """The observed row of each of the model's intervals, matched by interval start
    (seconds after midnight), not by row order."""
    starts = model.interval_starts_clock()
    if observed and all(r.get("start") is not None for r in observed):
        by_start = {round(float(r["start"])): r for r in observed}
        if len(by_start) != len(observed):
            raise ScenarioError("two observed rows have the same interval start", file=file)
        missing = [
            model.interval_label(t) for t, s0 in enumerate(starts) if round(s0) not in by_start
        ]
        if missing:
            raise ScenarioError(
                f"no observed row starts at {', '.join(missing[:5])}"
                f"{' ...' if len(missing) > 5 else ''} (the scenario's intervals)",
                file=file,
            )
        return [by_start[round(s0)] for s0 in starts]
    if len(observed) != model.n_intervals:
        raise ScenarioError(
            f"the observed file has {len(observed)} intervals, the scenario {model.n_intervals}",
            file=file,
        )
    return observed


def backtest(
    model: Model,
    observed: list[dict],
    replications: int | None = None,
    seed: int | None = None,
    executor=None,
) -> BacktestResult:
    observed = pair_intervals(model, observed, model.source)
    res = simulate(model, replications=replications, seed=seed, executor=executor)
    rows: list[dict[str, Any]] = []
    for t, obs in enumerate(observed):
        est = res.intervals[t]
        row = {
            "label": obs.get("label") or str(t),
            "offered_observed": obs.get("offered"),
            "offered_simulated": est["offered"].mean,
        }
        for mtr in METRICS:
            e = est[mtr]
            row[mtr] = {"observed": obs.get(mtr), "simulated": e.mean, "ci95": [e.lo, e.hi]}
        rows.append(row)
    summary: dict[str, dict[str, Any] | None] = {}
    w = np.array([r["offered_observed"] or 0.0 for r in rows])
    for mtr in METRICS:
        o = np.array([np.nan if r[mtr]["observed"] is None else r[mtr]["observed"] for r in rows])
        s = np.array([r[mtr]["simulated"] for r in rows], float)
        ok = np.isfinite(o) & np.isfinite(s) & (w > 0)
        if not ok.any():
            summary[mtr] = None
            continue
        err = s[ok] - o[ok]
        ww = w[ok] / w[ok].sum()
        summary[mtr] = {
            "weighted_mae": float(np.abs(err) @ ww),
            "weighted_bias": float(err @ ww),
            "worst_interval": rows[int(np.flatnonzero(ok)[np.argmax(np.abs(err))])]["label"],
            "worst_error": float(err[np.argmax(np.abs(err))]),
            "observed_day": float(o[ok] @ ww),
            "simulated_day": float(s[ok] @ ww),
        }
    summary["offered"] = {
        "observed_day": float(w.sum()),
        "simulated_day": float(sum(r["offered_simulated"] for r in rows)),
    }
    return BacktestResult(model, res, observed, rows, summary)
