"""The monitor screen on recorded runs (tests/monitor/fixtures/runs, written by the real RunLogger)."""

from __future__ import annotations

import pytest

from lrtui.screens.monitor import RunMonitorScreen, WatchApp, resolve_run
from lrtui.widgets.runs.panels import AccuracyPanel, LossPanel, LrAlarm, LrPanel, ProgressLine, StateLine

from .helpers import FIXTURE_RUNS, ScreenTestApp, fixed_clock, wait_for


def _plain(widget) -> str:
    return str(widget.render()) if not hasattr(widget, "content") else str(widget.content)


async def _open(run_id, size=(100, 32), **options):
    app = ScreenTestApp(
        lambda: RunMonitorScreen(FIXTURE_RUNS / run_id, clock=fixed_clock, sample_device=False, **options)
    )
    return app


async def _drawn(pilot):
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, RunMonitorScreen) and pilot.app.screen.drawn is not None,
        what="first redraw",
    )
    return pilot.app.screen


async def test_finished_run_fills_every_panel():
    app = await _open("20251121-100000-vgg-a001")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _drawn(pilot)
        await pilot.pause()
        lr = screen.query_one(LrPanel)
        assert "matches plan (200 steps)" in _plain(lr.caption)
        assert [s.label for s in lr.plot.figure.series] == ["planned", "actual"]
        assert not screen.query_one(LrAlarm).has_class("shown")
        progress = _plain(screen.query_one(ProgressLine))
        assert "epoch 5/5" in progress and "step 200/200" in progress and "100%" in progress
        assert "test 77.85%" in _plain(screen.query_one(AccuracyPanel).caption)
        assert "finished" in _plain(screen.query_one(StateLine))
        loss = screen.query_one(LossPanel)
        assert [s.label for s in loss.plot.figure.series] == ["loss", "EMA 0.98"]
        # a finished run has nothing to stop: the footer does not offer s, and s asks nothing
        assert "s" not in pilot.app.active_bindings and "d" in pilot.app.active_bindings
        await pilot.press("s")
        await pilot.pause()
        assert pilot.app.screen is screen


async def test_shifted_lr_raises_the_alarm_and_divergence_shows_its_error():
    app = await _open("20251121-102000-vgg-a003")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _drawn(pilot)
        alarm = screen.query_one(LrAlarm)
        assert alarm.has_class("shown")
        assert "scheduler stepped before the optimizer" in _plain(alarm)
        state = _plain(screen.query_one(StateLine))
        assert "diverged" in state and "loss is nan at step 130" in state
        assert "loss · NaN from step 130" in _plain(screen.query_one(LossPanel).caption)


async def test_failed_user_run_without_schedule_shows_traceback_tail_and_an_inferred_plan():
    app = await _open("20251121-103000-lenet-a004")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _drawn(pilot)
        state = _plain(screen.query_one(StateLine))
        assert "failed" in state and "RuntimeError: CUDA out of memory" in state
        lr = screen.query_one(LrPanel)
        # no schedule in its config: the plan is inferred from the log (a constant LR here)
        assert "no plan declared; inferred: constant 99%" in _plain(lr.caption)
        assert [s.label for s in lr.plot.figure.series] == ["inferred", "actual"]


async def test_run_whose_writer_vanished_is_lost():
    app = await _open("20251121-104000-resnet18-a005")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _drawn(pilot)
        assert "lost" in _plain(screen.query_one(StateLine))


async def test_keys_zoom_warmup_change_smoothing_and_toggle_log():
    app = await _open("20251121-100000-vgg-a001")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _drawn(pilot)
        lr = screen.query_one(LrPanel)
        await pilot.press("w")
        await pilot.pause()
        assert lr.plot.figure.x_range == (0.0, 30.0)  # warmup ends at step 20; zoom shows 1.5x
        assert "warmup zoom" in _plain(lr.caption)
        await pilot.press("w")
        await pilot.pause()
        assert lr.plot.figure.x_range is None
        loss = screen.query_one(LossPanel)
        await pilot.press("plus")
        await wait_for(pilot, lambda: loss.plot.figure.series[1].label == "EMA 0.99", what="the smoother EMA")
        assert screen.ema_beta == 0.99 and "EMA β=0.99" in _plain(loss.caption)
        await pilot.press("minus", "minus", "minus")
        await wait_for(pilot, lambda: loss.plot.figure.series[1].label == "EMA 0.9", what="the rougher EMA")
        assert lr.plot.has_focus
        await pilot.press("l")
        await wait_for(pilot, lambda: "log y" in _plain(lr.caption), what="the log-y caption")
        assert lr.plot.figure.log_y
        await pilot.press("w")  # a rebuild keeps the chart's log setting
        await pilot.pause()
        assert lr.plot.figure.log_y


async def test_escape_pops_the_monitor_and_leaves_the_app_running():
    app = await _open("20251121-100000-vgg-a001")
    async with app.run_test(size=(100, 32)) as pilot:
        await _drawn(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RunMonitorScreen)
        assert app.is_running


def test_resolve_run_by_path_id_prefix_and_last(fixture_runs):
    a001 = fixture_runs / "20251121-100000-vgg-a001"
    assert resolve_run(str(a001)) == a001
    assert resolve_run("20251121-100000-vgg-a001", fixture_runs) == a001
    assert resolve_run("20251121-1000", fixture_runs) == a001
    assert resolve_run("20251121-103", fixture_runs).name == "20251121-103000-lenet-a004"
    assert resolve_run("last", fixture_runs).name == "20251121-104000-resnet18-a005"
    with pytest.raises(ValueError, match="is the start of 5 run ids"):
        resolve_run("20251121-10", fixture_runs)
    with pytest.raises(ValueError, match="RUN='lenet' is not a run"):  # a substring is not a reference
        resolve_run("lenet", fixture_runs)
    with pytest.raises(ValueError, match="RUN='nope' is not a run"):
        resolve_run("nope", fixture_runs)


async def test_watch_app_attaches_to_a_user_run_with_a_broken_config(tmp_path):
    run = tmp_path / "mine"
    run.mkdir()
    (run / "config.json").write_text('{"schedule": ')
    (run / "metrics.jsonl").write_text('{"kind": "step", "step": 0, "lr": 0.1, "loss": 1.0}\n')
    app = WatchApp(run, sample_device=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _drawn(pilot)
        assert screen.drawn.n == 1
        state = _plain(screen.query_one(StateLine))
        assert "config.json is not valid JSON" in state
        await pilot.press("escape")
        await pilot.pause()
    assert not app.is_running
