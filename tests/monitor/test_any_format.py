"""The monitor, the runs screen and the compare view on logs of every format, written by the real writers
(the session's `real_logs`: SummaryWriter, tensorboard's Writer, a Lightning fit, an HF Trainer run).
Every new binding is pressed: m (metric grid), / (filter, search), l, +/-, pgdn, o (output), n/N,
ctrl+s (CSV export), b (best-of metric), c and m in the compare view."""

from __future__ import annotations

import csv
import shutil

import numpy as np
from textual.widgets import Input

from lrtui.runs import RunLogger
from lrtui.runs.listing import RunSummary
from lrtui.screens.help import screen_help_sections
from lrtui.screens.monitor import RunMonitorScreen
from lrtui.screens.runs import COLUMN_KEYS, CompareScreen, RunsScreen
from lrtui.widgets.lazy_table import LazyTable
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.runs.export_csv import ExportCsvScreen
from lrtui.widgets.runs.grid import MetricChart, MetricsGrid
from lrtui.widgets.runs.output import OutputPane
from lrtui.widgets.runs.panels import AccuracyPanel, LossPanel, LrPanel, StateLine

from .helpers import ScreenTestApp, fixed_clock, wait_for


def _plain(widget) -> str:
    return str(widget.render()) if not hasattr(widget, "content") else str(widget.content)


def _monitor(path, fmt, **options) -> ScreenTestApp:
    return ScreenTestApp(lambda: RunMonitorScreen(path, source_format=fmt, sample_device=False, **options))


async def _drawn(pilot) -> RunMonitorScreen:
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, RunMonitorScreen) and pilot.app.screen.drawn is not None,
        what="the monitor's first redraw",
    )
    await pilot.pause(0.2)
    return pilot.app.screen


async def test_lightning_run_in_the_panels_with_its_lr_groups(real_logs):
    version = real_logs / "pl" / "lightning_logs" / "version_0"
    async with _monitor(version, "lightning", live_after_s=1e-6).run_test(size=(120, 36)) as pilot:
        screen = await _drawn(pilot)
        assert screen.worker_error is None
        assert "Lightning CSV · lightning_logs/version_0" in _plain(screen.query_one("#monitor-title"))
        lr = screen.query_one(LrPanel)
        # the schedule the doctor infers from the first group is drawn next to it (StepLR, 8 steps/epoch)
        assert [s.label for s in lr.plot.figure.series] == ["inferred", "lr-SGD/pg1"]
        assert "group 1/2 (g)" in _plain(lr.caption) and "inferred: step decay" in _plain(lr.caption)
        await pilot.press("g")
        await wait_for(
            pilot,
            lambda: [s.label for s in lr.plot.figure.series] == ["inferred", "lr-SGD/pg2"],
            what="group 2",
        )
        # one StepLR over both groups: group 2's plan is group 1's at its own base LR
        assert lr.plot.figure.series[0].y[0] == lr.plot.figure.series[1].y[0] == 0.01
        loss = screen.query_one(LossPanel)
        assert "train_loss_step" in _plain(loss.caption)
        assert [s.label for s in loss.plot.figure.series] == ["loss", "EMA 0.98"]
        acc = screen.query_one(AccuracyPanel)
        assert [s.label for s in acc.plot.figure.series] == ["val_acc"] and "val_acc" in _plain(acc.caption)
        assert "idle" in _plain(screen.query_one(StateLine))
        # not lrtui's run: neither the footer nor `?` offers to stop it, and s stops nothing
        assert "s" not in pilot.app.active_bindings
        offered = [b.action for _title, bs in screen_help_sections(pilot.app, screen) for b in bs]
        assert "stop_run" not in offered and "toggle_ranks" not in offered and "doctor" in offered
        await pilot.press("s")
        await pilot.pause()
        assert pilot.app.screen is screen  # no "Stop run?" dialog


