"""Issue 10's UI bugs, reproduced the way a user hit them (keys pressed, text typed, terminal resized).

Each failed before its fix: ctrl+p crashed (MarkupError on the palette's help line `Pick [/]`), `r` did
nothing, ctrl+l appended to the spec instead of replacing it, a growing schedule killed the app
(OverflowError in plotext), and data text was parsed as markup.
"""

from __future__ import annotations

import re

from textual.command import CommandPalette
from textual.widgets import Input

from lrtui.app import LrtuiApp
from lrtui.screens.preview import PreviewScreen
from lrtui.screens.runs import CompareScreen, RunsScreen
from tests.app.idle import settle
from tests.app.keys import burst
from tests.monitor.helpers import wait_for as _wait

SIZE = (120, 36)


async def _preview(pilot) -> PreviewScreen:
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.curve is not None, "preview"
    )
    await wait_for(pilot, lambda: bool(app.screen.query("ParamField")), "the form")
    return app.screen


async def wait_for(pilot, predicate, what: str, timeout: float = 20.0) -> None:
    await _wait(pilot, predicate, timeout=timeout, what=what)  # (helpers that exist before the fixes too)


async def _open_palette(pilot) -> None:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), "the palette")
    await wait_for(pilot, lambda: len(_palette_lines(pilot.app)) > 5, "its entries")


def _palette_lines(app) -> list[str]:
    return [str(option.prompt) for option in app.screen.query_one("CommandList").options]


async def test_ctrl_p_opens_the_palette_and_entries_are_chosen_by_typing(tmp_path):
    app = LrtuiApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        await _open_palette(pilot)
        # Help lines are data: the key `[/]` and specs full of brackets show as written.
        lines = "\n".join(_palette_lines(app))
        assert "Pick [/]" in lines
        await pilot.press(*"log y")
        await wait_for(
            pilot, lambda: any(line.startswith("Log y") for line in _palette_lines(app)), "a match"
        )
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.screen is screen and screen.query_one("#plot").figure.log_y, "log y on"
        )

        await _open_palette(pilot)
        await pilot.press(*"multisteplr 1000")
        await wait_for(pilot, lambda: any("[1000, 2000]" in line for line in _palette_lines(app)), "a preset")
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.screen is screen and "milestones=[1000, 2000]" in str(screen.spec), "loaded"
        )

        await _open_palette(pilot)
        await pilot.press(*"runs")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen from the palette")


async def test_r_opens_the_runs_screen_and_escape_comes_back(tmp_path):
    app = LrtuiApp(runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen after r")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the preview")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen again")
        await pilot.press("c")  # nothing selected, no run: says so, stays
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen) and not isinstance(app.screen, CompareScreen)


async def test_ctrl_l_replaces_the_spec_even_when_the_field_has_the_focus():
    app = LrtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        spec = screen.query_one("#spec", Input)
        await pilot.press("ctrl+l", *"StepLR(step_size=3)")
        await settle(pilot)
        assert spec.value == "StepLR(step_size=3)"
        await pilot.press("ctrl+l", *"ExponentialLR(gamma=0.9)")  # the field already has the focus
        await settle(pilot)
        assert spec.value == "ExponentialLR(gamma=0.9)"
        assert "ExponentialLR" in str(screen.plan.spec)


