"""`lrtui sweep ... --emit-sbatch`: the group as a SLURM job array, one array task per member (stdlib only).

Every task runs the same command, `lrtui train --group GROUP --member $SLURM_ARRAY_TASK_ID --foreground`,
which trains member N of the group directory on the shared runs dir (its config comes from group.json, the
same contract as the local queue). A requeued or resubmitted task finds its run directory and resumes it
from its checkpoint, or exits 0 when it already finished. lrtui does no scheduling of its own on a cluster:
SLURM does it (`%N` limits how many tasks run at once; extra #SBATCH lines come from --sbatch-opt).
"""

from __future__ import annotations

import re
import shlex
import sys

from lrtui.sweep.group import Group

_OPTION = re.compile(r"^--?[A-Za-z][A-Za-z0-9-]*(=[^\n\r]*)?$")


def check_sbatch_option(option: str) -> str:
    """One `#SBATCH` option such as --partition=gpu; ValueError for anything else (no newlines, no shell)."""
    option = option.strip()
    if not _OPTION.match(option) or len(option) > 200:
        raise ValueError(
            f"--sbatch-opt {option[:60]!r} is not allowed: one sbatch option such as --partition=gpu or --time=02:00:00"
        )
    return option


def sbatch_script(
    group: Group,
    *,
    runs_dir: str,
    python: str = sys.executable,
    max_parallel: int | None = None,
    options: list[str] = (),
    gpus_per_task: int | None = 1,
) -> str:
    """The job array script (text) for `group`."""
    n = len(group.members)
    array = f"0-{n - 1}" + (f"%{max_parallel}" if max_parallel else "")
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name=lrtui-{group.name}"[:80],
        f"#SBATCH --array={array}",
        f"#SBATCH --output={group.dir}/slurm-%A_%a.log",
    ]
    if gpus_per_task:
        lines.append(f"#SBATCH --gres=gpu:{gpus_per_task}")
    lines += [f"#SBATCH {check_sbatch_option(o)}" for o in options]
    lines += [
        "#",
        f"# lrtui sweep {group.name}: {len(group.schedules)} schedules x {group.repeats} repeats = {n} runs,",
        "# one array task each; every task trains one member of the group directory below (shared storage):",
        f"#   {group.dir}",
        "# Resubmitting a task resumes its run from its checkpoint (or does nothing once it has finished).",
        "#",
        "# task  seed  schedule",
    ]
    for m in group.members:
        s = group.schedules[m.schedule]
        lr = f" (lr {s['lr']:g})" if isinstance(s.get("lr"), (int, float)) else ""
        label = group.schedule_label(m.schedule).replace("\n", " ")
        lines.append(f"# {m.index:>4}  {m.seed:>4}  {label}{lr}  -> {m.run}")
    command = [python, "-m", "lrtui", "train", "--runs-dir", runs_dir, "--group", group.id]
    lines += [
        "",
        "set -euo pipefail",
        "export PYTHONUNBUFFERED=1",
        "exec " + " ".join(shlex.quote(c) for c in command) + ' --member "$SLURM_ARRAY_TASK_ID" --foreground',
        "",
    ]
    return "\n".join(lines)
