"""The baseline: the benchmark model written the way a simpy tutorial would write it.

One process per call, agents as a `simpy.Resource`, abandonment as
`yield request | env.timeout(patience)`, cross-sell by the threshold rule at the end of
the base handle time. It is what ccsim's engines are measured against.
"""

from __future__ import annotations

import random

import simpy


def run_idiomatic(calls: int, seed: int = 1) -> dict:
    rnd = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=45)
    rate = 10 / 60  # per second
    shares = (0.4, 0.6)
    thresholds = (5, 0)
    accept = (0.3, 0.1)
    revenue = (50.0, 20.0)
    stats = {"answered": 0, "abandoned": 0, "attempts": 0, "revenue": 0.0, "wait": 0.0}

    def in_system() -> int:
        return len(agents.queue) + agents.count

    def caller(seg: int):
        arrive = env.now
        patience = rnd.expovariate(1 / 120)
        with agents.request() as req:
            result = yield req | env.timeout(patience)
            if req not in result:
                stats["abandoned"] += 1
                stats["wait"] += env.now - arrive
                return
            stats["answered"] += 1
            stats["wait"] += env.now - arrive
            yield env.timeout(rnd.expovariate(1 / 240))
            if in_system() - agents.capacity <= thresholds[seg]:
                stats["attempts"] += 1
                if rnd.random() < accept[seg]:
                    stats["revenue"] += revenue[seg]
                yield env.timeout(rnd.expovariate(1 / 60))

    def source():
        for _ in range(calls):
            yield env.timeout(rnd.expovariate(rate))
            env.process(caller(0 if rnd.random() < shares[0] else 1))

    env.process(source())
    env.run()
    return stats
