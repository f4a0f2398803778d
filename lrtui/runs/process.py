"""Starting, stopping and deleting trainer processes. The UI talks to a run only through its directory.

The trainer runs detached: its own session (no controlling terminal, so an SSH hangup does not
reach it), stdin from /dev/null, output appended to stdout.log. It outlives the app.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from lrtui.runs import identity, lock
from lrtui.runs.files import open_append
from lrtui.runs.jsonio import write_json_atomic
from lrtui.runs.paths import CONFIG, STATUS, STDOUT
from lrtui.runs.status import LIVE_STATES, effective_state, finishing_wait, pid_alive, read_status, this_host
from lrtui.runs.text import clean_name

TRAINER_MODULE = "lrtui.training"


def has_live_process(status: dict) -> bool:
    """A writer process is (presumably) alive: live state, a pid, and not lost.

    A run made by create_run_dir but never launched ("starting", no pid) has none.
    """
    return effective_state(status) in LIVE_STATES and isinstance(status.get("pid"), int)


def launch(
    run_dir: str | Path,
    *,
    python: str = sys.executable,
    resume: bool = False,
    module: str = TRAINER_MODULE,
    env: Mapping[str, str] | None = None,
) -> int:
    """Start `python -m <module> --run-dir DIR [--resume]` detached; return its pid.

    The run's lock is taken first (RunLocked if another process trains it: nothing is started or
    written) and handed to the child, which holds it for its life. status.json gets state "starting"
    with the child's pid and identity right away (unless the child already wrote its own status), so
    a trainer that dies before it starts logging shows as "lost".
    """
    run_dir = Path(run_dir).resolve()
    if not (run_dir / CONFIG).is_file():
        raise FileNotFoundError(f"run {clean_name(run_dir.name)} has no {CONFIG}: not a run directory")
    # the trainer's pid goes in once it has one; a writer that just ended may still be releasing it
    wait = finishing_wait(run_dir)
    ending = read_status(run_dir).get("pid") if wait else None  # only that writer's exit is waited for
    lock_fd = lock.acquire(
        run_dir, record_pid=False, wait_s=wait, wait_for=ending if isinstance(ending, int) else None
    )
    try:
        status = read_status(run_dir)
        if has_live_process(status):
            raise RuntimeError(
                f"run {clean_name(run_dir.name)} is already {status.get('state')} (pid {status.get('pid')})"
            )
        cmd = [python, "-m", module, "--run-dir", str(run_dir)]
        if resume:
            cmd.append("--resume")
        child_env = dict(os.environ if env is None else env)
        child_env[lock.LOCK_FD_ENV] = str(lock_fd)
        proc = start_detached(cmd, cwd=run_dir, log=run_dir / STDOUT, env=child_env, pass_fds=(lock_fd,))
        try:
            lock.write_pid(lock_fd, proc.pid)
            now = time.time()
            current = read_status(run_dir)
            if current.get("pid") != proc.pid:  # the child has not written yet (it takes tens of ms)
                current = {k: v for k, v in current.items() if k != "problem"}
                current.update(state="starting", pid=proc.pid, host=this_host(), started=now, updated=now)
                current.update(error=None, process=identity.identity_of_started(proc.pid))
                write_json_atomic(run_dir / STATUS, current)
        except BaseException:  # e.g. a full disk: no trainer left running unrecorded
            proc.kill()
            proc.wait()
            raise
    finally:
        os.close(lock_fd)  # the child holds the lock from here on
    return proc.pid


def start_detached(
    cmd: list[str],
    *,
    cwd: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> subprocess.Popen:
    """Start `cmd` in its own session (no controlling terminal: an SSH hangup does not reach it), stdin
    /dev/null, stdout+stderr appended to `log` (created with the run file mode, never through a symlink),
    no inherited descriptors but `pass_fds` (the run's lock). Used for trainers and sweep queues.
    """
    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    out = open_append(log)
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            close_fds=True,
            pass_fds=pass_fds,
            start_new_session=True,
        )
    finally:
        os.close(out)
    # Reap the child when it exits so it does not linger as a zombie (which would look alive).
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc


class StopRefused(RuntimeError):
    """The pid in status.json cannot be shown to be this run's writer: nothing was signalled."""


def stop(run_dir: str | Path, timeout: float | None = None) -> bool:
    """Send SIGTERM to the run's writer on this host; return whether it was signalled.

    False when there is nothing to stop (not live, another host, the process is gone). StopRefused
    when a live process has the pid but is not the one status.json recorded (pid reused, or a file
    naming an arbitrary pid), or when nothing recorded lets it be checked. With `timeout`, also wait
    up to that many seconds for the exit; if it died without writing a final state (killed before its
    RunLogger was up), status.json is set to "stopped".
    """
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    from lrtui.runs.distributed import is_job, settle_stop, stop_job

    if is_job(status) and status.get("state") in LIVE_STATES:  # a torchrun job: its agent, verified
        outcome = stop_job(run_dir)
        if timeout is not None:
            settle_stop(run_dir, outcome.signalled, timeout)
        return bool(outcome.signalled or outcome.requested)
    pid = status.get("pid")
    if status.get("state") not in LIVE_STATES or status.get("host") != this_host():
        return False
    if not identity.valid_pid(pid) or not pid_alive(pid):
        return False
    recorded = status.get("process")
    verdict = identity.matches(pid, recorded)
    name = clean_name(run_dir.name)
    if verdict is None:
        raise StopRefused(
            f"run {name}: cannot check that pid {pid} is its trainer (status.json records no process "
            "identity: an older lrtui, or no /proc here); not signalled. Check it and `kill` it yourself"
        )
    if not verdict:
        raise StopRefused(
            f"run {name}: pid {pid} is now another process (its command line or start time differ from "
            "the trainer's); not signalled. The trainer is gone: the run shows as lost"
        )
    if not identity.signal_verified(pid, recorded, signal.SIGTERM):
        return False
    if timeout is not None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(pid, process=recorded):
            time.sleep(0.02)
        after = read_status(run_dir)
        if (
            not pid_alive(pid, process=recorded)
            and after.get("state") in LIVE_STATES
            and after.get("pid") == pid
        ):
            after = {k: v for k, v in after.items() if k != "problem"}
            after.update(
                state="stopped", updated=time.time(), message="stopped before it wrote a final state"
            )
            write_json_atomic(run_dir / STATUS, after)
    return True


def wait_state(run_dir: str | Path, states: Iterable[str] | str, timeout: float) -> str:
    """Poll until the effective state is one of `states`; return it. TimeoutError after `timeout`."""
    wanted = {states} if isinstance(states, str) else set(states)
    deadline = time.monotonic() + timeout
    while True:
        state = effective_state(read_status(run_dir)) if read_status(run_dir) else "unknown"
        if state in wanted:
            return state
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"run {clean_name(Path(run_dir).name)} is {state!r}, not one of {sorted(wanted)} after {timeout}s"
            )
        time.sleep(0.02)


def delete_run(run_dir: str | Path) -> None:
    """Remove a run directory. Refuses a run whose process is alive (stop it first)."""
    run_dir = Path(run_dir)
    if run_dir.is_symlink() or not run_dir.is_dir():
        raise FileNotFoundError(f"run {clean_name(run_dir.name)} is not a directory")
    if not ((run_dir / CONFIG).exists() or (run_dir / STATUS).exists()):
        raise ValueError(f"{clean_name(run_dir.name)} is not a run directory (no {CONFIG}/{STATUS})")
    try:
        lock_fd = lock.acquire(run_dir)
    except lock.RunLocked as exc:
        raise lock.RunLocked(run_dir, exc.pid, "stop it before deleting") from None
    try:
        status = read_status(run_dir)
        if has_live_process(status):
            raise RuntimeError(
                f"run {clean_name(run_dir.name)} is {status.get('state')} (pid {status.get('pid')}); "
                "stop it before deleting"
            )
        shutil.rmtree(run_dir)  # never follows symlinks inside the run
    finally:
        os.close(lock_fd)
