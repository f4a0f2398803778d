"""A live run for app tests: a real RunLogger writing records from a thread while the app tails them.

Two param groups (so the monitor's `g` has something to cycle), a warmup + cosine schedule spec (so the
plan check and the warmup zoom apply), an epoch record every `steps_per_epoch` steps, and, when asked,
values a hostile or broken loop logs: an lr of 1e308 then inf, a loss of inf and NaN.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lrtui.runs import RunLogger

SPEC = "get_cosine_schedule_with_warmup(num_warmup_steps=20, num_training_steps=400)"


def planned_lr(step: int) -> float:
    if step < 20:
        return 0.1 * step / 20
    progress = (step - 20) / 380
    return 0.1 * max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))


@contextmanager
def live_run(
    runs_dir: Path,
    *,
    steps: int = 400,
    step_delay: float = 0.002,
    overflow_at: int | None = None,
    name: str = "live",
    config_extra: dict | None = None,
) -> Iterator[Path]:
    """Yield the run dir while a thread logs `steps` steps (then it waits, still live, until the end)."""
    config = {
        "name": name,
        "model": "mlp",
        "dataset": "synthetic",
        "epochs": steps // 40,
        "schedule": {"spec": SPEC, "stepping": "step", "steps_per_epoch": 40, "total_steps": steps},
        **(config_extra or {}),
    }
    logger = RunLogger(config, runs_dir=runs_dir, flush_interval=0.05, handle_sigterm=False)
    done = threading.Event()

    def write() -> None:
        for step in range(steps):
            if done.is_set():
                return
            lr = planned_lr(step)
            loss = 2.0 / (1 + 0.01 * step)
            if overflow_at is not None and step >= overflow_at:
                lr = 1e308 if step == overflow_at else math.inf
                loss = math.inf if step % 2 else math.nan
            logger.step(step, lr=[lr, lr / 10], loss=loss, epoch=step // 40)
            if (step + 1) % 40 == 0:
                logger.epoch(step // 40, test_acc=min(0.99, 0.1 + step / 500), test_loss=loss)
            done.wait(step_delay)
        logger.flush()

    thread = threading.Thread(target=write, name="live-run", daemon=True)
    thread.start()
    try:
        yield logger.run_dir
    finally:
        done.set()
        thread.join(timeout=10)
        logger.close("finished")
