"""Reading scenario files: YAML -> pydantic Scenario -> compiled Model, with clear errors."""

from __future__ import annotations

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
            msg = msg[len(prefix):]
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if err["type"] == "missing":
        return "required field is missing"
    return msg


def _useful_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic reports every branch of a union; keep the branch that got furthest."""
    errors = exc.errors()
    # drop union-branch noise: for the same field, prefer errors with the longest path
    best: dict[tuple, dict[str, Any]] = {}
    for e in errors:
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and ("[" in p or p in (
            "int", "float", "str", "list", "ThresholdPolicy", "literal['never','always']"))))
        key = loc[:2]
        if key not in best or len(loc) > len(best[key]["_loc"]):
            best[key] = {**e, "_loc": loc}
    return list(best.values())


def parse_scenario(data: Any, file: str | None = None, base_dir: Path | None = None) -> Model:
    """Validate already-parsed YAML data and compile it."""
    if not isinstance(data, dict):
        raise ScenarioError("the file must hold a mapping of fields (name, horizon, segments, ...)",
                            file=file)
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        errs = _useful_errors(exc)
        first = errs[0]
        more = f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''})" if len(errs) > 1 else ""
        raise ScenarioError(_clean_message(first) + more, file=file, path=format_loc(first["_loc"])) from None
    return compile_scenario(sc, file=file, base_dir=base_dir)


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
