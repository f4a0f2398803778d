"""Plotext's ANSI output to Rich Text, fast.

`Text.from_ansi` is a general terminal decoder and costs ~6 ms per frame of a large plot; plotext only
writes SGR colour codes and resets, so splitting on those and caching one Style per code sequence gives the
same Text (tests compare the two) in a fraction of the time. Anything else falls back to Rich's decoder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from rich.text import Span, Text
from textual.content import Content
from textual.content import Span as TextualSpan
from textual.strip import Strip
from textual.style import Style as TextualStyle
from textual.visual import RenderOptions

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_OTHER_ESCAPES = re.compile(r"\x1b(?!\[[0-9;]*m)")
_styles: dict[tuple[str, ...], Style | None] = {}


def _style_for(state: tuple[str, ...]) -> Style | None:
    style = _styles.get(state, _styles)
    if style is _styles:
        probe = Text.from_ansi("".join(f"\x1b[{code}m" for code in state) + "x")
        style = probe.spans[0].style if probe.spans else None
        if isinstance(style, str):
            style = Style.parse(style)
        if len(_styles) > 4096:  # bounded: plots use a handful of colour pairs
            _styles.clear()
        _styles[state] = style
    return style


def _runs(ansi: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(text, SGR codes in force) for each stretch of text between SGR sequences (none empty)."""
    state: tuple[str, ...] = ()
    for index, part in enumerate(_SGR.split(ansi)):
        if index % 2:  # an SGR parameter string
            if part in ("", "0"):
                state = ()
            elif part.startswith("0;"):
                state = (part[2:],)
            else:
                state = (*state, part)
        elif part:
            yield part, state


def ansi_to_text(ansi: str) -> Text:
    if _OTHER_ESCAPES.search(ansi):
        return Text.from_ansi(ansi)
    plain: list[str] = []
    spans: list[Span] = []
    pos = 0
    for part, state in _runs(ansi):
        plain.append(part)
        end = pos + len(part)
        if state:
            style = _style_for(state)
            if style is not None:
                spans.append(Span(pos, end, style))
        pos = end
    return Text("".join(plain), spans=spans)


# -- straight to Textual's Content ------------------------------------------------------------------------
#
# A widget's render() result goes through Content: a Rich Text is converted span by span
# (Content.from_rich_text: one Style.from_rich_style per span), then wrapped and cut into lines, each span
# style combined with the widget's style on every frame — ~4 ms per frame of a large plot, as much as drawing
# it. `ansi_to_content` gives the same Content (same text, same spans: selection, str() and every other
# Content use are Textual's own), built in one pass with one converted Style per colour code, and renders its
# strips directly when nothing needs wrapping, aligning or a selection drawn (a plot's lines are exactly its
# width); anything else is Content's own rendering. tests/widgets/test_plot_ansi.py compares the two.

_textual_styles: dict[tuple[tuple[str, ...], int], TextualStyle | None] = {}


def _textual_style_for(state: tuple[str, ...], ansi_theme) -> TextualStyle | None:
    key = (state, id(ansi_theme))
    style = _textual_styles.get(key, _textual_styles)
    if style is _textual_styles:
        rich = _style_for(state)
        style = None if rich is None else TextualStyle.from_rich_style(rich, ansi_theme)
        if len(_textual_styles) > 4096:
            _textual_styles.clear()
        _textual_styles[key] = style
    return style


class AnsiContent(Content):
    """Content of plotext's ANSI output, with its lines kept as (text, style) runs for a direct render."""

    def __init__(
        self, text: str, spans: list[TextualSpan], lines: list[list[tuple[str, TextualStyle | None]]]
    ):
        super().__init__(text, spans, strip_control_codes=False)  # the decoded text has none
        self._lines = lines

    def render_strips(
        self, width: int, height: int | None, style: TextualStyle, options: RenderOptions
    ) -> list[Strip]:
        rules = options.rules.get
        plain = (
            width
            and options.selection is None
            and options.post_style is None
            and rules("text_align", "left") in ("left", "start")
            and rules("text_overflow", "fold") == "fold"
            and rules("line_pad", 0) == 0
            and "\t" not in self._text
            # every line fits (no wrapping), and none is blank but a last one (the text's final newline:
            # Content keeps that one and drops blank lines between others)
            and all(0 < sum(cell_len(text) for text, _ in runs) <= width for runs in self._lines[:-1])
            and sum(cell_len(text) for text, _ in self._lines[-1]) <= width
        )
        if not plain:
            return super().render_strips(width, height, style, options)
        lines = self._lines if height is None else self._lines[:height]
        combined: dict[
            TextualStyle | None, TextualStyle
        ] = {}  # what Content.render + to_strip compute per run
        strips = []
        for y, runs in enumerate(lines):
            segments = []
            x = 0
            for text, span_style in runs:
                final = combined.get(span_style)
                if final is None:
                    final = combined[span_style] = style + (
                        style if span_style is None else style + span_style
                    )
                segments.append(Segment(text, final.rich_style_with_offset(x, y)))
                x += len(text)
            if not runs:  # the blank last line: Content renders its empty text too
                segments.append(Segment("", (style + style).rich_style_with_offset(0, y)))
            strips.append(Strip(segments, sum(cell_len(text) for text, _ in runs)))
        return strips


def ansi_to_content(ansi: str, ansi_theme: TerminalTheme | None = None) -> Content:
    """`Content.from_rich_text(ansi_to_text(ansi))`, what Textual makes of a widget's Text (`ansi_theme`: the
    app's, `App.ansi_theme`), built directly."""
    if _OTHER_ESCAPES.search(ansi):
        return Content.from_rich_text(Text.from_ansi(ansi))
    plain: list[str] = []
    spans: list[TextualSpan] = []
    lines: list[list[tuple[str, TextualStyle | None]]] = [[]]
    pos = 0
    for part, state in _runs(ansi):
        plain.append(part)
        end = pos + len(part)
        style = _textual_style_for(state, ansi_theme) if state else None
        if style is not None:
            spans.append(TextualSpan(pos, end, style))
        pieces = part.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append([])
            if not piece:
                continue
            line = lines[-1]
            if style is None and line and line[-1][1] is None:  # unstyled text is one run up to a span
                line[-1] = (line[-1][0] + piece, None)
            else:
                line.append((piece, style))
        pos = end
    return AnsiContent("".join(plain), spans, lines)
