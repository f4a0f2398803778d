"""The fast plotext ANSI decoder gives exactly what Rich's general decoder gives, and the Content built from it
exactly what Textual would build and draw from that Text."""

import numpy as np
import plotext
import pytest
from rich.console import Console
from rich.text import Text
from textual.color import Color
from textual.content import Content
from textual.style import Style as TextualStyle
from textual.visual import RenderOptions

from lrtui.plotting.figure import Figure, Marker, Series, render
from lrtui.widgets.plot.ansi import ansi_to_content, ansi_to_text


def _segments(text: Text) -> list:
    console = Console(width=200, color_system="truecolor", force_terminal=True)
    return [(seg.text, seg.style) for seg in console.render(text)]


@pytest.mark.parametrize("monochrome", [False, True])
@pytest.mark.parametrize("log_y", [False, True])
def test_same_text_as_rich_from_ansi_on_real_plots(monochrome, log_y):
    x = np.arange(5000, dtype=float)
    y = 0.1 * (1 + np.cos(np.pi * x / 2500)) / 2 + 1e-6
    fig = Figure(
        series=[Series(x, y, "a"), Series(x, y / 2, "b")], markers=[Marker(2500, "T_max", "end")], log_y=log_y
    )
    for theme in ("dark", "clear", "pro"):
        render(plotext, fig, width_cols=90, height_rows=30, monochrome=monochrome)
        plotext.theme(theme)
        ansi = plotext.build()
        assert _segments(ansi_to_text(ansi)) == _segments(Text.from_ansi(ansi))


@pytest.mark.parametrize(
    "ansi",
    [
        "",
        "plain",
        "\x1b[1mbold\x1b[0m x",
        "\x1b[0;38;5;3mA\x1b[48;2;1;2;3mB\x1b[m C",
        "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    ],
)
def test_edge_cases_match_rich(ansi):
    assert _segments(ansi_to_text(ansi)) == _segments(Text.from_ansi(ansi))


# -- ansi_to_content: the Content Textual would make of ansi_to_text's Text, and the same strips ------------

_BASES = [
    TextualStyle(),
    TextualStyle(background=Color.parse("#1e1e1e"), foreground=Color.parse("#e0e0e0")),
    TextualStyle(background=Color.parse("#ffffff"), foreground=Color(0, 0, 0, 0.5), bold=True),
]


def _options(**changes) -> RenderOptions:
    return RenderOptions(TextualStyle.parse, changes.pop("rules", {}), **changes)


def _strips(content: Content, width: int, height: int | None, base: TextualStyle, options) -> list:
    strips = Content.render_strips(content, width, height, base, options)  # Content's own rendering
    return [([(s.text, s.style) for s in strip], strip.cell_length) for strip in strips]


def _fast(content: Content, width: int, height: int | None, base: TextualStyle, options) -> list:
    strips = content.render_strips(width, height, base, options)
    return [([(s.text, s.style) for s in strip], strip.cell_length) for strip in strips]


def _real_plots():
    x = np.arange(20_000, dtype=float)
    y = 0.1 * (1 + np.cos(np.pi * x / 7000)) / 2 + 1e-6
    for width, height in ((72, 35), (40, 12), (150, 50)):
        for monochrome in (False, True):
            fig = Figure(
                series=[Series(x, y, "a"), Series(x, y / 3, "b")],
                markers=[Marker(7000, "T_max", "end"), Marker(14000, "", "cursor")],
                log_y=monochrome,
            )
            for theme in ("dark", "clear", "pro"):
                render(plotext, fig, width_cols=width, height_rows=height, monochrome=monochrome)
                plotext.theme(theme)
                yield width, height, plotext.build()


def test_content_and_strips_as_textual_makes_them_from_the_text(monkeypatch):
    calls = []
    original = Content.render_strips
    monkeypatch.setattr(Content, "render_strips", lambda *a, **k: calls.append(1) or original(*a, **k))
    for width, height, ansi in _real_plots():
        content = ansi_to_content(ansi)
        reference = Content.from_rich_text(ansi_to_text(ansi))
        assert content.plain == reference.plain and list(content.spans) == list(reference.spans)
        for base in _BASES:
            expected = _strips(reference, width, height, base, _options())
            calls.clear()
            assert _fast(content, width, height, base, _options()) == expected
            assert calls == []  # drawn directly, not by Content's general path
            assert _fast(content, width, None, base, _options()) == _strips(
                reference, width, None, base, _options()
            )


_PIECES = ["ab", "x y", " ", "⣿⡇", "\n", "cd\nef", "│─", "\n\n"]
_CODES = ["", "0", "1", "38;5;3", "48;5;12", "0;38;5;200", "38;2;1;2;3", "39", "49"]


@pytest.mark.parametrize("seed", range(40))
def test_any_sgr_text_gives_the_same_strips(seed):
    rng = np.random.default_rng(seed)
    ansi = "".join(
        f"\x1b[{_CODES[rng.integers(len(_CODES))]}m"
        if rng.random() < 0.4
        else _PIECES[rng.integers(len(_PIECES))]
        for _ in range(int(rng.integers(0, 60)))
    )
    content = ansi_to_content(ansi)
    reference = Content.from_rich_text(ansi_to_text(ansi))
    assert content.plain == reference.plain and list(content.spans) == list(reference.spans)
    for width in (3, 12, 80):
        for base in _BASES:
            for options in (
                _options(),
                _options(rules={"text_align": "start"}),
                _options(rules={"text_align": "center"}),
            ):
                assert _fast(content, width, None, base, options) == _strips(
                    reference, width, None, base, options
                )
