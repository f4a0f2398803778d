"""Pasting code into the preview (a terminal's bracketed paste), and the horizon following the spec."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from lrtui.widgets.plot.curve_plot import CurvePlot
from tests.app.conftest import settle

ONECYCLE_PASTE = "scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)"
CONSOLE_PASTE = (
    ">>> warmup = LinearLR(optimizer, start_factor=0.1, total_iters=50)\n"
    ">>> scheduler = SequentialLR(optimizer, [warmup,\n"
    "...     CosineAnnealingLR(optimizer, T_max=450)], milestones=[50])\n"
)


async def paste(pilot, text: str):
    """What the terminal sends for a paste: one Paste event to the focused widget."""
    pilot.app.focused.post_message(events.Paste(text))
    return await settle(pilot)


async def test_pasted_code_replaces_the_spec_and_the_horizon_follows_it(make_app):
    app = make_app()  # the default preset: 10,000 steps
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        assert screen.curve.n == 10_000
        await pilot.press("ctrl+l")
        assert app.focused.id == "spec"
        screen = await paste(pilot, ONECYCLE_PASTE)
        assert screen.query_one("#spec", Input).value == "OneCycleLR(max_lr=0.1, total_steps=1000)"
        assert screen.error is None and screen.curve.n == 1000  # not 10,000 steps past the cycle
        assert not [x for x in screen.lints if x.severity == "error"], screen.lints
        figure = screen.query_one("#plot", CurvePlot).figure
        assert float(figure.series[0].x[-1]) == 999  # the axis ends where the status line says
        assert screen.status_text().startswith("1,000 steps")
        # a console session, several lines and prompts: the whole block is one spec
        screen = await paste(pilot, CONSOLE_PASTE)
        assert screen.query_one("#spec", Input).value == (
            "SequentialLR([LinearLR(start_factor=0.1, total_iters=50), CosineAnnealingLR(T_max=450)], "
            "milestones=[50])"
        )
        assert screen.curve.n == 500 and screen.error is None


async def test_a_paste_without_a_schedule_says_why_and_keeps_the_curve(make_app):
    app = make_app("StepLR(step_size=30)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        drawn = screen.curve
        await pilot.press("ctrl+l")
        screen = await paste(
            pilot, "steps = len(loader)\nscheduler = StepLR(optimizer, step_size=steps * 30)"
        )
        await pilot.pause()
        assert "steps * 30" in screen.error and "does not run it" in screen.error
        assert screen.curve is drawn  # the last valid curve stays


async def test_a_spec_pasted_into_one_being_typed_is_inserted(make_app):
    app = make_app("StepLR(step_size=30)")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        field = app.screen.query_one("#spec", Input)
        field.value = "SequentialLR([, CosineAnnealingLR(T_max=90)], milestones=[10])"
        field.cursor_position = len("SequentialLR([")
        screen = await paste(pilot, "LinearLR(start_factor=0.1, total_iters=10)")
        assert field.value == (
            "SequentialLR([LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=90)], milestones=[10])"
        )
        assert screen.error is None and screen.curve.n == 100


async def test_a_horizon_typed_by_the_user_stays_until_emptied(make_app):
    app = make_app("OneCycleLR(max_lr=0.1, total_steps=1000)")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settle(pilot)
        assert screen.curve.n == 1000
        steps = screen.query_one("#set-steps", Input)
        steps.focus()
        await pilot.press("end", *["backspace"] * len(steps.value), *"3000")  # past the cycle, on purpose
        screen = await settle(pilot)
        assert screen.curve.n == 3000
        await pilot.press("ctrl+l")
        screen = await paste(pilot, "OneCycleLR(optimizer, max_lr=0.1, total_steps=2000)")
        assert screen.curve.n == 3000  # kept: the user set it
        steps.focus()
        await pilot.press("end", *["backspace"] * len(steps.value))  # emptied: follow the spec again
        screen = await settle(pilot)
        assert screen.curve.n == 2000 and steps.value == ""
        await pilot.press("tab")
        await pilot.press("ctrl+l")
        screen = await paste(pilot, "OneCycleLR(optimizer, max_lr=0.1, total_steps=700)")
        assert screen.curve.n == 700 and steps.value == "700"


async def test_the_command_line_spec_opens_on_its_own_horizon(make_app):
    app = make_app("get_cosine_schedule_with_warmup(num_warmup_steps=20, num_training_steps=300)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        assert screen.curve.n == 300


async def test_the_status_line_says_from_the_spec_only_when_the_spec_states_the_length(make_app):
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        screen = await paste(pilot, ONECYCLE_PASTE)
        assert screen.status_text().startswith("1,000 steps (from the spec)")
        await pilot.press("ctrl+l")
        screen = await paste(pilot, "scheduler = StepLR(optimizer, step_size=300, gamma=0.5)")
        # StepLR states no length: 1,000 steps is lrtui's default horizon, not the spec's
        assert screen.curve.n == 1000 and "from the spec" not in screen.status_text()
