"""Engine benchmark: calls per second and peak memory, side by side, on one model.

    python benchmarks/run.py            # about a minute on 2 cores
    python benchmarks/run.py --quick    # smaller runs, for a smoke test
    python benchmarks/run.py --against cbb0d04   # the fast engine before/after, alternated

Each measurement runs in a fresh Python process (so peak RSS belongs to that engine
alone) on the benchmark model of issue 3; compile time and imports are excluded from
the timing by a warm-up run. Ratios are against the idiomatic simpy baseline.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
sys.path[:0] = [{here!r}, {root!r}]
from model import benchmark_model
kind, calls, reps = {kind!r}, {calls}, {reps}
waiting = kind == "fast_waiting"
kind = "fast" if waiting else kind
if kind == "baseline":
    from idiomatic_simpy import run_idiomatic
    run_idiomatic(2000)
    t = time.perf_counter()
    for r in range(reps):
        run_idiomatic(calls, seed=r)
    dt = time.perf_counter() - t
else:
    from ccsim import sim
    from ccsim.sim.engine.fast import warm_up_compiler
    warm_up_compiler()
    sim.run_replication(benchmark_model(5000), 1, 0, engine=kind)
    m = benchmark_model(calls, waiting=True) if waiting else benchmark_model(calls)
    t = time.perf_counter()
    n = 0
    for r in range(reps):
        res, _ = sim.run_replication(m, 1, r, engine=kind)
        n += res.calls
    dt = time.perf_counter() - t
    calls = n // reps
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"kind": kind, "calls": calls * reps, "seconds": dt, "rss_mb": rss}}))
"""


def measure(kind: str, calls: int, reps: int = 1, root: Path | None = None) -> dict:
    """One measurement in a fresh process; `root` is another revision's tree (`staged`)."""
    code = CHILD.format(
        here=str(HERE), root=str(root or HERE.parent), kind=kind, calls=calls, reps=reps
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["calls_per_s"] = r["calls"] / r["seconds"]
    return r


def staged(rev: str) -> Path:
    """Revision `rev` of this repository laid out as an importable `ccsim` package (its
    three folders under one name, as the install maps them), in a temporary folder."""
    import tempfile

    repo = HERE.parent
    tmp = Path(tempfile.mkdtemp(prefix=f"ccsim-{rev}-"))
    tree = tmp / "tree"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", rev], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    root = tmp / "root"
    (root / "ccsim").mkdir(parents=True)
    for f in (tree / "ccsim").iterdir():
        (root / "ccsim" / f.name).symlink_to(f)
    for sub in ("sim", "optimize"):
        (root / "ccsim" / sub).symlink_to(tree / sub)
    return root


def against(rev: str, calls: int, rounds: int) -> None:
    """The fast engine of this tree and of `rev`, alternated, on the benchmark model; and
    this tree's engine on the same model with callers who react to waiting."""
    other = staged(rev)
    rows: dict[str, list[float]] = {"this tree": [], rev: [], "this tree, waiting": []}
    for _ in range(rounds):
        rows["this tree"].append(measure("fast", calls, 3)["calls_per_s"])
        rows[rev].append(measure("fast", calls, 3, root=other)["calls_per_s"])
        rows["this tree, waiting"].append(measure("fast_waiting", calls, 3)["calls_per_s"])
    print(f"fast engine, {3 * calls:,} calls per measurement, {rounds} alternated rounds\n")
    print("| build | calls/s per round (millions) | median | vs " + rev + " |")
    print("|---|---|---:|---:|")
    ref = sorted(rows[rev])[len(rows[rev]) // 2]
    for name, xs in rows.items():
        med = sorted(xs)[len(xs) // 2]
        runs = " / ".join(f"{x / 1e6:.2f}" for x in xs)
        print(f"| {name} | {runs} | {med / 1e6:.2f} | {med / ref:.2f}x |")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small runs (smoke test)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--against", metavar="REV", help="the fast engine against a git revision")
    ap.add_argument("--rounds", type=int, default=3, help="alternated rounds for --against")
    args = ap.parse_args()
    if args.against:
        against(args.against, 200_000 if args.quick else 2_000_000, args.rounds)
        return
    small = 20_000 if args.quick else 200_000
    big = 200_000 if args.quick else 2_000_000
    rows = [
        ("idiomatic simpy (baseline)", measure("baseline", small)),
        ("ccsim simpy engine", measure("simpy", small)),
        ("ccsim fast engine", measure("fast", big, reps=1 if args.quick else 3)),
    ]
    mem = [] if args.quick else [measure("fast", 1_000_000), measure("fast", 10_000_000)]
    base = rows[0][1]["calls_per_s"]
    print(
        f"machine: {platform.machine()}, {platform.processor() or platform.system()}, "
        f"Python {platform.python_version()}, {__import__('os').cpu_count()} cores"
    )
    print(
        "model: steady state, 10 calls/min, 2 segments, 45 agents, exp. handle 4 min, "
        "patience 2 min, offer 1 min, thresholds 5 / 0\n"
    )
    print("| engine | calls | seconds | calls/s | peak RSS (MB) | vs baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(
            f"| {name} | {r['calls']:,} | {r['seconds']:.2f} | {r['calls_per_s']:,.0f} | "
            f"{r['rss_mb']:.0f} | {r['calls_per_s'] / base:.1f}x |"
        )
    for r in mem:
        print(
            f"| fast engine, memory run | {r['calls']:,} | {r['seconds']:.2f} | "
            f"{r['calls_per_s']:,.0f} | {r['rss_mb']:.0f} | {r['calls_per_s'] / base:.1f}x |"
        )
    fast, simpy_ = rows[2][1], rows[1][1]
    print(
        f"\nfast / baseline: {fast['calls_per_s'] / base:.0f}x (target >= 100x); "
        f"simpy engine / baseline: {simpy_['calls_per_s'] / base:.2f}x (target >= 1x)"
    )
    if mem:
        print(
            f"peak RSS 1M -> 10M calls: {mem[0]['rss_mb']:.0f} -> {mem[1]['rss_mb']:.0f} MB "
            "(target < 300 MB at 10M)"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"rows": [dict(r, name=n) for n, r in rows], "memory": mem}, indent=2)
        )


if __name__ == "__main__":
    main()
