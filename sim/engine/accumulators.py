"""What an engine fills: sums per (interval, segment) and field, busy and staffed agent
time, and waiting-time histograms; memory independent of the number of calls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# fields of the per-(interval, segment) accumulator
(
    OFFERED,
    ANSWERED,
    ABANDONED,
    ANS_T,
    ABN_T,
    WAIT_ANS,
    WAIT_ALL,
    WAITED,
    HANDLE,
    COMPLETED,
    ATTEMPTS,
    ACCEPTS,
    REVENUE,
    DECLINES,
    VALUE_RISK,  # sum over callers of customer value x P(customer lost)
    SATISFIED,  # callers answered in time and not pitched after a long wait
) = range(16)
NFIELDS = 16
HIST_BINS = 1801  # 1-second bins of waiting time; the last holds waits of 30 min and more
# rows of the waiting-time histogram: waits of answered and of abandoned callers, and the
# waits of callers offered the product and of those who bought it (offers by wait)
H_ANSWERED, H_ABANDONED, H_OFFERS, H_SALES = range(4)
HIST_ROWS = 4


@dataclass
class RepResult:
    """What one replication leaves behind: sums, never per-call lists."""

    counts: np.ndarray  # (T, K, NFIELDS)
    busy: np.ndarray  # (T+1,) busy agent-seconds per interval; index T: after the close
    staffed: np.ndarray  # (T+1,) staffed agent-seconds (max(staffing, busy) integrated)
    hist: np.ndarray  # (HIST_ROWS, K, HIST_BINS) waits: answered, abandoned, offered, sold
    calls: int  # callers simulated
    end_time: float  # when the last caller left
