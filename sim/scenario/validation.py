"""Pydantic's validation errors in a planner's words: the field path as written in the
file ('segments.premium.volume[3]'), one error per field, 'did you mean' for typos."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError


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


def clean_message(err: dict[str, Any]) -> str:
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


def _rank(err_type: str) -> int:
    """At the same depth: an unknown field first, then a real problem of a branch the
    user chose, last "should be 'never' or 'always'" from a union branch not chosen."""
    return 0 if err_type == "extra_forbidden" else 2 if err_type == "literal_error" else 1


def useful_errors(exc: ValidationError, data: Any) -> list[dict[str, Any]]:
    """One error per field; of a union's alternatives, the one that got deepest into the data."""
    best: dict[tuple, dict[str, Any]] = {}
    for e in exc.errors():
        loc = _data_path(e["loc"], data, e["type"])
        key = loc[:3]
        held = best.get(key)
        # deeper wins; at the same depth an unknown field wins over a missing one (the
        # typo 'maen' explains the missing 'mean', not the other way round)
        if (
            held is None
            or len(loc) > len(held["_loc"])
            or len(loc) == len(held["_loc"])
            and _rank(e["type"]) < _rank(held["type"])
        ):
            best[key] = {**e, "_loc": loc}
    # an unknown field first: it often explains a "missing" one (a typo of its name)
    return sorted(best.values(), key=lambda e: (e["type"] != "extra_forbidden", -len(e["_loc"])))
