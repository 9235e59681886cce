"""Reading scenario files: YAML -> pydantic Scenario -> compiled Model, with clear errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ScenarioError
from .model import Model, compile_scenario
from .schema import Scenario


def format_loc(loc: tuple) -> str:
    """('segments', 'premium', 'volume', 3) -> 'segments.premium.volume[3]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _clean_message(err: dict[str, Any]) -> str:
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if err["type"] == "missing":
        return "required field is missing"
    return msg


def _data_path(loc: tuple, data: Any, err_type: str) -> tuple:
    """Keep the parts of a pydantic location that index into the user's data.

    Pydantic adds the names of union branches ('constrained-float', 'list[int]', the
    'dist' tag) to locations; a planner only knows the fields they wrote.
    """
    node, out = data, []
    for i, part in enumerate(loc):
        if (
            isinstance(node, dict)
            and part in node
            or isinstance(node, list)
            and isinstance(part, int)
            and 0 <= part < len(node)
        ):
            out.append(part)
            node = node[part]
        elif i == len(loc) - 1 and err_type in ("missing", "extra_forbidden"):
            out.append(part)
    return tuple(out)


def _useful_errors(exc: ValidationError, data: Any) -> list[dict[str, Any]]:
    """One error per field; of a union's alternatives, the one that got deepest into the data."""
    best: dict[tuple, dict[str, Any]] = {}
    for e in exc.errors():
        loc = _data_path(e["loc"], data, e["type"])
        key = loc[:3]
        if key not in best or len(loc) > len(best[key]["_loc"]):
            best[key] = {**e, "_loc": loc}
    return sorted(best.values(), key=lambda e: -len(e["_loc"]))


def parse_scenario(data: Any, file: str | None = None, base_dir: Path | None = None) -> Model:
    """Validate already-parsed YAML data and compile it."""
    if not isinstance(data, dict):
        raise ScenarioError(
            "the file must hold a mapping of fields (name, horizon, segments, ...)", file=file
        )
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        errs = _useful_errors(exc, data)
        first = errs[0]
        more = (
            f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''})"
            if len(errs) > 1
            else ""
        )
        raise ScenarioError(
            _clean_message(first) + more, file=file, path=format_loc(first["_loc"])
        ) from None
    model = compile_scenario(sc, file=file, base_dir=base_dir)
    model.raw = copy.deepcopy(data)
    from .alternatives import scenario_alternatives

    scenario_alternatives(model)  # report mistakes in alternatives when the file is read
    return model


def read_yaml(path: str | Path) -> Any:
    p = Path(path)
    if not p.exists():
        raise ScenarioError("file not found", file=str(path))
    if p.is_dir():
        raise ScenarioError("is a directory, not a scenario file", file=str(path))
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read: {exc}", file=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"not valid YAML: {problem}", file=str(path), path=where) from None


def load_scenario(path: str | Path) -> Model:
    """Load, validate and compile a scenario file. Raises ScenarioError on any bad input."""
    data = read_yaml(path)
    return parse_scenario(data, file=str(path), base_dir=Path(path).resolve().parent)
