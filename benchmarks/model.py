"""The benchmark model of issue 3, as a scenario dict, for a given number of calls."""

from __future__ import annotations

from ccsim import sim

RATE_PER_MIN = 10.0


def benchmark_model(calls: int, replications: int = 1, waiting: bool = False) -> sim.Model:
    """Steady state, Poisson 10 calls/min, two segments 0.4/0.6, 45 agents (no warm-up).
    With `waiting`, callers react to waiting (issue 22): acceptance halves every minute
    of wait (a) or falls piecewise (b), offers only to callers who waited at most 45 s
    (a), handle +10 s per minute waited, customer value at risk in both segments."""
    hours = calls / (RATE_PER_MIN * 60)
    exp = {"dist": "exponential"}

    def segment(rate, accept, revenue):
        if waiting:
            by_wait = (
                {"accept_decay": {"half_life": "1min"}}
                if revenue == 50
                else {"accept_by_wait": [["0s", accept], ["1min", accept / 2], ["3min", 0.0]]}
            )
            return {
                "rate": f"{rate}/min",
                "handle_time": {**exp, "mean": "4min"},
                "patience": {**exp, "mean": "2min"},
                "handle_per_minute_waited": "10s",
                "customer_value": {
                    "value": 1000,
                    "lost_per_minute_waited": 0.002,
                    "lost_if_abandoned": 0.02,
                    "lost_per_declined_offer": 0.005,
                },
                "cross_sell": {
                    "eligible": 1.0,
                    "accept": accept,
                    "revenue": revenue,
                    "offer_time": {**exp, "mean": "1min"},
                    **by_wait,
                },
            }
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
            "policy": {
                "cross_sell": {
                    "a": {"threshold": 5, "max_wait": "45s"} if waiting else {"threshold": 5},
                    "b": {"threshold": 0},
                }
            },
            "simulation": {"replications": replications, "seed": 1},
        }
    )
