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
    volume: 30                # calls per interval: one number or a list of 16,
                              # or a column of a CSV: {file: forecast.csv, column: premium}
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

staffing: [30, 37, 42, 44, 43, 39, 35, 33, 34, 36, 39, 40, 41, 37, 32, 29]
# (or one number, or {file: forecast.csv, column: agents}; or a roster of the shifts below)

policy:
  cross_sell:
    premium: {threshold: 3}   # offer iff (callers in system - agents) <= 3: at most 3 waiting
    mass: {threshold: -1}     # -1: at least one agent idle. Also: never, always,
                              # or a list with one entry per interval

costs: {currency: EUR, agent_per_hour: 36, shrinkage: 0.3, abandoned_call: 4}

targets:
  # per: day | interval; with per: day, 'floor' keeps every interval above 70%
  service_level: {within: 20s, fraction: 0.8, per: day, floor: 0.7}
  max_abandon_rate: 0.05
  max_asa: 40s

# Shift templates: `ccsim optimize FILE --shifts` builds a roster of them, breaks
# placed inside their windows, and the selling policy with it (docs/shifts.md).
shifts:
  grid: 15min
  templates:
    day:
      length: 6h              # attendance, start to end
      starts: {earliest: "09:00", latest: "11:00"}
      breaks:                 # each placed inside its window (hours from the start)
        - {length: 15min, within: [1.5h, 3h]}
        - {length: 30min, within: [3h, 4.5h], paid: false}
    part_time:
      length: 4h
      starts: {earliest: "09:00", latest: "13:00"}
      breaks: [{length: 15min, within: [1.5h, 2.5h]}]
      cost_per_hour: 32       # default: costs.agent_per_hour

simulation: {replications: 20, seed: 42}
"""
