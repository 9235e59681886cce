"""ccsim's analytic models and optimizer: Erlang B/C/A, the exact Markov chain of
threshold cross-selling, the fluid LP, the shift MIP, and the simulation searches that
turn them into a plan that holds on days the search never saw.

>>> from ccsim import optimize, sim
>>> optimize.agents_needed(100 / 3600, 1 / 240, 1 / 120, within=20.0, target_sl=0.8)
8
>>> model = sim.load_scenario("scenarios/retail_bank.yaml")
>>> result = optimize.optimize(model, time_limit=30)  # doctest: +SKIP
>>> result.verdict, result.plan.staffing  # doctest: +SKIP
"""

from .analytic.erlang import agents_needed, erlang_a, erlang_b, erlang_c, erlang_c_metrics, metrics
from .analytic.erlang_table import erlang_table
from .analytic.fluid import FluidPlan, fluid_plan
from .analytic.markov import MarkovResult, applicable, solve_model, threshold_chain
from .compare import CompareResult, compare, sensitivity
from .frontier import FrontierPoint, frontier
from .optimizer import optimize
from .plan import Plan, plan_scenario, policy_dict
from .result import OptimizeResult
from .shifts.optimizer import optimize_shifts
from .shifts.schedule import Schedule, schedule_shifts

__all__ = [
    "CompareResult",
    "FluidPlan",
    "FrontierPoint",
    "MarkovResult",
    "OptimizeResult",
    "Plan",
    "Schedule",
    "agents_needed",
    "applicable",
    "compare",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "erlang_table",
    "fluid_plan",
    "frontier",
    "metrics",
    "optimize",
    "optimize_shifts",
    "plan_scenario",
    "policy_dict",
    "schedule_shifts",
    "sensitivity",
    "solve_model",
    "threshold_chain",
]
