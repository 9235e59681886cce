"""The reference engine: the call center as simpy events, written to be read.

Event semantics (shared, call for call, with the fast engine):

- arrival: if an agent is free the call is answered at once, else it joins the queue
  (strict priority by segment, FCFS within a priority) and an abandonment timer starts;
- abandonment timer: if the caller is still waiting, it hangs up;
- base handle end ("serve first, then sell"): an eligible caller is offered the product
  iff the policy of the current interval allows it (threshold: Y - n <= K, Y callers in
  the system including this one, n the current staffing); the agent is then busy for
  the offer time (+ close time if accepted), or is freed at once if no offer is made;
- agent freed: the next waiting caller is answered if the staffing allows;
- interval boundary: the staffing changes; extra agents pick up waiting callers at once,
  surplus agents leave only when their call ends (no pre-emption).

Simultaneous events run in the order they were scheduled (simpy's event id); the fast
engine keeps a sequence number with the same meaning, so both agree exactly.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable

import numpy as np
import simpy

from ..scenario.customer_value import satisfied
from ..scenario.model import Model
from .accumulators import (
    ABANDONED,
    ABN_T,
    ACCEPTS,
    ANS_T,
    ANSWERED,
    ATTEMPTS,
    COMPLETED,
    DECLINES,
    H_ABANDONED,
    H_ANSWERED,
    H_OFFERS,
    H_SALES,
    HANDLE,
    HIST_BINS,
    HIST_ROWS,
    NFIELDS,
    OFFERED,
    REVENUE,
    SATISFIED,
    VALUE_RISK,
    WAIT_ALL,
    WAIT_ANS,
    WAITED,
    RepResult,
)
from .records import (
    NREC,
    R_ACC,
    R_ANS,
    R_ARR,
    R_ATT,
    R_DEC,
    R_ELIG,
    R_END,
    R_ID,
    R_ITV,
    R_OUT,
    R_SEG,
    R_WAIT,
)
from .stream import CallerChunk

WAITING, IN_SERVICE, GONE = 0, 1, 2


def _then(fn: Callable[[Caller], None], c: Caller) -> Callable[[simpy.Event], None]:
    """A simpy callback that hands the event's caller to `fn`."""
    return lambda _ev: fn(c)


class Caller:
    __slots__ = (
        "id",
        "segment",
        "interval",
        "arrival",
        "base",
        "patience",
        "eligible",
        "offer",
        "u",
        "close",
        "state",
        "answer_time",
        "decision_time",
        "attempted",
        "accepted",
    )

    def __init__(self, chunk: CallerChunk, i: int, arrival: float):
        self.id = chunk.first_id + i
        self.segment = int(chunk.segment[i])
        self.interval = int(chunk.interval[i])
        self.arrival = arrival
        self.base = float(chunk.base[i])
        self.patience = float(chunk.patience[i])
        self.eligible = bool(chunk.eligible[i])
        self.offer = float(chunk.offer[i])
        # the accept uniform u: the sale happens iff u < p_k(wait)
        self.u = (
            float(chunk.accept_u[i])
            if chunk.accept_u is not None
            else (-1.0 if chunk.accept[i] else 2.0)
        )
        self.close = float(chunk.close[i])
        self.state = WAITING
        self.answer_time = math.nan
        self.decision_time = math.nan
        self.attempted = False
        self.accepted = False


