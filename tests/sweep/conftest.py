"""Fixtures for the sweep tests: a fake-trainer environment for queue tests, copies of the recorded groups."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURE_RUNS = HERE / "fixtures" / "runs"
RUNS_TESTS = HERE.parent / "runs"  # tests/runs/fake_trainer.py
DEMO = "20251121-090000-sweep-demo-f001"
SEED001 = "20251121-120000-sweep-seed001-f002"
PLAIN = "20251121-111000-lenet-b001"
RECIPE = {"model": "lenet", "dataset": "synthetic", "synthetic_train_size": 64, "batch_size": 32, "epochs": 2}


@pytest.fixture
def fixture_runs(tmp_path: Path) -> Path:
    """A private copy of tests/sweep/fixtures/runs (tests may delete or add)."""
    target = tmp_path / "runs"
    shutil.copytree(FIXTURE_RUNS, target)
    return target


@pytest.fixture
def fake_trainer_env(monkeypatch) -> None:
    """Queues started in this test (and their runs) use tests/runs/fake_trainer.py instead of torch."""
    path = os.pathsep.join(p for p in (str(RUNS_TESTS), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("LRTUI_SWEEP_TRAINER", "fake_trainer")


def make_group(runs_dir: Path, specs, repeats: int, *, fake: dict | None = None, devices=None, per_device=None,
               recipe: dict | None = None, name: str = "t"):  # fmt: skip
    """A group written by the real code (SweepPlan -> create_group); `fake` goes to the runs as x_fake."""
    from lrtui.sweep.group import create_group
    from lrtui.sweep.plan import ScheduleEntry, SweepPlan

    base = dict(recipe or RECIPE)
    if fake is not None:
        base["x_fake"] = fake
    plan = SweepPlan(name, base, [ScheduleEntry(s) for s in specs], repeats, 0, None, per_device, devices)
    return create_group(plan.validate(), runs_dir)


def stop_everything(group) -> None:
    """Leave no process behind: stop the queue and the runs of `group` (verified pids only)."""
    from lrtui.sweep.queue import stop_group

    with contextlib.suppress(LookupError):
        stop_group(group.dir, wait=30)
