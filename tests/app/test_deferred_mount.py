"""The preview's form and hidden tabs mount after its first frame; a preview covered before that frame
(`lrtui watch RUN` opens the monitor over it) must neither crash on quit nor lose its form."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lrtui.app import LrtuiApp
from lrtui.widgets.form.schedule_form import ScheduleForm
from tests.app.idle import settle
from tests.terminal import Terminal

RUN = Path(__file__).parents[1] / "monitor" / "fixtures" / "runs" / "20251121-100000-vgg-a001"
ROOT = Path(__file__).parents[2]


def test_watch_then_ctrl_q_exits_cleanly_in_a_real_terminal(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(tmp_path / "state")}
    with Terminal([sys.executable, "-m", "lrtui", "watch", str(RUN)], env=env, cwd=str(ROOT)) as term:
        term.wait_for("vgg")
        term.send("\x11")  # ctrl+q
        assert term.wait_exit() == 0  # was 1: MountError from the covered preview's pending Lazy mounts
    assert not list((tmp_path / "state").rglob("crash-*.log"))


async def test_the_covered_preview_gets_its_form_when_the_monitor_is_closed():
    app = LrtuiApp(watch=str(RUN))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        assert app.screen is not app.preview
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.preview
        assert app.screen.query(ScheduleForm)  # the deferred form mounted once the preview showed
        await pilot.press("ctrl+l", *"ExponentialLR(gamma=0.9)", "enter")
        screen = await settle(pilot)
        assert screen.error is None and screen.curve.n > 0
