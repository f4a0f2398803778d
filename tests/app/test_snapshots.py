"""Snapshot tests of the main screen (pytest-textual-snapshot). Regenerate baselines after an intended
change with: .venv/bin/python -m pytest tests/app/test_snapshots.py --snapshot-update

Deterministic: no clock in the header, a fixed theme, and the state is settled before the shot.
"""

from __future__ import annotations

from lrtui.app import LrtuiApp
from tests.app.conftest import settle

WARMUP_COSINE = "get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000)"


async def _settled(pilot) -> None:
    await settle(pilot)
    await pilot.pause()


async def _cursor_and_pin(pilot) -> None:
    screen = await settle(pilot)
    await screen.load_comparison("seed004")
    screen = await settle(pilot)
    screen.query_one("#plot").focus()
    await pilot.press("g", *"40%", "enter", "right", "shift+right")  # 40% of the way, then 11 steps on
    await settle(pilot)
    pilot.app.clear_notifications()  # the 'pinned 6' toast times out after 5 s: not in the picture either way
    await pilot.pause()


def test_main_screen_80x24(snap_compare):
    assert snap_compare(
        LrtuiApp(spec=WARMUP_COSINE, theme="textual-dark"), terminal_size=(80, 24), run_before=_settled
    )


def test_main_screen_160x48(snap_compare):
    assert snap_compare(
        LrtuiApp(spec=WARMUP_COSINE, theme="textual-dark"), terminal_size=(160, 48), run_before=_settled
    )


def test_compare_with_cursor_160x48(snap_compare):
    assert snap_compare(
        LrtuiApp(spec=WARMUP_COSINE, theme="textual-dark"),
        terminal_size=(160, 48),
        run_before=_cursor_and_pin,
    )
