"""Tables for `ccsim optimize`: recommended plan beside the scenario's own."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ccsim.optimize.plan import Plan, policy_dict, policy_text
from ccsim.optimize.result import OptimizeResult, compared_kpis

from .numbers import DASH, difference, estimate, kind_of
from .tables import judgement_line, worst_interval_line


def staffing_table(r: OptimizeResult) -> Table:
    """Per interval: agents (scenario, plan, heads to schedule), service, offers, and
    money as a manager reads it: what the interval's agents cost and what selling earns
    there (revenue minus the abandonment and decline costs it causes, against the same
    staffing without offers), never a 'profit' made negative by the wage bill."""
    m = r.model
    cur = f" ({m.currency})" if m.currency else ""
    t = Table(
        title="Recommended staffing"
        if r.feasible
        else "Best staffing found (NOT recommended: it does not meet every target)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    money = [f"Agents cost{cur}", f"Selling earns{cur}" if r.no_sell else f"Revenue{cur}"]
    for col in ("Interval", "Scenario", "Plan", "Heads", "SL", "ASA", "Aband.", "Offers", *money):
        t.add_column(col, justify="left" if col == "Interval" else "right")
    before = m.interval_staffing()
    after = r.result.model.interval_staffing()  # a roster: mean on the phones per interval
    scheduled = r.plan_json()["scheduled"]
    for i, est in enumerate(r.result.intervals):
        if not m.measured[i]:
            continue
        n_old, n_new = before[i], after[i]
        change = (
            ""
            if n_new == n_old
            else (
                f" [green]{n_new - n_old:+g}[/green]"
                if n_new > n_old
                else f" [red]{n_new - n_old:+g}[/red]"
            )
        )
        if r.no_sell is not None:
            earns = est["profit"].mean - r.no_sell.intervals[i]["profit"].mean
            sold = f"{earns:+,.0f}" if math.isfinite(earns) else DASH
        else:
            sold = estimate("revenue", est["revenue"], ci=False)
        t.add_row(
            m.interval_label(i),
            f"{n_old:g}",
            f"{n_new:g}{change}",
            # heads to schedule: whole people (optimize.json: plan.scheduled, unrounded)
            f"{math.ceil(scheduled[i] - 1e-9):d}",
            *[
                estimate(s, est[s], ci=False)
                for s in ("service_level", "asa", "abandon_rate", "attempts", "staffing_cost")
            ],
            sold,
        )
        if m.steady:
            break
    return t


def comparison_table(r: OptimizeResult) -> Table:
    t = Table(
        title="Plan against the scenario's own (same fresh seeds; difference paired)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in ("KPI", "Scenario plan", "Recommended", "Difference (95% CI)"):
        t.add_column(col, justify="left" if col == "KPI" else "right")
    diffs = r.differences()
    for s in compared_kpis(r.model):
        dtext = difference(diffs[s], kind_of(s)) or DASH
        t.add_row(
            s,
            estimate(s, r.baseline.summary[s], sep=" "),
            estimate(s, r.result.summary[s], sep=" "),
            dtext,
        )
    return t


def roster_table(r: OptimizeResult) -> Table | None:
    """The roster: one row per shift pattern, breaks as start-end."""
    js = r.roster_json()
    if js is None:
        return None
    t = Table(
        title=f"Roster: {js['shifts']} shifts, {js['paid_hours']:,.2f} paid hours, "
        f"cost {js['cost']:,.2f}{' ' + r.model.currency if r.model.currency else ''} "
        "(before shrinkage)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in ("Template", "Start", "End", "Breaks", "Agents"):
        t.add_column(col, justify="right" if col == "Agents" else "left")
    for row in js["rows"]:
        t.add_row(
            escape(row["template"]),
            row["start"],
            row["end"],
            ", ".join(row["breaks"]),
            str(row["agents"]),
        )
    return t


def stopped_line(r: OptimizeResult) -> str | None:
    """The first line of the output when the search did not end on its own."""
    log = r.search
    if log.stopped == "time limit":
        return (
            f"SEARCH STOPPED EARLY: the time limit cut the search after {log.evaluations} "
            f"plans; the plan below is the best found by then (a search on its work "
            f"budget alone gives the same plan on any machine)"
        )
    if log.stopped == "budget":
        return (
            f"The search spent its work budget after {log.evaluations} plans before "
            f"converging (--budget or optimizer.budget gives it more)"
        )
    return None


def print_optimize(r: OptimizeResult, console: Console) -> None:
    m = r.model
    first = stopped_line(r)
    if first:
        console.print(first, style="bold yellow", markup=False, highlight=False)
    console.print(f"[bold]{escape(m.name)}[/bold]: optimized plan")
    v = r.cross_sell_value()
    cur = f" {r.model.currency}" if r.model.currency else ""
    if v is not None:
        p = v["profit"]["mean"]
        lo, hi = v["profit"]["ci95"]
        ci = "" if lo is None else f" (95% CI {lo:+,.0f} to {hi:+,.0f})"
        console.print(
            f"[bold]Cross-selling under this plan is worth {p:+,.0f}{cur} a day{ci}[/bold]: "
            f"{v['revenue']['mean']:,.0f}{cur} of revenue minus "
            f"{v['service_cost']['mean']:,.0f}{cur} of abandonment and decline costs it "
            f"causes, against the same staffing without offers.",
            highlight=False,
        )
    console.print(staffing_table(r))
    _print_roster(r, console)
    old = policy_dict(Plan.from_model(m), m)
    new = r.plan_json()["policy"]["cross_sell"]
    console.print(
        "[bold]Cross-sell policy[/bold] (offer iff callers in system - agents <= threshold)"
    )
    for name in m.segments:
        console.print(
            f"  {escape(name):<12} scenario: {policy_text(old[name]):<30} plan: "
            f"{policy_text(new[name])}"
        )
    console.print(comparison_table(r))

    n = r.result.meta.get("replications")
    console.print(
        f"[bold]Targets[/bold] on {n} fresh replications the search never saw (met / missed: "
        f"holds / fails with {r.targets.confidence:.0%} confidence, one-sided)"
    )
    for j in r.judged:
        console.print("  " + judgement_line(j), markup=False, highlight=False)
    if r.exact is not None:
        console.print(
            "  (exact search: the Markov chain's values meet the targets; the lines above are "
            "the simulation's check)",
            markup=False,
        )
    worst = worst_interval_line(r.result)
    if worst:
        console.print("  " + worst, markup=False, highlight=False)
    if not r.judged:
        console.print("  (the scenario sets no targets)")
    if r.feasible:
        console.print("[bold green]Recommended[/bold green]: every target holds on fresh days.")
    else:
        console.print(
            f"[bold red]Not recommended[/bold red]: for the best plan found, at least one "
            f"target is {r.verdict}; it is written marked infeasible (exit code 3)."
        )
    for note in r.notes:
        console.print(f"  [yellow]note:[/yellow] {note}")
    console.print(f"[dim]How it was found: {r.method}[/dim]")
    console.print(
        f"[dim]{r.seconds:.1f} s, {r.calls_simulated:,} simulated calls, "
        f"{r.search.evaluations} plans evaluated. * = difference significant at 95%.[/dim]"
    )


def frontier_table(points) -> Table:
    t = Table(
        title="Profit against service level (best plan per target)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in (
        "SL target",
        "Cross-sell",
        "Profit (95% CI)",
        "SL",
        "ASA",
        "Aband.",
        "Agent hours",
        "Feasible",
    ):
        t.add_column(col, justify="right")
    for p in points:
        row = p.row()
        t.add_row(
            f"{row['service_level_target']:.0%}",
            "yes" if row["cross_sell"] else "no",
            f"{row['profit']:,.0f} [{row['profit_lo']:,.0f}, {row['profit_hi']:,.0f}]"
            if math.isfinite(row["profit_lo"])
            else f"{row['profit']:,.0f}",
            f"{100 * row['service_level']:.1f}%",
            f"{row['asa']:.1f}s",
            f"{100 * row['abandon_rate']:.1f}%",
            f"{row['agent_hours']:,.0f}",
            "yes" if row["feasible"] else "[red]no[/red]",
        )
    return t


def half_life_table(rows: list[dict], model) -> Table:
    """One row per half-life: the optimized staffing, policy and what it earns."""
    t = Table(
        title="How the best plan moves as acceptance fades faster (accept_decay half-life)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("Half-life", justify="right")
    t.add_column("Agent-hours", justify="right")
    for name in model.segments:
        t.add_column(escape(name), justify="left")
    for head in ("Offers", "Conv.", "Profit", "Long-run profit", "Targets"):
        t.add_column(head, justify="right")
    for r in rows:
        t.add_row(
            r["half_life"],
            f"{r['agent_hours']:,.1f}",
            *[escape(r[f"policy_{n}"]) for n in model.segments],
            f"{r['attempts']:,.0f}",
            f"{100 * r['conversion']:.1f}%",
            f"{r['profit']:,.0f}",
            f"{r['long_run_profit']:,.0f}",
            r["verdict"],
        )
    return t


def _print_roster(r: OptimizeResult, console: Console) -> None:
    """A roster's rows, how the MIP started it, and the price of shifts: the agents
    needed as the cheapest roster against the same agents staffed interval by interval."""
    m = r.model
    roster = roster_table(r)
    if roster is None:
        return
    console.print(roster)
    mip = (r.roster_json() or {}).get("mip")
    if not mip:
        return
    cur = f" {m.currency}" if m.currency else ""
    free = mip["requirement_cost_per_interval"]
    console.print(
        f"  The MIP's first roster cost {mip['first_roster_cost']:,.2f}{cur}, "
        f"{mip['gap_to_lp_bound']:.2%} above its LP bound {mip['lp_bound']:,.2f}; "
        "the simulation search then changed it (see How it was found).",
        highlight=False,
    )
    today = " Today's plan below is agents per interval, not a roster." if m.roster is None else ""
    console.print(
        f"  Price of shifts: the agents needed cost {mip['first_roster_cost']:,.0f}{cur} "
        f"as the cheapest roster of these templates against {free:,.0f}{cur} if agents "
        f"could come and go every interval: {mip['price_of_shifts']:+,.0f}{cur} a day "
        f"({mip['price_of_shifts'] / free:+.1%}; before shrinkage).{today}",
        highlight=False,
    )
