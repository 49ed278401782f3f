"""The one matplotlib style every figure uses: readable fonts, colour-blind-safe colours.

Figures call :func:`new_figure` and :func:`save`; power laws get log axes via :func:`loglog`.
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: rules run on clusters without a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator  # noqa: E402

# Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",  # perceptually uniform and colour-blind-safe
}
plt.rcParams.update(RC)


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.6, height: float = 3.6, **kwargs):
    """A figure of `nrows` x `ncols` panels, each about `width` x `height` inches."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False,
                             layout="constrained", **kwargs)
    return fig, axes


def sequential_colors(n: int, cmap: str = "viridis"):
    """`n` colours along a colour-blind-safe sequential map (for model-size colouring)."""
    cm = plt.get_cmap(cmap)
    return [cm(0.05 + 0.85 * i / max(n - 1, 1)) for i in range(n)]


def size_color(n_params: float):
    """One colour per model size, the same in every figure: viridis at log10 N, read within its
    band of three decades starting at 0.8 x 10^k ([794, 794k), [794k, 794M), ...). A ladder inside
    one band (the demo's 5k to 450k, the paper's 1M to 300M) runs dark to light in size order, and
    a size keeps its colour whichever runs a figure shows (a ladder that crosses 794k or 794M
    wraps to dark at that size: keep a ladder within one band where colour order matters)."""
    position = ((np.log10(float(n_params)) + 0.1) % 3.0) / 3.0
    return plt.get_cmap("viridis")(0.02 + 0.9 * position)


def size_colors(sizes) -> dict:
    """{N: colour} for every distinct size (see :func:`size_color`)."""
    return {N: size_color(N) for N in sorted(set(sizes))}


def size_label(n_params: float) -> str:
    """'N = 25k': the legend entry of a model size."""
    return f"N = {compact_number(float(f'{float(n_params):.3g}'))}"


def percent(fraction: float) -> str:
    """A data fraction as readers say it: 0.001 -> '0.1%', 1 -> '100%'."""
    return f"{float(fraction) * 100:g}%"


def logged_steps(frame, column: str):
    """Rows with `column` > 0: a log axis cannot show step 0, and matplotlib would otherwise draw
    a straight line from the axis edge to the first logged step."""
    return frame[frame[column] > 0]


def legend_outside(ax, title: str | None = None, **kwargs):
    """A legend beside the panel (right), off the data; constrained layout makes room for it."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, title=title,
                     **kwargs)


def legend_below(ax, ncols: int = 1, title: str | None = None, **kwargs):
    """A legend under the panel's x label, off the data (for panels side by side). Anchored a
    fixed distance in inches below the axes (tick labels and x label), so it stays clear of the
    label however much constrained layout shrinks the panel to make room for it."""
    from matplotlib.transforms import ScaledTranslation

    below_label = ax.transAxes + ScaledTranslation(0, -0.62, ax.figure.dpi_scale_trans)
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below_label,
                     borderaxespad=0.0, ncols=ncols, title=title, **kwargs)


def size_handles(sizes, max_entries: int = 8) -> list:
    """Legend handles, one line per model size in its colour; a grid of many sizes shows
    `max_entries` of them, evenly spaced from the smallest to the largest."""
    from matplotlib.lines import Line2D

    sizes = sorted(set(sizes))
    if len(sizes) > max_entries:
        sizes = [sizes[round(i)] for i in np.linspace(0, len(sizes) - 1, max_entries)]
    return [Line2D([], [], color=size_color(N), lw=2, label=size_label(N)) for N in sizes]


def size_legend(ax, sizes, title: str = "model size (non-embedding N)", below: bool = False, **kwargs):
    """A legend of model sizes alone (one line per size, in its colour), off the data."""
    handles = size_handles(sizes)
    place = legend_below if below else legend_outside
    legend = place(ax, handles=handles, title=title, **kwargs)
    ax.add_artist(legend)  # a second legend on the same axes keeps this one
    return legend


def loglog(ax):
    ax.set_xscale("log")
    ax.set_yscale("log")
    return ax


def compact_number(v: float) -> str:
    """0.5, 20, 2k, 50k, 1.5M, 3e9: short tick labels that do not run into each other
    (k and M for sizes people say that way; powers of ten from 1e9 on, as FLOPs are written)."""
    if abs(v) >= 1e9:
        mantissa, exponent = f"{v:.1e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:g}{suffix}"
    return f"{v:g}"


def tidy_log_axes(fig) -> None:
    """Readable ticks on short log axes, applied to every figure by :func:`save`.

    Matplotlib labels a log axis at powers of ten only; under two decades that leaves one label
    or none, or (with minor labels) 10^k-notation labels that run into each other. Under two
    decades: major ticks at 1, 2, 5 x 10^k; under one: about five evenly spaced ticks. Labels in
    compact numbers (0.5, 20, 2k, 1.5M).
    """
    compact = FuncFormatter(lambda v, _: compact_number(v))
    for ax in fig.axes:
        for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            lo, hi = sorted(lim)
            if axis.get_scale() != "log" or not lo > 0:
                continue
            decades = np.log10(hi / lo)
            if decades >= 2:
                continue
            major = (MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]) if decades < 1
                     else LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.set_major_locator(major)
            axis.set_major_formatter(compact)
            axis.set_minor_locator(NullLocator())


def save(fig, png_path: str | os.PathLike) -> None:
    """Write `png_path` and a vector PDF beside it, atomically (temp name, then rename)."""
    tidy_log_axes(fig)
    png = Path(png_path)
    png.parent.mkdir(parents=True, exist_ok=True)
    for path in (png, png.with_suffix(".pdf")):
        tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
        fig.savefig(tmp)
        os.replace(tmp, path)
    plt.close(fig)
