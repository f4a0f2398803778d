"""What every lrtui Textual app shares: data-safe notifications and the crash report.

- Notifications never parse markup and never carry control characters: their text is often built from
  run files, specs and exception messages (`[/]`, `[30, 60]` or an escape sequence must show as typed).
- An unhandled exception ends the app with a non-zero status, the terminal restored by Textual, and one
  line on stderr naming the error and the log file that holds the full traceback (`lrtui.crash`), instead
  of Textual's screenful of traceback with locals and an exit status of 0 from `lrtui`.
"""

from __future__ import annotations

import io
import os
import traceback

from rich.console import Console
from textual import events
from textual.app import App
from textual.notifications import SeverityLevel

from lrtui import crash
from lrtui.runs.text import clean_text


class LrtuiBaseApp(App):
    """Base class of lrtui's apps (the main app, `lrtui runs`, `lrtui watch` alone)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.crash: BaseException | None = None  # the first unhandled exception, if any
        # Textual prints a crash's traceback to `error_console` after restoring the terminal: keep it for
        # the log file instead of the user's terminal.
        self._crash_buffer = io.StringIO()
        self.error_console = Console(
            file=self._crash_buffer, width=120, markup=False, highlight=False, color_system=None
        )

    def on_mount(self) -> None:
        if os.environ.get(crash.FORCE_CRASH_ENV):  # after the first frame, from a timer: an ordinary bug
            self.call_after_refresh(self.set_timer, 1.0, _forced_crash)

    def on_resize(self, event: events.Resize) -> None:
        # Textual lays out and draws whole a screen whose size changes. But a terminal resized away and
        # back before the screen was laid out at the other size (a window dragged fast, a resize while
        # typing) has clipped or reflowed what it showed, while the screen, still at this size, redraws only
        # what changed: the spec field's text stayed blank. For that Resize only, a full repaint (a Screen
        # refreshed whole is a full update, not a partial one). Compared with the screen's size, not the
        # app's: the app takes the other size at once, the screen only when its Resize comes. Not after
        # every Resize: with repaints queued behind a burst of them (tmux resize-window in a loop) the app
        # never caught up (100% CPU for minutes, the screen stuck at a size long gone).
        stack = self.screen_stack
        if stack and event.size == stack[-1].outer_size:
            self.call_after_refresh(self.refresh)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        # `markup` is ignored on purpose (Widget.notify always passes True): lrtui's messages are plain.
        super().notify(
            clean_text(message, newlines=True),
            title=clean_text(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _handle_exception(self, error: Exception) -> None:
        # Textual's one hook for unhandled exceptions (private; covered by tests/app/test_crash.py).
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)

    def crash_details(self) -> str:
        """The crash's plain traceback, then Textual's rendering of it (with locals)."""
        if self.crash is None:
            return ""
        plain = "".join(traceback.format_exception(type(self.crash), self.crash, self.crash.__traceback__))
        return f"{plain}\n{self._crash_buffer.getvalue()}"

    def run_reporting(self) -> int:
        """Run the app; the exit status (0, or `crash.EXIT_CRASH` after a one-line report)."""
        self.run()
        if self.crash is not None:
            return crash.report(crash.one_line(self.crash), self.crash_details())
        # Any other failure Textual reported (a CSS error at start-up) also ends non-zero, its text kept.
        if self.return_code:
            leftover = self._crash_buffer.getvalue().strip()
            return crash.report(leftover.splitlines()[-1] if leftover else "the app failed", leftover)
        return 0


def _forced_crash() -> None:
    raise crash.ForcedCrash(f"forced by {crash.FORCE_CRASH_ENV} (a test hook)")
