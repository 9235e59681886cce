"""The search room: one module per decision (staffing, thresholds; shifts have their own
room), the shared rules for judging a move, and the two searches that use them: by
simulation (any scenario) and exact (Markov-solvable ones)."""