async def test_metric_grid_filter_log_smoothing_and_pages(real_logs):
    run = real_logs / "hf_out" / "runs" / "tb"  # HF Trainer's TensorBoard callback: train/..., eval/...
    async with _monitor(run, "tensorboard").run_test(size=(100, 30)) as pilot:
        screen = await _drawn(pilot)
        # HF's TensorBoard callback logs at step s the LR of update s-1: the inferred plan is drawn that way
        series = screen.query_one(LrPanel).plot.figure.series
        assert [s.label for s in series] == ["inferred", "train/learning_rate"]
        await pilot.press("m")
        grid = screen.query_one(MetricsGrid)
        await wait_for(pilot, lambda: grid.display and any(c.metric for c in grid.charts()), what="the grid")
        names = [m.name for m in grid.shown]
        assert "train/grad_norm" in names and "eval/loss" in names and "train/learning_rate" not in names
        assert grid.per_page < len(names)  # 100x30 holds a few charts: pages
        first_page = [c.metric.name for c in grid.charts() if c.metric]
        await pilot.press("pagedown")
        await pilot.pause()
        assert [c.metric.name for c in grid.charts() if c.metric] != first_page and grid.page == 1
        await pilot.press("pageup")
        await pilot.press("slash")
        prompt = screen.query_one("#prompt", Input)
        assert prompt.has_focus
        await pilot.press(*"eval/(loss|run)")
        await pilot.pause()
        assert [m.name for m in grid.shown] == ["eval/loss", "eval/runtime"]
        await pilot.press("enter")
        await pilot.pause()
        chart = next(c for c in grid.charts() if c.metric and c.metric.name == "eval/loss")
        assert chart.plot.has_focus
        await pilot.press("l")
        await wait_for(
            pilot, lambda: chart.plot.figure.log_y and "log y" in _plain(chart.caption), what="log y"
        )
        await pilot.press("plus")
        await wait_for(
            pilot, lambda: [s.label for s in chart.plot.figure.series] == ["raw", "EMA 0.5"], what="smoothing"
        )
        assert screen.ema_beta == 0.98  # the loss panel's smoothing is its own
        assert chart.plot.figure.log_y  # a rebuild keeps log y
        await pilot.press("minus")
        await wait_for(pilot, lambda: len(chart.plot.figure.series) == 1, what="raw again")
        await pilot.press("slash", "x", "escape")  # escape restores the filter
        await pilot.pause()
        assert grid.pattern == "eval/(loss|run)"
        await pilot.press("slash", "ctrl+u", *"([", "enter")  # not a regex: said on the grid, never raised
        await pilot.pause()
        assert grid.filter_error and "not a valid regex" in _plain(grid.query_one("#grid-status"))
        await pilot.press("m")
        await pilot.pause()
        assert not grid.display and screen.query_one(LrPanel).display


async def test_output_pane_follows_the_log_and_searches(real_logs, tmp_path):
    log = tmp_path / "train.log"
    lines = [f"\x1b[32mepoch {i}\x1b[0m loss {1 / (i + 1):.3f}" for i in range(40)]
    log.write_text(
        "\n".join(lines[:20]) + "\nwarning: lr too high\n" + "\n".join(lines[20:]) + "\n 50%|##|\r"
    )
    run = real_logs / "tbt" / "run_t"
    async with _monitor(run, "tensorboard", output_log=log).run_test(size=(100, 30)) as pilot:
        screen = await _drawn(pilot)
        pane = screen.query_one(OutputPane)
        assert not pane.display
        await pilot.press("o")
        await wait_for(pilot, lambda: pane.view is not None and pane.view.total == 41, what="the output")
        shown = pane.log_widget.lines
        assert shown[0] == "epoch 0 loss 1.000" and shown[-1] == " 50%|##|"  # escapes gone, CR redraw kept
        assert pane.log_widget.has_focus
        await pilot.press("slash", *"warning", "enter")
        await pilot.pause()
        assert pane.log_widget.current == 20 and "line 21" in _plain(pane.query_one("#output-status"))
        await pilot.press("slash", *"EPOCH 1[05]", "enter")  # a regex, any case; from the current line on
        await pilot.pause()
        assert pane.log_widget.current == 10  # nothing after line 21 matches: wraps to the first
        await pilot.press("n")
        assert pane.log_widget.current == 15
        await pilot.press("n")
        assert pane.log_widget.current == 10  # wraps
        await pilot.press("N")
        assert pane.log_widget.current == 15
        with open(log, "a") as f:
            f.write("\nnew line written live\n")
        await wait_for(pilot, lambda: "new line written live" in pane.log_widget.lines, what="live output")
        await pilot.press("slash", *"no such text", "enter")
        await pilot.pause()
        assert pane.log_widget.current is None and any(
            "no line" in n.message for n in pilot.app._notifications
        )
        await pilot.press("o")
        await pilot.pause()
        assert not pane.display


