"""What every chart shares: the palette, the 16:9 size and style, saving PNG and SVG
atomically with the finding in the file's metadata, and a plan drawn as a point with
its confidence intervals."""

from __future__ import annotations

import io
import math
import os
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


# while `untitled_images` is active: chart name -> (finding, PNG without its title)
_UNTITLED: ContextVar[dict[str, tuple[str, bytes]] | None] = ContextVar("untitled", default=None)


@contextmanager
def untitled_images() -> Iterator[dict[str, tuple[str, bytes]]]:
    """While active, `save` also renders each chart without its title, as PNG bytes with
    its finding: a deck puts the finding in the slide title, so it is not shown twice."""
    images: dict[str, tuple[str, bytes]] = {}
    token = _UNTITLED.set(images)
    try:
        yield images
    finally:
        _UNTITLED.reset(token)


def save(fig, out: Path, name: str) -> list[Path]:
    """The chart as PNG (200 dpi) and SVG under `out`, atomically, its finding in the
    files' Title metadata; the figure is closed."""
    out.mkdir(parents=True, exist_ok=True)
    finding = title_of(fig)
    _wrap_titles(fig)
    paths = []
    for ext in ("png", "svg"):
        p = out / f"{name}.{ext}"
        # a private temp file per run (created exclusively), renamed into place: two runs
        # writing the same folder never share a temp name, a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=f".{ext}.part")
        try:
            with os.fdopen(fd, "wb") as fh:
                # the finding travels with the file (the deck reads it back)
                fig.savefig(fh, dpi=200, format=ext, metadata={"Title": finding})
            os.chmod(tmp, 0o644)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            plt.close(fig)
            raise
        mark_written(p)
        paths.append(p)
    images = _UNTITLED.get()
    if images is not None:
        for t in [ax.title for ax in fig.axes] + [getattr(fig, "_suptitle", None)]:
            if t is not None:
                t.set_text("")
        buf = io.BytesIO()
        fig.savefig(buf, dpi=200, format="png")
        images[name] = (finding, buf.getvalue())
    plt.close(fig)
    return paths


def title_of(fig) -> str:
    """The chart's finding, on one line: the figure's title, else its first axes title."""
    if fig.get_suptitle():
        return " ".join(fig.get_suptitle().split())
    for ax in fig.axes:
        if ax.get_title():
            return " ".join(ax.get_title().split())
    return ""


TITLE_CHARS = 80  # a 10-inch chart holds about 85 characters of a bold 14-pt title


def _wrap_titles(fig) -> None:
    """Long titles on as many lines as they need: one line would run off both sides. A
    chart's only title is centred on the figure (above an axes pushed left by its
    legend it would run off the left edge)."""
    titled = [ax for ax in fig.axes if ax.get_title()]
    if len(titled) == 1 and not fig.get_suptitle():
        text = titled[0].get_title()
        titled[0].set_title("")
        fig.suptitle(text, fontsize=STYLE["axes.titlesize"], fontweight="bold")
    titles = [ax.title for ax in fig.axes] + [getattr(fig, "_suptitle", None)]
    for t in titles:  # set_text keeps each title's size and weight
        if t is not None and t.get_text():
            t.set_text(textwrap.fill(" ".join(t.get_text().split()), TITLE_CHARS))


def gid_bars(bars, name: str) -> None:
    """Name each bar of a series (`name:0`, `name:1`, ...) in the SVG."""
    for i, patch in enumerate(bars):
        patch.set_gid(f"{name}:{i}")


def plan_point(
    ax, xe: dict, ye: dict, xscale: float, color: str, label: str, name: str, hollow: bool = False
):
    """One plan as a point with its 95% CI bars on both axes (SVG id `series:NAME`),
    hollow for a plan that does not meet every target; returns its (x, y)."""
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
        mfc="white" if hollow else color,
        mew=2,
        label=label,
    )
    h[0].set_gid(f"series:{name}")
    return x, y
