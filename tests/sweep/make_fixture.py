"""Write the recorded sweep groups the sweep screen tests and screenshots read: tests/sweep/fixtures/runs/.

    .venv/bin/python tests/sweep/make_fixture.py

Two groups made by the real code (SweepPlan -> create_group, member configs from group.json) whose member
runs are written by the real writer (RunLogger, through tests/monitor/make_fixture.py's `_write_run`) with a
fixed clock, so the files are the same on every run of this script:
- "demo", finished: 3 schedules x 2 repeats of a small recipe, 5 epochs each;
- "seed001", running on another host: the seed001 preset's first two schedules x 2 repeats, with one run
  finished, one running, one stopped and one queued (no directory yet).
Plus one plain run, so the runs screen shows runs and groups together. Ages use FIXED_NOW.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURE_RUNS = HERE / "fixtures" / "runs"
DEMO = "20251121-090000-sweep-demo-f001"
SEED001 = "20251121-120000-sweep-seed001-f002"
PLAIN = "20251121-111000-lenet-b001"

for _p in (ROOT, ROOT / "tests" / "monitor"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import make_fixture as recorded  # noqa: E402  (tests/monitor/make_fixture.py: the fixed clock and _write_run)

RECIPE = {
    "model": "lenet",
    "dataset": "synthetic",
    "synthetic_train_size": 640,
    "synthetic_test_size": 128,
    "batch_size": 32,  # 20 steps per epoch
    "epochs": 5,
    "device": "cpu",
    "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4},
}
SPE = 20
# (schedule spec, final accuracy per repeat): StepLR and cosine close, ExponentialLR clearly behind.
DEMO_SCHEDULES = (
    ("StepLR(step_size=2, gamma=0.5)", (0.712, 0.698)),
    ("ExponentialLR(gamma=0.6)", (0.601, 0.612)),
    ("CosineAnnealingLR(T_max=5)", (0.721, 0.690)),
)


def _write_member(
    clock, group, member, acc: float, *, end: str = "finished", epochs: int | None = None
) -> None:
    from lrtui.schedules import planned_lrs

    config = group.member_config(member)
    sched = config["schedule"]
    total = sched["total_steps"]
    lrs = planned_lrs(
        sched["spec"] or "ConstantLR(factor=1.0, total_iters=0)",
        [config["optimizer"]["lr"]],
        total_steps=total,
        steps_per_epoch=sched["steps_per_epoch"],
        stepping=sched["stepping"],
    )[0]
    config["source"] = "lrtui-sweep"
    recorded._write_run(
        clock,
        member.run,
        config,
        lrs,
        seed=10 + member.index,
        epochs_done=epochs if epochs is not None else config["epochs"],
        spe=sched["steps_per_epoch"],
        acc_final=acc,
        end=end,
        runs_dir=group.dir,
    )


def main() -> None:
    from lrtui.sweep.group import create_group, write_queue_state
    from lrtui.sweep.plan import ScheduleEntry, SweepPlan, experiment

    if FIXTURE_RUNS.exists():
        shutil.rmtree(FIXTURE_RUNS)
    FIXTURE_RUNS.mkdir(parents=True)
    clock = recorded.FakeClock(recorded.T0)
    real_time = time.time
    time.time = clock
    try:
        # a plain run (_write_run sets its clock: T0 + seed x 10 min, between the two groups)
        recorded._write_run(
            clock, PLAIN, {**RECIPE, "schedule": {"spec": "", "stepping": "epoch"}}, np.full(100, 0.05),
            seed=7, epochs_done=5, spe=SPE, acc_final=0.66, runs_dir=FIXTURE_RUNS,
        )  # fmt: skip

        clock.t = recorded.T0 - 3600
        plan = SweepPlan(
            "demo", RECIPE, [ScheduleEntry(spec) for spec, _ in DEMO_SCHEDULES], repeats=2, seed=0
        )
        demo = create_group(plan.validate(), FIXTURE_RUNS, group_id=DEMO)
        for member in demo.members:
            _write_member(clock, demo, member, DEMO_SCHEDULES[member.schedule][1][member.repeat])
        write_queue_state(demo.dir, {"state": "finished", "pid": recorded.PID, "host": recorded.HOST,
                                     "started": recorded.T0 - 3600, "updated": clock.t, "assigned": {},
                                     "devices": [{"id": "cpu", "name": "CPU (2 cores)", "slots": 2}]})  # fmt: skip

        clock.t = recorded.T0 + 2 * 3600
        recipe, schedules = experiment("seed001")
        recipe.update(dataset="synthetic", model="lenet", epochs=5, synthetic_train_size=640, device="cpu")
        plan = SweepPlan("seed001", recipe, schedules[:2], repeats=2, seed=0, preset="seed001")
        live = create_group(plan.validate(), FIXTURE_RUNS, group_id=SEED001)
        by_run = {m.run: m for m in live.members}
        order = [m.run for m in live.members]  # r0 of both schedules, then r1
        _write_member(clock, live, by_run[order[0]], 0.58)
        _write_member(clock, live, by_run[order[1]], 0.62, end="stopped", epochs=2)
        _write_member(clock, live, by_run[order[2]], 0.55, end="running", epochs=3)
        # the running member: alive on another host, updated a moment before "now"
        status_path = live.dir / order[2] / "status.json"
        status = json.loads(status_path.read_text())
        status.update(updated=recorded.FIXED_NOW - 3.0)
        status_path.write_text(json.dumps(status, indent=2) + "\n")
        write_queue_state(live.dir, {"state": "running", "pid": 31337, "host": "gpu-box-7",
                                     "started": recorded.T0 + 2 * 3600, "updated": recorded.FIXED_NOW - 1.0,
                                     "assigned": {order[2]: "0"},
                                     "devices": [{"id": "0", "name": "NVIDIA H200", "slots": 2}]})  # fmt: skip
    finally:
        time.time = real_time
    size = sum(p.stat().st_size for p in FIXTURE_RUNS.rglob("*") if p.is_file())
    print(f"wrote {FIXTURE_RUNS} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