async def test_csv_export_saves_every_point_of_what_is_shown(real_logs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = real_logs / "tb" / "run_a"
    async with _monitor(run, "tensorboard").run_test(size=(100, 30)) as pilot:
        await _drawn(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportCsvScreen), what="the export dialog")
        dialog = pilot.app.screen
        assert dialog.query_one(Input).value.endswith("-panels.csv")
        await pilot.press("ctrl+u", *str(tmp_path / "nope" / "x.csv"), "enter")
        await pilot.pause()
        assert "does not exist" in _plain(dialog.query_one("#export-error"))
        await pilot.press("ctrl+u", *str(tmp_path / "panels.csv"), "enter")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ExportCsvScreen), what="the save")
        with open(tmp_path / "panels.csv") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["step", "train/lr", "train/loss", "eval/accuracy"]
        assert len(rows) == 1 + 300  # every step, not the chart's decimation
        assert float(rows[1 + 49][3]) == np.float32(49 / 300)
        await pilot.press("m", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportCsvScreen), what="the export dialog")
        await pilot.press("ctrl+u", *str(tmp_path / "grid.csv"), "enter")
        await wait_for(pilot, lambda: (tmp_path / "grid.csv").exists(), what="the grid export")
        with open(tmp_path / "grid.csv") as f:
            header = next(csv.reader(f))
        assert "weird/nan" in header and "tensor/double" in header


async def test_a_live_tensorboard_run_is_tailed(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    run = tmp_path / "live"
    writer = SummaryWriter(str(run))
    writer.add_scalar("train/loss", 1.0, 0)
    writer.flush()
    async with _monitor(run, "tensorboard", live_after_s=3600).run_test(size=(100, 30)) as pilot:
        screen = await _drawn(pilot)
        assert "live" in _plain(screen.query_one(StateLine))
        for step in range(1, 200):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
            writer.add_scalar("lr", 0.1, step)
        writer.flush()
        await wait_for(pilot, lambda: screen.latest.loss.size == 200, what="the new points")
        await wait_for(pilot, lambda: screen.drawn.loss.size == 200, what="the redraw")
        assert "step 199" in _plain(screen.query_one("#progress"))  # the last logged (global) step
    writer.close()


async def test_runs_screen_scans_every_format_ranks_and_compares(real_logs, tmp_path):
    runs_dir = tmp_path / "runs"
    with RunLogger({"model": "mine"}, runs_dir=runs_dir, handle_sigterm=False) as log:
        for step in range(30):
            log.step(step, lr=0.1, loss=2.0 / (step + 1), grad_norm=1.0)
        log.epoch(0, test_acc=0.5)
    app = ScreenTestApp(
        lambda: RunsScreen(runs_dir, clock=fixed_clock, sample_device=False, scan_roots=[real_logs])
    )
    async with app.run_test(size=(140, 30)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.detailed > 0, what="rows"
        )
        screen = app.screen
        table = screen.query_one(LazyTable)
        by_name = {r.name: r for r in screen.summaries.values()}
        assert {"hf_out", "tb/run_a", "pl/lightning_logs/version_0", "tbt/run_t"} <= set(by_name)
        hf = by_name["hf_out"]
        assert hf.format == "hf-trainer" and hf.state == "finished" and hf.step == 24
        assert hf.metric == "eval_loss" and abs(hf.best - 3.511) < 1e-3
        cells = dict(zip(COLUMN_KEYS, (str(c) for c in table.get_row(hf.key))))
        assert cells["src"] == "hf" and cells["step"] == "24" and cells["best"] == "3.511"
        assert by_name["pl/lightning_logs/version_0"].metric == "val_acc"
        await pilot.press("b")
        await pilot.press(*"^loss$", "enter")
        await wait_for(
            pilot, lambda: screen.detailed >= 2 and screen.summaries[hf.key].metric == "loss", what="rank"
        )
        assert "best of ^loss$" in _plain(screen.query_one("#runs-title"))
        lrtui_row = next(r for r in screen.summaries.values() if isinstance(r, RunSummary))
        metric, best, _last, _names = screen.ranked[lrtui_row.dir]
        assert metric == "loss" and best == 2.0 / 30
        assert str(table.get_row(lrtui_row.id)[4]) == f"{2.0 / 30:.4g}"  # shown in its best column
        # open the TensorBoard run in the monitor
        table.move_cursor(row=screen.order.index(by_name["tbt/run_t"].key))
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, RunMonitorScreen) and app.screen.drawn is not None,
            what="the monitor",
        )
        assert app.screen.source_format == "tensorboard"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), what="back")
        # compare an lrtui run and the HF run on one axis, then any metric both logged
        for key in (lrtui_row.id, hf.key):
            table.move_cursor(row=screen.order.index(key))
            await pilot.press("space")
        await pilot.press("c")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, CompareScreen) and app.screen.runs is not None,
            what="compare",
        )
        compare = app.screen
        assert [r.format for r in compare.runs] == ["hf-trainer", "lrtui"] or [
            r.format for r in compare.runs
        ] == [
            "lrtui",
            "hf-trainer",
        ]
        lr_plot = compare.query_one("#compare-lr", CurvePlot)
        assert [s.label for s in lr_plot.figure.series] == ["#1", "#2"]
        assert compare.query_one("#compare-acc", CurvePlot).figure.xlabel == "step"  # mixed: steps for all
        await pilot.press("m")
        await pilot.pause()
        assert compare.metric == "grad_norm" and "grad_norm" in _plain(
            compare.query_one("#compare-acc-caption")
        )
        assert len(compare.query_one("#compare-acc", CurvePlot).figure.series) == 2
        await pilot.press("m", "m")
        await pilot.pause()
        assert compare.metric is None  # back to accuracy after loss


