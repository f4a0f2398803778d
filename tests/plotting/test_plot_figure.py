"""Figure rendering with real plotext: labels, legend, zoom, log axis, geometry, colours."""

import subprocess
import sys

import numpy as np
import plotext
import pytest
from plotext._figure import _figure_class

from lrtui.plotting.figure import Figure, Marker, Series, describe_decimation, render, render_text


def _warmup_cosine(n: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(n, dtype=float)
    warm = n // 10
    y = np.where(x < warm, 0.1 * x / warm, 0.05 * (1 + np.cos(np.pi * (x - warm) / (n - warm))))
    return x, y


def _figure(**changes) -> Figure:
    x, y = _warmup_cosine(50_000)
    base = Figure(
        series=[Series(x, y, "planned"), Series(x[::100], y[::100] * 0.9, "actual")],
        markers=[Marker(5_000, "warmup end", "warmup_end"), Marker(30_000, "milestone", "milestone")],
        title="warmup + cosine",
    )
    return base.replace(**changes)


def _top_frame(text: str) -> str:
    return next(line for line in text.splitlines() if line.lstrip().startswith("┌"))


def test_text_has_title_legend_marker_labels_and_axis_labels():
    text = render_text(_figure(), 100, 25, monochrome=True)
    for expected in ("warmup + cosine", "planned", "actual", "warmup end", "milestone", "step", "lr", "20k"):
        assert expected in text
    assert "\x1b[" not in text  # monochrome: no escape codes at all
    assert len(text.splitlines()) == 25
    assert all(len(line) == 100 for line in text.splitlines())


def test_colour_output_has_escapes_and_no_color_env_disables_them(monkeypatch):
    assert "\x1b[" in render_text(_figure(), 80, 20, monochrome=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in render_text(_figure(), 80, 20)


def test_log_axis_builds_twice_on_one_plotext_object():
    # Regression: plotext 5's own log scale rewrites its data on each build and crashes the second time.
    fig = _figure(log_y=True)
    plt = _figure_class()
    info = render(plt, fig, width_cols=90, height_rows=22)
    first = plotext.uncolorize(plt.build())
    second = plotext.uncolorize(plt.build())
    assert first == second
    assert info.dropped_nonpositive == 2  # lr = 0 at step 0 (in both series) has no log
    assert "(log)" in first
    # Rendering again (what the widget does on every refresh) is just as safe, and so is toggling back.
    render(plt, fig, width_cols=90, height_rows=22)
    assert plotext.uncolorize(plt.build()) == first
    render(plt, fig.replace(log_y=False), width_cols=90, height_rows=22)
    plt.build()


def test_log_axis_labels_are_decades():
    x = np.arange(1, 1001, dtype=float)
    fig = Figure([Series(x, 10.0 ** (-x / 200), "exp")], log_y=True)
    plt = _figure_class()
    info = render(plt, fig, width_cols=80, height_rows=24)
    assert "1e-3" in info.yticks.labels
    assert all(float(p).is_integer() for p in info.yticks.positions)
    text = plotext.uncolorize(plt.build())
    assert "1e-4" in text


def test_global_plotext_module_works_as_plt():
    fig = _figure(log_y=True)
    render(plotext, fig, width_cols=70, height_rows=20)
    text = plotext.uncolorize(plotext.build())
    plotext.build()  # second build of the same figure
    assert "warmup end" in text
    plotext.clear_figure()


def test_decimation_is_reported():
    x, y = _warmup_cosine(1_000_000)
    plt = _figure_class()
    info = render(plt, Figure([Series(x, y, "lr")]), width_cols=100, height_rows=25)
    assert info.decimated
    assert info.points_in == 1_000_000
    assert info.points_drawn <= 2 * info.canvas_width + 2
    assert describe_decimation(info) == f"decimated: 1M points → {info.canvas_width} columns"
    small = render(plt, Figure([Series(x[:50], y[:50], "lr")]), width_cols=100, height_rows=25)
    assert not small.decimated and describe_decimation(small) == ""


def test_zoom_slices_before_decimating():
    x = np.arange(100_000, dtype=float)
    y = np.full(x.size, 0.01)
    y[90_000] = 10.0  # a spike outside the zoom window must not set the y scale
    fig = Figure([Series(x, y, "lr")], x_range=(1_000, 2_000))
    plt = _figure_class()
    info = render(plt, fig, width_cols=80, height_rows=20)
    assert info.xlim == (1_000.0, 2_000.0)
    assert info.points_in == 1_001
    assert info.ylim[1] < 1.0
    assert not info.decimated or info.points_drawn <= 2 * info.canvas_width + 2
    plt.build()


def test_vertical_markers_land_in_the_predicted_columns():
    fig = _figure(title="")
    plt = _figure_class()
    info = render(plt, fig, width_cols=100, height_rows=25, monochrome=True, theme="clear")
    frame = _top_frame(plotext.uncolorize(plt.build()))
    drawn = [i for i, ch in enumerate(frame) if ch == "┬"]
    assert drawn == [info.x_to_column(m.x) for m in fig.markers]
    # The inverse mapping returns to the same column.
    for column in drawn:
        assert info.x_to_column(info.column_to_x(column)) == column
    assert info.column_to_x(0) is None


def test_empty_and_degenerate_figures_render():
    for fig in (
        Figure(),
        Figure([Series([], [], "nothing")]),
        Figure([Series([5.0], [0.1], "one point")]),
        Figure([Series([0.0, 1.0, 2.0], [0.1, 0.1, 0.1], "flat")], log_y=True),
        Figure([Series([0.0, 1.0], [0.0, -1.0], "nonpositive")], log_y=True),
        Figure([Series([0.0, 1.0, 2.0], [np.nan, np.inf, -np.inf], "junk")]),
        Figure(markers=[Marker(3.0, "only a marker", "end")]),
    ):
        text = render_text(fig, 60, 15, monochrome=True)
        assert len(text.splitlines()) == 15


def test_tiny_sizes_do_not_crash():
    for width, height in ((1, 1), (5, 3), (12, 6)):
        render_text(_figure(), width, height, monochrome=True)


def test_bad_series_and_marker_are_named_errors():
    with pytest.raises(ValueError, match=r"Series.x and Series.y"):
        Series([1, 2], [1], "bad")
    with pytest.raises(ValueError, match=r"Series.style is 'bars'"):
        Series([1], [1], "bad", style="bars")
    with pytest.raises(ValueError, match=r"Marker.kind is 'peak'"):
        Marker(1.0, "x", "peak")


def test_importing_the_plotting_layer_pulls_neither_textual_nor_plotext():
    probe = (
        "import sys, lrtui.plotting; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext', 'textual_plotext', 'torch')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
