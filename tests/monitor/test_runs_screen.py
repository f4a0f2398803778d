"""The runs screen and the compare view, on a copy of the recorded runs."""

from __future__ import annotations

from textual.widgets import DataTable

from lrtui.runs import RunLogger
from lrtui.screens.monitor import RunMonitorScreen
from lrtui.screens.runs import COLUMN_KEYS, CompareScreen, RunsScreen, short_id
from lrtui.widgets.lazy_table import LazyTable
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.runs.confirm import ConfirmScreen

from .helpers import ScreenTestApp, fixed_clock, wait_for


def _app(runs_dir, **options):
    return ScreenTestApp(lambda: RunsScreen(runs_dir, clock=fixed_clock, sample_device=False, **options))


async def _listed(pilot, at_least=1):
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, RunsScreen) and pilot.app.screen.listings >= at_least,
        what="a listing",
    )
    return pilot.app.screen


def _row(table: LazyTable, run_id: str) -> dict[str, str]:
    """The row's cells as shown, by column key (sel, state, src, run, schedule, step, best, last, ...)."""
    return dict(zip(COLUMN_KEYS, table.shown_row(run_id)))


async def test_lists_every_run_with_state_schedule_accuracy_and_age(fixture_runs):
    async with _app(fixture_runs).run_test(size=(120, 24)) as pilot:
        screen = await _listed(pilot)
        table = screen.query_one(LazyTable)
        assert table.row_count == 5
        assert screen.order[0] == "20251121-104000-resnet18-a005"  # newest first
        a001 = _row(table, "20251121-100000-vgg-a001")
        assert "finished" in a001["state"] and a001["run"] == "vgg-a001" and "get_cosine" in a001["schedule"]
        assert a001["best"] == "77.85%" and a001["epochs"] == "5/5" and a001["src"] == "lrtui"
        assert a001["age"] == "2h ago"  # updated at T0 + 10 min + 2.5 min, "now" is T0 + 3 h (injected clock)
        assert a001["step"] == "199"  # the last step logged
        assert "lost" in _row(table, "20251121-104000-resnet18-a005")["state"]
        assert _row(table, "20251121-102000-vgg-a003")["run"] == "my-script"  # the run's name when it has one


async def test_new_runs_appear_on_refresh_without_moving_the_cursor(fixture_runs):
    async with _app(fixture_runs, refresh_s=0.1).run_test(size=(120, 24)) as pilot:
        screen = await _listed(pilot)
        table = screen.query_one(LazyTable)
        table.move_cursor(row=2)
        chosen = screen.order[2]
        log = RunLogger({"model": "new"}, runs_dir=fixture_runs, handle_sigterm=False)
        log.close()
        await wait_for(pilot, lambda: table.row_count == 6, what="the new run")
        assert screen.order[table.cursor_row] == chosen


async def test_select_with_space_then_compare_overlays_runs_and_tabulates_results(fixture_runs):
    async with _app(fixture_runs).run_test(size=(120, 32)) as pilot:
        screen = await _listed(pilot)
        screen.query_one(LazyTable).move_cursor(row=3)  # a002, then a001 below it
        await pilot.press("space", "space")
        assert screen.selected == {"20251121-101000-vgg-a002", "20251121-100000-vgg-a001"}
        await pilot.press("c")
        await wait_for(
            pilot,
            lambda: isinstance(app_screen := pilot.app.screen, CompareScreen) and app_screen.runs is not None,
            what="compare data",
        )
        compare = pilot.app.screen
        assert [r.run_id for r in compare.runs] == ["20251121-100000-vgg-a001", "20251121-101000-vgg-a002"]
        table = compare.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][2:5] == ["77.85%", "77.85%", "5/5"] and rows[1][2:5] == ["70.70%", "70.70%", "5/5"]
        assert "StepLR(step_size=2, gamma=0.5)" in rows[1][1]
        assert rows[0][5] == "1,244"  # images/s of the last epoch
        assert rows[0][7] == "vgg-a001"  # the distinguishing part of the id (not the shared timestamp)
        for plot_id in ("#compare-lr", "#compare-loss", "#compare-acc"):
            assert [s.label for s in compare.query_one(plot_id, CurvePlot).figure.series] == ["#1", "#2"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, RunsScreen)


