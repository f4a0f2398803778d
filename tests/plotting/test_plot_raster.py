"""The numpy rasterizer draws exactly what plotext draws itself (plotext is the oracle), on random figures."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from plotext._figure import _figure_class
from plotext._utility import uncolorize

from lrtui.plotting.figure import Figure, Marker, Series, render
from lrtui.plotting.raster import Cells, cell_centres, rasterize
from lrtui.plotting.ticks import linear_ticks


def _build(fig: Figure, width: int, height: int, monochrome: bool, native: bool) -> str:
    plt = _figure_class()
    render(
        plt,
        fig,
        width_cols=width,
        height_rows=height,
        monochrome=monochrome,
        theme="pro",
        native_lines=native,
    )
    return plt.build()


@st.composite
def figures(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.sampled_from([1, 2, 3, 7, 60, 800, 20_000]))
    series = []
    for _ in range(draw(st.integers(1, 3))):
        x = np.sort(rng.uniform(-50, 1000, n)) if draw(st.booleans()) else np.arange(n, dtype=float)
        y = np.cumsum(rng.normal(0, 1, n)) * 10 ** rng.uniform(-4, 2) + draw(st.sampled_from([0.0, 5.0]))
        if draw(st.booleans()) and n > 2:
            y[rng.integers(0, n)] = np.nan if draw(st.booleans()) else np.inf
        series.append(
            Series(
                x,
                y,
                draw(st.sampled_from(["", "loss", "EMA 0.98", "planned"])),
                style=draw(st.sampled_from(["line", "line", "scatter"])),
            )
        )
    changes = {}
    if draw(st.booleans()):
        a, b = sorted(rng.uniform(-100, 1100, 2))
        changes["x_range"] = (float(a), float(b))
    if draw(st.booleans()):
        a, b = sorted(rng.uniform(-5, 10, 2))
        changes["y_range"] = (float(a), float(b))
    markers = (
        [Marker(100, "warmup end", "warmup_end"), Marker(600, "", "cursor")] if draw(st.booleans()) else []
    )
    return Figure(
        series=series,
        markers=markers,
        log_y=draw(st.booleans()),
        title=draw(st.sampled_from(["", "T"])),
        **changes,
    )


def _native_cost(fig: Figure, width: int, height: int) -> float:
    """A bound on the points plotext's own line drawing lists (one per sub-cell along every segment)."""
    total = 0.0
    for series in fig.series:
        x, y = series.x[np.isfinite(series.x)], series.y[np.isfinite(series.y)]
        if not x.size or not y.size:
            continue
        spans = []
        for values, view, cells in ((x, fig.x_range, 2 * width), (y, fig.y_range, 4 * height)):
            lo, hi = view if view is not None else (values.min(), values.max())
            if fig.log_y and values is y:
                values = np.log10(np.abs(values) + 1e-300)
                lo, hi = (
                    (np.log10(max(lo, 1e-300)), np.log10(max(hi, 1e-300)))
                    if view
                    else (values.min(), values.max())
                )
            spans.append((values.max() - values.min()) / max(hi - lo, 1e-12) * cells)
        total += max(spans) * min(series.x.size, 2 * width + 2)
    return total


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(figures(), st.integers(3, 220), st.integers(3, 70), st.booleans())
def test_cells_match_plotext_character_for_character(fig, width, height, monochrome):
    # The oracle is slow where segments run far off the canvas (it lists every sub-cell on the way):
    # such figures are kept small enough for it; the raster's own cost does not depend on it.
    assume(_native_cost(fig, width, height) < 300_000)
    ours = _build(fig, width, height, monochrome, native=False)  # must never fail
    try:
        reference = _build(fig, width, height, monochrome, native=True)
    except IndexError:
        # plotext itself fails on a labelled series with no visible point when the legend fits
        # (its legend reads the series' first colour): the fast path draws that figure.
        return
    assert ours == reference


def test_labelled_series_outside_the_view_does_not_break_the_legend():
    x = np.arange(100.0)
    fig = Figure(series=[Series(x, x * 0 + 50, "planned"), Series(x, x / 100, "actual")], y_range=(0.0, 1.0))
    with pytest.raises(IndexError):  # the behaviour this path exists to avoid
        _build(fig, 80, 20, False, native=True)
    text = _build(fig, 80, 20, False, native=False)
    assert "planned" in text and "actual" in text


def test_segments_towards_far_points_are_exact_and_cost_only_their_visible_part():
    # ~4e4 sub-cells off the canvas: plotext lists every one of them; the raster solves for the visible
    # part and still draws exactly plotext's characters.
    x = np.array([0.0, 0.5, 1.0])
    fig = Figure(series=[Series(x, np.array([0.2, 1e3, 0.4]), "spike")], y_range=(0.0, 1.0))
    assert _build(fig, 60, 14, False, native=False) == _build(fig, 60, 14, False, native=True)


@pytest.mark.parametrize(
    "y", [[0.0, 1e300, 0.5], [0.0, 1e308, -1e308], [0.0, 1e300, -1e300]], ids=["1e300", "overflow", "both"]
)
def test_absurd_values_draw_without_error(y):
    with np.errstate(all="raise"):  # not even a floating-point warning escapes
        text = _build(Figure(series=[Series([0.0, 0.5, 1.0], y)], y_range=(-1.0, 1.0)), 60, 12, False, False)
    assert "┌" in text


