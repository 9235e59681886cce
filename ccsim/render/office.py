"""The answer in the planner's spreadsheet: workbook.xlsx, built from the comparison
JSON (`compare.json`, also written by `simulate --out`), so it says exactly what the
tables, charts and summary page say (the deck: `render.deck`).

One sheet per table (Day, Differences, Intervals, Segments, Plan, Definitions); numbers
are numbers, rates are fractions formatted as percentages, money and seconds have their
own formats; no total row among the interval rows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from ccsim.sim.stats import DEFINITIONS, STATISTICS

from ..output import write_bytes
from .numbers import kind_of

FORMATS = {"pct": "0.0%", "s": "0.0", "money": "#,##0", "n": "#,##0.0"}


def _header(stat: str) -> str:
    unit = {"pct": " (%)", "s": " (s)", "money": "", "n": ""}[kind_of(stat)]
    return stat + unit


def workbook(js: dict, path: Path) -> Path:
    """workbook.xlsx from compare JSON; written atomically. One sheet per view: the day,
    the paired differences (when there is an alternative to differ from), intervals,
    segments, the plan, and the definitions of every statistic."""
    from openpyxl import Workbook

    wb = Workbook()
    alts = js["alternatives"]
    stats = list(STATISTICS)
    _sheet(
        wb,
        "Day",
        ["alternative", "description", "verdict", *[_header(s) for s in stats]],
        [
            [n, a["description"], a["verdict"], *[a["summary"][s]["mean"] for s in stats]]
            for n, a in alts.items()
        ],
        [None, None, None, *[kind_of(s) for s in stats]],
    )
    diff_rows = [
        [n, *[x for s in stats for x in (a["difference"][s]["mean"], *a["difference"][s]["ci95"])]]
        for n, a in alts.items()
        if a["difference"]
    ]
    if diff_rows:  # a single plan has nothing to differ from: no empty sheet
        _sheet(
            wb,
            "Differences",
            ["alternative", *[f"{_header(s)} {x}" for s in stats for x in ("diff", "lo", "hi")]],
            diff_rows,
            [None, *[kind_of(s) for s in stats for _ in range(3)]],
        )
    base = alts[js["baseline"]]
    int_stats = [s for s in stats if s in base["intervals"][0]]
    _sheet(
        wb,
        "Intervals",
        ["alternative", "interval", "agents", *[_header(s) for s in int_stats]],
        [
            [n, r["label"], r["staffing"], *[r[s]["mean"] for s in int_stats]]
            for n, a in alts.items()
            for r in a["intervals"]
            if r.get("measured", True)
        ],
        [None, None, "n", *[kind_of(s) for s in int_stats]],
    )
    seg_stats = [s for s in stats if s in next(iter(base["segments"].values()))]
    _sheet(
        wb,
        "Segments",
        ["alternative", "segment", *[_header(s) for s in seg_stats]],
        [
            [n, seg, *[v[s]["mean"] for s in seg_stats]]
            for n, a in alts.items()
            for seg, v in a["segments"].items()
        ],
        [None, None, *[kind_of(s) for s in seg_stats]],
    )
    segs = js["segments"]
    _sheet(
        wb,
        "Plan",
        ["alternative", "interval", "agents", *[f"threshold {s}" for s in segs]],
        _plan_rows(js),
        [None, None, "n", *[None] * len(segs)],
    )
    _sheet(
        wb,
        "Definitions",
        ["statistic", "definition"],
        [[s, DEFINITIONS.get(s, "")] for s in stats],
        [None, None],
    )
    wb.remove(wb["Sheet"])
    buf = io.BytesIO()
    wb.save(buf)
    return write_bytes(path, buf.getvalue())


def _plan_rows(js: dict) -> list[list]:
    """Each alternative's agents and thresholds per interval."""
    rows = []
    for n, a in js["alternatives"].items():
        pol = a["plan"]["policy"]
        for i, label in enumerate(js["interval_labels"]):
            row = [n, label, a["plan"]["staffing"][i]]
            for seg in js["segments"]:
                v = pol.get(seg, "never")
                if isinstance(v, dict):
                    th = v["threshold"]
                    v = th[i] if isinstance(th, list) else th
                row.append(v)
            rows.append(row)
    return rows


def _sheet(wb, title: str, header: list[str], rows: list[list], kinds: Sequence[str | None]):
    """A sheet with a bold header, number formats by kind, and every string as text."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(header)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append([None if v is None else v for v in r])
    for row in ws.iter_rows():
        for cell in row:
            # openpyxl stores a string that starts with '=' as a formula: names are
            # user text (a segment called '=1+2'), so every string is written as text
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for j, k in enumerate(kinds, start=1):
        if k is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.number_format = FORMATS[k]
    for j, h in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(40, len(h) + 2))
    ws.freeze_panes = "B2"
    return ws