async def test_delete_asks_first_and_cancel_keeps_the_run(fixture_runs):
    victim = "20251121-103000-lenet-a004"
    async with _app(fixture_runs, refresh_s=0.1).run_test(size=(120, 24)) as pilot:
        screen = await _listed(pilot)
        screen.query_one(LazyTable).move_cursor(row=screen.order.index(victim))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the confirm modal")
        await pilot.press("n")
        await pilot.pause()
        assert (fixture_runs / victim).is_dir()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the confirm modal")
        await pilot.press("y")
        await wait_for(pilot, lambda: victim not in screen.order, what="the run to go")
        assert not (fixture_runs / victim).exists()


async def test_stop_and_resume_refuse_runs_in_the_wrong_state(fixture_runs):
    async with _app(fixture_runs).run_test(size=(120, 24)) as pilot:
        screen = await _listed(pilot)
        screen.query_one(LazyTable).move_cursor(row=screen.order.index("20251121-100000-vgg-a001"))
        await pilot.press("s")
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        messages = [n.message for n in pilot.app._notifications]
        assert any("nothing to stop" in m for m in messages)
        assert any("nothing to resume" in m for m in messages)


async def test_enter_opens_the_monitor_and_escape_comes_back(fixture_runs):
    async with _app(fixture_runs).run_test(size=(120, 32)) as pilot:
        await _listed(pilot)
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, RunMonitorScreen) and pilot.app.screen.drawn is not None,
            what="the monitor",
        )
        assert pilot.app.screen.run_dir.name == "20251121-104000-resnet18-a005"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, RunsScreen)


async def test_an_empty_runs_dir_says_how_to_get_runs(tmp_path):
    from lrtui.sources.settings import settings_path

    runs_dir = tmp_path / "none-yet"
    async with _app(runs_dir, refresh_s=0.1).run_test(size=(80, 24)) as pilot:
        screen = await _listed(pilot)
        hint = screen.query_one("#runs-empty")
        table = screen.query_one(LazyTable)
        assert hint.has_class("shown") and table.region.height == 1  # the header, the hint right under it
        text = str(hint.render())
        assert f"No runs in {runs_dir} yet" in text
        assert "lrtui train" in text and "lrtui.RunLogger" in text and "--scan DIR" in text
        assert "[runs] scan" in text and settings_path().name in text
        log = RunLogger({"model": "new"}, runs_dir=runs_dir, handle_sigterm=False)
        log.close()
        await wait_for(pilot, lambda: table.row_count == 1, what="the new run")
        await pilot.pause()
        assert not hint.has_class("shown") and table.region.height > 10


