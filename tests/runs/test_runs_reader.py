"""MetricsTail (partial, malformed, truncated, replaced files) and RunData accumulation."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.runs import MetricsTail, RunData, RunLogger, read_run
from lrtui.runs.jsonio import pack_floats, pack_ints, unpack
from lrtui.runs.reader import parse_lines
from lrtui.runs.text import clean_text


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def test_missing_file_then_partial_lines(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    tail = MetricsTail(path)
    assert tail.read_new() == []
    append(path, b'{"kind":"event","event":"start"}\n{"kind":"ste')
    assert tail.read_new() == [{"kind": "event", "event": "start"}]
    assert tail.read_new() == []  # the partial line waits
    append(path, b'p","step":1,"lr":0.1}')
    assert tail.read_new() == []  # still no newline
    append(path, b"\n")
    assert tail.read_new() == [{"kind": "step", "step": 1, "lr": 0.1}]
    assert tail.skipped == 0


def test_blank_and_malformed_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(
        b'{"kind":"step","step":0,"lr":0.1}\n\n   \nnot json\n[1,2]\n{"kind":"step","step":1,"lr":0.2}\n'
        b'\xff\xfe garbage\n{"kind":"step","step":2,"lr":0.3\n{"kind":"step","step":3,"lr":0.4}\n'
    )
    tail = MetricsTail(path)
    records = tail.read_new()
    assert [r["step"] for r in records] == [0, 1, 3]
    assert tail.skipped == 4
    data = RunData()
    data.ingest(records)
    assert list(data.steps) == [0, 1, 3] and list(data.lr[0]) == [0.1, 0.2, 0.4]


def test_truncated_and_replaced_files_restart(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b'{"a":1}\n{"a":2}\n')
    tail = MetricsTail(path)
    assert len(tail.read_new()) == 2
    path.write_bytes(b'{"a":3}\n')  # truncated in place: smaller than the offset
    assert tail.read_new() == [{"a": 3}] and tail.resets == 1
    replacement = tmp_path / "new.jsonl"
    replacement.write_bytes(b'{"a":4}\n{"a":5}\n{"a":6}\n')
    os.replace(replacement, path)  # a new inode, bigger than before
    assert [r["a"] for r in tail.read_new()] == [4, 5, 6] and tail.resets == 2
    path.unlink()
    assert tail.read_new() == []
    path.write_bytes(b'{"a":7}\n')
    assert tail.read_new() == [{"a": 7}]


def test_run_refresh_starts_over_when_the_file_is_replaced(runs_dir: Path) -> None:
    with RunLogger({}, runs_dir=runs_dir) as log:
        log.step(0, lr=0.1)
        log.step(1, lr=0.1)
    run = read_run(log.run_dir)
    assert len(run.data) == 2
    log.metrics_path.unlink()
    log.metrics_path.write_text('{"kind":"step","step":0,"lr":0.5}\n')
    run.refresh()
    assert list(run.data.lr[0]) == [0.5]


def test_ingest_handles_single_steps_batches_and_unknown_kinds() -> None:
    data = RunData()
    data.ingest(
        [
            {"kind": "step", "step": 0, "lr": [0.1, 0.01], "loss": 2.0, "epoch": 0, "momentum": [0.9, 0.9]},
            {"kind": "step", "step": 1, "lr": 0.2, "loss": None, "grad_norm": 3.0, "extra_metric": 7},
            {"kind": "something-new", "payload": [1, 2, 3]},
            {"kind": "steps", "step": [2, 3], "lr": [[0.3, 0.4]], "loss": [1.0, None], "epoch": 1},
            {"kind": "steps", "n": 2, "step": pack_ints([4, 5]), "lr": [pack_floats([0.5, 0.6]), 0.06]},
            {"kind": "epoch", "epoch": 0, "test_acc": 0.5},
            {"kind": "event", "event": "checkpoint"},
            {"no_kind": True},
        ]
    )
    assert list(data.steps) == [0, 1, 2, 3, 4, 5]
    assert list(data.lr[0]) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    lr1 = list(data.lr[1])
    assert lr1[0] == 0.01 and all(math.isnan(v) for v in lr1[1:4]) and lr1[4:] == [0.06, 0.06]
    loss = list(data.loss)
    assert loss[0] == 2.0 and math.isnan(loss[1]) and loss[2] == 1.0 and math.isnan(loss[3])
    assert list(data.epoch)[2:4] == [1.0, 1.0]
    assert data.grad_norm[1] == 3.0
    assert data.extra["extra_metric"][1] == 7.0
    assert data.test_acc == [(0, 0.5)] and len(data.events) == 1
    assert data.skipped == 0


def test_bad_records_are_counted_and_leave_columns_aligned() -> None:
    data = RunData()
    data.ingest(
        [
            {"kind": "step", "step": 0, "lr": 0.1},
            {"kind": "step", "step": "zero", "lr": 0.1},
            {"kind": "steps", "step": [1, 2], "lr": [[0.1]]},  # lr too short
            {"kind": "steps", "step": {"i8": "AAAA"}, "lr": [[0.1]]},  # 3 bytes: not int64s
            {"kind": "steps", "step": [1], "n": 5, "lr": [[0.1]]},
            {"kind": "steps", "step": [1], "lr": [[0.1]], "loss": {"weird": 1}},
            {"kind": "steps", "step": 7, "lr": 3},
            {"kind": "epoch", "epoch": "last", "test_acc": "high"},
            {"kind": "step", "step": 8, "lr": [0.2]},
        ]
    )
    assert list(data.steps) == [0, 7, 8]
    n = len(data.steps)
    assert all(len(c) == n for c in (data.epoch, data.loss, data.grad_norm, *data.lr, *data.momentum))
    assert data.skipped == 6
    assert data.test_acc == []


def test_resumed_run_relogging_steps_keeps_the_newest() -> None:
    data = RunData()
    data.ingest([{"kind": "steps", "step": list(range(10)), "lr": [[1.0] * 10]}])
    data.ingest([{"kind": "epoch", "epoch": 0}, {"kind": "epoch", "epoch": 1}])
    data.ingest(
        [{"kind": "event", "event": "resume"}, {"kind": "steps", "step": [6, 7, 8], "lr": [[2.0] * 3]}]
    )
    data.ingest([{"kind": "epoch", "epoch": 1, "test_acc": 0.9}])
    assert list(data.steps) == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert list(data.lr[0]) == [1.0] * 6 + [2.0] * 3
    assert [e["epoch"] for e in data.epochs] == [0, 1] and data.epochs[1]["test_acc"] == 0.9


def test_joined_fast_path_falls_back_per_line() -> None:
    lines = [b'{"a":%d}' % i for i in range(10)] + [b'{"a":[1'] + [b"2]}"] + [b'{"b":1},{"c":2}']
    records, skipped = parse_lines(lines)
    assert [r["a"] for r in records] == list(range(10))
    assert skipped == 3


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=50),
    ints=st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=50),
)
def test_packed_columns_round_trip(values: list[float], ints: list[int]) -> None:
    packed = json.loads(json.dumps(pack_floats(values)))
    got = unpack(packed) if isinstance(packed, dict) else [packed] * len(values)
    assert [repr(v) for v in got] == [repr(v) for v in values]
    packed_ints = json.loads(json.dumps(pack_ints(ints)))
    got_ints = unpack(packed_ints) if isinstance(packed_ints, dict) else [packed_ints] * len(ints)
    assert list(got_ints) == ints


@settings(max_examples=25, deadline=None)
@given(
    chunks=st.lists(st.binary(max_size=40), max_size=12),
    split_at=st.lists(st.integers(0, 400), max_size=6),
)
def test_tail_never_raises_and_matches_a_one_shot_read(
    tmp_path_factory, chunks: list[bytes], split_at
) -> None:
    # Random bytes with real records mixed in, appended in random pieces: an incremental tail
    # returns exactly what a single read of the final file returns.
    path = tmp_path_factory.mktemp("tail") / "metrics.jsonl"
    blob = b"".join(c + b'\n{"kind":"step","step":%d,"lr":0.1}\n' % i for i, c in enumerate(chunks))
    tail = MetricsTail(path)
    got = []
    cuts = sorted({min(c, len(blob)) for c in split_at} | {len(blob)})
    prev = 0
    for cut in cuts:
        append(path, blob[prev:cut])
        prev = cut
        got += tail.read_new()
    once = MetricsTail(path).read_new()
    assert got == once
    data = RunData()
    data.ingest(got)
    assert all(len(c) == len(data.steps) for c in (data.epoch, data.loss, *data.lr))


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
call = st.one_of(
    st.tuples(st.just("step"), st.lists(finite, min_size=1, max_size=3), st.one_of(st.none(), finite)),
    st.tuples(st.just("steps"), st.integers(1, 30), finite),
    st.tuples(st.just("epoch"), st.one_of(st.none(), finite)),
    st.tuples(st.just("event"), st.text(max_size=20)),
)


@settings(max_examples=30, deadline=None)
@given(calls=st.lists(call, max_size=40), packed=st.booleans())
def test_logger_calls_read_back_exactly(tmp_path_factory, calls, packed: bool) -> None:
    runs_dir = tmp_path_factory.mktemp("runs")
    expected_steps, expected_lr0, expected_loss, expected_events = [], [], [], ["start"]
    epochs = 0
    with RunLogger({}, runs_dir=runs_dir, packed=packed, flush_interval=3600) as log:
        k = 0
        for c in calls:
            if c[0] == "step":
                log.step(k, lr=c[1], loss=c[2])
                expected_steps.append(k)
                expected_lr0.append(c[1][0])
                expected_loss.append(math.nan if c[2] is None else c[2])
                k += 1
            elif c[0] == "steps":
                n = c[1]
                log.steps({"step": list(range(k, k + n)), "lr": [[c[2]] * n], "loss": [c[2]] * n})
                expected_steps += range(k, k + n)
                expected_lr0 += [c[2]] * n
                expected_loss += [c[2]] * n
                k += n
            elif c[0] == "epoch":
                log.epoch(epochs, test_acc=c[1])
                epochs += 1
            else:
                log.event("note", c[1])
                expected_events.append("note")
    data = read_run(log.run_dir).data
    assert list(data.steps) == expected_steps
    assert (
        [repr(v) for v in data.lr[0]] == [repr(v) for v in expected_lr0] if expected_steps else data.lr == []
    )
    assert [repr(v) for v in data.loss] == [repr(v) for v in expected_loss]
    assert [e["epoch"] for e in data.epochs] == list(range(epochs))
    assert [e["event"] for e in data.events] == [*expected_events, "finish"]
    notes = [clean_text(c[1], newlines=True) for c in calls if c[0] == "event"]  # control chars stripped
    assert [e["message"] for e in data.events if e["event"] == "note"] == notes


def test_single_step_records_that_go_back_keep_the_newest() -> None:
    data = RunData()
    recs = [{"kind": "step", "step": k, "lr": [float(k)]} for k in (0, 1, 2, 3, 1, 2)]
    recs.insert(2, {"kind": "step", "step": None, "lr": [9.0]})  # a bad apple in the run
    data.ingest(recs)
    assert list(data.steps) == [0, 1, 2] and list(data.lr[0]) == [0.0, 1.0, 2.0]
    assert data.skipped == 1
