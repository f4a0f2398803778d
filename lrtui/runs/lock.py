"""One writer per run: an exclusive flock on `<run>/lock`, held by the trainer for its whole life.

Two `lrtui resume RUN` at once (or a launch racing a resume) would otherwise start two trainers
appending to one metrics.jsonl. The launcher takes the lock *before* it starts anything and hands the
locked descriptor to the trainer it spawns (inherited, named in $LRTUI_RUN_LOCK_FD), so there is no
moment when the run is unlocked; the loser of a race is refused before it writes anything. The kernel
drops the lock when the last process holding the descriptor exits, however it exits (kill -9 included):
a stale lock file is never a problem. The file holds the holder's pid, for the message.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path

from lrtui.runs.files import open_regular
from lrtui.runs.identity import valid_pid
from lrtui.runs.paths import LOCK, file_mode
from lrtui.runs.text import clean_name

LOCK_FD_ENV = "LRTUI_RUN_LOCK_FD"


class RunLocked(RuntimeError):
    """Another process holds the run's lock (it is being trained)."""

    def __init__(self, run_dir: Path, pid: int | None, advice: str = ""):
        self.pid = pid
        who = f"pid {pid}" if pid is not None else "another process"
        text = f"run {clean_name(Path(run_dir).name)} is already being trained by {who}"
        super().__init__(f"{text}; {advice}" if advice else text)


def acquire(
    run_dir: str | Path, *, record_pid: bool = True, wait_s: float = 0.0, wait_for: int | None = None
) -> int:
    """Take the run's lock; return the descriptor holding it (close it to release).

    The lock file then holds our pid, or nothing with record_pid=False (a launcher, which writes the
    trainer's pid once it has one: a loser meanwhile waits for it). RunLocked if another process holds
    it (after retrying for up to `wait_s` seconds; with `wait_for`, only while that pid — the writer that
    already wrote its final state — or a launcher not yet showing its trainer's pid holds it: another writer
    that took the run meanwhile is refused at once, not waited out and then followed by a second start);
    OSError if the lock file cannot be made (read-only dir, a symlink or special file planted).
    """
    path = Path(run_dir) / LOCK
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, file_mode())
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(
                errno.ELOOP, f"{LOCK} in {clean_name(Path(run_dir).name)} is a symbolic link"
            ) from None
        raise
    try:
        _check_regular(fd, run_dir)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunLocked(Path(run_dir), _wait_for_holder_pid(run_dir)) from None
                if wait_for is not None:
                    pid = holder_pid(run_dir)
                    if pid is not None and pid != wait_for:
                        raise RunLocked(Path(run_dir), pid) from None
                time.sleep(0.02)
        if record_pid:
            write_pid(fd, os.getpid())
        else:
            os.ftruncate(fd, 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_regular(fd: int, run_dir: str | Path) -> None:
    import stat

    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise OSError(errno.EINVAL, f"{LOCK} in {clean_name(Path(run_dir).name)} is not a regular file")
    os.set_blocking(fd, True)


def write_pid(fd: int, pid: int) -> None:
    """Record the holder's pid in the lock file (only ever written while holding the lock)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{pid}\n".encode(), 0)


def holder_pid(run_dir: str | Path) -> int | None:
    """The pid written in the lock file, if it holds a plausible one."""
    try:
        fd = open_regular(Path(run_dir) / LOCK)
    except OSError:
        return None
    try:
        raw = os.read(fd, 32)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        pid = int(raw.strip() or b"x")
    except ValueError:
        return None
    return pid if valid_pid(pid) else None


def _wait_for_holder_pid(run_dir: str | Path, timeout: float = 2.0) -> int | None:
    """The holder's pid; a launcher writes its trainer's pid a moment after it took the lock."""
    deadline = time.monotonic() + timeout
    while True:
        pid = holder_pid(run_dir)
        if pid is not None or time.monotonic() >= deadline or not holder(run_dir)[0]:
            return pid
        time.sleep(0.01)


def holder(run_dir: str | Path) -> tuple[bool, int | None]:
    """(whether another process holds the lock now, its pid if known). Never blocks, never creates."""
    try:
        fd = open_regular(Path(run_dir) / LOCK)
    except OSError:
        return False, None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True, holder_pid(run_dir)
    except OSError:
        return False, None
    finally:
        os.close(fd)
    return False, None


def adopt_inherited(run_dir: str | Path) -> int | None:
    """The lock descriptor a launcher passed down (LRTUI_RUN_LOCK_FD), if it really is this run's lock.

    The variable is removed from the environment (it must not leak to our own children), and the
    descriptor is made non-inheritable so no grandchild keeps the lock alive after the trainer.
    """
    raw = os.environ.pop(LOCK_FD_ENV, None)
    if raw is None or not raw.isdigit():
        return None
    fd = int(raw)
    try:
        held = os.fstat(fd)
        on_disk = os.stat(Path(run_dir) / LOCK, follow_symlinks=False)
        if (held.st_dev, held.st_ino) != (on_disk.st_dev, on_disk.st_ino):
            return None
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the same open file: succeeds if it is ours
        os.set_inheritable(fd, False)
    except OSError:
        return None
    write_pid(fd, os.getpid())
    return fd


def release(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
