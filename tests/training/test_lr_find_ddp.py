"""The LR range test under torch.distributed: 2 processes started by the real torchrun, Gloo on CPU, DDP.

Every rank must run the same sweep in lock step: the same (all-reduced, mean) loss at every step, the stop at
the same step (the sweep is made to diverge), the same suggestions; only rank 0 writes the run (records);
every rank gets its model back; the job is one run with a heartbeat file per rank."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrtui.runs import read_run, wait_state
from lrtui.runs.ranks import RanksTail

WORKER = Path(__file__).with_name("ddp_lr_find_worker.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_ranks_sweep_in_lock_step_with_the_loss_all_reduced(tmp_path):
    runs = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(WORKER),
        str(tmp_path),
        str(runs),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    r0, r1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert (
        r0["losses"] == r1["losses"] and r0["reason"] == r1["reason"] and r0["suggested"] == r1["suggested"]
    )
    assert r0["reason"].startswith("diverged") and len(r0["losses"]) < 120  # both stopped at the same step
    assert r0["local"] != r1["local"]  # the shards really differ ...
    for mean, a, b in zip(r0["losses"], r0["local"], r1["local"]):  # ... and the sweep saw their mean
        assert mean == pytest.approx((a + b) / 2, rel=1e-6)
    assert r0["restored"] and r1["restored"]
    # one run for the job (rank 0 writes it), a heartbeat file per rank
    assert r1["run_dir"] == r0["run_dir"] and [p.name for p in runs.iterdir()] == [Path(r0["run_dir"]).name]
    run = read_run(r0["run_dir"])
    assert list(run.data.loss) == r0["losses"] and run.config["world_size"] == 2
    beats = RanksTail(r0["run_dir"]).poll()
    assert sorted(beats) == [0, 1] and {b.last["event"] for b in beats.values()} == {"exit"}
    assert beats[1].last["step"] == len(r0["losses"])


@pytest.mark.slow
def test_lrtui_find_lr_on_two_ranks_is_the_one_process_sweep_of_the_global_batch(tmp_path):
    """`lrtui find-lr --nproc 2` (a detached torchrun job, 2 x 16) against `--foreground` on one process
    with the global batch (32): the same LRs exactly, the same losses to float tolerance, the same pick."""
    common = [
        "--model", "lenet", "--dataset", "synthetic", "--steps", "40", "--seed", "5",
        "--set", "synthetic_train_size=512", "--set", "synthetic_test_size=32",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}

    def lrtui(*args: str, runs: Path) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "lrtui", "find-lr", *common, *args, "--runs-dir", str(runs)]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240, check=False)

    started = lrtui("--batch-size", "16", "--nproc", "2", runs=tmp_path / "ddp")
    assert started.returncode == 0 and "world size 2" in started.stdout, started.stderr
    one = lrtui("--batch-size", "32", "--foreground", runs=tmp_path / "one")  # meanwhile, here
    assert one.returncode == 0, one.stderr
    (job,) = (tmp_path / "ddp").iterdir()
    assert wait_state(job, ("finished", "failed", "stopped"), 180) == "finished", (
        job / "stdout.log"
    ).read_text()
    ddp, ref = read_run(job), read_run(next((tmp_path / "one").iterdir()))
    assert ddp.status["world_size"] == 2 and ddp.status["launcher"]["kind"] == "torchrun"
    assert list(ddp.data.steps) == list(ref.data.steps)  # the same length: both stop at the same step
    assert ddp.status["message"] == ref.status["message"] and len(ref.data.steps) >= 20
    assert np.array_equal(np.asarray(ddp.data.lr[0]), np.asarray(ref.data.lr[0]))
    np.testing.assert_allclose(np.asarray(ddp.data.loss), np.asarray(ref.data.loss), rtol=1e-5)
    assert ddp.status["lr_suggestion"] == pytest.approx(
        ref.status["lr_suggestion"], rel=1e-3
    )  # another pick would be 1.6x off
    beats = RanksTail(job).poll()
    assert sorted(beats) == [0, 1] and all(b.last["state"] == "finished" for b in beats.values())
