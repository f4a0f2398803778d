"""A table that draws only the rows on screen: 1,000 or 100,000 rows cost the same to show.

Textual's DataTable builds and measures every cell of every row when rows are added (1,000 runs x 12
cells took ~1.5 s on 2 cores). `LazyTable` keeps the rows as data (plain strings and a style per cell),
measures column widths from the strings, and renders a line (Textual's line API: `render_line` on a
`ScrollView` whose virtual height is the row count + the header) only when it is on screen; the strips of
rows drawn are cached until their data, the cursor, the widths, the focus or the theme change.

Keys (row cursor): up/down, page up/down, home/end (first/last row), left/right scroll wide tables.
A click moves the cursor; a click on the cursor's row chooses it (as DataTable does). Messages:
`Highlighted` when the cursor moves to another row, `Chosen` on enter or a click on the cursor's row.
One column may be `flex`: it gets the width the others leave (at least its `min_width`), cut with "…".
Columns with a `squeeze_to` narrow (down to it) as far as the first `in_view` columns need to fit the
width, when that is enough; `cut_from="left"` keeps a text's end (a path's last folders tell runs apart, not its root).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lrtui.runs.text import clean_text

PADDING = 1  # blank cells either side of every column (as DataTable's cell_padding)
CACHED_STRIPS = 512  # rendered rows kept (a few screens' worth; older ones are dropped first)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    flex: bool = False  # takes the width the other columns leave, cut with "…"
    min_width: int = 0  # of a flex column: never narrower (the table scrolls sideways instead)
    squeeze_to: int = 0  # narrowed down to this, if need be, so that the table's first in_view columns fit
    cut_from: str = "right"  # where a text too long for the column loses characters: "right" or "left"


@dataclass(frozen=True)
class Row:
    """One row as data: its key, the text of each cell, and a Rich style per cell ("" = the row's)."""

    key: str
    cells: tuple[str, ...]
    styles: tuple[str, ...] = ()

    @classmethod
    def of(cls, key: str, cells: Sequence[object], styles: Sequence[str] = ()) -> Row:
        """A row from any values: each shown as its cleaned text (control characters stripped, one line)."""
        return cls(key, tuple(clean_text(c) for c in cells), tuple(styles))


@lru_cache(maxsize=64)
def _column_meta(column: int) -> Style:
    return Style.from_meta({"column": column})


def cut(text: str, width: int, cut_from: str = "right") -> str:
    """`text` in at most `width` cells, ending (or, cut from the left, starting) in "…" when longer."""
    if cell_len(text) <= width:
        return text
    if width <= 0:
        return ""
    if cut_from == "left":
        tail = text
        while cell_len(tail) > width - 1:
            tail = tail[1:]
        return "…" + tail
    return set_cell_size(text, width - 1) + "…"


class LazyTable(ScrollView, can_focus=True):
    """Rows as data, drawn a visible line at a time (see the module's docstring)."""

    HELP_TITLE = "List"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Choose the row", show=False),
        Binding("up", "cursor_up", "Previous row", show=False),
        Binding("down", "cursor_down", "Next row", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First row", show=False),
        Binding("end,ctrl+end", "last", "Last row", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "lazy-table--header",
        "lazy-table--cursor",
        "lazy-table--even-row",
    }
    # DataTable's look (its theme variables), so the list looks as it did.
    DEFAULT_CSS = """
    LazyTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .lazy-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .lazy-table--header { background-tint: $foreground 5%; }
        }
        &:dark > .lazy-table--even-row { background: $surface-darken-1 40%; }
        & > .lazy-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .lazy-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .lazy-table--even-row { background: $surface-lighten-1 50%; }
        & > .lazy-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class Highlighted(Message):
        def __init__(self, table: LazyTable, row: int, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.row = row
            self.key = key

        @property
        def control(self) -> LazyTable:
            return self.table

    class Chosen(Highlighted):
        """Enter was pressed, or the cursor's row clicked."""

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        in_view: int = 0,
        zebra_stripes: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.in_view = in_view  # how many leading columns squeezable ones make room for
        self.zebra_stripes = zebra_stripes
        self.rows: list[Row] = []
        self._index: dict[str, int] = {}  # row key -> position
        self.cursor_row = 0
        self._natural: list[int] = [cell_len(c.label) for c in self.columns]  # widest cell of each column
        self.widths: list[int] = list(self._natural)  # as drawn (the flex column fitted to the width)
        self._strips: dict[tuple[int, Row, bool], Strip] = {}
        self._header: Strip | None = None

    # -- data -------------------------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def keys(self) -> list[str]:
        return [row.key for row in self.rows]

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show `rows`; the cursor stays on the row with the same key (else at the same position)."""
        old_key = self.cursor_key
        self.rows = list(rows)
        self._index = {row.key: i for i, row in enumerate(self.rows)}
        self._measure()
        self._invalidate()
        cursor = self._index.get(old_key, self.cursor_row) if old_key is not None else self.cursor_row
        self.cursor_row = max(0, min(cursor, len(self.rows) - 1))
        self.virtual_size = Size(self._total_width(), len(self.rows) + 1)
        self._scroll_cursor_into_view()
        self.refresh()
        if self.cursor_key != old_key:
            self.post_message(self.Highlighted(self, self.cursor_row, self.cursor_key))

    def replace_row(self, row: Row) -> None:
        """Change one row in place (same key); the widths grow if its cells are wider."""
        i = self._index.get(row.key)
        if i is None:
            return
        self.rows[i] = row
        if any(cell_len(cell) > width for cell, width in zip(row.cells, self._natural)):
            self._measure()
            self._invalidate()
            self.virtual_size = Size(self._total_width(), len(self.rows) + 1)
            self.refresh()
        else:
            self._refresh_row(i)

    def row(self, key: str) -> Row | None:
        i = self._index.get(key)
        return None if i is None else self.rows[i]

    def get_row(self, key: str) -> tuple[str, ...]:
        return self.rows[self._index[key]].cells

    def get_row_at(self, index: int) -> tuple[str, ...]:
        return self.rows[index].cells

    def shown_row(self, key: str) -> tuple[str, ...]:
        """The row's cells as drawn: each cut to its column's width."""
        return tuple(
            cut(cell, width, column.cut_from)
            for cell, width, column in zip(self.get_row(key), self.widths, self.columns)
        )

    @property
    def cursor_key(self) -> str | None:
        return self.rows[self.cursor_row].key if 0 <= self.cursor_row < len(self.rows) else None

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Put the cursor on `row` (clamped to the rows there are) and scroll it into view."""
        if not self.rows:
            return
        row = max(0, min(row, len(self.rows) - 1))
        old = self.cursor_row
        self.cursor_row = row
        if scroll:
            self._scroll_cursor_into_view()
        if row != old:
            self._refresh_row(old)
            self._refresh_row(row)
            self.post_message(self.Highlighted(self, row, self.cursor_key))

    # -- widths -----------------------------------------------------------------------------------------------
    def _measure(self) -> None:
        natural = [cell_len(c.label) for c in self.columns]
        for i in range(len(self.columns)):
            widest = max((cell_len(row.cells[i]) for row in self.rows if i < len(row.cells)), default=0)
            natural[i] = max(natural[i], widest)
        self._natural = natural
        self._fit()

    def _fit(self) -> None:
        """The flex column gets what the others leave of the width (not more than its widest cell); then
        squeezable columns narrow so that the first `in_view` columns fit, where they can (not under their
        squeeze_to)."""
        widths = list(self._natural)
        room = self.size.width - self.styles.scrollbar_size_vertical
        others = sum(w + 2 * PADDING for c, w in zip(self.columns, widths) if not c.flex)
        for i, column in enumerate(self.columns):
            if column.flex:
                widths[i] = min(widths[i], max(column.min_width, room - others - 2 * PADDING))
        over = sum(w + 2 * PADDING for w in widths[: self.in_view]) - room
        slack = [max(0, w - c.squeeze_to) if c.squeeze_to else 0 for c, w in zip(self.columns, widths)]
        if (
            0 < over <= sum(slack[: self.in_view])
        ):  # only when that brings them all in view: else cut for nothing
            for i in range(self.in_view):
                narrower = min(over, slack[i])
                widths[i] -= narrower
                over -= narrower
        self.widths = widths

    def _total_width(self) -> int:
        return sum(w + 2 * PADDING for w in self.widths)

    def on_resize(self, _event: events.Resize) -> None:
        widths = self.widths
        self._fit()
        if self.widths != widths:
            self._invalidate()
        self.virtual_size = Size(self._total_width(), len(self.rows) + 1)
        self._scroll_cursor_into_view()

    # -- rendering --------------------------------------------------------------------------------------------
    def _invalidate(self) -> None:
        self._strips.clear()
        self._header = None

    def notify_style_update(self) -> None:
        super().notify_style_update()  # the theme or a pseudo-class (focus) changed: new styles
        self._invalidate()

    def on_focus(self, _event: events.Focus) -> None:
        self._invalidate()  # the cursor's colours differ with the focus
        self.refresh()

    def on_blur(self, _event: events.Blur) -> None:
        self._invalidate()
        self.refresh()

    def _line(
        self, cells: Sequence[str], styles: Sequence[str], base: Style, over: Style | None = None
    ) -> Strip:
        """A row's strip: each cell padded to its column; `over` (the cursor) wins over cell styles."""
        segments = []
        pad = " " * PADDING
        for i, width in enumerate(self.widths):
            text = cells[i] if i < len(cells) else ""
            text = cut(text, width, self.columns[i].cut_from)
            text = pad + text + " " * (width - cell_len(text)) + pad
            style = base + Style.parse(styles[i]) if i < len(styles) and styles[i] else base
            if over is not None:
                style += over
            # a column's meta keeps its segment apart from the next (as DataTable's cells): an SVG export
            # then places every cell at its column, whatever width a font gives "●" or "✔"
            segments.append(Segment(text, style + _column_meta(i)))
        return Strip(segments, self._total_width())

    def _row_strip(self, index: int) -> Strip:
        row = self.rows[index]
        cursor = index == self.cursor_row
        key = (index, row, cursor)
        strip = self._strips.get(key)
        if strip is None:
            base = self.rich_style
            if self.zebra_stripes and index % 2 == 0:  # as DataTable: rows 0, 2, 4... are "even"
                base += self.get_component_rich_style("lazy-table--even-row")
            over = self.get_component_rich_style("lazy-table--cursor") if cursor else None
            strip = self._line(row.cells, row.styles, base, over)
            if len(self._strips) >= CACHED_STRIPS:
                del self._strips[next(iter(self._strips))]
            self._strips[key] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:  # the header stays at the top; it scrolls sideways with the rows
            if self._header is None:
                style = self.rich_style + self.get_component_rich_style("lazy-table--header")
                self._header = self._line([c.label for c in self.columns], (), style)
            strip = self._header
        else:
            index = scroll_y + y - 1
            if not 0 <= index < len(self.rows):
                return Strip.blank(width, self.rich_style)
            strip = self._row_strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(index + 1)  # virtual line index + 1 (the header is line 0)

    # -- cursor -----------------------------------------------------------------------------------------------
    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        shown = self.scrollable_content_region.height - 1  # rows under the header
        if shown < 1:
            return
        top = round(self.scroll_y)
        if self.cursor_row < top:
            top = self.cursor_row
        elif self.cursor_row >= top + shown:
            top = self.cursor_row - shown + 1
        if top != round(self.scroll_y):
            self.scroll_to(y=top, animate=False, force=True)

    def action_choose(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.Chosen(self, self.cursor_row, self.cursor_key))

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._page)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._page)

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self.rows) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return  # the header, or the scrollbars
        index = round(self.scroll_y) + offset.y - 1
        if not 0 <= index < len(self.rows):
            return
        event.stop()
        if index == self.cursor_row:
            self.post_message(self.Chosen(self, index, self.cursor_key))
        else:
            self.move_cursor(row=index)
