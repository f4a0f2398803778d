"""The trainer and the commands that drive it, against planted files and racing users (issue 10, bugs 6,
11, 12): real trainer processes, real pickles, real concurrent `lrtui resume`s.

One stopped run with a real checkpoint is trained once per module; each test works on its own copy.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from lrtui.runs import create_run_dir, read_run, read_status, wait_state
from lrtui.runs.identity import identity
from lrtui.runs.lock import acquire, release

from .conftest import one_line, run_lrtui, tree_digest

pytestmark = pytest.mark.slow

TERMINAL = ("finished", "stopped", "failed", "diverged", "lost")
CONFIG = {
    "model": "lenet",
    "dataset": "synthetic",
    "synthetic_train_size": 256,
    "synthetic_test_size": 64,
    "batch_size": 32,
    "epochs": 3,
    "eval_batch_size": 64,
    "num_threads": 1,
    "log_every_steps": 4,
    "stop_at_step": 2,
    "step_delay_s": 0.25,  # a resumed run lasts ~6 s: long enough to race it
    "schedule": {"spec": "StepLR(step_size=1, gamma=0.5)", "stepping": "epoch"},
}


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("base")
    run = create_run_dir(CONFIG, runs_dir=root, run_id="base")
    proc = subprocess.run(
        [sys.executable, "-m", "lrtui.training", "--run-dir", str(run)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert read_status(run)["state"] == "stopped" and (run / "checkpoint.pt").is_file()
    return run


@pytest.fixture
def run_copy(stopped_run, sandbox) -> Path:
    dest = sandbox.runs / "20260101-000000-lenet-beef"
    shutil.copytree(stopped_run, dest)
    (dest / "lock").unlink(missing_ok=True)
    config = json.loads((dest / "config.json").read_text())
    config["id"] = dest.name
    (dest / "config.json").write_text(json.dumps(config))
    return dest


def _events(run: Path) -> list[str]:
    return [e["event"] for e in read_run(run).data.events]


def _stop_and_wait(run: Path) -> None:
    status = read_status(run)
    if status.get("state") in ("starting", "running"):
        result = run_lrtui("stop", run.name, "--wait", "120", timeout=180)
        assert result.code == 0, result.err
    wait_state(run, TERMINAL, 120)


def test_two_concurrent_resumes_start_one_trainer(run_copy):
    before = _events(run_copy)
    cmd = [sys.executable, "-m", "lrtui", "resume", run_copy.name]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    try:
        codes = sorted(p.returncode for p in procs)
        assert codes == [0, 2], outs
        winner = next(o for p, o in zip(procs, outs) if p.returncode == 0)[0]
        loser = next(o for p, o in zip(procs, outs) if p.returncode == 2)[1]
        pid = int(winner.split("(pid ")[1].split(")")[0])
        assert one_line(loser) == f"lrtui: run {run_copy.name} is already being trained by pid {pid}"
        wait_state(run_copy, "running", 120)
        assert read_status(run_copy)["pid"] == pid
    finally:
        _stop_and_wait(run_copy)
    after = _events(run_copy)[len(before) :]
    assert after.count("resume") == 1 and after.count("start") == 0, after
    assert read_status(run_copy)["state"] == "stopped"


def test_a_held_lock_refuses_every_writer_and_leaves_the_run_untouched(run_copy):
    fd = acquire(run_copy)  # as a live trainer would hold it
    try:
        digest = tree_digest(run_copy)
        resumed = run_lrtui("resume", run_copy.name)
        assert resumed.code == 2
        assert (
            one_line(resumed.err)
            == f"lrtui: run {run_copy.name} is already being trained by pid {os.getpid()}"
        )
        direct = subprocess.run(
            [sys.executable, "-m", "lrtui.training", "--run-dir", str(run_copy), "--resume"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert direct.returncode == 2
        assert (
            one_line(direct.stderr)
            == f"error: run {run_copy.name} is already being trained by pid {os.getpid()}"
        )
        deleted = run_lrtui("delete", run_copy.name, "--yes")
        assert deleted.code == 2 and "stop it before deleting" in one_line(deleted.err)
        assert tree_digest(run_copy) == digest
    finally:
        release(fd)


class _Planted:
    """Unpickling this creates a marker file: proof that loading ran code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_a_planted_checkpoint_runs_no_code_on_resume(run_copy, tmp_path, fmt):
    marker = tmp_path / "pwned"
    payload = {"position": {"epoch": 0, "batch": 0, "step": 0}, "model": _Planted(marker)}
    with open(run_copy / "checkpoint.pt", "wb") as f:
        if fmt == "zip":
            torch.save(payload, f)
        else:
            pickle.dump(payload, f, protocol=2)  # a plain pickle: torch.load reads those too
    result = run_lrtui("resume", run_copy.name)
    assert result.code == 0, result.err
    assert wait_state(run_copy, TERMINAL, 120) == "failed"
    assert not marker.exists()
    status = read_status(run_copy)
    assert "checkpoint.pt holds something other than tensors and plain data" in status["message"]
    assert "nothing in it was run" in status["message"]


def test_checkpoints_the_trainer_writes_load_with_weights_only(stopped_run):
    state = torch.load(stopped_run / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert state["position"] == {"epoch": 0, "batch": 3, "step": 3}


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


def test_stop_never_signals_a_process_it_cannot_verify(sandbox):
    victim = _sleeper()
    try:
        run = sandbox.runs / "forged"
        run.mkdir()
        (run / "config.json").write_text("{}")
        base = {"state": "running", "pid": victim.pid, "host": socket.gethostname(), "updated": time.time()}
        for status, why in (
            ({**base, "started": None}, "records no process identity"),
            ({**base, "started": time.time()}, "records no process identity"),
            ({**base, "process": identity()}, "is now another process"),  # our identity, its pid
            ({**base, "process": {**identity(victim.pid), "start_ticks": 1}}, "is now another process"),
        ):
            (run / "status.json").write_text(json.dumps(status))
            result = run_lrtui("stop", "forged")
            assert result.code == 2 and why in one_line(result.err), result.err
            assert "not signalled" in result.err
            assert victim.poll() is None, "the unrelated process was signalled"
        for pid in (2147483648, 2**70, -1, 0, "1"):
            (run / "status.json").write_text(json.dumps({**base, "pid": pid}))
            result = run_lrtui("stop", "forged")
            assert result.code == 2 and "is not running on this host" in one_line(result.err)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()


def test_stop_signals_the_verified_trainer(run_copy):
    assert run_lrtui("resume", run_copy.name).code == 0
    wait_state(run_copy, "running", 120)
    status = read_status(run_copy)
    assert status["process"] == identity(status["pid"])  # the trainer recorded itself
    timed_out = run_lrtui("stop", run_copy.name, "--wait", "0.001")
    assert timed_out.code == 2 and "has not stopped within --wait 0.001 s" in one_line(timed_out.err)
    assert wait_state(run_copy, TERMINAL, 120) == "stopped"
