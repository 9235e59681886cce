"""One interface for running independent tasks: in-process, a local process pool, or Dask.

Tasks are pure functions of their arguments (a replication draws its own random numbers
from the seed), so the answer never depends on which executor or how many workers ran it.
A task whose worker dies is submitted again, up to `retries` times.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any


class Executor:
    """Runs `fn(item)` for each item; yields (index, result) as tasks finish."""

    workers: int = 1

    def imap(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None and hasattr(self, "abort"):
            self.abort()  # interrupted or failed: do not wait for queued work
        else:
            self.close()


class InProcess(Executor):
    def imap(self, fn, items):
        for i, x in enumerate(items):
            yield i, fn(x)


def _worker_init() -> None:
    """Workers leave Ctrl-C to the main process (no tracebacks from each of them) and die
    with it, even when it is killed outright (Linux: parent-death signal)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover - no libc by that name
            pass


class LocalPool(Executor):
    """A process pool; a broken pool (a worker killed) is replaced and its tasks rerun."""

    def __init__(self, workers: int | None = None, retries: int = 2):
        self.workers = workers or os.cpu_count() or 1
        self.retries = retries
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_init)
        return self._pool

    def imap(self, fn, items):
        todo = dict(enumerate(items))
        tries = dict.fromkeys(todo, 0)
        while todo:
            pool = self._get_pool()
            futures = {pool.submit(fn, x): i for i, x in todo.items()}
            pending = set(futures)
            broken = False
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    i = futures.pop(f)  # a consumed result is not kept alive by the map
                    try:
                        res = f.result()
                    except BrokenProcessPool:
                        broken = True
                        tries[i] += 1
                        if tries[i] > self.retries:
                            raise
                        continue
                    del todo[i]
                    del f
                    yield i, res
            if broken:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def abort(self) -> None:
        """Stop now: drop queued tasks and kill the running ones (their results are not
        wanted; waiting for them kept a Ctrl-C'd run alive for minutes)."""
        global _ABORTED
        if self._pool is not None:
            procs = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                if proc.is_alive():
                    proc.kill()
            for proc in procs:
                proc.join(timeout=5)
            self._pool = None
            _ABORTED = True


_ABORTED = False


def executor_was_aborted() -> bool:
    """Did a pool kill its workers in this process? Then the pool's bookkeeping thread
    may wait on a result cut in half, and a clean exit must not join it (the CLI leaves
    with os._exit after an interrupt)."""
    return _ABORTED


class DaskExecutor(Executor):
    """Tasks on a Dask cluster (`dask scheduler` + `dask worker ADDRESS`); retried on failure."""

    def __init__(self, address: str | Any, retries: int = 2):
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("Dask is not installed: pip install 'ccsim[dask]'") from exc
        client: Any = address if hasattr(address, "submit") else Client(address, timeout=10)
        self.client = client
        self._own = not hasattr(address, "submit")
        self.retries = retries
        info = client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def imap(self, fn, items):
        from distributed import as_completed

        futures = self.client.map(fn, list(items), retries=self.retries, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for f in as_completed(futures):
            yield index[f.key], f.result()

    def close(self) -> None:
        if self._own:
            self.client.close()


def make_executor(workers: int | None = None, dask: str | None = None) -> Executor:
    """`workers=1` runs in-process; `dask` takes a scheduler address."""
    if dask:
        return DaskExecutor(dask)
    workers = workers or os.cpu_count() or 1
    return InProcess() if workers <= 1 else LocalPool(workers)
