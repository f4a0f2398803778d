"""The run's console output in the monitor: a toggleable pane (`o`) that follows the log, with search.

`/` while the pane has focus searches it (a case-insensitive regex, or the literal text when it is not
one); `n` / `N` go to the next / previous match, wrapping; every match is highlighted and the current
match's line is marked. Lines arrive already cleaned (ANSI escapes, carriage-return redraws and control
characters removed by `lrtui.sources.logtail`). While scrolled to the end the pane follows new output.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from lrtui.sources.logtail import compile_search, find
from lrtui.widgets.runs.metrics import OutputView

MATCH_STYLE = Style(bgcolor="yellow", color="black")
CURRENT_STYLE = Style(reverse=True)


class OutputLog(ScrollView, can_focus=True):
    """Lines of text, scrollable, with search matches highlighted (renders only the visible lines)."""

    DEFAULT_CSS = "OutputLog { height: 1fr; background: $surface; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self.pattern = ""
        self.current: int | None = None  # index of the current match's line
        self._width = 0

    def set_lines(self, lines: list[str], keep_end: bool) -> None:
        self.lines = lines
        self._width = max((len(line) for line in lines[-2000:]), default=0)
        self.virtual_size = Size(self._width, len(lines))
        if keep_end:  # again after the next layout: a pane just shown has no size yet
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)
        self.refresh()

    @property
    def at_end(self) -> bool:
        return self.scroll_offset.y >= max(0, len(self.lines) - self.size.height)

    def show_line(self, index: int) -> None:
        """Scroll so that line `index` is in view, about a third from the top."""
        self.current = index
        self.scroll_to(y=max(0, index - self.size.height // 3), animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if index >= len(self.lines):
            return Strip.blank(width)
        text = Text(self.lines[index], no_wrap=True)
        if self.pattern:
            rx = compile_search(self.pattern)
            for m in rx.finditer(text.plain):
                if m.end() > m.start():
                    text.stylize(MATCH_STYLE, m.start(), m.end())
        if index == self.current:
            text.stylize(CURRENT_STYLE)
        segments = list(text.render(self.app.console))
        return (
            Strip(segments).crop_extend(scroll_x, scroll_x + width, None).simplify()
            if segments
            else Strip([Segment(" " * width)])
        )


class OutputPane(Vertical):
    """A status line over the OutputLog; `show(view)` appends what is new."""

    DEFAULT_CSS = """
    OutputPane { height: 40%; border-top: solid $primary-darken-2; display: none; }
    OutputPane.shown { display: block; }
    OutputPane > #output-status { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = "output") -> None:
        super().__init__(id=id)
        self.view: OutputView | None = None
        self.matches = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="output-status", markup=False)
        yield OutputLog(id="output-log")

    @property
    def log_widget(self) -> OutputLog:
        return self.query_one(OutputLog)

    def show(self, view: OutputView | None) -> None:
        if view is None or view is self.view:
            return
        self.view = view
        log = self.log_widget
        lines = list(view.lines) + ([view.partial] if view.partial else [])
        log.set_lines(lines, keep_end=log.at_end or not log.lines)
        self._status()

    def search(self, pattern: str, backwards: bool = False, again: bool = False) -> int | None:
        """Go to the next (or previous) line matching `pattern`; None (and says so) when none does."""
        log = self.log_widget
        log.pattern = pattern
        if not pattern:
            log.current = None
            log.refresh()
            self._status()
            return None
        rx = compile_search(pattern)
        self.matches = sum(1 for line in log.lines if rx.search(line))
        if log.current is None:
            start = len(log.lines) - 1 if backwards else log.scroll_offset.y
        else:
            start = log.current + ((-1 if backwards else 1) if again else 0)
        found = find(log.lines, pattern, start, backwards=backwards)
        if found is None:
            log.current = None
            log.refresh()
        else:
            log.show_line(found)
        self._status()
        return found

    def _status(self) -> None:
        view = self.view
        log = self.log_widget
        if view is None or view.path is None:
            text = view.note if view is not None and view.note else "no console output for this run"
        elif view.missing:
            text = f"output: {view.note or view.path}"
        else:
            kept = len(view.lines)
            text = f"output: {view.path.name} · {view.total:,} lines"
            if view.dropped:
                text += f" (last {kept:,} kept)"
        if log.pattern:
            if log.current is None:
                text += f" · /{log.pattern}/ not found"
            else:
                text += f" · /{log.pattern}/ line {log.current + 1} ({self.matches} matching; n/N)"
        else:
            text += " · / searches"
        self.query_one("#output-status", Static).update(text)
