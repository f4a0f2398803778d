"""Wait until the preview has drawn the latest edit (tests, benchmarks/app.py, screenshots/make_screenshots.py)."""

from __future__ import annotations

from lrtui.screens.preview import PreviewScreen


async def settle(pilot, timeout: float = 30.0) -> PreviewScreen:
    """Let pending edits evaluate (the edit throttle, a worker) and the screen repaint; return the screen."""
    await pilot.pause()
    screen = pilot.app.screen
    if isinstance(screen, PreviewScreen):
        waited = 0.0
        while screen.busy and waited < timeout:
            await pilot.pause(0.02)
            waited += 0.02
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    return pilot.app.screen
