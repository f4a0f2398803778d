"""`lrtui plot` on curves that leave the float range, and on sizes out of range, through the real CLI.

Regression: each of these printed a plotext OverflowError traceback (or drew nothing useful).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def lrtui(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--log"],
        ["--compare", "StepLR(step_size=30)"],
        ["--width", "20", "--height", "6"],
        ["--width", "1000", "--height", "500"],
    ],
)
def test_a_schedule_that_overflows_is_drawn_marked_and_summarised(extra):
    out = lrtui("plot", "ExponentialLR(gamma=1.1)", "--steps", "10000", "--width", "100", *extra)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and out.stderr == ""
    assert "lr overflows to inf from step 7,4" in out.stdout
    if extra[:2] != ["--width", "20"]:  # 20 columns leave no room for a label
        assert "inf →" in out.stdout  # the red line's label


def test_values_at_the_float_limit_are_drawn_with_real_tick_labels():
    out = lrtui("plot", "StepLR(step_size=30)", "--lr", "1e308", "--width", "80", "--height", "20")
    assert out.returncode == 0, out.stderr
    assert "e308" in out.stdout and "e307" in out.stdout
    out = lrtui("plot", "StepLR(step_size=30)", "--lr", "1e308", "--csv")
    assert out.returncode == 0 and out.stdout.splitlines()[1] == "0,1e+308"


def test_inf_in_the_middle_is_named_with_its_extent():
    out = lrtui("plot", "LambdaLR(lr_lambda='1 / (k - 5)')", "--steps", "100", "--width", "80")
    assert out.returncode == 0, out.stderr
    assert "lr is inf at step 5" in out.stdout


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--width", "0"),
        ("--width", "-5"),
        ("--width", "19"),
        ("--width", "100000"),
        ("--height", "5"),
        ("--height", "501"),
    ],
)
def test_out_of_range_sizes_exit_2_with_one_line(flag, value):
    out = lrtui("plot", "StepLR(step_size=30)", flag, value)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and value in lines[0] and "allowed" in lines[0]
    assert out.stdout == ""
