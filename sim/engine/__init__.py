"""The engine room: the customer stream, the event heap, the compiled and the reference
engines, window re-runs and call-level records."""
