"""The planner's files beside the numbers: charts, summary page, workbook, deck, roster."""

from __future__ import annotations

from pathlib import Path

from ..output import dicts_csv, write_text


def write_roster(roster: dict, out: Path) -> None:
    """roster.csv (one row per shift pattern; breaks as 'start-end' joined by ';') and the
    coverage and shift charts."""
    from ..render.charts.roster import draw_roster

    rows = [
        {
            "template": r["template"],
            "start": r["start"],
            "end": r["end"],
            "breaks": ";".join(r["breaks"]),
            "agents": r["agents"],
            "paid_hours": round(r["paid_hours"], 4),
        }
        for r in roster["rows"]
    ]
    write_text(out / "roster.csv", dicts_csv(rows))
    draw_roster(roster, out)


def write_deck(js: dict, out: Path, charts_only: bool = False) -> list[str]:
    """Charts (PNG + SVG), the one-page summary (Markdown, HTML), the workbook and the
    deck under `out` (with `charts_only`, no summary page)."""
    from ..render.charts.comparison import draw_all
    from ..render.charts.style import untitled_images
    from ..render.deck import deck
    from ..render.office import workbook
    from ..render.summary import markdown, to_html

    with untitled_images() as images:
        paths = draw_all(js, out)
    names = sorted({p.stem for p in paths}, key=[p.stem for p in paths].index)
    if not charts_only:
        md = markdown(js, names)
        write_text(out / "summary.md", md)
        write_text(out / "summary.html", to_html(md, out, names))
    workbook(js, out / "workbook.xlsx")
    deck(js, images, out / "deck.pptx")
    return names
