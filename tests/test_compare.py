"""`ccsim compare` and the charts: paired differences, figures read back from the SVG."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import svg_texts_and_ids
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.optimize.compare import compare
from ccsim.render.charts.comparison import CHARTS
from ccsim.sim.scenario.alternatives import scenario_alternatives
from ccsim.sim.scenario.targets import Targets, overall

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_paired_differences_are_differences_on_the_same_seeds():
    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    res = compare(m, scenario_alternatives(m), replications=6, grid=False)
    for name in ("no_cross_sell", "plus_two", "sell_harder"):
        for stat in ("profit", "service_level", "attempts"):
            d = res.difference(name, stat)
            per_rep = res.results[name].samples[stat] - res.results["scenario"].samples[stat]
            assert d.mean == pytest.approx(float(np.mean(per_rep)), rel=1e-12, abs=1e-12)
            # and equal to the difference of the two alternatives' own means
            a, b = res.results[name].summary[stat].mean, res.results["scenario"].summary[stat].mean
            assert d.mean == pytest.approx(a - b, rel=1e-9, abs=1e-9)
    # common random numbers: the same callers in every alternative
    offered = {n: r.samples["offered"] for n, r in res.results.items()}
    assert all(np.array_equal(v, offered["scenario"]) for v in offered.values())
    # and the pairing narrows the interval: profit difference CI < the CI of either profit
    d = res.difference("plus_two", "profit")
    assert d.half_width < res.results["plus_two"].summary["profit"].half_width


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    r = runner.invoke(
        app,
        [
            "compare",
            str(ROOT / "scenarios" / "retail_bank.yaml"),
            "-r",
            "6",
            "--alt",
            "minus1={staffing: '-1'}",
            "--alt",
            # sells more and keeps every target with room to spare: the recommendation
            "premium_always={policy: {cross_sell: {premium: always, mass: {threshold: -1}}}}",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    return out, r.stdout


def test_compare_table_and_files(compared):
    out, stdout = compared
    assert "baseline" in stdout and "Targets" in stdout and "Recommend" in stdout
    js = json.loads((out / "compare.json").read_text())
    assert set(js["alternatives"]) == {
        "scenario",
        "no_cross_sell",
        "plus_two",
        "sell_harder",
        "minus1",
        "premium_always",
    }
    # one verdict everywhere: the table, the JSON and the recommendation agree
    assert js["recommendation"] == "premium_always"
    assert js["alternatives"]["premium_always"]["verdict"] == "met"
    for a in js["alternatives"].values():
        assert a["meets_targets"] == (a["verdict"] == "met")
        assert a["verdict"] == sim.overall([]) or a["checks"]
    assert js["alternatives"]["minus1"]["plan"]["staffing"][0] == 17
    assert (out / "compare.csv").read_text().startswith("alternative,statistic,mean")
    html = (out / "summary.html").read_text()
    assert html.count("data:image/png;base64,") == len(CHARTS)
    assert "Recommend" in (out / "summary.md").read_text()


def test_charts_have_titles_axes_and_series(compared):
    out, _ = compared
    js = json.loads((out / "compare.json").read_text())
    names = list(js["alternatives"])
    for chart in CHARTS:
        png = out / f"{chart}.png"
        assert png.stat().st_size > 20_000
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        w, h = (
            int.from_bytes(png.read_bytes()[16:20], "big"),
            int.from_bytes(png.read_bytes()[20:24], "big"),
        )
        assert (w, h) == (2000, 1125)  # 16:9 at 200 dpi
    texts, ids = svg_texts_and_ids(out / "profit_vs_service_level.svg")
    assert "earns" in texts and "(recommended)" in texts
    assert {f"series:{n}" for n in names} <= ids and "series:target" in ids
    texts, ids = svg_texts_and_ids(out / "profit_vs_asa.svg")
    assert "Answered callers wait" in texts and "ASA: mean wait of answered calls (s)" in texts
    assert {f"series:{n}" for n in names} <= ids
    # the 40 s target far beyond every plan: named in the legend, not drawn
    assert "target: ASA <= 40 s (off the chart)" in texts and "series:target" not in ids
    texts, ids = svg_texts_and_ids(out / "intervals.svg")
    assert "Agents on the phones" in texts and "Service level (%)" in texts
    assert any(i.startswith("series:offered:") for i in ids)
    assert "series:staffing:scenario" in ids and "series:staffing:minus1" in ids
    # a day target: each drawn plan's lowest interval, never a count of intervals "below"
    # (a day target allows some)
    assert re.search(
        r"Day target SL 80%; lowest interval \d+\.\d% at \d\d:\d\d under 'scenario'", texts
    )
    texts, ids = svg_texts_and_ids(out / "cross_sell.svg")
    assert "cross-sell revenue" in texts
    assert any(i.startswith("series:revenue:sell_harder:") for i in ids)
    texts, ids = svg_texts_and_ids(out / "threshold_heatmap.svg")
    assert "Best thresholds" in texts and "series:profit_grid" in ids and "series:best" in ids
    grid = js["grid"]
    assert grid["segments"] == ["premium", "mass"] and len(grid["profit"]) == 11
    texts, ids = svg_texts_and_ids(out / "waiting_time.svg")
    assert "series:wait:premium" in ids and "series:wait:mass" in ids


def test_plot_redraws_from_saved_results(compared, tmp_path):
    out, _ = compared
    r = runner.invoke(app, ["plot", str(out / "compare.json"), "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    for chart in CHARTS:
        assert (tmp_path / f"{chart}.svg").exists()
    r = runner.invoke(app, ["plot", str(ROOT / "README.md")])
    assert r.exit_code == 2


def test_simulate_out_draws_charts(tmp_path):
    r = runner.invoke(
        app,
        [
            "simulate",
            str(ROOT / "scenarios" / "telecom_support.yaml"),
            "-r",
            "3",
            "--out",
            str(tmp_path),
            "--workers",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    for chart in ("intervals", "waiting_time", "cross_sell"):
        assert (tmp_path / f"{chart}.png").exists() and (tmp_path / f"{chart}.svg").exists()
    from pptx import Presentation

    slides = list(Presentation(tmp_path / "deck.pptx").slides)
    assert slides[-1].shapes.title.text.startswith("The scenario's plan for the day: targets")
    # telecom's SL target holds in every interval: the intervals slide counts its verdicts
    assert slides[1].shapes.title.text.startswith("Service level target 75% in every interval")


def test_intervals_title_names_a_floor_as_a_floor():
    """A floor beside a day target is the per-interval check; the title gives its own
    level, not the day target's."""
    from ccsim.render.charts.comparison import _intervals_finding

    checks = [
        {"statistic": "service_level", "target": "service_level", "verdict": "met", "limit": 0.8},
        {
            "statistic": "service_level",
            "target": "service_level_floor",
            "limit": 0.7,
            "verdict": "borderline",
            "intervals": {"met": 14, "borderline": 2, "missed": 0},
        },
    ]
    js = {
        "alternatives": {"scenario": {"checks": checks}},
        "targets": {"service_level": 0.8},
        "measured": [True] * 16,
    }
    assert _intervals_finding(js, ["scenario"]) == (
        "SL floor 70% in every interval (day target 80%), of 16: 'scenario' misses it in 0, "
        "borderline in 2"
    )


