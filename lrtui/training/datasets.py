"""Datasets, loaded once into uint8 tensors (N, C, H, W) and int64 labels.

Real datasets: CIFAR-10, MNIST, Fashion-MNIST in torchvision's on-disk layout, downloaded into a cache dir
(by torchvision's downloader) or read from `data_dir` holding an existing copy (the seed's
`datasets.CIFAR10(root=...)`); MNIST's idx files are read by torchvision, straight into arrays (no per-item
PIL transforms). "synthetic" is a built-in offline dataset generated procedurally.

CIFAR-10's python batches are pickles, and a pickle can run code while it loads, so they never reach
`pickle.load`: each file is read once, its md5 checked against torchvision's list on those very bytes
(`verify_checksums`, default on), and unpickled by safe_pickle's numpy-only unpickler, which cannot run
code whatever the bytes are. A copy the project generates (tests, `write_cifar10_copy`) cannot match
CIFAR's md5s: `verify_checksums=False` loads it, still through the safe unpickler. MNIST/Fashion-MNIST
have no md5 on the raw files (torchvision checks they exist) and hold no pickle.
"""

from __future__ import annotations

import hashlib
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lrtui.training.dataset_files import (
    CIFAR_FILES,
    CIFAR_FOLDER,
    CIFAR_MD5,
    CIFAR_TGZ_MD5,
    CIFAR_TRAIN_FILES,
    CIFAR_URL,
    MNIST_RAW_FILES,
    default_data_dir,
    read_dataset_file,
)
from lrtui.training.safe_pickle import UnsafePickle, loads_numpy

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # the seed's Normalize constants
CIFAR10_STD = (0.2023, 0.1994, 0.2010)
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
FASHION_MEAN, FASHION_STD = (0.2860,), (0.3530,)
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SYNTHETIC_CLASSES = [f"{c}-{f}" for f in ("low", "high") for c in ("red", "green", "blue", "yellow", "cyan")]


class DatasetUnavailable(RuntimeError):
    """The dataset is not in data_dir and could not be downloaded (the message says where and what)."""


@dataclass
class DatasetArrays:
    name: str
    train_x: torch.Tensor  # uint8 (N, C, H, W)
    train_y: torch.Tensor  # int64 (N,)
    test_x: torch.Tensor
    test_y: torch.Tensor
    mean: tuple[float, ...]  # per channel, in [0, 1] units (applied after /255)
    std: tuple[float, ...]
    classes: list[str]

    @property
    def channels(self) -> int:
        return int(self.train_x.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.train_x.shape[2])

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def load_dataset(
    name: str,
    *,
    data_dir: str | None = None,
    download: bool = True,
    verify_checksums: bool = True,
    synthetic_train_size: int = 10_000,
    synthetic_test_size: int = 2_000,
    seed: int = 0,
) -> DatasetArrays:
    """Load a dataset by name: cifar10 | mnist | fashion_mnist | synthetic."""
    if name == "synthetic":
        return synthetic_dataset(synthetic_train_size, synthetic_test_size, seed=seed)
    root = data_dir or default_data_dir()
    if name == "cifar10":
        return _load_cifar10(root, download, verify_checksums)
    if name in ("mnist", "fashion_mnist"):
        return _load_mnist(name, root, download)
    raise ValueError(f"dataset = {name!r} is invalid: one of cifar10, mnist, fashion_mnist, synthetic")


# --------------------------------------------------------------------------------------------- CIFAR-10
def _load_cifar10(root: str, download: bool, verify: bool) -> DatasetArrays:
    folder = Path(root) / CIFAR_FOLDER
    present = all((folder / f).is_file() for f in CIFAR_FILES)
    try:
        if not present:
            if not download:
                raise FileNotFoundError("files missing")
            from torchvision.datasets.utils import download_and_extract_archive

            download_and_extract_archive(
                CIFAR_URL, root, filename=CIFAR_URL.rsplit("/", 1)[1], md5=CIFAR_TGZ_MD5
            )
        batches = {f: _read_cifar_file(folder / f, verify) for f in CIFAR_FILES}
        train_x, train_y = _cifar_arrays([batches[f] for f in CIFAR_TRAIN_FILES])
        test_x, test_y = _cifar_arrays([batches["test_batch"]])
        classes = [str(c) for c in batches["batches.meta"]["label_names"]]
    except Exception as err:  # network errors, corrupt files, md5 mismatches: all reported the same way
        if isinstance(err, UnsafePickle):
            why = f"{err}; nothing in it was run"
        elif present and verify:
            why = (
                "the files are there but do not match torchvision's md5 checksums (a generated or modified "
                "copy? set verify_checksums = false to load it anyway: it is read without running any code)"
            )
        elif download:
            why = f"they are missing and the download failed ({type(err).__name__}: {err})"
        else:
            why = f"they are missing or unreadable and download = false ({type(err).__name__}: {err})"
        raise DatasetUnavailable(
            f"dataset 'cifar10' could not be loaded from data_dir '{root}': expected {folder}/"
            f"{{{', '.join(CIFAR_FILES)}}}; {why}. Put a copy of cifar-10-python.tar.gz extracted there, or use "
            "dataset 'synthetic' (offline, built in)."
        ) from err
    return DatasetArrays(
        "cifar10",
        torch.from_numpy(train_x),
        torch.from_numpy(train_y),
        torch.from_numpy(test_x),
        torch.from_numpy(test_y),
        CIFAR10_MEAN,
        CIFAR10_STD,
        classes,
    )


