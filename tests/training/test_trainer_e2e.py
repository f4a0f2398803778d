"""End to end: real trainer processes (`python -m lrtui.training --run-dir ...`) on the offline dataset, on CPU.

One module fixture starts every run at once (launched detached through lrtui.runs.process.launch, as the
app does), stops two of them (a real SIGTERM, and the `stop_at_step` test aid), resumes them, and records
what it saw; the tests then check the run directories.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from lrtui.runs import create_run_dir, launch, read_run, read_status, stop, wait_state

pytestmark = pytest.mark.slow

TERMINAL = ("finished", "stopped", "failed", "diverged")
BASE = {
    "model": "lenet",
    "dataset": "synthetic",
    "synthetic_train_size": 256,
    "synthetic_test_size": 64,
    "batch_size": 32,  # 8 steps per epoch
    "epochs": 3,
    "eval_batch_size": 64,
    "num_threads": 1,  # deterministic and fair when several trainers share the 2 CI cores
    "log_every_steps": 4,
    "seed": 1,
    "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4},
}
STEPS_PER_EPOCH, TOTAL = 8, 24
STEPLR = {"spec": "StepLR(step_size=2, gamma=0.5)", "stepping": "epoch"}


# The per-step schedule of the reference and stop/resume runs: LR and momentum both move every step.
PER_STEP = {"spec": f"OneCycleLR(max_lr=0.1, total_steps={TOTAL})", "stepping": "step"}
# The exactness claim on the real trainer for the patterns whose curves the engine replays: a composite
# with a cosine (torch's recursion), the SWA hand-over, and a Compound whose ReduceLROnPlateau steps on
# the run's own test loss (tests/training/test_lr_exactness.py covers every kind in-process).
EXACT = {
    "sequential": {
        "spec": "SequentialLR([LinearLR(start_factor=0.1, total_iters=3), CosineAnnealingLR(T_max=21, "
        "eta_min=0.001)], milestones=[3])",
        "stepping": "step",
    },
    "swa": {
        "spec": "SwitchLR([CosineAnnealingLR(T_max=2), SWALR(swa_lr=0.01, anneal_epochs=1)], milestones=[2])",
        "stepping": "epoch",
    },
    "compound": {
        "spec": "Compound([LinearLR(start_factor=0.1, total_iters=10), ReduceLROnPlateau(patience=0, "
        "factor=0.5, threshold=0.5)], every=['step', 'epoch'])",
        "stepping": "step",
    },
}


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(what)


def _stdout(run_dir: Path) -> str:
    path = run_dir / "stdout.log"
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no stdout.log)"


def _finish(run_dir: Path, timeout: float = 180) -> str:
    try:
        return wait_state(run_dir, TERMINAL, timeout)
    except TimeoutError as err:
        raise AssertionError(f"{run_dir.name} did not end: {err}\n{_stdout(run_dir)}") from None


def _checkpoint_position(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)["position"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    schedule = PER_STEP

    def make(name: str, **over) -> Path:
        return create_run_dir({**BASE, **over}, runs_dir=root, run_id=name)  # as the app does

    dirs = {
        "ref": make("ref", schedule=schedule),
        "stop_at": make("stop_at", schedule=schedule, stop_at_step=11),  # mid-epoch 1 (batch 3 of 0..7)
        "sigterm": make("sigterm", schedule=schedule, step_delay_s=0.1),
        "nan": make("nan", inject_nan_at_step=5),
        # An exception inside the trainer (CIFAR-10 not in data_dir, no download): "failed" + traceback tail.
        "nodata": make("nodata", dataset="cifar10", data_dir=str(root / "no-such-dir"), download=False),
    }
    dirs["epochwise"] = make("epochwise", schedule=STEPLR)
    dirs.update({name: make(name, schedule=schedule) for name, schedule in EXACT.items()})
    seen: dict[str, dict] = {name: {} for name in dirs}

    # The launcher is a process of its own that exits at once; the trainer must run on without it.
    launcher = subprocess.run(
        [sys.executable, "-c", "import sys; from lrtui.runs import launch; print(launch(sys.argv[1]))",
         str(dirs["ref"])],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    seen["ref"]["pid"] = int(launcher.stdout.strip())
    seen["ref"]["alive_after_launcher_exit"] = _pid_alive(seen["ref"]["pid"])
    for name, d in dirs.items():
        if name != "ref":
            launch(d)

    # A real SIGTERM once some steps are logged (the trainer sleeps step_delay_s per step, so it is mid-run).
    sig = dirs["sigterm"]
    _wait(
        lambda: (read_run(sig).data.last_step or 0) >= 3 or read_status(sig).get("state") in TERMINAL,
        120,
        "the sigterm run never logged 4 steps",
    )
    pid = read_status(sig)["pid"]
    os.kill(pid, signal.SIGHUP)  # an SSH hangup: ignored, the run goes on
    time.sleep(0.3)
    seen["sigterm"]["alive_after_sighup"] = _pid_alive(pid)
    seen["sigterm"]["signalled"] = stop(sig)

    for name in ("stop_at", "sigterm"):
        seen[name]["state"] = _finish(dirs[name])
        seen[name]["status"] = read_status(dirs[name])
        if seen[name]["state"] == "stopped":
            seen[name]["position"] = _checkpoint_position(dirs[name])
            launch(dirs[name], resume=True)
    for name, d in dirs.items():
        seen[name]["final"] = _finish(d)
    return dirs, seen


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _steps(run_dir: Path):
    data = read_run(run_dir).data
    return np.asarray(data.steps), np.asarray(data.lr[0]), np.asarray(data.loss), data


def _raw_step_count(run_dir: Path) -> int:
    """Step records in metrics.jsonl as written (a re-logged step would count twice)."""
    n = 0
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            n += rec.get("n", 0) if rec.get("kind") == "steps" else rec.get("kind") == "step"
    return n


def _events(data) -> list[str]:
    return [e.get("event") for e in data.events]


# ------------------------------------------------------------------------------------------------ tests
def test_reference_run_finishes_with_full_records(runs):
    dirs, seen = runs
    ref = dirs["ref"]
    assert seen["ref"]["final"] == "finished", _stdout(ref)
    assert seen["ref"]["alive_after_launcher_exit"], "the trainer died with its launcher"
    steps, _, loss, data = _steps(ref)
    assert steps.tolist() == list(range(TOTAL)) and _raw_step_count(ref) == TOTAL
    assert np.isfinite(loss).all() and np.isfinite(np.asarray(data.grad_norm)).all()
    assert len(data.momentum) == 1 and len(data.momentum[0]) == TOTAL
    assert [e["epoch"] for e in data.epochs] == [0, 1, 2]
    for e in data.epochs:
        assert {"train_loss", "train_acc", "test_loss", "test_acc", "images_per_s", "epoch_time"} <= set(e)
        assert 0 <= e["test_acc"] <= 1 and e["images_per_s"] > 0
    events = _events(data)
    assert events[0] == "start" and "device" in events and events[-1] == "finish"
    device = next(e for e in data.events if e["event"] == "device")
    assert device["device"] == "cpu" and device["cpu_count"] >= 1
    assert (ref / "checkpoint.pt").is_file()
    assert _checkpoint_position(ref) == {"epoch": 3, "batch": 0, "step": TOTAL}


def test_per_step_schedule_logs_exactly_the_planned_lr(runs):
    from lrtui.schedules import planned_lrs

    dirs, _ = runs
    _, lr, _, _ = _steps(dirs["ref"])
    plan = planned_lrs(PER_STEP["spec"], [0.05], total_steps=TOTAL, steps_per_epoch=STEPS_PER_EPOCH,
                       stepping="step")  # fmt: skip
    assert plan.shape == (1, TOTAL)
    np.testing.assert_array_equal(lr, plan[0])


def test_per_step_schedule_logs_exactly_the_planned_momentum(runs):
    from lrtui.schedules import Plan, evaluate, parse

    dirs, _ = runs
    _, _, _, data = _steps(dirs["ref"])
    plan = Plan(spec=parse(PER_STEP["spec"]), base_lrs=(0.05,), total_steps=TOTAL, steps_per_epoch=STEPS_PER_EPOCH,
                stepping="step", optimizer="sgd", momentum=0.9)  # fmt: skip
    curve = evaluate(plan)
    expected = curve.momentum[0] if curve.momentum is not None else np.full(TOTAL, 0.9)
    np.testing.assert_array_equal(np.asarray(data.momentum[0]), expected)  # OneCycleLR cycles momentum too


def test_per_epoch_schedule_logs_exactly_the_planned_lr(runs):
    from lrtui.schedules import planned_lrs

    dirs, seen = runs
    assert seen["epochwise"]["final"] == "finished", _stdout(dirs["epochwise"])
    _, lr, _, _ = _steps(dirs["epochwise"])
    plan = planned_lrs(STEPLR["spec"], [0.05], total_steps=TOTAL, steps_per_epoch=STEPS_PER_EPOCH,
                       stepping="epoch")  # fmt: skip
    np.testing.assert_array_equal(lr, plan[0])
    assert lr[0] == 0.05 and lr[-1] == 0.025  # StepLR(step_size=2): epochs 0-1 at 0.05, epoch 2 halved


@pytest.mark.parametrize("name", list(EXACT))
def test_replayed_patterns_log_exactly_the_planned_lr(runs, name):
    from lrtui.schedules import Plan, evaluate, parse

    dirs, seen = runs
    assert seen[name]["final"] == "finished", _stdout(dirs[name])
    _, lr, _, data = _steps(dirs[name])
    metric = tuple(e["test_loss"] for e in data.epochs)  # what the plateau stepped on, epoch by epoch
    plan = Plan(spec=parse(EXACT[name]["spec"]), base_lrs=(0.05,), total_steps=TOTAL,
                steps_per_epoch=STEPS_PER_EPOCH, stepping=EXACT[name]["stepping"], metric=metric)  # fmt: skip
    want = evaluate(plan).lr[0]
    np.testing.assert_array_equal(lr, want)
    assert len(set(want.tolist())) >= 3  # the curve moves (for compound: the plateau reduced it too)
    if name == "compound":
        assert lr[-1] < 0.04  # the run's own test loss made ReduceLROnPlateau reduce after epoch 1


def _assert_same_as_reference(dirs, name):
    steps, lr, loss, data = _steps(dirs[name])
    ref_steps, ref_lr, ref_loss, ref_data = _steps(dirs["ref"])
    assert steps.tolist() == ref_steps.tolist()
    assert _raw_step_count(dirs[name]) == TOTAL  # nothing logged twice across the stop
    np.testing.assert_array_equal(lr, ref_lr)
    np.testing.assert_array_equal(np.asarray(data.momentum[0]), np.asarray(ref_data.momentum[0]))
    # Same seed, same ops, one thread on CPU: the resumed run is bit-identical to the uninterrupted one.
    np.testing.assert_array_equal(loss, ref_loss)
    np.testing.assert_array_equal(np.asarray(data.grad_norm), np.asarray(ref_data.grad_norm))
    keys = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc")
    assert [[e[k] for k in keys] for e in data.epochs] == [[e[k] for k in keys] for e in ref_data.epochs]


def test_stop_at_step_then_resume_continues_exactly(runs):
    dirs, seen = runs
    s = seen["stop_at"]
    assert s["state"] == "stopped", _stdout(dirs["stop_at"])
    assert s["position"] == {"epoch": 1, "batch": 4, "step": 12}  # stopped mid-epoch, after step 11
    assert s["final"] == "finished", _stdout(dirs["stop_at"])
    _assert_same_as_reference(dirs, "stop_at")
    events = _events(read_run(dirs["stop_at"]).data)
    assert events.count("stop") == 1 and "resume" in events and "restored" in events


def test_sigterm_stops_with_checkpoint_and_resume_continues_exactly(runs):
    dirs, seen = runs
    s = seen["sigterm"]
    assert s["alive_after_sighup"], "SIGHUP killed the trainer"
    assert s["signalled"] and s["state"] == "stopped", _stdout(dirs["sigterm"])
    assert "SIGTERM" in (s["status"].get("message") or "")
    assert 0 < s["position"]["step"] < TOTAL
    assert s["final"] == "finished", _stdout(dirs["sigterm"])
    _assert_same_as_reference(dirs, "sigterm")


def test_injected_nan_ends_diverged(runs):
    dirs, seen = runs
    assert seen["nan"]["final"] == "diverged", _stdout(dirs["nan"])
    status = read_status(dirs["nan"])
    assert "step 5" in status["error"] and status["diverged_step"] == 5
    steps, _, loss, data = _steps(dirs["nan"])
    assert np.isnan(loss[steps.tolist().index(5)]) and np.isfinite(loss[:5]).all()
    assert "diverged" in _events(data) and not data.epochs


def test_exception_in_the_trainer_ends_failed_with_the_traceback_tail(runs):
    dirs, seen = runs
    assert seen["nodata"]["final"] == "failed"
    error = read_status(dirs["nodata"])["error"]
    assert "Traceback" in error and "DatasetUnavailable" in error
    assert "'cifar10'" in error and str(dirs["nodata"].parent / "no-such-dir") in error
    assert "error" in _events(read_run(dirs["nodata"]).data)


def _trainer(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lrtui.training", *args], capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def test_bad_config_file_is_rejected_naming_the_field(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**BASE, "optimizer": {"name": "sgd", "lr": -1}}))
    proc = _trainer(str(bad), "--runs-dir", str(tmp_path / "runs"))
    assert proc.returncode == 2
    assert "optimizer.lr = -1 is invalid: a number in (0" in proc.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_bad_config_in_run_dir_fails_the_run(tmp_path):
    run = create_run_dir({**BASE, "epochs": 0, "optimiser": {}}, runs_dir=tmp_path, run_id="bad")
    proc = _trainer("--run-dir", str(run))
    assert proc.returncode == 2
    status = read_status(run)
    assert status["state"] == "failed"
    assert "epochs = 0 is invalid" in status["error"] and "did you mean 'optimizer'" in status["error"]


def test_toml_config_trains_in_the_foreground_and_resume_needs_a_checkpoint(tmp_path):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        'model = "lenet"\ndataset = "synthetic"\nsynthetic_train_size = 64\nsynthetic_test_size = 16\n'
        'batch_size = 32\nepochs = 1\nnum_threads = 1\n[optimizer]\nname = "adam"\nlr = 0.001\n'
    )
    proc = _trainer(str(cfg), "--runs-dir", str(tmp_path / "runs"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert read_status(run)["state"] == "finished"
    config = json.loads((run / "config.json").read_text())
    assert config["source"] == "lrtui-trainer" and config["schedule"]["total_steps"] == 2
    _, lr, _, data = _steps(run)
    assert lr.tolist() == [0.001, 0.001] and np.asarray(data.momentum[0]).tolist() == [0.9, 0.9]  # beta1

    (run / "checkpoint.pt").unlink()
    proc = _trainer("--run-dir", str(run), "--resume")
    assert proc.returncode == 1
    assert "no checkpoint.pt" in read_status(run)["error"]
