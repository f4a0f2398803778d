"""Two "nodes" on this host: `lrtui train --nnodes 2 --rdzv-endpoint` starts node 0's torchrun agent and
prints the command for the others; `lrtui train --join RUN` (run from the printed line) starts node 1's.
The agents meet through c10d rendezvous, as on a cluster with the runs dir on shared storage; one rank per
node, Gloo on the CPU."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrtui.runs import read_run, wait_state
from lrtui.runs.ranks import RanksTail
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 24  # 3 epochs of 256 images in global batches of 2 x 16


def _lrtui(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "lrtui", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_second_node_joins_with_the_printed_command_and_both_train_one_run(tmp_path):
    from lrtui.widgets.runs.model import planned_from_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    runs = tmp_path / "runs"
    started = _lrtui(
        "train", "--model", "lenet", "--dataset", "synthetic", "--epochs", "3", "--batch-size", "16",
        "--seed", "3", "--set", "synthetic_train_size=256", "--set", "synthetic_test_size=64",
        "--schedule", f"OneCycleLR(max_lr=0.1, total_steps={TOTAL})", "--stepping", "step",
        "--nproc", "1", "--nnodes", "2", "--rdzv-endpoint", f"127.0.0.1:{port}", "--runs-dir", str(runs),
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert "2 node(s) x 1 rank(s) = world size 2" in started.stdout
    (join_line,) = [line for line in started.stdout.splitlines() if "lrtui train --join" in line]
    join = join_line.split("lrtui ", 1)[1].split()  # the printed command, as a user copies it
    (run,) = runs.iterdir()
    joined = _lrtui(*join)
    assert joined.returncode == 0 and "joined run" in joined.stdout, joined.stderr

    assert wait_state(run, ("finished", "failed", "stopped"), 240) == "finished", (
        run / "stdout.log"
    ).read_text()
    done = read_run(run)
    assert done.status["world_size"] == 2 and done.status["launcher"]["nnodes"] == 2
    steps, lrs = np.asarray(done.data.steps), np.asarray(done.data.lr[0])
    assert list(steps) == list(range(TOTAL)) and np.all(np.isfinite(np.asarray(done.data.loss)))
    np.testing.assert_allclose(lrs, planned_from_config(done.config).lr[0][steps], rtol=1e-9, atol=0)
    # rank 0 writes the run's final status; the other node's rank writes its exit beat when it gets there
    tail = RanksTail(run)
    wait_until(
        lambda: all(r.last["event"] == "exit" for r in tail.poll().values()), 60, "every rank's exit beat"
    )
    ranks = tail.poll()
    assert sorted(ranks) == [0, 1]
    assert {r.last["local_rank"] for r in ranks.values()} == {0}  # one rank per node
    assert len({r.last["agent_pid"] for r in ranks.values()}) == 2  # each node's own agent
    assert all(r.last["event"] == "exit" and r.last["state"] == "finished" for r in ranks.values())
