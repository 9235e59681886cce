"""Checkpoint files: plain arrays in NumPy's .npz format, written atomically.

Never pickle: a checkpoint folder may be shared or planted, and unpickling runs code.
`np.load(..., allow_pickle=False)` reads numbers only. A file that cannot be read (cut
short, corrupt, from another version) is reported as None so the caller discards it
and computes again.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .stats import RepResult


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays to `path` atomically (a private temp file created exclusively, then
    renamed), so two runs sharing a folder never see each other's half-written files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]  # numpy stubs: savez(file, *args, allow_pickle, **kwds)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a checkpoint file, or None if it cannot be read as one."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None


def rep_arrays(rep: RepResult) -> dict[str, np.ndarray]:
    return {
        "counts": rep.counts,
        "busy": rep.busy,
        "staffed": rep.staffed,
        "hist": rep.hist,
        "calls": np.asarray(rep.calls),
        "end_time": np.asarray(rep.end_time),
    }


def rep_from_arrays(a: dict[str, np.ndarray] | None) -> RepResult | None:
    if a is None:
        return None
    try:
        return RepResult(
            a["counts"], a["busy"], a["staffed"], a["hist"], int(a["calls"]), float(a["end_time"])
        )
    except (KeyError, TypeError, ValueError):
        return None
