"""The words of a chart's finding, taken from the one verdict: which plans meet the
targets, which earn more without meeting them, and on which target they fall short."""

from __future__ import annotations

STAT_WORDS = {
    "service_level": "service level",
    "abandon_rate": "abandonment",
    "asa": "ASA",
    "occupancy": "occupancy",
}


def shortfall(a: dict) -> str:
    """'borderline on abandonment' / 'misses service level': an alternative's worst
    verdicts, by target; '' when it meets them all."""
    if a["verdict"] == "met":
        return ""
    by: dict[str, list[str]] = {}
    for c in a.get("checks") or []:
        if c["verdict"] != "met":
            by.setdefault(c["verdict"], []).append(STAT_WORDS.get(c["statistic"], c["statistic"]))
    parts = [
        f"{'misses' if v == 'missed' else 'is borderline on'} {' and '.join(dict.fromkeys(by[v]))}"
        for v in ("missed", "borderline")
        if v in by
    ]
    return " and ".join(parts) or a["verdict"]


def legend_name(js: dict, n: str) -> str:
    """An alternative's name in a legend, with what it is: recommended, or short of a target."""
    a = js["alternatives"][n]
    if n == js["recommendation"]:
        return f"{n} (recommended)"
    if a["verdict"] != "met":
        return f"{n} ({'misses a target' if a['verdict'] == 'missed' else 'borderline'})"
    return n


def richer_unmet(js: dict, ref: str | None, limit: int = 2) -> str:
    """'; 'sell_harder' earns more but is borderline on abandonment': the plans that earn
    more than `ref` (or any plan, when none is recommended) without meeting every target."""
    alts = js["alternatives"]
    floor = -float("inf") if ref is None else _profit(alts[ref])
    richer = sorted(
        (n for n, a in alts.items() if a["verdict"] != "met" and _profit(a) > floor),
        key=lambda n: -_profit(alts[n]),
    )
    if not richer:
        return ""
    said = [f"'{n}' earns more but {shortfall(alts[n])}" for n in richer[:limit]]
    more = f" (and {len(richer) - limit} more)" if len(richer) > limit else ""
    return "; " + "; ".join(said) + more


def _profit(a: dict) -> float:
    m = a["summary"]["profit"]["mean"]
    return -float("inf") if m is None else float(m)


def interval_plans(js: dict) -> list[str]:
    """The plans the intervals chart draws: the scenario's, every plan with other
    staffing, and the recommended one."""
    alts, base, rec = js["alternatives"], js["baseline"], js["recommendation"]
    show = [base] + [
        n
        for n in alts
        if n != base and alts[n]["plan"]["staffing"] != alts[base]["plan"]["staffing"]
    ]
    return show + ([rec] if rec is not None and rec not in show else [])
