"""`ccsim erlang` and `ccsim markov`: the exact models, for one interval or a scenario."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape

from ccsim import sim

from ..output import dicts_csv, write_text
from ..render.erlang import print_erlang_table
from .common import (
    JsonOpt,
    ScenarioArg,
    WorkersOpt,
    fail,
    friendly,
    load,
    make_executor,
    out_console,
    parse_option,
)


def _erlang_file(file, json_out, out, workers, replications) -> None:
    from ccsim.optimize.analytic.erlang_table import erlang_table

    model = load(file, None)
    with make_executor(workers) as ex:
        js = erlang_table(model, replications=replications, executor=ex)
    if out:
        rows = [
            {
                "interval": r["interval"],
                "calls": round(r["calls"], 3),
                **{
                    f"{m}_{k}": r[m][k]
                    for m in ("erlang_c", "erlang_a")
                    for k in ("agents", "scheduled", "service_level", "occupancy")
                },
                "erlang_a_abandon_rate": r["erlang_a"]["abandon_rate"],
                **{f"simulated_{k}": v["mean"] for k, v in r["simulated"].items()},
            }
            for r in js["rows"]
        ]
        write_text(out / "erlang.csv", dicts_csv(rows))
    if json_out:
        sys.stdout.write(json.dumps(js, indent=2, allow_nan=False) + "\n")
        return

    print_erlang_table(js, model.name, out_console)


ErlangFileArg = Annotated[
    Path | None,
    typer.Argument(
        help="a day scenario: per interval, Erlang C and A agents for its targets, "
        "scheduled heads, occupancy, and the simulated result of that staffing"
    ),
]
RateOpt = Annotated[
    str | None, typer.Option(help="arrival rate with unit, e.g. 100/30min or 200/h")
]
AhtOpt = Annotated[str | None, typer.Option(help="average handle time, e.g. 180s")]
PatienceOpt = Annotated[
    str | None, typer.Option(help="mean patience (Erlang A); omit for Erlang C")
]
AgentsOpt = Annotated[int | None, typer.Option(min=1, help="evaluate this many agents")]
TargetSlOpt = Annotated[
    float | None, typer.Option(min=0.0, max=1.0, help="service level target, e.g. 0.8")
]
WithinOpt = Annotated[str, typer.Option(help="service level threshold T")]
MaxAsaOpt = Annotated[str | None, typer.Option(help="ASA target, e.g. 30s")]
MaxAbandonOpt = Annotated[float | None, typer.Option(min=0.0, max=1.0, help="abandonment target")]
ShrinkageOpt = Annotated[
    float, typer.Option(min=0.0, max=0.99, help="scheduled = agents / (1 - shrinkage)")
]
MaxOccupancyOpt = Annotated[float | None, typer.Option(min=0.0, max=1.0, help="occupancy cap")]
ErlangOutOpt = Annotated[Path | None, typer.Option(help="with FILE: write erlang.csv here")]
ErlangRepsOpt = Annotated[int | None, typer.Option("--replications", "-r", min=2, help="with FILE")]


@friendly
def erlang(
    file: ErlangFileArg = None,
    rate: RateOpt = None,
    aht: AhtOpt = None,
    patience: PatienceOpt = None,
    agents: AgentsOpt = None,
    target_sl: TargetSlOpt = None,
    within: WithinOpt = "20s",
    max_asa: MaxAsaOpt = None,
    max_abandon: MaxAbandonOpt = None,
    shrinkage: ShrinkageOpt = 0.0,
    max_occupancy: MaxOccupancyOpt = None,
    json_out: JsonOpt = False,
    out: ErlangOutOpt = None,
    workers: WorkersOpt = None,
    replications: ErlangRepsOpt = None,
) -> None:
    """Erlang C (or A with --patience): performance of a staffing level, or agents needed;
    with a scenario FILE, the per-interval table beside ccsim's simulation."""
    from ccsim.optimize.analytic.erlang import agents_needed, metrics

    if file is not None:
        _erlang_file(file, json_out, out, workers, replications)
        return
    if rate is None or aht is None:
        fail("give a scenario FILE, or --rate and --aht")
    lam, mean_aht, T, asa_target, pat = _erlang_inputs(rate, aht, within, max_asa, patience)
    if target_sl is not None and target_sl >= 1.0:
        fail(
            "--target-sl: must be below 1 (in Erlang C and A some callers always wait longer "
            "than T; no number of agents answers every call within T)"
        )
    mu, theta = 1.0 / mean_aht, (1.0 / pat if pat else 0.0)
    targets = dict(
        target_sl=target_sl,
        max_asa=asa_target,
        max_abandon=max_abandon,
        max_occupancy=max_occupancy,
    )
    if agents is None:
        if all(v is None for k, v in targets.items() if k != "max_occupancy"):
            fail(
                "give --agents N, or a target: --target-sl (with --within), --max-asa or --max-abandon"
            )
        if theta == 0 and max_abandon is not None:
            fail("--max-abandon needs --patience (without abandonment Erlang C has none)")
        n = agents_needed(lam, mu, theta, within=T, **targets)
    else:
        n = agents
    r = metrics(n, lam, mu, T, theta)
    if json_out:
        _erlang_json(r, n, shrinkage, T)
        return
    _erlang_table(n, lam, mu, T, theta, pat, shrinkage, evaluated=agents is not None)