def test_braille_cells_combine_dots_per_cell_and_map_back_onto_their_cells():
    # A diagonal over 4 columns x 2 rows of cells at braille resolution (8 x 8 dots) fills 4 cells.
    cells = rasterize(
        np.array([0.0, 1.0]),
        np.array([0.0, 1.0]),
        xlim=(0, 1),
        ylim=(0, 1),
        cols=4,
        rows=2,
        marker="braille",
        lines=True,
    )
    assert sorted(zip(cells.cols.tolist(), cells.rows.tolist())) == [(0, 0), (1, 0), (2, 1), (3, 1)]
    assert all(len(c) == 1 and 0x2800 < ord(c) <= 0x28FF for c in cells.chars)
    xs, ys = cell_centres(cells, xlim=(0, 1), ylim=(0, 1), cols=4, rows=2)
    for col, row, x, y in zip(cells.cols, cells.rows, xs, ys):
        assert math.floor(round(0.5 + 3 * x, 8)) == col and math.floor(round(0.5 + 1 * y, 8)) == row


def test_one_cell_markers_keep_their_name_and_drop_duplicates():
    cells = rasterize(
        np.array([0.0, 0.01, 1.0]),
        np.array([0.0, 0.0, 1.0]),
        xlim=(0, 1),
        ylim=(0, 1),
        cols=10,
        rows=5,
        marker="dot",
        lines=False,
    )
    assert isinstance(cells, Cells) and len(cells) == 2 and cells.chars == ["dot", "dot"]


def test_points_outside_the_canvas_draw_nothing():
    cells = rasterize(
        np.array([5.0, 6.0]),
        np.array([5.0, 6.0]),
        xlim=(0, 1),
        ylim=(0, 1),
        cols=10,
        rows=5,
        marker="braille",
        lines=True,
    )
    assert len(cells) == 0


def test_linear_ticks_never_miss_a_short_axis():
    # 2 ticks at most on 8.2..43: the usual nice step (50) has no multiple inside; a finer one does.
    assert linear_ticks(8.16, 43.07, max_ticks=2).positions == [20.0, 40.0]


def test_short_charts_get_our_tick_labels_so_the_canvas_is_where_render_info_says():
    x = np.arange(5.0)
    fig = Figure(series=[Series(x, np.array([8.35, 12.1, 8.16, 43.07, 23.4]), "p")])
    plt = _figure_class()
    info = render(plt, fig, width_cols=62, height_rows=8, theme="pro")
    plain = uncolorize(plt.build())
    rows = [line for line in plain.splitlines() if "┤" in line]
    assert rows and all(line.index("┤") == info.canvas_left - 1 for line in rows)


def test_marker_labels_go_where_they_hide_no_curve():
    # Warmup then decay: the warmup-end line is at the curve's peak, in the top row, where a label used to
    # cover the curve. Every dot of the curve drawn without the marker must still be there with it.
    x = np.arange(1000.0)
    y = np.where(x < 300, x / 300, 1 - (x - 300) / 700)
    plain = Figure(series=[Series(x, y)])
    marked = plain.replace(markers=[Marker(300, "warmup end", "warmup_end"), Marker(999, "end", "end")])

    def grid(fig):
        plt = _figure_class()
        render(plt, fig, width_cols=80, height_rows=16, monochrome=True)
        return uncolorize(plt.build()).splitlines()

    without, with_labels = grid(plain), grid(marked)
    curve = [
        (r, c) for r, line in enumerate(without) for c, ch in enumerate(line) if 0x2800 < ord(ch) <= 0x28FF
    ]
    assert curve and all(with_labels[r][c] == without[r][c] for r, c in curve)
    assert any("warmup end" in line for line in with_labels) and any("end" in line for line in with_labels)


def test_a_label_with_no_room_beside_the_curves_is_shortened_or_left_out_never_drawn_over_them():
    # The preview at 80 columns: a long end label on a warmup + cosine that crosses every row of a small plot.
    x = np.arange(1000.0)
    y = np.where(x < 50, (x + 1) / 50, 0.5 * (1 + np.cos(np.pi * (x - 50) / 950)))
    long = "T_max: torch's cosine rises again after this"
    plain = Figure(series=[Series(x, y)])
    marked = plain.replace(markers=[Marker(50, "warmup end", "warmup_end"), Marker(999, long, "end")])

    def grid(fig, width):
        plt = _figure_class()
        render(plt, fig, width_cols=width, height_rows=12, monochrome=True)
        return uncolorize(plt.build()).splitlines()

    for width in (44, 60, 120):
        without, with_labels = grid(plain, width), grid(marked, width)
        curve = [
            (r, c)
            for r, line in enumerate(without)
            for c, ch in enumerate(line)
            if 0x2800 < ord(ch) <= 0x28FF
        ]
        assert curve and all(with_labels[r][c] == without[r][c] for r, c in curve), width
        text = "\n".join(with_labels)
        assert long in text or "T_max" not in text or "…" in text, width
    assert long in "\n".join(grid(marked, 120))  # room enough: the whole label
