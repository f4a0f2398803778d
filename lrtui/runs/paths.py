"""Where runs live and what the files in a run directory are called."""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

CONFIG = "config.json"
STATUS = "status.json"
METRICS = "metrics.jsonl"
STDOUT = "stdout.log"
CHECKPOINT = "checkpoint.pt"
LOCK = "lock"  # flock'ed by the trainer for its lifetime (lock.py)

FORMAT_VERSION = 1


def default_runs_dir() -> Path:
    """$LRTUI_RUNS_DIR, else ${XDG_DATA_HOME:-~/.local/share}/lrtui/runs (not created here)."""
    explicit = os.environ.get("LRTUI_RUNS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser() / "lrtui" / "runs"


# Run files are private by default (0600, directories 0700), whatever the umask: configs name data paths,
# errors carry tracebacks, checkpoints hold the weights. $LRTUI_FILE_MODE (octal, e.g. 640 to share with
# the group) chooses another mode; directories get it plus x wherever it grants r.
FILE_MODE_ENV = "LRTUI_FILE_MODE"
DEFAULT_FILE_MODE = 0o600


def file_mode() -> int:
    """The mode run files are created with ($LRTUI_FILE_MODE or 0600); ValueError names a bad setting."""
    raw = os.environ.get(FILE_MODE_ENV, "").strip()
    if not raw:
        return DEFAULT_FILE_MODE
    try:
        mode = int(raw, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o666 or (mode & 0o600) != 0o600:
        raise ValueError(
            f"{FILE_MODE_ENV}={raw[:20]!r} is not allowed: an octal file mode that keeps owner read/write "
            "and sets no execute or special bits, e.g. 600 (default) or 640"
        )
    return mode


def dir_mode() -> int:
    """The mode run directories (and a runs dir lrtui creates) get: file_mode() plus x where r is set."""
    mode = file_mode()
    return mode | ((mode & 0o444) >> 2)


def make_private_dir(path: Path, *, parents: bool = False, exist_ok: bool = True) -> bool:
    """mkdir with dir_mode() exactly (umask ignored); return whether it was created here.

    An existing directory keeps its mode: it is the user's.
    """
    path = Path(path)
    mode = dir_mode()  # a bad $LRTUI_FILE_MODE is refused before anything is made
    if parents and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        if not exist_ok or not path.is_dir():
            raise
        return False
    os.chmod(path, mode)
    return True


def slug(text: object, max_len: int = 24) -> str:
    """A file-name-safe fragment of `text` ("ResNet-18 (CIFAR)" -> "resnet-18-cifar")."""
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", str(text).lower()).strip("-.")
    return cleaned[:max_len].rstrip("-.") or "run"


def new_run_id(model: object = None, now: float | None = None) -> str:
    """ "YYYYmmdd-HHMMSS-<model>-<4 hex>" in UTC: sorts by creation time, readable, unlikely to collide."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{slug(model if model else 'run')}-{secrets.token_hex(2)}"
