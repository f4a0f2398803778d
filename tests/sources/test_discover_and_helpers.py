"""Finding runs in trees, naming roles, CSV export, the console-output tail and the settings file."""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import numpy as np
import pytest

from lrtui.runs import RunLogger
from lrtui.sources import assign_roles, detect, is_lr, metric_goal, open_source, scan
from lrtui.sources.export import to_csv, write_csv
from lrtui.sources.logtail import LogTail, clean_line, find
from lrtui.sources.lrtui_run import LrtuiRunSource
from lrtui.sources.settings import load_settings

# ------------------------------------------------------------------------------------------ discovery


def test_scan_finds_every_run_of_every_format(real_logs):
    found = scan([real_logs])
    by_name = {(r.format, r.name) for r in found.runs}
    assert {
        ("tensorboard", "tb/run_a"),
        ("tensorboard", "tb/run_a/group_a"),
        ("tensorboard", "tbt/run_t"),
        ("lightning", "pl/lightning_logs/version_0"),
        ("tensorboard", "pl_tb/lightning_logs/version_0"),
        ("hf-trainer", "hf_out"),
        ("tensorboard", "hf_out/runs/tb"),
    } <= by_name
    assert not any("checkpoint-" in name for _, name in by_name)  # part of the HF run, not runs
    assert not found.truncated


def test_detect_a_file_a_run_and_a_tree(real_logs):
    file = next((real_logs / "tbt" / "run_t").glob("events.out.tfevents.*"))
    assert [r.format for r in detect(file)] == ["tensorboard"]
    assert [r.format for r in detect(real_logs / "hf_out")] == ["hf-trainer"]
    assert [r.format for r in detect(real_logs / "pl" / "lightning_logs" / "version_0" / "metrics.csv")] == [
        "lightning"
    ]
    assert len(detect(real_logs / "pl")) == 1  # the tree holds one version
    with pytest.raises(ValueError, match="does not exist"):
        detect(real_logs / "nope")
    (real_logs.parent / "empty_tree").mkdir(exist_ok=True)
    with pytest.raises(ValueError, match="holds no run"):
        detect(real_logs.parent / "empty_tree")
    (real_logs.parent / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="not a log lrtui reads"):
        detect(real_logs.parent / "notes.txt")


def test_open_source_rejects_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match="format='wandb'"):
        open_source(tmp_path, "wandb")


def test_a_tree_of_ten_thousand_files_is_walked_bounded(tmp_path, real_logs):
    root = tmp_path / "big"
    for d in range(100):
        sub = root / f"d{d:03d}" / "deeper"
        sub.mkdir(parents=True)
        for f in range(100):
            (sub / f"file{f}.txt").touch()
    target = root / "d050" / "deeper" / "run"
    target.mkdir()
    for file in (real_logs / "tbt" / "run_t").iterdir():
        os.link(file, target / file.name)
    os.symlink(root, root / "d000" / "loop")  # a cycle: never followed
    (root / ".hidden").mkdir()
    (root / ".hidden" / "events.out.tfevents.1.x").write_bytes(b"")
    found = scan([root])
    assert [r.name for r in found.runs] == ["d050/deeper/run"] and found.entries >= 10_000
    limited = scan([root], max_entries=500)
    assert limited.truncated and "500" in limited.problems[0]


def test_scan_of_a_missing_root_says_so(tmp_path):
    found = scan([tmp_path / "missing"])
    assert not found.runs and "missing" in found.problems[0]


# ------------------------------------------------------------------------------------------ roles


@pytest.mark.parametrize(
    "name",
    [
        "lr",
        "learning_rate",
        "train/learning_rate",
        "lr-SGD",
        "lr-AdamW/pg1",
        "lr_group_0",
        "optimizer/lr",
        "lr/pg1",
    ],
)
def test_lr_names_of_every_framework(name):
    assert is_lr(name)


@pytest.mark.parametrize("name", ["lr-SGD-momentum", "lr-Adam-beta1", "clr", "eval/learning_rate", "base_lr"])
def test_not_lr(name):
    assert not is_lr(name)


def test_roles_pick_panels_and_leave_the_rest_to_the_grid():
    roles = assign_roles(
        ["epoch", "lr-SGD/pg2", "lr-SGD/pg1", "train_loss_epoch", "train_loss_step", "val_acc", "val_loss"]
    )
    assert roles.lr == ["lr-SGD/pg1", "lr-SGD/pg2"] and roles.loss == "train_loss_step"
    assert roles.acc == ["val_acc"] and roles.other == ["epoch", "train_loss_epoch", "val_loss"]
    assert (
        metric_goal("eval_loss") == "min" and metric_goal("val_acc") == "max" and metric_goal("epoch") is None
    )


