"""The run-directory protocol (stdlib only): writing runs, reading and listing them, launching the trainer.

Format: docs/run-format.md (README "Run directory format").

The names below load on first use: the app imports `lrtui.runs.text` before its first frame, and importing
the package must not pull in the listing, logger, ranks and process modules the preview never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from lrtui.runs.listing import RunSummary, list_runs
    from lrtui.runs.logger import RunLogger, create_run_dir, optimizer_lrs
    from lrtui.runs.paths import default_runs_dir, new_run_id
    from lrtui.runs.process import delete_run, has_live_process, launch, stop, wait_state
    from lrtui.runs.reader import MetricsTail, Run, RunData, read_run
    from lrtui.runs.status import effective_state, pid_alive, read_status

_EXPORTS = {
    "RunSummary": "listing",
    "list_runs": "listing",
    "RunLogger": "logger",
    "create_run_dir": "logger",
    "optimizer_lrs": "logger",
    "default_runs_dir": "paths",
    "new_run_id": "paths",
    "delete_run": "process",
    "has_live_process": "process",
    "launch": "process",
    "stop": "process",
    "wait_state": "process",
    "MetricsTail": "reader",
    "Run": "reader",
    "RunData": "reader",
    "read_run": "reader",
    "effective_state": "status",
    "pid_alive": "status",
    "read_status": "status",
}

__all__ = [
    "MetricsTail",
    "Run",
    "RunData",
    "RunLogger",
    "RunSummary",
    "create_run_dir",
    "default_runs_dir",
    "delete_run",
    "effective_state",
    "has_live_process",
    "launch",
    "list_runs",
    "new_run_id",
    "optimizer_lrs",
    "pid_alive",
    "read_run",
    "read_status",
    "stop",
    "wait_state",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:  # also how `from lrtui.runs import process` finds the submodule instead
        raise AttributeError(f"module 'lrtui.runs' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"lrtui.runs.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
