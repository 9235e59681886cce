"""What every chart shares: the palette, the 16:9 size and style, saving PNG and SVG
atomically with the finding in the file's metadata, and a plan drawn as a point with
its confidence intervals."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from ...output import mark_written

# Okabe-Ito: distinguishable with colour-vision deficiencies, and in grey print
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


SIZE = (10, 5.625)  # inches: 16:9, 2000 x 1125 px at 200 dpi


STYLE: Any = {  # matplotlib rcParams (its stubs want literal keys)
    "font.size": 12,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def colors(names: list[str]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def num(x) -> float:
    return math.nan if x is None else float(x)


def save(fig, out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        p = out / f"{name}.{ext}"
        # a private temp file per run (created exclusively), renamed into place: two runs
        # writing the same folder never share a temp name, a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=f".{ext}.part")
        try:
            with os.fdopen(fd, "wb") as fh:
                # the finding travels with the file (the deck reads it back)
                fig.savefig(fh, dpi=200, format=ext, metadata={"Title": title_of(fig)})
            os.chmod(tmp, 0o644)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            plt.close(fig)
            raise
        mark_written(p)
        paths.append(p)
    plt.close(fig)
    return paths


def title_of(fig) -> str:
    """The chart's finding: the figure's title, else its first axes title."""
    if fig.get_suptitle():
        return fig.get_suptitle()
    for ax in fig.axes:
        if ax.get_title():
            return ax.get_title()
    return ""


def gid_bars(bars, name: str) -> None:
    """Name each bar of a series (`name:0`, `name:1`, ...) in the SVG."""
    for i, patch in enumerate(bars):
        patch.set_gid(f"{name}:{i}")


def plan_point(ax, xe: dict, ye: dict, xscale: float, color: str, label: str, name: str):
    """One plan as a point with its 95% CI bars on both axes (SVG id `series:NAME`);
    returns its (x, y)."""
    x, (xl, xh) = num(xe["mean"]) * xscale, [num(v) * xscale for v in xe["ci95"]]
    y, (yl, yh) = num(ye["mean"]), [num(v) for v in ye["ci95"]]
    h = ax.errorbar(
        x,
        y,
        xerr=[[x - xl], [xh - x]] if math.isfinite(xl) else None,
        yerr=[[y - yl], [yh - y]] if math.isfinite(yl) else None,
        fmt="o",
        ms=9,
        capsize=4,
        color=color,
        label=label,
    )
    h[0].set_gid(f"series:{name}")
    return x, y