# ------------------------------------------------------------------------------------------ export


def test_csv_export_is_full_resolution_on_the_union_of_steps(tmp_path):
    series = {
        "loss": (np.arange(5), np.array([1.0, 0.5, math.nan, math.inf, 0.1])),
        "=eval": (np.array([2, 4, 4]), np.array([0.3, 0.2, 0.25])),  # a duplicate step keeps both points
    }
    text = to_csv(series)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["step", "'=eval", "loss"] or rows[0] == ["step", "loss", "'=eval"]
    table = {tuple(r) for r in rows[1:]}
    assert ("4", "0.1", "0.2") in table and ("4", "", "0.25") in table and ("2", "nan", "0.3") in table
    assert ("3", "inf", "") in table
    assert write_csv(tmp_path / "out.csv", series) == 6
    with open(tmp_path / "out.csv") as f:
        back = list(csv.reader(f))
    assert float(back[2][1]) == 0.5  # repr(): float64 round-trips


# ------------------------------------------------------------------------------------------ console output


def test_log_tail_strips_escapes_and_follows_progress_bars(tmp_path):
    path = tmp_path / "out.log"
    tail = LogTail(path)
    assert not tail.poll() and tail.missing
    with open(path, "wb") as f:
        f.write(b"\x1b[31mred\x1b[0m text\n\x1b]0;title\x07ok\x07\x00bell\n")
        f.write(b" 10%|#   |\r 50%|####|\r")
        f.flush()
        tail.poll()
        assert list(tail.lines) == ["red text", "okbell"] and tail.partial == " 50%|####|"
        f.write(b"100%|####|\ndone\n")
    tail.poll()
    assert list(tail.lines)[-2:] == ["100%|####|", "done"] and tail.partial == ""
    assert clean_line("a\tb\x9b31mc") == "a    bc"
    path.write_bytes(b"new\n")  # truncated / rotated: starts over
    tail.poll()
    assert list(tail.lines) == ["new"]


def test_log_tail_reads_only_the_end_of_a_huge_log(tmp_path):
    path = tmp_path / "big.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(300_000)))
    tail = LogTail(path, max_lines=1000, initial_bytes=64 << 10)
    tail.poll()
    assert tail.lines[-1] == "line 299999" and len(tail.lines) == 1000 and tail.dropped > 0


def test_search_wraps_and_accepts_plain_text():
    lines = ["epoch 1 loss 0.5", "warning: lr too high [x]", "epoch 2 loss 0.4"]
    assert find(lines, "EPOCH", 1) == 2 and find(lines, "epoch", 2, backwards=True) == 2
    assert find(lines, "[x]", 0) == 1  # not a valid regex: searched literally
    assert find(lines, "nothing", 0) is None


# ------------------------------------------------------------------------------------------ settings


def test_settings_file(tmp_path):
    path = tmp_path / "config.toml"
    assert load_settings(path).scan == []
    path.write_text('[runs]\nscan = ["~/exp", "/data"]\nlive_after_s = 30\nmetric = "eval_loss"\n')
    s = load_settings(path)
    assert (
        s.scan == [Path("~/exp").expanduser(), Path("/data")]
        and s.live_after_s == 30
        and s.metric == "eval_loss"
    )
    path.write_text('[runs]\nscan = 5\nlive_after_s = -1\nmetric = ""\n')
    s = load_settings(path)
    assert len(s.problems) == 3 and "runs.scan=5" in s.problems[0] and s.live_after_s > 0
    path.write_text("[runs\n")
    assert "not valid TOML" in load_settings(path).problems[0]


def test_settings_location_follows_xdg(monkeypatch, tmp_path):
    from lrtui.sources.settings import settings_path

    monkeypatch.delenv("LRTUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert settings_path() == tmp_path / "lrtui" / "config.toml"


# ------------------------------------------------------------------------------------------ lrtui runs


def test_lrtui_run_through_the_common_interface(tmp_path):
    with RunLogger({"model": "m"}, runs_dir=tmp_path, handle_sigterm=False) as run:
        for step in range(10):
            run.step(step, lr=[0.1, 0.01], loss=1.0 / (step + 1), tokens=step * 2)
        run.epoch(0, test_acc=0.5, train_loss=0.9)
        run_dir = run.run_dir
    source = LrtuiRunSource(run_dir).read_all()
    names = set(source.store.names())
    assert {"lr", "lr/pg1", "loss", "tokens", "test_acc", "train_loss"} <= names
    assert source.store.get("test_acc").steps.tolist() == [9] and source.state() == "finished"
    assert source.output_log() == run_dir / "stdout.log"
    assert [r.format for r in detect(run_dir)] == ["lrtui"]
