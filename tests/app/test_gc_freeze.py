"""The app keeps what exists after its first frame out of the garbage collector's full passes (a full pass
over ~100k startup objects was a 20-50 ms hitch every few hundred frames) and hands it back when it ends:
tests run many apps in one process, and a frozen object is never collected."""

from __future__ import annotations

import gc

from lrtui.app import LrtuiApp


async def test_startup_objects_frozen_while_the_app_runs_and_released_after():
    assert gc.get_freeze_count() == 0
    app = LrtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert gc.get_freeze_count() > 10_000
        await pilot.press("ctrl+l", *"StepLR(step_size=100)")  # edits still work, and allocate freely
        await pilot.pause()
    assert gc.get_freeze_count() == 0
