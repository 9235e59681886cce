"""Checkpoint files: plain arrays in NumPy's .npz format, written atomically, and
trusted only when they verify.

A checkpoint folder may be shared, copied from elsewhere or planted, so a file found
there is untrusted input:
- never pickle (`np.load(..., allow_pickle=False)` reads numbers only);
- only a regular file is read (opened without following a link; a folder, a FIFO or a
  device at that name is passed over, never read or blocked on);
- size is capped, and every member must be stored uncompressed as ccsim writes it, so a
  small file cannot unpack to gigabytes;
- each file is bound to its run and signed: the binding (what the caller says the file
  is: the run's fingerprint, the replication, the format and the code version) and every
  array's name, dtype, shape and bytes go into an HMAC-SHA256 under a key private to
  this user (`$XDG_CACHE_HOME/ccsim/checkpoint.key`, mode 0600). A forged or edited file,
  one renamed from another replication, or one from another version does not verify.

A file that does not verify is reported as None; the caller discards it and computes
again, so the worst a hostile file can do is cost the time to recompute.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import secrets
import stat
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from .engine.accumulators import RepResult

FORMAT = "ccsim-checkpoint-2"
MAX_BYTES = 2 * 1024**3  # a checkpoint larger than this is not one of ours
_MAC = "__mac__"
_BINDING = "__binding__"
_process_key: bytes | None = None


def code_version() -> str:
    """The installed ccsim's version (checkpoints of another version are recomputed)."""
    try:
        from importlib.metadata import version

        return version("ccsim")
    except Exception:  # not installed (a source tree on sys.path)
        return "unknown"


def _key() -> bytes:
    """This user's checkpoint key, created on first use; a key for this process only if
    the cache folder cannot be written or holds no usable key (checkpoints then resume
    within the process only)."""
    global _process_key
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ccsim"
    path = base / "checkpoint.key"
    for _attempt in range(20):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as fh:
                key = fh.read(64)
            if len(key) >= 32:
                return key
            time.sleep(0.01)  # another process is writing it: read again
            continue
        except FileNotFoundError:
            pass
        except OSError:
            break
        try:
            base.mkdir(parents=True, exist_ok=True)
            key = secrets.token_bytes(32)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key)
            return key
        except FileExistsError:  # another process made it just now: read it
            continue
        except OSError:
            break
    if _process_key is None:
        _process_key = secrets.token_bytes(32)
    return _process_key


def _mac(binding: str, arrays: dict[str, np.ndarray]) -> bytes:
    h = hmac.new(_key(), digestmod=hashlib.sha256)
    h.update(f"{FORMAT}|{code_version()}|{binding}".encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"|{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.digest()


def save_arrays(path: Path, arrays: dict[str, np.ndarray], binding: str = "") -> bool:
    """Write arrays to `path` atomically (a private temp file created exclusively, then
    renamed), signed for `binding`. Returns False, writing nothing, when something other
    than a file (a folder) occupies the name: the run goes on without that checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            return False
    except FileNotFoundError:
        pass
    signed = dict(arrays)
    signed[_BINDING] = np.frombuffer(binding.encode(), np.uint8)
    signed[_MAC] = np.frombuffer(_mac(binding, arrays), np.uint8)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **signed)  # type: ignore[arg-type]  # numpy stubs: savez(file, *args, allow_pickle, **kwds)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file at `path` (no link followed), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def load_arrays(path: Path, binding: str = "") -> dict[str, np.ndarray] | None:
    """The arrays of a checkpoint file written by `save_arrays` for `binding`, or None if
    it is not one: not a regular file, too large, compressed, corrupt, unsigned, signed
    for another run or version, or edited."""
    data = _read_regular(path)
    if data is None:
        return None
    buf = io.BytesIO(data)
    try:
        with zipfile.ZipFile(buf) as zf:
            infos = zf.infolist()
            if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
                return None  # ccsim stores arrays uncompressed: this one could be a bomb
            if sum(i.file_size for i in infos) > MAX_BYTES:
                return None
        buf.seek(0)
        with np.load(buf, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
    except Exception:  # untrusted bytes: whatever the parser raises, it is not ours
        return None
    mac, bound = out.pop(_MAC, None), out.pop(_BINDING, None)
    if mac is None or bound is None or bound.dtype != np.uint8 or mac.dtype != np.uint8:
        return None
    if bound.tobytes() != binding.encode():
        return None
    if not hmac.compare_digest(mac.tobytes(), _mac(binding, out)):
        return None
    return out


def discard(path: Path) -> None:
    """Remove a checkpoint that did not verify, if it is a file or a link (a folder or a
    FIFO at that name is left alone: it is not ours)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
        path.unlink(missing_ok=True)


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
    """A replication's result from verified arrays, or None if they are not plausible
    (defence in depth: a verified file is one ccsim wrote)."""
    if a is None:
        return None
    try:
        rep = RepResult(
            a["counts"], a["busy"], a["staffed"], a["hist"], int(a["calls"]), float(a["end_time"])
        )
    except (KeyError, TypeError, ValueError):
        return None
    arrays = (rep.counts, rep.busy, rep.staffed, rep.hist)
    if any(x.dtype.kind not in "fiu" or not np.isfinite(x).all() or (x < 0).any() for x in arrays):
        return None
    if rep.calls < 0 or not np.isfinite(rep.end_time):
        return None
    return rep