async def test_ctrl_l_replaces_the_spec_when_the_keys_after_it_arrive_at_once():
    # Seen in tmux: `send-keys C-l "ExponentialLR(gamma=1.1)"` appended to the spec, or typed the first
    # characters into the field that had the focus: ctrl+l bubbled up from the focused field to the
    # screen's binding while the keys after it were already being handled there, and focus() is deferred.
    app = LrtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        spec = screen.query_one("#spec", Input)
        await pilot.press("ctrl+l", *"StepLR(step_size=3)")
        await settle(pilot)
        burst(app, "ctrl+l", text="ExponentialLR(gamma=1.1)")  # the field has the focus
        await settle(pilot)
        await pilot.pause()
        assert spec.value == "ExponentialLR(gamma=1.1)"
        burst(
            app, "ctrl+l", text="StepLR(step_si"
        )  # a second ctrl+l while the field still has keys of the first to handle
        burst(app, "ctrl+l", text="CosineAnnealingLR(T_max=9)")
        await settle(pilot)
        await pilot.pause()
        assert spec.value == "CosineAnnealingLR(T_max=9)"
        await pilot.click("#set-steps")  # another field has the focus
        await pilot.pause()
        assert screen.focused is screen.query_one("#set-steps", Input)
        burst(app, "ctrl+l", text="StepLR(step_size=7)")
        await settle(pilot)
        await pilot.pause()
        assert spec.value == "StepLR(step_size=7)"
        steps = screen.query_one("#set-steps", Input).value  # none of the keys went there: the spec's horizon
        assert steps == str(screen.plan.total_steps), steps


async def test_editing_keys_typed_in_a_burst_apply_in_order():
    # Seen in tmux: `end, backspace x5, 10000` into the steps field gave "1100" (headless: ""): Textual's
    # Input inserted the digits at once but ran backspace (a binding) after it had bubbled up to the app.
    app = LrtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        await pilot.click("#set-steps")
        await pilot.pause()
        burst(app, "end", *["backspace"] * 5, text="10000")
        await settle(pilot)
        await pilot.pause()
        assert screen.query_one("#set-steps", Input).value == "10000"
        assert screen.settings.total_steps == 10_000
        # epochs follow the steps typed, not the spec's horizon computed for the emptied field meanwhile
        assert screen.query_one("#set-spe", Input).value == "1"
        assert screen.query_one("#set-epochs", Input).value == "10000"
        spec = screen.query_one("#spec", Input)
        burst(app, "ctrl+l", text="StepLR(step_size=30)")
        burst(app, "left", "backspace", "backspace", text="5")  # step_size=30 -> step_size=5
        await settle(pilot)
        await pilot.pause()
        assert spec.value == "StepLR(step_size=5)"


async def test_typing_while_the_terminal_is_resized_keeps_every_character():
    app = LrtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        spec = screen.query_one("#spec", Input)
        text = "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), OneCycleLR(max_lr=0.1, total_steps=95)], milestones=[5])"
        sizes = [(30, 8), (200, 60), (80, 24), (45, 12), (160, 48), (31, 9), (120, 36)]
        await pilot.press("ctrl+l")
        for i, char in enumerate(text):
            await pilot.press(char)
            if i % 9 == 0:
                await pilot.resize_terminal(*sizes[(i // 9) % len(sizes)])
        await settle(pilot)
        await pilot.pause()
        assert spec.value == text
        assert str(screen.plan.spec).startswith("SequentialLR") and "OneCycleLR" in str(screen.plan.spec)


async def test_a_schedule_that_overflows_to_inf_is_drawn_and_marked_not_a_crash():
    app = LrtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        # The case: over 10,000 steps (a spec that states no length is drawn over 1,000 by default).
        await pilot.click("#set-steps")
        await pilot.press("home", "ctrl+k", *"10000")
        await pilot.press("ctrl+l", *"ExponentialLR(gamma=1.1)")
        await settle(pilot)
        await pilot.pause()
        assert screen.curve.n == 10_000 and "ExponentialLR" in str(screen.plan.spec)
        status = screen.status_text()
        assert re.match(r"lr overflows to inf from step 7,\d\d\d · ", status), status  # first: never cut off
        plot = screen.query_one("#plot")
        assert plot.render_info is not None and plot.render_info.y_exp >= 300  # drawn in units of 1e300+
        assert any(m.kind == "overflow" for m in plot.figure.markers)
        for key in ("l", "z", "z", "end", "left", "x", "p"):  # log, zoom, cursor, epochs, pin: all draw
            await pilot.press(key)
            await pilot.pause()
        assert app.is_running
