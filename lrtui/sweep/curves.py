"""Mean curves with a ±1 std band over a schedule's repeats (numpy only; no Textual, no torch).

Repeats of one schedule log the same x values (steps, or epochs) unless one is still running or stopped
early; the band is computed on the union of x values, from the repeats that have a value there (the count
is kept, so a view can tell where the band rests on fewer runs). Where fewer than two repeats have a value
the band collapses onto the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Band:
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray  # mean - std (sample std, n-1)
    high: np.ndarray  # mean + std
    count: np.ndarray  # repeats with a value at each x

    def __len__(self) -> int:
        return int(self.x.size)


def mean_band(series: Sequence[tuple[np.ndarray, np.ndarray]]) -> Band:
    """The mean and ±1 std band of several (x, y) series; non-finite y values are left out."""
    pairs = [(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)) for x, y in series]
    pairs = [(x, y) for x, y in pairs if x.size and x.size == y.size]
    if not pairs:
        empty = np.empty(0)
        return Band(empty, empty, empty, empty, np.empty(0, dtype=np.int64))
    xs = np.unique(np.concatenate([x[np.isfinite(x)] for x, _ in pairs]))
    grid = np.full((len(pairs), xs.size), np.nan)
    for row, (x, y) in enumerate(pairs):
        finite = np.isfinite(x)
        x, y = x[finite], y[finite]
        # the last value wins where a series repeats an x (a resumed run re-logs its steps)
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        keep = np.append(x[1:] != x[:-1], True)
        grid[row, np.searchsorted(xs, x[keep])] = y[keep]
    grid[~np.isfinite(grid)] = np.nan
    count = np.sum(~np.isnan(grid), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.nansum(grid, axis=0)
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        dev = np.nansum((grid - mean) ** 2, axis=0)
        std = np.where(count > 1, np.sqrt(dev / np.maximum(count - 1, 1)), 0.0)
    return Band(xs, mean, mean - std, mean + std, count)
