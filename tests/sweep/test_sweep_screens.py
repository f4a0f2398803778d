"""Sweep groups in the runs screen and the group compare view, on a copy of the recorded groups (keys pressed)."""

from __future__ import annotations

from monitor.helpers import ScreenTestApp, fixed_clock, wait_for
from textual.widgets import DataTable

from lrtui.screens.runs import CompareScreen, RunsScreen
from lrtui.screens.sweep import GroupCompareScreen
from lrtui.widgets.lazy_table import LazyTable
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.runs.confirm import ConfirmScreen

from .conftest import DEMO, PLAIN, SEED001


def _runs_app(runs_dir, **options):
    return ScreenTestApp(lambda: RunsScreen(runs_dir, clock=fixed_clock, sample_device=False, **options))


async def _listed(pilot):
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, RunsScreen) and pilot.app.screen.listings > 0,
        what="a listing",
    )
    return pilot.app.screen


def _cells(table: LazyTable, key: str) -> list[str]:
    return [str(c) for c in table.get_row(key)]


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_groups_are_rows_with_progress_and_expand_to_their_runs(fixture_runs):
    async with _runs_app(fixture_runs).run_test(size=(120, 30)) as pilot:
        screen = await _listed(pilot)
        table = screen.query_one(LazyTable)
        assert screen.order == [SEED001, PLAIN, DEMO]  # runs and groups together, newest first
        live = _cells(table, SEED001)
        # columns: sel, state, run, schedule, best, last, src, step, progress, ...
        assert "running" in live[1] and live[2] == "▸ sweep seed001" and live[6] == "sweep"
        assert live[3] == "2 sched × 2 · ✔1/4 ●1 ◌1 ■1" and live[8] == "✔1/4 ●1 ◌1 ■1"
        assert "finished" in _cells(table, DEMO)[1] and _cells(table, DEMO)[8] == "✔6/6"
        detail = str(screen.query_one("#runs-detail").render())
        assert "1 done, 1 running, 1 queued, 1 stopped, 0 failed" in detail and "queue on gpu-box-7" in detail

        await pilot.press("x")
        await wait_for(pilot, lambda: len(screen.order) == 7, what="the group's runs")
        members = screen.order[1:5]
        assert members == [
            f"{SEED001}/{r}" for r in ("s0-constant-r0", "s1-steplr-r0", "s0-constant-r1", "s1-steplr-r1")
        ]
        states = [_cells(table, key)[1] for key in members]
        assert [s.split()[-1] for s in states] == ["finished", "stopped", "running", "queued"]
        assert _cells(table, members[0])[2] == "  └ s0-constant-r0"
        await pilot.press("down", "down", "down", "down", "enter")  # a queued run has nothing to open
        await pilot.pause()
        assert isinstance(pilot.app.screen, RunsScreen) and any(
            "has not started" in m for m in _messages(pilot.app)
        )
        await pilot.press("x")  # on a member row: folds its group
        await wait_for(pilot, lambda: len(screen.order) == 3, what="the group to fold")
        assert screen.order[table.cursor_row] == SEED001


async def test_group_keys_stop_resume_select_and_delete(fixture_runs):
    async with _runs_app(fixture_runs, refresh_s=0.2).run_test(size=(120, 30)) as pilot:
        screen = await _listed(pilot)
        await pilot.press("space")  # a group is not selectable: say what to do instead
        await pilot.press("s")  # the live group runs on another host: confirm, then say why nothing stopped
        await wait_for(
            pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the stop confirmation"
        )
        await pilot.press("y")
        await wait_for(
            pilot, lambda: any("stop_group failed" in m for m in _messages(pilot.app)), what="refusal"
        )
        assert any("nothing to stop" in m for m in _messages(pilot.app))
        assert any("enter compares a sweep" in m for m in _messages(pilot.app))
        await pilot.press("d")  # refused while it runs
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmScreen)

        screen.query_one(LazyTable).move_cursor(row=screen.order.index(DEMO))
        await pilot.press("r", "s")  # the finished group: nothing to resume or stop
        await pilot.pause()
        assert any("nothing to resume" in m for m in _messages(pilot.app))
        assert any("sweep demo is finished: nothing to stop" in m for m in _messages(pilot.app))
        await pilot.press("d")
        await wait_for(
            pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the delete confirmation"
        )
        await pilot.press("y")
        await wait_for(pilot, lambda: DEMO not in screen.order, what="the group to go")
        assert not (fixture_runs / DEMO).exists()


async def test_group_compare_view_ranks_exports_and_opens_repeats(fixture_runs):
    async with _runs_app(fixture_runs).run_test(size=(140, 40)) as pilot:
        screen = await _listed(pilot)
        screen.query_one(LazyTable).move_cursor(row=screen.order.index(DEMO))
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, GroupCompareScreen) and pilot.app.screen.view is not None,
            what="the group view",
        )
        view = pilot.app.screen
        table = view.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[1] for r in rows] == ["━ #1", "━ #3", "━ #2"]
        assert rows[0][3] == "70.42±0.18" and rows[0][6] == "best"
        assert rows[1][5] == "-0.10 pp" and rows[1][6].startswith("≈ noise p=0.95")
        assert rows[2][6].startswith("< worse p=0.04")
        assert rows[0][7] == "2/2" and rows[0][8] == "0.05"
        acc = view.query_one("#group-acc", CurvePlot).figure
        means = [s for s in acc.series if s.label]
        assert [s.label for s in means] == ["#1", "#2", "#3"] and len(
            acc.series
        ) == 9  # + two band edges each
        assert "K=2" in str(view.query_one("#group-note").render())
        assert "ranked by final test acc" in str(view.query_one("#group-title").render())

        await pilot.press("m", "m")  # best test acc, then final test loss (lower is better)
        await wait_for(pilot, lambda: view.view.results.metric == "final_loss", what="the loss ranking")
        assert str(table.get_row_at(0)[1]) == "━ #1" and "ranked by final test loss" in str(
            view.query_one("#group-title").render()
        )
        await pilot.press("e")
        await wait_for(pilot, lambda: len(view.exported) == 2, what="the export")
        assert (fixture_runs / DEMO / "results.md").read_text().count("final test loss") >= 1
        await pilot.press("down", "enter")  # the second-ranked schedule's two repeats, run by run
        await wait_for(
            pilot, lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.runs is not None
        )
        assert len(pilot.app.screen.runs) == 2
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunsScreen), what="the runs screen")


async def test_a_running_group_view_uses_finished_runs_only(fixture_runs):
    app = ScreenTestApp(lambda: GroupCompareScreen(fixture_runs / SEED001, clock=fixed_clock, reload_s=0.2))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.view is not None and app.screen.loads >= 2, what="two loads")
        view = app.screen
        assert view.view.status.state == "running"  # its queue reports from another host: reloaded while live
        table = view.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][2] == "constant" and rows[0][3] == "57.34" and rows[0][7] == "1/2"
        assert rows[1][2] == "steplr" and rows[1][6] == "no data"
        view.query_one(DataTable).move_cursor(row=1)
        await pilot.pause()
        detail = str(view.query_one("#group-detail").render())
        assert "0/2 finished (1 queued, 1 stopped)" in detail and "article: 77% → 81%" in detail
