"""The usual tool's answer per interval, with ccsim's simulation beside it.

For each interval of a day scenario: the arrival rate of all segments, the calls' mean
handle time (base handle time, no cross-selling: what an Erlang calculator is given), the
mean patience (Erlang A); the fewest agents meeting the scenario's targets in that
interval by Erlang C and by Erlang A, the heads to schedule (shrinkage), the occupancy;
then the day simulated with the Erlang A staffing (time-varying arrivals, carried-over
queues, the real distributions and priorities), interval by interval.
"""

from __future__ import annotations

import numpy as np

from ccsim.sim import Executor, Model, ScenarioError, simulate
from ccsim.sim.scenario.targets import Targets

from .erlang import agents_needed, metrics, scheduled
from .seed import pooled_times


def erlang_table(
    model: Model,
    targets: Targets | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
) -> dict:
    """Rows per interval and the simulated day; raises ScenarioError without targets."""
    if model.steady:
        raise ScenarioError(
            "the per-interval table needs a day scenario (use --rate/--aht)", file=model.source
        )
    t = targets or model.targets
    if t.sl_fraction is None and t.max_asa is None and t.max_abandon is None:
        raise ScenarioError(
            "the scenario sets no service level, ASA or abandonment target",
            file=model.source,
            path="targets",
        )
    lam_k = model.rates
    aht, theta = pooled_times(model)  # no cross-selling: a calculator's answer
    mu = 1.0 / aht
    rows = []
    erlang_a = []
    for i in range(model.n_intervals):
        lam = float(lam_k[i].sum())
        row: dict = {"interval": model.interval_label(i), "calls": lam * model.interval_lengths[i]}
        for name, th in (("erlang_c", 0.0), ("erlang_a", theta)):
            if lam <= 0:
                n = 0
            else:
                n = agents_needed(
                    lam,
                    mu,
                    th,
                    within=model.sl_within,
                    target_sl=t.sl_fraction,
                    max_asa=t.max_asa,
                    max_abandon=t.max_abandon if th > 0 else None,
                )
            r = metrics(max(n, 1), lam, mu, model.sl_within, th) if lam > 0 else None
            row[name] = {
                "agents": int(n),
                "scheduled": scheduled(n, model.shrinkage_at(i)),
                "service_level": None if r is None else r.service_level,
                "abandon_rate": None if r is None or th == 0 else r.p_abandon,
                "occupancy": None if r is None else r.occupancy,
            }
        erlang_a.append(row["erlang_a"]["agents"])
        rows.append(row)
    res = simulate(
        model.with_plan(staffing=np.maximum(np.asarray(erlang_a), 0)),
        replications=replications,
        seed=seed,
        executor=executor,
    )
    for row, est in zip(rows, res.intervals, strict=True):
        row["simulated"] = {
            s: est[s].to_json() for s in ("service_level", "abandon_rate", "asa", "occupancy")
        }
    judged = t.judge(res)
    return {
        "scenario": model.name,
        "aht_s": aht,
        "patience_s": (1.0 / theta) if theta > 0 else None,
        "within_s": model.sl_within,
        "shrinkage": np.asarray(model.shrinkage).tolist(),
        "targets": t.describe(),
        "rows": rows,
        "simulated_day": {
            k: v.to_json()
            for k, v in res.summary.items()
            if k in ("service_level", "abandon_rate", "asa", "occupancy")
        },
        "simulated_verdicts": [j.to_json() for j in judged],
        "replications": res.meta["replications"],
        "seed": res.meta["seed"],
    }
