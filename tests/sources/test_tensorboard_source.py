"""TensorBoardSource on event files written by the real SummaryWriter and tensorboard's own writer."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from lrtui.sources.tensorboard import MAX_FILES, TensorBoardSource


def accumulator_scalars(run_dir: Path) -> dict[str, tuple[list[int], list[float]]]:
    """Every scalar TensorBoard itself reads from the directory, unsampled (the oracle)."""
    ea = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    ea.Reload()
    out = {
        tag: ([e.step for e in ea.Scalars(tag)], [e.value for e in ea.Scalars(tag)])
        for tag in ea.Tags()["scalars"]
    }
    for tag in ea.Tags()["tensors"]:
        events = ea.Tensors(tag)
        plugin = ea.SummaryMetadata(tag).plugin_data.plugin_name
        if plugin in ("scalars", ""):
            from tensorboard.util import tensor_util

            out[tag] = (
                [e.step for e in events],
                [float(tensor_util.make_ndarray(e.tensor_proto)) for e in events],
            )
    return out


def series_of(source: TensorBoardSource) -> dict[str, tuple[list[int], list[float]]]:
    return {k: (s.steps.tolist(), s.values.tolist()) for k, s in source.store.series.items()}


def assert_same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for tag in a:
        assert a[tag][0] == b[tag][0], tag
        np.testing.assert_array_equal(
            np.asarray(a[tag][1], dtype=np.float32), np.asarray(b[tag][1], dtype=np.float32)
        )


def test_summarywriter_scalars_match_tensorboard_exactly(real_logs):
    run = real_logs / "tb" / "run_a"
    source = TensorBoardSource(run).read_all()
    got = series_of(source)
    assert_same(got, accumulator_scalars(run))
    assert len(got["train/loss"][0]) == 300  # full resolution: every step
    assert math.isnan(got["weird/nan"][1][0]) and got["weird/inf"][1] == [math.inf]
    assert got["weird/neg_inf"][1] == [-math.inf]
    assert got["tensor/float"] == ([303], [1.5]) and got["tensor/double"] == ([304], [2.25])
    assert "notes/text_summary" not in got and "weights" not in got  # text and histogram: not scalars
    assert source.skipped == 0 and source.non_scalar >= 2
    assert source.store.get("train/loss").wall[0] > 1e9  # wall times kept


def test_tensor_stored_scalars_from_tensorboards_writer(real_logs):
    run = real_logs / "tbt" / "run_t"
    source = TensorBoardSource(run).read_all()
    assert_same(series_of(source), accumulator_scalars(run))
    assert source.store.get("loss").steps.tolist() == list(range(50))


def test_hparams_become_the_config_and_add_scalars_dirs_are_runs(real_logs):
    hp_dirs = [d for d in (real_logs / "tb" / "run_a").iterdir() if d.is_dir() and d.name[0].isdigit()]
    source = TensorBoardSource(hp_dirs[0]).read_all()
    assert source.config == {"lr": 0.1, "batch_size": 32.0, "optimizer": "sgd"}
    group = TensorBoardSource(real_logs / "tb" / "run_a" / "group_a").read_all()
    assert series_of(group) == {"group": ([5], [1.0])}


def test_a_single_event_file_can_be_read_on_its_own(real_logs):
    file = next((real_logs / "tbt" / "run_t").glob("events.out.tfevents.*"))
    source = TensorBoardSource(file).read_all()
    assert len(source.store.get("learning_rate")) == 50 and source.name == "tbt/run_t"


def test_tail_reads_bytes_as_they_arrive_in_any_pieces(real_logs, tmp_path):
    """A writer mid-flush leaves partial records: each poll takes the complete ones, the end equals a full read."""
    original = next((real_logs / "tb" / "run_a").glob("events.out.tfevents.*"))
    data = original.read_bytes()
    live = tmp_path / "live"
    live.mkdir()
    target = live / original.name
    source = TensorBoardSource(live)
    rng = np.random.default_rng(3)
    at = 0
    with open(target, "wb") as f:
        while at < len(data):
            n = int(rng.integers(1, 400))
            f.write(data[at : at + n])
            f.flush()
            at += n
            source.poll()
    source.read_all()
    assert_same(series_of(source), series_of(TensorBoardSource(original.parent).read_all()))
    assert source.skipped == 0


def test_real_writer_live_then_restarted_from_an_earlier_step(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    run = tmp_path / "live"
    source = TensorBoardSource(run)
    source.poll()  # the directory does not exist yet: nothing, no error
    w = SummaryWriter(str(run))
    for step in range(100):
        w.add_scalar("loss", float(step), step)
        if step % 25 == 24:
            w.flush()
            source.poll()
            assert source.store.get("loss").last_step == step
    w.close()
    # a resumed run: a new writer (a new file) restarts at step 60; points from 60 on are replaced
    w2 = SummaryWriter(str(run))
    for step in range(60, 80):
        w2.add_scalar("loss", -float(step), step)
    w2.close()
    source.read_all()
    loss = source.store.get("loss")
    assert loss.steps.tolist() == list(range(80))
    assert loss.values[59] == 59.0 and loss.values[60] == -60.0 and loss.generation == 1


def test_corrupt_copies_are_skipped_and_counted_never_fatal(real_logs, tmp_path):
    original = next((real_logs / "tb" / "run_a").glob("events.out.tfevents.*"))
    data = bytearray(original.read_bytes())
    rng = np.random.default_rng(7)
    run = tmp_path / "bad"
    run.mkdir()
    for _ in range(20):  # flip bytes all over the file, including headers
        data[int(rng.integers(100, len(data)))] ^= 0xFF
    (run / original.name).write_bytes(bytes(data))
    source = TensorBoardSource(run).read_all()
    full = TensorBoardSource(original.parent).read_all()
    assert source.skipped > 0 and source.problems
    assert 0 < source.store.points < full.store.points
    for name, series in source.store.series.items():  # what is read is right where it is read
        ref = full.store.get(name)
        if ref is not None and name.startswith("train/"):
            idx = np.searchsorted(ref.steps, series.steps)
            np.testing.assert_array_equal(ref.values[idx], series.values)


@pytest.mark.parametrize("content", [b"", b"\x00" * 100, b"not an event file at all" * 50])
def test_empty_and_junk_files(tmp_path, content):
    (tmp_path / "events.out.tfevents.1.host").write_bytes(content)
    source = TensorBoardSource(tmp_path).read_all()
    assert source.store.points == 0


def test_a_replaced_file_is_read_again_from_scratch(real_logs, tmp_path):
    src = real_logs / "tbt" / "run_t"
    run = tmp_path / "run"
    shutil.copytree(src, run)
    source = TensorBoardSource(run).read_all()
    file = next(run.glob("events.out.tfevents.*"))
    file.write_bytes(file.read_bytes()[:200])  # truncated in place
    source.read_all()
    assert source.resets == 1 and len(source.store.get("loss")) < 50


def test_a_directory_with_too_many_event_files_reads_a_bounded_number(tmp_path, real_logs):
    file = next((real_logs / "tbt" / "run_t").glob("events.out.tfevents.*"))
    data = file.read_bytes()
    for i in range(MAX_FILES + 50):
        (tmp_path / f"events.out.tfevents.{i:06d}.host").write_bytes(data if i == 0 else b"")
    source = TensorBoardSource(tmp_path).read_all()
    assert len(source.tails) == MAX_FILES and any("event files" in p for p in source.problems)
    assert len(source.store.get("loss")) == 50
