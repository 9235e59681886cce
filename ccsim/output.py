"""Writing result files atomically: a reader never sees half a file."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ccsim.sim.scenario.spreadsheet_safe import neutralise

# every file this process has put in place, in order: a failure can say what was written
_WRITTEN: list[Path] = []


def written_files() -> list[Path]:
    return list(_WRITTEN)


def mark_written(path: Path) -> None:
    _WRITTEN.append(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; results are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    mark_written(path)
    return path


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


def csv_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """CSV text: a header line, then one line per row; text a spreadsheet would run as a
    formula (a name starting with =, +, - or @) is written as text."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([neutralise(h) for h in header])
    w.writerows([neutralise(v) for v in row] for row in rows)
    return buf.getvalue()


def dicts_csv(rows: list[dict]) -> str:
    """CSV text of records that share their keys (the first record's order)."""
    header = list(rows[0])
    return csv_text(header, ([r[k] for k in header] for r in rows))