async def test_foreign_rows_refuse_stop_resume_and_delete(real_logs, tmp_path):
    roots = tmp_path / "logs"
    shutil.copytree(real_logs / "tbt", roots)
    app = ScreenTestApp(
        lambda: RunsScreen(
            tmp_path / "none",
            clock=fixed_clock,
            sample_device=False,
            scan_roots=[roots],
            include_runs_dir=False,
        )
    )
    async with app.run_test(size=(120, 24)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.listings > 0, what="rows"
        )
        await pilot.press("s", "r", "d")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert sum("did not start" in m for m in messages) == 3
        assert (roots / "run_t").is_dir()
        assert isinstance(app.screen.query_one(LazyTable).get_row_at(0)[1], object)
        assert "scanning" in _plain(app.screen.query_one("#runs-title"))
        assert MetricChart  # the grid's chart class is importable from the widgets package


async def test_keys_typed_right_after_slash_o_and_b_reach_their_prompt(real_logs):
    """A fast typist or tmux send-keys: `/train` arrives as one burst. The focus moves to the prompt when
    `/` is handled, so `t` is not the chart's key nor `s` the screen's stop (seen in tmux before the fix)."""
    from tests.app.keys import burst

    async with _monitor(real_logs / "tb" / "run_a", "tensorboard").run_test(size=(100, 30)) as pilot:
        screen = await _drawn(pilot)
        grid = screen.query_one(MetricsGrid)
        burst(pilot.app, "slash", text="weird")
        await wait_for(pilot, lambda: grid.pattern == "weird", what="the filter typed at once")
        assert screen.prompt_mode == "filter" and screen.query_one("#prompt", Input).value == "weird"
        await pilot.press("enter", "m")
        await wait_for(pilot, lambda: screen.view == "panels", what="the panels")
        burst(pilot.app, "o", "slash", text="hello")  # o then / at once: / searches the output
        await wait_for(pilot, lambda: screen.prompt_mode == "search", what="the output search prompt")
        await wait_for(pilot, lambda: screen.query_one("#prompt", Input).value == "hello", what="typed")
    scan_root = real_logs / "tb"
    app = ScreenTestApp(lambda: RunsScreen(scan_roots=[scan_root], include_runs_dir=False, clock=fixed_clock))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.listings > 0, what="the listing")
        burst(pilot.app, "b", text="loss")
        await wait_for(pilot, lambda: screen.query_one("#runs-metric", Input).value == "loss", what="typed")
