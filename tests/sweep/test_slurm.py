"""`lrtui sweep --emit-sbatch`: the SLURM job array script, and one of its array tasks run for real (bash)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lrtui.cli import main
from lrtui.runs import read_run
from lrtui.sweep.group import read_group
from lrtui.sweep.listing import find_group
from lrtui.sweep.queue import group_status

TINY = ["--dataset", "synthetic", "--model", "lenet", "--epochs", "1", "--batch-size", "32",
        "--set", "synthetic_train_size=128", "--set", "synthetic_test_size=32", "--set", "num_threads=1"]  # fmt: skip


def _emit(tmp_path, capsys, *extra: str) -> tuple[str, str]:
    argv = ["sweep", "--schedule", "StepLR(step_size=1, gamma=0.5)", "--schedule", "seed001-exponentiallr",
            "--repeats", "2", *TINY, "--emit-sbatch", "--runs-dir", str(tmp_path / "runs"), *extra]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr()
    return out.out, out.err


def test_the_job_array_script(tmp_path, capsys):
    script, err = _emit(tmp_path, capsys, "--max-parallel", "3", "--sbatch-opt=--partition=gpu")
    group = read_group(find_group("last", tmp_path / "runs"))
    assert (group.dir / "sweep.sbatch").read_text() == script and "sbatch " in err
    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash"
    sbatch = [line for line in lines if line.startswith("#SBATCH")]
    # every #SBATCH line comes before the first command (sbatch stops reading them there)
    assert max(lines.index(s) for s in sbatch) < lines.index("set -euo pipefail")
    assert "#SBATCH --array=0-3%3" in sbatch and "#SBATCH --gres=gpu:1" in sbatch
    assert "#SBATCH --partition=gpu" in sbatch and f"#SBATCH --output={group.dir}/slurm-%A_%a.log" in sbatch
    assert "#    3     1  exponentiallr (lr 0.04)  -> s1-exponentiallr-r1" in lines
    assert lines[-1].startswith("exec ") and lines[-1].endswith(
        f'train --runs-dir {tmp_path / "runs"} --group {group.id} --member "$SLURM_ARRAY_TASK_ID" --foreground'
    )
    assert not (group.dir / "queue.json").exists()  # no local queue for a SLURM group
    assert group_status(group).state == "queued"


@pytest.mark.parametrize("option", ["--partition=gpu\n#SBATCH --uid=0", "; rm -rf ~", "partition=gpu"])
def test_sbatch_options_are_checked(tmp_path, capsys, option):
    argv = ["sweep", "--schedule", "StepLR(step_size=1)", *TINY, "--emit-sbatch", f"--sbatch-opt={option}",
            "--runs-dir", str(tmp_path)]  # fmt: skip
    assert main(argv) == 2
    assert "--sbatch-opt" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_an_array_task_trains_its_member_and_a_rerun_does_nothing(tmp_path, capsys):
    script, _err = _emit(tmp_path, capsys, "--device", "cpu")
    assert "--gres" not in script  # a CPU sweep asks for no GPU
    group = read_group(find_group("last", tmp_path / "runs"))
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "1"}
    done = subprocess.run(
        ["bash", str(group.dir / "sweep.sbatch")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    run = read_run(group.dir / group.members[1].run)
    assert run.state == "finished" and run.config["group"]["member"] == 1
    assert (
        run.config["optimizer"]["lr"] == 0.04
        and run.config["schedule"]["spec"] == "ExponentialLR(gamma=0.885)"
    )
    again = subprocess.run(
        ["bash", str(group.dir / "sweep.sbatch")], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0 and "already finished" in again.stdout
    status = group_status(group)
    assert status.state == "queued" and status.progress.done == 1 and status.progress.queued == 3
    assert main(["sweep", "resume", group.id, "--runs-dir", str(tmp_path / "runs")]) == 2
    assert f"sbatch --array=0,2,3 {group.dir / 'sweep.sbatch'}" in capsys.readouterr().err
    assert sys.executable in script  # the same Python (and lrtui) as the one that wrote the script
