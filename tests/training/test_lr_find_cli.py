"""`lrtui find-lr` end to end: real detached trainer processes on the offline dataset, on CPU.

Two sweeps run at once (one to the end, one stopped mid-way with `lrtui stop`); the tests then read their
run directories with the real readers, and check the command's errors and the config contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lrtui.runs import read_run, wait_state
from lrtui.runs.lr_sweep import Sweep
from lrtui.schedules.lr_suggest import analyze

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
COMMON = [
    "--dataset", "synthetic", "--model", "lenet", "--batch-size", "32",
    "--set", "synthetic_train_size=512", "--set", "synthetic_test_size=32", "--set", "num_threads=1",
]  # fmt: skip


def lrtui(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def _run_id(out: str) -> str:
    return out.split("started LR range test ", 1)[1].split()[0]


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    full = lrtui("find-lr", *COMMON, "--start-lr", "1e-4", "--steps", "60", "--runs-dir", str(runs))
    slow = lrtui("find-lr", *COMMON, "--steps", "400", "--set", "step_delay_s=0.1", "--runs-dir", str(runs))
    assert full.returncode == 0 and slow.returncode == 0, full.stderr + slow.stderr
    full_dir, slow_dir = runs / _run_id(full.stdout), runs / _run_id(slow.stdout)
    deadline = time.monotonic() + 90
    while len(read_run(slow_dir).data) < 12:  # the slow sweep is live and logging
        assert time.monotonic() < deadline, (slow_dir / "stdout.log").read_text()
        time.sleep(0.2)
    stopped = lrtui("stop", slow_dir.name, "--wait", "60", "--runs-dir", str(runs))
    states = {
        "full": wait_state(full_dir, ("finished", "stopped", "failed", "diverged"), 120),
        "slow": wait_state(slow_dir, ("finished", "stopped", "failed", "diverged"), 60),
    }
    listing = lrtui("runs", "--runs-dir", str(runs))
    return {
        "runs": runs,
        "full": full_dir,
        "slow": slow_dir,
        "states": states,
        "stop": stopped,
        "list": listing,
    }


def test_a_detached_sweep_writes_a_run_of_kind_lr_find(sweeps):
    run_dir = sweeps["full"]
    assert sweeps["states"]["full"] == "finished", (run_dir / "stdout.log").read_text()
    run = read_run(run_dir)
    sweep = Sweep(start_lr=1e-4, steps=60)
    assert run.config["kind"] == "lr_find" and run.config["lr_find"] == sweep.to_dict()
    n = len(run.data)
    assert 10 < n <= 60
    assert list(run.data.steps) == list(range(n))
    assert list(run.data.lr[0]) == [sweep.lr_at(i) for i in range(n)]  # the LR of every step, bit for bit
    event = next(e for e in run.data.events if e["event"] == "lr_find")
    expected = analyze(np.asarray(run.data.lr[0]), np.asarray(run.data.loss), steps=60)
    assert event["suggestions"] == {s.name: s.lr for s in (*expected.suggestions, *expected.extra)}
    assert event["reliable"] == expected.reliable and event["warnings"] == list(expected.warnings)
    assert run.status["lr_suggestion"] == (expected.get("steepest").lr if expected.get("steepest") else None)
    log = (run_dir / "stdout.log").read_text()
    assert "LR range test 0.0001 → 10 (exp, 60 steps) on lenet/synthetic" in log
    assert ("reliable:" in log) and not (run_dir / "checkpoint.pt").exists()


def test_stop_ends_a_live_sweep_and_it_is_analysed_as_it_stands(sweeps):
    assert sweeps["stop"].returncode == 0 and sweeps["states"]["slow"] == "stopped"
    run = read_run(sweeps["slow"])
    assert 12 <= len(run.data) < 400
    event = next(e for e in run.data.events if e["event"] == "lr_find")
    assert event["message"].startswith(f"stopped after {len(run.data)} steps (SIGTERM)")


def test_runs_lists_the_kind_and_resume_is_refused(sweeps):
    out = sweeps["list"].stdout
    full = next(line for line in out.splitlines() if line.startswith(sweeps["full"].name))
    assert "LR find" in full
    resumed = lrtui("resume", sweeps["full"].name, "--runs-dir", str(sweeps["runs"]))
    assert resumed.returncode == 2 and "has no checkpoint.pt" in resumed.stderr


def test_bad_options_are_one_line_errors(tmp_path):
    bad = lrtui("find-lr", *COMMON, "--steps", "1", "--mode", "cubic", "--runs-dir", str(tmp_path))
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "lrtui: lr_find.steps = 1 is invalid: an integer in [2, 1000000]; "
        "lr_find.mode = 'cubic' is invalid: one of exp, linear"
    )
    unknown = lrtui("find-lr", "--lr", "0.1", "--runs-dir", str(tmp_path))  # the sweep sets the LR
    assert unknown.returncode == 2 and "unrecognized arguments: --lr" in unknown.stderr
    assert not any(tmp_path.iterdir())  # nothing was created


def test_foreground_sweep_from_a_config_file_prints_the_suggestions(tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(
        'model = "lenet"\ndataset = "synthetic"\nsynthetic_train_size = 256\nsynthetic_test_size = 16\n'
        "batch_size = 32\nnum_threads = 1\n[lr_find]\nstart_lr = 1e-3\nend_lr = 100.0\nsteps = 30\n"
    )
    done = lrtui(
        "find-lr", str(config), "--end-lr", "30", "--foreground", "--runs-dir", str(tmp_path / "runs")
    )
    assert done.returncode == 0, done.stderr
    assert "LR range test 0.001 → 30 (exp, 30 steps)" in done.stdout
    assert "steepest descent" in done.stdout or "warning:" in done.stdout
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert json.loads((run_dir / "config.json").read_text())["lr_find"]["end_lr"] == 30.0
