"""Rasterize a series onto plotext's canvas cells in numpy: the very characters plotext would draw.

plotext 5 draws a line series point by point in Python (`get_lines` → `hd_group` → one `insert_element`
per sub-cell dot): 15–20 ms for one noisy loss curve on a 100×27 chart, most of a monitor frame. This
module does the same computation vectorised and hands plotext only the finished cells (one scatter point
per occupied cell, its braille character as the marker), so plotext is left with the frame, ticks, legend
and text. The output is character-for-character what plotext draws itself; `tests/plotting` checks that
against plotext on random figures.

plotext's rules, read from plotext 5.3 (`_utility.get_matrix_data`, `get_line(s)`, `hd_group`):
- a value v maps to sub-cell floor(round(0.5 + (bins - 1) * (v - lo) / (hi - lo), 8)), with bins = canvas
  cells × the marker's resolution factor (braille: 2 across, 4 up);
- consecutive points are joined by `max(|dx|, |dy|) + 1` evenly spaced points truncated toward zero
  (the last point of each segment is dropped, the series' last point is added once);
- the dots falling in one cell combine into one character, looked up in plotext's own code tables;
- cells outside the canvas are dropped.

Unlike plotext, only the part of a segment that can reach the canvas is computed (its index range is
solved for first), so a line towards a point far off the canvas — a spike under a y zoom, a neighbour
kept for an x zoom — costs what its visible part costs instead of one Python step per sub-cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["Cells", "cell_centres", "rasterize", "resolution"]

# Sub-cell resolution (across, up) of plotext's high-definition markers; every other marker is one cell.
_FACTORS = {"hd": (2, 2), "fhd": (2, 3), "braille": (2, 4)}


def resolution(marker: str) -> tuple[int, int]:
    """How many dots across and up one cell holds for `marker` (plotext's `marker_factor`)."""
    return _FACTORS.get(marker, (1, 1))


@cache
def _code_table(marker: str) -> np.ndarray:
    """Character for each dot pattern of a high-definition marker, indexed by the packed bits.

    Bit i of the index is element i of plotext's code tuple, which lists the cell's dot rows from the
    top row down, each row left to right. Patterns missing from plotext's table (it has a few gaps)
    fall back to the Unicode character with the same dots.
    """
    from plotext import _dict

    codes = {"hd": _dict.hd_codes, "fhd": _dict.fhd_codes, "braille": _dict.braille_codes}[marker]
    across, up = _FACTORS[marker]
    table = np.empty(1 << (across * up), dtype=object)
    for index in range(table.size):
        key = tuple((index >> bit) & 1 for bit in range(across * up))
        fallback = _unicode_braille(key) if marker == "braille" else " "
        table[index] = codes.get(key) or fallback
    return table


def _unicode_braille(key: tuple[int, ...]) -> str:
    # key rows top-down, left-right; Unicode braille numbers dots 1-2-3-7 down the left, 4-5-6-8 the right.
    unicode_bit = {(0, 0): 0, (1, 0): 1, (2, 0): 2, (3, 0): 6, (0, 1): 3, (1, 1): 4, (2, 1): 5, (3, 1): 7}
    value = sum(1 << unicode_bit[(i // 2, i % 2)] for i, on in enumerate(key) if on)
    return chr(0x2800 + value)


def _scaled(values: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    """plotext's sub-cell coordinate before flooring (float; ±inf or nan where it overflows)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return 0.5 + (bins - 1) * (values - lo) / (hi - lo)


def _floor8(scaled: np.ndarray) -> np.ndarray:
    """floor(round(v, 8)) as plotext's `get_matrix_data` does (finite input; exact, see below)."""
    out = np.floor(np.round(scaled, 8))
    # np.round and Python's round may disagree within ~1e-16 of a half-way point at the 8th decimal;
    # only values that round to within 1e-7 of an integer can change their floor: redo those exactly.
    near = np.abs(scaled - np.rint(scaled)) < 1e-7
    if near.any():
        out[near] = [math.floor(round(float(v), 8)) for v in scaled[near]]
    return out.astype(np.int64)


def _segment_points(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    box: tuple[float, float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """plotext's `get_line` for many integer segments at once, each without its last point: point i of
    max(|dx|, |dy|) + 1 is linspace's x0 + i * ((x1 - x0) / (n - 1)), truncated toward zero.

    Only the points inside `box` (xmin, xmax, ymin, ymax) are generated: the index range of each segment's
    visible part is solved for first (widened by one each side against rounding), so a segment towards
    a point far off the canvas costs what its visible part costs, and the points are exactly plotext's.
    """
    counts = np.maximum(np.abs(x1 - x0), np.abs(y1 - y0)) + 1  # both ends included
    denom = np.where(counts > 1, counts - 1, 1).astype(np.float64)
    slope_x, slope_y = (x1 - x0) / denom, (y1 - y0) / denom
    lo = np.zeros(counts.shape)
    hi = (counts - 2).astype(np.float64)  # the last point is the next segment's first
    with np.errstate(divide="ignore", invalid="ignore"):
        for slope, start, low, high in ((slope_x, x0, box[0], box[1]), (slope_y, y0, box[2], box[3])):
            i_low, i_high = (low - start) / slope, (high - start) / slope
            i_first, i_last = np.minimum(i_low, i_high), np.maximum(i_low, i_high)
            moving = slope != 0
            inside = (start >= low) & (start <= high)
            lo = np.where(moving, np.maximum(lo, np.floor(i_first) - 1), np.where(inside, lo, hi + 1))
            hi = np.where(moving, np.minimum(hi, np.ceil(i_last) + 1), hi)
    n = np.maximum(hi - lo + 1, 0).astype(np.int64)
    lo = np.maximum(lo, 0).astype(np.int64)
    seg = np.repeat(np.arange(counts.size), n)
    starts = np.cumsum(n) - n
    i = lo[seg] + (np.arange(seg.size) - np.repeat(starts, n))
    xs = np.trunc(x0[seg] + i * slope_x[seg]).astype(np.int64)
    ys = np.trunc(y0[seg] + i * slope_y[seg]).astype(np.int64)
    return xs, ys


def _line_points(fx: np.ndarray, fy: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """plotext's `get_lines` on sub-cell coordinates `fx`, `fy` (float, before flooring): the points of
    every segment that fall on (or just around) the `width` × `height` canvas, exactly as plotext lists
    them, whatever the length of the segment. Points whose coordinate overflowed (±inf, or beyond 2**52
    where floats stop being whole numbers) are not drawn, nor are their segments.
    """
    with np.errstate(invalid="ignore"):
        ok = (np.abs(fx) < 2.0**52) & (np.abs(fy) < 2.0**52)
    ix, iy = _floor8(np.where(ok, fx, 0.0)), _floor8(np.where(ok, fy, 0.0))
    both = ok[:-1] & ok[1:]
    box = (-2.0, width + 1.0, -2.0, height + 1.0)
    xs, ys = _segment_points(ix[:-1][both], iy[:-1][both], ix[1:][both], iy[1:][both], box)
    # Every data point is drawn too (plotext: as its segment's first point, the last as itself).
    return np.concatenate([xs, ix[ok]]), np.concatenate([ys, iy[ok]])


@dataclass(frozen=True)
class Cells:
    """Occupied canvas cells (column from the left, row from the bottom) and what each one shows."""

    cols: np.ndarray
    rows: np.ndarray
    chars: list[str]  # one per cell; for a one-cell marker every entry is that marker

    def __len__(self) -> int:
        return int(self.cols.size)


def rasterize(
    x: np.ndarray,
    y: np.ndarray,
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    cols: int,
    rows: int,
    marker: str,
    lines: bool,
) -> Cells:
    """The cells plotext draws for points (x, y) (finite, plot units) with `marker`, joined when `lines`.

    `cols` × `rows` is plotext's data canvas; `xlim`/`ylim` its limits. For one-cell markers the `chars`
    are the marker name repeated (plotext resolves names such as "dot" itself).
    """
    across, up = resolution(marker)
    empty = Cells(np.empty(0, np.int64), np.empty(0, np.int64), [])
    if x.size == 0 or cols <= 0 or rows <= 0:
        return empty
    fx = _scaled(np.asarray(x, np.float64), xlim[0], xlim[1], cols * across)
    fy = _scaled(np.asarray(y, np.float64), ylim[0], ylim[1], rows * up)
    if lines and fx.size > 1:
        sx, sy = _line_points(fx, fy, cols * across, rows * up)
    else:  # points only: one that overflowed is not drawn (it is off the canvas anyway)
        with np.errstate(invalid="ignore"):
            shown = (np.abs(fx) < 2.0**52) & (np.abs(fy) < 2.0**52)
        sx, sy = _floor8(fx[shown]), _floor8(fy[shown])
    cx, cy = sx // across, sy // up
    inside = (cx >= 0) & (cx < cols) & (cy >= 0) & (cy < rows)
    if not inside.any():
        return empty
    sx, sy, cx, cy = sx[inside], sy[inside], cx[inside], cy[inside]
    cell = cy * cols + cx
    if across * up == 1:
        unique = np.unique(cell)
        return Cells(unique % cols, unique // cols, [marker] * int(unique.size))
    # Dot (kx, ky) of a cell is bit (up - 1 - ky) * across + kx of plotext's code tuple (rows top-down).
    bit = (up - 1 - (sy - cy * up)) * across + (sx - cx * across)
    order = np.argsort(cell, kind="stable")
    cell, bit = cell[order], bit[order]
    first = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    codes = np.bitwise_or.reduceat(np.left_shift(1, bit), first)
    unique = cell[first]
    return Cells(unique % cols, unique // cols, _code_table(marker)[codes].tolist())


def cell_centres(
    cells: Cells, *, xlim: tuple[float, float], ylim: tuple[float, float], cols: int, rows: int
) -> tuple[list[float], list[float]]:
    """Data coordinates that plotext maps back onto exactly these cells (at one-cell resolution)."""
    x0, x1 = xlim
    y0, y1 = ylim
    xs = x0 + cells.cols * ((x1 - x0) / (cols - 1)) if cols > 1 else np.full(len(cells), x0)
    ys = y0 + cells.rows * ((y1 - y0) / (rows - 1)) if rows > 1 else np.full(len(cells), y0)
    return np.asarray(xs, np.float64).tolist(), np.asarray(ys, np.float64).tolist()
