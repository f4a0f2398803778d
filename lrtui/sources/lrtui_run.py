"""lrtui run directories through the same interface as foreign logs (listing, compare, export).

The live monitor keeps its own tuned reader for lrtui runs (`RunFollower`); this adapter serves the
places that treat every format alike. Step columns become series named as the metrics.jsonl columns
("lr" for group 0, "lr/pg1" for group 1, "momentum", "loss", "grad_norm", "epoch", extra columns), and
the numbers of epoch records become series over the record's step ("test_acc", "train_loss", ...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lrtui.runs.paths import STDOUT
from lrtui.runs.reader import RunData, read_run
from lrtui.sources.base import POLL_BYTES, Source
from lrtui.sources.series import clean_name

_EPOCH_SKIP = frozenset(("kind", "epoch", "step", "t"))


def group_name(base: str, group: int) -> str:
    """'lr' for group 0, 'lr/pg1' for group 1 (Lightning's LearningRateMonitor says pg too)."""
    return base if group == 0 else f"{base}/pg{group}"


def epoch_scalars(epochs: list[dict] | tuple[dict, ...]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Numeric keys of epoch records as series over each record's step (records without one are left out)."""
    cols: dict[str, tuple[list[int], list[float]]] = {}
    for rec in epochs:
        step = rec.get("step")
        if isinstance(step, bool) or not isinstance(step, int):
            continue
        for key, value in rec.items():
            if key in _EPOCH_SKIP or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            col = cols.setdefault(clean_name(key), ([], []))
            col[0].append(step)
            col[1].append(float(value))
    return {k: (np.asarray(s, dtype=np.int64), np.asarray(v, dtype=np.float64)) for k, (s, v) in cols.items()}


def step_scalars(steps: np.ndarray, data: RunData) -> dict[str, np.ndarray]:
    """The step columns of RunData as {name: values} (all aligned with `steps`)."""
    out: dict[str, np.ndarray] = {}
    n = steps.size

    def col(arr) -> np.ndarray:
        return np.frombuffer(arr, dtype=np.float64)[:n].copy()

    for g, arr in enumerate(data.lr):
        out[group_name("lr", g)] = col(arr)
    for g, arr in enumerate(data.momentum):
        out[group_name("momentum", g)] = col(arr)
    out["loss"] = col(data.loss)
    out["grad_norm"] = col(data.grad_norm)
    out["epoch"] = col(data.epoch)
    for key, arr in data.extra.items():
        out[clean_name(key)] = col(arr)
    return {k: v for k, v in out.items() if v.size and not np.isnan(v).all()}


class LrtuiRunSource(Source):
    """An lrtui run directory (config.json, status.json, metrics.jsonl, stdout.log)."""

    format = "lrtui"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.run = None  # lrtui.runs.reader.Run once read
        self._seen = -1

    def files(self) -> list[Path]:
        return [self.path / name for name in ("config.json", "status.json", "metrics.jsonl")]

    def output_log(self) -> Path | None:
        return self.path / STDOUT

    def state(self, now: float | None = None, live_after_s: float = 0.0) -> str:
        return self.run.state if self.run is not None else "unknown"

    def _poll(self, max_bytes: int = POLL_BYTES) -> None:
        if self.run is None:
            self.run = read_run(self.path)
        else:
            self.run.refresh(max_bytes)
        run = self.run
        self.config = run.config
        self.meta = {"status": run.status, "finished": run.state == "finished"}
        updated = run.status.get("updated") if isinstance(run.status, dict) else None
        if isinstance(updated, (int, float)) and not isinstance(updated, bool):
            self.note_write(float(updated))
        elif run.data.last_t is not None:
            self.note_write(float(run.data.last_t))
        if run.data.version == self._seen:
            return
        self._seen = run.data.version
        self.store.clear()
        self.skipped = run.tail.skipped + run.data.skipped
        steps = np.frombuffer(run.data.steps, dtype=np.int64).copy()
        for name, values in step_scalars(steps, run.data).items():
            self.store.add(name, steps, values)
        for name, (s, v) in epoch_scalars(run.data.epochs).items():
            if name not in self.store:
                self.store.add(name, s, v)
