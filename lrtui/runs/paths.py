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

FORMAT_VERSION = 1


def default_runs_dir() -> Path:
    """$LRTUI_RUNS_DIR, else ${XDG_DATA_HOME:-~/.local/share}/lrtui/runs (not created here)."""
    explicit = os.environ.get("LRTUI_RUNS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser() / "lrtui" / "runs"


def slug(text: object, max_len: int = 24) -> str:
    """A file-name-safe fragment of `text` ("ResNet-18 (CIFAR)" -> "resnet-18-cifar")."""
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", str(text).lower()).strip("-.")
    return cleaned[:max_len].rstrip("-.") or "run"


def new_run_id(model: object = None, now: float | None = None) -> str:
    """ "YYYYmmdd-HHMMSS-<model>-<4 hex>" in UTC: sorts by creation time, readable, unlikely to collide."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{slug(model if model else 'run')}-{secrets.token_hex(2)}"
