"""Checkpoints: saved atomically, loaded without ever running code from the file.

Saving: torch.save to a temp file in the same directory (the run file mode), fsync, os.replace — a reader
(or a crash) never sees a half-written checkpoint.pt. Everything saved is tensors and plain Python data
(the trainer passes optimizer and scheduler states through `plain()`: some schedulers leave numpy scalars
in them), so loading needs nothing but `torch.load(weights_only=True)`: a checkpoint.pt planted in a run
directory cannot run code on `lrtui resume` — torch refuses any global it does not know as plain data.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lrtui.runs.files import open_new, open_regular

CHECKPOINT_NAME = "checkpoint.pt"


class UnusableCheckpoint(ValueError):
    """checkpoint.pt is not one this trainer wrote (or not safe to load): nothing in it was run."""


def plain(value: Any) -> Any:
    """`value` with numpy scalars/arrays made Python numbers/lists (tensors and containers kept)."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def save_atomic(payload: dict[str, Any], path: str | Path) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # a leftover of a killed save by a process that had this pid
    try:
        with os.fdopen(open_new(tmp), "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load(path: str | Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    """The checkpoint as plain data and tensors, or UnusableCheckpoint saying why (nothing is executed)."""
    name = Path(path).name
    try:
        with os.fdopen(open_regular(path), "rb") as f:  # never a FIFO, a device or a symlink
            state = torch.load(f, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[-1][:160] if str(exc).strip() else type(exc).__name__
        raise UnusableCheckpoint(
            f"{name} holds something other than tensors and plain data, so it was not loaded "
            f"(nothing in it was run): {first}"
        ) from None
    except (OSError, RuntimeError, ValueError, EOFError, KeyError, TypeError, AttributeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UnusableCheckpoint(f"{name} cannot be loaded: {reason[:200]}") from None
    if not isinstance(state, dict) or not isinstance(state.get("position"), dict):
        raise UnusableCheckpoint(f"{name} is not a checkpoint of lrtui's trainer (no 'position')")
    return state


def rng_states() -> dict[str, Any]:
    states: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    if "torch" in states:
        torch.set_rng_state(states["torch"].cpu())
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in states["cuda"]])
