"""A tiny stand-in for `python -m lrtui.training`, used by the process tests: same CLI, real RunLogger.

    python -m fake_trainer --run-dir DIR [--resume]     (with tests/runs on PYTHONPATH)

config.json "fake": {"steps": total steps (default: until stopped), "sleep": seconds per step,
"fail_at": step that raises, "flush_interval": s, "checkpoint_every": steps, "steps_per_epoch": n,
"sleep_before_logger": seconds to wait before RunLogger.open}; "x_fake" is read the same way (a sweep's
run configs keep x_ keys through TrainConfig validation).
A "checkpoint" (checkpoint.json, atomic) every checkpoint_every steps; --resume restarts from it,
re-logging the steps after it, like a real trainer restored from its last checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from lrtui.runs import RunLogger


def lr_at(step: int) -> float:
    return 0.1 / (1.0 + step)


def loss_at(step: int) -> float:
    return 2.0 / (1.0 + 0.01 * step)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    fake = config.get("fake") or config.get("x_fake") or {}  # x_fake: inside a validated run config (sweeps)
    total = fake.get("steps", 10**12)
    sleep = fake.get("sleep", 0.0)
    fail_at = fake.get("fail_at")
    every = fake.get("checkpoint_every", 50)
    per_epoch = fake.get("steps_per_epoch", 100)
    ckpt = run_dir / "checkpoint.json"
    print(f"fake trainer pid {os.getpid()} sid {os.getsid(0)} resume {args.resume} "
          f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}", flush=True)  # fmt: skip
    time.sleep(fake.get("sleep_before_logger", 0))  # like importing torch: SIGTERM now kills outright
    with RunLogger.open(run_dir, flush_interval=fake.get("flush_interval", 0.05)) as log:
        start = 0
        if args.resume and ckpt.exists():
            start = json.loads(ckpt.read_text())["step"]
        for step in range(start, total):
            if step == fail_at:
                raise RuntimeError(f"boom at step {step}")
            log.step(step, lr=[lr_at(step), lr_at(step) / 10], momentum=[0.9, 0.9], loss=loss_at(step),
                     epoch=step // per_epoch)  # fmt: skip
            if step % per_epoch == per_epoch - 1:
                log.epoch(step // per_epoch, test_acc=min(1.0, step / 1000), train_loss=loss_at(step))
            if (step + 1) % every == 0:
                tmp = ckpt.with_suffix(".tmp")
                tmp.write_text(json.dumps({"step": step + 1}))
                os.replace(tmp, ckpt)
            if sleep:
                time.sleep(sleep)
    print("fake trainer done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
