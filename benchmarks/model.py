"""The benchmark model of issue 3, as a scenario dict, for a given number of calls."""

from __future__ import annotations

from ccsim import sim

RATE_PER_MIN = 10.0


def benchmark_model(calls: int, replications: int = 1) -> sim.Model:
    """Steady state, Poisson 10 calls/min, two segments 0.4/0.6, 45 agents (no warm-up)."""
    hours = calls / (RATE_PER_MIN * 60)
    exp = {"dist": "exponential"}

    def segment(rate, accept, revenue):
        return {
            "rate": f"{rate}/min",
            "handle_time": {**exp, "mean": "4min"},
            "patience": {**exp, "mean": "2min"},
            "cross_sell": {
                "eligible": 1.0,
                "accept": accept,
                "revenue": revenue,
                "offer_time": {**exp, "mean": "1min"},
            },
        }

    return sim.parse_scenario(
        {
            "name": "benchmark",
            "horizon": {"steady_state": {"warmup": "0h", "length": f"{hours}h", "batches": 10}},
            "segments": {
                "a": segment(0.4 * RATE_PER_MIN, 0.3, 50),
                "b": segment(0.6 * RATE_PER_MIN, 0.1, 20),
            },
            "staffing": 45,
            "policy": {"cross_sell": {"a": {"threshold": 5}, "b": {"threshold": 0}}},
            "simulation": {"replications": replications, "seed": 1},
        }
    )
