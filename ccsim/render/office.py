"""The answer in the planner's own files: an Excel workbook and a PowerPoint deck.

Both are built from the comparison JSON (`compare.json`, also written by `simulate
--out`), so they say exactly what the tables, charts and summary page say.

- workbook.xlsx (openpyxl): one sheet per table (Day, Differences, Intervals, Segments,
  Plan, Definitions); numbers are numbers, rates are fractions formatted as percentages,
  money and seconds have their own formats; no total row among the interval rows.
- deck.pptx (python-pptx): a title slide with the recommendation, one slide per chart
  with its finding (the chart's title) as the slide title and the key numbers in the
  speaker notes, and a table slide of the alternatives.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from ccsim.sim.stats import DEFINITIONS, STATISTICS

from ..output import write_bytes
from .numbers import kind_of
from .summary import kpi_label, recommendation_text, stats_for, value_text

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


def _chart_title(png: Path) -> str:
    """The chart's finding, which `ccsim.render.charts` stores in the PNG's Title metadata."""
    from PIL import Image

    with Image.open(png) as im:
        return str(im.info.get("Title") or png.stem.replace("_", " "))


def _key_numbers(js: dict) -> str:
    alts = js["alternatives"]
    names = [js["baseline"]] + ([js["recommendation"]] if js["recommendation"] else [])
    lines = []
    for n in dict.fromkeys(names):
        s = alts[n]["summary"]
        lines.append(
            f"{n}: profit {s['profit']['mean']:,.0f}, SL {100 * s['service_level']['mean']:.1f}%, "
            f"ASA {s['asa']['mean']:.1f} s, abandonment {100 * s['abandon_rate']['mean']:.1f}% "
            f"({alts[n]['verdict']})"
        )
    return "\n".join(lines)


def deck(js: dict, charts: list[Path], path: Path) -> Path:
    """deck.pptx from compare JSON and the chart PNGs; written atomically."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)  # 16:9
    s = prs.slides.add_slide(prs.slide_layouts[0])
    s.shapes.title.text = js["scenario"]
    s.placeholders[1].text = (
        value_text(js, md=False) + "\n" + recommendation_text(js, md=False).replace("**", "")
    )
    for p in s.placeholders[1].text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(16)
    notes = _key_numbers(js)
    s.notes_slide.notes_text_frame.text = notes
    blank = prs.slide_layouts[5]  # title only
    for png in charts:
        s = prs.slides.add_slide(blank)
        s.shapes.title.text = _chart_title(png).replace("\n", " ")
        for p in s.shapes.title.text_frame.paragraphs:
            p.font.size = Pt(24)
        s.shapes.add_picture(str(png), Inches(1.2), Inches(1.4), height=Inches(5.9))
        s.notes_slide.notes_text_frame.text = notes
    s = prs.slides.add_slide(blank)
    s.shapes.title.text = "Alternatives on the same callers"
    alts = js["alternatives"]
    cols = [
        "Alternative",
        *[kpi_label(label, kind, js) for _, label, kind in stats_for(js)],
        "Targets",
    ]
    shape = s.shapes.add_table(
        len(alts) + 1, len(cols), Inches(0.4), Inches(1.5), Inches(12.5), Inches(0.4)
    )
    tbl = shape.table
    for j, c in enumerate(cols):
        tbl.cell(0, j).text = c
    for i, (n, a) in enumerate(alts.items(), start=1):
        tbl.cell(i, 0).text = n
        for j, (key, _, kind) in enumerate(stats_for(js), start=1):
            v = a["summary"][key]["mean"]
            tbl.cell(i, j).text = (
                "–"
                if v is None
                else {
                    "money": f"{v:,.0f}",
                    "pct": f"{100 * v:.1f}%",
                    "s": f"{v:.1f} s",
                    "n": f"{v:,.0f}",
                }[kind]
            )
        tbl.cell(i, len(cols) - 1).text = a["verdict"]
    for row in tbl.rows:
        for cell in row.cells:
            for p in cell.text_frame.paragraphs:
                for r in p.runs:
                    r.font.size = Pt(12)
    s.notes_slide.notes_text_frame.text = notes
    buf = io.BytesIO()
    prs.save(buf)
    return write_bytes(path, buf.getvalue())
