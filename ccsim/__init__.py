"""ccsim: call-center queueing simulator and staffing optimizer with cross-sell policies.

The application layer: the command line (`ccsim ...`), tables and charts. The model
lives in `sim` (simulation) and `optimize` (analytic models and search).
"""

__version__ = "0.1.0"
