"""The commented example scenario that `ccsim init` writes."""

EXAMPLE = """\
# ccsim scenario. Durations carry units (20s, 4.5min, 1h); rates too (120/h, 10/min).
# Check it with `ccsim validate FILE`, run it with `ccsim simulate FILE`.
name: My call center
description: Weekday inbound, two segments, card cross-sell.

# The day: 16 half hours from 09:00. For a steady-state run instead write
#   horizon: {steady_state: {warmup: 20h, length: 2000h, batches: 20}}
horizon: {start: "09:00", interval: 30min, intervals: 16}

forecast:
  uncertainty_cv: 0.05        # random day-level volume factor (gamma, mean 1); 0 = off
  # total: [...]              # optional total calls per interval; segments then give 'share'

segments:
  premium:
    volume: 30                # calls per interval: one number or a list of 16
    handle_time: {dist: lognormal, mean: 6min, cv: 0.9}
    # other distributions: {dist: exponential, mean: ..}, {dist: gamma, mean: .., cv: ..},
    # {dist: deterministic, value: ..}, {dist: uniform, low: .., high: ..},
    # {dist: empirical, values: [3min, 5min, ...]} or {dist: empirical, file: f.csv, column: c}
    patience: {dist: exponential, mean: 4min}   # or 'none': never hangs up
    priority: 1               # higher is answered first; equal priorities share FCFS
    cross_sell:
      eligible: 0.8           # probability the caller can be offered the product
      accept: 0.2             # probability an offer is accepted
      revenue: 120            # revenue per accepted offer
      offer_time: {dist: exponential, mean: 1.5min}
      close_time: {dist: deterministic, value: 2min}   # extra time when accepted
      decline_cost: 1         # goodwill cost per declined offer
  mass:
    rate: [240/h, 300/h, 340/h, 360/h, 340/h, 300/h, 260/h, 240/h,
           250/h, 280/h, 320/h, 340/h, 320/h, 280/h, 240/h, 200/h]
    handle_time: {dist: lognormal, mean: 5min, cv: 1.0}
    patience: {dist: exponential, mean: 3min}
    cross_sell: {eligible: 0.6, accept: 0.08, revenue: 60, offer_time: {dist: exponential, mean: 1min}}

staffing: [28, 33, 37, 39, 37, 33, 29, 27, 28, 31, 35, 37, 35, 31, 27, 23]   # or one number

policy:
  cross_sell:
    premium: {threshold: 3}   # offer iff (callers in system - agents) <= 3: at most 3 waiting
    mass: {threshold: -1}     # -1: at least one agent idle. Also: never, always,
                              # or a list with one entry per interval

costs: {agent_per_hour: 36, shrinkage: 0.3, abandoned_call: 4}

targets:
  service_level: {within: 20s, fraction: 0.8, per: day}   # per: interval | day
  max_abandon_rate: 0.05
  max_asa: 40s

simulation: {replications: 20, seed: 42}
"""
