"""Snapshot tests of sweep groups: the runs screen with a group expanded, and a group's compare view.

Synchronous (snap_compare runs its own event loop); fixed timestamps and a fixed clock keep them stable.
Update with `pytest tests/sweep/test_snapshots.py --snapshot-update` after checking the SVGs by eye.
"""

from __future__ import annotations

import pytest
from monitor.helpers import ScreenTestApp, fixed_clock, wait_for

from lrtui.screens.runs import RunsScreen
from lrtui.screens.sweep import GroupCompareScreen

from .conftest import DEMO, FIXTURE_RUNS

RELATIVE_RUNS = "tests/sweep/fixtures/runs"  # shown in the runs screen's title: the same on every machine


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(FIXTURE_RUNS.parents[3])


async def _runs_expanded(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.screen.listings > 0, what="the listing")
    await pilot.press("x")
    await wait_for(pilot, lambda: len(pilot.app.screen.order) == 7, what="the group's runs")
    await pilot.pause(0.2)


async def _group_ready(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.screen.view is not None, what="the group view")
    await pilot.pause(0.3)


def test_runs_screen_with_a_group_expanded_80x24(snap_compare):
    app = ScreenTestApp(lambda: RunsScreen(RELATIVE_RUNS, clock=fixed_clock, sample_device=False))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_runs_expanded)


def test_group_compare_80x24(snap_compare):
    app = ScreenTestApp(lambda: GroupCompareScreen(FIXTURE_RUNS / DEMO, clock=fixed_clock))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_group_ready)


def test_group_compare_120x36(snap_compare):
    app = ScreenTestApp(lambda: GroupCompareScreen(FIXTURE_RUNS / DEMO, clock=fixed_clock))
    assert snap_compare(app, terminal_size=(120, 36), run_before=_group_ready)
