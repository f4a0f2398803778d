"""Full-resolution CSV export of metric series (what the monitor shows, every logged point).

Series are logged at different steps (the loss every step, an eval metric every 500), so the file is wide
on the union of their steps: `step,<metric>,<metric>,...`, a cell empty where a metric has no point at
that step. A metric logged twice at one step (a restarted writer, a duplicate log call) keeps each point
on its own row. Values are written with repr() precision (float64 round-trips exactly); NaN/inf as nan,
inf, -inf (what pandas and numpy read back).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np


def _cell(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def _csv_safe(name: str) -> str:
    # a leading =, +, -, @ would make a spreadsheet evaluate the header cell as a formula
    return "'" + name if name[:1] in ("=", "+", "-", "@") else name


def wide_rows(series: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the union-of-steps table."""
    names = list(series)
    keys = []  # per point: (step, occurrence of that step within its series)
    points = []  # per series: its values in step order
    for name in names:
        steps, values = series[name]
        steps = np.asarray(steps, dtype=np.int64)
        order = np.argsort(steps, kind="stable")
        s = steps[order]
        occurrence = np.arange(s.size) - np.searchsorted(s, s, side="left")
        keys.append(np.stack([s, occurrence], axis=1))
        points.append(np.asarray(values, dtype=np.float64)[order])
    if not names or not sum(k.shape[0] for k in keys):
        return ["step", *(_csv_safe(n) for n in names)], []
    allkeys, inverse = np.unique(np.concatenate(keys), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    table = [[""] * len(names) for _ in range(allkeys.shape[0])]
    at = 0
    for col, vals in enumerate(points):
        rows = inverse[at : at + vals.size]
        at += vals.size
        for r, v in zip(rows.tolist(), vals.tolist()):
            table[r][col] = _cell(v)
    header = ["step", *(_csv_safe(n) for n in names)]
    return header, [[str(step), *cells] for step, cells in zip(allkeys[:, 0].tolist(), table)]


def to_csv(series: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> str:
    header, rows = wide_rows(series)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def write_csv(path: str | Path, series: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> int:
    """Write the table to `path` atomically (temp file + rename); returns the number of data rows."""
    path = Path(path).expanduser()
    header, rows = wide_rows(series)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)
    return len(rows)
