"""CIFAR-10's python batches are pickles: a planted one must never run code (issue 10, bug 6).

The payload sits in the real on-disk layout (`cifar-10-batches-py/data_batch_1`, written next to real
generated batches), and is fed to the loader, to `lrtui train` (which checks checksums before it
detaches) and to a detached trainer run with checksums off.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from lrtui.runs import list_runs, read_status, wait_state
from lrtui.training.datasets import DatasetUnavailable, load_dataset, write_cifar10_copy
from lrtui.training.safe_pickle import UnsafePickle, loads_numpy

from .conftest import one_line, run_lrtui


class _Planted:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _copy_with_payload(root: Path, marker: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (100, 3, 32, 32), dtype=np.uint8)
    y = rng.integers(0, 10, 100)
    folder = write_cifar10_copy(root, x, y, x[:20], y[:20])
    entry = {"batch_label": "training batch 1 of 5", "labels": [0], "data": _Planted(marker)}
    (folder / "data_batch_1").write_bytes(pickle.dumps(entry, protocol=2))
    return folder


@pytest.mark.parametrize("verify", [True, False])
def test_the_loader_never_unpickles_code(tmp_path, verify):
    marker = tmp_path / "pwned"
    _copy_with_payload(tmp_path / "data", marker)
    with pytest.raises(DatasetUnavailable) as err:
        load_dataset("cifar10", data_dir=str(tmp_path / "data"), download=False, verify_checksums=verify)
    assert not marker.exists()
    if verify:
        assert "do not match torchvision's md5 checksums" in str(err.value)
    else:
        assert "the pickle calls io.open, which is not allowed; nothing in it was run" in str(err.value)


def test_lrtui_train_refuses_an_unverified_copy_before_detaching(sandbox, tmp_path):
    marker = tmp_path / "pwned"
    _copy_with_payload(tmp_path / "data", marker)
    result = run_lrtui(
        "train", "--dataset", "cifar10", "--model", "lenet", "--data-dir", str(tmp_path / "data")
    )
    assert result.code == 2
    message = one_line(result.err)
    assert "a copy that matches torchvision's md5 checksums: data_batch_1" in message
    assert sorted(p.name for p in sandbox.runs.iterdir()) == ["good-run", "linkdir", "linkrun"]  # no new run
    assert not marker.exists()


@pytest.mark.slow
def test_a_detached_trainer_with_checksums_off_fails_without_running_the_payload(sandbox, tmp_path):
    marker = tmp_path / "pwned"
    _copy_with_payload(tmp_path / "data", marker)
    result = run_lrtui(
        "train", "--dataset", "cifar10", "--model", "lenet", "--data-dir", str(tmp_path / "data"),
        "--batch-size", "10", "--epochs", "1", "--set", "verify_checksums=false",
    )  # fmt: skip
    assert result.code == 0, result.err
    run = next(r.dir for r in list_runs(sandbox.runs) if r.id not in ("good-run", "linkdir", "linkrun"))
    assert wait_state(run, ("failed", "finished", "stopped", "lost"), 180) == "failed"
    assert not marker.exists()
    assert "not allowed; nothing in it was run" in read_status(run)["error"]


def test_the_numpy_only_unpickler_reads_real_batches_and_nothing_else():
    entry = {"labels": [1, 2], "data": np.arange(12, dtype=np.uint8).reshape(2, 6), "n": np.int64(3)}
    for protocol in (2, 4, 5):
        out = loads_numpy(pickle.dumps(entry, protocol=protocol))
        assert out["labels"] == [1, 2] and out["n"] == 3 and (out["data"] == entry["data"]).all()
    evil = [
        pickle.dumps(_Planted(Path("/nonexistent/x")), protocol=2),
        pickle.dumps(np.array([1, "a"], dtype=object), protocol=2),  # object arrays hold Python objects
        b"cos\nsystem\n(S'true'\ntR.",  # a hand-written GLOBAL + REDUCE
        b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncbuiltins\nobject\nK\x00\x85C\x01b\x87R.",
        b"",
        b"\x80\x05not a pickle",
    ]
    for data in evil:
        with pytest.raises(UnsafePickle):
            loads_numpy(data)
