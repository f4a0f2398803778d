"""A real terminal for tests: run a command on a pseudo-terminal of a given size, wait for text, send keys.

Textual draws with escape sequences; `screen_text()` drops them (and the line structure), which is enough to
wait for a word that the app draws in one style run ("finished", a run id, an axis label).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78MDEc]"
)


class Terminal:
    def __init__(self, argv: list[str], *, env: dict, cwd: str, cols: int = 100, rows: int = 30) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)},
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = bytearray()

    def _pump(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            self.output += chunk

    def screen_text(self) -> str:
        return _ESCAPES.sub(b"", bytes(self.output)).decode("utf-8", "replace")

    def wait_for(self, *words: str, timeout: float = 60.0) -> str:
        """Read until every word has been drawn; AssertionError (with what was drawn) on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._pump(0.2)
            text = self.screen_text()
            if all(w in text for w in words):
                return text
            if self.proc.poll() is not None:
                self._pump(0.2)
                break
        raise AssertionError(
            f"{words} not drawn (exit code {self.proc.poll()}); the terminal showed:\n{self.screen_text()[-3000:]}"
        )

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def wait_exit(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump(0.1)
        if self.proc.poll() is None:
            self.close()
            raise AssertionError(f"did not exit; the terminal showed:\n{self.screen_text()[-3000:]}")
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        with contextlib.suppress(OSError):
            os.close(self.master)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
