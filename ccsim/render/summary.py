"""The one-page summary of a comparison: Markdown, and HTML with the charts embedded."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from .numbers import difference, value

STATS = [
    ("profit", "Profit", "money"),
    ("revenue", "Cross-sell revenue", "money"),
    ("staffing_cost", "Staffing cost", "money"),
    ("service_level", "Service level", "pct"),
    ("asa", "ASA", "s"),
    ("abandon_rate", "Abandonment", "pct"),
    ("attempts", "Offers", "n"),
    ("conversion", "Conversion", "pct"),
]
# shown when the scenario models the customer beyond the call (or sets satisfaction)
CUSTOMER_STATS = [
    ("satisfaction", "Satisfied callers", "pct"),
    ("value_at_risk", "Customer value at risk", "money"),
    ("long_run_profit", "Long-run profit", "money"),
]


def stats_for(js: dict) -> list[tuple[str, str, str]]:
    """The KPI rows of a comparison: the customer's figures when the scenario has them."""
    c = js.get("customer") or {}
    rows = list(STATS)
    if c.get("value_modelled"):
        rows += CUSTOMER_STATS
    elif c.get("satisfaction_set"):
        rows += CUSTOMER_STATS[:1]
    return rows


_MD_SPECIAL = "\\`*_{}[]<>()#+!|~"


def md_escape(text: str) -> str:
    """User text (names, descriptions) as literal Markdown: no links, emphasis or tables."""
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in str(text))


def worst_interval(intervals: list[dict], measured: list[bool], stat: str, high_good: bool):
    """(label, mean) of the worst measured interval for a statistic, or None."""
    rows = [
        (r["label"], r[stat]["mean"])
        for r, m in zip(intervals, measured, strict=True)
        if m and r[stat]["mean"] is not None
    ]
    if not rows:
        return None
    return (min if high_good else max)(rows, key=lambda x: x[1])


def worst_interval_text(js: dict, name: str, sep: str = ", ") -> str:
    """'SL 74.6% at 16:00, aband. 8.5% at 16:00': the worst interval of an alternative."""
    a = js["alternatives"][name]
    sl = worst_interval(a["intervals"], js["measured"], "service_level", True)
    ab = worst_interval(a["intervals"], js["measured"], "abandon_rate", False)
    parts = []
    if sl:
        parts.append(f"SL {value(sl[1], 'pct')} at {sl[0]}")
    if ab:
        parts.append(f"aband. {value(ab[1], 'pct')} at {ab[0]}")
    return sep.join(parts) or "–"


def verdict_text(a: dict) -> str:
    """'meets the targets' / 'is borderline on ...' / 'misses ...' from the checks."""
    checks = a.get("checks") or []
    if a["verdict"] == "met":
        return "it meets every target" if checks else "the scenario sets no targets"
    parts = []
    for c in checks:
        if c["verdict"] != "met":
            where = "" if c["where"] == "day" else f" (worst: {c['where']})"
            parts.append(f"{c['verdict']}: {c['text']}{where}")
    return "it does NOT meet the targets: " + "; ".join(parts)


def currency(js: dict) -> str:
    """' EUR' after an amount when the scenario names its currency (costs.currency)."""
    c = js.get("currency") or ""
    return f" {c}" if c else ""


def kpi_label(label: str, kind: str, js: dict) -> str:
    c = js.get("currency") or ""
    return f"{label} ({c})" if kind == "money" and c else label


