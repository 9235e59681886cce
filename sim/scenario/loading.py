"""Reading scenario files: YAML -> pydantic Scenario -> compiled Model, with clear errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .alternatives import scenario_alternatives
from .compile import compile_scenario
from .errors import ScenarioError, input_file_problem
from .forecast_files import resolve_file_columns
from .model import Model
from .schema import Scenario
from .validation import clean_message, format_loc, useful_errors


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
        errs = useful_errors(exc, data)
        first = errs[0]
        more = (
            f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''})"
            if len(errs) > 1
            else ""
        )
        raise ScenarioError(
            clean_message(first) + more, file=file, path=format_loc(first["_loc"])
        ) from None
    model = compile_scenario(sc, file=file, base_dir=base_dir)
    model.raw = copy.deepcopy(data)
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
    except RecursionError:
        # a scenario is a few levels deep; 100,000 nested brackets are not one
        raise ScenarioError("nested too deeply to be a scenario", file=file) from None
    finally:
        loader.dispose()


def read_yaml(path: str | Path) -> Any:
    p = Path(path)
    problem = input_file_problem(p)
    if problem == "is a folder, not a file":
        problem = "is a folder, not a scenario file"
    if problem is not None:
        raise ScenarioError(problem, file=str(path))
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
