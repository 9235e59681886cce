"""Executors: the same numbers in-process, on a process pool and on a Dask cluster;
a task whose worker dies is run again."""

import os
from pathlib import Path

import numpy as np
import pytest

from ccsim import sim
from ccsim.sim.stats import STATISTICS

ROOT = Path(__file__).resolve().parent.parent


def same(a, b):
    for s in STATISTICS:
        assert np.array_equal(a.samples[s], b.samples[s], equal_nan=True), s
    for ea, eb in zip(a.intervals, b.intervals, strict=True):
        assert ea["profit"].mean == eb["profit"].mean


def _die_once(args):
    marker, value = args
    if not os.path.exists(marker):
        Path(marker).write_text("x")
        os._exit(1)  # the worker process dies without a word
    return value * 2


def _fail_once(args):
    marker, value = args
    if not os.path.exists(marker):
        Path(marker).write_text("x")
        raise RuntimeError("transient failure")
    return value * 2


def test_process_pool_retries_a_dead_worker(tmp_path):
    with sim.LocalPool(2) as pool:
        out = dict(pool.imap(_die_once, [(str(tmp_path / "m"), v) for v in range(5)]))
    assert out == {i: 2 * i for i in range(5)}


def test_dask_cluster_same_numbers_and_retries(tmp_path):
    distributed = pytest.importorskip("distributed")
    m = sim.load_scenario(ROOT / "scenarios" / "telecom_support.yaml")
    local = sim.simulate(m, replications=8, seed=5)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ex = sim.DaskExecutor(client)
        assert ex.workers == 2
        remote = sim.simulate(m, replications=8, seed=5, executor=ex)
        same(local, remote)
        out = dict(ex.imap(_fail_once, [(str(tmp_path / "f"), v) for v in range(4)]))
        assert out == {i: 2 * i for i in range(4)}


def test_worker_count_does_not_change_results():
    m = sim.load_scenario(ROOT / "scenarios" / "retail_bank.yaml")
    one = sim.simulate(m, replications=7, seed=2)
    with sim.LocalPool(2) as pool:
        two = sim.simulate(m, replications=7, seed=2, executor=pool)
    same(one, two)
