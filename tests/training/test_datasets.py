"""Dataset loading through torchvision's own code, on copies generated in the exact on-disk formats."""

import numpy as np
import pytest
import torch

from lrtui.training.datasets import (
    CIFAR10_MEAN,
    DatasetUnavailable,
    load_dataset,
    synthetic_dataset,
    write_cifar10_copy,
    write_mnist_copy,
)


def _images(n, c, s, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, c, s, s), dtype=np.uint8), rng.integers(0, 10, n)


def test_cifar10_python_batches(tmp_path):
    train_x, train_y = _images(50, 3, 32, 0)
    test_x, test_y = _images(20, 3, 32, 1)
    folder = write_cifar10_copy(tmp_path, train_x, train_y, test_x, test_y)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["batches.meta", *(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]
    d = load_dataset("cifar10", data_dir=str(tmp_path), download=False, verify_checksums=False)
    assert d.train_x.dtype == torch.uint8 and d.train_x.shape == (50, 3, 32, 32)
    assert np.array_equal(d.train_x.numpy(), train_x) and np.array_equal(d.train_y.numpy(), train_y)
    assert np.array_equal(d.test_x.numpy(), test_x) and np.array_equal(d.test_y.numpy(), test_y)
    assert d.train_y.dtype == torch.int64 and d.classes[0] == "airplane" and d.mean == CIFAR10_MEAN


def test_cifar10_generated_copy_fails_md5_with_a_clear_message(tmp_path):
    x, y = _images(10, 3, 32, 0)
    write_cifar10_copy(tmp_path, x, y, x, y)
    with pytest.raises(DatasetUnavailable, match=r"'cifar10'.*md5.*verify_checksums = false"):
        load_dataset("cifar10", data_dir=str(tmp_path), download=False, verify_checksums=True)


@pytest.mark.parametrize(("name", "folder"), [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_idx_files(tmp_path, name, folder):
    train_x, train_y = _images(30, 1, 28, 2)
    test_x, test_y = _images(12, 1, 28, 3)
    raw = write_mnist_copy(tmp_path, train_x, train_y, test_x, test_y, folder=folder)
    assert raw == tmp_path / folder / "raw"
    d = load_dataset(name, data_dir=str(tmp_path), download=False)
    assert d.train_x.shape == (30, 1, 28, 28) and d.train_x.dtype == torch.uint8
    assert np.array_equal(d.train_x.numpy(), train_x) and np.array_equal(d.test_y.numpy(), test_y)
    assert d.train_y.dtype == torch.int64 and len(d.classes) == 10


@pytest.mark.parametrize("name", ["cifar10", "mnist"])
def test_missing_data_names_dataset_and_dir(tmp_path, name):
    # download=False keeps the test offline; with download=True the message is the same plus the network error
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset(name, data_dir=str(tmp_path / "empty"), download=False)
    text = str(info.value)
    assert f"'{name}'" in text and str(tmp_path / "empty") in text and "synthetic" in text


def test_synthetic_is_deterministic_balanced_and_sized():
    a, b = synthetic_dataset(200, 50, seed=5), synthetic_dataset(200, 50, seed=5)
    assert a.train_x.shape == (200, 3, 32, 32) and a.train_x.dtype == torch.uint8 and a.test_x.shape[0] == 50
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert not torch.equal(a.train_x, synthetic_dataset(200, 50, seed=6).train_x)
    assert torch.bincount(a.train_y, minlength=10).tolist() == [20] * 10
    assert len(a.mean) == 3 and all(0 < s < 1 for s in a.std)


def test_synthetic_classes_are_learnable_from_simple_statistics():
    # Mean colour alone (despite random backgrounds) picks the hue far above chance.
    d = synthetic_dataset(2000, 500, seed=0)
    feats = lambda x: x.float().mean(dim=(2, 3))  # noqa: E731
    centroids = torch.stack([feats(d.train_x[d.train_y == k]).mean(0) for k in range(10)])
    pred = torch.cdist(feats(d.test_x), centroids).argmin(1) % 5
    assert (pred == d.test_y % 5).float().mean() > 0.4  # chance: 0.2
