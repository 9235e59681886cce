"""Call-level records: one row per caller, written only when asked for (`--calls FILE`)."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import numpy as np

from ..scenario.spreadsheet_safe import neutralise

# columns of a record row (float64); outcome 1 = answered, 0 = abandoned
RECORD_FIELDS = (
    "id",
    "segment",
    "interval",
    "arrival",
    "outcome",
    "wait",
    "answer_time",
    "decision_time",
    "end_time",
    "eligible",
    "attempted",
    "accepted",
)
R_ID, R_SEG, R_ITV, R_ARR, R_OUT, R_WAIT, R_ANS, R_DEC, R_END, R_ELIG, R_ATT, R_ACC = range(12)
NREC = len(RECORD_FIELDS)


class CallWriter:
    """Appends record rows of each replication to one CSV file, in caller order."""

    def __init__(self, path: str | Path, segments: list[str], clock_start: float):
        self.path = Path(path)
        self.segments = segments
        self.clock_start = clock_start
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # a private temp file beside the target (created exclusively: never a planted link),
        # renamed only when every replication is written; an interrupted run leaves nothing
        fd, tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part"
        )
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "w", newline="")
        self._w = csv.writer(self._fh)
        self._w.writerow(
            [
                "replication",
                "call_id",
                "segment",
                "interval",
                "arrival_s",
                "outcome",
                "wait_s",
                "answer_s",
                "decision_s",
                "end_s",
                "eligible",
                "attempted",
                "accepted",
                "handle_s",
                "arrival_clock_s",
                "base_handle_s",
            ]
        )

    def write(self, replication: int, rows: np.ndarray) -> None:
        rows = rows[np.argsort(rows[:, R_ID], kind="stable")]
        for r in rows:
            answered = r[R_OUT] == 1
            self._w.writerow(
                [
                    replication,
                    int(r[R_ID]),
                    neutralise(self.segments[int(r[R_SEG])]),
                    int(r[R_ITV]),
                    f"{r[R_ARR]:.3f}",
                    "answered" if answered else "abandoned",
                    f"{r[R_WAIT]:.3f}",
                    f"{r[R_ANS]:.3f}" if answered else "",
                    f"{r[R_DEC]:.3f}" if answered else "",
                    f"{r[R_END]:.3f}",
                    int(r[R_ELIG]),
                    int(r[R_ATT]),
                    int(r[R_ACC]),
                    f"{r[R_END] - r[R_ANS]:.3f}" if answered else "",
                    f"{self.clock_start + r[R_ARR]:.3f}",
                    f"{r[R_DEC] - r[R_ANS]:.3f}" if answered else "",
                ]
            )

    def close(self) -> None:
        """The file is complete: put it in place."""
        self._fh.close()
        os.chmod(self._tmp, 0o644)
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        """The run did not finish: remove the partial file, keep any earlier complete one."""
        self._fh.close()
        self._tmp.unlink(missing_ok=True)
