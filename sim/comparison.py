"""Plans run on the same callers: the results side by side, their paired differences,
each plan's verdict on the targets, the recommendation, and what selling is worth under
each plan. How they are run is `ccsim.optimize.compare`; how they are shown, ccsim's
render package."""

from __future__ import annotations

from dataclasses import dataclass, field

from .results import SimResult, paired_difference, selling_value
from .scenario.model import Model
from .scenario.targets import overall


@dataclass
class CompareResult:
    model: Model
    baseline: str
    models: dict[str, Model]
    results: dict[str, SimResult]
    descriptions: dict[str, str]
    grid: dict | None = None
    frontier: list[dict] | None = None
    optimize_method: str | None = None
    meta: dict = field(default_factory=dict)
    no_sell: dict[str, SimResult] = field(default_factory=dict)  # each plan without offers

    def cross_sell_value(self, name: str) -> dict | None:
        """What cross-selling earns under the plan, against the same plan without offers
        on the same seeds: profit (revenue minus the service cost it causes), revenue,
        and the extra abandonment and decline costs; None if the plan offers nothing."""
        base = self.no_sell.get(name)
        return None if base is None else selling_value(self.results[name], base)

    def difference(self, name: str, stat: str):
        return paired_difference(self.results[self.baseline], self.results[name], stat)

    def verdict(self, name: str) -> str:
        """'met' / 'borderline' / 'missed': the alternative's targets (the one rule)."""
        return overall(self.model.targets.judge(self.results[name]))

    def recommendation(self) -> str | None:
        """The alternative with the highest objective (profit, or long-run profit when the
        scenario says so) whose every target is met (None if none is)."""
        ok = [n for n in self.results if self.verdict(n) == "met"]
        if not ok:
            return None
        stat = self.model.optimizer.objective
        return max(ok, key=lambda n: self.results[n].summary[stat].mean)
