"""A start that finds a run's final state waits for that writer's exit only: a writer that took the run in
the meantime is refused at once (two `lrtui resume` at the same time on a quick run started it twice: the
second waited out the first trainer, then trained the finished run again)."""

from __future__ import annotations

import os
import threading

import pytest

from lrtui.runs import lock
from lrtui.runs.lock import RunLocked


def _held_then_released(run, after_s: float) -> threading.Thread:
    fd = lock.acquire(run)  # this process is the holder, its pid in the lock file
    thread = threading.Timer(after_s, lock.release, args=(fd,))
    thread.start()
    return thread


def test_the_ending_writer_is_waited_for(tmp_path):
    releaser = _held_then_released(tmp_path, 0.3)
    fd = lock.acquire(tmp_path, record_pid=False, wait_s=30, wait_for=os.getpid())
    lock.release(fd)
    releaser.join()


def test_another_writer_is_refused_although_it_releases_within_the_wait(tmp_path):
    releaser = _held_then_released(tmp_path, 0.3)
    with pytest.raises(RunLocked) as refused:
        lock.acquire(tmp_path, record_pid=False, wait_s=30, wait_for=os.getppid())
    assert refused.value.pid == os.getpid()
    releaser.join()
