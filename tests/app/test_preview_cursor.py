"""The preview's cursor is an optimizer step: keys move it by steps, epochs, columns, to a typed step and
between markers, and the readout shows the exact engine value in full, even at 80 columns."""

from __future__ import annotations

import numpy as np
from textual.widgets import Input

from lrtui.widgets.preview.preview_plot import PreviewPlot
from lrtui.widgets.readout.readout import CursorReadout
from tests.app.conftest import settle


def _readout(screen) -> str:
    return str(screen.query_one(CursorReadout).render())


async def _forty_steps_per_epoch(pilot):
    """The preview with 40 steps per epoch typed into the form, the plot focused."""
    screen = await settle(pilot)
    screen.query_one("#set-spe", Input).value = "40"
    screen = await settle(pilot)
    screen.query_one("#plot", PreviewPlot).focus()
    return screen


async def test_arrows_move_one_step_on_a_million_step_curve_and_g_goes_to_a_step(make_app):
    app = make_app("CosineAnnealingLR(T_max=1000000, eta_min=1e-6)")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert screen.curve.n == 1_000_000
        screen.query_one("#plot", PreviewPlot).focus()
        await pilot.press("g")
        await pilot.press(*"500", "enter")
        await pilot.pause()
        assert screen.cursor_step() == 500
        lr = float(screen.curve.lr[0, 500])
        assert "step 500/1,000,000" in _readout(screen) and repr(lr) in _readout(screen)  # in full
        await pilot.press("right")
        assert screen.cursor_step() == 501
        await pilot.press("shift+right")
        assert screen.cursor_step() == 511
        await pilot.press("left", "shift+left")
        assert screen.cursor_step() == 500
        await pilot.press("ctrl+right")  # one plot column: many steps on a million-step curve
        per_column = screen.query_one("#plot", PreviewPlot).steps_per_column()
        assert screen.cursor_step() == 500 + round(per_column) and per_column > 1000
        await pilot.press("end")
        assert screen.cursor_step() == 999_999
        await pilot.press("home")
        assert screen.cursor_step() == 0
        # the readout is never cut at 80 columns: it wraps between items
        readout = screen.query_one(CursorReadout)
        assert all(len(line) <= readout.size.width for line in _readout(screen).splitlines())


async def test_go_to_understands_epochs_percentages_and_refuses_nonsense(make_app):
    app = make_app("StepLR(step_size=3)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _forty_steps_per_epoch(pilot)
        await pilot.press("g", *"epoch 3", "enter")
        await pilot.pause()
        assert screen.cursor_step() == 120 and "epoch 3" in _readout(screen)
        await pilot.press("g", *"abc", "enter")  # refused: the prompt stays, saying what is allowed
        await pilot.pause()
        hint = str(app.screen.query_one("#goto-hint").render())
        assert "not understood" in hint and "'epoch N'" in hint
        await pilot.press("escape")
        await pilot.pause()
        assert screen.cursor_step() == 120
        await pilot.press("g", *"50%", "enter")
        await pilot.pause()
        assert screen.cursor_step() == round(0.5 * (screen.curve.n - 1))


async def test_on_the_epoch_axis_arrows_move_an_epoch(make_app):
    app = make_app("StepLR(step_size=3)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _forty_steps_per_epoch(pilot)
        await pilot.press("x", "right")
        assert screen.x_unit == "epochs" and screen.cursor_step() == 0
        await pilot.press("right", "right")
        assert screen.cursor_step() == 80 and "epoch 2" in _readout(screen)
        await pilot.press("shift+right")
        assert screen.cursor_step() == 480
        await pilot.press("g", *"17", "enter")  # a bare number is an epoch on the epoch axis
        await pilot.pause()
        assert screen.cursor_step() == 680


async def test_brackets_jump_between_markers(make_app):
    app = make_app("MultiStepLR(milestones=[100, 300, 600])")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen.query_one("#plot", PreviewPlot).focus()
        await pilot.press("right_square_bracket")
        assert screen.cursor_step() == 100
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert screen.cursor_step() == 600
        await pilot.press("left_square_bracket")
        assert screen.cursor_step() == 300
        lr = screen.curve.lr[0, 300]
        assert lr == 0.1 * 0.1 * 0.1 and repr(float(lr)) in _readout(screen)


async def test_a_click_puts_the_cursor_on_the_exact_step_under_it(make_app):
    app = make_app("LinearLR(start_factor=0.1, total_iters=100)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        plot = screen.query_one("#plot", PreviewPlot)
        info = plot.render_info
        column = info.canvas_left + info.canvas_width // 2
        await pilot.click("#plot", offset=(column, 3))
        await pilot.pause()
        assert screen.cursor_step() == round(info.column_to_x(column))


async def test_a_long_rising_cosine_is_drawn_at_once_and_read_exactly_once_refined(make_app):
    """1M steps of a cosine past T_max with eta_min: the exact replay of torch's rounding takes ~0.1 s, so
    the first frame is a draft and the exact curve follows; the readout only ever shows exact digits."""
    from lrtui.schedules import evaluate

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        await pilot.press("ctrl+l", *"CosineAnnealingLR(T_max=500000, eta_min=1e-06)", "enter")
        screen = await settle(pilot)  # 500,000 steps: the horizon follows T_max
        screen.query_one("#set-steps", Input).focus()
        await pilot.press("end", *["backspace"] * 8, *"1000000")  # past T_max: the cosine rises again
        for _ in range(500):
            await pilot.pause(0.01)
            curve = screen.curve
            if curve is not None and curve.n == 1_000_000:
                if not curve.draft:
                    break
                assert screen.busy  # settle() and the tests wait for the exact curve
                assert "lr" not in _readout(screen)  # no draft digits in the readout
        screen = await settle(pilot)
        # (whether the draft frame is seen between two polls depends on the machine: not asserted)
        assert screen.curve.n == 1_000_000 and not screen.curve.draft
        assert np.array_equal(screen.curve.lr, evaluate(screen.plan).lr)  # the exact curve replaced the draft
        screen.query_one("#plot", PreviewPlot).focus()
        await pilot.press("g", *"750000", "enter")
        await pilot.pause()
        assert screen.cursor_step() == 750_000
        assert repr(float(screen.curve.lr[0, 750_000])) in _readout(screen)