async def test_runs_app_quits_on_escape_and_the_screen_pops_elsewhere(fixture_runs):
    from lrtui.screens.runs import RunsApp

    app = RunsApp(fixture_runs)
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.listings > 0, what="runs"
        )
        await pilot.press("escape")
        await pilot.pause()
    assert not app.is_running
    async with _app(fixture_runs).run_test(size=(100, 24)) as pilot:
        await _listed(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.is_running and not isinstance(pilot.app.screen, RunsScreen)


def _log(log: RunLogger, steps: range, spe: int) -> None:
    for k in steps:
        log.step(k, lr=0.1 * 0.5 ** (k // spe), loss=2.0 - k / 1000, epoch=k // spe)
    log.flush()


async def test_compare_follows_a_run_while_it_trains_without_a_reload(tmp_path):
    """A run still being written grows on the compare screen by itself (no r pressed)."""
    config = {
        "model": "live",
        "epochs": 4,
        "schedule": {"spec": "StepLR(step_size=1)", "steps_per_epoch": 50},
    }
    log = RunLogger(config, runs_dir=tmp_path, handle_sigterm=False, flush_interval=0.0)
    try:
        _log(log, range(0, 60), 50)
        app = ScreenTestApp(lambda: CompareScreen([log.run_dir], reload_s=0.1))
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: getattr(pilot.app.screen, "runs", None) is not None, what="compare")
            compare = pilot.app.screen
            assert compare.runs[0].steps.size == 60 and compare.runs[0].live
            assert "1 training (updates live)" in str(compare.query_one("#compare-title").render())
            _log(log, range(60, 150), 50)
            log.epoch(0, test_acc=0.5)
            log.flush()
            await wait_for(pilot, lambda: compare.runs[0].steps.size == 150, what="the new steps")
            plot = compare.query_one("#compare-lr", CurvePlot)
            assert plot.figure.series[0].x[-1] == 149 and compare.runs[0].epochs_done == 1
            log.close()
            await wait_for(pilot, lambda: compare.runs[0].state == "finished", what="the finished state")
            assert "training" not in str(compare.query_one("#compare-title").render())
            loads = compare.loads
            await pilot.pause(0.3)  # nothing changes any more: nothing is redrawn
            assert compare.loads == loads
    finally:
        if not log.closed:
            log.close()


async def test_compare_puts_runs_with_different_steps_per_epoch_on_one_epoch_axis(tmp_path):
    runs = []
    for name, spe in (("small-batch", 100), ("big-batch", 25)):
        config = {
            "model": name,
            "epochs": 3,
            "schedule": {"spec": "StepLR(step_size=1)", "steps_per_epoch": spe},
        }
        log = RunLogger(config, runs_dir=tmp_path, handle_sigterm=False)
        _log(log, range(3 * spe), spe)
        log.close()
        runs.append(log.run_dir)
    # a run whose config does not say steps_per_epoch: its logged epoch column places the steps
    log = RunLogger({"model": "no-spe", "epochs": 3}, runs_dir=tmp_path, handle_sigterm=False)
    _log(log, range(3 * 40), 40)
    log.close()
    runs.append(log.run_dir)
    app = ScreenTestApp(lambda: CompareScreen(runs, reload_s=60))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "runs", None) is not None, what="compare")
        compare = pilot.app.screen
        plot = compare.query_one("#compare-lr", CurvePlot)
        assert [s.x[-1] for s in plot.figure.series] == [299, 74, 119]  # steps: the big batch ends early
        await pilot.press("x")
        assert compare.x_unit == "epochs" and plot.figure.xlabel == "epoch"
        for series, spe in zip(plot.figure.series, (100, 25, 40)):
            # every run's LR halves at the same epochs: one epoch axis lines them up
            assert series.x[spe] == 1.0 and series.x[-1] == (3 * spe - 1) / spe
            assert series.y[spe - 1] == 0.1 and series.y[spe] == 0.05
        loss = compare.query_one("#compare-loss", CurvePlot)
        assert loss.figure.xlabel == "epoch" and loss.figure.series[1].x[-1] == 74 / 25
        assert "x: epochs" in str(compare.query_one("#compare-title").render())
        # run ids show their distinguishing part, not the timestamp all of them share
        table = compare.query_one(DataTable)
        assert [str(table.get_row_at(i)[7]) for i in range(3)] == [short_id(r.name) for r in runs] and str(
            table.get_row_at(0)[7]
        ).startswith("small-batch-")
        await pilot.press("x")
        assert plot.figure.xlabel == "step"


async def test_the_runs_list_gives_schedules_the_width_that_is_free(fixture_runs):
    async with _app(fixture_runs).run_test(size=(100, 24)) as pilot:
        screen = await _listed(pilot)
        table = screen.query_one(LazyTable)
        narrow = _row(table, "20251121-100000-vgg-a001")["schedule"]
        assert narrow.endswith("…") and len(narrow) == 28  # 100 columns: cut, the accuracies stay in view
        await pilot.resize_terminal(220, 24)
        await wait_for(
            pilot, lambda: _row(table, "20251121-100000-vgg-a001")["schedule"] != narrow, what="re-fitting"
        )
        wide = _row(table, "20251121-100000-vgg-a001")["schedule"]
        assert not wide.endswith("…") and wide.startswith(narrow[:-1])  # the whole spec, once there is room
        assert table.virtual_size.width <= 220


async def test_compare_follows_a_tensorboard_run_as_it_is_written(tmp_path):
    """Runs of other formats grow live too: a real SummaryWriter keeps writing while compare shows it."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "tb" / "run_a"))
    try:
        for step in range(50):
            writer.add_scalar("train/lr", 0.1, step)
            writer.add_scalar("train/loss", 2.0 - step / 100, step)
        writer.flush()
        app = ScreenTestApp(lambda: CompareScreen([("tensorboard", tmp_path / "tb" / "run_a")], reload_s=0.1))
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: getattr(pilot.app.screen, "runs", None) is not None, what="compare")
            compare = pilot.app.screen
            assert compare.runs[0].steps.size == 50 and compare.runs[0].live  # written to just now
            for step in range(50, 120):
                writer.add_scalar("train/lr", 0.01, step)
                writer.add_scalar("train/loss", 2.0 - step / 100, step)
            writer.flush()
            await wait_for(pilot, lambda: compare.runs[0].steps.size == 120, what="the new steps")
            assert compare.query_one("#compare-lr", CurvePlot).figure.series[0].x[-1] == 119
            await pilot.press("x")  # no epochs in a TensorBoard log: left out of the epoch axis, and said so
            assert "1 without epochs not shown" in str(compare.query_one("#compare-title").render())
            assert not compare.query_one("#compare-lr", CurvePlot).figure.series
    finally:
        writer.close()
