"""deck.pptx: the comparison as slides a planner can present (python-pptx).

A 16:9 layout of its own: on every slide a title box across the slide, and below it,
never overlapping, one picture or one table. A chart's finding is the slide's title and
the picture is drawn without its own title, so it is said once. The recommendation comes
first, then the charts in the order a planner tells the story (the day, the trade-off,
what selling earns, the policy, the callers' waits), then the table of alternatives.
Each slide's speaker notes hold that slide's key numbers and the verdict.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from ..output import write_bytes
from .charts.findings import interval_plans, shortfall
from .numbers import value
from .summary import kpi_label, recommendation_text, stats_for, value_text, worst_interval_text

SLIDE_W, SLIDE_H = 13.333, 7.5  # inches, 16:9
MARGIN = 0.5
TITLE_TOP, TITLE_H = 0.3, 1.15
BODY_TOP = TITLE_TOP + TITLE_H + 0.1
BODY_H = SLIDE_H - BODY_TOP - 0.3
# the story: the day, the trade-off, what selling earns, the policy, the callers' waits,
# the customer beyond the call; the ASA view (most often far from its target) last
STORY = (
    "intervals",
    "profit_vs_service_level",
    "cross_sell",
    "threshold_heatmap",
    "waiting_time",
    "offers_by_wait",
    "profit_vs_value_at_risk",
    "profit_vs_asa",
)
CHAR_W = 0.55 / 72  # inches per point of font size: a wide average character


def deck(js: dict, images: dict[str, tuple[str, bytes]], path: Path) -> Path:
    """deck.pptx from compare JSON and the charts drawn without their titles (name ->
    (finding, PNG)); written atomically."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    _recommendation_slide(prs, js)
    order = [n for n in STORY if n in images] + [n for n in images if n not in STORY]
    for name in order:
        finding, png = images[name]
        s = _slide(prs, finding)
        _picture(s, png)
        s.notes_slide.notes_text_frame.text = chart_notes(name, finding, js)
    _table_slide(prs, js)
    buf = io.BytesIO()
    prs.save(buf)
    return write_bytes(path, buf.getvalue())


def _slide(prs, title: str):
    """A slide with the title box across the top (the layout's own title placeholder,
    moved and sized for 16:9: outline view and screen readers still find it)."""
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    s = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    t = s.shapes.title
    t.left, t.top = Inches(MARGIN), Inches(TITLE_TOP)
    t.width, t.height = Inches(SLIDE_W - 2 * MARGIN), Inches(TITLE_H)
    tf = t.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.vertical_anchor = MSO_ANCHOR.MIDDLE
    tf.text = title.replace("\n", " ")
    size = title_size(title)
    for p in tf.paragraphs:
        p.alignment = 1  # left
        for r in p.runs:
            r.font.size = Pt(size)
    return s


def title_size(title: str) -> int:
    """The largest font (points) at which the title fits the box in at most two lines."""
    width = SLIDE_W - 2 * MARGIN - 0.2
    for size in (32, 28, 24, 22, 20, 18):
        per_line = width / (size * CHAR_W)
        lines = math.ceil(len(title) / per_line)
        if lines <= 2 and lines * size * 1.2 / 72 <= TITLE_H:
            return size
    return 16


def _picture(s, png: bytes) -> None:
    """The chart in the body box, as large as it fits, centred, its aspect kept."""
    from PIL import Image
    from pptx.util import Inches

    with Image.open(io.BytesIO(png)) as im:
        w, h = im.size
    height = min(BODY_H, (SLIDE_W - 2 * MARGIN) * h / w)
    width = height * w / h
    s.shapes.add_picture(
        io.BytesIO(png), Inches((SLIDE_W - width) / 2), Inches(BODY_TOP), height=Inches(height)
    )


def _recommendation_slide(prs, js: dict) -> None:
    """The scenario's name, then what to do and what selling is worth."""
    from pptx.util import Inches, Pt

    s = _slide(prs, js["scenario"])
    box = s.shapes.add_textbox(
        Inches(MARGIN), Inches(BODY_TOP), Inches(SLIDE_W - 2 * MARGIN), Inches(BODY_H)
    )
    tf = box.text_frame
    tf.word_wrap = True
    rec = recommendation_text(js, md=False).replace("**", "")
    head, _, rest = rec.partition(". ")  # the advice first, in bold; then why
    texts = [head + ("." if rest else ""), rest, value_text(js, md=False)]
    for i, text in enumerate(t for t in texts if t):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.text = text
        p.space_after = Pt(14)
        for r in p.runs:
            r.font.size = Pt(24 if i == 0 else 16)
            r.font.bold = i == 0
    s.notes_slide.notes_text_frame.text = "\n".join([texts[0], "", *_plan_lines(js, _drawn(js))])


