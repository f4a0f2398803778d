"""Min/max decimation: reduce a long curve to ~2 points per terminal column without losing spikes.

A terminal plot is only a few hundred columns wide; handing plotext a million points is slow and pointless.
Keeping, for each of `n_buckets` contiguous index buckets, the point where y is smallest and the point
where y is largest (in x order) keeps every extreme visible: a one-step LR spike or a loss blow-up still
reaches its true height in the plot.

Buckets are contiguous runs of *indices* of equal length (±1). For the usual data (x = step numbers, evenly
spaced) that is the same as equal-width x buckets.

Non-finite values (NaN, ±inf) are skipped, never selected, and never make these functions fail.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["minmax", "minmax_indices", "minmax_shared"]


def _as_1d_float(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _bucket_argmin(values: np.ndarray, n_buckets: int, *, maximum: bool = False) -> np.ndarray:
    """Index of the minimum (or maximum) of each of `n_buckets` contiguous buckets of `values`, shape (n_buckets,).

    The n points are split into runs: the first `r` runs hold `b + 1` points and the rest `b` points
    (n = nb*b + r), so every bucket is non-empty and two reshapes make the work fully vectorised.
    """
    n = values.shape[0]
    base, extra = divmod(n, n_buckets)
    split = extra * (base + 1)
    parts = []
    for start, stop, size in ((0, split, base + 1), (split, n, base)):
        if stop > start:
            rows = (stop - start) // size
            offsets = start + np.arange(rows, dtype=np.int64) * size
            block = values[start:stop].reshape(rows, size)
            parts.append((block.argmax(axis=1) if maximum else block.argmin(axis=1)) + offsets)
    return np.concatenate(parts)


def _bucket_extrema(y: np.ndarray, n_buckets: int, valid: np.ndarray | None) -> np.ndarray:
    """Sorted indices of each bucket's lowest then highest point (in index order), shape (2*nb,).

    With `valid`, invalid points lose every contest (they become +inf in one shared scratch buffer, which
    holds y for the min search and -y for the max search); a bucket with no valid point yields invalid
    indices, which the caller filters out.
    """
    if valid is None:
        arg_lo = _bucket_argmin(y, n_buckets)
        arg_hi = _bucket_argmin(y, n_buckets, maximum=True)
    else:
        invalid = ~valid
        scratch = y.copy()
        scratch[invalid] = np.inf
        arg_lo = _bucket_argmin(scratch, n_buckets)
        np.negative(y, out=scratch)
        scratch[invalid] = np.inf
        arg_hi = _bucket_argmin(scratch, n_buckets)
    pair = np.empty((arg_lo.size, 2), dtype=np.int64)
    # Emit each bucket's two points in x (index) order so the drawn line visits them in order.
    np.minimum(arg_lo, arg_hi, out=pair[:, 0])
    np.maximum(arg_lo, arg_hi, out=pair[:, 1])
    return pair.reshape(-1)


def minmax_indices(y, n_buckets: int, *, valid: np.ndarray | None = None) -> np.ndarray:
    """Indices (ascending, unique) of the points that min/max decimation keeps.

    `valid` optionally marks the usable points (default: the finite values of y); invalid points are never
    returned. When there are at most `2 * n_buckets` usable points, all of them are returned. The first and
    last usable points are always kept so a decimated line spans the same x range as the data.
    """
    y = _as_1d_float(y, "y")
    if n_buckets < 1:
        raise ValueError(f"n_buckets must be >= 1, got {n_buckets!r}")
    if valid is None:
        valid = np.isfinite(y)
    n_usable = int(np.count_nonzero(valid))
    all_valid = n_usable == y.size
    if n_usable <= 2 * n_buckets:
        return np.arange(y.size, dtype=np.int64) if all_valid else np.flatnonzero(valid)

    picked = _bucket_extrema(y, n_buckets, None if all_valid else valid)
    if all_valid:
        ends = np.array([0, y.size - 1], dtype=np.int64)
    else:
        picked = picked[valid[picked]]
        # First and last usable index without materialising all usable indices.
        ends = np.array([int(valid.argmax()), y.size - 1 - int(valid[::-1].argmax())], dtype=np.int64)
    # Buckets are in index order and each pair is sorted, so `picked` is already non-decreasing; only
    # duplicates (flat buckets) and the two end points need merging.
    merged = np.concatenate((ends[:1], picked, ends[1:]))
    keep = np.empty(merged.size, dtype=bool)
    keep[0] = True
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def minmax(x, y, n_buckets: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Min/max-decimate one series: `(x_kept, y_kept, decimated)`.

    With more than `2 * n_buckets` usable points (both x and y finite), keeps for each of `n_buckets`
    contiguous buckets its lowest and its highest point, in x order, plus the first and last point.
    Otherwise returns the usable points unchanged and `decimated=False`.
    """
    x = _as_1d_float(x, "x")
    y = _as_1d_float(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    finite = np.isfinite(x) & np.isfinite(y)
    usable = int(np.count_nonzero(finite))
    if usable <= 2 * n_buckets:
        if usable == x.size:
            return x, y, False
        return x[finite], y[finite], False
    idx = minmax_indices(y, n_buckets, valid=finite)
    return x[idx], y[idx], True


def minmax_shared(x, ys: Sequence, n_buckets: int) -> tuple[np.ndarray, list[np.ndarray], bool]:
    """Min/max-decimate several y series that share one x: `(x_kept, [y_kept, ...], decimated)`.

    Each series picks its own extremes; the union of all picked indices is kept for every series so they
    still share one x array (at most `len(ys) * (2 * n_buckets + 2)` points). Values that were non-finite
    stay non-finite in the output (the caller decides how to draw gaps); an x that is non-finite is dropped.
    """
    x = _as_1d_float(x, "x")
    arrays = [_as_1d_float(y, f"ys[{i}]") for i, y in enumerate(ys)]
    for i, y in enumerate(arrays):
        if y.shape != x.shape:
            raise ValueError(f"ys[{i}] must have the length of x ({x.size}), got {y.size}")
    x_finite = np.isfinite(x)
    if int(np.count_nonzero(x_finite)) <= 2 * n_buckets or not arrays:
        if x_finite.all():
            return x, arrays, False
        return x[x_finite], [y[x_finite] for y in arrays], False
    picked = [minmax_indices(y, n_buckets, valid=x_finite & np.isfinite(y)) for y in arrays]
    idx = np.unique(np.concatenate(picked)) if picked else np.empty(0, dtype=np.int64)
    return x[idx], [y[idx] for y in arrays], True
