"""Screenshot scenarios for the LR doctor view (`d` on the run monitor).

    .venv/bin/python screenshots/doctor_scenarios.py [OUT_DIR]

The runs are written by the real RunLogger into a temporary directory with fixed ids and values: a run
whose scheduler was stepped per epoch while the plan steps it per step, and a resumed run whose warmup
started over (the scheduler's state was not loaded).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import numpy as np  # noqa: E402
from monitor_scenarios import Scenario, main, shoot  # noqa: E402
from textual.app import App  # noqa: E402

from lrtui import RunLogger  # noqa: E402
from lrtui.schedules import planned_lrs  # noqa: E402
from lrtui.screens.doctor import DoctorScreen  # noqa: E402

RUNS = Path(tempfile.mkdtemp(prefix="lrtui-doctor-shots-"))
SPEC = "SequentialLR([LinearLR(start_factor=0.1, total_iters=100), CosineAnnealingLR(T_max=900)], milestones=[100])"
SPE, EPOCHS = 50, 20
TOTAL = SPE * EPOCHS


def _config() -> dict:
    return {
        "model": "resnet18",
        "dataset": "cifar10",
        "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9},
        "epochs": EPOCHS,
        "schedule": {"spec": SPEC, "stepping": "step", "steps_per_epoch": SPE, "total_steps": TOTAL},
    }


def _log(run: RunLogger, steps: np.ndarray, lrs: np.ndarray) -> None:
    loss = 2.3 * np.exp(-steps / 300) + 0.1
    run.steps(
        {"step": steps.tolist(), "epoch": (steps // SPE).tolist(), "lr": lrs.tolist(), "loss": loss.tolist()}
    )


def _per_epoch_run() -> Path:
    plan = planned_lrs(SPEC, (0.1,), total_steps=TOTAL)[0]
    steps = np.arange(TOTAL)
    with RunLogger(
        _config(), runs_dir=RUNS, run_id="20261204-120000-resnet18-per-epoch", flush_interval=0
    ) as run:
        _log(run, steps, plan[steps // SPE])
    return run.run_dir


def _restarted_run() -> Path:
    plan = planned_lrs(SPEC, (0.1,), total_steps=TOTAL)[0]
    with RunLogger(
        _config(), runs_dir=RUNS, run_id="20261204-130000-resnet18-resumed", flush_interval=0
    ) as run:
        _log(run, np.arange(600), plan[:600])
        run.close("stopped", message="stopped by SIGTERM")
    with RunLogger.open(run.run_dir, flush_interval=0) as run:
        steps = np.arange(500, TOTAL)  # resumed from the step-500 checkpoint, with a fresh scheduler
        _log(run, steps, plan[steps - 500])
    return run.run_dir


def _ready(app: App) -> bool:
    return isinstance(app.screen, DoctorScreen) and app.screen.runs > 0


def _scenarios() -> list[Scenario]:
    per_epoch, restarted = _per_epoch_run(), _restarted_run()
    out = []
    for size in ((80, 24), (200, 60)):
        tag = f"{size[0]}x{size[1]}"
        out += [
            Scenario(f"doctor-per-epoch-{tag}", size, lambda d=per_epoch: DoctorScreen(d), _ready),
            Scenario(f"doctor-resume-restart-{tag}", size, lambda d=restarted: DoctorScreen(d), _ready),
        ]
    return out


SCENARIOS: list[Scenario] = _scenarios()
__all__ = ["SCENARIOS", "shoot"]

if __name__ == "__main__":
    raise SystemExit(main(sys.argv, SCENARIOS))
