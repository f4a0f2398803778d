"""Datasets, loaded once into uint8 tensors (N, C, H, W) and int64 labels.

Real datasets come through torchvision (CIFAR-10, MNIST, Fashion-MNIST): downloaded into a cache dir, or
read from `data_dir` holding an existing copy in torchvision's layout (the seed's
`datasets.CIFAR10(root=...)`). We read the torchvision dataset's `.data` / `.targets` arrays directly:
no per-item PIL transforms. "synthetic" is a built-in offline dataset generated procedurally.

Integrity checks (torchvision 0.2x): CIFAR-10 verifies the md5 of every batch file and of batches.meta;
MNIST/Fashion-MNIST only check that the four raw idx files exist (no md5 on the raw files). A copy the
project generates (tests, `write_cifar10_copy`) cannot match CIFAR's md5s, so `verify_checksums=False`
loads CIFAR-10 through a subclass that checks existence only; the files are still parsed by torchvision's
own loading code.
"""

from __future__ import annotations

import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

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


def default_data_dir() -> str:
    return os.environ.get("LRTUI_DATA_DIR") or str(Path.home() / ".cache" / "lrtui" / "datasets")


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
CIFAR_TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR_FILES = [*CIFAR_TRAIN_FILES, "test_batch", "batches.meta"]


def cifar10_dataset_class(verify: bool):
    from torchvision import datasets

    if verify:
        return datasets.CIFAR10

    class CIFAR10ExistenceOnly(datasets.CIFAR10):
        """torchvision's CIFAR10 with md5 checks replaced by existence checks (generated copies)."""

        def _check_integrity(self) -> bool:
            folder = os.path.join(self.root, self.base_folder)
            return all(os.path.isfile(os.path.join(folder, f)) for f, _ in self.train_list + self.test_list)

        def _load_meta(self) -> None:
            path = os.path.join(self.root, self.base_folder, self.meta["filename"])
            if not os.path.isfile(path):
                raise RuntimeError(f"Dataset metadata file not found: {path}")
            with open(path, "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    return CIFAR10ExistenceOnly


def _load_cifar10(root: str, download: bool, verify: bool) -> DatasetArrays:
    cls = cifar10_dataset_class(verify)
    folder = Path(root) / "cifar-10-batches-py"
    present = all((folder / f).is_file() for f in CIFAR_FILES)
    try:
        train = cls(root=root, train=True, download=download and not present)
        test = cls(root=root, train=False, download=False)
    except Exception as err:  # network errors, corrupt files, md5 mismatches: all reported the same way
        if present and verify:
            why = (
                "the files are there but do not match torchvision's md5 checksums (a generated or modified "
                "copy? set verify_checksums = false to load it anyway)"
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
    to_tensor = lambda d: torch.from_numpy(np.ascontiguousarray(d.data)).permute(0, 3, 1, 2).contiguous()  # noqa: E731
    return DatasetArrays(
        "cifar10",
        to_tensor(train),
        torch.as_tensor(train.targets, dtype=torch.int64),
        to_tensor(test),
        torch.as_tensor(test.targets, dtype=torch.int64),
        CIFAR10_MEAN,
        CIFAR10_STD,
        list(train.classes),
    )


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
MNIST_RAW_FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


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


def synthetic_dataset(train_size: int = 10_000, test_size: int = 2_000, *, seed: int = 0) -> DatasetArrays:
    """The built-in offline dataset: deterministic from `seed` (train and test use separate streams)."""
    train_x, train_y = synthetic_images(train_size, np.random.default_rng([seed, 0]))
    test_x, test_y = synthetic_images(test_size, np.random.default_rng([seed, 1]))
    scaled = train_x.astype(np.float32) / 255.0
    mean = tuple(float(v) for v in scaled.mean(axis=(0, 2, 3)))
    std = tuple(float(v) for v in scaled.std(axis=(0, 2, 3)))
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
