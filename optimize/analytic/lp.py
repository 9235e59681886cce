"""Solving pulp models with HiGHS without a word on the terminal.

HiGHS (1.16) prints a banner to the process's standard output when a solver object is
made, whatever its options say; `ccsim ... --json` must print JSON and nothing else. The
banner is written by C++ code, so it is silenced at the file-descriptor level.
"""

from __future__ import annotations

import contextlib
import os
import sys

import pulp


@contextlib.contextmanager
def _stdout_silenced():
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a captured or replaced stdout
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def solve(prob: pulp.LpProblem, time_limit: float | None = None) -> str:
    """Solve with HiGHS, quietly; the pulp status ('Optimal', 'Infeasible', ...)."""
    opts = {} if time_limit is None else {"timeLimit": time_limit}
    with _stdout_silenced():
        prob.solve(pulp.HiGHS(msg=False, **opts))
    return pulp.LpStatus[prob.status]
