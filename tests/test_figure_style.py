"""The shared figure style: short log axes get readable, non-overlapping tick labels."""
from __future__ import annotations

import numpy as np
import pytest

from scalinglab.style import compact_number, new_figure, save, tidy_log_axes


@pytest.mark.parametrize("value, text", [(0.5, "0.5"), (20, "20"), (2000, "2k"), (50000, "50k"),
                                         (1.5e6, "1.5M"), (3e9, "3e9"),
                                         (2.5e10, "2.5e10")])
def test_compact_number(value, text):
    assert compact_number(value) == text


def _labels(axis):
    lo, hi = sorted(axis.get_view_interval())
    return [t.get_text() for t in axis.get_majorticklabels()
            if t.get_text() and lo <= t.get_position()[0 if axis.axis_name == "x" else 1] <= hi]


def test_short_log_axes_get_several_plain_labels(tmp_path):
    fig, axes = new_figure(3, 1)
    short, medium, long_ = axes[0]
    short.loglog([1e4, 1e5], [1.35, 1.65])  # y: 0.09 decades, x: 1 decade
    medium.loglog([2e4, 5e5], [0.9, 4.5])  # x: 1.4 decades
    long_.loglog([1e8, 1e12], [2, 3])  # x: 4 decades: left to matplotlib
    tidy_log_axes(fig)
    fig.canvas.draw()
    y_short = _labels(short.yaxis)
    assert len(y_short) >= 3 and all("10^" not in t and "times" not in t for t in y_short), y_short
    assert {"20k", "50k", "100k", "200k"} <= set(_labels(medium.xaxis)), _labels(medium.xaxis)
    assert long_.xaxis.get_major_formatter().__class__.__name__ != "FuncFormatter"
    save(fig, tmp_path / "f.png")  # save() tidies too, and writes both formats
    assert (tmp_path / "f.png").stat().st_size > 5_000 and (tmp_path / "f.pdf").exists()


def test_linear_and_nonpositive_axes_are_left_alone():
    fig, axes = new_figure(1, 1)
    ax = axes[0][0]
    ax.plot(np.arange(5), np.arange(5))
    before = type(ax.yaxis.get_major_locator())
    tidy_log_axes(fig)
    assert type(ax.yaxis.get_major_locator()) is before
