"""Scenarios from call logs: read an ACD log, fit the inputs, back-test the result."""

from .backtest import BacktestResult, backtest, read_observed
from .fit import Calibration, calibrate
from .logs import CallLog, read_anonymous_bank, read_ccsim_calls, read_csv_log

__all__ = [
    "BacktestResult",
    "Calibration",
    "CallLog",
    "backtest",
    "calibrate",
    "read_anonymous_bank",
    "read_ccsim_calls",
    "read_csv_log",
    "read_observed",
]
