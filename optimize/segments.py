"""A search checkpoint's segments: the plans evaluated since the last save, as named
arrays (no pickle), and read back exactly.

Most plans a search evaluates differ from another plan of the same segment in a few
intervals only (a window run re-simulates only what a move touches; a staffing move
keeps the thresholds), so an interval's column of samples, or a plan's array, that is
byte for byte one already written in the segment is stored as a reference to it; a day
statistic equal to another of the same plan (the objective is the profit unless the
customer's value is modelled) is stored once. A plan's numbers are packed in few arrays
(every array in the file costs some 250 bytes of headers). Nothing
is rounded: a resumed search reads the very numbers the interrupted one had.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ccsim.sim import Model

DAY_STATS = (
    "objective",  # what the search maximises: profit, or long-run profit (optimizer.objective)
    "profit",
    "long_run_profit",
    "service_level",
    "abandon_rate",
    "asa",
    "occupancy",
    "attempts",
    "value_at_risk",
)
INTERVAL_STATS = ("service_level", "abandon_rate", "offered")


def _digest(x: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(x).tobytes(), digest_size=16).digest()


_MIX = np.random.default_rng(20261208).integers(1, 2**63, 4096, dtype=np.uint64) | np.uint64(1)


def _row_prints(rows: np.ndarray) -> np.ndarray:
    """A fingerprint of each row's bytes (a wrapping weighted sum): equal rows have equal
    prints; a match is then checked byte for byte, so a collision costs nothing."""
    bits = np.ascontiguousarray(rows, np.float64).view(np.uint64)
    w = np.resize(_MIX, bits.shape[1])
    with np.errstate(over="ignore"):
        return (bits * w).sum(axis=1, dtype=np.uint64)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Byte for byte (NaN equals NaN, -0.0 is not 0.0): what the search would read."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def segment_arrays(new: dict) -> dict[str, np.ndarray]:
    """Plans' new replications (plan -> (first replication saved here, (day samples,
    interval samples, calls))) as one segment's arrays, under keys 'i/...':
    - 'plan/KEY' the plan's own arrays (`plan.to_arrays()`), or 'plan_ref/KEY' the
      earlier plan whose array it is;
    - 'meta': [first replication saved here, calls so far];
    - 'day': the day statistics written here (rows, in DAY_STATS order) and 'day_codes':
      per statistic -1 (written) or the earlier statistic it equals;
    - 'int': the interval columns not written before (statistic by statistic, interval
      by interval) and 'intref' (statistics x intervals): -1 (written here) or the
      earlier plan whose column it is."""
    out: dict[str, np.ndarray] = {"n": np.asarray(len(new))}
    plans = list(new.items())
    arrays_of: list[dict[str, np.ndarray]] = []
    columns_of: list[dict[str, np.ndarray]] = []  # per plan and statistic: intervals x reps
    seen_arrays: dict[tuple, int] = {}
    seen_columns: dict[tuple, int] = {}
    for i, (p, (first, (samples, ints, calls))) in enumerate(plans):
        arrays_of.append(p.to_arrays())
        for k, x in arrays_of[i].items():
            sig = (k, _digest(x))
            j = seen_arrays.get(sig)
            if j is not None and _same(arrays_of[j][k], x):
                out[f"{i}/plan_ref/{k}"] = np.asarray(j)
            else:
                out[f"{i}/plan/{k}"] = x
                seen_arrays.setdefault(sig, i)
        out[f"{i}/meta"] = np.asarray([first, calls], np.int64)
        out[f"{i}/day_codes"], out[f"{i}/day"] = _pack_day(samples, first)
        columns_of.append(
            {st: np.ascontiguousarray(np.asarray(x[first:]).T) for st, x in ints.items()}
        )
        refs, kept = [], []
        for st in INTERVAL_STATS:
            ref = _column_refs(st, i, columns_of, seen_columns)
            refs.append(ref)
            kept.append(columns_of[i][st][ref < 0])
        out[f"{i}/intref"] = np.asarray(refs, np.int32)
        out[f"{i}/int"] = np.ascontiguousarray(np.concatenate(kept).T)
    return out


def _pack_day(samples: dict, first: int) -> tuple[np.ndarray, np.ndarray]:
    """The day statistics written once each: codes (-1: a row of the array, else the
    earlier statistic it equals) and the rows."""
    day = {
        st: np.ascontiguousarray(np.asarray(samples[st][first:], np.float64)) for st in DAY_STATS
    }
    codes = np.full(len(DAY_STATS), -1, np.int8)
    rows = []
    for si, st in enumerate(DAY_STATS):
        twin = next((sj for sj in range(si) if _same(day[DAY_STATS[sj]], day[st])), None)
        if twin is None:
            rows.append(day[st])
        else:
            codes[si] = twin
    n = len(day[DAY_STATS[0]])
    return codes, np.asarray(rows).reshape(len(rows), n)


def _column_refs(st: str, i: int, columns_of: list[dict], seen: dict) -> np.ndarray:
    """Per interval: the earlier plan whose column of `st` is byte for byte plan i's
    (found by a fingerprint, then checked), or -1; new columns join `seen`."""
    cols = columns_of[i][st]
    sigs = [(st, t, cols.shape[1], int(x)) for t, x in enumerate(_row_prints(cols))]
    cand = np.array([seen.get(sig, -1) for sig in sigs], np.int32)
    ref = np.full(cols.shape[0], -1, np.int32)
    bits = cols.view(np.uint64)
    for j in np.unique(cand[cand >= 0]):
        rows = np.flatnonzero(cand == j)
        same = (columns_of[j][st][rows].view(np.uint64) == bits[rows]).all(axis=1)
        ref[rows[same]] = j
    for t in np.flatnonzero(ref < 0):
        seen.setdefault(sigs[t], i)
    return ref


def merge_segment(raw: dict, a: dict[str, np.ndarray] | None, model: Model, plan_type) -> bool:
    """Add a segment's replications to `raw` (plan -> samples); False when the segment
    is not one (unreadable, another scenario's plans, replications that do not continue
    the ones read so far, a reference that does not point back)."""
    if a is None or "n" not in a:
        return False
    arrays_of: list[dict[str, np.ndarray]] = []
    ints_of: list[dict[str, np.ndarray]] = []
    by_plan: dict[str, dict[str, np.ndarray]] = {}  # 'i' -> its keys (one pass, not one per plan)
    for k, v in a.items():
        i_text, _, rest = k.partition("/")
        if rest:
            by_plan.setdefault(i_text, {})[rest] = v
    try:
        for i in range(int(a["n"])):
            arrays = _plan_arrays(by_plan.get(str(i), {}), i, arrays_of)
            arrays_of.append(arrays)
            p = plan_type.from_arrays(arrays, model)
            if p is None:  # from another scenario
                return False
            old = raw.get(p)
            have = 0 if old is None else len(old[0]["objective"])
            first, calls = (int(x) for x in np.asarray(a[f"{i}/meta"]))
            if first != have:
                return False
            samples = _day(a, i)
            ints = _columns(a, i, ints_of)
            ints_of.append(ints)
            if old is not None:
                samples = {s: np.concatenate([old[0][s], x]) for s, x in samples.items()}
                ints = {s: np.concatenate([old[1][s], x]) for s, x in ints.items()}
            raw[p] = (samples, ints, calls)
    except (KeyError, ValueError, TypeError, IndexError):
        return False
    return True


def _day(a: dict, i: int) -> dict[str, np.ndarray]:
    """Plan i's day samples, those stored as the same as another statistic put back."""
    codes = np.asarray(a[f"{i}/day_codes"])
    rows = np.asarray(a[f"{i}/day"])
    if codes.shape != (len(DAY_STATS),) or rows.ndim != 2 or len(rows) != (codes < 0).sum():
        raise ValueError("day statistics do not match their codes")
    out: dict[str, np.ndarray] = {}
    r = 0
    for si, s in enumerate(DAY_STATS):
        if codes[si] < 0:
            out[s] = rows[r]
            r += 1
        elif codes[si] < si:
            out[s] = out[DAY_STATS[int(codes[si])]]
        else:
            raise ValueError("a statistic can only be the same as an earlier one")
    return out


