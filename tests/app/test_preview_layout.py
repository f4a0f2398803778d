"""The preview's layout at 80x24 and 200x60: the form takes what it needs, the plot the rest; the export
tab reads at full width; f gives the plot the whole width and says so in the footer."""

from __future__ import annotations

import pytest
from textual.widgets import Footer

from lrtui.widgets.preview.preview_plot import PreviewPlot
from tests.app.conftest import settle


@pytest.mark.parametrize("size,form_at_most", [((80, 24), 30), ((200, 60), 48)])
async def test_the_form_leaves_the_plot_the_screen_and_f_and_e_use_the_full_width(
    make_app, size, form_at_most
):
    app = make_app("get_cosine_schedule_with_warmup(num_warmup_steps=500, num_training_steps=10000)")
    width = size[0]
    async with app.run_test(size=size) as pilot:
        screen = await settle(pilot)
        sidebar, aside = screen.query_one("#sidebar"), screen.query_one("#aside")
        plot = screen.query_one("#plot", PreviewPlot)

        def rest() -> (
            int
        ):  # the columns the form and the lints leave (the plot's column has 1 padding a side)
            taken = sidebar.outer_size.width if sidebar.display else 0
            return width - taken - (aside.outer_size.width if aside.display else 0) - 2

        assert sidebar.outer_size.width <= form_at_most  # 36 of 80 columns before
        assert plot.region.width >= rest() - 3 and plot.region.width >= width // 2
        # the footer shows f (full-width plot), t and r, none of them under the palette key docked right
        *keys, palette = [key for key in screen.query_one(Footer).children if key.region.width]
        assert {"f", "t", "r"} <= {key.key for key in keys}
        assert all(key.region.right <= palette.region.x for key in keys)
        await pilot.press("f")  # the plot takes the whole width
        await pilot.pause()
        assert not sidebar.display and plot.region.width >= rest() - 3
        await pilot.press("f")
        await pilot.pause()
        assert sidebar.display
        await pilot.press("e")  # export: code reads at full width, the plot steps aside
        await settle(pilot)
        assert sidebar.outer_size.width >= width - 2 and not screen.query_one("#main").display
        await pilot.press("f")  # f from the export: back to the plot, at full width
        await pilot.pause()
        assert screen.query_one("#main").display and not sidebar.display
        assert plot.region.width >= rest() - 3
