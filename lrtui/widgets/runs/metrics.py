"""Worker-side shaping shared by the monitor's followers (numpy only; no Textual, no torch).

- `MetricView`: one logged scalar as the monitor's metric grid draws it: the raw, full-resolution
  views (for the cursor and CSV export) and a plot-ready (x, y) that is a min/max envelope once the series
  is long (spikes kept). `MetricTracker` keeps one incremental envelope per metric, so a poll costs what
  was appended, not the history.
- `OutputFollower`: the run's console output (a `LogTail`) as an immutable `OutputView` per change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lrtui.sources.logtail import LogTail
from lrtui.sources.roles import metric_goal
from lrtui.sources.series import Column
from lrtui.widgets.runs.model import Envelope

XY = tuple  # (x ndarray, y ndarray)


@dataclass(frozen=True)
class MetricView:
    """One metric as of one poll. Arrays are read-only views: never mutate."""

    name: str
    steps: np.ndarray  # int64, every logged point
    values: np.ndarray  # float64, aligned with steps
    plot: XY  # what the chart draws: raw when short, else the min/max envelope
    version: tuple  # changes whenever the data changed (generation, length)

    @property
    def n(self) -> int:
        return int(self.steps.size)

    @property
    def goal(self) -> str | None:
        return metric_goal(self.name)

    def last(self) -> float | None:
        tail = self.values[-4096:]
        finite = np.flatnonzero(np.isfinite(tail))
        return float(tail[finite[-1]]) if finite.size else None

    def best(self) -> tuple[float, int] | None:
        """(best value, its step) by the name's goal (max for accuracies, min for losses); None if unknown."""
        goal = self.goal
        if goal is None or not self.values.size:
            return None
        finite = np.isfinite(self.values)
        if not finite.any():
            return None
        pick = np.where(finite, self.values, -np.inf if goal == "max" else np.inf)
        i = int(np.argmax(pick) if goal == "max" else np.argmin(pick))
        return float(self.values[i]), int(self.steps[i])


class _Tracked:
    __slots__ = ("done", "env", "generation", "x")

    def __init__(self, generation: object) -> None:
        self.generation = generation
        self.done = 0
        self.x = Column(np.float64)
        self.env = Envelope()


class MetricTracker:
    """Plot-ready views of many growing metrics, each extended incrementally."""

    def __init__(self) -> None:
        self._tracked: dict[str, _Tracked] = {}

    def view(
        self,
        name: str,
        steps: np.ndarray,
        values: np.ndarray,
        generation: object = 0,
        x: np.ndarray | None = None,
    ) -> MetricView:
        """`x`: the steps as float64 when the caller already keeps them (shared by many columns)."""
        n = int(steps.size)
        t = self._tracked.get(name)
        if t is None or t.generation != generation or n < t.done:
            t = self._tracked[name] = _Tracked(generation)
        if x is None and n > t.done:
            t.x.extend(steps[t.done : n].astype(np.float64))
        t.done = n
        plot = t.env.update(t.x.view() if x is None else x[:n], values[:n])
        return MetricView(name, steps[:n], values[:n], plot, (generation, n))

    def forget(self, keep: set[str]) -> None:
        for name in [k for k in self._tracked if k not in keep]:
            del self._tracked[name]


@dataclass(frozen=True)
class OutputView:
    """The console output as of one poll: the kept lines (oldest first) and the line being written."""

    path: Path | None
    lines: tuple[str, ...] = ()
    partial: str = ""
    total: int = 0  # complete lines seen since the tail started (lines[-1] is line `total`)
    dropped: int = 0  # lines before lines[0] that are not kept
    missing: bool = True
    version: int = 0
    note: str = ""  # why there is none, when there is none


@dataclass
class OutputFollower:
    """Tails the console output at most every `every_s` seconds (it is read by the monitor's worker)."""

    path: Path | None
    every_s: float = 0.25
    _tail: LogTail | None = None
    _at: float = -1e9
    _view: OutputView | None = None
    note: str = field(default="")

    def poll(self) -> OutputView:
        if self._view is None:
            self._view = OutputView(self.path, note=self.note)
        if self.path is None or time.monotonic() - self._at < self.every_s:
            return self._view
        self._at = time.monotonic()
        if self._tail is None:
            self._tail = LogTail(self.path)
        if self._tail.poll() or self._view.missing != self._tail.missing:
            tail = self._tail
            self._view = OutputView(
                self.path,
                tuple(tail.lines),
                tail.partial,
                tail.total,
                tail.dropped,
                tail.missing,
                tail.version,
                "" if not tail.missing else f"{self.path.name} does not exist (yet)",
            )
        return self._view
