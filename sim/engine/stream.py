"""The customer stream: every random quantity of a replication, drawn before any engine runs.

Each attribute has its own generator, spawned from the scenario seed as
`SeedSequence(seed, spawn_key=(replication, attribute))`, so the numbers a replication
sees do not depend on which worker runs it, and every policy and staffing plan is judged
on the same callers (common random numbers). The stream is produced in chunks of about
`CHUNK` calls so memory does not grow with the length of the run.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..scenario.distributions import draw_by_segment
from ..scenario.model import Model

ATTRIBUTES = (
    "multiplier",
    "arrival",
    "segment",
    "handle",
    "patience",
    "eligible",
    "offer",
    "accept",
    "close",
)
CHUNK = 1 << 16


def attribute_rng(seed: int, replication: int, attribute: str) -> np.random.Generator:
    key = (replication, ATTRIBUTES.index(attribute))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@dataclass
class CallerChunk:
    """Callers in arrival order; index i is caller `first_id + i` of the replication."""

    first_id: int
    arrival: np.ndarray  # seconds from the horizon start
    interval: np.ndarray  # int64, interval of arrival
    segment: np.ndarray  # int64
    base: np.ndarray  # base handle time
    patience: np.ndarray  # inf when the caller never abandons
    eligible: np.ndarray  # bool
    offer: np.ndarray  # offer time, used only if an offer is made
    accept: np.ndarray  # bool: would accept at no wait (u < accept); used if offered
    close: np.ndarray  # close time, used only if the offer is accepted
    # the accept uniform u: the sale happens iff u < p_k(wait) (sim/wait_effects.py);
    # None in hand-written streams, where `accept` decides
    accept_u: np.ndarray | None = None

    def accept_uniforms(self) -> np.ndarray:
        """u for the engines: the drawn one, or from `accept` (-1 buys, 2 never does)."""
        if self.accept_u is not None:
            return self.accept_u
        return np.where(self.accept, -1.0, 2.0)

    def __len__(self) -> int:
        return len(self.arrival)


def day_multiplier(model: Model, seed: int, replication: int) -> float:
    """Forecast uncertainty: a gamma day-level factor with mean 1 and the scenario's cv."""
    cv = model.forecast_cv
    rng = attribute_rng(seed, replication, "multiplier")
    if cv <= 0:
        return 1.0
    shape = 1.0 / cv**2
    return float(rng.gamma(shape, 1.0 / shape))


def _pieces(model: Model) -> list[tuple[int, float, float]]:
    """Cut each interval into time pieces of at most about CHUNK expected calls."""
    out = []
    lam = model.rates.sum(axis=1)
    for t in range(model.n_intervals):
        t0, t1 = float(model.boundaries[t]), float(model.boundaries[t + 1])
        m = max(1, math.ceil(lam[t] * (t1 - t0) / CHUNK))
        if m == 1:  # the common case, without building an array
            out.append((t, t0, t1))
            continue
        edges = np.linspace(t0, t1, m + 1)
        edges[-1] = t1
        out.extend((t, float(edges[j]), float(edges[j + 1])) for j in range(m))
    return out


def customer_stream(model: Model, seed: int, replication: int) -> Iterator[CallerChunk]:
    """Yield the replication's callers in arrival order, in chunks."""
    rng = {a: attribute_rng(seed, replication, a) for a in ATTRIBUTES}
    if model.arrival_counts is not None:
        yield from _counted_stream(model, rng)
        return
    mult = day_multiplier(model, seed, replication)
    lam = model.rates * mult
    lam_tot = lam.sum(axis=1)
    cum = np.cumsum(lam, axis=1) / np.where(lam_tot > 0, lam_tot, 1.0)[:, None]
    first_id = 0
    pending: list[tuple[np.ndarray, int]] = []
    pending_n = 0
    pieces = _pieces(model)
    for i, (t, t0, t1) in enumerate(pieces):
        mu = lam_tot[t] * (t1 - t0)
        n = int(rng["arrival"].poisson(mu)) if mu > 0 else 0
        if n:
            # sorted uniforms on [t0, t1) as normalised partial sums of exponentials
            e = np.cumsum(rng["arrival"].standard_exponential(n + 1))
            times = t0 + (t1 - t0) * (e[:n] / e[n])
            pending.append((times, t))
            pending_n += n
        if pending_n >= CHUNK or (i == len(pieces) - 1 and pending_n):
            chunk = _draw_attributes(model, rng, cum, pending, first_id)
            first_id += len(chunk)
            pending, pending_n = [], 0
            yield chunk


