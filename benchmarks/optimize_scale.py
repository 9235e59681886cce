"""`ccsim optimize` at planner scale: the retail bank (24 half hours), a marketplace day
(48 quarter hours, about 230 agents at the peak) and an airline's 24-hour day (96 quarter
hours, 6 segments).

    python benchmarks/optimize_scale.py                      # this tree, the three sizes
    python benchmarks/optimize_scale.py --only marketplace --against deaeb83

Each run is a fresh process with 2 workers, the compiler warmed up first (compile time is
not search time). It prints the wall time of the search and its confirmation, the plans
evaluated, the calls simulated, the peak memory of the process and its workers, the
verdict, and the plan's targets on 400 days of a seed family neither the search nor the
confirmation saw. With --against REV the same scenarios run on that revision of the
repository too, alternated, and the table gives the ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

from run import staged  # benchmarks/run.py: a revision laid out as an importable package

HERE = Path(__file__).resolve().parent
SCENARIOS = {
    "retail_bank": HERE.parent / "scenarios" / "retail_bank.yaml",
    "marketplace": HERE / "scenarios" / "marketplace_48x15.yaml",
    "airline": HERE / "scenarios" / "airline_96x15.yaml",
}
GOALS = {"retail_bank": 5.0, "marketplace": 20.0, "airline": 60.0}  # seconds (issue 23)

CHILD = r"""
import json, resource, sys, time
sys.path[:0] = [{root!r}]
from ccsim import sim
from ccsim.optimize import optimize
from ccsim.sim.engine.fast import warm_up_compiler
from ccsim.sim.executor import LocalPool
warm_up_compiler()
try:
    from ccsim.sim.engine.window import warm_up
    warm_up()
except ImportError:  # a build before window runs
    pass
m = sim.load_scenario({file!r})
with LocalPool(2) as ex:
    t = time.perf_counter()
    r = optimize(m, executor=ex)
    dt = time.perf_counter() - t
    fresh = sim.simulate(r.plan.apply(m), replications=400, seed=7_777_777, executor=ex)
s = fresh.summary
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({{
    "seconds": dt, "plans": r.search.evaluations, "calls": r.calls_simulated,
    "verdict": r.verdict, "stopped": r.search.stopped, "rss_mb": rss,
    "profit": r.result.summary["profit"].mean, "agent_hours": r.agent_hours,
    "fresh_sl": s["service_level"].mean, "fresh_abandon": s["abandon_rate"].mean,
    "fresh_verdict": __import__("ccsim.sim.scenario.targets", fromlist=["overall"]).overall(
        r.targets.judge(fresh)),
}}))
"""


def measure(name: str, root: Path) -> dict:
    code = CHILD.format(root=str(root), file=str(SCENARIOS[name]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(name: str, build: str, r: dict, ref: dict | None) -> str:
    ratio = f"{ref['seconds'] / r['seconds']:.2f}x" if ref else ""
    return (
        f"| {name} | {build} | {r['seconds']:.1f} | {GOALS[name]:.0f} | {r['plans']:,} | "
        f"{r['calls'] / 1e6:,.0f}M | {r['rss_mb']:,.0f} | {r['verdict']} | "
        f"{r['fresh_verdict']}: SL {100 * r['fresh_sl']:.1f}%, aband. "
        f"{100 * r['fresh_abandon']:.2f}% | {r['profit']:,.0f} | {r['agent_hours']:.1f} | {ratio} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    ap.add_argument("--against", metavar="REV", help="the same runs on a git revision")
    args = ap.parse_args()
    names = args.only or list(SCENARIOS)
    other = staged(args.against) if args.against else None
    print(f"machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}")
    print()
    print(
        "| scenario | build | seconds | goal | plans | calls | peak RSS (MB) | verdict | "
        "400 fresh days | profit | agent-hours | vs " + (args.against or "-") + " |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|")
    for name in names:
        ref = measure(name, other) if other else None
        mine = measure(name, HERE.parent)
        if ref:
            print(row(name, args.against, ref, None))
        print(row(name, "this tree", mine, ref), flush=True)


if __name__ == "__main__":
    main()
