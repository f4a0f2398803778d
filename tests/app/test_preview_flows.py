"""The preview screen's flows, driven through the real app (run_test + Pilot), checked against the engine."""

from __future__ import annotations

import numpy as np
from textual.widgets import Input, OptionList

from lrtui.schedules import evaluate
from lrtui.schedules.spec import parse
from lrtui.widgets.form.schedule_form import ParamField, ScheduleForm
from lrtui.widgets.lint.lint_panel import LintPanel
from lrtui.widgets.plot.curve_plot import CurvePlot
from lrtui.widgets.readout.readout import CursorReadout, PinLegend
from tests.app.conftest import set_input, settle


async def test_opens_on_the_default_preset_with_a_curve(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert screen.error is None
        assert screen.curve is not None
        assert screen.query_one("#spec", Input).value == str(screen.curve.plan.spec)
        assert screen.query_one("#plot", CurvePlot).render_info is not None


async def test_pick_a_kind_by_typing_in_the_picker(make_app):
    app = make_app("StepLR(step_size=10)")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused.id == "picker-filter"
        await pilot.press(*"warmrestarts")
        await pilot.press("enter")
        screen = await settle(pilot)
        assert screen.spec.kind == "CosineAnnealingWarmRestarts"
        form = screen.query_one(ScheduleForm)
        assert form.kind.name == "CosineAnnealingWarmRestarts"
        assert {f.param.name for f in form.fields()} >= {"T_0", "T_mult", "eta_min"}
        assert screen.curve.plan.spec.kind == "CosineAnnealingWarmRestarts"


async def test_picker_groups_by_library_with_presets_on_top(make_app):
    app = make_app("StepLR(step_size=10)")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        ol = app.screen.query_one("#picker-list", OptionList)
        prompts = [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
        headers = [p for p in prompts if p.startswith("──")]
        assert headers[0].startswith("── Comparisons") and headers[1].startswith("── Presets")
        assert any("torch.optim.lr_scheduler" in h for h in headers)
        assert any("transformers" in h for h in headers)


async def test_editing_a_field_updates_the_spec_text_and_the_curve(make_app):
    app = make_app("StepLR(step_size=30, gamma=0.5)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen = await set_input(pilot, "#input-step_size", "10")
        assert screen.query_one("#spec", Input).value == "StepLR(step_size=10, gamma=0.5)"
        expected = evaluate(screen.curve.plan).lr
        assert screen.curve.plan.spec == parse("StepLR(step_size=10, gamma=0.5)")
        assert np.array_equal(screen.curve.lr, expected)
        assert screen.curve.lr[0, 10] == 0.05


async def test_pasting_a_spec_updates_the_form(make_app):
    app = make_app("StepLR(step_size=30)")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = await set_input(
            pilot, "#spec", "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=50)"
        )
        form = screen.query_one(ScheduleForm)
        assert form.kind.name == "CosineAnnealingLR"
        assert screen.query_one("#input-T_max", Input).value == "50"
        assert screen.curve.plan.spec == parse("CosineAnnealingLR(T_max=50)")
        # ... and the same kind with a new value updates the field in place
        screen = await set_input(pilot, "#spec", "CosineAnnealingLR(T_max=70, eta_min=0.001)")
        assert screen.query_one("#input-T_max", Input).value == "70"
        assert screen.query_one("#input-eta_min", Input).value == "0.001"


async def test_a_bad_value_shows_the_message_and_keeps_the_last_curve(make_app):
    app = make_app("StepLR(step_size=30)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        before = screen.curve
        screen = await set_input(pilot, "#input-step_size", "0")
        field = screen.query_one("#field-step_size", ParamField)
        assert field.error is not None and "StepLR.step_size" in field.error and "0" in field.error
        assert "integer" in field.error
        assert screen.curve is before
        assert "StepLR.step_size" in str(screen.query_one("#spec-error").render())
        screen.action_show_tab("tab-lint")  # hidden panels catch up when shown
        await pilot.pause()
        await pilot.pause()
        assert screen.query_one("#lint", LintPanel).error is not None
        # fixing it clears the message and draws again
        screen = await set_input(pilot, "#input-step_size", "5")
        assert field.error is None and screen.error is None
        assert screen.curve is not before


async def test_a_bad_spec_text_keeps_the_form_and_the_curve(make_app):
    app = make_app("StepLR(step_size=30)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        before = screen.curve
        for text in [
            "StepLR(",
            "NoSuchLR(x=1)",
            "StepLR(step_size=0)",  # torch: ZeroDivisionError at the first step
            "",
            "import os",
            "StepLR(step_size=1e999)",
            "StepLR(gamma=[1,2,3], step_size=2)",
            "StepLR(**{'a': 1})",
            "(" * 200,
        ]:
            screen = await set_input(pilot, "#spec", text)
            assert screen.error, text
            assert screen.curve is before, text
        assert app.is_running


async def test_cross_field_error_lands_on_its_field(make_app):
    # num_training_steps must exceed num_warmup_steps (a check() across fields, found by resolve()).
    app = make_app("get_polynomial_decay_schedule_with_warmup(num_warmup_steps=100, num_training_steps=3000)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen = await set_input(pilot, "#input-lr_end", "1.0")
        assert screen.error is not None and "lr_end" in screen.error


async def test_settings_change_the_curve_and_reject_garbage(make_app):
    app = make_app("StepLR(step_size=2)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen = await set_input(pilot, "#set-lr", "0.1, 0.01")
        assert screen.curve.lr.shape[0] == 2
        assert screen.curve.lr[1, 0] == 0.01
        screen = await set_input(pilot, "#set-spe", "10")
        screen = await set_input(pilot, "#set-epochs", "3")
        assert screen.curve.n == 30
        assert screen.query_one("#set-steps", Input).value == "30"
        before = screen.curve
        for wid, text in [
            ("#set-lr", "abc"),
            ("#set-lr", "-1"),
            ("#set-steps", "0"),
            ("#set-steps", "1e12"),
            ("#set-spe", "x"),
            ("#set-momentum", "1.5"),
            ("#set-epochs", "-2"),
            ("#set-lr", "nan"),
        ]:
            screen = await set_input(pilot, wid, text)
            assert screen.error, (wid, text)
            assert screen.curve is before
            screen = await set_input(
                pilot,
                wid,
                {
                    "#set-lr": "0.1, 0.01",
                    "#set-steps": "30",
                    "#set-spe": "10",
                    "#set-momentum": "0.9",
                    "#set-epochs": "3",
                }[wid],
            )
            assert screen.error is None, (wid, screen.error)
            before = screen.curve


async def test_cursor_readout_is_the_engines_exact_value(make_app):
    app = make_app("CosineAnnealingLR(T_max=37, eta_min=1e-5)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen.query_one("#plot", CurvePlot).focus()
        await pilot.press("right")  # first press puts the cursor on the first visible point
        await pilot.press("right", "right", "right")
        await pilot.pause()
        expected = evaluate(screen.curve.plan).lr
        info = screen.query_one(CursorReadout).info
        assert info is not None and info.step > 0
        assert info.lrs[0] == expected[0, info.step]
        assert f"{expected[0, info.step]:.10g}" in str(screen.query_one(CursorReadout).render())
        await pilot.press("end")
        await pilot.pause()
        info = screen.query_one(CursorReadout).info
        assert info.step == screen.curve.n - 1
        assert info.lrs[0] == expected[0, -1]
        await pilot.press("home")
        await pilot.pause()
        assert screen.query_one(CursorReadout).info.step == 0


async def test_clicking_the_plot_moves_the_cursor(make_app):
    app = make_app("LinearLR(start_factor=0.1, total_iters=100)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        plot = screen.query_one("#plot", CurvePlot)
        info = plot.render_info
        await pilot.click("#plot", offset=(info.canvas_left + info.canvas_width // 2, 3))
        await pilot.pause()
        readout = screen.query_one(CursorReadout).info
        assert readout is not None and 0 < readout.step < screen.curve.n - 1
        assert readout.lrs[0] == screen.curve.lr[0, readout.step]


async def test_log_toggle_and_x_unit_and_zoom(make_app):
    app = make_app("get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen.query_one("#plot", CurvePlot).focus()
        await pilot.press("l")
        await pilot.pause()
        plot = screen.query_one("#plot", CurvePlot)
        assert plot.figure.log_y
        assert "log y" in screen.status_text()
        assert all(
            label.startswith("1e") or label in ("1", "10", "0.1", "0.01") or "e-" in label
            for label in plot.render_info.yticks.labels
        )
        await pilot.press("l")
        await pilot.pause()
        assert not plot.figure.log_y
        await pilot.press("z")
        await pilot.pause()
        assert screen.zoom == "warmup" and plot.figure.x_range is not None
        assert plot.figure.x_range[1] < 200
        await pilot.press("z")
        await pilot.pause()
        assert screen.zoom == "first"
        await pilot.press("z")
        await pilot.pause()
        # the whole curve: the axis spans steps 0..n (the status line's "1,000 steps"), its end labelled
        assert screen.zoom == "full" and plot.figure.x_range == (0.0, screen.curve.n)
        assert plot.render_info.xticks.positions[-1] == 1000
        screen = await set_input(pilot, "#set-spe", "100")
        screen.query_one("#plot", CurvePlot).focus()
        await pilot.press("x")
        await pilot.pause()
        assert screen.x_unit == "epochs"
        assert plot.figure.series[0].x[-1] == (screen.curve.n - 1) / 100
        assert plot.figure.xlabel == "epoch"


async def test_momentum_curve_toggle(make_app):
    app = make_app("get_constant_schedule()")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        await pilot.press("m")  # this kind drives no momentum: a notice, no plot
        assert not screen.query_one("#momentum-plot").display
        from lrtui.schedules import get_kind

        if get_kind("OneCycleLR") is None:
            return
        screen = await set_input(pilot, "#spec", "OneCycleLR(max_lr=0.1, total_steps=200)")
        screen.query_one("#plot", CurvePlot).focus()
        await pilot.press("m")
        await pilot.pause()
        mplot = screen.query_one("#momentum-plot", CurvePlot)
        assert mplot.display
        await pilot.press("right", "right")
        await pilot.pause()
        info = screen.query_one(CursorReadout).info
        assert info.momentum is not None and info.momentum[0] == screen.curve.momentum[0, info.step]


async def test_pin_compare_unpin_clear(make_app):
    app = make_app("StepLR(step_size=10)")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settle(pilot)
        screen.query_one("#plot", CurvePlot).focus()
        await pilot.press("p")
        screen = await set_input(pilot, "#input-step_size", "20")
        screen.query_one("#plot", CurvePlot).focus()
        await pilot.press("p")
        screen = await set_input(pilot, "#input-step_size", "40")
        await pilot.pause()
        assert len(screen.pins) == 2
        plot = screen.query_one("#plot", CurvePlot)
        assert len(plot.figure.series) == 3  # current + 2 pins
        legend = screen.query_one(PinLegend)
        assert [e.label for e in legend.entries] == ["current", "pin 1", "pin 2"]
        assert legend.entries[2].detail == "StepLR(step_size=20)"
        screen.query_one("#plot", CurvePlot).focus()
        await pilot.press("p", "p")  # the second press: already pinned
        assert len(screen.pins) == 3
        await pilot.press("u")
        await pilot.pause()
        assert len(screen.pins) == 2
        await pilot.press("U")
        await pilot.pause()
        assert screen.pins == [] and len(plot.figure.series) == 1
        # at most 6 pins
        for size in range(1, 9):
            await set_input(pilot, "#input-step_size", str(size))
            screen.query_one("#plot", CurvePlot).focus()
            await pilot.press("p")
        assert len(screen.pins) == 6


async def test_comparison_preset_pins_the_seed_001_set(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await settle(pilot)
        assert await screen.load_comparison("seed001")
        screen = await settle(pilot)
        assert len(screen.pins) == 6
        kinds = [p.plan.spec.kind for p in screen.pins]
        assert kinds[:3] == ["StepLR", "MultiStepLR", "ExponentialLR"]
        assert kinds[3:] == ["GradualWarmupScheduler"] * 3
        assert screen.curve.plan == screen.pins[0].plan
        plot = screen.query_one("#plot", CurvePlot)
        assert len(plot.figure.series) == 6  # the current curve is pin 1: drawn once
        for pin in screen.pins:
            assert np.array_equal(pin.curve.lr, evaluate(pin.plan).lr)


async def test_every_preset_and_comparison_loads(make_app):
    from lrtui.schedules.presets import comparisons, presets

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        for preset in presets():
            assert await screen.load_preset(preset.name), preset.name  # evaluates at once
            assert screen.error is None, (preset.name, screen.error)
            assert screen.curve.plan == preset.plan(), preset.name
        for comparison in comparisons():
            assert await screen.load_comparison(comparison.name), comparison.name
            assert len(screen.pins) == len(comparison.members)


async def test_export_panel_saves_code_csv_and_toml(make_app, tmp_path):
    from lrtui.schedules import load_plan_file

    app = make_app("CosineAnnealingLR(T_max=100, eta_min=1e-6)")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settle(pilot)
        screen.query_one("#plot", CurvePlot).focus()
        await pilot.press("e")
        from lrtui.widgets.export.export_panel import ExportPanel

        panel = screen.query_one(ExportPanel)
        for fmt, name in [("torch", "s.py"), ("csv", "s.csv"), ("toml", "s.toml"), ("spec", "s.txt")]:
            panel.select_format(fmt)
            await pilot.pause()
            await set_input(pilot, "#export-path", str(tmp_path / name))
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert (tmp_path / name).exists(), fmt
        assert (tmp_path / "s.txt").read_text().strip() == "CosineAnnealingLR(T_max=100, eta_min=1e-06)"
        assert "CosineAnnealingLR" in (tmp_path / "s.py").read_text()
        assert load_plan_file(tmp_path / "s.toml") == screen.curve.plan
        rows = (tmp_path / "s.csv").read_text().strip().splitlines()
        assert len(rows) == screen.curve.n + 1
        # a path that cannot be written: a message, no crash
        await set_input(pilot, "#export-path", str(tmp_path / "missing-dir" / "x.py"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "cannot save" in str(screen.query_one("#export-status").render())
        # copy uses OSC 52 through App.copy_to_clipboard
        panel.select_format("spec")
        await pilot.press("c") if app.focused is None or not isinstance(app.focused, Input) else None
        panel.copy()
        assert app.clipboard.strip() == "CosineAnnealingLR(T_max=100, eta_min=1e-06)"


async def test_help_overlay_is_generated_from_the_bindings(make_app):
    app = make_app("StepLR(step_size=10)")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        from lrtui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        ids = {bid for _, _, _, bid in app.screen.rows}
        assert {"preview.pin", "preview.log", "preview.zoom", "preview_plot.left", "app.quit"} <= ids
        from lrtui.screens.preview import PreviewScreen

        # every described binding of the screen is listed, with its key and description
        for b in PreviewScreen.BINDINGS:
            assert any(
                bid == b.id and (b.tooltip or b.description) == does for _, _, does, bid in app.screen.rows
            )
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_lists_actions_and_presets(make_app):
    from lrtui.app import AppCommands
    from lrtui.screens.preview import PreviewCommands

    app = make_app("StepLR(step_size=10)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        actions = [text for text, _, _ in AppCommands(screen)._commands()]
        assert {"Pin", "Log y", "Zoom", "Help", "Export"} <= set(actions)
        entries = [text for text, _, _ in PreviewCommands(screen)._commands()]
        assert any(e.startswith("Load preset: ") for e in entries)
        assert any(e.startswith("Load comparison: Seed 001") for e in entries)
        assert "Pick schedule: OneCycleLR" in entries or "Pick schedule: StepLR" in entries
        # running a palette command really runs it
        callback = next(
            cb for text, cb, _ in PreviewCommands(screen)._commands() if text.startswith("Load comparison")
        )
        await callback()
        screen = await settle(pilot)
        assert screen.pins


async def test_bad_spec_on_the_command_line_opens_with_the_error(make_app):
    app = make_app("StepLR(step_size=0)")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert screen.error and "step_size" in screen.error
        assert screen.query_one("#spec", Input).value == "StepLR(step_size=0)"
        assert screen.curve is None
        screen = await set_input(pilot, "#spec", "StepLR(step_size=3)")
        assert screen.error is None and screen.curve is not None


async def test_plan_file_on_the_command_line(make_app, tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(
        'schedule = "StepLR(step_size=5, gamma=0.5)"\nlr = [0.2, 0.02]\nepochs = 4\n'
        'steps_per_epoch = 10\nstepping = "epoch"\n'
    )
    app = make_app(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert screen.error is None
        assert screen.curve.n == 40 and screen.curve.lr.shape[0] == 2
        assert screen.query_one("#set-stepping").value == "epoch"
    app = make_app(str(tmp_path / "missing.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settle(pilot)
        assert screen.error and "cannot read" in screen.error


async def test_nested_child_is_edited_in_its_own_form(make_app):
    from lrtui.widgets.form.child_editor import ChildEditor

    spec = (
        "SequentialLR(schedulers=[LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], "
        "milestones=[5])"
    )
    app = make_app(spec)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settle(pilot)
        child = screen.query_one("#child-schedulers-1", Input)
        child.focus()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ChildEditor)
        editor = app.screen
        assert editor.query_one("#child-form", ScheduleForm).kind.name == "CosineAnnealingLR"
        t_max = editor.query_one("#input-T_max", Input)
        t_max.value = "0"  # rejected inside the modal, with the field named
        await pilot.pause()
        assert "T_max" in str(editor.query_one("#child-error").render())
        t_max.value = "45"
        await pilot.pause()
        assert editor.query_one("#child-spec", Input).value == "CosineAnnealingLR(T_max=45)"
        await pilot.press("ctrl+s")
        screen = await settle(pilot)
        assert not isinstance(app.screen, ChildEditor)
        assert screen.curve.plan.spec == parse(spec.replace("T_max=95", "T_max=45"))
        # a bad child spec typed straight into the row names the child
        screen = await set_input(pilot, "#child-schedulers-0", "LinearLR(start_factor=7)")
        assert screen.error and "schedulers[0]" in screen.error and "start_factor" in screen.error
        # adding and removing children
        n = len(screen.query(".child-input"))
        await pilot.click("#add-schedulers")
        screen = await settle(pilot)
        assert len(screen.query(".child-input")) == n + 1


async def test_no_color_keeps_curves_apart_by_glyph(make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app("StepLR(step_size=10)")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await settle(pilot)
        assert app.no_color
        plot = screen.query_one("#plot", CurvePlot)
        assert plot.monochrome
        await screen.load_comparison("seed004")
        screen = await settle(pilot)
        legend = str(screen.query_one(PinLegend).render())
        assert "⣿⣿" in legend and "••" in legend  # the plot's own glyphs, not colours


async def test_app_start_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, lrtui.app, lrtui.cli; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


async def test_huge_horizons_evaluate_in_a_worker_and_stay_exact(make_app):
    from lrtui.screens.preview import SYNC_EVAL_STEPS

    app = make_app("CosineAnnealingLR(T_max=1000000)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen = await set_input(pilot, "#set-steps", str(SYNC_EVAL_STEPS + 1000))
        await pilot.pause()
        assert screen.error is None
        assert screen.curve.n == SYNC_EVAL_STEPS + 1000  # drawn from the worker's CurveReady
        plot = screen.query_one("#plot", CurvePlot)
        per_column = f"{screen.curve.n / plot.render_info.canvas_width:,.0f}"
        assert f"each column: min–max of {per_column} steps" in screen.status_text()  # words, not "decimated"
        assert len(plot.figure.series[0].x) <= 4096 + 2  # decimated once per curve, exact values kept
        await pilot.press("end")
        info = screen.cursor_info()
        assert info.step == screen.curve.n - 1 and info.lrs[0] == screen.curve.lr[0, -1]


async def test_an_error_typed_while_a_curve_is_pending_stays_until_fixed(make_app, monkeypatch):
    """A valid edit whose (throttled) evaluation is still pending, then an invalid one: the pending curve
    must not clear the error (the field is still invalid), and the next valid edit clears the banner."""
    from textual.widgets import Static

    import lrtui.screens.preview as preview

    monkeypatch.setattr(preview, "EDIT_THROTTLE_S", 2.0)  # the throttle outlasts a few key presses
    app = make_app("MultiStepLR(milestones=[76])")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen.query_one("#input-milestones", Input).focus()
        await pilot.press("end", "backspace")  # "7": valid, its curve waits for the throttle
        assert screen._eval_timer is not None
        await pilot.press("backspace")  # "": an error while that curve is pending
        await pilot.pause(2.5)  # the throttle fires
        screen = await settle(pilot)
        banner = screen.query_one("#spec-error", Static)
        assert screen.error and "milestones" in screen.error
        assert banner.has_class("-shown") and "milestones" in str(banner.render())
        await pilot.press("5")
        await pilot.pause(2.5)
        screen = await settle(pilot)
        assert screen.error is None and not banner.has_class("-shown") and not str(banner.render())
        assert screen.query_one("#spec", Input).value == "MultiStepLR(milestones=[5])"
