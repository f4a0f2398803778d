"""`lrtui stop` on a user's own torchrun script that logs with RunLogger: the real torchrun agent is found
and verified from the run directory, gets SIGTERM and forwards it; every rank records its end (RunLogger
does not fight the agent's signal) and every process exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lrtui.runs import read_status
from lrtui.runs.ranks import RanksTail
from lrtui.runs.status import pid_alive
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys, time, torch, torch.distributed as dist
from lrtui import RunLogger
dist.init_process_group("gloo")
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
with RunLogger({"model": "linear"}, runs_dir=sys.argv[1], heartbeat_every=0.2) as run:
    for step in range(100000):  # until stopped
        loss = model(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
        run.log_optimizer(step, opt, loss=loss.item())
        time.sleep(0.05)
"""


def test_lrtui_stop_ends_a_users_torchrun_job_cleanly(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    script, runs = tmp_path / "user.py", tmp_path / "runs"
    script.write_text(SCRIPT)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", str(script)]
    job = subprocess.Popen(
        [*cmd, str(runs)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(lambda: runs.is_dir() and any(p.name[0].isdigit() for p in runs.iterdir()), 120, "the run")
        (run,) = [p for p in runs.iterdir() if p.name[0].isdigit()]

        def both_step() -> bool:
            ranks = RanksTail(run).poll()
            return len(ranks) == 2 and all((r.last.get("step") or 0) >= 5 for r in ranks.values())

        wait_until(both_step, 120, "both ranks to train")
        stopped = subprocess.run(
            [sys.executable, "-m", "lrtui", "stop", run.name, "--wait", "60", "--runs-dir", str(runs)],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert stopped.returncode == 0, stopped.stderr
        assert f"torchrun agent {job.pid}" in stopped.stdout and "is stopped" in stopped.stdout
        job.wait(timeout=60)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, 9)
            job.wait()
    status = read_status(run)
    assert status["state"] == "stopped" and "SIGTERM" in status["message"], status
    ranks = RanksTail(run).poll()
    assert {r: (rec.last["event"], rec.last["state"]) for r, rec in ranks.items()} == {
        0: ("exit", "stopped"),
        1: ("exit", "stopped"),
    }
    wait_until(lambda: not any(pid_alive(rec.last["pid"]) for rec in ranks.values()), 30, "the ranks to exit")
