"""Snapshot tests of the views of foreign-format runs (tests/monitor/fixtures/foreign, written by the real
writers by make_foreign_fixture.py): the monitor's panels, its metric grid with a filter, its output pane
with a search, the runs screen scanning them, and a compare across formats. Paths are relative (the test
runs in the copy's parent) and mtimes fixed, so the pictures are the same everywhere."""

from __future__ import annotations

import pytest

from lrtui.screens.monitor import RunMonitorScreen
from lrtui.screens.runs import CompareScreen, RunsScreen

from .helpers import ScreenTestApp, copy_fixture, copy_foreign, fixed_clock, wait_for

A001 = "runs/20251121-100000-vgg-a001"


@pytest.fixture
def foreign(tmp_path, monkeypatch):
    copy_foreign(tmp_path)
    copy_fixture(tmp_path)  # the lrtui runs, as ./runs
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _tb_monitor(**options) -> ScreenTestApp:
    return ScreenTestApp(
        lambda: RunMonitorScreen(
            "foreign/tb/hf-bert-glue",
            source_format="tensorboard",
            clock=fixed_clock,
            sample_device=False,
            output_log="foreign/train.log",
            **options,
        )
    )


async def _monitor_ready(pilot) -> None:
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, RunMonitorScreen) and pilot.app.screen.drawn is not None,
        what="the monitor",
    )
    await pilot.pause(0.3)


def test_monitor_tensorboard_run(snap_compare, foreign):
    assert snap_compare(_tb_monitor(), terminal_size=(100, 30), run_before=_monitor_ready)


def test_monitor_metric_grid_filtered_at_80x24(snap_compare, foreign):
    async def grid(pilot):
        await _monitor_ready(pilot)
        await pilot.press("slash", *"eval|system", "enter")
        await pilot.pause(0.5)

    assert snap_compare(_tb_monitor(), terminal_size=(80, 24), run_before=grid)


def test_monitor_output_pane_search(snap_compare, foreign):
    async def output(pilot):
        await _monitor_ready(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#output").view.total > 0, what="output")
        await pilot.press("slash", *"warning", "enter")
        await pilot.pause(0.3)

    assert snap_compare(_tb_monitor(), terminal_size=(100, 30), run_before=output)


def test_runs_screen_scanning_foreign_runs(snap_compare, foreign):
    app = ScreenTestApp(
        lambda: RunsScreen(
            "runs", clock=fixed_clock, sample_device=False, scan_roots=["foreign"], live_after_s=60
        )
    )

    async def listed(pilot):
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.detailed > 0, what="the rows"
        )
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 24), run_before=listed)


def test_compare_across_formats(snap_compare, foreign):
    entries = [
        A001,
        ("hf-trainer", "foreign/hf_out"),
        ("tensorboard", "foreign/tb/hf-bert-glue"),
    ]
    app = ScreenTestApp(lambda: CompareScreen(entries))

    async def loaded(pilot):
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, CompareScreen) and app.screen.runs is not None,
            what="compare",
        )
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(100, 30), run_before=loaded)
