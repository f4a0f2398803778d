"""What happens after a bug: one line on stderr, the full traceback in a log file, a non-zero exit.

A crash must never look like success (exit 0) nor bury the terminal under a traceback with locals: the
user gets one line naming the error and the log file to attach to a report. Logs go to the state dir,
`$XDG_STATE_HOME/lrtui` or `~/.local/state/lrtui` (created 0700: tracebacks can hold paths and values),
one file per crash (0600), the oldest pruned past `KEEP_LOGS`.

Stdlib only: the CLI uses it for failures outside the app too.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

EXIT_CRASH = 1  # 2 is bad input (a message naming the field); 1 is a bug in lrtui
KEEP_LOGS = 20

# Test hook: `LRTUI_FORCE_CRASH=1` makes the app raise from a key handler path after its first frame, so
# the crash path (terminal restored, exit status, log file) is tested through the real CLI. Inert unless set.
FORCE_CRASH_ENV = "LRTUI_FORCE_CRASH"


class ForcedCrash(RuntimeError):
    """Raised by the `LRTUI_FORCE_CRASH` test hook."""


def state_dir() -> Path:
    """Where lrtui keeps its logs: $XDG_STATE_HOME/lrtui, else ~/.local/state/lrtui."""
    base = os.environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "lrtui"


def write_crash_log(text: str, *, now: float | None = None) -> Path:
    """Write `text` to a new crash log in the state dir (0700 dir, 0600 file) and return its path."""
    directory = state_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    path = directory / f"crash-{stamp}-{os.getpid()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    _prune(directory)
    return path


def _prune(directory: Path) -> None:
    try:
        logs = sorted(directory.glob("crash-*.log"), key=lambda p: p.stat().st_mtime)
        for old in logs[:-KEEP_LOGS]:
            old.unlink()
    except OSError:
        pass  # pruning is housekeeping: never a reason to fail


def one_line(error: BaseException) -> str:
    """'ValueError: bad thing' on one line, at most ~200 characters."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= 200 else text[:199] + "…"


def report(summary: str, details: str) -> int:
    """Print the one-line crash report (with where the details went) and return the exit status."""
    from lrtui.runs.text import clean_text

    try:
        where = f"full traceback in {write_crash_log(details)}"
    except OSError as exc:  # no writable state dir: the traceback is better on stderr than lost
        sys.stderr.write(details if details.endswith("\n") else details + "\n")
        where = f"could not write the crash log ({exc.strerror or exc}); traceback above"
    sys.stderr.write(f"lrtui crashed: {clean_text(summary)} ({where})\n")
    return EXIT_CRASH


def report_exception(error: BaseException) -> int:
    """`report` for an exception caught outside the app (a CLI command)."""
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return report(one_line(error), details)
