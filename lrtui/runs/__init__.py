"""The run-directory protocol (stdlib only): writing runs, reading and listing them, launching the trainer.

Format: docs/run-format.md (README "Run directory format").
"""

from lrtui.runs.listing import RunSummary, list_runs
from lrtui.runs.logger import RunLogger, create_run_dir, optimizer_lrs
from lrtui.runs.paths import default_runs_dir, new_run_id
from lrtui.runs.process import delete_run, has_live_process, launch, stop, wait_state
from lrtui.runs.reader import MetricsTail, Run, RunData, read_run
from lrtui.runs.status import effective_state, pid_alive, read_status

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
