"""Record the LR range test the LR-find monitor tests and screenshots read: tests/monitor/fixtures/lr_find/.

    .venv/bin/python tests/monitor/make_lr_find_fixture.py

A real sweep by lrtui's own trainer (`LrFindTrainer`, the code `lrtui find-lr` runs): LeNet on 2,048
synthetic images, SGD momentum 0.9, batch 64, LR 1e-4 → 10 over 100 steps (it diverges near the end).
Timestamps come from a fixed clock (every call to time.time() advances it by 20 ms), so ages and rates in
snapshots are stable; the losses are the real ones (one CPU thread).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURE_LR_FIND = HERE / "fixtures" / "lr_find"
RUN_ID = "20251121-110000-lenet-f001"
T0 = 1_763_722_800.0  # 2025-11-21 11:00:00 UTC
CONFIG = {
    "kind": "lr_find",
    "lr_find": {"start_lr": 1e-4, "end_lr": 10.0, "steps": 100},
    "model": "lenet",
    "dataset": "synthetic",
    "synthetic_train_size": 2048,
    "synthetic_test_size": 64,
    "batch_size": 64,
    "epochs": 30,
    "device": "cpu",
    "num_threads": 1,
    "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9},
}


class TickingClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        self.t += 0.02
        return self.t


def main() -> None:
    import io

    from lrtui.runs import RunLogger
    from lrtui.training.config import TrainConfig
    from lrtui.training.lr_find_trainer import LrFindTrainer

    if FIXTURE_LR_FIND.exists():
        shutil.rmtree(FIXTURE_LR_FIND)
    FIXTURE_LR_FIND.mkdir(parents=True)
    config = TrainConfig.from_dict(CONFIG).resolve()
    real_time = time.time
    time.time = TickingClock(T0)  # every timestamp the writer takes comes from the ticking clock
    try:
        logger = RunLogger(
            config.to_dict(),
            runs_dir=FIXTURE_LR_FIND,
            run_id=RUN_ID,
            flush_interval=3600.0,
            handle_sigterm=False,
            source="lrtui-trainer",
        )
        state = LrFindTrainer(config, logger, out=io.StringIO()).run()
    finally:
        time.time = real_time
    run_dir = FIXTURE_LR_FIND / RUN_ID
    status = json.loads((run_dir / "status.json").read_text())
    status.update(pid=4242, host="fixture-host")
    (run_dir / "status.json").write_text(json.dumps(status, indent=2) + "\n")
    print(f"wrote {run_dir} ({state})")


if __name__ == "__main__":
    main()
