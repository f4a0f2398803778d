"""The sweep queue: one detached process per group that starts member runs as device slots free up.

    python -m lrtui.sweep.queue GROUP_DIR [--retry-failed]

It runs in its own session (an SSH hangup or the launcher's exit does not reach it), holds an flock on
GROUP_DIR/queue.lock for its whole life (one queue per group; the kernel drops the lock if it is killed),
and keeps its state in GROUP_DIR/queue.json. The runs it starts are ordinary detached trainers
(lrtui.runs.process.launch): killing the queue does not stop them, and a new queue (`lrtui sweep resume`)
adopts the live ones, resumes stopped and lost members from their checkpoints and starts the rest. That is
also how a sweep continues after a reboot. SIGTERM asks the queue to stop the group: it stops launching,
sends SIGTERM to its live members (each verified first), waits for their checkpoints and exits "stopped".

Test aid: LRTUI_SWEEP_TRAINER=<module> replaces `lrtui.training` as the trainer (from the environment
only, never from a group file: a group directory may come from anyone).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lrtui.runs import process
from lrtui.runs.paths import CHECKPOINT
from lrtui.runs.status import LOST_AFTER_S, pid_alive, read_status, this_host
from lrtui.sweep.devices import Device, child_env, plan_devices
from lrtui.sweep.group import (
    GROUP_FILE,
    LIVE,
    QUEUE_LOCK,
    QUEUE_LOG,
    Group,
    GroupError,
    Progress,
    member_dir,
    member_states,
    progress,
    read_group,
    read_queue_state,
    write_queue_state,
)

MODULE = "lrtui.sweep.queue"
POLL_S = 0.5
HEARTBEAT_S = 2.0
STOP_WAIT_S = 120.0  # how long a stopping queue waits for its members' checkpoints
RETRYABLE = ("queued", "stopped", "lost")


# ------------------------------------------------------------------------------------------ locking
class GroupLock:
    """An exclusive flock on GROUP_DIR/queue.lock, held while the queue lives (released by the kernel on kill)."""

    def __init__(self, group_dir: Path) -> None:
        self.path = Path(group_dir) / QUEUE_LOCK
        self.fd: int | None = None

    def acquire(self, wait: float = 0.0) -> bool:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.05)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None


def lock_held(group_dir: Path) -> bool:
    """Whether some process holds the group's queue lock (tested by a non-blocking try, released at once)."""
    import fcntl

    try:
        fd = os.open(Path(group_dir) / QUEUE_LOCK, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _cmdline(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read(65536)
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def queue_pid(group_dir: Path) -> int | None:
    """The pid of this group's live queue on this host, verified, or None.

    Verified = queue.json names this host and a live pid that started no later than the queue did, the
    lock is held, and (where /proc exists) the process's command line is `-m lrtui.sweep.queue GROUP_DIR`.
    Only a pid that passes every check is ever signalled.
    """
    group_dir = Path(group_dir)
    state = read_queue_state(group_dir)
    pid = state.get("pid")
    if state.get("host") != this_host() or not pid_alive(pid, state.get("started")):
        return None
    if not lock_held(group_dir):
        return None
    args = _cmdline(pid)
    if args is not None:
        target = str(group_dir.resolve())
        if MODULE not in args or not any(_same_path(a, target) for a in args):
            return None
    return pid


def _same_path(arg: str, target: str) -> bool:
    try:
        return str(Path(arg).resolve()) == target
    except (OSError, RuntimeError, ValueError):
        return False


# ------------------------------------------------------------------------------------------ status
@dataclass(frozen=True)
class GroupStatus:
    state: str  # running | stopping | stopped | finished | interrupted | queued
    progress: Progress
    queue_pid: int | None  # verified live queue on this host
    queue_host: str | None  # a queue reported alive on another host
    message: str


def group_status(group: Group, now: float | None = None, states=None) -> GroupStatus:
    """The group's state for display: from the members' states and whether its queue lives."""
    now = time.time() if now is None else now
    states = member_states(group, now) if states is None else states
    prog = progress(states)
    queue = read_queue_state(group.dir)
    pid = queue_pid(group.dir) if group.launcher == "queue" else None
    elsewhere = None
    if (
        pid is None
        and queue.get("host") not in (None, this_host())
        and queue.get("state") in ("running", "stopping")
    ):
        updated = queue.get("updated")
        if isinstance(updated, (int, float)) and now - updated < LOST_AFTER_S:
            elsewhere = str(queue.get("host"))
    alive = pid is not None or elsewhere is not None
    if group.launcher == "slurm":
        if prog.running:
            return GroupStatus("running", prog, None, None, "SLURM job array")
        if prog.pending == 0:
            return GroupStatus("finished", prog, None, None, "SLURM job array")
        return GroupStatus("queued", prog, None, None, "SLURM job array: submit or resubmit sweep.sbatch")
    if alive:
        where = f"pid {pid}" if pid is not None else f"on {elsewhere}"
        state = "stopping" if queue.get("state") == "stopping" else "running"
        return GroupStatus(state, prog, pid, elsewhere, f"queue {where}")
    if prog.running:
        note = "queue not running: `lrtui sweep resume` starts the rest" if prog.pending else "queue done"
        return GroupStatus("running", prog, None, None, note)
    if prog.pending == 0:
        return GroupStatus("finished", prog, None, None, "all runs ended")
    if queue.get("state") == "stopped":
        return GroupStatus("stopped", prog, None, None, "stopped: `lrtui sweep resume` continues it")
    return GroupStatus("interrupted", prog, None, None, "queue gone with runs left: `lrtui sweep resume`")


# ------------------------------------------------------------------------------------------ control
def spawn_queue(
    group_dir: Path, *, retry_failed: bool = False, python: str = sys.executable, wait: float = 10.0
) -> int:
    """Start the group's queue detached; return its pid once it has taken the lock (RuntimeError if not)."""
    group_dir = Path(group_dir).resolve()
    cmd = [python, "-m", MODULE, str(group_dir)] + (["--retry-failed"] if retry_failed else [])
    proc = process.start_detached(cmd, cwd=group_dir, log=group_dir / QUEUE_LOG)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        state = read_queue_state(group_dir)
        if state.get("pid") == proc.pid and state.get("state") in ("running", "finished", "stopped"):
            return proc.pid
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    if proc.poll() is None:
        return proc.pid  # slow to start, but alive: it will take over
    raise RuntimeError(f"the queue exited at once (status {proc.returncode}): {_log_tail(group_dir)}")


def _log_tail(group_dir: Path) -> str:
    try:
        lines = (group_dir / QUEUE_LOG).read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no queue.log"
    return lines[-1][:300] if lines else "queue.log is empty"


def resume_group(group_dir: Path, *, retry_failed: bool = False) -> int:
    """Restart the group's queue (it resumes stopped/lost members and starts queued ones); returns its pid."""
    group = read_group(group_dir)
    if group.launcher != "queue":
        raise GroupError(f"{group.id} runs as a SLURM job array: {slurm_resubmit_hint(group)}")
    pid = queue_pid(group.dir)
    if pid is not None:
        raise RuntimeError(f"group {group.id} already has a queue (pid {pid})")
    states = member_states(group)
    wanted = RETRYABLE + (("failed", "diverged") if retry_failed else ())
    if not any(s.state in wanted for s in states):
        failed = sum(s.state in ("failed", "diverged") for s in states)
        hint = f" ({failed} failed: --retry-failed runs them again)" if failed else ""
        raise RuntimeError(f"group {group.id} has nothing to resume: every run ended{hint}")
    return spawn_queue(group.dir, retry_failed=retry_failed)


def _stop_verified(run_dir: Path) -> bool:
    """process.stop, but a member whose pid cannot be verified as its trainer is left alone (and logged)."""
    try:
        return process.stop(run_dir)
    except process.StopRefused as err:
        _log(str(err))
        return False


def stop_group(group_dir: Path, wait: float = 0.0) -> str:
    """Stop the group: its queue (which stops its runs), else its live runs directly. Returns what was done.

    LookupError when there is nothing to stop on this host (no queue here, no live run here).
    """
    group = read_group(group_dir)
    deadline = time.monotonic() + wait
    pid = queue_pid(group.dir)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        while wait and time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.05)
        if not pid_alive(pid):
            return f"stopped group {group.id}: its queue stopped its runs"
        return f"asked the queue of group {group.id} (pid {pid}) to stop its runs"
    stopped = [
        ms.member.run
        for ms in member_states(group)
        if ms.state in LIVE and _stop_verified(group.run_dir(ms.member))
    ]
    if group.launcher == "queue":
        state = read_queue_state(group.dir)
        if state.get("state") not in ("finished",):
            write_queue_state(group.dir, {**state, "state": "stopped", "updated": time.time(), "pid": None})
    while wait and stopped and time.monotonic() < deadline:
        if not any(ms.state in LIVE for ms in member_states(group)):
            break
        time.sleep(0.05)
    if not stopped:
        raise LookupError(f"group {group.id}: no queue and no live run on this host (nothing to stop)")
    return f"stopped {len(stopped)} run(s) of group {group.id} (no queue was running)"


def delete_group(group_dir: Path) -> None:
    """Remove a group directory and its runs. Refused while its queue or any of its runs is alive."""
    import shutil

    group_dir = Path(group_dir)
    if not (group_dir / GROUP_FILE).is_file():
        raise ValueError(f"GROUP={str(group_dir)!r} is not allowed: not a sweep group (no {GROUP_FILE})")
    pid = queue_pid(group_dir)
    if pid is not None:
        raise RuntimeError(f"group {group_dir.name} has a live queue (pid {pid}); stop it before deleting")
    for entry in group_dir.iterdir():
        if entry.is_dir() and not entry.is_symlink() and process.has_live_process(read_status(entry)):
            raise RuntimeError(
                f"run {entry.name} of group {group_dir.name} is live; stop the group before deleting"
            )
    shutil.rmtree(group_dir)


def slurm_resubmit_hint(group: Group) -> str:
    left = [s.member.index for s in member_states(group) if s.state in RETRYABLE]
    if not left:
        return "every array task has run"
    return f"sbatch --array={','.join(map(str, left))} {group.dir / 'sweep.sbatch'}"


# ------------------------------------------------------------------------------------------ the queue
class _Stop:
    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> _Stop:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.event.set())
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # own session already; belt and braces
        return self


