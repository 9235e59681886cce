"""Call logs, read into one normalised form.

A `CallLog` holds, per call that reached the agent queue: the day, the arrival time (s
after midnight), the segment, whether it was answered, the wait (until answer or
hang-up), the handle time (answered calls), and the agent.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..scenario.errors import ScenarioError, require_input_file
from ..scenario.spreadsheet_safe import header_names, restore


@dataclass
class CallLog:
    day: np.ndarray  # str, e.g. "1999-02-01"
    weekday: np.ndarray  # int, Monday = 0
    arrival: np.ndarray  # seconds after midnight when the call asked for an agent
    segment: np.ndarray  # str
    answered: np.ndarray  # bool
    wait: np.ndarray  # seconds queued
    handle: np.ndarray  # seconds with an agent (nan if abandoned or unknown)
    agent: np.ndarray  # str ("" if none)
    source: str = ""
    workweek: tuple[int, ...] = (0, 1, 2, 3, 4)  # what "weekdays" means for this center
    dropped: dict[str, int] = field(default_factory=dict)  # why rows were left out

    def __len__(self) -> int:
        return len(self.arrival)

    def select(self, mask: np.ndarray) -> CallLog:
        return CallLog(
            self.day[mask],
            self.weekday[mask],
            self.arrival[mask],
            self.segment[mask],
            self.answered[mask],
            self.wait[mask],
            self.handle[mask],
            self.agent[mask],
            self.source,
            self.workweek,
            dict(self.dropped),
        )


def parse_time(text: str) -> float:
    """'7:02:47' or '07:02' -> seconds after midnight; plain numbers are seconds.

    Raises ValueError for anything that is not a time of day (25:61:00, x:y:z, -3)."""
    t = text.strip()
    if ":" in t:
        parts = t.split(":")
        if len(parts) > 3:
            raise ValueError(f"{text!r} is not a time of day (h:mm:ss)")
        try:
            h, m, s = (float(x) for x in [*parts, "0", "0"][:3])
        except ValueError:
            raise ValueError(f"{text!r} is not a time of day (h:mm:ss)") from None
        if not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 60) or h != int(h) or m != int(m):
            raise ValueError(
                f"{text!r} is not a time of day (hours 0-23, minutes and seconds 0-59)"
            )
        return h * 3600 + m * 60 + s
    x = float(t)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{text!r} is not a time in seconds")
    return x


def _seconds(text: str, what: str) -> float:
    """A duration in seconds from a log field: finite and not negative."""
    x = float(text)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{what} {text!r} is not a duration in seconds")
    return x


def _yymmdd(text: str) -> str:
    """'990201' -> '1999-02-01' (the bank log's dates); an ISO date is kept."""
    d = text.strip()
    try:
        if len(d) == 6 and d.isdigit():
            return dt.date(1900 + int(d[:2]), int(d[2:4]), int(d[4:6])).isoformat()
        return dt.date.fromisoformat(d).isoformat()
    except ValueError:
        raise ValueError(f"date {text!r} is not a date (yymmdd or yyyy-mm-dd)") from None


# repeated records: a few are an export glitch and are skipped (and reported); more than
# this share is a log given twice (a `cat` slip) and is refused
MAX_REPEATED_SHARE = 0.01


class _Repeats:
    """Records seen before (by call id, or the whole record): skipped and counted."""

    def __init__(self, source: str):
        self.source = source
        self.first_line: dict = {}
        self.repeated = 0
        self.example: tuple[int, int, str] | None = None

    def seen(self, key, line: int, label: str) -> bool:
        if key in self.first_line:
            self.repeated += 1
            if self.example is None:
                self.example = (line, self.first_line[key], label)
            return True
        self.first_line[key] = line
        return False

    def check(self, records: int, dropped: dict[str, int], what: str) -> None:
        if not self.repeated:
            return
        if self.repeated > MAX_REPEATED_SHARE * records:
            assert self.example is not None
            line, first, label = self.example
            raise ScenarioError(
                f"line {line} repeats {label} of line {first}; {self.repeated:,} of "
                f"{records:,} records repeat an earlier {what} (more than "
                f"{MAX_REPEATED_SHARE:.0%}): is the log given twice?",
                file=self.source,
            )
        dropped[f"repeated {what} (skipped)"] = self.repeated


def _open_text_log(p: Path, encoding: str):
    """The log as text, after checking it is one: not empty, no NUL bytes."""
    with p.open("rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        raise ScenarioError("the log is empty", file=str(p))
    if b"\0" in head:
        raise ScenarioError(
            "not a text file (a call log is CSV or tab-separated text)", file=str(p)
        )
    return p.open(newline="", encoding=encoding)


def _build(rows: list[tuple], source: str, workweek, dropped) -> CallLog:
    if not rows:
        raise ScenarioError("no usable calls in the log", file=source)
    day, arrival, seg, ans, wait, handle, agent = zip(*rows, strict=True)
    days = np.asarray(day)
    weekday = np.asarray(
        [dt.date.fromisoformat(d).weekday() if len(d) == 10 and d[4] == "-" else -1 for d in days]
    )
    return CallLog(
        days,
        weekday,
        np.asarray(arrival, float),
        np.asarray(seg),
        np.asarray(ans, bool),
        np.asarray(wait, float),
        np.asarray(handle, float),
        np.asarray(agent),
        source,
        tuple(workweek),
        dropped,
    )


def read_anonymous_bank(path: str | Path, segment_by: str = "type") -> CallLog:
    """The 'Anonymous Bank' research log (tab-separated; see its README for the quirks).

    Arrival = when the caller left the VRU for the agent queue (vru_exit). Left out, and
    counted in `dropped`: PHANTOM records; HANG calls that never queued (hung up in the
    VRU: never offered to agents); AGENT rows without an agent (NO_SERVER, a few seconds).
    Service times of 0 are kept as answered calls but not used for handle-time fits.
    The center's week is Sunday to Thursday.
    """
    p = Path(path)
    require_input_file(p)
    dropped = {"phantom": 0, "hung up in the VRU (never queued)": 0, "answered without an agent": 0}
    rows = []
    repeats = _Repeats(str(path))
    records = 0
    # the log has no quoting: a stray quote is a character, not the start of a field
    # that runs on over the following lines
    with _open_text_log(p, "latin-1") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        reader.fieldnames = _bank_header(reader.fieldnames, str(path))
        for i, r in enumerate(reader, start=2):
            r = {k: (v or "").strip() for k, v in r.items() if k}
            if r.get("date") == "date" and r.get("outcome") == "outcome":
                raise ScenarioError(
                    f"line {i} repeats the header line: were two logs joined? (give each "
                    "month its own file)",
                    file=str(path),
                )
            records += 1
            try:
                row = _bank_row(r, i, segment_by, repeats, dropped)
            except (ValueError, KeyError) as exc:
                raise ScenarioError(
                    f"line {i}: cannot read the record ({exc})", file=str(path)
                ) from None
            except csv.Error as exc:
                raise ScenarioError(
                    f"line {i}: not tab-separated text ({exc})", file=str(path)
                ) from None
            if row is not None:
                rows.append(row)
    repeats.check(records, dropped, "call_id")
    return _build(rows, str(path), (6, 0, 1, 2, 3), dropped)


_BANK_COLUMNS = {
    "date",
    "vru_exit",
    "q_start",
    "q_time",
    "outcome",
    "ser_time",
    "server",
    "type",
    "priority",
}
_BANK_TIMES = ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit")


def _bank_header(fieldnames, path: str) -> list[str]:
    """The log's column names, checked to be the Anonymous Bank's."""
    try:
        header = header_names(fieldnames) if fieldnames else []
    except ValueError as exc:
        raise ScenarioError(str(exc), file=path) from None
    if not set(header) >= _BANK_COLUMNS:
        raise ScenarioError(
            f"not an Anonymous Bank log: columns {sorted(_BANK_COLUMNS)} expected", file=path
        )
    return header


def _bank_row(r: dict, i: int, segment_by: str, repeats: _Repeats, dropped: dict) -> tuple | None:
    """One record as (day, arrival, segment, answered, wait, handle, agent); None for a
    repeated record or one left out (counted in `dropped`). Raises ValueError on a
    record that cannot be read."""
    for name in _BANK_TIMES:
        if r.get(name):
            parse_time(r[name])
    day = _yymmdd(r["date"])
    # a call id is unique per VRU line and day (the same id recurs on other lines: 450
    # times in February 1999, 1,919 in January)
    call = r.get("call_id", "")
    key = (r.get("vru+line", ""), day, call)
    if call and repeats.seen(key, i, f"call_id {call} (VRU line {key[0]}, {day})"):
        return None
    outcome = r["outcome"]
    if outcome not in ("AGENT", "HANG", "PHANTOM"):
        raise ValueError(f"outcome {outcome!r} is not AGENT, HANG or PHANTOM")
    if outcome == "PHANTOM":
        dropped["phantom"] += 1
        return None
    queued = r["q_start"] not in ("0:00:00", "")
    if outcome == "HANG" and not queued:
        dropped["hung up in the VRU (never queued)"] += 1
        return None
    if outcome == "AGENT" and r["server"] == "NO_SERVER":
        dropped["answered without an agent"] += 1
        return None
    arrival = parse_time(r["q_start"]) if queued else parse_time(r["vru_exit"])
    wait = _seconds(r["q_time"], "q_time") if queued else 0.0
    ser = _seconds(r["ser_time"], "ser_time") if outcome == "AGENT" else np.nan
    seg = r[segment_by] if segment_by in r else r["type"]
    return (
        day,
        arrival,
        seg,
        outcome == "AGENT",
        wait,
        ser if ser and ser > 0 else np.nan,
        r["server"] if outcome == "AGENT" else "",
    )


def read_csv_log(
    path: str | Path,
    mapping: dict[str, str],
    answered_values=("answered", "AGENT", "1"),
    day_value: str | None = None,
    delimiter: str = ",",
) -> CallLog:
    """A generic CSV log. `mapping` names the columns: arrival (time of day, h:mm:ss or s),
    wait (s) or answer (time), handle (s) or end (time), outcome, and optionally day,
    segment, agent, id (a call id: a repeated one is skipped; without it, a repeated
    whole record is). More than 1% repeats refuses the log (given twice?)."""
    p = Path(path)
    require_input_file(p)
    if "arrival" not in mapping or "outcome" not in mapping:
        raise ScenarioError(
            "the column mapping needs at least arrival= and outcome=", file=str(path)
        )
    rows = []
    dropped: dict[str, int] = {}
    repeats = _Repeats(str(path))
    records = 0
    with _open_text_log(p, "utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = header_names(next(reader, []))
        except ValueError as exc:
            raise ScenarioError(str(exc), file=str(path)) from None
        except csv.Error as exc:
            raise ScenarioError(f"line 1: not CSV text ({exc})", file=str(path)) from None
        cols = set(header)
        missing = [c for c in mapping.values() if c not in cols]
        if missing:
            raise ScenarioError(
                f"columns not in the file: {missing} (has {sorted(cols)})", file=str(path)
            )
        i = 1
        try:
            for i, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                if [restore(c.strip()) for c in cells] == header:
                    raise ScenarioError(
                        f"line {i} repeats the header line: were two logs joined? (give each "
                        "log its own file)",
                        file=str(path),
                    )
                if len(cells) != len(header):
                    raise ScenarioError(
                        f"line {i}: {len(cells)} fields where the header has {len(header)}",
                        file=str(path),
                    )
                records += 1
                r = dict(zip(header, cells, strict=True))
                key: tuple[str, ...]
                if "id" in mapping:
                    key = (r.get(mapping.get("day", ""), ""), r[mapping["id"]].strip())
                    label = f"{mapping['id']} {key[1]}"
                else:
                    key = tuple(cells)
                    label = "the whole record"
                if repeats.seen(key, i, label):
                    continue
                rows.append(_csv_record(r, mapping, answered_values, day_value))
        except (ValueError, KeyError) as exc:
            raise ScenarioError(
                f"line {i}: cannot read the record ({exc})", file=str(path)
            ) from None
        except csv.Error as exc:
            raise ScenarioError(f"line {i}: not CSV text ({exc})", file=str(path)) from None
    repeats.check(records, dropped, "call_id" if "id" in mapping else "record")
    if not rows:
        raise ScenarioError("no usable calls in the log", file=str(path))
    return _build(rows, str(path), (0, 1, 2, 3, 4), dropped)


def _csv_record(r: dict[str, str], mapping: dict[str, str], answered_values, day_value) -> tuple:
    """One call of a generic CSV log (see `read_csv_log`); raises ValueError."""
    arrival = parse_time(r[mapping["arrival"]])
    answered = r[mapping["outcome"]].strip() in answered_values
    if "wait" in mapping:
        wait = _seconds(r[mapping["wait"]] or "0", "wait")
    elif "answer" in mapping and answered:
        wait = parse_time(r[mapping["answer"]]) - arrival
        if wait < 0:
            raise ValueError("answered before it arrived")
    else:
        wait = 0.0
    handle = np.nan
    if answered and "handle" in mapping and r[mapping["handle"]].strip():
        handle = _seconds(r[mapping["handle"]], "handle")
    elif answered and "end" in mapping and "answer" in mapping:
        handle = parse_time(r[mapping["end"]]) - parse_time(r[mapping["answer"]])
    day = r[mapping["day"]].strip() if "day" in mapping else (day_value or "1970-01-01")
    seg = restore(r[mapping["segment"]].strip()) if "segment" in mapping else "calls"
    agent = r[mapping["agent"]].strip() if "agent" in mapping else ""
    return (day, arrival, seg, answered, wait, handle if handle > 0 else np.nan, agent)


def read_ccsim_calls(path: str | Path) -> CallLog:
    """Call records written by `ccsim simulate --calls` (a replication is a day)."""
    log = read_csv_log(
        path,
        {
            "arrival": "arrival_clock_s",
            "outcome": "outcome",
            "wait": "wait_s",
            "handle": "base_handle_s",
            "day": "replication",
            "segment": "segment",
            "id": "call_id",
        },
        answered_values=("answered",),
    )
    # replications are numbered: give them dates so weekday filters see a working week
    reps = log.day.astype(int)
    start = dt.date(2001, 1, 1)  # a Monday
    days = [start + dt.timedelta(days=int(r) + 2 * (int(r) // 5)) for r in reps]
    log.day = np.asarray([d.isoformat() for d in days])
    log.weekday = np.asarray([d.weekday() for d in days])
    return log
