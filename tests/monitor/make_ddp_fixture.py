"""Write the recorded torchrun job the rank-panel tests and screenshots read: tests/monitor/fixtures/ddp/.

    .venv/bin/python tests/monitor/make_ddp_fixture.py

An 8-rank job on two 4-GPU hosts, still running "now" (FIXED_NOW): rank 0's records by the real RunLogger,
every rank's heartbeats by the real RankHeartbeat, all with a fixed clock, so the files are the same on
every run of this script. Rank 5 is a straggler (its own time 1.6x the others'); 95 s ago rank 6 stopped
in its data phase one step behind, and the other ranks have waited for it in DDP's gradient all-reduce
since (their heartbeat threads still beat, their steps do not move): the job is "hung", rank 6 named.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIXTURE_DDP = HERE / "fixtures" / "ddp"
RUN_ID = "20251121-110000-resnet18-d008"
T0 = 1_763_719_200.0 + 3600.0
FIXED_NOW = 1_763_719_200.0 + 3 * 3600.0  # the monitor fixtures' "now" (tests/monitor/helpers.py)
HOSTS = ("gpu-node-1", "gpu-node-2")
SPE, EPOCHS, WORLD = 98, 30, 8  # CIFAR-10 at global batch 512 (64 per rank)


class FakeClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def main() -> None:
    from lrtui.runs import RunLogger
    from lrtui.schedules import planned_lrs

    if FIXTURE_DDP.exists():
        shutil.rmtree(FIXTURE_DDP)
    FIXTURE_DDP.mkdir(parents=True)
    clock = FakeClock(T0)
    real_time = time.time
    time.time = clock
    try:
        spec = f"OneCycleLR(max_lr=0.4, total_steps={SPE * EPOCHS})"
        lrs = planned_lrs(spec, [0.4], total_steps=SPE * EPOCHS, steps_per_epoch=SPE, stepping="step")[0]
        config = {
            "model": "resnet18", "dataset": "cifar10", "device": "cuda", "batch_size": 64, "epochs": EPOCHS,
            "seed": 0, "optimizer": {"name": "sgd", "lr": 0.4, "momentum": 0.9, "weight_decay": 5e-4},
            "schedule": {"spec": spec, "stepping": "step", "steps_per_epoch": SPE, "total_steps": SPE * EPOCHS},
            "distributed": {"nproc_per_node": 4, "nnodes": 2, "rdzv_endpoint": "gpu-node-1:29500",
                            "backend": "nccl"},
        }  # fmt: skip
        log = RunLogger(
            config, runs_dir=FIXTURE_DDP, run_id=RUN_ID, flush_interval=3600.0, handle_sigterm=False
        )
        log.event("device", "NVIDIA H100 80GB HBM3 (79.1 GiB)", device="NVIDIA H100 80GB HBM3 (79.1 GiB)")
        done = 13 * SPE + 40  # 13 epochs and a bit
        rng = np.random.default_rng(8)
        k = np.arange(done)
        loss = 0.35 + 1.95 * np.exp(-k / 700) + rng.normal(0, 0.05, done)
        for epoch in range(14):
            lo, hi = epoch * SPE, min((epoch + 1) * SPE, done)
            clock.t += 7.0
            log.steps({"step": list(range(lo, hi)), "epoch": [epoch] * (hi - lo), "lr": [lrs[lo:hi].tolist()],
                       "loss": np.round(loss[lo:hi], 5).tolist()})  # fmt: skip
            if hi == (epoch + 1) * SPE:
                acc = round(0.45 + 0.45 * (1 - np.exp(-(epoch + 1) / 5)), 4)
                log.epoch(epoch, train_loss=float(np.mean(loss[lo:hi])), test_acc=acc, train_acc=acc + 0.02,
                          test_loss=round(1.9 - 1.4 * acc, 4), images_per_s=36_500.0, epoch_time=7.0)  # fmt: skip
        log.flush()
        log._closed = True  # still running: no final state
        status_path = log.run_dir / "status.json"
        status = json.loads(status_path.read_text())
        status.update(
            state="running", host=HOSTS[0], pid=40100, updated=FIXED_NOW - 2.0, started=T0, world_size=WORLD,
            launcher={"kind": "torchrun", "pid": 40090, "host": HOSTS[0], "started": T0 - 5,
                      "nproc_per_node": 4, "nnodes": 2},
        )  # fmt: skip
        status_path.write_text(json.dumps(status, indent=2) + "\n")
        _beats(log.run_dir, done)
    finally:
        time.time = real_time


def _beats(run_dir: Path, done: int) -> None:
    from lrtui.runs.ranks import RankHeartbeat

    step_time = 0.0715
    for rank in range(WORLD):
        clock = FakeClock(T0)
        host = HOSTS[rank // 4]
        own = 0.0412 * (1.6 if rank == 5 else 1.0 + 0.01 * rank)

        def memory(rank=rank) -> dict:
            used = (31.2 + 0.4 * rank) * 2**30
            return {
                "mem": used,
                "mem_peak": used + 2.5 * 2**30,
                "mem_total": 79.1 * 2**30,
                "mem_kind": "cuda",
            }

        hb = RankHeartbeat(
            run_dir, rank=rank, world_size=WORLD, local_rank=rank % 4, every=5.0, device=f"cuda:{rank % 4}",
            memory=memory, agent_pid=40090 + rank // 4 * 1000, clock=clock, thread=False,
            extra={"host": host, "pid": 40100 + rank},
        )  # fmt: skip
        last = done - 1 if rank == 6 else done  # rank 6 never finished the next step
        stuck_at = FIXED_NOW - 95.0
        start = stuck_at - last * step_time
        beat_every = int(5.0 / step_time)
        for step in range(1, last + 1):
            clock.t = start + step * step_time
            hb.phase = "backward"
            hb.step(step, data_time=0.0031, own_time=own)
            if step % beat_every == 0:
                hb.beat()
        hb.phase = "data" if rank == 6 else "backward"  # where each is blocked
        clock.t = stuck_at + 2.0
        while clock.t < FIXED_NOW - 0.5:  # the threads keep beating: alive, not progressing
            hb.beat()
            clock.t += 5.0
        hb._closed = True  # no exit record: the job goes on


if __name__ == "__main__":
    main()
