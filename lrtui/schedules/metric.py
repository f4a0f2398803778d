"""Metric series for previewing plateau schedules (ReduceLROnPlateau, timm's PlateauLRScheduler).

A series comes from a file or from a run directory, one value per scheduler step:
- a run directory (or `RUN_DIR:key`): the epoch records' `test_loss` (or `key`, e.g. `test_acc`);
- `.json`: a list of numbers, or `{"metric": [...]}`;
- anything else: text with one number per line, or CSV whose last column is numeric (a header is skipped).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from lrtui.schedules.errors import SpecError

MAX_VALUES = 10_000_000
MAX_FILE_BYTES = 256 << 20
FIELD = "metric"


def load_metric_series(source: str) -> tuple[float, ...]:
    """The series named by `source` (see the module docstring). Raises SpecError naming the source."""
    path_text, _, key = source.rpartition(":") if _looks_like_run_key(source) else (source, "", "")
    path = Path(path_text).expanduser()
    if path.is_dir():
        return _from_run(path, key or "test_loss", source)
    from lrtui.runs.files import describe_error, read_capped  # FIFOs and devices refused, size capped

    try:
        raw = read_capped(path, MAX_FILE_BYTES, follow=True).decode("utf-8")
    except FileNotFoundError:
        raise SpecError.bad_value(FIELD, source, "a file or run directory (no such file)") from None
    except OSError as exc:
        raise SpecError.bad_value(
            FIELD, source, f"a readable file or run directory ({describe_error(path, exc)})"
        ) from None
    except UnicodeDecodeError:
        raise SpecError.bad_value(
            FIELD, source, "a text file of numbers (this one is not UTF-8 text)"
        ) from None
    values = _from_json(raw, source) if path.suffix.lower() == ".json" else _from_text(raw, source)
    return _checked(values, source)


def _looks_like_run_key(source: str) -> bool:
    head, sep, key = source.rpartition(":")
    return bool(sep) and key.isidentifier() and Path(head).expanduser().is_dir()


def _from_run(run_dir: Path, key: str, source: str) -> tuple[float, ...]:
    from lrtui.runs.reader import read_run  # both layers are pure; schedules only reach runs here

    run = read_run(run_dir)
    values = [float(rec[key]) for rec in run.data.epochs if isinstance(rec.get(key), int | float)]
    if not values:
        raise SpecError.bad_value(
            FIELD, source, f"a run whose epoch records carry {key!r} (this one has none)"
        )
    return _checked(values, source)


def _from_json(raw: str, source: str) -> list[float]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise SpecError.bad_value(
            FIELD, source, "a JSON list of numbers (the file is not valid JSON)"
        ) from None
    if isinstance(data, dict):
        data = data.get("metric")
    if not isinstance(data, list) or not all(_is_number(v) for v in data):
        raise SpecError.bad_value(FIELD, source, 'a JSON list of numbers, or {"metric": [numbers]}')
    return [float(v) for v in data]


def _from_text(raw: str, source: str) -> list[float]:
    values: list[float] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        cell = line.strip().split(",")[-1].strip()
        if not cell or line.lstrip().startswith("#"):
            continue
        try:
            values.append(float(cell))
        except ValueError:
            if values or number > 1:  # only the first line may be a header
                # The line is not shown: the file may be anything (a key, a password file).
                raise SpecError.bad_value(
                    FIELD, source, f"numbers, one per line (line {number} is not a number)"
                ) from None
    return values


def _checked(values: list[float], source: str) -> tuple[float, ...]:
    if not values:
        raise SpecError.bad_value(FIELD, source, "at least one number")
    if len(values) > MAX_VALUES:
        raise SpecError.bad_value(FIELD, source, f"at most {MAX_VALUES} values")
    if not all(math.isfinite(v) for v in values):
        raise SpecError.bad_value(FIELD, source, "finite numbers (no NaN or inf)")
    return tuple(values)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
