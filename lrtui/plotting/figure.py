"""A plot as plain data (`Figure`), and one renderer that draws it with any plotext-5-compatible object.

The same `render()` serves the headless CLI (the real `plotext` module, or a private plotext figure in
`render_text`) and the Textual widget (textual-plotext's `self.plt`): both expose the plotext 5 API.

Everything plotext would do slowly or wrongly is done here first, in numpy:
- zoom: series are sliced to `x_range` (keeping one neighbour each side so lines reach the plot edge);
- decimation: min/max per canvas column, so plotext gets ~2 points per column whatever the data size;
- log y: we plot log10(y) with our own decade ticks (plotext 5's own log scale corrupts its data on the
  second build); nonpositive values are dropped and counted;
- limits and tick labels: computed by us, so the plot area's position is known exactly (`RenderInfo`),
  which lets a widget map a mouse column back to data x;
- any numbers: non-finite points are left out (`first_nonfinite`/`overflow_note` say where a curve
  overflows, for captions and markers), and an axis whose values are too large or too small for
  plotext's arithmetic (it computes `(bins - 1) * (v - lo)`, which overflows near 1e308) is drawn in
  units of a power of ten (`RenderInfo.x_exp`/`y_exp`) with ticks labelled in real values.

Plot-area geometry (plotext 5.3 `build_plot`): with y tick labels of width W (left axis only) and the
default frame, the data canvas starts at column W + 1 and is `width - W - 2` columns wide; a data x maps
to canvas column floor(0.5 + (cols - 1) * (x - x0) / (x1 - x0)). `RenderInfo` inverts exactly that.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from lrtui.plotting.decimate import minmax_indices
from lrtui.plotting.labels import place_marker_labels
from lrtui.plotting.raster import Cells, cell_centres, rasterize, resolution
from lrtui.plotting.ticks import TickSet, format_si, linear_ticks, log_ticks, scaled_ticks, with_end_tick

__all__ = [
    "MARKER_KINDS",
    "Figure",
    "Marker",
    "NonFinite",
    "RenderInfo",
    "Series",
    "describe_decimation",
    "find_nonfinite",
    "no_color_requested",
    "nonfinite_note",
    "render",
    "render_text",
]

SeriesStyle = Literal["line", "scatter"]
MarkerKind = Literal["warmup_end", "milestone", "restart", "end", "cursor", "overflow"]
MARKER_KINDS: tuple[str, ...] = ("warmup_end", "milestone", "restart", "end", "cursor", "overflow")
SERIES_STYLES: tuple[str, ...] = ("line", "scatter")

# plotext colour names (16-colour palette: readable on dark and light terminals, survive 256-colour mode).
SERIES_COLORS = ("cyan+", "orange+", "green+", "magenta+", "blue+", "red+", "cyan", "green")
MARKER_COLORS = {
    "warmup_end": "orange",
    "milestone": "magenta+",
    "restart": "blue+",
    "end": "red+",
    "cursor": None,  # None: the theme's tick colour, i.e. the foreground, on any theme
    "overflow": "red",
}
# Without colour, series stay apart by their glyphs (only braille has sub-cell resolution).
MONOCHROME_MARKERS = ("braille", "dot", "x", "+", "*", "o")
LINE_MARKER = "braille"
SCATTER_MARKER = "dot"

# Rows plotext spends outside the data canvas: the two frame lines, the x tick label row, and one row
# each for the title and for the axis labels when present.
_FRAME_ROWS = 2
_XTICK_ROWS = 1


def no_color_requested() -> bool:
    """True when the NO_COLOR convention (https://no-color.org) asks for monochrome output."""
    return bool(os.environ.get("NO_COLOR"))


def _float_array(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"Series.{name} must be one-dimensional, got shape {array.shape}")
    return array


@dataclass(frozen=True, eq=False)
class Series:
    """One curve: x and y (same length; any array-like, stored as float64 numpy arrays)."""

    x: Any
    y: Any
    label: str = ""
    color: str | None = None
    style: SeriesStyle = "line"

    def __post_init__(self) -> None:
        x = _float_array(self.x, "x")
        y = _float_array(self.y, "y")
        if x.shape != y.shape:
            raise ValueError(f"Series.x and Series.y must have the same length, got {x.size} and {y.size}")
        if self.style not in SERIES_STYLES:
            raise ValueError(f"Series.style is {self.style!r}; allowed: {', '.join(SERIES_STYLES)}")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def __len__(self) -> int:
        return int(self.x.size)


@dataclass(frozen=True)
class Marker:
    """A vertical line at data x (a warmup end, a milestone, a restart, the end, the cursor)."""

    x: float
    label: str = ""
    kind: MarkerKind = "milestone"

    def __post_init__(self) -> None:
        if self.kind not in MARKER_KINDS:
            raise ValueError(f"Marker.kind is {self.kind!r}; allowed: {', '.join(MARKER_KINDS)}")
        object.__setattr__(self, "x", float(self.x))


@dataclass(frozen=True)
class Figure:
    """What to plot. `x_range`/`y_range` zoom (data units, y in real units even with `log_y`).

    `log_x`: a log10 x axis (an LR axis): x, marker positions and `x_range` stay in data units here; the
    renderer plots log10(x) with decade ticks, and `RenderInfo.xlim` / `column_to_x` are in log10 units.
    """

    series: Sequence[Series] = ()
    markers: Sequence[Marker] = ()
    title: str = ""
    xlabel: str = "step"
    ylabel: str = "lr"
    log_y: bool = False
    log_x: bool = False
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    label_x_end: bool = False  # also label the x axis's end (a curve's last step), when it fits
    width: int | None = None
    height: int | None = None

    def replace(self, **changes: Any) -> Figure:
        """A copy with some fields changed (dataclasses.replace)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class RenderInfo:
    """What `render` drew, and where: for status lines ("decimated") and for mouse mapping."""

    decimated: bool = False
    points_in: int = 0  # usable points inside the x range, all series together
    points_drawn: int = 0  # points handed to plotext after decimation
    dropped_nonpositive: int = 0  # points a log axis could not show (y <= 0)
    xlim: tuple[float, float] = (0.0, 1.0)  # data units (log10 values when log_x)
    ylim: tuple[float, float] = (0.0, 1.0)  # plot coordinates: log10 values when log_y, else y / 10**y_exp
    canvas_left: int = 0  # first terminal column of the data canvas, relative to the plot's left edge
    canvas_width: int = 0
    canvas_rows: int = 0
    width: int = 0
    height: int = 0
    xticks: TickSet = field(default_factory=lambda: TickSet([], []))
    yticks: TickSet = field(default_factory=lambda: TickSet([], []))
    x_exp: int = 0  # plotext got x / 10**x_exp (0 unless the values are beyond plotext's arithmetic)
    y_exp: int = 0  # plotext got y / 10**y_exp (linear axes only)
    plot_xlim: tuple[float, float] | None = None  # the x limits plotext got (xlim / 10**x_exp)

    def _plot_xlim(self) -> tuple[float, float]:
        if self.plot_xlim is not None:
            return self.plot_xlim
        return scale_down(self.xlim[0], self.x_exp), scale_down(self.xlim[1], self.x_exp)

    def column_to_x(self, column: int) -> float | None:
        """Data x drawn in plot column `column` (0 = the plot's left edge), or None outside the canvas."""
        x = self.column_to_plot_x(column)
        return None if x is None else float(scale_up(x, self.x_exp))

    def column_to_plot_x(self, column: int) -> float | None:
        """`column_to_x` in the units plotext got (x / 10**x_exp)."""
        c = column - self.canvas_left
        if self.canvas_width <= 0 or not 0 <= c < self.canvas_width:
            return None
        x0, x1 = self._plot_xlim()
        if self.canvas_width == 1:
            return x0
        return x0 + c * (x1 - x0) / (self.canvas_width - 1)

    def x_to_column(self, x: float) -> int | None:
        """Plot column where data x is drawn (as plotext maps vertical lines), or None outside the canvas."""
        x0, x1 = self._plot_xlim()
        if self.canvas_width <= 0 or x1 == x0 or not math.isfinite(x):
            return None
        position = 0.5 + (self.canvas_width - 1) * (scale_down(x, self.x_exp) - x0) / (x1 - x0)
        if not abs(position) < 2.0**52:  # far off the canvas (or overflowed): not drawn
            return None
        c = math.floor(round(position, 8))
        return self.canvas_left + c if 0 <= c < self.canvas_width else None


# plotext computes `(bins - 1) * (v - lo) / (hi - lo)` and rounds ticks with `math.floor`: beyond ~1e300
# that overflows, and near the subnormals the spans lose every digit. An axis whose values go past these
# bounds is handed to plotext in units of 10**exp.
SAFE_MAX = 1e100
SAFE_MIN = 1e-100


def axis_exp(lo: float, hi: float) -> int:
    """The power of ten an axis from `lo` to `hi` (finite) is drawn in: 0 for ordinary values."""
    big = max(abs(lo), abs(hi))
    if big > SAFE_MAX or 0 < big < SAFE_MIN:
        return math.floor(math.log10(big))
    return 0


def scale_down(values: Any, exp: int) -> Any:
    """values / 10**exp, in two factors so that neither overflows nor turns subnormal."""
    if exp == 0:
        return values
    half = exp // 2
    with np.errstate(over="ignore"):  # values far from this axis's range may overflow: never drawn
        return values / 10.0**half / 10.0 ** (exp - half)


def scale_up(values: Any, exp: int) -> Any:
    """values * 10**exp (inf past the float range, never an error)."""
    if exp == 0:
        return values
    half = exp // 2
    with np.errstate(over="ignore"):
        return values * 10.0**half * 10.0 ** (exp - half)


@dataclass(frozen=True)
class NonFinite:
    """Where a series stops being drawable: its first inf/NaN point, and how many there are."""

    x: float  # x of the first non-finite y
    value: float  # that y: inf, -inf or nan
    count: int  # non-finite points in the series
    to_end: bool  # every point from there on is non-finite (the curve overflowed for good)

    def note(self, name: str, unit: str = "step") -> str:
        """'lr overflows to inf from step 7,472', 'loss is NaN at step 12 (3 points)' ('NaN at ...' unnamed)."""
        what = "NaN" if math.isnan(self.value) else ("inf" if self.value > 0 else "-inf")
        where = _where(unit, self.x)
        subject = f"{name} is " if name else ""  # no name: the caption already names the series
        if self.to_end and what != "NaN":
            return f"{name} overflows to {what} from {where}".lstrip()
        if self.to_end:
            return f"{subject}NaN from {where}"
        more = f" ({self.count:,} points)" if self.count > 1 else ""
        return f"{subject}{what} at {where}{more}"

    @property
    def marker_label(self) -> str:
        what = "nan" if math.isnan(self.value) else ("inf" if self.value > 0 else "-inf")
        return f"{what} →" if self.to_end else what


def find_nonfinite(x: Any, y: Any) -> NonFinite | None:
    """The first point (in index order) whose y is inf, -inf or NaN; None when every y is finite."""
    y = np.asarray(y, dtype=np.float64)
    bad = ~np.isfinite(y)
    if not bad.any():
        return None
    i = int(bad.argmax())
    return NonFinite(
        x=float(np.asarray(x, dtype=np.float64)[i]),
        value=float(y[i]),
        count=int(np.count_nonzero(bad)),
        to_end=bool(bad[i:].all()),
    )


def _where(unit: str, x: float) -> str:
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return f"{unit} {int(x):,}"
    return f"{unit} {format_si(x)}"


def nonfinite_note(name: str, x: Any, y: Any, unit: str = "step") -> str | None:
    """`NonFinite.note` for a series, or None when every value is finite."""
    found = find_nonfinite(x, y)
    return None if found is None else found.note(name, unit)


@dataclass
class _Prepared:
    """One series sliced to the zoom window, with a mask of the points this axis can show."""

    x: np.ndarray
    y: np.ndarray
    usable: np.ndarray  # finite x and y (and y > 0 on a log axis)
    inside: np.ndarray  # within x_range (the neighbours kept for edge continuity are outside)
    dropped_nonpositive: int


def _prepare(series: Series, x_range: tuple[float, float] | None, log_y: bool) -> _Prepared:
    x, y = series.x, series.y
    if x_range is not None:
        lo, hi = x_range
        inside = (x >= lo) & (x <= hi)
        # Keep one neighbour on each side of the window so a line runs to the edge of the plot.
        near = inside.copy()
        near[1:] |= inside[:-1]
        near[:-1] |= inside[1:]
        if not near.all():
            x, y, inside = x[near], y[near], inside[near]
    else:
        inside = np.ones(x.shape, dtype=bool)
    usable = np.isfinite(x) & np.isfinite(y)
    dropped = 0
    if log_y:
        positive = y > 0
        dropped = int(np.count_nonzero(usable & inside & ~positive))
        usable &= positive
    return _Prepared(x, y, usable, inside, dropped)


def _finite_limits(values: list[np.ndarray]) -> tuple[float, float] | None:
    lows = [float(v.min()) for v in values if v.size]
    highs = [float(v.max()) for v in values if v.size]
    if not lows:
        return None
    return min(lows), max(highs)


def _finite_range(value: tuple[float, float] | None) -> tuple[float, float] | None:
    """A zoom range with both ends finite, sorted (anything else is no zoom)."""
    if value is None:
        return None
    lo, hi = (float(v) for v in value)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return min(lo, hi), max(lo, hi)


def _pad_equal(lo: float, hi: float, log_y: bool) -> tuple[float, float]:
    """Turn an empty span into a visible one (a flat line sits mid-plot)."""
    if hi > lo:
        return lo, hi
    if log_y:  # already log10 units
        return lo - 0.5, hi + 0.5
    pad = abs(lo) * 0.1 if lo != 0 else 1.0
    return lo - pad, hi + pad


def _y_limits(prepared: list[_Prepared], fig: Figure) -> tuple[tuple[float, float], int]:
    """The y limits in plot coordinates (log10, or y / 10**exp), and that exp."""
    y_range = _finite_range(fig.y_range)
    if y_range is not None:
        lo, hi = y_range
        if fig.log_y:
            if hi <= 0:
                lo, hi = 1e-12, 1.0  # nothing positive to show; any decade will do
            lo = lo if lo > 0 else max(hi * 1e-6, 5e-324)
            return _pad_equal(math.log10(lo), math.log10(hi), True), 0
    else:
        ys = [p.y[p.usable & p.inside] for p in prepared]
        limits = _finite_limits(ys)
        if limits is None:
            return ((-1.0, 1.0) if not fig.log_y else (-3.0, 0.0)), 0
        lo, hi = limits
        if fig.log_y:
            return _pad_equal(math.log10(lo), math.log10(hi), True), 0
    exp = axis_exp(lo, hi)
    return _pad_equal(scale_down(lo, exp), scale_down(hi, exp), False), exp


def _x_limits(prepared: list[_Prepared], fig: Figure) -> tuple[tuple[float, float], int]:
    """The x limits in plot units (x / 10**exp), and that exp."""
    x_range = _finite_range(fig.x_range)
    if x_range is not None:
        lo, hi = x_range
    else:
        # Points whose y overflowed still span the x axis: the gap shows where the curve left the plot.
        xs = [p.x[p.usable | (np.isfinite(p.x) & ~np.isfinite(p.y))] for p in prepared]
        limits = _finite_limits(xs)
        if limits is None:
            marker_xs = [m.x for m in fig.markers if math.isfinite(m.x)]
            limits = (min(marker_xs), max(marker_xs)) if marker_xs else (0.0, 1.0)
        lo, hi = limits
    exp = axis_exp(lo, hi)
    plo, phi = scale_down(lo, exp), scale_down(hi, exp)
    if phi <= plo:
        pad = abs(plo) * 0.1 if plo != 0 else 1.0
        plo, phi = plo - pad, phi + pad
    return (plo, phi), exp


def _series_color(index: int, series: Series, monochrome: bool) -> str:
    if monochrome:
        return "default"
    return series.color or SERIES_COLORS[index % len(SERIES_COLORS)]


def _series_marker(index: int, series: Series, monochrome: bool) -> str:
    if monochrome:
        return MONOCHROME_MARKERS[index % len(MONOCHROME_MARKERS)]
    return LINE_MARKER if series.style == "line" else SCATTER_MARKER


def render(
    plt: Any,
    fig: Figure,
    *,
    width_cols: int,
    height_rows: int | None = None,
    monochrome: bool = False,
    theme: str | None = None,
    native_lines: bool = False,
) -> RenderInfo:
    """Draw `fig` onto `plt` (the `plotext` module, a plotext figure, or textual-plotext's `self.plt`).

    Clears `plt` first. `width_cols`/`height_rows` are the plot's size in terminal cells (the widget's
    size; `fig.width`/`fig.height` are ignored here). `theme` sets a plotext theme when given (the widget
    leaves it to textual-plotext). Nothing is built: call `plt.build()` (or let the widget render) next.
    Returns where things were drawn and whether decimation happened.

    Series are rasterized here (`lrtui.plotting.raster`: the same characters plotext would draw, several
    times faster); `native_lines=True` lets plotext draw them itself, the reference the tests compare with.
    """
    width = max(int(width_cols), 1)
    height = max(int(height_rows if height_rows is not None else (fig.height or 20)), 1)
    plt.clear_figure()
    # plotext caps the plot at the terminal's size unless told otherwise; the caller's size is the truth.
    if hasattr(plt, "limitsize"):  # the plotext module
        plt.limitsize(False, False)
    elif hasattr(plt, "_limit_size"):  # a plotext figure object (textual-plotext's Plot, render_text)
        plt._limit_size(False, False)
    plt.plotsize(width, height)
    if theme is not None:
        plt.theme(theme)

    log_x = fig.log_x
    if log_x:
        fig = _log_x_figure(fig)
    x_range = _finite_range(fig.x_range)
    prepared = [_prepare(s, x_range, fig.log_y) for s in fig.series]
    pxlim, x_exp = _x_limits(prepared, fig)  # what plotext gets: x / 10**x_exp (log10 x: always exp 0)
    xlim = (float(scale_up(pxlim[0], x_exp)), float(scale_up(pxlim[1], x_exp)))
    ylim, y_exp = _y_limits(prepared, fig)

    title_rows = 1 if fig.title else 0
    label_rows = 1 if (fig.xlabel or fig.ylabel) else 0
    canvas_rows = max(height - _FRAME_ROWS - _XTICK_ROWS - title_rows - label_rows, 0)

    if fig.log_y:
        yticks = log_ticks(*ylim, max_ticks=max(2, min(7, canvas_rows // 2)))
    else:
        yticks = scaled_ticks(linear_ticks(*ylim, max_ticks=max(2, min(7, canvas_rows // 2))), y_exp)
    ylabel_width = max((len(label) for label in yticks.labels), default=0)
    canvas_left = ylabel_width + 1
    canvas_width = max(width - ylabel_width - 2, 0)
    if log_x:
        xticks = log_ticks(*pxlim, max_ticks=max(2, min(8, canvas_width // 8)))
    else:
        xticks = linear_ticks(*pxlim, max_ticks=max(2, min(8, canvas_width // 10)), si=True)
        if fig.label_x_end and x_exp == 0:
            xticks = with_end_tick(xticks, *pxlim, canvas_width)
        xticks = scaled_ticks(xticks, x_exp)

    n_buckets = max(canvas_width, 1)
    points_in = dropped = 0
    drawable = []  # (index, series, prepared, decimated indices) of every series with a point to draw
    for index, (series, prep) in enumerate(zip(fig.series, prepared)):
        dropped += prep.dropped_nonpositive
        points_in += int(np.count_nonzero(prep.usable & prep.inside))
        idx = minmax_indices(prep.y, n_buckets, valid=prep.usable)
        if idx.size:
            drawable.append((index, series, prep, idx))
    # plotext draws the legend only where it fits (its `legend_test`); where it does not, labels have no
    # effect, and the fast path leaves them out (a legend-only dot would otherwise stay visible).
    labels = [len(series.label) + 2 for _, series, _, _ in drawable if series.label]
    legend_fits = canvas_width >= 3 + max(labels, default=0) and canvas_rows >= len(labels)
    decimated = False
    points_drawn = 0
    # Where the curves are (rows top-down), so marker labels can be put where they hide none.
    occupied = np.zeros((max(canvas_rows, 0), max(canvas_width, 0)), dtype=bool)
    for index, series, prep, idx in drawable:
        decimated |= idx.size < int(np.count_nonzero(prep.usable))
        xs = scale_down(prep.x[idx], x_exp)
        ys = np.log10(prep.y[idx]) if fig.log_y else scale_down(prep.y[idx], y_exp)
        points_drawn += int(idx.size)
        style = _SeriesDraw(
            marker=_series_marker(index, series, monochrome),
            color=_series_color(index, series, monochrome),
            label=(series.label or None) if (legend_fits or native_lines) else None,
            lines=series.style == "line",
        )
        cells = rasterize(
            xs,
            ys,
            xlim=pxlim,
            ylim=ylim,
            cols=canvas_width,
            rows=canvas_rows,
            marker=style.marker,
            lines=style.lines,
        )
        occupied[canvas_rows - 1 - cells.rows, cells.cols] = True
        if native_lines:
            draw = plt.plot if style.lines else plt.scatter
            draw(xs.tolist(), ys.tolist(), marker=style.marker, color=style.color, label=style.label)
        else:
            _draw_cells(plt, cells, style, pxlim, ylim, canvas_width, canvas_rows)

    plt.xlim(*pxlim)
    plt.ylim(*ylim)
    if xticks.positions:
        plt.xticks(xticks.positions, xticks.labels)
    # Always ours, even none: plotext's own labels would move the canvas away from `RenderInfo`.
    plt.yticks(yticks.positions, yticks.labels)
    if fig.title:
        plt.title(fig.title)
    if fig.xlabel:
        plt.xlabel(f"{fig.xlabel} (log)" if log_x else fig.xlabel)
    if fig.ylabel:
        plt.ylabel(f"{fig.ylabel} (log)" if fig.log_y else fig.ylabel)

    info = RenderInfo(
        decimated=decimated,
        points_in=points_in,
        points_drawn=points_drawn,
        dropped_nonpositive=dropped,
        xlim=xlim,
        ylim=ylim,
        plot_xlim=pxlim,
        canvas_left=canvas_left,
        canvas_width=canvas_width,
        canvas_rows=canvas_rows,
        width=width,
        height=height,
        xticks=xticks,
        yticks=yticks,
        x_exp=x_exp,
        y_exp=y_exp,
    )
    _draw_markers(plt, fig, info, monochrome, occupied)
    return info


def _log_x_figure(fig: Figure) -> Figure:
    """The figure in log10(x) coordinates: points, markers and zoom with x <= 0 (or non-finite) dropped."""

    def log10(values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)

    series = []
    for s in fig.series:
        lx = log10(s.x)
        keep = np.isfinite(lx)
        series.append(replace(s, x=lx[keep], y=s.y[keep]))
    markers = [replace(m, x=math.log10(m.x)) for m in fig.markers if math.isfinite(m.x) and m.x > 0]
    x_range = None
    if fig.x_range is not None and min(fig.x_range) > 0:
        x_range = (math.log10(fig.x_range[0]), math.log10(fig.x_range[1]))
    return fig.replace(series=series, markers=markers, x_range=x_range, log_x=False)


@dataclass(frozen=True)
class _SeriesDraw:
    marker: str
    color: str
    label: str | None
    lines: bool


def _draw_cells(
    plt: Any,
    cells: Cells,
    style: _SeriesDraw,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    cols: int,
    rows: int,
) -> None:
    """Draw one series as finished cells: plotext only places characters (see `lrtui.plotting.raster`)."""
    cx, cy = cell_centres(cells, xlim=xlim, ylim=ylim, cols=cols, rows=rows)
    # plotext's legend shows a series' first three markers (and fails on a labelled series with no
    # point): a labelled series whose characters vary gets a one-dot series of the plain marker for its
    # legend entry, on a cell the real series then overwrites, or on the legend's own corner.
    legend_at = ([cx[0]], [cy[0]]) if cx else ([xlim[0]], [ylim[1]])
    # A series with nothing to draw still goes to plotext (it draws the axes only when it has a series).
    if resolution(style.marker) == (1, 1):
        at = legend_at if style.label and not cx else (cx, cy)
        plt.scatter(*at, marker=style.marker, color=style.color, label=style.label)
        return
    if style.label:
        plt.scatter(*legend_at, marker=style.marker, color=style.color, label=style.label)
    if cx or not style.label:
        plt.scatter(cx, cy, marker=cells.chars or style.marker, color=style.color)


def _draw_markers(plt: Any, fig: Figure, info: RenderInfo, monochrome: bool, occupied: np.ndarray) -> None:
    visible: list[tuple[Marker, int]] = []
    for marker in fig.markers:
        column = info.x_to_column(marker.x)
        if column is None:
            continue
        color = "default" if monochrome else MARKER_COLORS[marker.kind]
        x = scale_down(marker.x, info.x_exp)
        if color is None:
            plt.vline(x)
        else:
            plt.vline(x, color=color)
        visible.append((marker, column - info.canvas_left))
    if not visible or info.canvas_rows < 1:
        return
    # plotext puts the legend in the top-left corner of the canvas: keep marker labels off it.
    labelled = [s.label for s in fig.series if s.label]
    legend_width = (
        3 + max((len(label) + 2 for label in labelled), default=0) + (2 if len(labelled) > 1 else 0)
    )
    reserved = [(row, 0, legend_width) for row in range(len(labelled))]
    y0, y1 = info.ylim
    row_step = (y1 - y0) / max(info.canvas_rows - 1, 1)
    for marker, row, column, alignment in place_marker_labels(
        visible, info.canvas_width, info.canvas_rows, reserved, occupied
    ):
        x = info.column_to_plot_x(info.canvas_left + column)
        color = "default" if monochrome else (MARKER_COLORS[marker.kind] or "default")
        plt.text(marker.label, x, y1 - row * row_step, color=color, alignment=alignment)


def render_text(
    fig: Figure,
    width: int | None = None,
    height: int | None = None,
    *,
    monochrome: bool | None = None,
) -> str:
    """The chart as a string (ANSI colours unless monochrome), for the CLI and for tests.

    Uses a private plotext figure, so repeated calls share no state. `monochrome=None` follows NO_COLOR.
    Width/height default to the figure's, then to 100x25.
    """
    from plotext._figure import _figure_class  # lazy: plotext is only needed when drawing

    if monochrome is None:
        monochrome = no_color_requested()
    width = width or fig.width or 100
    height = height or fig.height or 25
    plt = _figure_class()
    render(
        plt,
        fig,
        width_cols=width,
        height_rows=height,
        monochrome=monochrome,
        theme="clear" if monochrome else "pro",
    )
    text = plt.build()
    if monochrome:
        from plotext._utility import uncolorize

        text = uncolorize(text)
    return text


def describe_decimation(info: RenderInfo) -> str:
    """Short status text: 'decimated: 1M points → 96 columns' (empty when nothing was decimated)."""
    if not info.decimated:
        return ""
    return f"decimated: {format_si(info.points_in)} points → {info.canvas_width} columns"
