"""Where marker labels go on a plot: next to their vertical line, never on each other or the legend, and
never on a curve (the curves' cells come from `lrtui.plotting.raster`): shortened, or left out, rather.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

__all__ = ["place_marker_labels"]

# Without curves to avoid (or when every row would hide one), labels go in the top canvas rows: this
# many, plus the legend's rows.
_MARKER_LABEL_ROWS = 2
_MIN_LABEL = 6  # a label cut shorter than this (with its ellipsis) says nothing: it is left out


def place_marker_labels(
    markers: list[tuple[Any, int]],
    canvas_width: int,
    canvas_rows: int,
    reserved: list[tuple[int, int, int]],
    occupied: np.ndarray | None = None,
) -> list[tuple[Any, int, int, str]]:
    """Choose (row, column, alignment) for marker labels so that none overlap; drop what does not fit.

    Rows count down from the top canvas row (0). `reserved` holds (row, start, stop) column spans already
    taken (the legend). A label sits just right of its line, or just left of it (always near the right
    edge). With `occupied` (rows top-down x columns: where the curves are drawn) a label never hides a
    curve: the first row where it fits whole wins, searched down the whole canvas; when no row has room,
    it is shortened (with an ellipsis) to the longest free run next to its line, or left out if that is
    too short to read. Without curves it goes to the first free row near the top. The markers returned
    carry the label as drawn.
    """
    taken = list(reserved)
    placed = []
    top_rows = min(_MARKER_LABEL_ROWS + len(reserved), canvas_rows)

    def free(row: int, start: int, stop: int) -> bool:
        return all(r != row or stop + 1 <= a or b + 1 <= start for r, a, b in taken)

    for marker, column in sorted(markers, key=lambda mc: mc[1]):
        text = marker.label
        if not text or canvas_rows < 1:
            continue
        if occupied is not None:
            choice = _beside_the_curves(text, column, canvas_width, canvas_rows, occupied, free)
        else:
            choice = _near_the_top(text, column, canvas_width, top_rows, free)
        if choice is not None:
            row, start, stop, alignment, shown = choice
            taken.append((row, start, stop))
            if shown != text:
                marker = replace(marker, label=shown)
            placed.append((marker, row, start if alignment == "left" else stop - 1, alignment))
    return placed


def _sides(length: int, column: int, canvas_width: int) -> list[tuple[int, int, str]]:
    """(start, stop, alignment) of a label of `length` cells right of its line, then left of it."""
    out = []
    if column + 1 + length <= canvas_width:
        out.append((column + 1, column + 1 + length, "left"))
    if column - length >= 0:
        out.append((column - length, column, "right"))
    return out


def _near_the_top(text, column, canvas_width, top_rows, free):
    sides = _sides(len(text), column, canvas_width)
    if not sides:
        return None
    start, stop, alignment = sides[0]
    row = next((row for row in range(top_rows) if free(row, start, stop)), None)
    return None if row is None else (row, start, stop, alignment, text)


def _beside_the_curves(text, column, canvas_width, canvas_rows, occupied, free):
    for row in range(canvas_rows):
        for start, stop, alignment in _sides(len(text), column, canvas_width):
            if free(row, start, stop) and not occupied[row, start:stop].any():
                return row, start, stop, alignment, text
    # No row has room for all of it: the longest run of free cells next to the line, on any row.
    best = None
    for row in range(canvas_rows):
        for direction in (1, -1):
            length, c = 0, column + direction
            while (
                0 <= c < canvas_width and not occupied[row, c] and free(row, min(c, column), max(c, column))
            ):
                length, c = length + 1, c + direction
            if best is None or length > best[0]:
                best = (length, row, direction)
    if best is None or best[0] < min(len(text), _MIN_LABEL):
        return None
    length, row, direction = best
    shown = text[: length - 1] + "…"
    if direction == 1:
        return row, column + 1, column + 1 + length, "left", shown
    return row, column - length, column, "right", shown
