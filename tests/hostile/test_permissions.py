"""Runs are private whatever the umask: runs dir and run dirs 0700, run files 0600; $LRTUI_FILE_MODE
chooses another mode (issue 10, bug 16). Checked on a real detached trainer run under umask 000."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lrtui.runs import list_runs, wait_state

from .conftest import one_line

pytestmark = pytest.mark.slow

TINY = [
    "--dataset", "synthetic", "--model", "lenet", "--epochs", "1", "--batch-size", "32",
    "--set", "synthetic_train_size=64", "--set", "synthetic_test_size=32", "--set", "num_threads=1",
]  # fmt: skip


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _lrtui_with_umask_000(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **(env or {})}, preexec_fn=lambda: os.umask(0),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("file_mode", "dir_mode", "env"), [(0o600, 0o700, {}), (0o640, 0o750, {"LRTUI_FILE_MODE": "640"})]
)
def test_a_trainer_run_is_private_under_umask_000(tmp_path, file_mode, dir_mode, env):
    runs = tmp_path / "new" / "runs"  # created by lrtui
    proc = _lrtui_with_umask_000("train", *TINY, "--runs-dir", str(runs), env=env)
    assert proc.returncode == 0, proc.stderr
    (summary,) = list_runs(runs)
    assert wait_state(summary.dir, ("finished", "failed", "lost"), 180) == "finished"
    assert _mode(runs) == dir_mode and _mode(summary.dir) == dir_mode
    files = {p.name: _mode(p) for p in summary.dir.iterdir()}
    assert set(files) >= {
        "config.json",
        "status.json",
        "metrics.jsonl",
        "stdout.log",
        "lock",
        "checkpoint.pt",
    }
    assert files == dict.fromkeys(files, file_mode), files


def test_an_existing_runs_dir_keeps_its_mode(tmp_path):
    runs = tmp_path / "shared"
    runs.mkdir()
    runs.chmod(0o755)
    code = f"from lrtui.runs import RunLogger\nwith RunLogger({{}}, runs_dir='{runs}') as log: log.step(0, lr=0.1)"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0),
    )
    assert proc.returncode == 0, proc.stderr
    (run,) = runs.iterdir()
    assert _mode(runs) == 0o755 and _mode(run) == 0o700
    assert {_mode(p) for p in run.iterdir()} == {0o600}


@pytest.mark.parametrize("bad", ["777", "644x", "0700", "200"])
def test_a_bad_file_mode_setting_is_refused(tmp_path, bad):
    proc = _lrtui_with_umask_000(
        "train", *TINY, "--runs-dir", str(tmp_path / "runs"), env={"LRTUI_FILE_MODE": bad}
    )
    assert proc.returncode == 2 and "LRTUI_FILE_MODE" in one_line(proc.stderr)
    assert not any((tmp_path / "runs").glob("*/config.json"))