@pytest.mark.parametrize(
    "alt,words",
    [
        ("nosell", "NAME=OVERRIDE"),
        ("x={staffing: '+two'}", "cannot read staffing change"),
        ("x={polcy: never}", "unknown field"),
        ("x={policy: {cross_sell: {gold: always}}}", "unknown segment"),
    ],
)
def test_bad_alternatives(alt, words):
    r = runner.invoke(app, ["compare", str(ROOT / "scenarios" / "retail_bank.yaml"), "--alt", alt])
    assert r.exit_code == 2 and words in r.stderr and "--alt" in r.stderr


def test_workbook_and_deck_read_back(compared):
    """workbook.xlsx: one sheet per table, numbers as numbers, rates as fractions
    formatted as percentages, interval rows only; deck.pptx: a title slide with the
    recommendation, one slide per chart titled with its finding, notes with the key
    numbers, and a table of the alternatives."""
    from openpyxl import load_workbook
    from pptx import Presentation

    out, _ = compared
    js = json.loads((out / "compare.json").read_text())
    names = list(js["alternatives"])
    wb = load_workbook(out / "workbook.xlsx")
    assert wb.sheetnames == ["Day", "Differences", "Intervals", "Segments", "Plan", "Definitions"]
    day = wb["Day"]
    head = [c.value for c in day[1]]
    j = head.index("service_level (%)") + 1
    assert [day.cell(i, 1).value for i in range(2, day.max_row + 1)] == names
    cell = day.cell(2, j)
    assert isinstance(cell.value, float) and 0 < cell.value <= 1 and cell.number_format == "0.0%"
    assert cell.value == pytest.approx(
        js["alternatives"][names[0]]["summary"]["service_level"]["mean"]
    )
    ints = wb["Intervals"]
    assert ints.max_row - 1 == len(names) * 24  # no total row among the intervals
    assert {ints.cell(i, 2).value for i in range(2, ints.max_row + 1)} == set(js["interval_labels"])
    assert wb["Differences"].max_row - 1 == len(names) - 1
    prs = Presentation(out / "deck.pptx")
    slides = list(prs.slides)
    assert len(slides) == 1 + len(CHARTS) + 1
    assert slides[0].shapes.title.text == js["scenario"]
    titles = [s.shapes.title.text for s in slides[1:-1]]
    assert all(titles) and len(set(titles)) == len(titles)  # no two slides alike
    # the story: the day first, the ASA view (often far from its target) last
    assert titles[0].startswith("Day target SL 80%") and titles[-1].startswith("Answered callers")
    table = next(sh for sh in slides[-1].shapes if sh.has_table).table
    assert [table.cell(i, 0).text for i in range(1, len(names) + 1)] == names


