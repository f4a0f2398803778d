"""SLURM batch scripts (stdlib only): `lrtui sweep ... --emit-sbatch` (the group as a job array, one array task
per member) and `lrtui train ... --emit-sbatch` (one distributed job on N nodes, `training_sbatch`).

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
from pathlib import Path

from lrtui.runs.distributed import DEFAULT_PORT, LaunchSpec, trainer_command
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


def training_sbatch(
    run_dir: str | Path,
    spec: LaunchSpec,
    *,
    python: str = sys.executable,
    options: list[str] = (),
    gpus: bool = True,
    port: int = DEFAULT_PORT,
) -> str:
    """A SLURM batch script that runs the job's torchrun command on `spec.nnodes` nodes (one agent each).

    The run directory must be on storage every node (and the login node) shares. The command is the one
    `lrtui train` runs locally, with c10d rendezvous at the first node of the allocation and the SLURM job
    id as rendezvous id; `--auto-resume` makes a resubmitted or requeued job continue from the checkpoint.
    """
    run_dir = Path(run_dir).resolve()
    cluster = LaunchSpec(
        nproc_per_node=spec.nproc_per_node,
        nnodes=spec.nnodes,
        rdzv_endpoint=f"$head:{port}",
        rdzv_id="$SLURM_JOB_ID",
        backend=spec.backend,
        max_restarts=spec.max_restarts,
    )
    cmd = trainer_command(run_dir, cluster, python=python, resume="auto")
    quoted = " ".join(a if "$" in a else shlex.quote(a) for a in cmd)
    quoted = quoted.replace("--rdzv-endpoint=$head", '--rdzv-endpoint="$head"')
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name=lrtui-{run_dir.name}"[:80],
        f"#SBATCH --nodes={spec.nnodes}",
        "#SBATCH --ntasks-per-node=1",
        f"#SBATCH --output={run_dir}/slurm-%j.log",
        "#SBATCH --signal=TERM@120",
    ]
    if gpus:
        lines.append(f"#SBATCH --gpus-per-node={spec.nproc_per_node}")
    lines += [f"#SBATCH {check_sbatch_option(o)}" for o in options]
    lines += [
        "#",
        f"# lrtui run {run_dir.name}: {spec.nnodes} node(s) x {spec.nproc_per_node} rank(s) = world size "
        f"{spec.world_size}, one torchrun agent per node.",
        "# The run directory must be on shared storage (every node writes ranks/ there; `lrtui watch` on the",
        "# login node follows it):",
        f"#   {run_dir}",
        "# --signal=TERM@120: SLURM sends SIGTERM 2 minutes before the time limit; the job stops cleanly",
        "# (one checkpoint) and `sbatch` of this same script resumes it. `scancel` stops it the same way.",
        "",
        "set -euo pipefail",
        'head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
        "export PYTHONUNBUFFERED=1",
        f"srun --kill-on-bad-exit=1 {quoted}",
        "",
    ]
    return "\n".join(lines)
