"""A CI-sized schedule shoot-out end to end, with real processes: the CLI, the detached queue, real trainers
(the offline synthetic dataset on CPU), kill -9 of the queue, a group stop and a resume, the results table,
and the runs screen driven by key presses on the result.

3 schedules x 2 repeats of LeNet on 512 synthetic images, 2 epochs of 16 steps (a short sleep per step keeps
the runs alive long enough to be interrupted), 2 runs at a time on the CPU, one thread each.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from monitor.helpers import ScreenTestApp, wait_for
from textual.widgets import DataTable

from lrtui.runs import read_run
from lrtui.screens.runs import CompareScreen, RunsScreen
from lrtui.screens.sweep import GroupCompareScreen
from lrtui.sweep.group import read_group, read_queue_state
from lrtui.sweep.listing import find_group
from lrtui.sweep.queue import group_status, queue_pid
from lrtui.widgets.lazy_table import LazyTable
from lrtui.widgets.plot import CurvePlot
from tests.waiting import wait_until

from .conftest import stop_everything

pytestmark = pytest.mark.slow

SCHEDULES = ("StepLR(step_size=1, gamma=0.5)", "ExponentialLR(gamma=0.7)", "CosineAnnealingLR(T_max=2)")
RECIPE_ARGS = [
    "--dataset", "synthetic", "--model", "lenet", "--epochs", "2", "--batch-size", "32", "--lr", "0.05",
    "--set", "synthetic_train_size=512", "--set", "synthetic_test_size=64", "--set", "num_threads=1",
    "--set", "step_delay_s=0.06", "--set", "log_every_steps=4",
]  # fmt: skip


def _lrtui(*argv: str, runs_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *argv, "--runs-dir", str(runs_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Run the whole story once; record what was seen on the way."""
    runs_dir = tmp_path_factory.mktemp("sweep-e2e") / "runs"
    seen: dict = {}
    argv = ["sweep", *[a for s in SCHEDULES for a in ("--schedule", s)], "--repeats", "2", *RECIPE_ARGS,
            "--devices", "cpu", "--per-device", "2", "--name", "ci"]  # fmt: skip
    started = _lrtui(*argv, runs_dir=runs_dir)  # the launcher exits at once; the sweep goes on without it
    seen["start"] = started
    assert started.returncode == 0, started.stderr
    group = read_group(find_group("last", runs_dir))
    try:
        # first wave training (past its first logged steps): kill -9 the queue
        def first_wave_training() -> bool:
            dirs = [group.run_dir(m) for m in group.members[:2]]
            return all(d.is_dir() and (read_run(d).data.last_step or 0) >= 4 for d in dirs)

        wait_until(first_wave_training, 90, "the first two runs to train")
        pid = queue_pid(group.dir)
        seen["queue_pid"] = pid
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: queue_pid(group.dir) is None, 10, "the queue to die")
        seen["after_kill"] = group_status(group)
        # the whole group stops: no queue any more, so its live runs are stopped directly (each checkpoints)
        seen["stop"] = _lrtui("stop", group.id, "--wait", "60", runs_dir=runs_dir)
        seen["after_stop"] = group_status(group)
        seen["resume"] = _lrtui("sweep", "resume", group.id, runs_dir=runs_dir)
        wait_until(lambda: group_status(group).state == "finished", 150, "the resumed sweep to finish")
        seen["results_csv"] = _lrtui("sweep", "results", group.id, "--csv", runs_dir=runs_dir)
        seen["runs"] = _lrtui("runs", runs_dir=runs_dir)
    finally:
        stop_everything(group)
    return runs_dir, group, seen


def test_the_launcher_exits_and_the_queue_runs_on(sweep):
    _runs_dir, _group, seen = sweep
    assert (
        "started sweep" in seen["start"].stdout and "3 schedules x 2 repeats = 6 runs" in seen["start"].stdout
    )
    assert isinstance(seen["queue_pid"], int)
    after = seen["after_kill"]
    assert after.state == "running" and after.progress.running >= 1 and "queue not running" in after.message


def test_group_stop_then_resume_continues_from_checkpoints(sweep):
    _runs_dir, group, seen = sweep
    assert seen["stop"].returncode == 0 and "no queue was running" in seen["stop"].stdout
    assert seen["after_stop"].state == "stopped" and seen["after_stop"].progress.running == 0
    assert seen["resume"].returncode == 0 and "resumed group" in seen["resume"].stdout
    for m in group.members[:2]:  # the first wave: stopped mid-run, then resumed from its checkpoint
        run = read_run(group.run_dir(m))
        events = [e.get("event") for e in run.data.events]
        assert "stop" in events and "resume" in events and events[-1] == "finish"
        assert len(run.data.epochs) == 2 and list(run.data.steps) == list(range(32))  # each step once
    assert read_queue_state(group.dir)["state"] == "finished"
    assert all(read_run(group.run_dir(m)).state == "finished" for m in group.members)


def test_results_table_and_runs_listing(sweep):
    _runs_dir, group, seen = sweep
    rows = list(csv.DictReader(io.StringIO(seen["results_csv"].stdout)))
    assert sorted(r["spec"] for r in rows) == sorted(SCHEDULES)
    assert {r["finished"] for r in rows} == {"2"} and [r["rank"] for r in rows] == ["1", "2", "3"]
    assert all(r["final_acc_std"] != "" for r in rows)
    out = seen["runs"].stdout
    assert group.id in out and "✔6/6" in out and "2/2 done  final" in out


async def test_the_group_through_the_runs_screen_with_keys(sweep):
    runs_dir, group, _seen = sweep
    app = ScreenTestApp(lambda: RunsScreen(runs_dir, sample_device=False))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.listings > 0, what="list"
        )
        screen = app.screen
        table = screen.query_one(LazyTable)
        assert screen.order == [group.id]
        row = [str(c) for c in table.get_row(group.id)]
        assert "finished" in row[1] and "sweep ci" in row[2] and "✔6/6" in row[3] and row[8] == "✔6/6"
        await pilot.press("x")  # list the group's runs
        await wait_for(pilot, lambda: len(screen.order) == 7, what="the runs under the group")
        await pilot.press("down", "enter")  # a member opens its monitor
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RunMonitorScreen", what="the monitor")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), what="back")
        await pilot.press("up", "enter")  # the group row: its compare view
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, GroupCompareScreen) and app.screen.view is not None,
            what="compare",
        )
        compare = app.screen
        gtable = compare.query_one(DataTable)
        assert gtable.row_count == 3
        assert all(str(gtable.get_row_at(i)[7]) == "2/2" for i in range(3))
        acc = compare.query_one("#group-acc", CurvePlot).figure
        assert sorted(s.label for s in acc.series if s.label) == ["#1", "#2", "#3"]
        await pilot.press("m")  # rank by best test accuracy
        await wait_for(
            pilot, lambda: compare.metric == "best_acc" and compare.view.results.metric == "best_acc"
        )
        await pilot.press("e")  # export the table
        await wait_for(pilot, lambda: len(compare.exported) == 2, what="the export")
        assert (group.dir / "results.csv").read_text().count("\n") == 4
        await pilot.press("enter")  # the top schedule's repeats, run by run
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.runs is not None)
        assert len(app.screen.runs) == 2
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), what="the runs screen")