def test_deck_layout_is_16_9_and_says_each_finding_once(compared):
    """Every shape inside the 16:9 slide, none overlapping another; a chart slide's title
    is the chart's finding (the PNG's Title) and its picture is drawn without that
    title; each slide's notes are its own; table columns hold their longest word."""
    from PIL import Image
    from pptx import Presentation
    from pptx.util import Emu

    from ccsim.render.deck import CHAR_W, table_layout

    out, _ = compared
    prs = Presentation(out / "deck.pptx")
    assert (Emu(prs.slide_width).inches, Emu(prs.slide_height).inches) == pytest.approx(
        (13.333, 7.5), abs=0.01
    )
    findings = {}
    for chart in CHARTS:
        with Image.open(out / f"{chart}.png") as im:
            findings[im.info["Title"]] = (out / f"{chart}.png").read_bytes()
    notes = []
    for slide in prs.slides:
        boxes = [(s.left, s.top, s.left + s.width, s.top + s.height) for s in slide.shapes]
        for x0, y0, x1, y1 in boxes:
            assert 0 <= x0 < x1 <= prs.slide_width and 0 <= y0 < y1 <= prs.slide_height
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
        pics = [s for s in slide.shapes if s.shape_type == 13]
        if pics:
            title = slide.shapes.title.text
            assert title in findings  # the chart's finding is the slide's title
            assert pics[0].image.blob != findings[title]  # ... and not drawn twice
        notes.append(slide.notes_slide.notes_text_frame.text)
    assert len(set(notes)) == len(notes) and all(notes)
    size, widths = table_layout([["Plan", "Abandonment"], ["no_cross_sell", "1.6%"]], 3.0)
    assert widths[0] >= len("no_cross_sell") * size * CHAR_W
    assert widths[1] >= len("Abandonment") * size * CHAR_W


def test_value_of_cross_selling_is_the_headline(compared):
    """Each plan that offers carries what selling is worth against the same staffing
    without offers; profit difference = revenue - (abandonment + decline costs), exactly
    (same seeds, same staffing). The summary leads with it, in the scenario's currency."""
    out, stdout = compared
    js = json.loads((out / "compare.json").read_text())
    assert js["currency"] == "EUR"
    for a in js["alternatives"].values():
        v = a["cross_sell_value"]
        if a["plan"]["policy"] and all(p == "never" for p in a["plan"]["policy"].values()):
            assert v is None
            continue
        assert v["profit"]["mean"] == pytest.approx(
            v["revenue"]["mean"] - v["service_cost"]["mean"], abs=1e-6
        )
        assert v["revenue"]["mean"] == pytest.approx(a["summary"]["revenue"]["mean"])
    md = (out / "summary.md").read_text()
    assert md.splitlines()[2].startswith("**Cross-selling under") and "EUR a day" in md
    assert "Profit (EUR)" in md and "Cross-selling under" in stdout


