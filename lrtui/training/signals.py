"""Stop signals (stdlib only, so the entry point installs them before importing torch).

SIGTERM and SIGINT set a flag that the training loop checks after each step: the step finishes, a
checkpoint is written, the run ends "stopped". A second SIGINT raises KeyboardInterrupt at once. SIGHUP is
ignored so a run started from an SSH session survives the connection dropping.
"""

from __future__ import annotations

import signal


class StopFlag:
    def __init__(self, *, escalate: bool = True) -> None:
        # escalate=False for a rank of a torchrun job: Ctrl-C reaches it twice (from the terminal and
        # forwarded by the agent), and a rank leaving alone would leave the others waiting anyway
        self.reason: str | None = None
        self.escalate = escalate

    def install(self) -> StopFlag:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
        return self

    def _handle(self, signum, _frame) -> None:
        if self.reason is not None and signum == signal.SIGINT and self.escalate:
            raise KeyboardInterrupt  # a second Ctrl-C means "now"
        self.reason = signal.Signals(signum).name

    def __bool__(self) -> bool:
        return self.reason is not None
