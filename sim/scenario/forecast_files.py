"""Forecasts and staffing from a CSV file, as planners keep them.

Anywhere a scenario takes a list per interval (a segment's `volume`, `forecast.total`,
`staffing`) it may instead name a column of a CSV file:

    segments:
      mass: {volume: {file: forecast.csv, column: mass}, handle_time: ...}
    staffing: {file: forecast.csv, column: agents}

The file has a `start` column (the interval's start, "08:30") and one column per series;
its rows must be the horizon's intervals, in order. The columns are read when the
scenario is loaded and written into it as lists, so a plan written from it stands alone.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from .errors import ScenarioError, input_file_problem
from .spreadsheet_safe import header_names
from .units import format_clock, parse_clock, parse_duration

_cache: dict[Path, list[dict[str, str]]] = {}


def _is_ref(v: Any) -> bool:
    return isinstance(v, dict) and set(v) == {"file", "column"}


def _expected_starts(data: dict) -> list[str] | None:
    """Interval starts of a day horizon, if it can be read (else the schema reports it)."""
    try:
        hz = data["horizon"]
        start = parse_clock(hz.get("start", "00:00"))
        step = parse_duration(hz["interval"])
        n = (
            int(hz["intervals"])
            if "intervals" in hz
            else round((parse_clock(hz["end"]) - start) / step)
        )
        return [format_clock(start + i * step) for i in range(n)]
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def _read(path: Path, file: str | None, where: str) -> list[dict[str, str]]:
    if path not in _cache:
        problem = input_file_problem(path)
        if problem is not None:
            raise ScenarioError(f"{path}: {problem}", file=file, path=where)
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.reader(fh)
                header = header_names(next(reader, []))
                _cache[path] = [dict(zip(header, r, strict=False)) for r in reader]
        except ValueError as exc:
            raise ScenarioError(f"{path.name}: {exc}", file=file, path=where) from None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise ScenarioError(f"cannot read {path}: {exc}", file=file, path=where) from None
    return _cache[path]


def _column(ref: dict, data: dict, base: Path, file: str | None, where: str) -> list[float]:
    path = (base / str(ref["file"])).resolve()
    rows = _read(path, file, where)
    col = str(ref["column"])
    if not rows or col not in rows[0] or "start" not in rows[0]:
        have = ", ".join(rows[0]) if rows else "no rows"
        raise ScenarioError(
            f"{path.name} needs a 'start' column and a {col!r} column (it has: {have})",
            file=file,
            path=where,
        )
    want = _expected_starts(data)
    if want is not None:
        got = []
        for r in rows:
            try:
                got.append(format_clock(parse_clock(r["start"].strip())))
            except ValueError:
                got.append(r["start"])
        if got != want:
            pairs = zip(got, want, strict=False)  # the shorter decides where they part
            bad = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(got), len(want)))
            raise ScenarioError(
                f"{path.name} has {len(got)} rows; the horizon has {len(want)} intervals, and "
                f"row {bad + 2} should start at "
                f"{want[bad] if bad < len(want) else '(nothing: too many rows)'}"
                f"{'' if bad >= len(got) else f', not {got[bad]}'}",
                file=file,
                path=where,
            )
    out = []
    for i, r in enumerate(rows):
        try:
            x = float(r[col])
        except (TypeError, ValueError):
            raise ScenarioError(
                f"{path.name} row {i + 2}, column {col!r}: {r[col]!r} is not a number",
                file=file,
                path=where,
            ) from None
        if not math.isfinite(x):
            raise ScenarioError(
                f"{path.name} row {i + 2}, column {col!r}: not finite", file=file, path=where
            )
        out.append(int(x) if where == "staffing" and x == int(x) else x)
    return out


def resolve_file_columns(data: Any, file: str | None, base_dir: Path | None) -> Any:
    """The scenario data with every {file, column} reference replaced by its list."""
    if not isinstance(data, dict):
        return data
    base = base_dir or Path.cwd()
    out = dict(data)
    if _is_ref(out.get("staffing")):
        out["staffing"] = _column(out["staffing"], out, base, file, "staffing")
    fc = out.get("forecast")
    if isinstance(fc, dict) and _is_ref(fc.get("total")):
        out["forecast"] = {**fc, "total": _column(fc["total"], out, base, file, "forecast.total")}
    segs = out.get("segments")
    if isinstance(segs, dict):
        new = {}
        for name, seg in segs.items():
            if isinstance(seg, dict) and _is_ref(seg.get("volume")):
                seg = {
                    **seg,
                    "volume": _column(seg["volume"], out, base, file, f"segments.{name}.volume"),
                }
            new[name] = seg
        out["segments"] = new
    _cache.clear()
    return out