def _table_slide(prs, js: dict) -> None:
    """Every alternative's day figures and verdict, in columns sized to their longest
    word so that no word is broken."""
    from pptx.util import Inches, Pt

    alts = js["alternatives"]
    rec = js["recommendation"]
    if len(alts) == 1:
        title = f"The scenario's plan for the day: targets {next(iter(alts.values()))['verdict']}"
    elif rec:
        title = f"{len(alts)} plans on the same callers: '{rec}' is recommended"
    else:
        title = f"{len(alts)} plans on the same callers: none meets every target"
    s = _slide(prs, title)
    stats = stats_for(js)
    header = ["Plan", *[kpi_label(label, kind, js) for _, label, kind in stats], "Targets"]
    rows = [
        [n, *[value(a["summary"][key]["mean"], kind) for key, _, kind in stats], a["verdict"]]
        for n, a in alts.items()
    ]
    size, widths = table_layout([header, *rows], SLIDE_W - 2 * MARGIN)
    shape = s.shapes.add_table(
        len(rows) + 1,
        len(header),
        Inches(MARGIN),
        Inches(BODY_TOP),
        Inches(sum(widths)),
        Inches(0.4 * (len(rows) + 1)),
    )
    tbl = shape.table
    for j, w in enumerate(widths):
        tbl.columns[j].width = Inches(w)
    for i, row in enumerate([header, *rows]):
        for j, text in enumerate(row):
            cell = tbl.cell(i, j)
            cell.text = text
            cell.margin_left = cell.margin_right = Inches(0.05)
            for p in cell.text_frame.paragraphs:
                p.alignment = 1 if j == 0 else 3  # names left, numbers right
                for r in p.runs:
                    r.font.size = Pt(size)
    s.notes_slide.notes_text_frame.text = "\n".join(
        [title, "", *_plan_lines(js, list(alts)), "", js["targets"].get("rule", "")]
    )


def table_layout(rows: list[list[str]], width: float) -> tuple[int, list[float]]:
    """A font size (points) and column widths (inches) at which every column holds its
    longest word: the largest size from 14 down that fits `width`."""
    longest = [
        max(len(w) for row in rows for w in str(row[j]).split() or [""])
        for j in range(len(rows[0]))
    ]
    for size in (14, 13, 12, 11, 10, 9, 8):
        need = [n * size * CHAR_W + 0.15 for n in longest]
        if sum(need) <= width:
            spare = (width - sum(need)) / len(need)
            return size, [w + spare for w in need]
    need = [n * 8 * CHAR_W + 0.15 for n in longest]
    scale = width / sum(need)
    return 8, [w * scale for w in need]


def _drawn(js: dict) -> list[str]:
    """The plans the charts are about: the scenario's and the recommended one."""
    rec = js["recommendation"]
    return list(dict.fromkeys([js["baseline"], *([rec] if rec else [])]))


def _plan_lines(js: dict, names: list[str]) -> list[str]:
    """One line per plan: profit, service, verdict (and on which target it falls short)."""
    cur = js.get("currency") or ""
    lines = []
    for n in names:
        a = js["alternatives"][n]
        s = a["summary"]
        why = shortfall(a)
        lines.append(
            f"{n}: profit {value(s['profit']['mean'], 'money')}{f' {cur}' if cur else ''} a day, "
            f"SL {value(s['service_level']['mean'], 'pct')}, ASA {value(s['asa']['mean'], 's')}, "
            f"abandonment {value(s['abandon_rate']['mean'], 'pct')}; targets {a['verdict']}"
            + (f" ({why})" if why else "")
        )
    return lines


def chart_notes(name: str, finding: str, js: dict) -> str:
    """Speaker notes for a chart's slide: its finding, the numbers it shows, the verdict."""
    alts = js["alternatives"]
    rec = js["recommendation"] or js["baseline"]
    lines = [finding, ""]
    if name == "intervals":
        lines += [f"{n}: worst interval {worst_interval_text(js, n)}" for n in interval_plans(js)]
    elif name == "cross_sell":
        for seg, v in alts[rec]["segments"].items():
            lines.append(
                f"{seg} under '{rec}': {value(v['attempts']['mean'], 'n')} offers a day, "
                f"conversion {value(v['conversion']['mean'], 'pct')}, revenue "
                f"{value(v['revenue']['mean'], 'money')}"
            )
    elif name == "threshold_heatmap" and js.get("grid"):
        g = js["grid"]
        lines.append(
            f"Grid of thresholds for {g['segments'][0]} and {g['segments'][1]}, each cell "
            f"judged on {g['replications']} replications (the verdicts of the other slides "
            f"use {js.get('meta', {}).get('replications')})."
        )
    elif name == "waiting_time":
        T = js["targets"]["within"]
        for seg, w in alts[rec]["waiting"].items():
            cdf = w["cdf_answered"]
            lines.append(
                f"{seg}: {value(cdf[min(int(T), len(cdf) - 1)], 'pct')} of answered callers "
                f"waited at most {T:g} s"
            )
    names = (
        list(alts)
        if name.startswith("profit_vs")
        else interval_plans(js)
        if name == "intervals"
        else _drawn(js)
    )
    return "\n".join([*lines, "", *_plan_lines(js, names)])