def _log(message: str) -> None:
    print(time.strftime("%Y-%m-%d %H:%M:%S ") + message, flush=True)


class Queue:
    def __init__(self, group: Group, *, retry_failed: bool = False, poll: float = POLL_S) -> None:
        self.group = group
        self.poll = poll
        self.devices: list[Device] = plan_devices(group.devices, group.per_device)
        self.module = os.environ.get("LRTUI_SWEEP_TRAINER") or process.TRAINER_MODULE
        previous = read_queue_state(group.dir)
        kept = previous.get("assigned") if previous.get("host") == this_host() else None
        self.assigned: dict[str, str] = {k: v for k, v in (kept or {}).items() if isinstance(v, str)}
        wanted = RETRYABLE + (("failed", "diverged") if retry_failed else ())
        self.pending = [s.member.index for s in member_states(group) if s.state in wanted]
        self.started = time.time()
        self.state = "running"
        self.message = ""
        self._beat = 0.0

    def write(self, force: bool = True) -> None:
        now = time.time()
        if not force and now - self._beat < HEARTBEAT_S:
            return
        self._beat = now
        write_queue_state(
            self.group.dir,
            {
                "state": self.state,
                "pid": os.getpid(),
                "host": this_host(),
                "started": self.started,
                "updated": now,
                "devices": [d.to_dict() for d in self.devices],
                "assigned": self.assigned,
                "pending": self.pending,
                "trainer": self.module,
                "message": self.message,
            },
        )

    def _free_device(self, live: set[str]) -> Device | None:
        used = {d.id: 0 for d in self.devices}
        for run in live:
            device = self.assigned.get(run)
            if device in used:
                used[device] += 1
        free = [(d.slots - used[d.id], -i, d) for i, d in enumerate(self.devices) if used[d.id] < d.slots]
        return max(free, key=lambda f: (f[0], f[1]))[2] if free else None

    def step(self) -> bool:
        """Launch what fits; return False once nothing is pending or live."""
        states = member_states(self.group)
        live = {s.member.run for s in states if s.state in LIVE}
        for index in list(self.pending):
            s = states[index]
            if s.state in LIVE or s.state == "finished":
                self.pending.remove(index)  # someone else resumed it, or it is done
                continue
            device = self._free_device(live)
            if device is None:
                break
            member = self.group.members[index]
            try:
                run_dir = member_dir(self.group, index)
                resume = (run_dir / CHECKPOINT).is_file()
                pid = process.launch(
                    run_dir, resume=resume, module=self.module, env=child_env(device, self.devices)
                )
            except (OSError, RuntimeError, ValueError) as err:
                _log(f"member {index} ({member.run}) not started: {err}")
                self.pending.remove(index)
                continue
            self.pending.remove(index)
            self.assigned[member.run] = device.id
            live.add(member.run)
            _log(f"{'resumed' if resume else 'started'} {member.run} on {device.id} (pid {pid})")
            self.write()
        self.write(force=False)
        return bool(self.pending or live)

    def stop_members(self) -> None:
        self.state = "stopping"
        self.write()
        signalled = []
        for s in member_states(self.group):
            if s.state in LIVE and _stop_verified(self.group.run_dir(s.member)):
                signalled.append(s.member.run)
        _log(f"stopping: SIGTERM to {len(signalled)} run(s) {', '.join(signalled)}")
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline:
            if not any(s.state in LIVE for s in member_states(self.group)):
                break
            time.sleep(0.1)

    def run(self, stop: _Stop) -> str:
        _log(
            f"queue pid {os.getpid()} for {self.group.id}: {len(self.pending)} pending on "
            + ", ".join(f"{d.id} x{d.slots}" for d in self.devices)
        )
        self.write()
        while not stop.event.is_set():
            if not self.step():
                self.state, self.message = "finished", "every run ended"
                break
            stop.event.wait(self.poll)
        if stop.event.is_set():
            self.stop_members()
            self.state, self.message = "stopped", "stopped on request"
        self.write()
        _log(f"queue {self.state}")
        return self.state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}", description="the detached queue of a sweep group"
    )
    parser.add_argument("group_dir")
    parser.add_argument("--retry-failed", action="store_true", help="also run failed/diverged members again")
    args = parser.parse_args(argv)
    stop = _Stop().install()
    try:
        group = read_group(args.group_dir)
    except GroupError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 2
    if group.launcher != "queue":
        print(
            f"error: group {group.id} runs as a SLURM job array, not a local queue",
            file=sys.stderr,
            flush=True,
        )
        return 2
    lock = GroupLock(group.dir)
    if not lock.acquire(wait=3.0):
        other = read_queue_state(group.dir).get("pid")
        print(
            f"error: another queue (pid {other}) holds {group.dir / QUEUE_LOCK}", file=sys.stderr, flush=True
        )
        return 3
    try:
        queue = Queue(group, retry_failed=args.retry_failed)
        state = queue.run(stop)
    except Exception as err:  # the queue must leave a readable state behind, whatever happened
        with contextlib.suppress(Exception):
            write_queue_state(
                group.dir,
                {
                    **read_queue_state(group.dir),
                    "state": "failed",
                    "updated": time.time(),
                    "message": f"{type(err).__name__}: {err}",
                },
            )
        raise
    finally:
        lock.release()
    return 0 if state in ("finished", "stopped") else 1


if __name__ == "__main__":
    raise SystemExit(main())