def _erlang_inputs(rate: str, aht: str, within: str, max_asa: str | None, patience: str | None):
    """The options with units parsed and checked: (rate /s, AHT s, T s, ASA target s,
    mean patience s)."""
    from ccsim.sim.scenario.units import parse_duration, parse_rate

    lam = parse_option("--rate", parse_rate, rate)
    mean_aht = parse_option("--aht", parse_duration, aht)
    T = parse_option("--within", parse_duration, within)
    asa_target = parse_option("--max-asa", parse_duration, max_asa)
    pat = parse_option("--patience", parse_duration, patience)
    if not lam > 0 or not math.isfinite(lam):
        fail(f"--rate {rate}: must be a positive, finite rate (e.g. 100/30min)")
    if not mean_aht > 0 or not math.isfinite(mean_aht):
        fail("--aht: must be positive")
    if T < 0:
        fail(f"--within {within}: a waiting-time threshold cannot be negative")
    if asa_target is not None and asa_target < 0:
        fail(f"--max-asa {max_asa}: cannot be negative")
    if pat is not None and pat <= 0:
        fail("--patience: must be positive")
    return lam, mean_aht, T, asa_target, pat


def _erlang_json(r, n: int, shrinkage: float, T: float) -> None:
    """One interval's figures as JSON: fractions and seconds, the scheduled heads both
    unrounded and rounded up (what is rostered)."""
    from ccsim.optimize.analytic.erlang import scheduled

    result = {
        "model": r.model,
        "agents": n,
        "scheduled_agents": scheduled(n, shrinkage),
        "scheduled_heads": math.ceil(scheduled(n, shrinkage) - 1e-9),
        "load_erlangs": r.load,
        "p_wait": r.p_wait,
        "service_level": r.service_level,
        "asa": r.asa,
        "mean_wait": r.mean_wait,
        "p_abandon": r.p_abandon,
        "occupancy": r.occupancy,
        "within": T,
    }
    clean = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in result.items()
    }
    sys.stdout.write(json.dumps(clean, indent=2) + "\n")


def _erlang_table(
    n: int, lam: float, mu: float, T: float, theta: float, pat: float | None, shrinkage: float,
    evaluated: bool,
) -> None:  # fmt: skip
    """Agents n-2 .. n+2 with their figures, in the units of every other ccsim table
    (percentages, seconds); scheduled heads rounded up. Erlang C has no abandonment
    column: it has none to show."""
    from rich.table import Table

    from ccsim.optimize.analytic.erlang import metrics, scheduled

    r = metrics(n, lam, mu, T, theta)
    title = (
        f"Erlang {r.model}: {lam * 3600:g} calls/h, AHT {1 / mu:g}s"
        + (f", patience {pat:g}s" if pat else "")
        + f", load {r.load:.2f} erlangs"
    )
    t = Table(title=title, title_justify="left", header_style="bold")
    cols = ["Agents", "Scheduled", "P(wait)", f"SL({T:g}s)", "ASA"]
    cols += ["Abandon"] if theta else []
    for col in [*cols, "Occupancy"]:
        t.add_column(col, justify="right")
    for k in range(max(1, n - 2), n + 3):
        m = metrics(k, lam, mu, T, theta)
        row = [
            str(k),
            str(math.ceil(scheduled(k, shrinkage) - 1e-9)),
            f"{m.p_wait:.1%}",
            f"{m.service_level:.1%}",
            f"{m.asa:.1f}s" if math.isfinite(m.asa) else "inf",
        ]
        row += [f"{m.p_abandon:.1%}"] if theta else []
        t.add_row(*row, f"{m.occupancy:.1%}", style="bold green" if k == n else None)
    out_console.print(t)
    what = "evaluated" if evaluated else "fewest agents meeting the target(s)"
    out_console.print(
        f"[dim]{n} agents: {what}. SL = "
        + ("P(answered within T) / (1 - P(abandoned within T))" if theta else "P(wait <= T)")
        + "; scheduled = agents / (1 - shrinkage), rounded up to whole heads.[/dim]"
    )


