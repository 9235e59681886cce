"""What-ifs: alternatives that change the day (volumes, handle times, patience,
shrinkage, accept rates, revenue), and the volume sensitivity of compare."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ccsim import sim
from ccsim.cli import app
from ccsim.sim.engine.stream import customer_stream
from ccsim.sim.scenario.alternatives import alternative_model, factor
from ccsim.sim.scenario.schema import Alternative

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "scenarios" / "retail_bank.yaml"


@pytest.mark.parametrize(
    "text,f", [("+10%", 1.1), ("-5%", 0.95), ("x1.2", 1.2), ("*0.8", 0.8), (1.3, 1.3)]
)
def test_factors(text, f):
    assert factor(text, None, "v") == pytest.approx(f)


def test_bad_factor_names_its_field():
    with pytest.raises(sim.ScenarioError, match=r"alternatives\.a\.volume.*cannot read"):
        alternative_model(sim.load_scenario(BANK), "a", Alternative(volume="lots"))


def test_volume_and_times_change_exactly():
    m = sim.load_scenario(BANK)
    busy = alternative_model(m, "busy", Alternative(volume="+10%"))
    np.testing.assert_allclose(busy.rates, m.rates * 1.1)
    totals = [100.0] * m.n_intervals
    flat = alternative_model(m, "flat", Alternative(volume=totals))
    np.testing.assert_allclose(flat.rates.sum(axis=1) * 1800, totals)
    np.testing.assert_allclose(
        flat.rates[:, 0] / flat.rates.sum(axis=1), m.rates[:, 0] / m.rates.sum(axis=1)
    )
    slow = alternative_model(m, "slow", Alternative(handle_time="x1.1", patience="-20%"))
    # the same seeds draw the same callers, each handle time 10% longer, patience 20% shorter
    a = next(iter(customer_stream(m, 3, 0)))
    b = next(iter(customer_stream(slow, 3, 0)))
    np.testing.assert_allclose(b.base, a.base * 1.1, rtol=1e-12)
    np.testing.assert_allclose(b.patience, a.patience * 0.8, rtol=1e-12)
    np.testing.assert_array_equal(b.arrival, a.arrival)
    other = alternative_model(m, "o", Alternative(shrinkage=0.1, accept="x0.5", revenue="+20%"))
    assert other.shrinkage == 0.1
    np.testing.assert_allclose(other.accept, m.accept * 0.5)
    np.testing.assert_allclose(other.revenue, m.revenue * 1.2)
    with pytest.raises(sim.ScenarioError, match="accept rate would exceed 1"):
        alternative_model(m, "o", Alternative(accept="x10"))


def test_compare_what_if_and_sensitivity(tmp_path):
    r = CliRunner().invoke(
        app,
        [
            "compare",
            str(BANK),
            "-r",
            "8",
            "--no-grid",
            "--workers",
            "1",
            "--sensitivity",
            "--alt",
            "busy={volume: '+10%', description: volumes 10% above}",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    busy = js["alternatives"]["busy"]
    assert (
        busy["summary"]["offered"]["mean"]
        > js["alternatives"]["scenario"]["summary"]["offered"]["mean"]
    )
    rows = js["sensitivity"]["rows"]
    assert [x["volume"] for x in rows] == ["forecast", "+5%", "+10%"]
    # on the same seeds more calls to the same agents: service falls
    assert rows[2]["service_level"]["mean"] < rows[0]["service_level"]["mean"]
    assert all(x["verdict"] in ("met", "borderline", "missed") for x in rows)
