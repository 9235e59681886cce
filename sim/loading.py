"""Reading scenario files: YAML -> pydantic Scenario -> compiled Model, with clear errors."""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ScenarioError
from .forecast_files import resolve_file_columns
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


def _field_names() -> list[str]:
    """Every field name the scenario format knows (for 'did you mean')."""
    from pydantic import BaseModel

    from . import distributions, schema

    names: set[str] = set()
    for mod in (schema, distributions):
        for obj in vars(mod).values():
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
                names.update(obj.model_fields)
    return sorted(names)


def _clean_message(err: dict[str, Any]) -> str:
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if err["type"] == "extra_forbidden":
        name = str(err["_loc"][-1]) if err.get("_loc") else ""
        close = difflib.get_close_matches(name, _field_names(), n=1, cutoff=0.75)
        return f"unknown field {name!r}" + (f"; did you mean {close[0]!r}?" if close else "")
    ctx = err.get("ctx") or {}
    words = {
        "less_than_equal": ("le", "less than or equal to"),
        "less_than": ("lt", "less than"),
        "greater_than_equal": ("ge", "greater than or equal to"),
        "greater_than": ("gt", "greater than"),
    }
    if err["type"] in words and words[err["type"]][0] in ctx:
        key, word = words[err["type"]]
        bound = ctx[key]
        if isinstance(bound, (int, float)) and not isinstance(bound, bool):
            return (
                f"must be {word} {bound:,}"
                if float(bound).is_integer() and abs(bound) >= 1000
                else f"must be {word} {bound:g}"
            )
    if err["type"] == "int_parsing_size":
        return "number too large"
    if err["type"] == "finite_number":
        value = err.get("input")
        return f"must be a finite number, got {'NaN' if value != value else value}"
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
    # an unknown field first: it often explains a "missing" one (a typo of its name)
    return sorted(best.values(), key=lambda e: (e["type"] != "extra_forbidden", -len(e["_loc"])))


def parse_scenario(data: Any, file: str | None = None, base_dir: Path | None = None) -> Model:
    """Validate already-parsed YAML data and compile it."""
    if not isinstance(data, dict):
        raise ScenarioError(
            "the file must hold a mapping of fields (name, horizon, segments, ...)", file=file
        )
    data = resolve_file_columns(data, file, base_dir)
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping: YAML would keep the
    second silently (a second `premium:` segment, a stray second `staffing:`)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ScenarioError(
                    f"duplicate key {key!r} (first on line {seen[key]}, again on line {line})",
                    file=getattr(self, "_ccsim_file", None),
                    path=f"line {line}",
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml_text(text: str, file: str | None = None) -> Any:
    """YAML text -> data, refusing duplicate keys."""
    loader = _UniqueKeyLoader(text)
    loader._ccsim_file = file  # type: ignore[attr-defined]
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


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
        return load_yaml_text(text, str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"not valid YAML: {problem}", file=str(path), path=where) from None


def load_scenario(path: str | Path) -> Model:
    """Load, validate and compile a scenario file. Raises ScenarioError on any bad input."""
    data = read_yaml(path)
    return parse_scenario(data, file=str(path), base_dir=Path(path).resolve().parent)
