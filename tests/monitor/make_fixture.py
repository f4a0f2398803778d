"""Write the recorded runs the monitor/runs-screen snapshot tests read: tests/monitor/fixtures/runs/.

    .venv/bin/python tests/monitor/make_fixture.py

Written by the real writer (lrtui.runs.RunLogger, columnar "steps" batches as the trainer writes them)
with a fixed clock, so the files — and the snapshots drawn from them — are identical on every run of this
script. LRs come from the schedule engine (what a correct training loop logs); run C logs them shifted by
one step (scheduler.step() called before optimizer.step()), the classic bug the monitor flags.
Ages in the snapshots are computed against FIXED_NOW (the screens take an injectable clock).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIXTURE_RUNS = HERE / "fixtures" / "runs"
T0 = 1_763_719_200.0  # 2025-11-21 10:00:00 UTC
FIXED_NOW = T0 + 3 * 3600.0  # "now" for ages in snapshots
HOST = "fixture-host"
PID = 4242


class FakeClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _losses(n: int, seed: int, floor: float, speed: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    loss = floor + (2.3 - floor) * np.exp(-k / speed) + rng.normal(0, 0.08, n)
    grad = 0.5 + 1.5 * np.exp(-k / speed) + np.abs(rng.normal(0, 0.1, n))
    return np.round(loss, 5), np.round(grad, 5)


def _write_run(
    clock: FakeClock,
    run_id: str,
    config: dict,
    lrs: np.ndarray,
    *,
    seed: int,
    epochs_done: int,
    spe: int,
    acc_final: float,
    end: str = "finished",
    error: str | None = None,
    nan_from: int | None = None,
    momentum: float | None = 0.9,
    runs_dir: Path = FIXTURE_RUNS,
) -> None:
    from lrtui.runs import RunLogger

    clock.t = T0 + seed * 600.0
    log = RunLogger(
        config,
        runs_dir=runs_dir,
        run_id=run_id,
        flush_interval=3600.0,
        handle_sigterm=False,
        source=config.pop("source", "lrtui-trainer"),
    )
    log.event("device", "cpu", device="cpu")
    n = epochs_done * spe
    loss, grad = _losses(n, seed, floor=0.9 - acc_final * 0.6, speed=60.0)
    if nan_from is not None:
        loss[nan_from:] = np.nan
        n = nan_from + 1
    rng = np.random.default_rng(seed + 100)
    for epoch in range(epochs_done):
        lo, hi = epoch * spe, min((epoch + 1) * spe, n)
        if lo >= hi:
            break
        clock.t += 30.0
        columns = {
            "step": list(range(lo, hi)),
            "epoch": [epoch] * (hi - lo),
            "lr": [lrs[lo:hi].tolist()],
            "loss": loss[lo:hi].tolist(),
            "grad_norm": grad[lo:hi].tolist(),
        }
        if momentum is not None:
            columns["momentum"] = [[momentum] * (hi - lo)]
        log.steps(columns)
        if hi < (epoch + 1) * spe:
            break
        frac = (epoch + 1) / max(epochs_done, 1)
        test = round(
            0.1 + (acc_final - 0.1) * (1 - np.exp(-3 * frac)) / (1 - np.exp(-3)) + rng.normal(0, 0.005), 4
        )
        train = round(min(test + 0.03 * frac, 1.0), 4)
        log.epoch(
            epoch,
            train_loss=float(np.nanmean(loss[lo:hi])),
            train_acc=train,
            test_loss=round(2.0 - 1.5 * test, 4),
            test_acc=test,
            images_per_s=1234.5 + 10 * seed,
            epoch_time=30.0,
        )
    clock.t += 5.0
    if end == "running":  # leave it "running" on another host, long ago: the screens derive "lost"
        log.flush()
        log._closed = True  # stop the writer without writing a final state (as a crashed machine would)
        status = json.loads((log.run_dir / "status.json").read_text())
        status.update(host="gpu-box-7", pid=31337, updated=T0 - 3600.0)
        (log.run_dir / "status.json").write_text(json.dumps(status, indent=2) + "\n")
        return
    log.close(end, error)
    status_path = log.run_dir / "status.json"
    status = json.loads(status_path.read_text())
    status.update(pid=PID, host=HOST)
    status_path.write_text(json.dumps(status, indent=2) + "\n")


def main() -> None:
    from lrtui.schedules import planned_lrs

    if FIXTURE_RUNS.exists():
        shutil.rmtree(FIXTURE_RUNS)
    FIXTURE_RUNS.mkdir(parents=True)
    clock = FakeClock(T0)
    real_time = time.time
    time.time = clock  # every timestamp the writer takes comes from the fixed clock
    try:
        spe, epochs = 40, 5
        total = spe * epochs
        base = {
            "dataset": "synthetic",
            "data_dir": None,
            "device": "cpu",
            "batch_size": 250,
            "seed": 0,
            "epochs": epochs,
            "synthetic_train_size": 10_000,
        }
        sgd = {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": False, "weight_decay": 5e-4}
        cosine = "get_cosine_schedule_with_warmup(num_warmup_steps=20, num_training_steps=200)"
        cos_lr = planned_lrs(cosine, [0.05], total_steps=total, steps_per_epoch=spe, stepping="step")[0]
        step_spec = "StepLR(step_size=2, gamma=0.5)"
        step_lr = planned_lrs(step_spec, [0.05], total_steps=total, steps_per_epoch=spe, stepping="epoch")[0]
        sched = {"steps_per_epoch": spe, "total_steps": total}

        _write_run(
            clock,
            "20251121-100000-vgg-a001",
            {
                **base,
                "model": "vgg",
                "optimizer": sgd,
                "schedule": {"spec": cosine, "stepping": "step", **sched},
            },
            cos_lr,
            seed=1,
            epochs_done=5,
            spe=spe,
            acc_final=0.78,
        )
        _write_run(
            clock,
            "20251121-101000-vgg-a002",
            {
                **base,
                "model": "vgg",
                "optimizer": sgd,
                "schedule": {"spec": step_spec, "stepping": "epoch", **sched},
            },
            step_lr,
            seed=2,
            epochs_done=5,
            spe=spe,
            acc_final=0.71,
        )
        shifted = np.append(cos_lr[1:], cos_lr[-1])  # scheduler.step() before optimizer.step()
        _write_run(
            clock,
            "20251121-102000-vgg-a003",
            {
                **base,
                "model": "vgg",
                "optimizer": {**sgd, "lr": 0.2},
                "source": "runlogger",
                "name": "my-script",
                "schedule": {"spec": cosine, "stepping": "step", **sched},
            },
            shifted * 4,
            seed=3,
            epochs_done=4,
            spe=spe,
            acc_final=0.55,
            end="diverged",
            error="loss is nan at step 130 (lr 0.1868)",
            nan_from=130,
        )
        _write_run(
            clock,
            "20251121-103000-lenet-a004",
            {
                "model": "lenet",
                "dataset": "mnist",
                "epochs": 3,
                "batch_size": 64,
                "source": "runlogger",
                "optimizer": {"name": "adam", "lr": 0.001},
            },
            np.full(total, 0.001),
            seed=4,
            epochs_done=1,
            spe=spe,
            acc_final=0.9,
            end="failed",
            error='Traceback (most recent call last):\n  File "train.py", line 42, in <module>\n'
            "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB",
            momentum=None,
        )
        _write_run(
            clock,
            "20251121-104000-resnet18-a005",
            {
                **base,
                "model": "resnet18",
                "optimizer": sgd,
                "schedule": {"spec": cosine, "stepping": "step", **sched},
            },
            cos_lr,
            seed=5,
            epochs_done=2,
            spe=spe,
            acc_final=0.6,
            end="running",
        )
    finally:
        time.time = real_time
    size = sum(p.stat().st_size for p in FIXTURE_RUNS.rglob("*") if p.is_file())
    print(f"wrote {FIXTURE_RUNS} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
