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

from lrtui.runs.jsonio import write_json_atomic
from lrtui.runs.paths import CONFIG, STATUS, STDOUT
from lrtui.runs.status import LIVE_STATES, effective_state, pid_alive, read_status, this_host
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

    status.json gets state "starting" with the child's pid right away (unless the child already
    wrote its own status), so a trainer that dies before it starts logging shows as "lost".
    """
    run_dir = Path(run_dir).resolve()
    if not (run_dir / CONFIG).is_file():
        raise FileNotFoundError(f"run_dir={str(run_dir)!r} is not allowed: it has no {CONFIG}")
    status = read_status(run_dir)
    if has_live_process(status):
        raise RuntimeError(
            f"run {clean_name(run_dir.name)} is already {status.get('state')} (pid {status.get('pid')})"
        )
    cmd = [python, "-m", module, "--run-dir", str(run_dir)]
    if resume:
        cmd.append("--resume")
    proc = start_detached(cmd, cwd=run_dir, log=run_dir / STDOUT, env=env)
    now = time.time()
    current = read_status(run_dir)
    if current.get("pid") != proc.pid:  # the child has not written yet (it takes tens of ms to start)
        current = {k: v for k, v in current.items() if k != "problem"}
        current.update(state="starting", pid=proc.pid, host=this_host(), started=now, updated=now, error=None)
        write_json_atomic(run_dir / STATUS, current)
    return proc.pid


def start_detached(
    cmd: list[str], *, cwd: Path, log: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen:
    """Start `cmd` in its own session (no controlling terminal: an SSH hangup does not reach it), stdin
    /dev/null, stdout+stderr appended to `log`, no inherited descriptors. Used for trainers and sweep queues.
    """
    child_env = dict(os.environ if env is None else env)
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            close_fds=True,
            start_new_session=True,
        )
    # Reap the child when it exits so it does not linger as a zombie (which would look alive).
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc


def stop(run_dir: str | Path, timeout: float | None = None) -> bool:
    """Send SIGTERM to the run's live process on this host; return whether it was signalled.

    With `timeout`, also wait up to that many seconds for the process to exit; if it died without
    writing a final state (killed before its RunLogger was up), status.json is set to "stopped".
    """
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    pid = status.get("pid")
    if status.get("state") not in LIVE_STATES or status.get("host") != this_host():
        return False
    if not pid_alive(pid, status.get("started")):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    if timeout is not None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.02)
        after = read_status(run_dir)
        if not pid_alive(pid) and after.get("state") in LIVE_STATES and after.get("pid") == pid:
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
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run_dir={str(run_dir)!r} is not allowed: no such directory")
    if not ((run_dir / CONFIG).exists() or (run_dir / STATUS).exists()):
        raise ValueError(
            f"run_dir={str(run_dir)!r} is not allowed: not a run directory (no {CONFIG}/{STATUS})"
        )
    status = read_status(run_dir)
    if has_live_process(status):
        raise RuntimeError(
            f"run {clean_name(run_dir.name)} is {status.get('state')} (pid {status.get('pid')}); stop it before deleting"
        )
    shutil.rmtree(run_dir)
