"""Where marker labels go on a plot: next to their vertical line, never on each other or the legend, and
on a row where they hide no curve when there is one (the curves' cells come from `lrtui.plotting.raster`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["place_marker_labels"]

# Without curves to avoid (or when every row would hide one), labels go in the top canvas rows: this
# many, plus the legend's rows.
_MARKER_LABEL_ROWS = 2


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
    edge). With `occupied` (rows top-down x columns: where the curves are drawn) the first row where the
    label hides no curve wins, searched down the whole canvas; only when every row would hide one does it
    go to the first free row near the top, as without curves.
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
        sides = []
        if column + 1 + len(text) <= canvas_width:
            sides.append((column + 1, column + 1 + len(text), "left"))
        if column - len(text) >= 0:
            sides.append((column - len(text), column, "right"))
        if not sides:
            continue
        choice = None
        if occupied is not None:
            choice = next(
                (
                    (row, start, stop, alignment)
                    for row in range(canvas_rows)
                    for start, stop, alignment in sides
                    if free(row, start, stop) and not occupied[row, start:stop].any()
                ),
                None,
            )
        if choice is None:
            start, stop, alignment = sides[0]
            row = next((row for row in range(top_rows) if free(row, start, stop)), None)
            choice = None if row is None else (row, start, stop, alignment)
        if choice is not None:
            row, start, stop, alignment = choice
            taken.append((row, start, stop))
            placed.append((marker, row, start if alignment == "left" else stop - 1, alignment))
    return placed
