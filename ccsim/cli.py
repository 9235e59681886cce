"""The `ccsim` command line. Bad input prints one line (file: field: problem) and exits 2.

Each command lives in `ccsim.commands`, one module per planning question; they are
registered here, in the order `ccsim --help` lists them.
"""

from __future__ import annotations

from .commands import analytic, calibrate, compare, optimize, scenario, simulate
from .commands.common import EXIT_INFEASIBLE, Command, app

__all__ = ["EXIT_INFEASIBLE", "app", "main"]

for name, command in (
    ("simulate", simulate.simulate),
    ("optimize", optimize.optimize_cmd),
    ("compare", compare.compare),
    ("plot", compare.plot),
    ("calibrate", calibrate.calibrate),
    ("backtest", calibrate.backtest),
    ("validate", scenario.validate),
    ("init", scenario.init),
    ("erlang", analytic.erlang),
    ("markov", analytic.markov),
):
    app.command(name, cls=Command)(command)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
