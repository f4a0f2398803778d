"""Control characters from run files never reach the terminal: clean_text at the read boundary."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lrtui.runs import RunData, list_runs, read_run
from lrtui.runs.text import clean_json, clean_name, clean_text

# What a terminal would act on: C0 (but newline where kept), DEL, C1, bidi controls, lone surrogates.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
OSC52 = "\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b31m\r\u202e"


def test_clean_text_strips_escapes_and_keeps_the_words() -> None:
    assert clean_text(f"vgg{OSC52}net") == "vgg]52;c;cHduZWQ=[2J31mnet"
    assert clean_text("a\tb\nc") == "a b c"
    assert clean_text("a\r\nb\nc\x00", newlines=True) == "a\nb\nc"
    assert clean_text("Überlingen — 学习率 ✓") == "Überlingen — 学习率 ✓"
    assert clean_text(12) == "12"


@given(st.text())
def test_clean_text_never_leaves_anything_unsafe(text: str) -> None:
    assert UNSAFE.search(clean_text(text)) is None and "\n" not in clean_text(text)
    assert UNSAFE.search(clean_text(text, newlines=True)) is None
    clean_text(text).encode("utf-8")  # printable: no lone surrogate left


@given(st.text(), st.text())
def test_clean_name_is_safe_and_one_to_one(a: str, b: str) -> None:
    assert UNSAFE.search(clean_name(a)) is None and "\n" not in clean_name(a)
    if a != b:
        assert clean_name(a) != clean_name(b)


def test_clean_json_cleans_keys_and_nested_values() -> None:
    assert clean_json({"a\x1b": ["x\x07", {"k": "v\x9b"}], "n": 1.5}) == {"a": ["x", {"k": "v"}], "n": 1.5}


def _hostile_run(runs_dir: Path, name: str = "evil") -> Path:
    run = runs_dir / name
    run.mkdir(parents=True)
    (run / "config.json").write_text(
        json.dumps({"model": f"vgg{OSC52}", "dataset": "cifar10", "name": None, "schedule": f"StepLR{OSC52}"})
    )
    (run / "status.json").write_text(json.dumps({"state": "failed", "error": f"Traceback\n{OSC52}boom"}))
    (run / "metrics.jsonl").write_text(
        json.dumps({"kind": "event", "event": f"start{OSC52}", "message": f"hi{OSC52}"})
        + "\n"
        + json.dumps({"kind": "epoch", "epoch": 0, "note": f"n{OSC52}"})
        + "\n"
        + json.dumps({"kind": "steps", "step": [0], "lr": [[0.1]], f"tok{OSC52}": [1.0]})
        + "\n"
    )
    return run


def test_readers_hand_out_clean_strings(tmp_path: Path) -> None:
    run = _hostile_run(tmp_path)
    (summary,) = list_runs(tmp_path)
    for value in (summary.model, summary.schedule, summary.error, summary.id):
        assert UNSAFE.search(value) is None
    assert summary.error.startswith("Traceback\n")  # newlines of a traceback survive
    loaded = read_run(run)
    assert loaded.config["model"] == "vgg]52;c;cHduZWQ=[2J31m"
    assert UNSAFE.search(json.dumps(loaded.status, ensure_ascii=False)) is None
    assert loaded.data.events[0]["event"] == "start]52;c;cHduZWQ=[2J31m"
    assert UNSAFE.search(json.dumps(loaded.data.epochs, ensure_ascii=False)) is None
    assert list(loaded.data.extra) == ["tok]52;c;cHduZWQ=[2J31m"]
    data = RunData()
    data.ingest([{"kind": "event", "event": "x", "message": "a\x1b[2Jb"}])
    assert data.events[0]["message"] == "a[2Jb"


def _lrtui(*args: str, runs_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, LRTUI_RUNS_DIR=str(runs_dir))
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *args], capture_output=True, env=env, timeout=60, check=False
    )


def test_cli_prints_no_escape_sequence_from_files_or_names(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    _hostile_run(runs_dir)
    _hostile_run(runs_dir, name="name\x1b]52;c;eA==\x07")
    out = _lrtui("runs", runs_dir=runs_dir)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "vgg]52;c;cHduZWQ=[2J31m" in text and "name\\x1b]52;c;eA==\\x07" in text
    assert UNSAFE.search(text) is None
    as_json = _lrtui("runs", "--json", runs_dir=runs_dir)
    assert as_json.returncode == 0 and b"\x1b" not in as_json.stdout
    missing = _lrtui("watch", "nothing-like-this", runs_dir=runs_dir)
    assert missing.returncode == 2 and b"\x1b" not in missing.stderr and b"\x07" not in missing.stderr
    assert "name\\x1b" in missing.stderr.decode()  # the runs it offers are shown escaped


def test_drop_shared_dirs_keeps_what_tells_runs_apart():
    from lrtui.runs.text import drop_shared_dirs

    assert drop_shared_dirs(["exp/a/lightning_logs/version_3", "exp/a/lightning_logs/version_7"]) == [
        "version_3",
        "version_7",
    ]
    assert drop_shared_dirs(["exp/lr-0.1/seed-0", "exp/lr-0.2/seed-0", "exp/lr-0.2/seed-1"]) == [
        "lr-0.1/seed-0",
        "lr-0.2/seed-0",
        "lr-0.2/seed-1",
    ]
    assert drop_shared_dirs(["same/run", "same/run"]) == ["run", "run"]  # each keeps its last part
    assert drop_shared_dirs(["tb/run_a", "hf_out"]) == ["tb/run_a", "hf_out"]
    assert drop_shared_dirs(["only/one/run"]) == ["only/one/run"]  # nothing to tell it from
    assert drop_shared_dirs([]) == []


def test_cut_left_keeps_the_end():
    from lrtui.runs.text import cut_left

    assert cut_left("version_3", 12) == "version_3"
    assert cut_left("lightning_logs/version_3", 12) == "…/version_3"  # at the folder's end
    assert cut_left("a-very-long-run-name-seed-0", 12) == "…name-seed-0"
    assert cut_left("runs/abc/", 4) == "…bc/"  # a trailing slash is no place to cut
    assert cut_left("abc", 1) == "c" and cut_left("abc", 0) == ""