@friendly
def markov(
    file: ScenarioArg,
    json_out: JsonOpt = False,
) -> None:
    """Exact steady-state results of a scenario from the Markov chain (exponential times)."""
    from ccsim.optimize.analytic.markov import applicable, solve_model

    m = sim.load_scenario(file)
    why = applicable(m)
    if why:
        fail(f"{file}: the exact model does not apply: {why}")
    r = solve_model(m)
    per_hour = 3600.0
    out: dict[str, Any] = {
        "agents": r.agents,
        "p_wait": r.p_wait,
        "abandon_rate": r.p_abandon,
        "mean_wait": r.mean_wait,
        "occupancy": r.occupancy,
        "profit_per_hour": r.profit_rate(
            m.agent_cost_per_hour, m.abandon_cost, float(np.mean(m.shrinkage))
        )
        * per_hour,
        "segments": {
            name: {
                "offered_per_hour": float(r.arrival_rates[k] * per_hour),
                "attempts_per_call": float(r.attempts_per_call[k]),
                "attempts_per_hour": float(r.attempts_rate[k] * per_hour),
                "accepts_per_hour": float(r.accepts_rate[k] * per_hour),
                "revenue_per_hour": float(r.revenue_rate[k] * per_hour),
            }
            for k, name in enumerate(m.segments)
        },
        "truncation_error": r.truncation_error,
        "states": r.states,
    }
    out["service_level"], sl_note = _markov_service_level(m, r.agents)
    out["service_level_note"] = sl_note
    if json_out:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    cur = f" {m.currency}" if m.currency else ""
    out_console.print(
        f"[bold]{escape(m.name)}[/bold]: exact Markov chain, {r.states:,} states, "
        f"truncation error {r.truncation_error:.1e}"
    )
    out_console.print(
        f"  P(wait) {r.p_wait:.2%}   abandonment {r.p_abandon:.2%}   mean wait "
        f"{r.mean_wait:.2f}s   occupancy {r.occupancy:.2%}   profit/h "
        f"{out['profit_per_hour']:,.2f}{cur}",
        highlight=False,
    )
    sl = out["service_level"]
    out_console.print(
        f"  SL({m.sl_within:g}s) {sl:.2%} ({sl_note})" if sl is not None else f"  SL: {sl_note}",
        highlight=False,
    )
    for name, seg in out["segments"].items():
        out_console.print(
            f"  {name}: {seg['offered_per_hour']:.1f} calls/h, offers per call "
            f"{seg['attempts_per_call']:.3f}, revenue/h {seg['revenue_per_hour']:,.2f}{cur}",
            highlight=False,
        )


def _markov_service_level(m, agents: int) -> tuple[float | None, str]:
    """SL where an exact formula exists: one class of callers, nobody offered anything
    (Erlang C or A, exact); otherwise why not."""
    import numpy as np

    from ccsim.optimize.analytic.erlang import metrics

    if m.makes_offers():
        return None, (
            "not computed by the chain: with threshold cross-selling a caller's wait "
            "depends on the callers behind it too (they change the agents' offers), so "
            "ccsim simulate gives SL"
        )
    if len(set(m.priority.tolist())) > 1:
        return None, "not computed by the chain with priorities; ccsim simulate gives SL"
    lam = float(m.rates[-1].sum())
    w = m.rates[-1] / lam
    mu = 1.0 / float(w @ np.array([h.mean for h in m.handle]))
    pats = np.array([p.mean if p.kind != "none" else np.inf for p in m.patience])
    if len(set(pats.tolist())) > 1 or len({h.mean for h in m.handle}) > 1:
        return None, "not computed: segments with different times; ccsim simulate gives SL"
    theta = 0.0 if not np.isfinite(pats[0]) else 1.0 / pats[0]
    r = metrics(agents, lam, mu, m.sl_within, theta)
    conv = (
        ""
        if m.sl_convention == "exclude_short_abandons"
        else (
            f"; computed as answered within T / (offered - abandoned within T), not the "
            f"scenario's {m.sl_convention}"
        )
    )
    return r.service_level, f"Erlang {'A' if theta else 'C'}, exact{conv}"
