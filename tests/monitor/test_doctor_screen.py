"""The LR doctor in the app: `d` on the monitor opens it, it names the mistake with its evidence, `g`/`r`
work, `o` loads the schedule into the preview, escape goes back. Runs written by the real RunLogger."""

from __future__ import annotations

import numpy as np

from lrtui import RunLogger
from lrtui.app import LrtuiApp
from lrtui.schedules import planned_lrs
from lrtui.screens.doctor import DoctorScreen
from lrtui.screens.monitor import RunMonitorScreen, open_run_monitor
from lrtui.screens.preview import PreviewScreen
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.runs.panels import LrAlarm, LrPanel

from .helpers import wait_for

SPE, EPOCHS = 20, 10
TOTAL = SPE * EPOCHS
SPEC = "SequentialLR([LinearLR(start_factor=0.1, total_iters=20), CosineAnnealingLR(T_max=180)], milestones=[20])"


def _write(runs_dir, lrs, config, groups=1):
    with RunLogger(config, runs_dir=runs_dir) as run:
        steps = list(range(len(lrs[0])))
        run.steps(
            {"step": steps, "epoch": [s // SPE for s in steps], "lr": [list(map(float, g)) for g in lrs]}
        )
        for e in range(EPOCHS):
            run.epoch(e, test_acc=0.5 + 0.03 * e)
    return run.run_dir


def _per_epoch_run(runs_dir):
    planned = planned_lrs(SPEC, (0.1,), total_steps=TOTAL)[0]
    logged = planned[np.arange(TOTAL) // SPE]  # the scheduler stepped once per epoch
    config = {
        "model": "net",
        "optimizer": {"lr": 0.1},
        "epochs": EPOCHS,
        "schedule": {"spec": SPEC, "stepping": "step", "steps_per_epoch": SPE, "total_steps": TOTAL},
    }
    return _write(runs_dir, [logged], config)


def _text(widget) -> str:
    content = widget.render() if not hasattr(widget, "content") else widget.content
    columns = getattr(content, "columns", None)
    if columns is not None:  # the doctor's body is a rich grid: its rows as "label text" lines
        cells = [[str(c) for c in col._cells] for col in columns]
        return "\n".join(" ".join(row) for row in zip(*cells))
    return str(content)


async def _monitor(pilot, app, run_dir):
    await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
    open_run_monitor(app, run_dir, sample_device=False)
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, RunMonitorScreen) and app.screen.drawn is not None,
        what="monitor",
    )
    return app.screen


async def _doctor(pilot, app):
    await pilot.press("d")
    await wait_for(
        pilot, lambda: isinstance(app.screen, DoctorScreen) and app.screen.runs > 0, what="the doctor"
    )
    return app.screen


async def test_doctor_names_the_mistake_and_opens_the_plan_in_the_preview(tmp_path):
    run_dir = _per_epoch_run(tmp_path)
    app = LrtuiApp(spec="StepLR(step_size=30)", runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        monitor = await _monitor(pilot, app, run_dir)
        alarm = monitor.query_one(LrAlarm)
        assert alarm.has_class("shown")
        # the old alarm read "logged 0.1 vs planned 0.1": now the digits that differ are shown
        assert "logged 0.01 vs planned 0.0145" in _text(alarm)
        assert "per epoch" in _text(alarm)
        assert "(d: doctor)" in _text(monitor.query_one(LrPanel).caption)
        doctor = await _doctor(pilot, app)
        verdict = _text(doctor.query_one("#doctor-verdict"))
        assert verdict.startswith("⚠ scheduler stepped once per epoch")
        assert doctor.query_one("#doctor-verdict").has_class("bad")
        body = _text(doctor.query_one("#doctor-text"))
        assert "evidence the LR holds for 20 steps at a time" in body and "fix call scheduler.step()" in body
        labels = [s.label for s in doctor.query_one(CurvePlot).figure.series]
        assert labels == ["planned", "logged"]
        await pilot.press("r")  # diagnose again
        await wait_for(pilot, lambda: doctor.runs == 2, what="the second diagnosis")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is monitor, what="back to the monitor")
        doctor = await _doctor(pilot, app)
        inferred = doctor.result.report.inferred
        await pilot.press("o")  # what the LR really followed
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        preview = app.screen
        await wait_for(
            pilot, lambda: preview.plan is not None and str(preview.plan.spec) == inferred.spec, what="it"
        )
        await _monitor(pilot, app, run_dir)
        await _doctor(pilot, app)
        await pilot.press("p")  # the plan the run declared
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        await wait_for(
            pilot, lambda: str(preview.plan.spec).startswith("SequentialLR"), what="the declared plan"
        )
        assert preview.plan.base_lrs == (0.1,) and preview.plan.total_steps == TOTAL
        assert preview.plan.steps_per_epoch == SPE


async def test_a_run_without_plan_gets_an_inferred_one(tmp_path):
    spec = "OneCycleLR(max_lr=0.2, total_steps=300)"
    run_dir = _write(tmp_path, [planned_lrs(spec, (0.1,), total_steps=300)[0]], {"model": "mine"})
    app = LrtuiApp(spec="StepLR(step_size=30)", runs_dir=str(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        monitor = await _monitor(pilot, app, run_dir)
        panel = monitor.query_one(LrPanel)
        await wait_for(pilot, lambda: "inferred: one-cycle" in _text(panel.caption), what="the inferred plan")
        assert [s.label for s in panel.plot.figure.series] == ["inferred", "actual"]
        assert not monitor.query_one(LrAlarm).has_class("shown")
        doctor = await _doctor(pilot, app)
        assert _text(doctor.query_one("#doctor-verdict")).startswith(
            "no declared plan — the log is one-cycle"
        )
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        await wait_for(
            pilot,
            lambda: (
                app.screen.plan is not None
                and str(app.screen.plan.spec) == "OneCycleLR(max_lr=0.2, total_steps=300, pct_start=0.3)"
            ),
            what="the inferred plan in the preview",
        )


async def test_group_key_and_a_run_with_nothing_logged(tmp_path):
    a = planned_lrs("ExponentialLR(gamma=0.98)", (0.1, 0.01), total_steps=100)
    config = {
        "model": "m",
        "optimizer": {"lr": [0.1, 0.1]},
        "schedule": {"spec": "ExponentialLR(gamma=0.98)"},
    }
    run_dir = _write(tmp_path, [a[0], a[1]], config)
    empty = RunLogger({"model": "empty"}, runs_dir=tmp_path)
    empty.close()
    app = LrtuiApp(spec="StepLR(step_size=30)", runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await _monitor(pilot, app, run_dir)
        doctor = await _doctor(pilot, app)
        assert "group" in _text(doctor.query_one("#doctor-verdict"))  # group 1's base LR differs
        await pilot.press("g")
        assert doctor.group == 1 and "group 2/2" in doctor.query_one(CurvePlot).figure.title
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        await _monitor(pilot, app, empty.run_dir)
        doctor = await _doctor(pilot, app)
        assert _text(doctor.query_one("#doctor-verdict")) == "no LR logged yet"
        await pilot.press("o")  # nothing to open: a warning, no crash, the doctor stays
        await pilot.pause(0.2)
        assert app.screen is doctor


async def test_a_foreign_log_gets_an_inferred_plan_and_the_doctor(real_logs):
    """An HF Trainer output dir (written by the real Trainer): the monitor draws the schedule the doctor
    infers next to the logged LR, `d` opens the doctor on it, `o` loads it into the preview."""
    spec = "get_linear_schedule_with_warmup(num_warmup_steps=4, num_training_steps=24)"
    app = LrtuiApp(spec="StepLR(step_size=30)", runs_dir=str(real_logs))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        monitor = open_run_monitor(app, real_logs / "hf_out", source_format="hf-trainer", sample_device=False)
        await wait_for(pilot, lambda: monitor.drawn is not None, what="the monitor")
        panel = monitor.query_one(LrPanel)
        await wait_for(pilot, lambda: "inferred: linear warmup" in _text(panel.caption), what="the plan")
        assert [s.label for s in panel.plot.figure.series] == ["inferred", "learning_rate"]
        x, y = panel.plot.figure.series[0].x, panel.plot.figure.series[0].y
        # drawn at the Trainer's own steps: the LR logged at global step 5 is the schedule's step 4 (the peak)
        assert y[int(np.searchsorted(x, 5))] == 1e-3 and not monitor.query_one(LrAlarm).has_class("shown")
        doctor = await _doctor(pilot, app)
        assert (
            _text(doctor.query_one("#doctor-verdict"))
            == f"no declared plan — the log is linear warmup + linear decay: {spec}"
        )
        assert "LR read from learning_rate" in _text(doctor.query_one("#doctor-text"))
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        await wait_for(pilot, lambda: str(app.screen.plan.spec) == spec, what="the inferred schedule")
        assert app.screen.plan.base_lrs == (0.001,)
