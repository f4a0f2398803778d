"""Hostile run directories: one corrupt run never breaks the listing, a reader never hangs, crashes,
allocates without bound or prints a control character (issue 10, bugs 8, 9, 10, 13).

Each case is a real directory in the real on-disk layout: truncated, binary, huge, deeply nested, wrong
types, special files (FIFO, /dev/zero), symlinks, escape sequences. They are read through `lrtui runs`
(a subprocess: a hang is a timeout, not a stuck suite), read_run and the monitor's RunFollower.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tracemalloc
from pathlib import Path

import pytest

from lrtui.runs import RunData, RunLogger, list_runs, read_run
from lrtui.runs.reader import MAX_LINE, MetricsTail
from lrtui.widgets.runs.follow import RunFollower

from .conftest import run_lrtui

UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
HOST = socket.gethostname()


def _run(runs: Path, name: str, config: object = None, status: object = None) -> Path:
    d = runs / name
    d.mkdir()
    for fname, content in (("config.json", config), ("status.json", status)):
        if content is None:
            continue
        if isinstance(content, bytes):
            (d / fname).write_bytes(content)
        elif isinstance(content, str):
            (d / fname).write_text(content)
        else:
            (d / fname).write_text(json.dumps(content))
    return d


def _plant_corrupt_runs(runs: Path, outside: Path) -> dict[str, str]:
    """Corrupt runs next to a good one; returns {run id: the state it must be listed with}."""
    expect = {}
    live = {"state": "running", "host": HOST, "updated": 1e9}
    for i, pid in enumerate((2147483648, 2**63, -1, 0, "abc", True, 1e30, [1])):
        _run(runs, f"pid-{i}", {"model": "m"}, {**live, "pid": pid})
        expect[f"pid-{i}"] = "*"  # lost / running / unknown: anything but a crash
    deep = "[" * 100_000 + "]" * 100_000
    for name, config, status, state in (
        ("deep-config", '{"a": ' + deep + "}", {"state": "finished"}, "unreadable"),
        ("deep-status", {"model": "m"}, '{"a": ' + deep + "}", "unreadable"),
        (
            "nested-70",
            {"model": "m", "x": json.loads("[" * 70 + "]" * 70)},
            {"state": "finished"},
            "unreadable",
        ),
        ("truncated", '{"model": "vg', {"state": "finished"}, "unreadable"),
        ("binary", os.urandom(4096), os.urandom(300), "unreadable"),
        ("nul-bytes", b'{"model": "a\x00b"}', {"state": "finished"}, "unreadable"),
        ("huge-config", '{"model": "' + "x" * (5 << 20) + '"}', {"state": "finished"}, "unreadable"),
        ("empty-status", {"model": "m"}, "", "unreadable"),
        ("list-config", [1, 2], {"state": "finished"}, "unreadable"),
        (
            "wrong-types",
            {"model": {"a": 1}, "epochs": "many", "created": 5, "schedule": [1]},
            {"state": 5, "updated": "soon", "epochs_done": "x", "best_test_acc": "high", "started": [1]},
            "unknown",
        ),
        ("huge-numbers", {"epochs": 1e308}, '{"state": "running", "updated": 1' + "0" * 400 + "}", "*"),
        (
            "escapes",
            {"model": "\x1b]52;c;cHduZWQ=\x07\x1b[2J", "schedule": "\x9b31mStepLR"},
            {"state": "failed", "error": "boom\x1b[1A\r\x1b[2K"},
            "failed",
        ),
    ):
        _run(runs, name, config, status)
        expect[name] = state
    # special files and symlinks in place of config.json / status.json / metrics.jsonl
    for name, fname, make in (
        ("fifo-config", "config.json", lambda p: os.mkfifo(p)),
        ("fifo-status", "status.json", lambda p: os.mkfifo(p)),
        ("zero-config", "config.json", lambda p: p.symlink_to("/dev/zero")),
        ("zero-status", "status.json", lambda p: p.symlink_to("/dev/zero")),
        ("secret-status", "status.json", lambda p: p.symlink_to(outside / "secret.key")),
        ("dir-config", "config.json", lambda p: p.mkdir()),
    ):
        d = runs / name
        d.mkdir()
        other = "status.json" if fname == "config.json" else "config.json"
        (d / other).write_text(
            json.dumps({"state": "finished"} if other == "status.json" else {"model": "m"})
        )
        make(d / fname)
        expect[name] = "unreadable"
    for name, make in (
        ("fifo-metrics", lambda p: os.mkfifo(p)),
        ("zero-metrics", lambda p: p.symlink_to("/dev/zero")),
        ("dir-metrics", lambda p: p.mkdir()),
    ):
        d = _run(runs, name, {"model": "m"}, {"state": "finished"})
        make(d / "metrics.jsonl")
        expect[name] = "finished"
    bad_name = runs / os.fsdecode(b"name-\xff-\x1b[2J")
    bad_name.mkdir()
    (bad_name / "status.json").write_text('{"state": "stopped"}')
    expect["name-\\udcff-\\x1b[2J"] = "stopped"
    return expect


def test_lrtui_runs_lists_every_run_whatever_the_others_hold(sandbox):
    expect = _plant_corrupt_runs(sandbox.runs, sandbox.outside)
    before = sandbox.digest_outside()
    result = run_lrtui("runs", timeout=120)
    assert result.code == 0, result.err
    assert result.err == "" and UNSAFE.search(result.out) is None
    assert "TOPSECRETLINE" not in result.out and "BEGIN KEY" not in result.out
    rows = {line.split()[0]: line.split()[1] for line in result.out.splitlines()[1:]}
    assert rows["good-run"] == "finished"
    for rid, state in expect.items():
        assert rid in rows, rid
        if state != "*":
            assert rows[rid] == state, (rid, rows[rid])
    assert "(config.json is not a regular file (a FIFO))" in result.out
    assert "(config.json is a symbolic link (not followed))" in result.out
    assert "(config.json is too large (5,242,893 bytes; at most 4,194,304))" in result.out
    assert "(config.json is not valid JSON: nested too deeply)" in result.out
    as_json = run_lrtui("runs", "--json", timeout=120)
    assert as_json.code == 0 and len(json.loads(as_json.out)) == len(expect) + 3  # + good-run, 2 links
    assert sandbox.digest_outside() == before


def test_readers_and_the_monitor_model_survive_every_corrupt_run(sandbox):
    expect = _plant_corrupt_runs(sandbox.runs, sandbox.outside)
    summaries = {s.id: s for s in list_runs(sandbox.runs)}
    assert set(expect) <= set(summaries)
    for entry in sorted(sandbox.runs.iterdir()):
        if entry.is_symlink():
            continue
        run = read_run(entry)
        snap = RunFollower(entry, device=False).poll()
        assert snap is not None and snap.state == run.state
        for text in (json.dumps(run.config), json.dumps(run.status), snap.run_id):
            assert "\x1b" not in text and "\\u001b" not in text


def test_a_sixty_byte_line_cannot_claim_gigabytes(tmp_path):
    run = _run(tmp_path, "r", {"model": "m"}, {"state": "finished"})
    bomb = b'{"kind":"steps","step":{"range":[100,268435556]},"lr":0.1}\n'
    assert len(bomb) == 59  # the 60 bytes counted the newline twice; 58 + "\n"
    good = [
        {"kind": "steps", "step": {"range": [0, 100]}, "lr": 0.1},  # RunLogger writes constants so
        {"kind": "steps", "step": {"range": [268435556, 268435558]}, "lr": [0.2], "loss": [1.0, 2.0]},
    ]
    (run / "metrics.jsonl").write_bytes(
        (json.dumps(good[0]) + "\n").encode() + bomb * 50 + (json.dumps(good[1]) + "\n").encode()
    )
    tracemalloc.start()
    try:
        loaded = read_run(run)
        snap = RunFollower(run, device=False).poll()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20, f"{peak / 2**20:.0f} MiB"
    assert list(loaded.data.steps) == [*range(100), 268435556, 268435557]
    assert loaded.data.skipped == 50 and snap.skipped == 50


def test_honest_constant_lines_still_decode(tmp_path):
    # RunLogger's densest line: 1000 steps of constants (lr and momentum of 8 groups, epoch).
    with RunLogger({}, runs_dir=tmp_path, flush_interval=3600) as log:
        for k in range(3000):
            log.step(k, lr=[0.001] * 8, momentum=[0.9] * 8, epoch=k // 1000)
    data = read_run(log.run_dir).data
    assert len(data.steps) == 3000 and len(data.lr) == 8 and data.skipped == 0
    lines = (log.run_dir / "metrics.jsonl").read_bytes().splitlines()
    assert max(len(line) for line in lines) < 400  # 1000 steps in a few hundred bytes


def test_too_many_columns_and_giant_lines_are_skipped(tmp_path):
    run = _run(tmp_path, "r", {"model": "m"}, {"state": "finished"})
    with open(run / "metrics.jsonl", "wb") as f:
        f.write(json.dumps({"kind": "steps", "step": [0, 1], "lr": [[0.1, 0.1]]}).encode() + b"\n")
        f.write(json.dumps({"kind": "step", "step": 2, "lr": [0.1] * 5000}).encode() + b"\n")
        f.write(b'{"kind":"event","event":"x","message":"' + b"a" * (MAX_LINE + 10) + b'"}\n')
        f.write(json.dumps({"kind": "step", "step": 3, "lr": 0.3}).encode() + b"\n")
    data = RunData()
    tail = MetricsTail(run / "metrics.jsonl")
    tracemalloc.start()
    try:
        while True:  # as read_run does: until a read makes no progress
            offset = tail.offset
            data.ingest(tail.read_new(1 << 20))
            if tail.offset == offset:
                break
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert list(data.steps) == [0, 1, 3] and len(data.lr) == 1
    assert data.skipped == 1 and tail.skipped == 1
    assert peak < 40 << 20, f"{peak / 2**20:.0f} MiB"  # the 64 MiB line was never held


def test_wrong_typed_records_are_skipped_and_counted(tmp_path):
    data = RunData()
    data.ingest(
        [
            {"kind": "epoch", "epoch": 0, "test_acc": 0.5},
            {"kind": "epoch", "epoch": float("nan"), "test_acc": 0.6},
            {"kind": "epoch", "epoch": float("inf")},
            {"kind": "epoch", "epoch": -1},
            {"kind": "epoch", "epoch": True},
            {"kind": "epoch", "epoch": 1, "test_acc": "high"},
            {"kind": "epoch", "epoch": 1, "images_per_s": [1]},
            {"kind": "epoch", "epoch": 1, "test_acc": float("nan"), "t": float("inf")},
            {"kind": "event", "event": ["start"]},
            {"kind": "event", "event": "note", "message": {"a": 1}},
            {"kind": "event", "event": "note", "step": "x"},
            {"kind": "event", "event": "ok", "t": float("nan")},
            {"kind": "steps", "step": [0], "lr": [[0.1]], "t": float("nan")},
        ]
    )
    assert [e["epoch"] for e in data.epochs] == [0, 1]
    assert data.epochs[1]["test_acc"] is None and data.epochs[1]["t"] is None  # non-finite -> null
    assert [e["event"] for e in data.events] == ["ok"] and data.events[0]["t"] is None
    assert data.skipped == 9 and list(data.steps) == [0] and data.last_t is None


@pytest.mark.parametrize("fname", ["metrics.jsonl", "config.json", "status.json"])
def test_a_fifo_never_blocks_a_reader(tmp_path, fname):
    run = _run(tmp_path, "r", {"model": "m"}, {"state": "finished"})
    (run / fname).unlink(missing_ok=True)
    os.mkfifo(run / fname)
    loaded = read_run(run)  # would block forever on open() of a FIFO without a writer
    assert loaded.tail.problem == "metrics.jsonl is not a regular file (a FIFO)" or fname != "metrics.jsonl"
    assert list_runs(tmp_path)[0].state == ("finished" if fname == "metrics.jsonl" else "unreadable")
