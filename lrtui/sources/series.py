"""Scalar series as growing numpy columns: what every source reader fills and the monitor draws.

A `Series` is one logged metric: steps (int64), values (float64) and wall times (float64, NaN when the
format has none). Columns grow by doubling and a view of [:n] is never written again, so a consumer on
another thread can hold views while the reader appends — no locks, no copies of the history per update.
When a writer restarts from an earlier step (a resumed run re-logs steps after its checkpoint; TensorBoard
calls the dropped points "orphaned") the series keeps the points before that step and the newest values
win: it gets fresh buffers (`generation` bumps) so views already handed out stay intact.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from lrtui.runs.text import clean_text

MAX_NAME = 200  # characters kept of a metric name (hostile files)
MAX_SERIES = 10_000  # metrics kept per run; more are counted as skipped


def clean_name(raw: str | bytes) -> str:
    """A metric name fit for display: UTF-8 (invalid bytes replaced), control characters dropped, capped."""
    text = bytes(raw).decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray, memoryview)) else raw
    return clean_text(text).strip()[:MAX_NAME] or "?"


class Column:
    """A numpy column that grows by doubling; `view()` of [:n] stays valid (never rewritten) forever."""

    __slots__ = ("buf", "n")

    def __init__(self, dtype: Any, capacity: int = 1024) -> None:
        self.buf = np.empty(max(int(capacity), 16), dtype=dtype)
        self.n = 0

    def extend(self, values: Any) -> None:
        values = np.asarray(values)
        need = self.n + values.size
        if need > self.buf.size:
            grown = np.empty(max(need, 2 * self.buf.size), dtype=self.buf.dtype)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        self.buf[self.n : need] = values
        self.n = need

    def view(self) -> np.ndarray:
        return self.buf[: self.n]

    def __len__(self) -> int:
        return self.n


class Series:
    """One metric: aligned step / value / wall-time columns, in the order the writer logged them."""

    __slots__ = ("_steps", "_values", "_wall", "generation", "name", "version")

    def __init__(self, name: str, capacity: int = 64) -> None:
        self.name = name
        self._steps = Column(np.int64, capacity)
        self._values = Column(np.float64, capacity)
        self._wall = Column(np.float64, capacity)
        self.generation = 0  # bumps when the columns were rebuilt (a restart dropped later points)
        self.version = 0  # bumps on every change

    def __len__(self) -> int:
        return self._steps.n

    @property
    def steps(self) -> np.ndarray:
        return self._steps.view()

    @property
    def values(self) -> np.ndarray:
        return self._values.view()

    @property
    def wall(self) -> np.ndarray:
        return self._wall.view()

    @property
    def last_step(self) -> int | None:
        return int(self._steps.buf[self._steps.n - 1]) if self._steps.n else None

    def extend(self, steps: Any, values: Any, wall: Any = None) -> None:
        """Append points; where steps go back (a restarted writer), the later points held are dropped."""
        steps = np.asarray(steps, dtype=np.int64)
        if steps.size == 0:
            return
        values = np.asarray(values, dtype=np.float64)
        wall = np.full(steps.size, np.nan) if wall is None else np.asarray(wall, dtype=np.float64)
        back = np.flatnonzero(steps[1:] < steps[:-1]) + 1  # restarts inside this batch
        cuts = [0, *back.tolist(), steps.size]
        for a, b in itertools.pairwise(cuts):
            self._append(steps[a:b], values[a:b], wall[a:b])
        self.version += 1

    def _append(self, steps: np.ndarray, values: np.ndarray, wall: np.ndarray) -> None:
        n = self._steps.n
        if n and steps[0] < self._steps.buf[n - 1]:
            keep = int(np.searchsorted(self._steps.view(), steps[0], side="left"))
            self._rebuild(keep)
        self._steps.extend(steps)
        self._values.extend(values)
        self._wall.extend(wall)

    def _rebuild(self, keep: int) -> None:
        old = (self._steps, self._values, self._wall)
        cap = max(64, 2 * keep)
        self._steps, self._values, self._wall = (
            Column(np.int64, cap),
            Column(np.float64, cap),
            Column(np.float64, cap),
        )
        for new, col in zip((self._steps, self._values, self._wall), old):
            new.extend(col.view()[:keep])
        self.generation += 1


class ScalarStore:
    """Every metric of one run by name, in first-seen order. Names are cleaned and capped in number."""

    def __init__(self) -> None:
        self.series: dict[str, Series] = {}
        self.dropped = 0  # points of metrics beyond MAX_SERIES
        self.version = 0

    def __len__(self) -> int:
        return len(self.series)

    def __contains__(self, name: object) -> bool:
        return name in self.series

    def get(self, name: str) -> Series | None:
        return self.series.get(name)

    def names(self) -> list[str]:
        return list(self.series)

    def add(self, name: str, steps: Any, values: Any, wall: Any = None) -> None:
        series = self.series.get(name)
        if series is None:
            if len(self.series) >= MAX_SERIES:
                self.dropped += int(np.size(steps))
                return
            series = self.series[name] = Series(name)
        series.extend(steps, values, wall)
        self.version += 1

    def clear(self) -> None:
        self.series.clear()
        self.dropped = 0
        self.version += 1

    @property
    def last_step(self) -> int | None:
        steps = [s.last_step for s in self.series.values() if len(s)]
        return max(steps) if steps else None

    @property
    def points(self) -> int:
        return sum(len(s) for s in self.series.values())
