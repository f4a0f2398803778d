"""End to end with the REAL trainer (`python -m lrtui.training`, started detached by lrtui.runs.process):
launch from the launch form, watch its records arrive in the monitor, quit the app (the run goes on),
reopen the monitor and see every record the trainer wrote; stop and resume it from the runs screen."""

from __future__ import annotations

import numpy as np
import pytest

from lrtui.runs import read_run, read_status, wait_state
from lrtui.runs.status import pid_alive
from lrtui.screens.launch import LaunchScreen
from lrtui.screens.monitor import RunMonitorScreen
from lrtui.screens.runs import RunsScreen
from lrtui.widgets.lazy_table import LazyTable
from lrtui.widgets.runs.confirm import ConfirmScreen
from lrtui.widgets.runs.panels import StateLine

from .helpers import ScreenTestApp, wait_for

pytestmark = pytest.mark.slow

SPEC = "StepLR(step_size=1, gamma=0.5)"
FORM = {
    "model": "lenet",
    "dataset": "synthetic",
    "synthetic_train_size": 256,
    "batch_size": 32,
    "epochs": 3,
    "device": "cpu",
    "lr": 0.05,
}
# trainer keys the form does not show: a small, slow-enough run on one CPU thread
EXTRA = {
    "synthetic_test_size": 64,
    "eval_batch_size": 64,
    "num_threads": 1,
    "log_every_steps": 4,
    "step_delay_s": 0.08,
}
TERMINAL = ("finished", "stopped", "failed", "diverged")


def _launch_app(runs_dir):
    return ScreenTestApp(
        lambda: LaunchScreen(
            SPEC,
            [0.05],
            8,
            "epoch",
            runs_dir,
            defaults=FORM,
            extra_config=EXTRA,
            monitor_options={"sample_device": False},
        )
    )


async def test_launch_watch_quit_and_reattach_to_every_record(tmp_path):
    runs_dir = tmp_path / "runs"
    app = _launch_app(runs_dir)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunMonitorScreen), timeout=20, what="the monitor"
        )
        monitor = app.screen
        await wait_for(
            pilot,
            lambda: monitor.drawn is not None and monitor.drawn.n > 0,
            timeout=60,
            what="the first step records",
        )
        seen_live = monitor.drawn.n
        run_dir = monitor.run_dir
        assert monitor.drawn.state in ("starting", "running")
    # the app is gone; the detached trainer is not
    status = read_status(run_dir)
    assert status.get("state") in ("starting", "running", "finished")
    if status.get("state") != "finished":
        assert pid_alive(status.get("pid"))
    assert wait_state(run_dir, TERMINAL, timeout=120) == "finished"
    config = read_run(run_dir).config
    assert config["schedule"] == {"spec": SPEC, "stepping": "epoch", "steps_per_epoch": 8, "total_steps": 24}
    assert config["source"] == "lrtui-trainer" and config["num_threads"] == 1

    reopened = ScreenTestApp(lambda: RunMonitorScreen(run_dir, sample_device=False))
    async with reopened.run_test(size=(100, 32)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(reopened.screen, RunMonitorScreen) and reopened.screen.drawn is not None,
            what="the reattached monitor",
        )
        snap = reopened.screen.drawn
        on_disk = read_run(run_dir).data
        assert snap.n == len(on_disk) == 24 >= seen_live
        np.testing.assert_array_equal(snap.steps, np.frombuffer(on_disk.steps, dtype=np.int64))
        np.testing.assert_array_equal(snap.lr[0], np.frombuffer(on_disk.lr[0], dtype=np.float64))
        assert len(snap.epochs) == 3 and snap.state == "finished"
        assert snap.lr_check.ok and snap.lr_check.compared == 24  # the trainer ran exactly the previewed LRs
        assert "finished" in str(reopened.screen.query_one(StateLine).content)


async def test_stop_and_resume_a_real_run_from_the_runs_screen(tmp_path):
    runs_dir = tmp_path / "runs"
    app = _launch_app(runs_dir)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunMonitorScreen), timeout=20, what="the monitor"
        )
        monitor = app.screen
        await wait_for(
            pilot,
            lambda: monitor.drawn is not None and monitor.drawn.state == "running",
            timeout=60,
            what="the run to be running",
        )
        run_dir = monitor.run_dir
        app.switch_screen(RunsScreen(runs_dir, sample_device=False, refresh_s=0.2))
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.listings > 0, what="runs"
        )
        runs = app.screen
        assert runs.query_one(LazyTable).row_count == 1
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirm modal")
        await pilot.press("y")
        await wait_for(
            pilot, lambda: runs.summaries[run_dir.name].state == "stopped", timeout=60, what="the run to stop"
        )
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: runs.summaries[run_dir.name].state == "finished",
            timeout=120,
            what="the resumed run to finish",
        )
    events = [e.get("event") for e in read_run(run_dir).data.events]
    assert "stop" in events and "resume" in events and events[-1] == "finish"
    assert len(read_run(run_dir).data) == 24
