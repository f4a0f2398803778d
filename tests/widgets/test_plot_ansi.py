"""The fast plotext ANSI decoder gives exactly what Rich's general decoder gives."""

import numpy as np
import plotext
import pytest
from rich.console import Console
from rich.text import Text

from lrtui.plotting.figure import Figure, Marker, Series, render
from lrtui.widgets.plot.ansi import ansi_to_text


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
