"""Which process a pid is, from /proc (Linux): a pid named in a file is never signalled on trust.

A writer records its identity in status.json (`"process"`): the boot id, the process's start time in
clock ticks since boot (field 22 of /proc/PID/stat: exact, unlike a wall-clock guess) and a SHA-256 of
its command line. `lrtui stop` signals a pid only when all three still match; a pid that was reused by
another process, or a status.json that names an arbitrary pid, is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from typing import Any

PID_MAX = 1 << 22  # Linux's ceiling for pid_max: larger numbers are not pids (os.kill would overflow)
_CMDLINE_MAX = 1 << 20


def valid_pid(pid: Any) -> bool:
    return isinstance(pid, int) and not isinstance(pid, bool) and 0 < pid <= PID_MAX


def _read(path: str, limit: int = 1 << 16) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return None


def boot_id() -> str | None:
    raw = _read("/proc/sys/kernel/random/boot_id", 128)
    return raw.decode("ascii", "replace").strip() if raw else None


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None (no such process, no /proc)."""
    if not valid_pid(pid):
        return None
    raw = _read(f"/proc/{pid}/stat")
    if not raw:
        return None
    try:  # the command name (field 2) may hold spaces and parentheses: split after the last ")"
        return int(raw[raw.rindex(b")") + 2 :].split()[19])
    except (ValueError, IndexError):
        return None


def cmdline_digest(pid: int) -> str | None:
    raw = _read(f"/proc/{pid}/cmdline", _CMDLINE_MAX) if valid_pid(pid) else None
    return hashlib.sha256(raw).hexdigest() if raw else None


def identity(pid: int | None = None) -> dict[str, Any] | None:
    """{"boot_id", "start_ticks", "cmdline_sha256"} of `pid` (default: this process); None without /proc."""
    pid = os.getpid() if pid is None else pid
    ident = {"boot_id": boot_id(), "start_ticks": start_ticks(pid), "cmdline_sha256": cmdline_digest(pid)}
    return ident if all(v is not None for v in ident.values()) else None


def identity_of_started(pid: int, wait_s: float = 2.0) -> dict[str, Any] | None:
    """identity(pid) of a child Popen just started. Popen returns once exec closed its error pipe, which
    the kernel does before it sets the new program's arguments up: /proc/PID/cmdline can read empty for
    a moment (seen under load), so retry for up to `wait_s` s; None without /proc or if it never shows."""
    deadline = time.monotonic() + wait_s
    while True:
        found = identity(pid)
        if found is not None or boot_id() is None or time.monotonic() >= deadline:
            return found
        time.sleep(0.005)


def matches(pid: Any, recorded: Any) -> bool | None:
    """Whether `pid` is the process `recorded` describes: True, False, or None when it cannot be told
    (nothing usable recorded, or no /proc here)."""
    if not valid_pid(pid) or not isinstance(recorded, dict):
        return None
    keys = ("boot_id", "start_ticks", "cmdline_sha256")
    if any(recorded.get(k) is None for k in keys):
        return None
    now = identity(pid)
    if now is None:
        return False if boot_id() is not None else None  # /proc works: the process is gone
    return all(now[k] == recorded.get(k) for k in keys)


def signal_verified(pid: int, recorded: Any, signum: int) -> bool:
    """Send `signum` to `pid` only if it is still the recorded process; return whether it was sent.

    With pidfd (Linux ≥ 5.3) the check and the signal address the same process even if the pid is
    reused in between; elsewhere the window is the few microseconds between check and kill.
    """
    pidfd = None
    with contextlib.suppress(AttributeError, OSError):
        pidfd = os.pidfd_open(pid)
    try:
        if matches(pid, recorded) is not True:
            return False
        try:
            if pidfd is not None:
                import signal

                signal.pidfd_send_signal(pidfd, signum)
            else:
                os.kill(pid, signum)
        except ProcessLookupError:
            return False
        return True
    finally:
        if pidfd is not None:
            os.close(pidfd)
