"""A log10 x axis (the LR range test's loss-vs-LR plot): decade ticks, markers at their LR, zoom in data units."""

from __future__ import annotations

import math

import numpy as np
from plotext._figure import _figure_class

from lrtui.plotting.figure import Figure, Marker, Series, render, render_text


def _lr_figure(**changes) -> Figure:
    lrs = np.geomspace(1e-6, 10.0, 200)
    loss = 2.3 - 1.2 / (1 + np.exp(-(np.log10(lrs) + 2) / 0.3))
    return Figure(series=[Series(lrs, loss, "loss")], xlabel="lr", ylabel="loss", log_x=True, **changes)


def test_log_x_ticks_are_decades_and_markers_land_at_their_lr():
    fig = _lr_figure(markers=[Marker(1e-2, "steep", "warmup_end"), Marker(0.0, "off the axis")])
    plt = _figure_class()
    info = render(plt, fig, width_cols=90, height_rows=20, monochrome=True, theme="clear")
    assert info.xlim == (math.log10(1e-6), 1.0)  # plot coordinates are log10(x)
    assert info.xticks.labels == ["1e-6", "1e-5", "1e-4", "1e-3", "0.01", "0.1", "1", "10"]
    text = plt.build()
    assert "steep" in text and "off the axis" not in text  # x <= 0 has no place on a log axis
    col = info.x_to_column(math.log10(1e-2))
    rows = [line for line in text.splitlines() if len(line) > col]
    assert sum(line[col] == "│" for line in rows) >= 10  # the marker's vertical line is in that column
    assert "lr (log)" in text


def test_log_x_zoom_is_given_in_data_units_and_points_at_or_below_zero_are_dropped():
    lrs = np.array([-1.0, 0.0, 1e-4, 1e-3, 1e-2, 1e-1])
    fig = Figure(series=[Series(lrs, np.arange(6.0))], log_x=True, x_range=(1e-4, 1e-1))
    info = render(_figure_class(), fig, width_cols=60, height_rows=12)
    assert info.xlim == (-4.0, -1.0) and info.points_in == 4


def test_log_x_text_renders_at_small_sizes():
    assert render_text(_lr_figure(), 30, 8, monochrome=True)
