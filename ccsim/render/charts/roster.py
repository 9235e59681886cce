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


def coverage(roster: dict, out: Path) -> list[Path]:
    """Agents present and on the phones by grid step against the requirement the MIP
    covered: the gap between the lines is breaks; above the requirement is slack."""
    t = np.array([clock_hours(s) for s in roster["steps"]])
    phones = np.array(roster["on_phones"], float)
    present = np.array(roster["present"], float)
    req = roster.get("mip", {}).get("requirement")
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
        ext = lambda a: np.append(a, a[-1])  # noqa: E731 - a step line to the day's end
        ax.fill_between(
            t,
            ext(present),
            step="post",
            color="#cccccc",
            alpha=0.6,
            label="agents present (on a break or not)",
        ).set_gid("series:present")
        (ln,) = ax.step(
            t, ext(phones), where="post", color=PALETTE[0], lw=2.2, label="agents on the phones"
        )
        ln.set_gid("series:on_phones")
        title = f"{roster['shifts']} shifts put {phones.min():.0f}-{phones.max():.0f} agents on the phones"
        if req is not None:
            req = np.array(req, float)
            (ln,) = ax.step(
                t,
                ext(req),
                where="post",
                color=PALETTE[3],
                lw=1.6,
                ls="--",
                label="requirement (analytic seed)",
            )
            ln.set_gid("series:requirement")
            slack = phones - req
            i = int(np.argmax(slack))
            title = (
                f"{roster['shifts']} shifts: most slack at {roster['steps'][i]} "
                f"({slack[i]:+.0f} agents), tightest at "
                f"{roster['steps'][int(np.argmin(slack))]} ({slack.min():+.0f})"
            )
        ax.set_ylim(bottom=0)
        ax.set_xlim(t[0], t[-1])
        ax.set_xlabel("Time of day (h)")
        ax.set_ylabel("Agents")
        ax.set_title(title)
        ax.legend(loc="upper left", fontsize=9)
        return save(fig, out, "coverage")


def shift_chart(roster: dict, out: Path) -> list[Path]:
    """One bar per roster row from start to end, coloured by template, breaks hatched."""
    rows = roster["rows"]
    names = list(dict.fromkeys(r["template"] for r in rows))
    col = colors(names)
    with plt.rc_context(STYLE):
        h = max(SIZE[1], 0.28 * len(rows) + 1.5)
        fig, ax = plt.subplots(figsize=(SIZE[0], h), layout="constrained")
        for y, r in enumerate(rows):
            a, z = clock_hours(r["start"]), clock_hours(r["end"])
            bar = ax.barh(y, z - a, left=a, color=col[r["template"]], height=0.7)
            bar[0].set_gid(f"series:shift:{y}")
            for b in r["breaks"]:
                s, e = (clock_hours(x) for x in b.split("-"))
                br = ax.barh(
                    y,
                    e - s,
                    left=s,
                    color="white",
                    edgecolor="#333333",
                    hatch="////",
                    height=0.7,
                    lw=0.5,
                )
                br[0].set_gid(f"series:break:{y}")
            ax.text(z + 0.08, y, f"{r['agents']}", va="center", fontsize=8)
        ax.set_yticks(range(len(rows)), [f"{r['template']} {r['start']}" for r in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("Time of day (h); the number after a bar is its agents")
        handles = [plt.Rectangle((0, 0), 1, 1, color=col[n]) for n in names]
        handles.append(
            plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#333333", hatch="////")
        )
        # below the axis: a legend inside would cover the last shifts
        ax.legend(
            handles,
            [*names, "break"],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.07),
            ncol=len(names) + 1,
            fontsize=9,
            frameon=False,
        )
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
