"""The detached sweep queue with real processes: tests/runs/fake_trainer.py stands in for torch (fast).

Each test starts the real queue (`python -m lrtui.sweep.queue GROUP`, detached) and real trainer processes,
and ends with nothing left running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from lrtui.runs import read_run
from lrtui.runs.status import this_host
from lrtui.sweep.group import read_queue_state
from lrtui.sweep.queue import GroupLock, group_status, queue_pid, resume_group, spawn_queue, stop_group
from tests.waiting import wait_until

from .conftest import make_group, stop_everything

pytestmark = pytest.mark.usefixtures("fake_trainer_env")

SPECS = ("StepLR(step_size=1, gamma=0.5)", "ExponentialLR(gamma=0.9)", "")


def _intervals(group) -> dict[str, list[tuple[float, float, str]]]:
    """Per device, the (start, end) of every member's logger life, from its own metrics' events."""
    assigned = read_queue_state(group.dir)["assigned"]
    out: dict[str, list] = {}
    for m in group.members:
        events = read_run(group.run_dir(m)).data.events
        start = min(e["t"] for e in events if e.get("event") in ("start", "resume"))
        end = max(e["t"] for e in events if e.get("event") in ("finish", "stop"))
        out.setdefault(assigned[m.run], []).append((start, end, m.run))
    return out


def _max_overlap(intervals) -> int:
    points = sorted([(s, 1) for s, _e, _r in intervals] + [(e, -1) for _s, e, _r in intervals])
    level = best = 0
    for _t, delta in points:
        level += delta
        best = max(best, level)
    return best


def test_queue_spreads_runs_over_devices_within_the_per_device_limit(tmp_path):
    group = make_group(
        tmp_path,
        SPECS,
        3,
        fake={"steps": 20, "sleep": 0.03, "steps_per_epoch": 10},
        devices=["0", "1"],
        per_device=2,
    )
    try:
        pid = spawn_queue(group.dir)
        wait_until(lambda: group_status(group).state == "finished", 90, "the sweep to finish")
        assert not queue_pid(group.dir)
    finally:
        stop_everything(group)
    queue = read_queue_state(group.dir)
    assert queue["pid"] == pid and queue["state"] == "finished"
    assert [d["id"] for d in queue["devices"]] == ["0", "1"] and {d["slots"] for d in queue["devices"]} == {2}
    for m in group.members:
        log = (group.run_dir(m) / "stdout.log").read_text()
        # the run really got its own GPU through the environment, as recorded by the queue
        assert f"CUDA_VISIBLE_DEVICES={queue['assigned'][m.run]!r}" in log
        assert read_run(group.run_dir(m)).state == "finished"
    per_device = _intervals(group)
    assert set(per_device) == {"0", "1"}
    for device, intervals in per_device.items():
        assert _max_overlap(intervals) <= 2, (device, intervals)
    # slots are shared: two runs did train on one device at the same time
    assert max(_max_overlap(i) for i in per_device.values()) == 2
    # repeat-major order: the first wave covers different schedules
    log = (group.dir / "queue.log").read_text().splitlines()
    started = [line.split()[3] for line in log if " started " in line]
    assert started[:3] == [m.run for m in group.members[:3]]


def test_one_queue_per_group_stop_and_resume_the_whole_group(tmp_path):
    group = make_group(tmp_path, SPECS[:2], 1, fake={"steps": 200, "sleep": 0.02, "steps_per_epoch": 50},
                       devices="cpu", per_device=2)  # fmt: skip
    try:
        spawn_queue(group.dir)
        wait_until(lambda: group_status(group).progress.running == 2, 60, "two live runs")
        # a second queue for the same group is refused: the lock is held
        second = subprocess.run(
            [sys.executable, "-m", "lrtui.sweep.queue", str(group.dir)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 3 and "another queue" in second.stderr
        with pytest.raises(RuntimeError, match="already has a queue"):
            resume_group(group.dir)

        message = stop_group(group.dir, wait=30)
        assert "its queue stopped its runs" in message
        status = group_status(group)
        assert status.state == "stopped" and status.progress.stopped == 2
        assert read_queue_state(group.dir)["state"] == "stopped"

        resume_group(group.dir)
        wait_until(lambda: group_status(group).state == "finished", 90, "the resumed sweep to finish")
    finally:
        stop_everything(group)
    for m in group.members:  # stopped by the group stop, then resumed by the new queue
        events = [e.get("event") for e in read_run(group.run_dir(m)).data.events]
        assert events[0] == "start" and "stop" in events and events[-1] == "finish"


def test_runs_outlive_a_killed_queue_and_resume_recovers_from_a_lost_run(tmp_path):
    group = make_group(tmp_path, SPECS, 1, fake={"steps": 100, "sleep": 0.03, "steps_per_epoch": 10},
                       devices="cpu", per_device=1)  # fmt: skip
    try:
        pid = spawn_queue(group.dir)
        first = group.run_dir(group.members[0])
        wait_until(
            lambda: first.is_dir() and (read_run(first).data.last_step or 0) >= 5, 60, "a run training"
        )
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: queue_pid(group.dir) is None, 10, "the queue to die")
        status = group_status(group)
        assert status.state == "running" and "queue not running" in status.message  # its run goes on
        # then the run dies too, as in a reboot: it is "lost", and the group "interrupted"
        run_status = json.loads((group.run_dir(group.members[0]) / "status.json").read_text())
        os.kill(run_status["pid"], signal.SIGKILL)
        wait_until(lambda: group_status(group).progress.lost == 1, 10, "the run to be lost")
        status = group_status(group)
        assert status.state == "interrupted" and status.progress.queued == 2
        resume_group(group.dir)
        wait_until(lambda: group_status(group).state == "finished", 90, "the resumed sweep")
    finally:
        stop_everything(group)
    assert group_status(group).progress.done == 3
    events = [e.get("event") for e in read_run(group.run_dir(group.members[0])).data.events]
    # the lost run was started a second time ("start" or "resume", as the trainer finds its files) and finished
    assert (
        events[0] == "start"
        and events.count("start") + events.count("resume") == 2
        and events[-1] == "finish"
    )


def test_only_a_verified_queue_is_ever_signalled(tmp_path):
    group = make_group(tmp_path, SPECS[:1], 1, fake={"steps": 1}, devices="cpu")
    now = time.time()
    # queue.json naming this test process: alive, same host, but it holds no lock and is no queue
    (group.dir / "queue.json").write_text(
        json.dumps({"state": "running", "pid": os.getpid(), "host": this_host(), "started": now - 1})
    )
    assert queue_pid(group.dir) is None
    sleeper = subprocess.Popen(["sleep", "30"])
    lock = GroupLock(group.dir)
    try:
        assert lock.acquire()
        # a live pid with the lock held, but its command line is not this group's queue
        (group.dir / "queue.json").write_text(
            json.dumps({"state": "running", "pid": sleeper.pid, "host": this_host(), "started": now})
        )
        assert queue_pid(group.dir) is None
        with pytest.raises(LookupError, match="nothing to stop"):
            stop_group(group.dir)
        assert sleeper.poll() is None  # never signalled
    finally:
        lock.release()
        sleeper.kill()
        sleeper.wait()
