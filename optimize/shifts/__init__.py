"""The shifts room: staffing as shifts with breaks that a center can run, chosen with the
selling policy: the cheapest covering roster (a MIP), then moves on the roster by
simulation."""
