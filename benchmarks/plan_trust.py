"""Does the optimizer's plan hold on days the search never saw?

For each scenario and search seed: `optimize`, then re-simulate the plan on many fresh
days (another seed family) and judge every target there, on the mean and by the verdict
rule. With --polish, an independent greedy search then starts from the plan and takes
every staffing move (-1 agent, one agent to the next interval) that raises profit while
every target still holds on the mean of the fresh days: its gain, relative to the plan's
staffing cost, measures what the optimizer's caution costs (an upper bound: that search
tunes itself to the fresh sample).

    python benchmarks/plan_trust.py scenarios/retail_bank.yaml --seeds 1 2 3 --polish
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ccsim import sim
from ccsim.optimize.evaluate import Evaluator
from ccsim.optimize.optimizer import optimize
from ccsim.optimize.plan import Plan

FRESH_SEED = 424_242_421


def holds_on_mean(ev, e) -> bool:
    return all(j.slack >= 0 for j in ev.judge(e.samples, e.intervals))


def polish(model: sim.Model, plan: Plan, reps: int, executor) -> tuple[Plan, float, int]:
    """Greedy trim on the fresh sample: (plan, profit gain, moves)."""
    ev = Evaluator(model, model.targets, reps, FRESH_SEED, executor)
    cur = ev.evaluate(plan)
    gain0 = cur.profit
    moves = 0
    while True:
        cands = []
        s = list(cur.plan.staffing)
        for t in range(len(s)):
            if s[t] > 0:
                cands.append(cur.plan.with_staffing(t, s[t] - 1))
            if t + 1 < len(s):
                for a, b in ((t, t + 1), (t + 1, t)):
                    if s[a] > 0:
                        x = list(s)
                        x[a] -= 1
                        x[b] += 1
                        cands.append(Plan(tuple(x), cur.plan.thresholds))
        evs = [e for e in ev.evaluate_many(cands) if holds_on_mean(ev, e)]
        better = [e for e in evs if e.profit > cur.profit + 1e-9]
        if not better:
            return cur.plan, cur.profit - gain0, moves
        cur = max(better, key=lambda e: e.profit)
        moves += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--fresh", type=int, default=400, help="fresh days for the check")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--polish", action="store_true")
    a = ap.parse_args()
    rows = []
    with sim.make_executor(a.workers, None) as ex:
        for path in a.scenarios:
            model = sim.load_scenario(path)
            for seed in a.seeds:
                t0 = time.perf_counter()
                r = optimize(model, seed=seed, executor=ex)
                secs = time.perf_counter() - t0
                m = r.plan.apply(model)
                fresh = sim.simulate(m, replications=a.fresh, seed=FRESH_SEED, executor=ex)
                judged = model.targets.judge(fresh)
                on_mean = all(j.slack >= 0 for j in judged)
                cost = fresh.summary["staffing_cost"].mean
                profit = fresh.summary["profit"]
                line = (
                    f"{model.name[:28]:<28} seed {seed}: {secs:5.1f} s, {r.search.evaluations} "
                    f"plans, {r.calls_simulated / 1e6:.0f}M calls; optimizer says "
                    f"{'recommended' if r.feasible else 'NOT recommended'}; on {a.fresh} fresh "
                    f"days: {'holds' if on_mean else 'MISSES'} on the mean, verdict "
                    f"{sim.overall(judged)}; profit {profit.mean:,.0f} ± {profit.half_width:,.0f}, "
                    f"staffing cost {cost:,.0f}"
                )
                for j in judged:
                    line += f"\n    {j.target.text}: {j.mean:.4g} at {j.where} -> {j.verdict}"
                if a.polish:
                    p2, gain, moves = polish(model, r.plan, a.fresh, ex)
                    # the trim tuned itself to the fresh days: judge it on other fresh days
                    other = sim.simulate(
                        p2.apply(model), replications=a.fresh, seed=FRESH_SEED + 1, executor=ex
                    )
                    holds = all(j.slack >= 0 for j in model.targets.judge(other))
                    mine = sim.simulate(m, replications=a.fresh, seed=FRESH_SEED + 1, executor=ex)
                    g2 = other.summary["profit"].mean - mine.summary["profit"].mean
                    line += (
                        f"\n    independent trim on the fresh days: {moves} moves, profit "
                        f"{gain:+,.0f} ({100 * gain / cost:.2f}% of staffing cost); on "
                        f"{a.fresh} other fresh days the trimmed plan "
                        f"{'holds' if holds else 'MISSES a target'} on the mean, profit "
                        f"{g2:+,.0f} ({100 * g2 / cost:.2f}%) against the optimizer's"
                    )
                print(line, flush=True)
                rows.append((path, seed, profit.mean, cost))
    for path in a.scenarios:
        p = np.array([r[2] for r in rows if r[0] == path])
        c = np.array([r[3] for r in rows if r[0] == path])
        if len(p) > 1:
            print(
                f"{path}: profit over search seeds {p.min():,.0f} .. {p.max():,.0f} "
                f"(spread {(p.max() - p.min()) / c.mean():.2%} of staffing cost)"
            )


if __name__ == "__main__":
    main()
