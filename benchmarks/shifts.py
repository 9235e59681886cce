"""The shift optimizer on the retail bank: speed, the MIP's gap, and whether the roster
holds on days the search never saw; against the per-interval optimizer's plan.

For each search seed: `optimize_shifts` (2 workers), then the roster plan re-simulated
on 400 fresh days (another seed family) and judged there by the verdict rule; the
per-interval optimizer on the same seed for the price of the shift constraint.

    python benchmarks/shifts.py scenarios/retail_bank_shifts.yaml --seeds 42 1 2
"""

from __future__ import annotations

import argparse
import time

from ccsim import sim
from ccsim.optimize.optimizer import optimize
from ccsim.optimize.shifts.optimizer import optimize_shifts

FRESH_SEED = 424_242_421


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    ap.add_argument("--fresh", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    model = sim.load_scenario(a.scenario)
    print(f"{model.name}: {model.n_intervals} intervals, grid {model.shifts.grid / 60:g} min")
    print(
        f"{'seed':>5} {'time':>6} {'MIP gap':>8} {'shifts':>6} {'roster cost':>11} "
        f"{'fresh: profit':>13} {'SL':>6} {'aband.':>6} {'verdict':>8} "
        f"{'per-interval':>12} {'shift cost':>10}"
    )
    with sim.make_executor(a.workers) as ex:
        for seed in a.seeds:
            t = time.perf_counter()
            r = optimize_shifts(model, seed=seed, executor=ex)
            took = time.perf_counter() - t
            fresh = sim.simulate(
                r.plan.apply(model), replications=a.fresh, seed=FRESH_SEED, executor=ex
            )
            verdict = sim.overall(model.targets.judge(fresh))
            p = optimize(model, seed=seed, executor=ex)
            pf = sim.simulate(
                p.plan.apply(model), replications=a.fresh, seed=FRESH_SEED, executor=ex
            )
            d = sim.paired_difference(pf, fresh, "profit")
            s = fresh.summary
            print(
                f"{seed:>5} {took:>5.0f}s {r.shift_plan.schedule.gap:>8.2%} "
                f"{r.roster.agents:>6} {r.roster.cost(model.shifts):>11,.0f} "
                f"{s['profit'].mean:>13,.0f} {s['service_level'].mean:>6.1%} "
                f"{s['abandon_rate'].mean:>6.2%} {verdict:>8} "
                f"{pf.summary['profit'].mean:>12,.0f} {d.mean:>+10,.0f}",
                flush=True,
            )
    print(
        "time: optimize --shifts wall clock; MIP gap: the first roster's cost above its LP "
        "bound; fresh: the roster plan on 400 days of another seed family; shift cost: "
        "roster profit minus the per-interval plan's on those days (paired)."
    )


if __name__ == "__main__":
    main()
