"""Shared test helpers: scenarios from dicts, hand-made customer streams."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy import stats as sps

from ccsim import sim
from ccsim.sim.engine.stream import CallerChunk


def model_from(data: dict) -> sim.Model:
    return sim.parse_scenario(data, file="<test>")


def steady(
    rate: str,
    handle: dict,
    staffing: int,
    patience: dict | None = None,
    length: str = "400h",
    reps: int = 10,
    seed: int = 1,
    within: str = "20s",
    extra_segments: dict | None = None,
    policy=None,
) -> sim.Model:
    seg = {"rate": rate, "handle_time": handle}
    if patience:
        seg["patience"] = patience
    data = {
        "horizon": {"steady_state": {"warmup": "20h", "length": length}},
        "segments": {"calls": seg, **(extra_segments or {})},
        "staffing": staffing,
        "targets": {"service_level": {"within": within}},
        "simulation": {"replications": reps, "seed": seed},
    }
    if policy is not None:
        data["policy"] = {"cross_sell": policy}
    return model_from(data)


def chunk(
    arrival,
    segment=None,
    base=None,
    patience=None,
    eligible=None,
    offer=None,
    accept=None,
    close=None,
    interval=None,
) -> CallerChunk:
    """A hand-written stream: lists per attribute (defaults: segment 0, no patience, ...)."""
    n = len(arrival)

    def arr(x, default, dtype=float):
        return np.asarray(x if x is not None else [default] * n, dtype=dtype)

    return CallerChunk(
        0,
        arr(arrival, 0.0),
        arr(interval, 0, np.int64),
        arr(segment, 0, np.int64),
        arr(base, 60.0),
        arr(patience, math.inf),
        arr(eligible, False, bool),
        arr(offer, 0.0),
        arr(accept, False, bool),
        arr(close, 0.0),
    )


def within_ci(est: sim.Estimate, exact: float, z: float = 3.0) -> bool:
    """|mean - exact| <= z standard errors, the standard error read off the 95% t-interval."""
    t = sps.t.ppf(0.975, est.n - 1)
    se = est.half_width / t
    return abs(est.mean - exact) <= z * se


SVG = "{http://www.w3.org/2000/svg}"


def svg_texts_and_ids(path: Path) -> tuple[str, set[str]]:
    """Every text of an SVG chart (joined) and every element id (the series' gids)."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    texts = " ".join("".join(el.itertext()) for el in root.iter(f"{SVG}text"))
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    return texts, ids
