"""The analytic room: Erlang B/C/A, the exact Markov chain, the fluid LP and the search's
analytic starting point; closed forms and solvers, no simulation search."""
