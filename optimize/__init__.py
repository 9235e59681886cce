"""ccsim's analytic models and optimizer (Erlang B/C/A, the exact Markov model, the fluid LP)."""