def _plan_arrays(mine: dict, i: int, earlier: list[dict]) -> dict[str, np.ndarray]:
    """Plan i's arrays (from its own keys, `mine`): its own, or an earlier plan's that
    are the same."""
    out = {k[len("plan/") :]: v for k, v in mine.items() if k.startswith("plan/")}
    for k, v in mine.items():
        if k.startswith("plan_ref/"):
            j = int(v)
            if not 0 <= j < i:
                raise ValueError("a plan reference must point back")
            out[k[len("plan_ref/") :]] = earlier[j][k[len("plan_ref/") :]]
    return out


def _columns(a: dict, i: int, earlier: list[dict]) -> dict[str, np.ndarray]:
    """Plan i's interval samples (replications x intervals) per statistic: its own
    columns and those it shares with earlier plans put back in place."""
    own = np.asarray(a[f"{i}/int"])
    ref = np.asarray(a[f"{i}/intref"])
    if own.ndim != 2 or ref.ndim != 2 or len(ref) != len(INTERVAL_STATS):
        raise ValueError("interval columns do not match their references")
    if own.shape[1] != int((ref < 0).sum()):
        raise ValueError("interval columns do not match their references")
    out: dict[str, np.ndarray] = {}
    c = 0
    for s, r in zip(INTERVAL_STATS, ref, strict=True):
        cols = np.empty((own.shape[0], len(r)), own.dtype)
        mine = np.flatnonzero(r < 0)
        cols[:, mine] = own[:, c : c + len(mine)]
        c += len(mine)
        for j in np.unique(r[r >= 0]):
            if not j < i or earlier[j][s].shape != cols.shape:
                raise ValueError("an interval reference must point back to as many samples")
            at = np.flatnonzero(r == j)
            cols[:, at] = earlier[j][s][:, at]
        out[s] = cols
    return out
