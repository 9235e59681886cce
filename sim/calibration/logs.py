"""Call logs, read into one normalised form.

A `CallLog` holds, per call that reached the agent queue: the day, the arrival time (s
after midnight), the segment, whether it was answered, the wait (until answer or
hang-up), the handle time (answered calls), and the agent.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ScenarioError, require_input_file


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
    """'7:02:47' or '07:02' -> seconds after midnight; plain numbers are seconds."""
    t = text.strip()
    if ":" in t:
        parts = [float(p) for p in t.split(":")]
        while len(parts) < 3:
            parts.append(0.0)
        return parts[0] * 3600 + parts[1] * 60 + parts[2]
    return float(t)


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
    with p.open(newline="", encoding="latin-1") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        need = {
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
        if reader.fieldnames is None or not need <= {f.strip() for f in reader.fieldnames}:
            raise ScenarioError(
                f"not an Anonymous Bank log: columns {sorted(need)} expected", file=str(path)
            )
        for i, r in enumerate(reader, start=2):
            r = {k.strip(): (v or "").strip() for k, v in r.items() if k}
            try:
                outcome = r["outcome"]
                if outcome == "PHANTOM":
                    dropped["phantom"] += 1
                    continue
                queued = r["q_start"] not in ("0:00:00", "")
                if outcome == "HANG" and not queued:
                    dropped["hung up in the VRU (never queued)"] += 1
                    continue
                if outcome == "AGENT" and r["server"] == "NO_SERVER":
                    dropped["answered without an agent"] += 1
                    continue
                d = r["date"]
                day = f"19{d[:2]}-{d[2:4]}-{d[4:6]}" if len(d) == 6 else d
                arrival = parse_time(r["q_start"]) if queued else parse_time(r["vru_exit"])
                wait = float(r["q_time"]) if queued else 0.0
                ser = float(r["ser_time"]) if outcome == "AGENT" else np.nan
                seg = r[segment_by] if segment_by in r else r["type"]
                rows.append(
                    (
                        day,
                        arrival,
                        seg,
                        outcome == "AGENT",
                        wait,
                        ser if ser and ser > 0 else np.nan,
                        r["server"] if outcome == "AGENT" else "",
                    )
                )
            except (ValueError, KeyError) as exc:
                raise ScenarioError(
                    f"line {i}: cannot read the record ({exc})", file=str(path)
                ) from None
    return _build(rows, str(path), (6, 0, 1, 2, 3), dropped)


def read_csv_log(
    path: str | Path,
    mapping: dict[str, str],
    answered_values=("answered", "AGENT", "1"),
    day_value: str | None = None,
    delimiter: str = ",",
) -> CallLog:
    """A generic CSV log. `mapping` names the columns: arrival (time of day, h:mm:ss or s),
    wait (s) or answer (time), handle (s) or end (time), outcome, and optionally day,
    segment, agent."""
    p = Path(path)
    require_input_file(p)
    if "arrival" not in mapping or "outcome" not in mapping:
        raise ScenarioError(
            "the column mapping needs at least arrival= and outcome=", file=str(path)
        )
    rows = []
    with p.open(newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        cols = set(reader.fieldnames or [])
        missing = [c for c in mapping.values() if c not in cols]
        if missing:
            raise ScenarioError(
                f"columns not in the file: {missing} (has {sorted(cols)})", file=str(path)
            )
        for i, r in enumerate(reader, start=2):
            try:
                arrival = parse_time(r[mapping["arrival"]])
                answered = r[mapping["outcome"]].strip() in answered_values
                if "wait" in mapping:
                    wait = float(r[mapping["wait"]] or 0)
                elif "answer" in mapping and answered:
                    wait = parse_time(r[mapping["answer"]]) - arrival
                else:
                    wait = 0.0
                handle = np.nan
                if answered and "handle" in mapping and r[mapping["handle"]].strip():
                    handle = float(r[mapping["handle"]])
                elif answered and "end" in mapping and "answer" in mapping:
                    handle = parse_time(r[mapping["end"]]) - parse_time(r[mapping["answer"]])
                day = r[mapping["day"]].strip() if "day" in mapping else (day_value or "1970-01-01")
                seg = r[mapping["segment"]].strip() if "segment" in mapping else "calls"
                agent = r[mapping["agent"]].strip() if "agent" in mapping else ""
            except (ValueError, KeyError) as exc:
                raise ScenarioError(
                    f"line {i}: cannot read the record ({exc})", file=str(path)
                ) from None
            rows.append(
                (day, arrival, seg, answered, wait, handle if handle > 0 else np.nan, agent)
            )
    return _build(rows, str(path), (0, 1, 2, 3, 4), {})


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
