"""CurvePlot: a textual-plotext plot of a `Figure`, with a keyboard/mouse cursor that reads exact values.

Rebuilding is cheap whatever the data size: every render decimates (min/max per column, in numpy) before
plotext sees a point, so a 1M-step curve costs the same to draw as a 200-point one.

The cursor snaps to the points of the first series (the "primary" series: the planned schedule, or the
metric being inspected). Values reported for the other series come from their own nearest point in x, so
a series logged every N steps reports its closest logged value. Every reported value is the original,
undecimated y.

Mouse mapping: we compute the axis limits and tick labels ourselves (`lrtui.plotting.figure.render`), so
the data canvas's position inside the widget follows from plotext 5.3's layout rule (canvas starts after
the y tick labels and the left frame line). That rule is read from plotext's source, not from a public
API: a future plotext could shift it by a column. Clicks outside the canvas clamp to its nearest edge.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual_plotext import PlotextPlot

from lrtui.plotting.figure import Figure, Marker, RenderInfo, describe_decimation, no_color_requested, render
from lrtui.widgets.plot.ansi import ansi_to_content

__all__ = ["CurvePlot"]


def _is_sorted(x: np.ndarray) -> bool:
    return bool(x.size < 2 or np.all(x[1:] >= x[:-1]))


def _nearest_index(x: np.ndarray, target: float, is_sorted: bool) -> int | None:
    """Index of the point of `x` closest to `target` (the earlier one on a tie); None if none is finite."""
    if x.size == 0:
        return None
    if is_sorted:
        right = int(np.searchsorted(x, target, side="left"))
        if right <= 0:
            return 0
        if right >= x.size:
            return int(x.size - 1)
        return right if (x[right] - target) < (target - x[right - 1]) else right - 1
    distance = np.abs(x - target)
    if not np.isfinite(distance).any():
        return None
    return int(np.nanargmin(distance))


class CurvePlot(PlotextPlot, can_focus=True):
    """A plot of a `Figure` with a cursor. Post `CurvePlot.CursorMoved` when the cursor moves."""

    DEFAULT_CSS = """
    CurvePlot {
        width: 1fr;
        height: 1fr;
    }
    """

    HELP_TITLE = "Chart"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move_cursor(-1)", "Cursor ←", show=False, id="curve_plot.cursor_left"),
        Binding("right", "move_cursor(1)", "Cursor →", show=False, id="curve_plot.cursor_right"),
        Binding("shift+left", "move_cursor(-10)", "Cursor ← ×10", show=False, id="curve_plot.cursor_left_10"),
        Binding(
            "shift+right", "move_cursor(10)", "Cursor → ×10", show=False, id="curve_plot.cursor_right_10"
        ),
        Binding("home", "cursor_home", "Cursor to start", show=False, id="curve_plot.cursor_home"),
        Binding("end", "cursor_end", "Cursor to end", show=False, id="curve_plot.cursor_end"),
        Binding("l", "toggle_log", "Log y", id="curve_plot.toggle_log"),
    ]

    class CursorMoved(Message):
        """The cursor moved (or the figure under it changed): the exact values at the cursor."""

        def __init__(self, plot: CurvePlot, x_index: int, x: float, values: dict[str, float]) -> None:
            super().__init__()
            self.plot = plot
            self.x_index = x_index  # index into the primary (first) series
            self.x = x
            self.values = values  # series label -> undecimated y at (or nearest to) x

        @property
        def control(self) -> CurvePlot:
            return self.plot

    decimated: var[bool] = var(False)
    """Whether the last render drew fewer points than the data has (min/max per column)."""
    decimation: var[str] = var("")
    """Status text for the last render, e.g. 'decimated: 1M points → 96 columns' ('' when not decimated)."""

    def __init__(
        self,
        figure: Figure | None = None,
        *,
        monochrome: bool | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.monochrome = no_color_requested() if monochrome is None else monochrome
        self.render_info: RenderInfo | None = None
        self.cursor_index: int | None = None
        self._figure = Figure()
        self._sorted: list[bool] = []
        if figure is not None:
            self._set_figure(figure)

    # -- the figure ---------------------------------------------------------------------------------------

    @property
    def figure(self) -> Figure:
        return self._figure

    def _set_figure(self, figure: Figure) -> None:
        self._figure = figure
        primary = self._primary_x()
        self._sorted = [_is_sorted(series.x) for series in figure.series]
        if self.cursor_index is not None:
            if primary is None or primary.size == 0:
                self.cursor_index = None
            else:
                self.cursor_index = min(self.cursor_index, int(primary.size - 1))

    def set_figure(self, figure: Figure) -> None:
        """Show `figure` (cheap: decimation happens at render). Keeps the cursor at the same index."""
        self._set_figure(figure)
        if self.cursor_index is not None:
            self._post_cursor()
        self.refresh()

    def toggle_log(self) -> None:
        self.set_figure(self._figure.replace(log_y=not self._figure.log_y))

    def _primary_x(self) -> np.ndarray | None:
        return self._figure.series[0].x if self._figure.series else None

    # -- rendering ----------------------------------------------------------------------------------------

    def _figure_to_draw(self) -> Figure:
        primary = self._primary_x()
        if self.cursor_index is None or primary is None:
            return self._figure
        cursor = Marker(float(primary[self.cursor_index]), "", "cursor")
        return self._figure.replace(markers=(*self._figure.markers, cursor))

    def render(self) -> RenderResult:
        width, height = self.size.width, self.size.height
        if width < 2 or height < 2:
            return Text("")
        info = render(
            self.plt, self._figure_to_draw(), width_cols=width, height_rows=height, monochrome=self.monochrome
        )
        self.render_info = info
        self.decimated = info.decimated
        self.decimation = describe_decimation(info)
        # PlotextPlot.render, with our fast decoder in place of Text.from_ansi (~6 ms per frame saved), straight
        # to the Content Textual would make of that Text (~3 ms more: lrtui.widgets.plot.ansi).
        self.plt.plotsize(width, height)
        self.plt._set_size(width, height)  # textual-plotext does this too (its issue #5: resizing)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        return ansi_to_content(self.plt.build(), self.app.ansi_theme)

    # -- the cursor ---------------------------------------------------------------------------------------

    def _visible_index_range(self) -> tuple[int, int] | None:
        """First and last index of the primary series inside the zoom window (None: nothing to point at)."""
        primary = self._primary_x()
        if primary is None or primary.size == 0:
            return None
        x_range = self._figure.x_range
        if x_range is None:
            return 0, int(primary.size - 1)
        lo, hi = sorted(x_range)
        inside = np.flatnonzero((primary >= lo) & (primary <= hi))
        if inside.size == 0:
            return None
        return int(inside[0]), int(inside[-1])

    def _column_dx(self) -> float:
        """Data x covered by one canvas column at the current size and zoom."""
        info = self.render_info
        if info is None or info.canvas_width < 2:
            return 0.0
        return (info.xlim[1] - info.xlim[0]) / (info.canvas_width - 1)

    def move_cursor_to_index(self, index: int) -> None:
        """Put the cursor on point `index` of the primary series (clamped to the visible range)."""
        bounds = self._visible_index_range()
        if bounds is None:
            return
        index = max(bounds[0], min(bounds[1], int(index)))
        if index != self.cursor_index:
            self.cursor_index = index
            self._post_cursor()
            self.refresh()

    def move_cursor_to_x(self, x: float) -> None:
        """Put the cursor on the primary point nearest to data x."""
        primary = self._primary_x()
        if primary is None:
            return
        index = _nearest_index(primary, x, self._sorted[0])
        if index is not None:
            self.move_cursor_to_index(index)

    def action_move_cursor(self, columns: int) -> None:
        """Move by `columns` screen columns of data (at least one data point per press)."""
        primary = self._primary_x()
        bounds = self._visible_index_range()
        if primary is None or bounds is None:
            return
        if self.cursor_index is None:
            self.move_cursor_to_index(bounds[0] if columns > 0 else bounds[1])
            return
        current = self.cursor_index
        index = current
        dx = self._column_dx()
        if dx > 0 and np.isfinite(primary[current]):
            nearest = _nearest_index(primary, float(primary[current]) + columns * dx, self._sorted[0])
            index = current if nearest is None else nearest
        if (index - current) * columns <= 0:  # too few columns' worth of data: step one point
            index = current + (1 if columns > 0 else -1)
        self.move_cursor_to_index(index)

    def action_cursor_home(self) -> None:
        bounds = self._visible_index_range()
        if bounds is not None:
            self.move_cursor_to_index(bounds[0])

    def action_cursor_end(self) -> None:
        bounds = self._visible_index_range()
        if bounds is not None:
            self.move_cursor_to_index(bounds[1])

    def action_toggle_log(self) -> None:
        self.toggle_log()

    def column_to_x(self, column: int) -> float | None:
        """Data x under widget content column `column`, clamped to the canvas (None before a render)."""
        info = self.render_info
        if info is None or info.canvas_width < 1:
            return None
        column = max(info.canvas_left, min(info.canvas_left + info.canvas_width - 1, column))
        return info.column_to_x(column)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        self.focus()
        x = self.column_to_x(offset.x)
        if x is not None:
            self.clicked_at(x)

    def clicked_at(self, x: float) -> None:
        """A click at data x: the cursor goes to the nearest drawn point (a subclass may place it otherwise)."""
        self.move_cursor_to_x(x)

    def cursor_values(self) -> dict[str, float]:
        """The undecimated y of every series at the cursor's x (nearest point of each series)."""
        primary = self._primary_x()
        if self.cursor_index is None or primary is None:
            return {}
        x = float(primary[self.cursor_index])
        values: dict[str, float] = {}
        for number, series in enumerate(self._figure.series):
            if number == 0:
                index: int | None = self.cursor_index
            else:
                index = _nearest_index(series.x, x, self._sorted[number])
            if index is None:
                continue
            label = series.label or f"series {number + 1}"
            while label in values:
                label = f"{label}'"
            values[label] = float(series.y[index])
        return values

    def _post_cursor(self) -> None:
        primary = self._primary_x()
        if self.cursor_index is None or primary is None:
            return
        x = float(primary[self.cursor_index])
        self.post_message(self.CursorMoved(self, self.cursor_index, x, self.cursor_values()))
