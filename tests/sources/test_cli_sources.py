"""`lrtui runs --scan` and `lrtui watch PATH` from the shell: listings of every format, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lrtui(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


def test_runs_scan_lists_every_format_with_step_and_best(real_logs, tmp_path):
    out = lrtui("runs", "--scan", str(real_logs), "--runs-dir", str(tmp_path / "none"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:4] == ["FORMAT", "STATE", "RUN", "STEP"]
    hf = next(line for line in lines if " hf_out " in line)
    assert hf.split()[:4] == ["hf", "finished", "hf_out", "24"] and "(eval_loss)" in hf
    assert any(line.startswith("csv ") and "pl/lightning_logs/version_0" in line for line in lines)
    data = json.loads(lrtui("runs", "--scan", str(real_logs), "--json", "--metric", "^loss$").stdout)
    by_name = {d.get("name"): d for d in data if d.get("format") != "lrtui"}
    assert by_name["hf_out"]["metric"] == "loss" and by_name["hf_out"]["step"] == 24
    assert by_name["tb/run_a"]["metric"] is None  # no metric named exactly "loss" there


def test_regex_metric_prefers_the_training_series(real_logs):
    from lrtui.sources.catalog import pick_metric

    names = ["eval/loss", "train/loss", "train/train_loss", "train_loss_epoch"]
    assert pick_metric(names, "loss") == "train/loss"
    assert pick_metric(names, "eval") == "eval/loss"
    assert pick_metric(names, "([") is None  # not a regex: no metric, never an error


def test_watch_and_scan_errors_are_one_line_with_exit_2(real_logs, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty").mkdir()
    cases = [
        (("watch", str(tmp_path / "notes.txt")), "not a log lrtui reads"),
        (("watch", str(tmp_path / "empty")), "holds no run"),
        (("watch", str(real_logs / "pl"), "--format", "tensorboard"), "--format tensorboard is not what"),
        (("watch", str(real_logs / "tbt"), "--log", str(tmp_path / "missing.log")), "--log"),
        (("runs", "--scan", str(tmp_path / "missing")), "is not a directory"),
    ]
    for args, expected in cases:
        out = lrtui(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert expected in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert "Traceback" not in out.stderr


def test_a_bad_settings_file_is_reported_and_ignored(real_logs, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[runs]\nscan = ["{real_logs / "tbt"}"]\nlive_after_s = "soon"\n')
    out = lrtui("runs", "--runs-dir", str(tmp_path / "none"), env={"LRTUI_CONFIG": str(config)})
    assert out.returncode == 0
    assert "runs.live_after_s='soon' is not allowed" in out.stderr
    assert "tbt" not in out.stdout and "run_t" in out.stdout  # the scan root from the settings file
