"""The LR range test's monitor, driven with keys: the loss-vs-LR panel and the suggestions drawn from the run
file, n / o / enter handing the chosen LR to the preview as a schedule's peak, t launching it prefilled
from the sweep's run; -/+/a changing the smoothing; the runs screen naming the kind.

The run is a real sweep recorded by lrtui's trainer (tests/monitor/make_lr_find_fixture.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from lrtui.app import LrtuiApp
from lrtui.runs.reader import read_run
from lrtui.schedules.lr_suggest import analyze
from lrtui.screens.launch import LaunchScreen
from lrtui.screens.lr_find_monitor import LrFindMonitorScreen, handoff_plan
from lrtui.screens.preview import PreviewScreen
from lrtui.screens.runs import RunsScreen
from lrtui.widgets.runs.lr_find_panels import LossVsLrPanel, SuggestionsPanel, choices

from .helpers import wait_for

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lr_find"
RUN_ID = "20251121-110000-lenet-f001"


def _copy(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    shutil.copytree(FIXTURE, runs)
    return runs


def _expected():
    run = read_run(FIXTURE / RUN_ID)
    return analyze(np.asarray(run.data.lr[0]), np.asarray(run.data.loss), steps=100)


def _drawn(app) -> bool:
    screen = app.screen
    return (
        isinstance(screen, LrFindMonitorScreen)
        and screen.drawn is not None
        and screen.drawn.lr_find is not None
        and not any(chart.needs(screen.drawn) for chart in screen._charts())
    )


async def _preview_showing(pilot, app, kind: str) -> None:
    def shown() -> bool:
        screen = app.screen
        return isinstance(screen, PreviewScreen) and screen.plan is not None and kind in str(screen.plan.spec)

    await wait_for(pilot, shown, what=f"the preview on {kind}")


async def test_panel_shows_the_files_suggestions_and_hands_the_chosen_lr_to_the_preview(tmp_path):
    runs = _copy(tmp_path)
    expected = _expected()
    app = LrtuiApp(runs_dir=str(runs), watch=str(runs / RUN_ID))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _drawn(app), what="the LR find monitor")
        screen = app.screen
        analysis = screen.drawn.lr_find
        assert [(s.name, s.lr) for s in analysis.suggestions] == [
            (s.name, s.lr) for s in expected.suggestions
        ]
        text = screen.query_one(SuggestionsPanel).text(screen.drawn).plain
        steep = expected.get("steepest")
        assert "▶ steepest descent" in text and f"{steep.lr:.3g}" in text
        assert "OneCycleLR max_lr" in text
        figure = screen.query_one(LossVsLrPanel).plot.figure
        assert figure.log_x and figure.x_range == (1e-4, 10.0)
        assert {m.x for m in figure.markers} >= {s.lr for s in expected.suggestions}
        assert any(m.label.startswith("▶steep") for m in figure.markers)

        # n picks the next suggestion (valley), o switches the target to warmup + cosine
        await pilot.press("n")
        await pilot.pause(0.2)
        options = choices(screen.drawn.lr_find)
        assert options[1].name == "valley"
        assert screen.query_one(SuggestionsPanel).current(screen.drawn).name == "valley"
        assert any(m.label.startswith("▶valley") for m in screen.query_one(LossVsLrPanel).plot.figure.markers)
        await pilot.press("o")
        await pilot.pause(0.2)
        assert "warmup + cosine peak" in screen.query_one(SuggestionsPanel).text(screen.drawn).plain

        await pilot.press("enter")
        await _preview_showing(pilot, app, "SequentialLR")
        preview = app.screen
        valley = expected.get("valley").lr
        plan = preview.plan
        assert plan.base_lrs == (float(f"{valley:.3g}"),)
        assert plan.total_steps == 30 * (2048 // 64)  # the training the sweep's config describes
        assert preview.curve is not None and np.max(preview.curve.lr) == plan.base_lrs[0]  # peak = chosen LR

        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, LaunchScreen), what="the launch form")
        values = app.screen.values()
        assert values["spec"] == str(plan.spec)
        assert float(values["lr"]) == plan.base_lrs[0]
        assert (values["model"], values["dataset"], values["batch_size"], values["epochs"]) == (
            "lenet",
            "synthetic",
            "64",
            "30",
        )
        assert values["synthetic_train_size"] == "2048" and values["stepping"] == "step"
        assert app.screen.extra_config.get("synthetic_test_size") == 64
        assert not app.screen.errors  # ready to launch as it stands


async def test_onecycle_hand_off_and_smoothing_keys(tmp_path):
    runs = _copy(tmp_path)
    app = LrtuiApp(runs_dir=str(runs), watch=str(runs / RUN_ID))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: _drawn(app), what="the LR find monitor")
        screen = app.screen
        auto = screen.drawn.lr_find.beta
        await pilot.press("plus")
        await wait_for(pilot, lambda: screen.drawn.lr_find.beta > auto, what="more smoothing")
        bigger = screen.drawn.lr_find.beta
        await pilot.press("minus", "minus")
        await wait_for(pilot, lambda: screen.drawn.lr_find.beta < bigger, what="less smoothing")
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.drawn.lr_find.beta == auto, what="auto smoothing again")
        assert "smoothing β=" in screen.query_one(LossVsLrPanel).caption_text()
        chosen = screen.query_one(SuggestionsPanel).current(screen.drawn)
        await pilot.press("enter")
        await _preview_showing(pilot, app, "OneCycleLR")
        assert (
            str(app.screen.plan.spec) == f"OneCycleLR(max_lr={float(f'{chosen.lr:.3g}'):g}, total_steps=960)"
        )


async def test_runs_screen_names_the_kind_and_opens_the_lr_find_monitor(tmp_path):
    runs = _copy(tmp_path)
    app = LrtuiApp(runs_dir=str(runs))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        await pilot.pause(0.3)
        await app.run_action("switch_mode('runs')")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.listings > 0, what="runs"
        )
        table = app.screen.query_one("LazyTable")
        row = [str(cell) for cell in table.get_row_at(0)]
        assert "LR find → 0.0675" in row
        await pilot.press("enter")
        await wait_for(pilot, lambda: _drawn(app), what="the LR find monitor from the runs screen")


def test_handoff_plan_without_a_training_length_says_so():
    plan, note = handoff_plan(
        {"kind": "lr_find", "optimizer": {"name": "adamw", "betas": [0.9, 0.95]}}, 3e-4, "onecycle"
    )
    assert plan.total_steps == 10_000 and "10,000 steps assumed" in note
    assert plan.optimizer == "adamw" and plan.momentum == 0.9
    assert str(plan.spec) == "OneCycleLR(max_lr=0.0003, total_steps=10000)"


async def test_find_lr_from_the_launch_form_runs_a_real_sweep_and_hands_its_lr_back(tmp_path):
    # preview -> t -> launch form -> ctrl+f: a real detached sweep with the form's settings; its monitor
    # fills in live, and enter brings the chosen LR back to the preview as OneCycleLR's max_lr.
    from lrtui.runs import read_run, wait_state

    app = LrtuiApp(spec="OneCycleLR(max_lr=0.1, total_steps=128)", runs_dir=str(tmp_path / "runs"))
    async with app.run_test(size=(110, 34)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, PreviewScreen) and app.screen.plan is not None,
            what="preview",
        )
        await app.run_action("launch")
        await wait_for(pilot, lambda: isinstance(app.screen, LaunchScreen), what="the launch form")
        form = app.screen
        for field, value in (("model", "lenet"), ("dataset", "synthetic"), ("synthetic_train_size", "512"),
                             ("batch_size", "32"), ("epochs", "8"), ("device", "cpu")):  # fmt: skip
            form.set_value(field, value)
        form.extra_config.update(num_threads=1, synthetic_test_size=32)
        await pilot.pause(0.2)
        assert not form.errors
        await pilot.press("ctrl+f")
        await wait_for(
            pilot, lambda: isinstance(app.screen, LrFindMonitorScreen), timeout=20, what="the monitor"
        )
        monitor = app.screen
        await wait_for(
            pilot,
            lambda: (
                monitor.drawn is not None
                and monitor.drawn.state == "finished"
                and monitor.drawn.lr_find.suggestions
            ),
            timeout=120,
            what="the sweep to finish with suggestions",
        )
        run = read_run(monitor.run_dir)
        assert run.config["kind"] == "lr_find" and run.config["model"] == "lenet"
        assert run.config["schedule"]["total_steps"] == 8 * (512 // 32)
        chosen = monitor.query_one(SuggestionsPanel).current(monitor.drawn)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, PreviewScreen)
                and "OneCycleLR" in str(app.screen.plan.spec)
                and app.screen.plan.total_steps == 128
                and app.screen.plan.base_lrs[0] == float(f"{chosen.lr:.3g}")
            ),
            what="the preview with the sweep's LR",
        )
        assert wait_state(monitor.run_dir, ("finished",), 5) == "finished"
