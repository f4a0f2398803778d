"""Output piped into a reader that leaves early (`lrtui sweep --dry-run | head`) ends lrtui quietly, as a
Unix tool killed by SIGPIPE ends: status 141, nothing on stderr (no traceback, no "Exception ignored", no
crash report), whichever command was writing. Real pipes, the real CLI in a subprocess."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from lrtui.cli import EXIT_CLOSED_PIPE


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LRTUI_RUNS_DIR": str(tmp_path / "runs"),
        "XDG_STATE_HOME": str(tmp_path / "state"),  # a crash report would land here
    }


@pytest.mark.parametrize(
    "args",
    [
        ["sweep", "--dry-run", "--preset", "seed001"],
        ["plot", "StepLR(step_size=3)", "--csv"],
        ["runs", "--json"],
    ],
    ids=["sweep-dry-run", "plot-csv", "runs"],
)
def test_a_pipe_whose_reader_is_gone_ends_the_command_quietly(tmp_path, args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader left before the first byte: every write fails (EPIPE)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lrtui", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == EXIT_CLOSED_PIPE
    assert not (tmp_path / "state").exists()  # not reported as a crash


def test_sweep_dry_run_piped_into_head_prints_its_first_lines_and_no_traceback(tmp_path):
    # 2,800 lines (~140 kB, printed line by line) are more than twice what a pipe holds: lrtui is still
    # printing when head has its two lines and exits.
    lrtui = shlex.join(
        [sys.executable, "-m", "lrtui", "sweep", "--dry-run", "--preset", "seed001", "--repeats", "400"]
    )
    err = tmp_path / "stderr.txt"
    script = f'{lrtui} 2>{shlex.quote(str(err))} | head -n 2; echo "status=${{PIPESTATUS[0]}}"'
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=_env(tmp_path), timeout=300
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith("sweep seed001: 7 schedules x 400 repeats"), lines
    assert lines[2] == f"status={EXIT_CLOSED_PIPE}"
    assert err.read_text() == ""
    assert not (tmp_path / "state").exists()