def value_text(js: dict, md: bool = True) -> str:
    """The headline: what cross-selling is worth a day under the recommended plan (else
    the scenario's), against the same staffing without offers."""
    esc = md_escape if md else str
    name = js["recommendation"] or js["baseline"]
    a = js["alternatives"][name]
    v = a.get("cross_sell_value")
    if not v:
        if _makes_offers(a):  # one plan simulated: nothing run without its offers
            return (
                f"'{esc(name)}' makes {value(a['summary']['attempts']['mean'], 'n')} offers a "
                f"day for {value(a['summary']['revenue']['mean'], 'money')}{currency(js)} of "
                f"revenue; what selling is worth net of the service it costs was not measured "
                f"here (ccsim compare runs the plan without offers on the same callers)."
            )
        return f"Under '{esc(name)}' no offers are made, so cross-selling earns nothing."
    p, r, c = v["profit"], v["revenue"], v["service_cost"]
    cur = currency(js)
    text = (
        f"Cross-selling under '{esc(name)}' is worth {p['mean']:+,.0f}{cur} a day{_ci(p)}: "
        f"{r['mean']:,.0f}{cur} of revenue minus {c['mean']:,.0f}{cur} of abandonment and "
        f"decline costs it causes, against the same staffing without offers."
    )
    j = js.get("selling_against_no_sell_plan")
    if j:
        p, r, s, c = j["profit"], j["revenue"], j["staffing_cost"], j["service_cost"]
        text += (
            f" Against the best plan that never offers (staffed for no selling), the optimized "
            f"plan earns {p['mean']:+,.0f}{cur} a day{_ci(p)}: revenue {r['mean']:+,.0f}{cur}, "
            f"staffing cost {s['mean']:+,.0f}{cur}, abandonment and decline costs "
            f"{c['mean']:+,.0f}{cur}."
        )
    return text


def _makes_offers(a: dict) -> bool:
    return bool((a["summary"].get("attempts") or {}).get("mean"))


def _ci(e: dict) -> str:
    lo, hi = e["ci95"]
    return "" if lo is None else f" (95% CI {lo:+,.0f} to {hi:+,.0f})"


def recommendation_text(js: dict, md: bool = True) -> str:
    """The recommendation in one paragraph; `md` escapes user text for Markdown."""
    esc = md_escape if md else str
    rec, base = js["recommendation"], js["baseline"]
    t = js["targets"]
    conf = t.get("confidence", 0.95)
    if rec is None:
        a = js["alternatives"][base]
        head = (
            f"No plan meets every target with {conf:.0%} confidence, so none is recommended. "
            f"The scenario's plan:"
        )
    elif rec == base and len(js["alternatives"]) == 1:
        a = js["alternatives"][rec]
        head = "One plan simulated, the scenario's own."
    elif rec == base:
        a = js["alternatives"][rec]
        head = "Keep the scenario's own plan: no alternative earns more while meeting the targets."
    else:
        a = js["alternatives"][rec]
        # the objective the scenario ranks plans by: profit, or long-run profit
        obj = (js.get("customer") or {}).get("objective", "profit")
        d = a["difference"][obj]
        head = (
            f"Recommend **{esc(rec)}** ({esc(a['description'] or 'alternative')}): "
            f"{'long-run profit' if obj == 'long_run_profit' else 'profit'} "
            f"{d['mean']:+,.0f}{currency(js)} per day against the scenario's plan "
            f"(95% CI {d['ci95'][0]:+,.0f} to {d['ci95'][1]:+,.0f})."
        )
    s = a["summary"]
    svc = (
        f"Service level {value(s['service_level']['mean'], 'pct')}, ASA {value(s['asa']['mean'], 's')}, "
        f"abandonment {value(s['abandon_rate']['mean'], 'pct')}"
    )
    if (js.get("customer") or {}).get("value_modelled"):
        svc += (
            f", customer value at risk {value(s['value_at_risk']['mean'], 'money')}"
            f"{currency(js)}, satisfied callers {value(s['satisfaction']['mean'], 'pct')}"
        )
    out = f"{head} {svc}; {esc(verdict_text(a)) if md else verdict_text(a)} (judged at {conf:.0%} confidence)."
    decided = decided_text(js)
    return f"{out} {esc(decided) if md else decided}" if decided else out


def decided_text(js: dict) -> str:
    """How many days the verdicts took: compare doubles the replications of every plan
    while a verdict is borderline (up to a cap), as the optimizer's confirmation does."""
    v = (js.get("meta") or {}).get("verdicts")
    if not v:
        return ""
    parts = []
    if v["replications"] > v["first"]:
        parts.append(
            f"A verdict was borderline on {v['first']} replications, so more days were run "
            f"(every plan on the same days): verdicts on {v['replications']:,} replications "
            f"(at most {v['cap']:,})."
        )
    for name, need in (v.get("undecided") or {}).items():
        more = (
            f"about {need:,} would decide it"
            if need
            else "its mean sits on the limit: no number of days decides it"
        )
        parts.append(f"'{name}' is still borderline on {v['replications']:,} replications; {more}.")
    return " ".join(parts)


