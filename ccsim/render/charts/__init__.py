"""The charts room: every chart for a planning deck, drawn from saved results only.

Each chart is written as PNG (16:9, 200 dpi) and SVG. Titles state the finding; axes
carry units; series carry an SVG id (`gid`) naming them, so tests and other tools can
read back what was drawn. Text stays text in the SVG.
"""

import matplotlib

matplotlib.use("Agg")  # files only, never a window: before any module imports pyplot
