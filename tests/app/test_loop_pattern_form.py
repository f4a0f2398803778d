"""The form for the training-loop patterns (Compound, SwitchLR) and SWALR, driven by key presses."""

from __future__ import annotations

import numpy as np
from textual.widgets import Input, Select

from lrtui.schedules import evaluate
from lrtui.schedules.spec import parse
from lrtui.widgets.form.child_editor import ChildEditor
from lrtui.widgets.form.schedule_form import ScheduleForm
from tests.app.conftest import settle


async def retype(pilot, selector: str, text: str):
    """Focus an Input, erase it with backspace and type `text` key by key."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    await pilot.press("end", *["backspace"] * len(widget.value), *text)
    return await settle(pilot)


async def press_button(pilot, selector: str):
    pilot.app.screen.query_one(selector).focus()
    await pilot.press("enter")
    return await settle(pilot)


def spec_text(screen) -> str:
    return screen.query_one("#spec", Input).value


def assert_curve_is_the_engines(screen, spec: str) -> None:
    assert spec_text(screen) == spec  # prints back exactly
    assert screen.curve.plan.spec == parse(spec)
    assert np.array_equal(screen.curve.lr, evaluate(screen.curve.plan).lr)


async def test_compound_is_picked_and_edited_with_keys(make_app):
    app = make_app("StepLR(step_size=10)")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"compound", "enter")
        screen = await settle(pilot)
        form = screen.query_one(ScheduleForm)
        assert form.kind.name == "Compound" and screen.error is None
        assert screen.query_one("#input-every", Input).value == "step, epoch"
        start = (
            "Compound([LinearLR(start_factor=0.1, total_iters=5), ReduceLROnPlateau(patience=3)], "
            'every=["step", "epoch"])'
        )
        assert_curve_is_the_engines(screen, start)

        # every: bare words, typed
        screen = await retype(pilot, "#input-every", "epoch, epoch")
        assert_curve_is_the_engines(screen, start.replace('"step", "epoch"', '"epoch", "epoch"'))
        screen = await retype(pilot, "#input-every", "step, month")
        error = str(form.field("every").query_one(".error").render())
        assert "Compound.every" in error and "month" in error and "'epoch'" in error
        screen = await retype(pilot, "#input-every", "step, epoch")
        assert form.field("every").error is None

        # a child added by key: `every` follows (the new one is stepped each step)
        screen = await press_button(pilot, "#add-schedulers")
        assert screen.query_one("#input-every", Input).value == "step, epoch, step"
        assert screen.error is None and len(screen.curve.plan.spec.args["schedulers"]) == 3

        # ... edited in its own form: ctrl+e, its spec typed, ctrl+s
        screen.query_one("#child-schedulers-2", Input).focus()
        await pilot.press("ctrl+e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, ChildEditor)
        assert editor.query_one("#child-form", ScheduleForm).kind.name == "ConstantLR"
        await retype(pilot, "#child-spec", "ExponentialLR(gamma=0.9)")
        assert editor.query_one("#child-form", ScheduleForm).kind.name == "ExponentialLR"
        await retype(pilot, "#input-gamma", "0.95")
        assert editor.query_one("#child-spec", Input).value == "ExponentialLR(gamma=0.95)"
        await pilot.press("ctrl+s")
        screen = await settle(pilot)
        assert not isinstance(app.screen, ChildEditor)
        three = (
            "Compound([LinearLR(start_factor=0.1, total_iters=5), ReduceLROnPlateau(patience=3), "
            'ExponentialLR(gamma=0.95)], every=["step", "epoch", "step"])'
        )
        assert_curve_is_the_engines(screen, three)

        # the first child removed by key: its `every` item goes with it
        screen = await press_button(pilot, "#del-schedulers-0")
        assert screen.query_one("#input-every", Input).value == "epoch, step"
        assert_curve_is_the_engines(
            screen,
            'Compound([ReduceLROnPlateau(patience=3), ExponentialLR(gamma=0.95)], every=["epoch", "step"])',
        )


async def test_the_swa_pattern_is_edited_with_keys(make_app):
    spec = "SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[76])"
    app = make_app(spec)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settle(pilot)
        assert screen.query_one(ScheduleForm).kind.name == "SwitchLR"
        assert_curve_is_the_engines(screen, spec)
        screen = await retype(pilot, "#input-milestones", "50")
        spec = spec.replace("[76]", "[50]")
        assert_curve_is_the_engines(screen, spec)
        assert screen.curve.lr[0, 49] != screen.curve.lr[0, 50]  # SWALR takes over from the 50th call

        # SWALR's own form: the anneal strategy chosen with the keyboard, swa_lr typed
        screen.query_one("#child-schedulers-1", Input).focus()
        await pilot.press("ctrl+e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, ChildEditor)
        assert editor.query_one("#child-form", ScheduleForm).kind.name == "SWALR"
        select = editor.query_one("#input-anneal_strategy", Select)
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "enter")  # cos -> linear
        await pilot.pause()
        assert select.value == "linear"
        await retype(pilot, "#input-swa_lr", "0.02")
        assert editor.query_one("#child-spec", Input).value == (
            'SWALR(swa_lr=0.02, anneal_epochs=5, anneal_strategy="linear")'
        )
        await pilot.press("ctrl+s")
        screen = await settle(pilot)
        assert_curve_is_the_engines(
            screen,
            "SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.02, anneal_epochs=5, "
            'anneal_strategy="linear")], milestones=[50])',
        )
        assert screen.curve.lr[0, 60] == 0.02  # annealed linearly to swa_lr in 5 calls, then held
