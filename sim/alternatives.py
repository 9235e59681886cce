"""Alternatives: the scenario's plan with its staffing and/or policy overridden.

Staffing overrides: a number or a list (as in `staffing:`), or a change of the
scenario's own staffing: "+2" / "-1" agents in every interval, "+10%" / "-5%" (rounded
up), or "x1.1". Policy overrides have the form of the `policy:` section.
"""

from __future__ import annotations

import re

import numpy as np
import yaml
from pydantic import ValidationError

from .errors import ScenarioError
from .loading import _clean_message, _useful_errors, format_loc
from .model import Model, compile_policy
from .schema import Alternative

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
    thresholds = None
    if alt.policy is not None:
        thresholds = compile_policy(
            alt.policy, model.scenario, model.n_intervals, file, prefix=f"{path}.policy"
        )
    out = model.with_plan(staffing=staffing, thresholds=thresholds)
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
        e = _useful_errors(exc, data)[0]
        raise ScenarioError(
            _clean_message(e), file="--alt", path=f"{name}.{format_loc(e['_loc'])}"
        ) from None
