"""Text panels around the plot: the cursor readout, the plot status line and the legend of pinned curves."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from lrtui.plotting.figure import MONOCHROME_MARKERS
from lrtui.widgets.preview.model import CursorInfo, LegendEntry

# Series colours as xterm-256 numbers: plotext draws them and rich draws the legend with the very same
# numbers. Unlike the 16 ANSI colours, themes do not remap them, and these stay apart from each other
# (bright magenta and bright red look alike in several themes).
SERIES_256 = (45, 214, 119, 201, 69, 196, 178, 140)
_GLYPH = {"braille": "⣿", "dot": "•", "x": "x", "+": "+", "*": "*", "o": "o"}


def series_color(index: int) -> int:
    return SERIES_256[index % len(SERIES_256)]


def swatch(index: int, monochrome: bool) -> Text:
    """The legend mark of series `index`: a coloured bar, or the plot's glyph without colour (NO_COLOR)."""
    if monochrome:
        return Text(_GLYPH.get(MONOCHROME_MARKERS[index % len(MONOCHROME_MARKERS)], "?") * 2)
    return Text("━━", style=f"bold color({series_color(index)})")


def format_lr(value: float) -> str:
    """An LR in a legend: %.10g (0.0999999 stays 0.0999999; 1e-07 stays short)."""
    return f"{value:.10g}"


def exact(value: float) -> str:
    """A value in full: the shortest text that reads back as the same float (what the optimizer holds)."""
    return repr(float(value))


def readout_text(info: CursorInfo | None, width: int = 0) -> Text:
    """step, epoch and every exact value at the cursor, packed into lines of `width` cells (0: one line);
    a line breaks between items, never inside one, so no value is ever cut."""
    if info is None:
        # one line at 80 columns (? lists shift ×10, ctrl a column; a click puts the cursor too)
        return Text("cursor: ←/→ a step · [ ] markers · g go to", style="dim")
    items = [("step", f"{info.step:,}", f"/{info.total:,}"), ("epoch", _epoch(info), "")]
    items += [("lr" if len(info.lrs) == 1 else f"lr[{g}]", exact(lr), "") for g, lr in enumerate(info.lrs)]
    if info.momentum is not None:
        name = info.momentum_name
        many = len(info.momentum) > 1
        items += [(f"{name}[{g}]" if many else name, exact(m), "") for g, m in enumerate(info.momentum)]
    out = Text()
    line = 0
    for i, (name, value, tail) in enumerate(items):
        size = len(name) + 1 + len(value) + len(tail)
        if i and width and line + 3 + size > width:
            out.append("\n")
            line = 0
        elif i:
            out.append(" · ", style="dim")
            line += 3
        out.append(f"{name} ", style="dim")
        out.append(value, style="bold")
        out.append(tail, style="dim")
        line += size
    return out


def _epoch(info: CursorInfo) -> str:
    """The epoch as whole epochs and steps into the next one: 3, or 3 + 17/390."""
    whole, into = divmod(info.step, info.steps_per_epoch)
    return f"{whole:,}" if into == 0 else f"{whole:,} + {into}/{info.steps_per_epoch}"


class CursorReadout(Static):
    """Step, epoch and the exact LR per group (and momentum) at the cursor, in full (wrapping if need be)."""

    DEFAULT_CSS = "CursorReadout { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(readout_text(None), id=id)
        self.info: CursorInfo | None = None
        self._newlines = 0

    def show(self, info: CursorInfo | None) -> None:
        self.info = info
        text = readout_text(info, self.size.width)
        # a layout pass only when the number of lines changes (narrow terminals wrap between items)
        self.update(text, layout=text.plain.count("\n") != self._newlines)
        self._newlines = text.plain.count("\n")

    def on_resize(self) -> None:
        self.show(self.info)


def legend_text(
    entries: list[LegendEntry], *, monochrome: bool, width: int | None = None, compact: bool = False
) -> Text:
    """One line per curve; `compact` (small terminals) packs short entries on as few lines as fit."""
    out = Text()
    if compact:
        line = 0
        for i, e in enumerate(entries):
            short = "cur" if e.current else e.label.removeprefix("pin ")
            item = Text.assemble(swatch(i, monochrome), (short, "bold" if e.current else ""), " ")
            if e.value is not None:
                item.append(f"{e.value:.4g}", style="dim")
            if line and width and line + len(item) + 2 > width:
                out.append("\n")
                line = 0
            elif line:
                out.append("  ")
                line += 2
            out.append_text(item)
            line += len(item)
        return out
    for i, e in enumerate(entries):
        if i:
            out.append("\n")
        out.append_text(swatch(i, monochrome))
        out.append(f" {e.label}", style="bold" if e.current else "")
        detail = e.detail if e.value is None else f"{format_lr(e.value)}  {e.detail}"
        if detail:
            if width and len(e.label) + len(detail) + 6 > width:
                detail = detail[: max(0, width - len(e.label) - 7)] + "…"
            out.append(f"  {detail}", style="dim")
    return out


class PinLegend(Static):
    """The legend: the current schedule and each pinned one, in the plot's colours (or glyphs)."""

    DEFAULT_CSS = "PinLegend { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.entries: list[LegendEntry] = []
        self._shown: tuple | None = None

    def show(self, entries: list[LegendEntry], monochrome: bool) -> None:
        width = self.size.width or self.screen.size.width
        key = (tuple(entries), monochrome, width)
        if key == self._shown:
            return  # nothing changed: no repaint, no layout pass
        self._shown = key
        self.entries = entries
        self.display = len(entries) > 1
        if not self.display:
            self._shown = None  # hidden: nothing to draw (and no layout pass); redraw when shown again
            return
        self.update(legend_text(entries, monochrome=monochrome, width=width, compact=width < 90))