def test_single_plan_draws_only_charts_that_say_something(tmp_path):
    """simulate --out: one plan has no profit-against-service trade-off and no threshold
    grid: those charts are not drawn (no placeholder); the others, the workbook and the
    deck are."""
    r = runner.invoke(
        app,
        [
            "simulate",
            str(ROOT / "scenarios" / "retail_bank.yaml"),
            "-r",
            "4",
            "--out",
            str(tmp_path),
            "--workers",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    drawn = {p.stem for p in tmp_path.glob("*.png")}
    assert drawn == {"intervals", "cross_sell", "waiting_time"}
    assert (tmp_path / "workbook.xlsx").exists() and (tmp_path / "deck.pptx").exists()
    # the deck's headline does not claim what one plan cannot show: the plan makes offers
    # (no "no offers are made"), their net value was not measured, nothing was compared
    from pptx import Presentation

    first = Presentation(str(tmp_path / "deck.pptx")).slides[0]
    text = " ".join(sh.text_frame.text for sh in first.shapes if sh.has_text_frame)
    assert "no offers are made" not in text and "not measured" in text
    assert "no alternative earns more" not in text and "One plan simulated" in text


def test_selling_against_the_best_no_sell_plan(tmp_path):
    """compare --with-optimized also optimizes a plan that never offers (its own staffing)
    and reports selling against it: profit difference = revenue - extra staffing - extra
    abandonment and decline costs, exactly (same seeds), and it is the difference of the
    two plans' own means."""
    exp = {"dist": "exponential"}
    scenario = {
        "name": "stationary seller",
        "horizon": {"steady_state": {"warmup": "5h", "length": "100h", "batches": 4}},
        "segments": {
            "a": {
                "rate": "90/h",
                "handle_time": {**exp, "mean": "4min"},
                "patience": {**exp, "mean": "3min"},
                "cross_sell": {
                    "eligible": 0.8,
                    "accept": 0.3,
                    "revenue": 30,
                    "offer_time": {**exp, "mean": "1.5min"},
                },
            }
        },
        "staffing": 10,
        "costs": {"agent_per_hour": 30, "abandoned_call": 3},
        "targets": {"service_level": {"within": "20s", "fraction": 0.8}},
        "simulation": {"replications": 6, "seed": 3},
    }
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(scenario))
    r = runner.invoke(
        app, ["compare", str(path), "--with-optimized", "--json", "--workers", "1", "-r", "6"]
    )
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    alts = js["alternatives"]
    assert set(alts) == {"scenario", "optimized", "optimized_no_sell"}
    assert set(alts["optimized_no_sell"]["plan"]["policy"].values()) == {"never"}
    assert set(alts["optimized"]["plan"]["policy"].values()) != {"never"}
    j = js["selling_against_no_sell_plan"]
    assert j["profit"]["mean"] == pytest.approx(
        j["revenue"]["mean"] - j["staffing_cost"]["mean"] - j["service_cost"]["mean"], abs=1e-6
    )
    s, n = alts["optimized"]["summary"], alts["optimized_no_sell"]["summary"]
    for stat in ("profit", "revenue", "staffing_cost"):
        assert j[stat]["mean"] == pytest.approx(s[stat]["mean"] - n[stat]["mean"], abs=1e-6)
    assert j["revenue"]["mean"] == pytest.approx(s["revenue"]["mean"])  # no-sell earns none


def test_borderline_verdicts_get_more_days_until_decided():
    """compare decides verdicts as the optimizer does: a plan borderline on 20 days sends
    every plan to twice the days (same seeds, so the pairing holds) until no verdict is
    borderline or the cap is reached; the numbers are simulate's on that many days, and a
    verdict still borderline says how many days would decide it."""
    from ccsim.optimize.compare import decide_cap, replications_to_decide

    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    # 10% fewer agents: abandonment near its 5% cap, borderline on 20 days
    tight = m.with_plan(staffing=np.ceil(m.staffing * 0.9).astype(int))
    first = sim.simulate(tight, replications=20, seed=m.seed)
    assert overall(Targets.from_model(m).judge(first)) == "borderline"
    c = compare(m, {"tight": tight}, grid=False)
    v = c.meta["verdicts"]
    n = v["replications"]
    assert 20 < n <= v["cap"] == decide_cap(m, 20, 4)
    assert c.results["tight"].meta["replications"] == n
    again = sim.simulate(tight, replications=n, seed=m.seed)
    assert c.results["tight"].summary["abandon_rate"].mean == pytest.approx(
        again.summary["abandon_rate"].mean, rel=1e-12
    )
    if c.verdict("tight") == "borderline":
        assert v["undecided"]["tight"] == replications_to_decide(
            Targets.from_model(m), c.results["tight"]
        )
        assert v["undecided"]["tight"] > n
    else:
        assert v["undecided"] == {}


def test_simulate_decides_a_borderline_verdict_on_more_days(tmp_path):
    """simulate applies compare's rule: borderline on 20 days, the same plan on 40, 80,
    ... (the first 20 are the same days) until decided; it says so, and the JSON has it."""
    import yaml

    d = yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text())
    d["staffing"] = [int(x) for x in np.ceil(np.array(d["staffing"]) * 0.9)]
    f = tmp_path / "tight.yaml"
    f.write_text(yaml.safe_dump(d))
    res = CliRunner().invoke(app, ["simulate", str(f), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "borderline on 20 replications" in res.output
    assert "verdicts on 80 replications" in res.output
    js = json.loads(CliRunner().invoke(app, ["simulate", str(f), "--json"]).stdout)
    assert js["meta"]["replications"] == 80
    assert js["meta"]["verdicts"] == {"replications": 80, "first": 20, "cap": 1280, "undecided": {}}
