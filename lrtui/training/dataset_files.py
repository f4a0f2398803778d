"""What a dataset copy on disk must hold, and whether one is there or can be fetched (stdlib only).

`lrtui train` checks this before it detaches a trainer, so "dataset missing, download impossible" is said
in the shell, not seconds later in a log. The trainer (datasets.py) reads the same facts: one list of
files and checksums (torchvision 0.2x's, for CIFAR-10).
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import stat
import urllib.parse
from pathlib import Path

CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
CIFAR_TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
CIFAR_FILES = [*CIFAR_TRAIN_FILES, "test_batch", "batches.meta"]
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_TGZ_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR_BATCH_MAX = 64 << 20  # a real batch is 31 MB: a bigger file is not one (and is not read whole)

MNIST_RAW_FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]
MNIST_FOLDERS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}
# The first host torchvision tries for each (a reachable host is what "can be downloaded" means here).
DOWNLOAD_URLS = {
    "cifar10": CIFAR_URL,
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion_mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}


def default_data_dir() -> str:
    return os.environ.get("LRTUI_DATA_DIR") or str(Path.home() / ".cache" / "lrtui" / "datasets")


def expected_files(name: str, root: str | Path) -> list[Path]:
    root = Path(root)
    if name == "cifar10":
        return [root / CIFAR_FOLDER / f for f in CIFAR_FILES]
    if name in MNIST_FOLDERS:
        raw = root / MNIST_FOLDERS[name] / "raw"
        return [raw / f for f in MNIST_RAW_FILES]
    return []


def read_dataset_file(path: str | Path, limit: int = CIFAR_BATCH_MAX) -> bytes:
    """The bytes of a regular file (symlinks to one are fine: datasets are often linked in) of at most
    `limit` bytes. OSError otherwise: a FIFO or device is refused without blocking on it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"{Path(path).name} is not a regular file")
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"{Path(path).name} is too large ({st.st_size:,} bytes)")
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"{Path(path).name} is too large")
    return data


def md5_of(path: Path) -> str | None:
    try:
        return hashlib.md5(read_dataset_file(path), usedforsecurity=False).hexdigest()
    except OSError:
        return None


def bad_cifar_checksums(root: str | Path) -> list[str]:
    folder = Path(root) / CIFAR_FOLDER
    return [f for f in CIFAR_FILES if md5_of(folder / f) != CIFAR_MD5[f]]


def host_reachable(url: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the URL's host can be opened (no data is fetched)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def availability_problem(name: str, data_dir: str | None, download: bool, verify: bool) -> str | None:
    """Why the dataset cannot be loaded, or None: present on disk, or absent but its host reachable."""
    if name not in DOWNLOAD_URLS:
        return None  # synthetic: generated
    root = data_dir or default_data_dir()
    missing = [p for p in expected_files(name, root) if not p.is_file()]
    if not missing:
        if name == "cifar10" and verify:
            bad = bad_cifar_checksums(root)
            if bad:
                return (
                    f"a copy that matches torchvision's md5 checksums: {', '.join(bad[:3])}"
                    f"{' ...' if len(bad) > 3 else ''} in {Path(root) / CIFAR_FOLDER} do not (a generated or "
                    "modified copy? --set verify_checksums=false loads it, never running code from it)"
                )
        return None
    where = f"{missing[0].parent}/{{{', '.join(p.name for p in missing[:4])}}}"
    if not download:
        return f"a dataset on disk: missing {where} (and download = false)"
    url = DOWNLOAD_URLS[name]
    if not host_reachable(url):
        host = urllib.parse.urlsplit(url).hostname
        return (
            f"a dataset on disk or downloadable: missing {where}, and {host} is not reachable; put a "
            "copy there, pass --data-dir, or use --dataset synthetic (offline, built in)"
        )
    return None
