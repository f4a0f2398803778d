"""`lrtui plot | lint | export`: the real console entry (subprocess) for a few cases, in-process for the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lrtui.cli import main
from lrtui.schedules import planned_lrs


def _run(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *argv], capture_output=True, text=True, timeout=120, env=env
    )


def test_plot_subprocess_draws_and_summarises():
    r = _run(
        "plot",
        "get_cosine_schedule_with_warmup(num_warmup_steps=10, num_training_steps=100)",
        "--steps",
        "100",
        "--width",
        "80",
        "--height",
        "16",
    )
    assert r.returncode == 0, r.stderr
    assert "start 0 · peak 0.1 at step 10 · end" in r.stdout and "warmup end 10" in r.stdout
    assert "lints:" in r.stdout
    assert len(r.stdout.splitlines()) >= 16


def test_bad_spec_exits_2_with_one_line():
    r = _run("plot", "StepLR(step_size=0)")
    assert r.returncode == 2
    assert r.stderr.startswith("lrtui: StepLR.step_size=0 is not allowed: must be a nonzero integer")
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stdout == ""


def test_csv_subprocess_is_only_csv():
    r = _run("plot", "StepLR(step_size=2, gamma=0.5)", "--steps", "4", "--lr", "0.1,0.01", "--csv")
    assert r.returncode == 0
    assert r.stdout == "step,lr,lr_g1\n0,0.1,0.01\n1,0.1,0.01\n2,0.05,0.005\n3,0.05,0.005\n"


def test_lint_exit_codes(capsys):
    assert main(["lint", "CosineAnnealingLR(T_max=100)", "--steps", "100"]) == 0
    assert "no problems found" in capsys.readouterr().out
    assert main(["lint", 'LambdaLR(lr_lambda="1 / k")', "--steps", "10"]) == 1
    out = capsys.readouterr().out
    assert "error: non_finite" in out and "fix:" in out
    assert main(["lint", "CosineAnnealingLR(T_max=20)", "--steps", "100"]) == 0  # warnings only
    assert "cosine_rises_after_t_max" in capsys.readouterr().out
    assert main(["lint", "Nope(1)"]) == 2
    assert "unknown schedule 'Nope'" in capsys.readouterr().err


def test_plot_options(capsys, tmp_path):
    assert (
        main(
            [
                "plot",
                "StepLR(step_size=3)",
                "--epochs",
                "4",
                "--steps-per-epoch",
                "5",
                "--stepping",
                "epoch",
                "--csv",
            ]
        )
        == 0
    )
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 21
    want = planned_lrs("StepLR(step_size=3)", [0.1], total_steps=20, steps_per_epoch=5, stepping="epoch")[0]
    np.testing.assert_array_equal([float(r.split(",")[1]) for r in rows[1:]], want)

    assert main(["plot", "StepLR(step_size=3)", "--lr", "0.1", "--lr", "0.2", "--steps", "5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["columns"]) == {"lr", "lr_g1"} and data["steps"] == 5

    assert (
        main(
            [
                "plot",
                "ExponentialLR(gamma=0.9)",
                "--steps",
                "60",
                "--log",
                "--width",
                "70",
                "--height",
                "14",
                "--compare",
                "StepLR(step_size=20)",
                "--compare",
                "CosineAnnealingLR(T_max=60)",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "vs StepLR(step_size=20)" in out and "vs CosineAnnealingLR(T_max=60)" in out

    plan = tmp_path / "plan.toml"
    plan.write_text('schedule = "CosineAnnealingLR(T_max=10)"\nlr = 0.5\nsteps = 10\n')
    assert main(["plot", str(plan), "--csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 11 and rows[1] == "0,0.5"
    assert main(["plot", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["plot", "StepLR(3)", "--lr", "abc"]) == 2
    assert "--lr" in capsys.readouterr().err


def test_plot_list_groups_by_library(capsys):
    assert main(["plot", "--list"]) == 0
    out = capsys.readouterr().out
    sections = {block.splitlines()[0]: block for block in out.split("\n\n")}
    assert "StepLR" in sections["torch (torch.optim.lr_scheduler)"]
    assert "get_cosine_schedule_with_warmup" in sections["transformers (transformers)"]
    assert "CosineLRScheduler" in sections["timm (timm.scheduler)"]
    assert list(sections)[:3] == [
        "torch (torch.optim.lr_scheduler)",
        "transformers (transformers)",
        "timm (timm.scheduler)",
    ]


def test_export_command(capsys):
    assert main(["export", "get_cosine_schedule_with_warmup(100, 1000)"]) == 0
    out = capsys.readouterr().out
    assert "from transformers import get_cosine_schedule_with_warmup" in out
    assert "num_warmup_steps=100, num_training_steps=1000" in out
    assert main(["export", "CosineLRScheduler(t_initial=10)", "--to", "torch"]) == 0
    assert "scheduler = TimmCosineLR(optimizer, t_initial=10)" in capsys.readouterr().out
    assert main(["export", "CyclicLR(base_lr=0.01, max_lr=0.1)", "--to", "timm"]) == 2
    err = capsys.readouterr().err
    assert "cannot be exported to timm: timm has no equivalent" in err and "--to torch" in err
    assert main(["export", "StepLR(step_size=30)", "--stepping", "epoch", "--steps-per-epoch", "391"]) == 0
    assert "scheduler.step()  # once per epoch" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["plot"],
        ["plot", ""],
        ["plot", "StepLR(", "--steps", "10"],
        ["plot", "StepLR(3)", "--steps", "0"],
        ["export", "StepLR(3)", "--lr", "-1"],
    ],
)
def test_bad_input_exits_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err


def test_plot_compare_csv_and_json_carry_every_curve(capsys):
    import csv
    import io
    import json

    argv = ["plot", "CosineAnnealingLR(T_max=100)", "--compare", "StepLR(step_size=30, gamma=0.5)"]
    assert main([*argv, "--compare", "ExponentialLR(gamma=0.97)", "--steps", "40", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["step", "lr", "StepLR(step_size=30, gamma=0.5):lr", "ExponentialLR(gamma=0.97):lr"]
    assert len(rows) == 41 and rows[31][2] == "0.05" and float(rows[3][3]) == 0.1 * 0.97 * 0.97
    assert main([*argv, "--steps", "40", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["compare"][0]["label"] == "StepLR(step_size=30, gamma=0.5)"
    assert data["compare"][0]["columns"]["lr"][31] == 0.05
