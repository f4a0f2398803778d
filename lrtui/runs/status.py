"""Reading status.json and deriving the state a run is really in ("lost" is never written)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

from lrtui.runs import identity
from lrtui.runs.jsonio import finite_number, read_json_file
from lrtui.runs.paths import STATUS

STATES = ("queued", "starting", "running", "finished", "stopped", "failed", "diverged", "lost", "unreadable")
LIVE_STATES = ("starting", "running")
# What a live torchrun job may be shown as besides running (derived from its ranks' heartbeats, never
# written: lrtui.runs.ranks.job_view); both still have live processes.
JOB_STATES = ("degraded", "hung")
SHOWN_LIVE_STATES = (*LIVE_STATES, *JOB_STATES)
TERMINAL_STATES = ("finished", "stopped", "failed", "diverged")

# A run on another host whose status has not been updated for this long is presumed lost.
# Writers refresh status.json at least every HEARTBEAT_S while running.
LOST_AFTER_S = 600.0
# A writer releases its run's lock just after it writes its final state (a torchrun agent once its ranks
# have exited): a start in that gap waits this long for it rather than failing "already being trained".
FINISHING_WAIT_S = 10.0
HEARTBEAT_S = 5.0

_HOST = socket.gethostname()


def this_host() -> str:
    return _HOST


def read_status(run_dir: Path) -> dict[str, Any]:
    """status.json as a dict; never raises.

    Missing file -> {}. Unreadable (special file, symlink, too large, malformed, not an object) ->
    {"state": "unreadable", "problem": "<why>"}.
    """
    data, problem = read_json_file(Path(run_dir) / STATUS)
    if problem is not None:
        if data is None and problem.endswith("is missing"):
            return {}
        return {"state": "unreadable", "problem": problem}
    if not isinstance(data, dict):
        return {"state": "unreadable", "problem": f"{STATUS} holds a {type(data).__name__}, not an object"}
    return data


def _process_start_time(pid: int) -> float | None:
    """Unix time the process started (Linux /proc), or None where that cannot be known."""
    ticks = identity.start_ticks(pid)
    if ticks is None:
        return None
    try:
        with open("/proc/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime "):
                    return int(line.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    return None


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] in (b"Z", b"X")
    except (OSError, ValueError):
        return False


def pid_alive(pid: Any, started: Any = None, process: Any = None) -> bool:
    """Whether process `pid` exists on this host (and is not a zombie).

    `process` (the identity a writer records, see identity.py) decides when it is usable: another
    process holding the pid now means not alive. Else, if `started` (unix time the process took over
    the run) is given and the process is known to have started clearly after it, the pid was reused.
    """
    if not identity.valid_pid(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    except (OSError, OverflowError):
        return False
    if _is_zombie(pid):
        return False
    same = identity.matches(pid, process)
    if same is not None:
        return same
    if isinstance(started, (int, float)):
        began = _process_start_time(pid)
        if began is not None and began > started + 5.0:
            return False
    return True


def finishing_wait(run_dir: Path) -> float:
    """How long a new writer may wait for the run's lock: FINISHING_WAIT_S when status.json already says
    the last writer ended, else 0 (a live run's lock is not waited for)."""
    return FINISHING_WAIT_S if read_status(run_dir).get("state") in TERMINAL_STATES else 0.0


def effective_state(status: dict[str, Any], now: float | None = None) -> str:
    """The state to show: status["state"], or "lost" when a live-looking run has no live writer.

    Lost = state starting/running and either (same host and the pid is gone / reused) or (another
    host, or no pid, and no update for LOST_AFTER_S).
    """
    state = status.get("state")
    if not isinstance(state, str) or not state:
        return "unknown"
    if state not in LIVE_STATES:
        return state
    now = time.time() if now is None else now
    updated = finite_number(status.get("updated"))
    stale = updated is not None and now - updated > LOST_AFTER_S
    pid = status.get("pid")
    if status.get("host") == _HOST and isinstance(pid, int):
        return (
            state if pid_alive(pid, finite_number(status.get("started")), status.get("process")) else "lost"
        )
    return "lost" if stale else state
