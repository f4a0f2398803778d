"""Leaving a run screen the same way wherever it was opened from (pushed, a mode of the app, or alone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def go_back(screen: Any, quit_app: bool = False) -> None:
    """Pop `screen`; as the base screen of a mode, switch to the app's default mode; else quit the app."""
    app = screen.app
    if quit_app:
        app.exit()
    elif len(app.screen_stack) > 1:
        app.pop_screen()
    elif getattr(app, "current_mode", None) not in (None, getattr(app, "DEFAULT_MODE", None)):
        app.switch_mode(app.DEFAULT_MODE)
    else:
        app.exit()


def app_runs_dir(screen: Any, given: str | Path | None) -> Path:
    """The runs dir a screen was given, else the app's `runs_dir` attribute, else the default location."""
    from lrtui.runs.paths import default_runs_dir

    if given is None:
        given = getattr(screen.app, "runs_dir", None)
    return Path(given).expanduser() if given else default_runs_dir()
