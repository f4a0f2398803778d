"""`python -m lrtui` in a pseudo-terminal: what a real terminal sends it (keys, SIGWINCH) and what it writes."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ESCAPES = re.compile(r"\x1b\[[0-9;?<>$]*[a-zA-Z]|\x1b\][^\x07]*\x07")


def strip_escapes(text: str) -> str:
    return ESCAPES.sub("", text)


class PtyApp:
    def __init__(self, args: list[str], env: dict[str, str], size: tuple[int, int] = (100, 30)) -> None:
        self.controller, terminal = pty.openpty()
        self.set_size(*size)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lrtui", *args],
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=env,
            cwd=ROOT,
            close_fds=True,
            start_new_session=True,
        )
        os.close(terminal)
        self.output = ""
        self._closed = False

    def set_size(self, columns: int, rows: int) -> None:
        fcntl.ioctl(self.controller, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def resize(self, columns: int, rows: int) -> None:
        """What a terminal does when its window changes: set the size, then SIGWINCH."""
        self.set_size(columns, rows)
        os.killpg(self.proc.pid, signal.SIGWINCH)

    def send(self, data: bytes) -> None:
        os.write(self.controller, data)

    def read(self, seconds: float) -> str:
        """Everything written in the next `seconds` (less if the app exits)."""
        start = len(self.output)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._closed:
            ready, _, _ = select.select([self.controller], [], [], 0.1)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(self.controller, 65536)
            except OSError:  # the child closed the terminal
                self._closed = True
                break
            if not data:
                self._closed = True
                break
            self.output += data.decode("utf-8", "replace")
        return self.output[start:]

    def read_until(self, predicate, timeout: float = 60.0, what: str = "output") -> None:
        deadline = time.monotonic() + timeout
        while not predicate(strip_escapes(self.output)):
            if time.monotonic() > deadline or (self._closed and self.proc.poll() is not None):
                raise AssertionError(
                    f"no {what} within {timeout}s; got {strip_escapes(self.output)[-500:]!r}"
                )
            self.read(0.2)

    def wait(self, timeout: float = 60.0) -> int:
        """Read until the app exits; its exit status."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None or not self._closed:
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"lrtui did not exit within {timeout}s")
            self.read(0.2)
            if self.proc.poll() is not None and not select.select([self.controller], [], [], 0)[0]:
                break
        return self.proc.wait(timeout=10)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def close(self) -> None:
        self.kill()
        os.close(self.controller)


def pty_env(tmp_path: Path) -> dict[str, str]:
    """The environment for a pty run: this checkout, private state and runs dirs, no size overrides."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        XDG_STATE_HOME=str(tmp_path / "state"),
        LRTUI_RUNS_DIR=str(tmp_path / "runs"),
        TERM="xterm-256color",
    )
    for name in ("LRTUI_FORCE_CRASH", "COLUMNS", "LINES"):  # the size comes from the pty
        env.pop(name, None)
    return env
