"""Alternatives: the scenario's plan with its staffing and/or policy overridden.

Staffing overrides: a number or a list (as in `staffing:`), or a change of the
scenario's own staffing: "+2" / "-1" agents in every interval, "+10%" / "-5%" (rounded
up), or "x1.1". Policy overrides have the form of the `policy:` section.

What-ifs change the day instead of the plan: `volume` ("+10%", "x1.2", or a list of day
totals per interval, shared among segments as in the scenario), `handle_time` and
`patience` (every segment's times scaled, the cv kept), `shrinkage`, `accept` and
`revenue` (factors). The seeds stay the same, so differences are still paired over the
same replications (with less noise removed when the callers themselves change).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import yaml
from pydantic import ValidationError

from .compile import compile_policy
from .errors import ScenarioError
from .model import Model
from .schema import Alternative
from .validation import clean_message, format_loc, useful_errors
from .wait_effects import compile_max_wait

_CHANGE = re.compile(r"^\s*([+-])\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")
_FACTOR = re.compile(r"^\s*[x*]\s*(\d+(?:\.\d+)?)\s*$")


def staffing_override(value, base: np.ndarray, T: int, file: str | None, path: str) -> np.ndarray:
    if isinstance(value, int):
        return np.full(T, value, np.int64)
    if isinstance(value, list):
        if len(value) != T:
            raise ScenarioError(
                f"has {len(value)} values but the horizon has {T} intervals", file=file, path=path
            )
        return np.asarray(value, np.int64)
    m = _CHANGE.match(value)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        x = float(m.group(2))
        if m.group(3):
            out = np.ceil(base * (1 + sign * x / 100) - 1e-9)
        else:
            if x != int(x):
                raise ScenarioError(
                    f"{value!r}: a change in agents must be whole", file=file, path=path
                )
            out = base + sign * int(x)
        return np.maximum(out, 0).astype(np.int64)
    m = _FACTOR.match(value)
    if m:
        return np.maximum(np.ceil(base * float(m.group(1)) - 1e-9), 0).astype(np.int64)
    raise ScenarioError(
        f"cannot read staffing change {value!r}; write e.g. +2, -1, +10% or x1.1",
        file=file,
        path=path,
    )


def factor(value, file: str | None, path: str, positive: bool = False) -> float:
    """1.1, "x1.1", "+10%" or "-5%" as a factor (1.1, 1.1, 1.1, 0.95); `positive` for
    durations (a handle time scaled by 0 is no call at all)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        f = float(value)
    else:
        text = str(value)
        m, mf = _CHANGE.match(text), _FACTOR.match(text)
        if m and m.group(3):
            f = 1 + (1 if m.group(1) == "+" else -1) * float(m.group(2)) / 100
        elif mf:
            f = float(mf.group(1))
        else:
            raise ScenarioError(
                f"cannot read change {value!r}; write e.g. +10%, -5%, x1.2 or 1.2",
                file=file,
                path=path,
            )
    if not (0 <= f <= 100) or not np.isfinite(f):
        raise ScenarioError(f"factor {f:g} is out of range (0 to 100)", file=file, path=path)
    if positive and f <= 0:
        raise ScenarioError(
            f"factor {f:g} would make every duration 0; use a factor above 0 (e.g. x0.9)",
            file=file,
            path=path,
        )
    return f


def _what_if(model: Model, alt: Alternative, file: str | None, path: str) -> Model:
    """The day's conditions changed: volumes, handle times, patience, shrinkage, accept
    rates, revenue. The callers change with them; the seeds stay the same."""
    changes: dict = {}
    if alt.volume is not None:
        if isinstance(alt.volume, list):
            if model.steady or len(alt.volume) != model.n_intervals:
                raise ScenarioError(
                    f"has {len(alt.volume)} values but the horizon has {model.n_intervals} "
                    "intervals",
                    file=file,
                    path=f"{path}.volume",
                )
            now = model.rates.sum(axis=1) * model.interval_lengths
            want = np.asarray(alt.volume, float)
            # the new day totals, shared among the segments as in the scenario
            scale = np.divide(want, now, out=np.zeros_like(want), where=now > 0)
            if ((now == 0) & (want > 0)).any():
                raise ScenarioError(
                    "a volume for an interval the scenario leaves empty (no segment mix to "
                    "share it)",
                    file=file,
                    path=f"{path}.volume",
                )
            changes["rates"] = model.rates * scale[:, None]
        else:
            changes["rates"] = model.rates * factor(alt.volume, file, f"{path}.volume")
    if alt.handle_time is not None:
        c = factor(alt.handle_time, file, f"{path}.handle_time", positive=True)
        changes["handle"] = [h.scaled(c) for h in model.handle]
    if alt.patience is not None:
        c = factor(alt.patience, file, f"{path}.patience", positive=True)
        changes["patience"] = [p.scaled(c) for p in model.patience]
    if alt.shrinkage is not None:
        changes["shrinkage"] = alt.shrinkage
    if alt.accept is not None:
        c = factor(alt.accept, file, f"{path}.accept")
        if (model.accept * c > 1 + 1e-12).any():
            raise ScenarioError(
                f"an accept rate would exceed 1 (x{c:g})", file=file, path=f"{path}.accept"
            )
        changes["accept"] = model.accept * c
    if alt.revenue is not None:
        changes["revenue"] = model.revenue * factor(alt.revenue, file, f"{path}.revenue")
    return dataclasses.replace(model, **changes) if changes else model


