"""JSON helpers shared by the writer and the readers: strict lines, atomic files, packed columns.

Non-finite floats (nan, inf) are not valid JSON. Scalars and JSON-list columns write them as null;
packed columns (raw IEEE-754 doubles) keep them exactly.
"""

from __future__ import annotations

import array
import base64
import binascii
import contextlib
import json
import math
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from lrtui.runs.files import describe_error, open_new, read_capped
from lrtui.runs.text import MAX_DEPTH, clean_json, clean_text

_LITTLE_ENDIAN = sys.byteorder == "little"


def _plain(value: Any) -> Any:
    """Make `value` JSON-serialisable: numpy/torch scalars and arrays via .tolist(), others via str."""
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    item = getattr(value, "item", None)
    if item is not None:
        return item()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def finite_number(value: Any) -> float | None:
    """A number read from a file as a finite float, or None (bool, nan, inf, an int too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def finite_or_none(value: Any) -> Any:
    """Deep copy of `value` with nan/inf floats replaced by None (and odd types made plain)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return finite_or_none(_plain(value))


def dumps_line(record: dict) -> str:
    """One compact JSON line (no newline). Never emits NaN/Infinity tokens."""
    try:
        return json.dumps(record, separators=(",", ":"), allow_nan=False, default=_plain)
    except ValueError:  # a non-finite float somewhere: take the slower, careful path
        return json.dumps(finite_or_none(record), separators=(",", ":"), allow_nan=False)


def dumps_pretty(obj: Any) -> str:
    try:
        return json.dumps(obj, indent=2, allow_nan=False, default=_plain) + "\n"
    except ValueError:
        return json.dumps(finite_or_none(obj), indent=2, allow_nan=False) + "\n"


def write_json_atomic(path: Path, obj: Any) -> None:
    """Replace `path` atomically: temp file in the same directory, fsync, os.replace.

    A reader sees either the old or the new file, never a half-written one. A failure (a full disk, a
    read-only directory) raises and removes the temp file; the old file is left as it was.
    """
    path = Path(path)
    data = dumps_pretty(obj).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = open_new(tmp)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_json_file(path: Path) -> tuple[Any, str | None]:
    """(parsed object, None) or (None, problem text). Never raises for missing/malformed/hostile files.

    Refused with the reason: not a regular file, a symlink, over files.SMALL_FILE_MAX bytes, not UTF-8
    JSON, nested deeper than text.MAX_DEPTH. Every string comes back cleaned (text.clean_json).
    """
    name = Path(path).name
    try:
        raw = read_capped(path)
    except FileNotFoundError:
        return None, f"{name} is missing"
    except OSError as exc:
        return None, describe_error(path, exc)
    try:
        return clean_json(json.loads(raw)), None
    except (ValueError, UnicodeDecodeError) as exc:  # TooDeep is a ValueError
        return None, f"{name} is not valid JSON: {clean_text(exc)[:120]}"
    except RecursionError:
        return None, f"{name} is not valid JSON: nested too deeply"


USER_FILE_MAX = 16 << 20  # a config or plan file the user names: generous, but never gigabytes


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists/dicts nest in `value` (counted without recursion; stops past `limit`)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth + 1)
            if depth + 1 <= limit:
                stack.extend((child, depth + 1) for child in node)
    return deepest


def load_config_file(path: str | Path) -> tuple[Any, str | None]:
    """A user's JSON or TOML file (by suffix; .toml is TOML, anything else JSON) as data, or the reason
    it cannot be: (data, None) or (None, one-line problem). Never raises, never echoes the content.

    Regular files only (a FIFO is refused, not waited on), at most USER_FILE_MAX bytes, UTF-8, nested at
    most MAX_DEPTH levels. TOML dates and times come back as ISO strings (JSON has none).
    """
    toml = Path(path).suffix.lower() == ".toml"
    try:
        raw = read_capped(path, USER_FILE_MAX, follow=True)
    except FileNotFoundError:
        return None, "no such file"
    except OSError as exc:
        return None, describe_error(path, exc)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x}: a binary file?)"
    try:
        if toml:
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except RecursionError:
        data = None
        problem = "nested too deeply"
    except ValueError as exc:  # JSONDecodeError, TOMLDecodeError: positions only, no content
        return None, f"not valid {'TOML' if toml else 'JSON'}: {clean_text(exc)[:120]}"
    else:
        problem = None if nesting_depth(data) <= MAX_DEPTH else "nested too deeply"
    if problem:
        return None, f"{problem} (lists/tables at most {MAX_DEPTH} levels)"
    return (_iso_dates(data) if toml else data), None


def _iso_dates(value: Any) -> Any:
    import datetime

    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


# ---- packed numeric columns -------------------------------------------------------------------
# A numeric step column is written as one of:
#   a JSON number         the same value for every step of the batch (constant momentum, epoch, lr)
#   {"f8": "<base64>"}    little-endian IEEE-754 float64 values (nan/inf kept exactly)
#   {"i8": "<base64>"}    little-endian int64 values
#   {"range": [a, b]}     the integers a, a+1, ..., b-1 (contiguous step numbers)
# Decoding base64 is ~10x faster than parsing decimal floats, which is what makes reattaching to a
# run with a million steps fast. Readers also accept plain JSON lists.


def pack_floats(values: Any, constant: bool = True) -> Any:
    """A float column as a constant (if allowed), or {"f8": base64}. None entries become nan."""
    try:
        arr = array.array("d", values)
    except TypeError:  # None (missing) entries (a failed extend would leave a partial array)
        arr = array.array("d", [math.nan if v is None else float(v) for v in values])
    if constant and len(arr) > 1 and arr.count(arr[0]) == len(arr) and math.isfinite(arr[0]):
        return arr[0]
    if not _LITTLE_ENDIAN:
        arr.byteswap()
    return {"f8": base64.b64encode(arr.tobytes()).decode("ascii")}


def pack_ints(values: Any, constant: bool = True) -> Any:
    """An int column as a constant (if allowed), {"range": [a, b]} when contiguous, or {"i8": base64}."""
    try:
        arr = array.array("q", values)
    except TypeError:
        arr = array.array("q", [int(v) for v in values])
    n = len(arr)
    if n > 1:
        first = arr[0]
        if arr[-1] == first + n - 1 and arr == array.array("q", range(first, first + n)):
            return {"range": [first, first + n]}
        if constant and arr.count(first) == n:
            return first
    if not _LITTLE_ENDIAN:
        arr.byteswap()
    return {"i8": base64.b64encode(arr.tobytes()).decode("ascii")}


def unpack(column: dict) -> array.array:
    """Decode a packed column to array('d') or array('q'). Raises ValueError if it is not one."""
    if "f8" in column:
        arr = array.array("d")
        data = column["f8"]
    elif "i8" in column:
        arr = array.array("q")
        data = column["i8"]
    elif "range" in column:
        first, stop = column["range"]
        if not (isinstance(first, int) and isinstance(stop, int)) or stop - first > 1 << 32:
            raise ValueError("range must be [int, int] of a sane length")
        return array.array("q", range(first, stop))
    else:
        raise ValueError("packed column needs an 'f8', 'i8' or 'range' key")
    if not isinstance(data, str):
        raise ValueError("packed column data must be a base64 string")
    raw = binascii.a2b_base64(data)
    if len(raw) % 8:
        raise ValueError("packed column length is not a multiple of 8 bytes")
    arr.frombytes(raw)
    if not _LITTLE_ENDIAN:
        arr.byteswap()
    return arr