def _counted_stream(model: Model, rng: dict[str, np.random.Generator]) -> Iterator[CallerChunk]:
    """Callers at the model's exact counts per interval and segment. Given its count, a
    Poisson process's arrival times are independent and uniform on the interval, so this
    is the Poisson day conditioned on the counts: a back-test replays a logged day's
    volumes this way instead of drawing new counts around them."""
    counts = np.asarray(model.arrival_counts, dtype=np.int64)
    times, itv, seg = [], [], []
    for t in range(model.n_intervals):
        n = int(counts[t].sum())
        if n:
            t0, t1 = float(model.boundaries[t]), float(model.boundaries[t + 1])
            times.append(np.sort(rng["arrival"].uniform(t0, t1, n)))
            itv.append(np.full(n, t, np.int64))
            labels = np.repeat(np.arange(model.n_segments), counts[t])
            seg.append(rng["segment"].permutation(labels))
    if not times:
        return
    arrival, interval, segment = np.concatenate(times), np.concatenate(itv), np.concatenate(seg)
    for a in range(0, len(arrival), CHUNK):
        b = a + CHUNK
        yield _attributes(model, rng, a, arrival[a:b], interval[a:b], segment[a:b])


def _draw_attributes(
    model: Model,
    rng: dict[str, np.random.Generator],
    cum: np.ndarray,
    pieces: list[tuple[np.ndarray, int]],
    first_id: int,
) -> CallerChunk:
    arrival = np.concatenate([p[0] for p in pieces]) if len(pieces) > 1 else pieces[0][0]
    n = len(arrival)
    interval = np.empty(n, dtype=np.int64)
    segment = np.empty(n, dtype=np.int64)
    u = rng["segment"].random(n)
    start = 0
    for times, t in pieces:  # pieces are contiguous runs of one interval each
        stop = start + len(times)
        interval[start:stop] = t
        # the segment mix may change from interval to interval
        segment[start:stop] = np.searchsorted(cum[t], u[start:stop], side="right")
        start = stop
    np.minimum(segment, model.n_segments - 1, out=segment)
    return _attributes(model, rng, first_id, arrival, interval, segment)


def _attributes(
    model: Model,
    rng: dict[str, np.random.Generator],
    first_id: int,
    arrival: np.ndarray,
    interval: np.ndarray,
    segment: np.ndarray,
) -> CallerChunk:
    """The callers' own random quantities, given when and in which segment they arrive."""
    n = len(arrival)
    u = rng["accept"].random(n)
    return CallerChunk(
        first_id=first_id,
        arrival=arrival,
        interval=interval,
        segment=segment,
        base=draw_by_segment(model.handle, rng["handle"], segment),
        patience=draw_by_segment(model.patience, rng["patience"], segment),
        eligible=rng["eligible"].random(n) < model.eligible[segment],
        offer=draw_by_segment(model.offer, rng["offer"], segment),
        accept=u < model.accept[segment],
        close=draw_by_segment(model.close, rng["close"], segment),
        accept_u=u,
    )


_DONE = object()


def prefetched(chunks: Iterable[CallerChunk], depth: int = 2) -> Iterator[CallerChunk]:
    """Draw the next chunks in a background thread while the engine works on this one.

    numpy's generators and the compiled event loop both release the GIL, so on two cores
    drawing and simulating overlap. The chunks and their order are exactly those of
    `chunks`: only the timing changes.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for c in chunks:
                while not stop.is_set():
                    try:
                        q.put(c, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # hand the error to the consumer
            q.put(exc)

    worker = threading.Thread(target=produce, daemon=True, name="ccsim-stream")
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
