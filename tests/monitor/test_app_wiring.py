"""The real LrtuiApp wiring: the runs screen as a mode (key r, reading the app's runs_dir), the launch form
pushed from the preview's current plan (key t), and `watch`-style opening of a monitor over the preview.
Escape always leads back to the preview."""

from __future__ import annotations

from lrtui.app import LrtuiApp
from lrtui.screens.launch import LaunchScreen
from lrtui.screens.monitor import RunMonitorScreen, open_run_monitor
from lrtui.screens.preview import PreviewScreen
from lrtui.screens.runs import RunsScreen

from .helpers import wait_for


async def test_runs_mode_launch_form_and_monitor_from_the_real_app(fixture_runs):
    app = LrtuiApp(spec="StepLR(step_size=30, gamma=0.1)", runs_dir=str(fixture_runs))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        await pilot.pause(0.3)
        await app.run_action("switch_mode('runs')")  # what the r binding does (an Input may hold the focus)
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.listings > 0, what="runs"
        )
        assert app.screen.runs_dir == fixture_runs and len(app.screen.order) == 5
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="back to the preview")
        await app.run_action("launch")
        await wait_for(pilot, lambda: isinstance(app.screen, LaunchScreen), what="the launch form")
        form = app.screen
        assert form.values()["spec"] == "StepLR(step_size=30, gamma=0.1)"
        assert form.runs_dir == fixture_runs
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="back to the preview")
        open_run_monitor(app, fixture_runs / "20251121-100000-vgg-a001", sample_device=False)
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, RunMonitorScreen) and app.screen.drawn is not None,
            what="the monitor",
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="back to the preview")
