"""The doctor on logs lrtui did not write, read through lrtui.sources: files written by the real
SummaryWriter, Lightning (CSVLogger, TensorBoardLogger, LearningRateMonitor) and HF Trainer
(tests/sources/writers.py, the session's `real_logs`). Their schedules are recovered exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from lrtui.doctor import doctor_path, spe_from_epoch_series

HF_SPEC = "get_linear_schedule_with_warmup(num_warmup_steps=4, num_training_steps=24)"  # writers.py's Trainer


def _doctor(*args):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run(
        [sys.executable, "-m", "lrtui", "doctor", *map(str, args)], capture_output=True, text=True, env=env
    )


def test_hf_trainer_output_dir_gives_the_trainers_schedule(real_logs):
    """max_steps=24, warmup_steps=4, learning_rate=1e-3, logged every 2 steps: the Trainer logs at global
    step s the LR update s used (the schedule's step s-1), which the doctor finds by itself."""
    out = _doctor(real_logs / "hf_out", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["plan"]["source"] == "inferred" and report["plan"]["spec"] == HF_SPEC
    assert report["plan"]["base_lrs"] == [0.001] and report["plan"]["steps_per_epoch"] == 8
    assert report["inferred"][0]["residual"] <= 1e-6 and report["points"] == 12
    assert any("is the one update s-1 used" in n for n in report["notes"])
    # checked against a plan given on the command line: the Trainer was sized for 24 steps, not 30
    plan = HF_SPEC.replace("=24", "=30")
    out = _doctor(real_logs / "hf_out", "--spec", plan, "--lr", "1e-3")
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith("⚠ the schedule ends early: the logged curve has num_training_steps=24")


def test_lightning_csv_and_tensorboard_loggers_give_steplr_per_group(real_logs):
    out = _doctor(real_logs / "pl")  # the tree holds one run: its version folder
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("no declared plan — the log is step decay: StepLR(step_size=10, gamma=0.5)")
    assert "from base LR 0.05, 0.01, 8 steps/epoch" in out.stdout
    assert "LR read from lr-SGD/pg1, lr-SGD/pg2" in out.stdout
    tb = real_logs / "pl_tb" / "lightning_logs" / "version_0"
    report, steps, lrs = doctor_path(tb, "tensorboard")
    assert report.plan.spec == "StepLR(step_size=10, gamma=0.5)" and report.plan.base_lrs == (0.05, 0.01)
    assert len(lrs) == 2 and steps.size == 24 and report.ok


def test_summarywriter_scalars_and_a_tree_of_runs(real_logs):
    report, _steps, _lrs = doctor_path(real_logs / "tb" / "run_a", "tensorboard")
    assert (
        report.plan_source == "inferred" and report.plan.spec == "CosineAnnealingLR(T_max=300, eta_min=0.0)"
    )
    assert report.notes[0] == "LR read from train/lr"
    out = _doctor(real_logs)  # several runs: name one
    assert out.returncode == 2 and out.stdout == ""
    assert "holds" in out.stderr and "(hf-trainer)" in out.stderr and out.stderr.strip().endswith("name one")
    assert out.stderr.count("\n") == 1


def test_epoch_length_from_an_epoch_series():
    k = np.arange(1000)
    assert spe_from_epoch_series(k, k // 50) == 50  # lrtui's / Lightning's whole epochs
    assert spe_from_epoch_series(k[::7], (k // 50)[::7]) == 50  # sparse, but pinned down
    assert spe_from_epoch_series(k[::50], (k // 50)[::50]) is None  # only boundaries: 34..50 all fit
    assert spe_from_epoch_series(k[1:], np.round(k[1:] / 391, 2)) == 391  # HF's fractional epochs
    assert spe_from_epoch_series(k, np.full(1000, np.nan)) is None