def _read_cifar_file(path: Path, verify: bool) -> dict:
    """One python-format CIFAR file, read once: md5-checked (if `verify`) on the very bytes unpickled,
    and unpickled by an unpickler that cannot run code (safe_pickle), checksum or not."""
    data = read_dataset_file(path)
    if verify and hashlib.md5(data, usedforsecurity=False).hexdigest() != CIFAR_MD5[path.name]:
        raise ValueError(f"{path.name}: md5 mismatch")
    entry = loads_numpy(data)
    if not isinstance(entry, dict):
        raise UnsafePickle(f"{path.name} holds a {type(entry).__name__}, not a CIFAR batch dict")
    return entry


def _cifar_arrays(entries: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 (N, 3, 32, 32), int64 (N,)) from CIFAR batch dicts ("data": N x 3072 rows, "labels")."""
    xs, ys = [], []
    for entry in entries:
        x = np.asarray(entry["data"], dtype=np.uint8)
        y = np.asarray(entry.get("labels", entry.get("fine_labels")), dtype=np.int64)
        if x.ndim != 2 or x.shape[1] != 3 * 32 * 32 or y.shape != (len(x),):
            raise ValueError(f"a batch holds data {x.shape} and labels {y.shape}: not N x 3072 and N")
        xs.append(x)
        ys.append(y)
    return np.ascontiguousarray(np.concatenate(xs).reshape(-1, 3, 32, 32)), np.concatenate(ys)


def write_cifar10_copy(root: str | Path, train_x, train_y, test_x, test_y, classes=CIFAR10_CLASSES) -> Path:
    """Write arrays in CIFAR-10's python layout (`cifar-10-batches-py/`): train split over 5 pickled batches.

    x: uint8 (N, 3, 32, 32) arrays/tensors, y: int labels. Used by tests and to export the synthetic set.
    """
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    train_x, test_x = np.asarray(train_x, dtype=np.uint8), np.asarray(test_x, dtype=np.uint8)
    train_y, test_y = np.asarray(train_y).tolist(), np.asarray(test_y).tolist()
    chunks = np.array_split(np.arange(len(train_x)), 5)
    for i, idx in enumerate(chunks, start=1):
        _write_cifar_batch(
            folder / f"data_batch_{i}", f"training batch {i} of 5", train_x[idx], [train_y[j] for j in idx]
        )
    _write_cifar_batch(folder / "test_batch", "testing batch 1 of 1", test_x, test_y)
    meta = {"num_cases_per_batch": len(chunks[0]), "label_names": list(classes), "num_vis": 3072}
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)
    return folder


def _write_cifar_batch(path: Path, label: str, x: np.ndarray, y: list[int]) -> None:
    entry = {
        "batch_label": label,
        "labels": [int(v) for v in y],
        "data": x.reshape(len(x), 3 * 32 * 32),  # row-major: 1024 red, 1024 green, 1024 blue
        "filenames": [f"img_{i:05d}.png" for i in range(len(x))],
    }
    with open(path, "wb") as f:
        pickle.dump(entry, f, protocol=2)


# ---------------------------------------------------------------------------------------- MNIST family
def _load_mnist(name: str, root: str, download: bool) -> DatasetArrays:
    from torchvision import datasets

    cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    raw = Path(root) / cls.__name__ / "raw"
    try:
        train = cls(root=root, train=True, download=download)
        test = cls(root=root, train=False, download=False)
    except Exception as err:
        how = "the download failed" if download else "download = false"
        raise DatasetUnavailable(
            f"dataset '{name}' could not be loaded from data_dir '{root}': expected {raw}/"
            f"{{{', '.join(MNIST_RAW_FILES)}}} (uncompressed idx files); {how} "
            f"({type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}). "
            "Put a copy there, or use dataset 'synthetic' (offline, built in)."
        ) from err
    mean, std = (MNIST_MEAN, MNIST_STD) if name == "mnist" else (FASHION_MEAN, FASHION_STD)
    return DatasetArrays(
        name,
        train.data.unsqueeze(1).contiguous(),
        train.targets.to(torch.int64),
        test.data.unsqueeze(1).contiguous(),
        test.targets.to(torch.int64),
        mean,
        std,
        list(train.classes),
    )


def write_mnist_copy(root: str | Path, train_x, train_y, test_x, test_y, folder: str = "MNIST") -> Path:
    """Write arrays as the uncompressed idx ubyte files torchvision reads (`<folder>/raw/...`).

    x: uint8 (N, 28, 28) or (N, 1, 28, 28); y: labels 0..9. folder "FashionMNIST" for Fashion-MNIST.
    """
    raw = Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split, x, y in (("train", train_x, train_y), ("t10k", test_x, test_y)):
        x = np.asarray(x, dtype=np.uint8)
        x = x.reshape(len(x), x.shape[-2], x.shape[-1])
        y = np.asarray(y, dtype=np.uint8)
        # idx format: big-endian magic (0x0000 type=0x08 ubyte, ndim) then one int32 per dimension
        (raw / f"{split}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x803, *x.shape) + x.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, len(y)) + y.tobytes())
    return raw


# ------------------------------------------------------------------------------------------- synthetic
# Class = colour (5 hues) x grating frequency (2 levels). Orientation, phase, amplitude, background and
# noise are random per image, so the class survives random crops and flips but is not readable from a
# single pixel: a small CNN gets well above chance (10%) within a couple of epochs.
_HUES = np.array(
    [[1.0, 0.15, 0.1], [0.1, 0.9, 0.2], [0.15, 0.3, 1.0], [0.95, 0.85, 0.1], [0.1, 0.85, 0.9]],
    dtype=np.float32,
)
_FREQS = np.array([1.5, 4.0], dtype=np.float32)  # cycles per 32 pixels


def synthetic_images(n: int, rng: np.random.Generator, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """n images uint8 (n, 3, size, size) and int64 labels (balanced, shuffled) from `rng`."""
    labels = rng.permutation(np.arange(n) % 10).astype(np.int64)
    out = np.empty((n, 3, size, size), dtype=np.uint8)
    yy, xx = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32), indexing="ij")
    for start in range(0, n, 4096):  # chunks keep the float temporaries small
        lab = labels[start : start + 4096]
        m = len(lab)
        theta = rng.uniform(0, np.pi, m).astype(np.float32)
        phase = rng.uniform(0, 2 * np.pi, m).astype(np.float32)
        freq = _FREQS[lab // 5] * rng.uniform(0.85, 1.15, m).astype(np.float32)
        amp = rng.uniform(0.35, 0.8, m).astype(np.float32)
        hue = _HUES[lab % 5] + rng.normal(0, 0.12, (m, 3)).astype(np.float32)
        background = rng.uniform(0.0, 0.45, (m, 3)).astype(np.float32)
        proj = np.cos(theta)[:, None, None] * xx + np.sin(theta)[:, None, None] * yy
        wave = 0.5 + 0.5 * np.sin(2 * np.pi * freq[:, None, None] * proj / size + phase[:, None, None])
        img = background[:, :, None, None] + (amp[:, None] * hue)[:, :, None, None] * wave[:, None]
        img += rng.normal(0, 0.12, img.shape).astype(np.float32)
        out[start : start + m] = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out, labels


def channel_stats(x: np.ndarray, chunk: int = 4096) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of uint8 images (N, C, H, W) in [0, 1] units, in chunks: no float copy
    of the whole set (4x its size), so memory stays what TrainConfig.memory_estimate() says."""
    total = np.zeros(x.shape[1])
    squares = np.zeros(x.shape[1])
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk].astype(np.float64) / 255.0
        total += part.sum(axis=(0, 2, 3))
        squares += np.square(part).sum(axis=(0, 2, 3))
    count = max(1, x.shape[0] * x.shape[2] * x.shape[3])
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)


def synthetic_dataset(train_size: int = 10_000, test_size: int = 2_000, *, seed: int = 0) -> DatasetArrays:
    """The built-in offline dataset: deterministic from `seed` (train and test use separate streams)."""
    train_x, train_y = synthetic_images(train_size, np.random.default_rng([seed, 0]))
    test_x, test_y = synthetic_images(test_size, np.random.default_rng([seed, 1]))
    mean, std = channel_stats(train_x)
    return DatasetArrays(
        "synthetic",
        torch.from_numpy(train_x),
        torch.from_numpy(train_y),
        torch.from_numpy(test_x),
        torch.from_numpy(test_y),
        mean,
        std,
        list(SYNTHETIC_CLASSES),
    )
