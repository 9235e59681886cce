"""The customer beyond today's call: long-run value at risk, and a satisfaction figure.

Per segment, the probability that a customer is lost (churns, closes the account) after
this call combines independent risks:

    P(lost) = 1 - (1 - a)^(w / 60 s) x (1 - b)^[abandoned] x (1 - c)^(declined offers)

with a the risk per minute waited, b the risk of hanging up, c the risk of each declined
offer (one offer per call in ccsim). Customer value at risk = value x P(lost), summed
over callers. It is reported beside profit and enters the optimizer's objective only
when the scenario says `optimizer: {objective: long_run_profit}`.

Satisfied caller (one figure a planner can quote): answered within `answered_within`
and, if offered the product, waited at most `no_pitch_after`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SATISFIED_WITHIN = 60.0  # default: answered within a minute (an assumption; docs/model.md)
NO_PITCH_AFTER = 30.0  # default: and not pitched after waiting more than 30 s


@dataclass(frozen=True)
class CustomerValue:
    """Per segment k: the customer's value and the log-survival per unit of each risk."""

    value: np.ndarray  # (K,) long-run value of one customer (0: not modelled)
    log_keep_per_second: np.ndarray  # (K,) ln(1 - a) / 60
    log_keep_abandon: np.ndarray  # (K,) ln(1 - b)
    log_keep_decline: np.ndarray  # (K,) ln(1 - c)

    def at_risk(self, k: int, wait: float, abandoned: bool, declined: bool) -> float:
        """value_k x P(lost): the same arithmetic as the compiled engine's `value_at_risk`."""
        return value_at_risk(
            k,
            wait,
            abandoned,
            declined,
            self.value,
            self.log_keep_per_second,
            self.log_keep_abandon,
            self.log_keep_decline,
        )


def value_at_risk(k, wait, abandoned, declined, value, lw, lab, ldc) -> float:
    """value_k x (1 - exp(w ln(1-a)/60 + [ab] ln(1-b) + [declined] ln(1-c))). Plain
    Python so numba can compile it (the fast engine wraps it with njit)."""
    v = value[k]
    if v == 0.0:
        return 0.0
    x = wait * lw[k]
    if abandoned:
        x += lab[k]
    if declined:
        x += ldc[k]
    return -v * math.expm1(x)


def _log_keep(p: float) -> float:
    return -math.inf if p >= 1.0 else math.log1p(-p)


def no_customer_value(K: int) -> CustomerValue:
    z = np.zeros(K)
    return CustomerValue(z, z.copy(), z.copy(), z.copy())


def compile_customer_value(segments: dict) -> CustomerValue | None:
    """The segments' customer_value sections; None when no segment has one."""
    specs = [s.customer_value for s in segments.values()]
    if all(c is None for c in specs):
        return None
    out = no_customer_value(len(specs))
    for k, c in enumerate(specs):
        if c is None:
            continue
        out.value[k] = c.value
        out.log_keep_per_second[k] = _log_keep(c.lost_per_minute_waited) / 60.0
        out.log_keep_abandon[k] = _log_keep(c.lost_if_abandoned)
        out.log_keep_decline[k] = _log_keep(c.lost_per_declined_offer)
    return out


def satisfied(wait: float, answered: bool, offered: bool, within: float, no_pitch: float) -> bool:
    """Answered within `within` and not pitched after waiting more than `no_pitch`."""
    return answered and wait <= within and not (offered and wait > no_pitch)
