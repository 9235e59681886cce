"""Text that a spreadsheet will not run: names from scenarios and logs are user text.

A cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel,
LibreOffice and Google Sheets when a CSV is opened; a segment named `=HYPERLINK(...)`
would run on the planner's machine. CSV writers pass text cells through `neutralise`,
which puts an apostrophe in front (the convention spreadsheet-safe exports use: the
cell shows the text as typed); numbers are left alone, so -3.5 stays a number. The
readers of ccsim's own CSVs pass names through `restore`, so a name survives the round
trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would read as a formula gets a leading "'"."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The text `neutralise` was given."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START) and not _is_number(text[1:]):
        return text[1:]
    return text


def header_names(names: Sequence[str] | None) -> list[str]:
    """A CSV header as names (stripped, `restore`d); raises ValueError on a name given
    twice: a reader keyed by name would silently use one of the two columns."""
    out = [restore((n or "").strip()) for n in (names or [])]
    seen: dict[str, int] = {}
    for i, n in enumerate(out, start=1):
        if n and n in seen:
            raise ValueError(
                f"column {n!r} appears twice in the header (columns {seen[n]} and {i})"
            )
        seen[n] = i
    return out