def alternative_model(
    model: Model, name: str, alt: Alternative, file: str | None = None, path: str | None = None
) -> Model:
    """The model with the alternative's overrides; the customer stream is unchanged."""
    path = path or f"alternatives.{name}"
    assert model.scenario is not None
    staffing = None
    if alt.staffing is not None:
        staffing = staffing_override(
            alt.staffing, model.staffing, model.n_intervals, file, f"{path}.staffing"
        )
        if model.steady and (staffing != staffing[0]).any():
            raise ScenarioError(
                "a steady-state scenario takes one staffing number",
                file=file,
                path=f"{path}.staffing",
            )
    thresholds = max_wait = None
    if alt.policy is not None:  # the whole policy: thresholds and max_wait
        thresholds = compile_policy(
            alt.policy, model.scenario, model.n_intervals, file, prefix=f"{path}.policy"
        )
        max_wait = compile_max_wait(
            alt.policy, model.scenario.segments, model.n_intervals, file, f"{path}.policy"
        )
    # "+2" or "+10%" on a roster keeps the roster (and its rates, breaks and paid time)
    # and pays the added agents at the agent cost; a number or a list replaces it
    relative = isinstance(alt.staffing, str)
    out = _what_if(model, alt, file, path).with_plan(
        staffing=staffing, thresholds=thresholds, keep_roster=relative, max_wait=max_wait
    )
    last_patience_free = any(p.kind == "none" for p in model.patience)
    if not model.steady and last_patience_free and out.staffing[-1] == 0:
        raise ScenarioError(
            "the last interval would have 0 agents and some callers never hang up",
            file=file,
            path=f"{path}.staffing",
        )
    return out


def scenario_alternatives(model: Model) -> dict[str, Model]:
    """The alternatives written in the scenario file."""
    sc = model.scenario
    if sc is None:
        return {}
    return {
        name: alternative_model(model, name, alt, model.source)
        for name, alt in sc.alternatives.items()
    }


def alternative_descriptions(model: Model) -> dict[str, str]:
    """Each alternative of the scenario file with its description ('' if none)."""
    sc = model.scenario
    return {} if sc is None else {n: a.description or "" for n, a in sc.alternatives.items()}


def parse_cli_alternative(text: str) -> tuple[str, Alternative]:
    """`NAME=OVERRIDE`, OVERRIDE a YAML mapping: `nosell={policy: {cross_sell: never}}`,
    `plus2={staffing: "+2"}`."""
    if "=" not in text:
        raise ScenarioError(f"expected NAME=OVERRIDE, got {text!r}", file="--alt")
    name, body = text.split("=", 1)
    name = name.strip()
    if not name:
        raise ScenarioError("the alternative needs a name before '='", file="--alt")
    try:
        data = yaml.safe_load(body)
    except RecursionError:
        raise ScenarioError(
            "nested too deeply to be an override", file="--alt", path=name
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", file="--alt", path=name
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            "the override must be a mapping such as {staffing: '+2'} or "
            "{policy: {cross_sell: never}}",
            file="--alt",
            path=name,
        )
    try:
        return name, Alternative.model_validate(data)
    except ValidationError as exc:
        e = useful_errors(exc, data)[0]
        raise ScenarioError(
            clean_message(e), file="--alt", path=f"{name}.{format_loc(e['_loc'])}"
        ) from None
