"""Snapshot tests of the monitor, runs, compare and launch screens from the recorded fixture runs.

Synchronous (snap_compare runs its own event loop). Ages use a fixed clock and the fixture's timestamps are
fixed, so the pictures are stable. Update with `pytest tests/monitor/test_snapshots.py --snapshot-update`
after checking the new SVGs by eye.
"""

from __future__ import annotations

import pytest

from lrtui.screens.launch import LaunchScreen
from lrtui.screens.monitor import RunMonitorScreen
from lrtui.screens.runs import CompareScreen, RunsScreen

from .helpers import FIXTURE_RUNS, ScreenTestApp, fixed_clock, wait_for

RELATIVE_RUNS = "tests/monitor/fixtures/runs"  # shown in the runs screen's title: same on every machine


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(FIXTURE_RUNS.parents[3])


def _monitor(run_id: str) -> ScreenTestApp:
    return ScreenTestApp(
        lambda: RunMonitorScreen(FIXTURE_RUNS / run_id, clock=fixed_clock, sample_device=False)
    )


async def _monitor_ready(pilot) -> None:
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, RunMonitorScreen) and pilot.app.screen.drawn is not None,
        what="the monitor",
    )
    await pilot.pause(0.2)


async def _runs_ready(pilot) -> None:
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, RunsScreen) and pilot.app.screen.listings > 0,
        what="the listing",
    )
    await pilot.pause()


async def _compare_ready(pilot) -> None:
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.runs is not None,
        what="compare data",
    )
    await pilot.pause(0.2)


def test_monitor_finished_run(snap_compare):
    assert snap_compare(
        _monitor("20251121-100000-vgg-a001"), terminal_size=(100, 30), run_before=_monitor_ready
    )


def test_monitor_lr_alarm_and_divergence_at_80x24(snap_compare):
    assert snap_compare(
        _monitor("20251121-102000-vgg-a003"), terminal_size=(80, 24), run_before=_monitor_ready
    )


def test_monitor_failed_user_run(snap_compare):
    assert snap_compare(
        _monitor("20251121-103000-lenet-a004"), terminal_size=(100, 30), run_before=_monitor_ready
    )


def test_runs_screen(snap_compare):
    app = ScreenTestApp(lambda: RunsScreen(RELATIVE_RUNS, clock=fixed_clock, sample_device=False))
    assert snap_compare(app, terminal_size=(100, 24), run_before=_runs_ready)


def test_compare_screen(snap_compare):
    runs = [
        FIXTURE_RUNS / name
        for name in ("20251121-100000-vgg-a001", "20251121-101000-vgg-a002", "20251121-102000-vgg-a003")
    ]
    app = ScreenTestApp(lambda: CompareScreen(runs))
    assert snap_compare(app, terminal_size=(100, 30), run_before=_compare_ready)


def test_launch_form_at_80x24(snap_compare):
    app = ScreenTestApp(
        lambda: LaunchScreen(
            "OneCycleLR(max_lr=0.1, total_steps=11700)", [0.004], 390, "step", "runs-not-created"
        )
    )
    assert snap_compare(app, terminal_size=(80, 24))


async def _ranks_ready(pilot) -> None:
    await wait_for(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, RunMonitorScreen)
            and pilot.app.screen.drawn is not None
            and pilot.app.screen.drawn.ranks is not None
            and pilot.app.screen.side == "ranks"
        ),
        what="the rank panel",
    )
    await pilot.pause(0.3)


def test_monitor_torchrun_job_rank_panel(snap_compare):
    ddp_run = FIXTURE_RUNS.parent / "ddp" / "20251121-110000-resnet18-d008"
    app = ScreenTestApp(lambda: RunMonitorScreen(ddp_run, clock=fixed_clock, sample_device=False))
    assert snap_compare(app, terminal_size=(120, 36), run_before=_ranks_ready)
