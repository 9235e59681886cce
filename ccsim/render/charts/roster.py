"""Charts of a roster: coverage of the requirement by interval, and the shifts with their
breaks."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .style import PALETTE, SIZE, STYLE, colors, save


def clock_hours(text: str) -> float:
    h, m = text.split(":")
    return int(h) + int(m) / 60


def clock_axis(ax) -> None:
    """Hours of the day on the x axis as clock times (08:00), every hour or two."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    lo, hi = ax.get_xlim()
    ax.xaxis.set_major_locator(MultipleLocator(1 if hi - lo <= 12 else 2))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda h, _: f"{int(h) % 24:02d}:{round((h % 1) * 60):02d}")
    )


def coverage(roster: dict, out: Path) -> list[Path]:
    """Agents present and on the phones by grid step against the agents needed: the gap
    between the lines is breaks; above the need is slack, below it a shortfall."""
    phones = np.array(roster["on_phones"], float)
    edges = np.array([clock_hours(s) for s in roster["steps"]])  # every step, and the end
    if len(edges) == len(phones):  # no end given: the last step is as long as the others
        edges = np.append(edges, 2 * edges[-1] - edges[-2])
    t, step = edges[:-1], float(edges[1] - edges[0])
    present = np.array(roster["present"], float)
    req = roster.get("mip", {}).get("requirement")
    ext = lambda a: np.append(a, a[-1])  # noqa: E731 - a step line to the day's end
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        ax.fill_between(
            edges,
            ext(present),
            step="post",
            color="#cccccc",
            alpha=0.6,
            label="agents present (on a break or not)",
        ).set_gid("series:present")
        (ln,) = ax.step(
            edges, ext(phones), where="post", color=PALETTE[0], lw=2.2, label="agents on the phones"
        )
        ln.set_gid("series:on_phones")
        title = f"{roster['shifts']} shifts put {phones.min():.0f}-{phones.max():.0f} agents on the phones"
        if req is not None:
            req = np.array(req, float)
            (ln,) = ax.step(
                edges,
                ext(req),
                where="post",
                color=PALETTE[3],
                lw=1.6,
                ls="--",
                label="agents needed (Erlang A, before simulation)",
            )
            ln.set_gid("series:requirement")
            title = _coverage_finding(roster, phones - req, t, step)
        ax.set_ylim(bottom=0)
        ax.set_xlim(edges[0], edges[-1])
        clock_axis(ax)
        ax.set_xlabel("Time of day")
        ax.set_ylabel("Agents")
        ax.set_title(title)
        ax.legend(loc="upper left", fontsize=9)
        return save(fig, out, "coverage")


def _coverage_finding(roster: dict, slack: np.ndarray, t: np.ndarray, step: float) -> str:
    """Where the roster has the most slack, and every stretch it falls short."""
    i = int(np.argmax(slack))
    head = f"{roster['shifts']} shifts: most slack at {roster['steps'][i]} ({slack[i]:+.0f} agents)"
    short = np.flatnonzero(slack < 0)
    if not len(short):
        return head + "; never below the agents needed"
    runs = np.split(short, np.flatnonzero(np.diff(short) > 1) + 1)
    clock = lambda h: f"{int(h) % 24:02d}:{round((h % 1) * 60):02d}"  # noqa: E731
    spans = [f"{clock(t[r[0]])}-{clock(t[r[-1]] + step)}" for r in runs]
    more = f" and {len(spans) - 3} more" if len(spans) > 3 else ""
    return (
        head + f"; below the agents needed at {', '.join(spans[:3])}{more} "
        f"(down to {slack.min():+.0f})"
    )


def shift_chart(roster: dict, out: Path) -> list[Path]:
    """One bar per roster row from start to end, coloured by template, breaks hatched;
    16:9 whatever the number of rows (labels thinned when they would not fit)."""
    rows = roster["rows"]
    names = list(dict.fromkeys(r["template"] for r in rows))
    col = colors(names)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        for y, r in enumerate(rows):
            a, z = clock_hours(r["start"]), clock_hours(r["end"])
            bar = ax.barh(y, z - a, left=a, color=col[r["template"]], height=0.7)
            bar[0].set_gid(f"series:shift:{y}")
            for b in r["breaks"]:
                s, e = (clock_hours(x) for x in b.split("-"))
                br = ax.barh(
                    y, e - s, left=s, color="white", edgecolor="#333333", hatch="////",
                    height=0.7, lw=0.5,
                )  # fmt: skip
                br[0].set_gid(f"series:break:{y}")
            if len(rows) <= 40:
                ax.text(z + 0.08, y, f"{r['agents']}", va="center", fontsize=8)
        every = max(1, int(np.ceil(len(rows) / 30)))  # at most 30 labels on 5.6 inches
        ax.set_yticks(
            range(0, len(rows), every),
            [f"{r['template']} {r['start']} ×{r['agents']}" for r in rows[::every]],
            fontsize=8 if len(rows) <= 20 else 6,
        )
        ax.invert_yaxis()
        clock_axis(ax)
        ax.set_xlabel("Time of day (×N after a row: its agents)")
        handles = [plt.Rectangle((0, 0), 1, 1, color=col[n]) for n in names]
        handles.append(
            plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#333333", hatch="////")
        )
        # beside the axis: a legend inside would cover the last shifts
        ax.legend(
            handles, [*names, "break"], loc="upper left", bbox_to_anchor=(1.01, 1.0),
            fontsize=9, frameon=False,
        )  # fmt: skip
        ax.grid(axis="y", visible=False)
        by = {n: sum(r["agents"] for r in rows if r["template"] == n) for n in names}
        ax.set_title(
            f"{roster['shifts']} shifts ("
            + ", ".join(f"{v} {k}" for k, v in by.items())
            + f"), {roster['paid_hours']:,.0f} paid hours"
        )
        return save(fig, out, "shifts")


def draw_roster(roster: dict, out: Path) -> list[Path]:
    return coverage(roster, out) + shift_chart(roster, out)
