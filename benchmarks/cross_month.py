"""Predict next month: fit on one month of the Anonymous Bank log, predict the other.

For each direction (January -> February, February -> January) and each handle-time fit:
`calibrate` on the fitting month's weekdays, then `predict_month` on the other month's
weekdays (each day simulated with its own volumes and staffing estimate), by hour.
Prints the weighted mean absolute hourly error, the bias and the noise floors (what a
perfect model would still miss). The logs stay in ../shared/data/anonymous_bank/.

    python benchmarks/cross_month.py [--data DIR] [--by hour] [--reps 10] [--seed 1]
        [--arrivals counts|poisson] [--handle-level fitted|month]

With `--handle-level month` each call type's handle-time level comes from the month
predicted (as its volumes and staffing do): the errors are the model's; the line after
each gives the fitted level's on the same seeds (model plus handle-time forecast).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ccsim import sim
from ccsim.sim.calibration import calibrate, read_anonymous_bank
from ccsim.sim.calibration.predict import predict_month

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous_bank"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--by", default="hour")
    ap.add_argument("--reps", type=int, default=10, help="replications per observed day")
    ap.add_argument("--handle", nargs="+", default=["lognormal", "lognormal-mean"])
    ap.add_argument("--patience", default="exponential", help="exponential or empirical")
    ap.add_argument("--staffing", default="present")
    ap.add_argument("--seed", type=int, default=1, help="first simulation seed")
    ap.add_argument("--break-gap", type=float, default=600.0, help="seconds")
    ap.add_argument(
        "--arrivals",
        default="counts",
        choices=["counts", "poisson"],
        help="replay each day's logged counts (default) or draw Poisson counts around them",
    )
    ap.add_argument("--handle-level", default="fitted", choices=["fitted", "month"])
    a = ap.parse_args()
    logs = {m: read_anonymous_bank(a.data / f"{m}_1999.txt") for m in ("january", "february")}
    print(
        f"weekdays, by {a.by}, staffing {a.staffing} (break gap {a.break_gap / 60:g} min), "
        f"{a.reps} replications per observed day, arrivals {a.arrivals}; errors in points "
        f"(ASA in s), weighted by calls; floor = model / resampled days"
    )
    head = f"{'fit -> predict':<16} {'handle':<15}"
    for m in ("abandonment", "SL", "ASA"):
        head += f" | {m + ' MAE':>15} {'bias':>6} {'floor':>9}"
    print(head)
    with sim.make_executor(2) as ex:
        for fit, pred in (
            ("january", "february"),
            ("february", "january"),
            ("january", "january"),
            ("february", "february"),
        ):
            for handle in a.handle:
                cal = calibrate(
                    logs[fit],
                    handle_form=handle,
                    patience_form=a.patience,
                    staffing_method=a.staffing,
                    break_gap=a.break_gap,
                )
                model = sim.parse_scenario(cal.scenario, file=f"{fit} fit")
                r = predict_month(
                    model,
                    logs[pred],
                    by=a.by,
                    replications_per_day=a.reps,
                    seed=a.seed,
                    executor=ex,
                    staffing_method=a.staffing,
                    break_gap=a.break_gap,
                    replay_counts=a.arrivals == "counts",
                    handle_level=a.handle_level,
                    handle_reference={
                        k: v["handle"]["sample_mean_s"] for k, v in cal.report["segments"].items()
                    },
                )
                where = f"{fit[:3] + ' -> ' + pred[:3]:<16}"
                label = handle + (" @month" if a.handle_level == "month" else "")
                _line(where, label, r["summary"], fit == pred)
                if a.handle_level == "month":
                    _line(where, handle + " @fitted", r["fitted_handle_level"]["summary"], False)
                    levels = ", ".join(f"{k} x{h['factor']:.3f}" for k, h in r["handle"].items())
                    print(f"{'':<16} handle level of the month: {levels}", flush=True)


def _line(where: str, label: str, summary: dict, in_sample: bool) -> None:
    line = f"{where} {label:<15}"
    for m in ("abandon_rate", "service_level", "asa"):
        s = summary[m]
        k = 1 if m == "asa" else 100
        line += (
            f" | {s['weighted_mae'] * k:>15.1f} {s['bias'] * k:>+6.1f} "
            f"{s['noise_floor_model'] * k:>4.1f}/{s['noise_floor'] * k:<4.1f}"
        )
    print(line + ("  (in sample)" if in_sample else ""), flush=True)


if __name__ == "__main__":
    main()