class CallCenter:
    """Agents, one priority queue, and the statistics of one replication."""

    def __init__(self, env: simpy.Environment, model: Model, want_records: bool = False):
        self.env = env
        self.m = model
        T, K = model.n_intervals, model.n_segments
        self.n = int(model.staffing[0])
        self.bucket = 0  # interval we are in; T after the close
        self.busy = 0
        self.waiting = 0
        self.queues: list[deque[Caller]] = [deque() for _ in range(int(model.priority.max()) + 1)]
        self.counts = np.zeros((T, K, NFIELDS))
        self.busy_time = np.zeros(T + 1)
        self.staffed_time = np.zeros(T + 1)
        self.hist = np.zeros((HIST_ROWS, K, HIST_BINS))
        self.last = 0.0
        self.calls = 0
        self.records: list[np.ndarray] | None = [] if want_records else None
        self.sl_t = model.sl_within
        self.effects = model.effects()
        self.max_wait = model.max_wait_table()
        self.customer = model.customer()

    # --- time integrals ------------------------------------------------------------
    def _advance(self) -> None:
        now = self.env.now
        dt = now - self.last
        if dt > 0:
            self.busy_time[self.bucket] += self.busy * dt
            self.staffed_time[self.bucket] += max(self.n, self.busy) * dt
            self.last = now

    # --- processes -----------------------------------------------------------------
    def staffing_process(self):
        # staffing changes at every step (an interval, or a step of a roster's finer grid);
        # statistics accrue to the interval the step belongs to
        b = self.m.step_bounds
        S, m = len(self.m.staffing), self.m.steps_per_interval
        for j in range(1, S + 1):
            yield self.env.timeout(b[j] - self.env.now)
            self._advance()
            self.bucket = j // m
            self.n = int(self.m.staffing[min(j, S - 1)])
            self.dispatch()

    def arrival_process(self, chunks: Iterable[CallerChunk]):
        env = self.env
        for chunk in chunks:
            arrival = chunk.arrival
            for i in range(len(chunk)):
                yield env.timeout(max(0.0, arrival[i] - env.now))
                self.arrive(Caller(chunk, i, env.now))

    # --- events --------------------------------------------------------------------
    def arrive(self, c: Caller) -> None:
        self.calls += 1
        self.counts[c.interval, c.segment, OFFERED] += 1
        if self.busy < self.n:
            self.start_service(c)
            return
        self.waiting += 1
        self.queues[self.m.priority[c.segment]].append(c)
        if math.isfinite(c.patience):
            self.env.timeout(c.patience).callbacks.append(_then(self.abandon, c))

    def abandon(self, c: Caller) -> None:
        if c.state != WAITING:
            return
        self._advance()
        c.state = GONE
        self.waiting -= 1  # the caller stays in its deque and is skipped when reached
        wait = self.env.now - c.arrival
        row = self.counts[c.interval, c.segment]
        row[ABANDONED] += 1
        row[WAIT_ALL] += wait
        if wait > 0:
            row[WAITED] += 1
        if wait <= self.sl_t:
            row[ABN_T] += 1
        self.hist[H_ABANDONED, c.segment, min(int(wait), HIST_BINS - 1)] += 1
        row[VALUE_RISK] += self.customer.at_risk(c.segment, wait, True, False)
        self._record(c, 0, wait)

    def start_service(self, c: Caller) -> None:
        self._advance()
        self.busy += 1
        c.state = IN_SERVICE
        c.answer_time = self.env.now
        wait = c.answer_time - c.arrival
        row = self.counts[c.interval, c.segment]
        row[ANSWERED] += 1
        row[WAIT_ANS] += wait
        row[WAIT_ALL] += wait
        if wait > 0:
            row[WAITED] += 1
        if wait <= self.sl_t:
            row[ANS_T] += 1
        self.hist[H_ANSWERED, c.segment, min(int(wait), HIST_BINS - 1)] += 1
        # the base handle time, lengthened by the wait where the scenario says so
        base = c.base + float(self.effects.handle_per_wait[c.segment]) * wait
        self.env.timeout(base).callbacks.append(_then(self.decide, c))

    def decide(self, c: Caller) -> None:
        """Base handle time is over: offer the product or free the agent."""
        c.decision_time = self.env.now
        k = c.segment
        in_system = self.waiting + self.busy
        tb = min(self.bucket, self.m.n_intervals - 1)
        threshold = self.m.thresholds[tb, k]
        waited = c.answer_time - c.arrival
        if c.eligible and in_system - self.n <= threshold and waited <= self.max_wait[tb, k]:
            c.attempted = True
            row = self.counts[c.interval, k]
            row[ATTEMPTS] += 1
            bi = min(int(waited), HIST_BINS - 1)
            self.hist[H_OFFERS, k, bi] += 1
            if c.u < self.effects.accept_probability(k, waited):
                c.accepted = True
                self.hist[H_SALES, k, bi] += 1
                row[ACCEPTS] += 1
                row[REVENUE] += self.m.revenue[k]
                extra = c.offer + c.close
            else:
                row[DECLINES] += 1
                extra = c.offer
            self.env.timeout(extra).callbacks.append(_then(self.complete, c))
        else:
            self.complete(c)

    def complete(self, c: Caller) -> None:
        self._advance()
        self.busy -= 1
        c.state = GONE
        row = self.counts[c.interval, c.segment]
        row[HANDLE] += self.env.now - c.answer_time
        row[COMPLETED] += 1
        waited = c.answer_time - c.arrival
        declined = c.attempted and not c.accepted
        row[VALUE_RISK] += self.customer.at_risk(c.segment, waited, False, declined)
        if satisfied(waited, True, c.attempted, self.m.satisfied_within, self.m.no_pitch_after):
            row[SATISFIED] += 1
        self._record(c, 1, c.answer_time - c.arrival)
        self.dispatch()

    def dispatch(self) -> None:
        """Answer waiting callers, highest priority first, while agents are free."""
        for q in self.queues:
            while q and self.busy < self.n:
                c = q.popleft()
                if c.state == WAITING:
                    self.waiting -= 1
                    self.start_service(c)
            if self.busy >= self.n:
                return

    def _record(self, c: Caller, outcome: int, wait: float) -> None:
        if self.records is None:
            return
        r = np.empty(NREC)
        r[R_ID], r[R_SEG], r[R_ITV], r[R_ARR] = c.id, c.segment, c.interval, c.arrival
        r[R_OUT], r[R_WAIT], r[R_ANS], r[R_DEC] = outcome, wait, c.answer_time, c.decision_time
        r[R_END], r[R_ELIG], r[R_ATT], r[R_ACC] = self.env.now, c.eligible, c.attempted, c.accepted
        self.records.append(r)


def run_simpy(
    model: Model, chunks: Iterable[CallerChunk], want_records: bool = False
) -> tuple[RepResult, np.ndarray | None]:
    """Simulate one replication on the given customer stream."""
    env = simpy.Environment()
    center = CallCenter(env, model, want_records)
    env.process(center.staffing_process())
    env.process(center.arrival_process(chunks))
    env.run()
    # timers of callers already answered still fire (and do nothing) after the last caller
    # left; the run ends, and time integrals stop, at the last real event
    result = RepResult(
        center.counts, center.busy_time, center.staffed_time, center.hist, center.calls, center.last
    )
    records = None
    if center.records is not None:
        records = np.array(center.records).reshape(-1, NREC)
    return result, records
