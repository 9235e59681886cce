"""What `optimize` answers: the plan, its confirmation on fresh seeds beside the scenario's
own plan, how it was found, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ccsim.sim import (
    Model,
    SimResult,
    paired_difference,
)
from ccsim.sim.results import selling_value
from ccsim.sim.scenario.model import gross_up
from ccsim.sim.scenario.targets import Judgement, Targets, overall, verdict_rule_text

from .analytic.markov import MarkovResult
from .plan import Plan, policy_dict, staffing_value
from .search.progress import SearchLog

# the KPIs set against the scenario's own plan: the optimize table and optimize.json's
# `differences` (plan minus scenario, paired over the confirmation's replications)
COMPARED_KPIS = (
    "profit",
    "revenue",
    "staffing_cost",
    "service_level",
    "asa",
    "abandon_rate",
    "attempts",
    "occupancy",
)


# ... and, when the scenario models the customer beyond the call, these
CUSTOMER_KPIS = ("satisfaction", "value_at_risk", "long_run_profit")


def compared_kpis(model: Model) -> tuple[str, ...]:
    """The KPIs set against the scenario's plan (customer figures when modelled)."""
    return COMPARED_KPIS + (CUSTOMER_KPIS if model.customer_value is not None else ())


@dataclass
class OptimizeResult:
    model: Model
    plan: Plan
    seed_plan: Plan
    result: SimResult  # the plan, on fresh seeds
    baseline: SimResult  # the scenario's own plan, same fresh seeds
    targets: Targets
    method: str
    feasible: bool
    margins: dict[str, float]
    search: SearchLog
    seconds: float
    calls_simulated: int
    exact: MarkovResult | None = None
    notes: list[str] = field(default_factory=list)
    judged: list[Judgement] = field(default_factory=list)  # the targets on confirmation
    shift_plan: Any = None  # optimize.shifts.ShiftPlan when the plan is a roster
    no_sell: SimResult | None = None  # the plan without offers, on the confirmation's seeds

    def cross_sell_value(self) -> dict | None:
        """What selling earns under the plan against the same staffing without offers,
        paired on the confirmation's replications (None if the plan offers nothing)."""
        return None if self.no_sell is None else selling_value(self.result, self.no_sell)

    @property
    def agent_hours(self) -> float:
        """Agent-hours on the phones over the measured intervals (before shrinkage)."""
        m = self.model
        return float(
            sum(
                self.plan.staffing[t] * m.interval_lengths[t]
                for t in range(m.n_intervals)
                if m.measured[t]
            )
            / 3600.0
        )

    @property
    def roster(self):
        """The plan's roster (a `sim.roster.Roster`), or None for a per-interval plan."""
        return getattr(self.plan, "roster", None)

    @property
    def verdict(self) -> str:
        """'met' (recommended), 'borderline' or 'missed' (not recommended)."""
        return (
            overall(self.judged) if self.exact is None else ("met" if self.feasible else "missed")
        )

    def plan_json(self) -> dict:
        policy = {"cross_sell": policy_dict(self.plan, self.model)}
        if self.roster is not None:
            assert self.model.shifts is not None
            return {"roster": self.roster.to_scenario(self.model.shifts), "policy": policy}
        m = self.result.model
        on_phones = m.interval_staffing()
        # heads to schedule for the agents on the phones: unrounded (the table rounds up)
        scheduled = [
            float(x) for x in np.broadcast_to(gross_up(on_phones, m.shrinkage), on_phones.shape)
        ]
        return {
            "staffing": staffing_value(self.plan, self.model),
            "policy": policy,
            "scheduled": scheduled,
        }

    def roster_json(self) -> dict | None:
        """The roster as rows, its paid hours and cost, and how the MIP found its start."""
        shifts = self.model.shifts
        if self.roster is None or shifts is None:
            return None
        m = self.result.model
        S = len(m.staffing)
        out = self.roster.to_json(shifts, S)
        sp = self.shift_plan
        if sp is not None:
            hours = m.interval_lengths / 3600.0
            # the same requirement staffed interval by interval, at the scenario's hourly
            # cost: what shifts would cost if agents could come and go every interval
            free = float(
                (np.asarray(sp.requirement) * hours).sum() * self.model.agent_cost_per_hour
            )
            out["mip"] = {
                "requirement_per_interval": [int(x) for x in sp.requirement],
                "requirement": np.repeat(sp.requirement, S // m.n_intervals).tolist(),
                "first_roster_cost": sp.schedule.cost,
                "lp_bound": sp.schedule.lp_bound,
                "gap_to_lp_bound": sp.schedule.gap,
                "status": sp.schedule.status,
                "seconds": round(sp.schedule.seconds, 3),
                "requirement_cost_per_interval": free,
                "price_of_shifts": sp.schedule.cost - free,
            }
        return out

    def differences(self) -> dict:
        """Plan minus the scenario's own plan, paired over the confirmation replications."""
        out = {}
        for s in compared_kpis(self.model):
            e = paired_difference(self.baseline, self.result, s)
            out[s] = e.to_json()
        return out

    def to_json(self) -> dict:
        summary = {k: v.to_json() for k, v in self.result.summary.items()}
        return {
            "plan": self.plan_json(),
            "summary": summary,
            "baseline": {
                "plan": {
                    "staffing": staffing_value(Plan.from_model(self.model), self.model),
                    "policy": {"cross_sell": policy_dict(Plan.from_model(self.model), self.model)},
                },
                "summary": {k: v.to_json() for k, v in self.baseline.summary.items()},
            },
            "difference_vs_baseline": self.differences(),
            "roster": self.roster_json(),
            "cross_sell_value": self.cross_sell_value(),
            "recommended": self.feasible,
            "targets": {
                "feasible": self.feasible,
                "verdict": self.verdict,
                "confidence": self.targets.confidence,
                "rule": verdict_rule_text(self.targets.confidence),
                "checks": [j.to_json() for j in self.judged],
                "margins": self.margins,
                "definitions": self.targets.describe(),
            },
            "intervals": self.result.to_json()["intervals"],
            "method": self.method,
            "search": {
                "rounds": self.search.rounds,
                "evaluations": self.search.evaluations,
                "moves": self.search.moves[-50:],
                "stopped_by_time_limit": self.search.stopped_by_time,
                # "time limit": the safety net cut the search (the output says so first);
                # "budget": it spent its work budget before converging; null: it converged
                "stopped_early": self.search.stopped,
                "best_remaining_move": (
                    None
                    if self.search.best_rejected is None
                    else {
                        "move": self.search.best_rejected[0],
                        "profit_gain": self.search.best_rejected[1],
                        "standard_error": self.search.best_rejected[2],
                    }
                ),
            },
            "seconds": round(self.seconds, 2),
            "calls_simulated": self.calls_simulated,
            "notes": self.notes,
        }
