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


def test_size_colours_are_one_per_size_and_ordered_within_a_ladder():
    from scalinglab.style import size_color, size_colors

    demo = [5_100, 25_472, 100_096, 233_680, 447_552]
    paper = [991_616, 3_159_552, 10_647_552, 31_911_552, 85_056_000, 302_311_424]
    for ladder in (demo, paper):
        colours = [size_color(N) for N in ladder]
        assert len({tuple(np.round(c, 3)) for c in colours}) == len(ladder)
        # viridis runs dark to light: luminance grows with size inside a ladder
        lum = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b, _ in colours]
        assert lum == sorted(lum), lum
    assert size_color(25_472) == size_colors([447_552, 25_472])[25_472]  # the same in any figure


def test_percent_and_logged_steps():
    import pandas as pd

    from scalinglab.style import logged_steps, percent

    assert [percent(f) for f in (1.0, 0.01, 0.001)] == ["100%", "1%", "0.1%"]
    frame = pd.DataFrame({"step": [0, 10, 20], "loss": [6.2, 3.0, 2.5]})
    assert list(logged_steps(frame, "step")["step"]) == [10, 20]


def test_outside_legends_do_not_cover_the_data():
    from scalinglab.style import legend_outside, size_legend

    fig, axes = new_figure(2, 1)
    for ax in axes[0]:
        ax.loglog([1, 10, 100], [3, 2, 1.5], label="a curve with a long label")
    legend_outside(axes[0][0])
    size_legend(axes[0][1], [5_100, 25_472], below=True)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes[0]:
        ax.set_xlabel("training FLOPs C")
    fig.canvas.draw()
    for ax in axes[0]:
        box = ax.get_window_extent(renderer)
        label = ax.xaxis.label.get_window_extent(renderer)
        for legend in [c for c in ax.get_children() if c.__class__.__name__ == "Legend"]:
            assert not legend.get_window_extent(renderer).overlaps(box)
            assert not legend.get_window_extent(renderer).overlaps(label)


def test_size_labels_are_short_and_many_sizes_are_sampled():
    from scalinglab.style import size_handles, size_label

    assert size_label(205_303) == "N = 205k" and size_label(1_295_380) == "N = 1.3M"
    handles = size_handles(np.geomspace(1e4, 1e8, 30), max_entries=8)
    assert len(handles) == 8
    assert handles[0].get_label() == "N = 10k" and handles[-1].get_label() == "N = 100M"