def markdown(js: dict, charts: list[str]) -> str:
    names = list(js["alternatives"])
    lines = [
        f"# {md_escape(js['scenario'])}: comparison of plans",
        "",
        f"**{value_text(js)}**",
        "",
        recommendation_text(js),
        "",
    ]
    lines += ["| KPI | " + " | ".join(map(md_escape, names)) + " |", "|---|" + "---:|" * len(names)]
    for key, label, kind in stats_for(js):
        row = [value(js["alternatives"][n]["summary"][key]["mean"], kind) for n in names]
        lines.append(f"| {kpi_label(label, kind, js)} | " + " | ".join(row) + " |")
    lines.append(
        "| Targets | " + " | ".join(js["alternatives"][n]["verdict"] for n in names) + " |"
    )
    lines.append(
        "| Worst interval | " + " | ".join(worst_interval_text(js, n) for n in names) + " |"
    )
    lines += [
        "",
        f"Difference from the baseline ('{md_escape(js['baseline'])}'), paired over the same "
        "callers, 95% CI; * = significant:",
        "",
        "| KPI | " + " | ".join(md_escape(n) for n in names if n != js["baseline"]) + " |",
        "|---|" + "---:|" * (len(names) - 1),
    ]
    for key, label, kind in stats_for(js):
        row = [
            difference(js["alternatives"][n]["difference"][key], kind)
            for n in names
            if n != js["baseline"]
        ]
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    lines += ["", "## Charts", ""] + [f"![{c}]({c}.png)" for c in charts]
    lines += ["", "## Definitions", ""]
    lines += [f"- **{k}**: {v}" for k, v in js["definitions"].items()]
    if js["targets"].get("rule"):
        lines.append(f"- **targets**: {js['targets']['rule']}")
    meta = js.get("meta", {})
    lines += [
        f"- **run**: {meta.get('replications')} replications per alternative, seed "
        f"{meta.get('seed')}, {meta.get('calls_simulated', 0):,} simulated calls; every alternative "
        "sees the same callers (common random numbers)."
    ]
    if js.get("optimize_method"):
        lines += [f"- **optimized plan**: {js['optimize_method']}"]
    return "\n".join(lines) + "\n"


def to_html(md_text: str, out: Path, charts: list[str]) -> str:
    """Self-contained HTML: the Markdown's content, charts inlined as base64 PNG."""
    body = []
    in_table = False
    for line in md_text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            if set("".join(cells)) <= set("-:"):
                continue
            if not in_table:
                body.append("<table>")
                in_table = True
                tag = "th"
            else:
                tag = "td"
            body.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("!["):
            name = line[2 : line.index("]")]
            data = base64.b64encode((out / f"{name}.png").read_bytes()).decode()
            body.append(
                f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
                f"</figure>"
            )
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("- "):
            body.append(f"<li>{_inline(line[2:])}</li>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    css = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;"
        "text-align:right}td:first-child,th:first-child{text-align:left}img{width:100%}"
        "figure{margin:1em 0}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>ccsim comparison</title>"
        f"<style>{css}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def _inline(text: str) -> str:
    """Markdown inline to HTML: **bold**, backslash escapes (user text) kept literal."""
    escaped: list[str] = []

    def hold(m: re.Match) -> str:
        escaped.append(m.group(1))
        return f"\x00{len(escaped) - 1}\x00"

    t = re.sub(r"\\(.)", hold, text)
    t = html.escape(t)
    while t.count("**") >= 2:
        t = t.replace("**", "<b>", 1).replace("**", "</b>", 1)
    return re.sub("\x00(\\d+)\x00", lambda m: html.escape(escaped[int(m.group(1))]), t)
