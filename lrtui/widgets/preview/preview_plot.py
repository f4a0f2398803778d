"""The preview's plot: a CurvePlot whose cursor is an optimizer step, not a point of the drawn series.

The drawn series are a few thousand min/max points of a curve that may have a million steps; a cursor on
those points could never land on step 500. Here the keys ask the screen (which owns the view model,
`lrtui.widgets.preview.model`) to move the cursor by exact steps, columns, to a typed step or to a marker,
and the plot only draws the cursor line where the screen puts it (`show_cursor`).
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message

from lrtui.plotting.figure import Figure, Marker
from lrtui.widgets.plot.curve_plot import CurvePlot


class PreviewPlot(CurvePlot, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "cursor('units', -1)", "Cursor ← one step", show=False, id="preview_plot.left"),
        Binding("right", "cursor('units', 1)", "Cursor → one step", show=False, id="preview_plot.right"),
        Binding(
            "shift+left", "cursor('units', -10)", "Cursor ← 10 steps", show=False, id="preview_plot.left10"
        ),
        Binding(
            "shift+right", "cursor('units', 10)", "Cursor → 10 steps", show=False, id="preview_plot.right10"
        ),
        Binding(
            "ctrl+left",
            "cursor('columns', -1)",
            "Cursor ← one column",
            show=False,
            id="preview_plot.col_left",
        ),
        Binding(
            "ctrl+right",
            "cursor('columns', 1)",
            "Cursor → one column",
            show=False,
            id="preview_plot.col_right",
        ),
        Binding("home", "cursor('home', 0)", "Cursor to the start", show=False, id="preview_plot.home"),
        Binding("end", "cursor('end', 0)", "Cursor to the end", show=False, id="preview_plot.end"),
        Binding(
            "left_square_bracket",
            "cursor('marker', -1)",
            "Previous marker",
            show=False,
            id="preview_plot.prev",
        ),
        Binding(
            "right_square_bracket", "cursor('marker', 1)", "Next marker", show=False, id="preview_plot.next"
        ),
    ]  # not inherited: CurvePlot moves over drawn points; l (log y) is the screen's (it also updates the status)

    class CursorRequest(Message):
        """A key asked to move the cursor: by `amount` units (steps, or epochs on the epoch axis), columns,
        to the start/end, or to the next/previous marker."""

        def __init__(self, plot: PreviewPlot, how: str, amount: int) -> None:
            super().__init__()
            self.plot = plot
            self.how = how
            self.amount = amount

        @property
        def control(self) -> PreviewPlot:
            return self.plot

    class ClickedAt(Message):
        """The plot was clicked at data x (in the plot's x unit)."""

        def __init__(self, plot: PreviewPlot, x: float) -> None:
            super().__init__()
            self.plot = plot
            self.x = x

        @property
        def control(self) -> PreviewPlot:
            return self.plot

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_x: float | None = None  # the cursor's data x, set by the screen

    def show_cursor(self, x: float | None) -> None:
        if x != self.cursor_x:
            self.cursor_x = x
            self.refresh()

    def _figure_to_draw(self) -> Figure:
        if self.cursor_x is None:
            return self.figure
        return self.figure.replace(markers=(*self.figure.markers, Marker(self.cursor_x, "", "cursor")))

    def steps_per_column(self) -> float:
        """Data x one canvas column spans at the current size and zoom (0 before the first render)."""
        return self._column_dx()

    def action_cursor(self, how: str, amount: int) -> None:
        self.post_message(self.CursorRequest(self, how, amount))

    def clicked_at(self, x: float) -> None:
        # the screen places the cursor on the exact step (CurvePlot would snap to a drawn point)
        self.post_message(self.ClickedAt(self, x))
