"""ccsim's simulation layer: scenarios, the customer stream, the engines, statistics.

>>> from ccsim import sim
>>> model = sim.load_scenario("scenarios/retail_bank.yaml")
>>> result = sim.simulate(model, replications=10)
>>> 0.8 < result.summary["service_level"].mean < 1.0  # the day's SL, pooled
True
"""

from .engine.accumulators import RepResult
from .engine.stream import customer_stream
from .executor import (
    DaskExecutor,
    Executor,
    InProcess,
    LocalPool,
    executor_was_aborted,
    make_executor,
)
from .results import SimResult, aggregate, paired_difference
from .runner import Alike, run_replication, simulate
from .scenario.errors import PlanningError, ScenarioError
from .scenario.loading import load_scenario, parse_scenario
from .scenario.model import ALWAYS, NEVER, Model
from .scenario.targets import Judgement, Target, Targets, overall, verdict
from .stats import DEFINITIONS, STATISTICS, Estimate

__all__ = [
    "ALWAYS",
    "DEFINITIONS",
    "NEVER",
    "PlanningError",
    "STATISTICS",
    "DaskExecutor",
    "Estimate",
    "Executor",
    "InProcess",
    "Judgement",
    "LocalPool",
    "Model",
    "RepResult",
    "ScenarioError",
    "SimResult",
    "Target",
    "Targets",
    "aggregate",
    "customer_stream",
    "load_scenario",
    "executor_was_aborted",
    "make_executor",
    "overall",
    "paired_difference",
    "parse_scenario",
    "run_replication",
    "simulate",
    "Alike",
    "verdict",
]
