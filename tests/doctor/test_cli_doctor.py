"""`lrtui doctor`: a real process on real run directories and CSV files; exit status 0 / 1 / 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lrtui import RunLogger

from .helpers import curve

SPEC = "SequentialLR([LinearLR(start_factor=0.1, total_iters=20), CosineAnnealingLR(T_max=180)], milestones=[20])"


def _doctor(*args, runs_dir=None):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    if runs_dir is not None:
        env["LRTUI_RUNS_DIR"] = str(runs_dir)
    return subprocess.run(
        [sys.executable, "-m", "lrtui", "doctor", *map(str, args)], capture_output=True, text=True, env=env
    )


def _run(tmp_path, lrs, config):
    with RunLogger(config, runs_dir=tmp_path) as run:
        run.steps({"step": list(range(len(lrs))), "lr": [float(x) for x in lrs]})
    return run.run_dir


@pytest.fixture
def config():
    return {
        "model": "m",
        "optimizer": {"lr": 0.1},
        "schedule": {"spec": SPEC, "stepping": "step", "total_steps": 200},
    }


def test_a_run_that_follows_its_plan(tmp_path, config):
    run_dir = _run(tmp_path, curve(SPEC, 0.1, 200), config)
    out = _doctor(run_dir.name, runs_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("LR matches the plan (200 steps checked)")
    assert "linear warmup + cosine" in out.stdout


def test_a_run_with_a_mistake_exits_1_and_json_says_why(tmp_path, config):
    y = curve(SPEC, 0.1, 200)
    run_dir = _run(
        tmp_path, np.concatenate([[y[0]], y[:-1]]) * 0 + y[np.minimum(np.arange(200) // 10, 199)], config
    )
    config["schedule"]["steps_per_epoch"] = 10
    (run_dir / "config.json").write_text(
        json.dumps({**json.loads((run_dir / "config.json").read_text()), **config})
    )
    out = _doctor(run_dir, "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["ok"] is False
    assert [f["kind"] for f in report["findings"]] == ["per_epoch"]
    assert report["plan"]["spec"].startswith("SequentialLR(")
    text = _doctor(run_dir)
    assert "✗ scheduler stepped once per epoch" in text.stdout and "fix:" in text.stdout


def test_no_plan_infers_one(tmp_path):
    run_dir = _run(tmp_path, curve("OneCycleLR(max_lr=0.3, total_steps=300)", 0.1, 300), {"model": "m"})
    out = _doctor(run_dir, "--json")
    report = json.loads(out.stdout)
    assert out.returncode == 0
    assert report["plan"]["source"] == "inferred"
    assert report["inferred"][0]["spec"] == "OneCycleLR(max_lr=0.3, total_steps=300, pct_start=0.3)"


def test_csv_series_and_a_spec_to_check_against(tmp_path):
    y = curve("CosineAnnealingLR(T_max=100)", 0.1, 100)
    path = tmp_path / "lr.csv"
    path.write_text("step,lr\n" + "".join(f"{i},{float(v)!r}\n" for i, v in enumerate(y)))
    out = _doctor(path)
    assert out.returncode == 0 and "CosineAnnealingLR(T_max=100, eta_min=0.0)" in out.stdout
    out = _doctor(path, "--spec", "CosineAnnealingLR(T_max=100)", "--lr", "0.2")
    assert out.returncode == 1 and "base LR differs from the plan (× 0.5)" in out.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-run"], "RUN='no-such-run' is not a run in"),
        (["{csv}", "--spec", "StepLR(step_size=0)"], "StepLR.step_size=0 is not allowed"),
        (["{csv}", "--lr", "abc", "--spec", "StepLR(step_size=3)"], "--lr='abc' is not allowed"),
        (["{csv}", "--lr", "0.1"], "need a plan: give --spec"),
        (["{bad}"], "no LR column in the header"),
        (["{csv}", "--steps-per-epoch", "0"], "--steps-per-epoch=0 is not allowed"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args, message):
    csv = tmp_path / "lr.csv"
    csv.write_text("step,lr\n0,0.1\n1,0.1\n2,0.1\n3,0.1\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("step,loss\n0,1\n")
    args = [a.format(csv=csv, bad=bad) for a in args]
    out = _doctor(*args, runs_dir=tmp_path)
    assert out.returncode == 2, out
    assert message in out.stderr and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_hostile_run_and_csv_never_crash_and_print_no_control_characters(tmp_path):
    run_dir = tmp_path / "20261204-000000-evil-0001"
    run_dir.mkdir()
    spec = "StepLR(step_size=3)\x1b[31m"
    (run_dir / "config.json").write_text(
        json.dumps({"model": "\x1b]0;pwned\x07x", "schedule": {"spec": spec}})
    )
    lines = [
        '{"kind": "steps", "n": 3, "step": [0, 1, 2], "lr": [0.1, NaN, 0.1]}',
        "{not json",
        "\x00\x01",
        "",
    ]
    lines += [json.dumps({"kind": "step", "step": i, "lr": 0.1 * 0.5 ** (i // 3)}) for i in range(3, 40)]
    (run_dir / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    out = _doctor(run_dir)
    assert out.returncode in (0, 1) and "Traceback" not in out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    csv = tmp_path / "evil.csv"
    csv.write_text("step,lr\x1b[2J\n0,nan\n1,inf\n2,0.1\n3,\n4,abc\n")
    out = _doctor(csv)
    assert (
        out.returncode in (1, 2) and "Traceback" not in out.stderr and "\x1b" not in out.stdout + out.stderr
    )
    (tmp_path / "empty.csv").write_text("")
    out = _doctor(tmp_path / "empty.csv")
    assert out.returncode == 2 and "expected a header row" in out.stderr
