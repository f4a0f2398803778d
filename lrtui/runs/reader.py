"""Reading runs: an incremental metrics.jsonl tailer and columnar accumulation of its records.

Columns are `array.array` (compact; numpy can view them with np.frombuffer without a copy):
steps array('q'); epoch, loss, grad_norm and every lr/momentum group array('d'), nan where a
value is missing. All step columns always have the same length.
"""

from __future__ import annotations

import array
import contextlib
import gc
import json
import math
import os
import secrets
import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrtui.runs.files import describe_error, open_regular
from lrtui.runs.jsonio import finite_number, read_json_file, unpack
from lrtui.runs.paths import CONFIG, METRICS
from lrtui.runs.status import effective_state, read_status
from lrtui.runs.text import clean_json, clean_name, clean_text

NAN = math.nan
_CHUNK_LINES = 4096  # lines parsed together (one json.loads) on the fast path
_SMALL_LINE = 2048  # lines shorter than this on average are parsed joined into one JSON array
READ_CHUNK = 32 << 20  # read_run reads big files 32 MiB at a time
READ_MAX = 256 << 20  # one MetricsTail.read_new() reads at most this much
MAX_LINE = 64 << 20  # a longer line is skipped unread (RunLogger's longest, 1000 steps, is ~100 KB)
# Bounded decoding: a "steps" record may decode to at most CELLS_PER_BYTE values (steps x columns) per
# byte of its JSON line, so a 60-byte line cannot claim a billion steps of constants. RunLogger's densest
# honest line (1000 steps of constants) decodes to ~60 values per byte.
CELLS_PER_BYTE = 256
MAX_COLUMNS = 256  # lr + momentum groups + extra columns of a run (a new one is nan-filled back to step 0)
MAX_EPOCH = 10**9


@contextlib.contextmanager
def _gc_paused(big: bool) -> Iterator[None]:
    """Pause the cyclic GC while building many acyclic objects (halves the time of a big read)."""
    if not big or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _parse_line(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def parse_lines(lines: list[bytes]) -> tuple[list[dict], int]:
    """Parse JSONL lines (blank ones already removed) -> (records, number skipped as malformed).

    Many short lines parse much faster as one JSON array. The lines are joined with a random
    sentinel string between them; the result is trusted only if every sentinel comes back at
    its place, which proves each line parsed as exactly one value on its own. Otherwise the block
    is parsed line by line, so one bad line costs nothing else.
    """
    records: list[dict] = []
    skipped = 0
    if not lines:
        return records, 0
    joined_ok = sum(map(len, lines[:64])) < _SMALL_LINE * min(len(lines), 64)
    token = secrets.token_hex(8)
    sep = b',"' + token.encode() + b'",'
    for start in range(0, len(lines), _CHUNK_LINES):
        block = lines[start : start + _CHUNK_LINES]
        parsed: Any = None
        if joined_ok and len(block) > 1:
            try:
                joined = json.loads(b"[" + sep.join(block) + b"]")
            except (ValueError, UnicodeDecodeError, RecursionError):
                joined = None
            if (
                joined is not None
                and len(joined) == 2 * len(block) - 1
                and joined[1::2].count(token) == len(block) - 1
            ):
                parsed = joined[::2]
        if parsed is None:
            parsed = [_parse_line(line) for line in block]
        for rec in parsed:
            if isinstance(rec, dict):
                records.append(rec)
            else:
                skipped += 1
    return records, skipped


class MetricsTail:
    """Returns only the complete new lines of a growing JSONL file on each read_new() call.

    Keeps the byte offset just after the last newline read; a partial last line waits for the
    next call. A missing file reads as empty; a replaced (new inode) or truncated file is read
    again from the start (`resets` counts that, so callers can drop what they accumulated).
    Hostile files: only a regular file is read (a FIFO, a device or a symlink sets `problem` and
    reads as empty), one call reads at most READ_MAX bytes, and a line longer than MAX_LINE is
    skipped unread (counted in `skipped`) instead of being held in memory.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.offset = 0
        self.skipped = 0  # malformed lines seen
        self.resets = 0
        self.problem: str | None = None  # why the file cannot be read, when it cannot
        self._ident: tuple[int, int] | None = None
        self._skipping = False  # inside a line longer than MAX_LINE: drop bytes up to its newline

    def read_new(self, max_bytes: int | None = None) -> list[dict]:
        try:
            fd = open_regular(self.path)
        except FileNotFoundError:
            self.problem = None
            if self._ident is not None:  # the file went away: start over when it returns
                self._restart()
            return []
        except OSError as exc:
            self.problem = describe_error(self.path, exc)
            return []
        self.problem = None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(fd)
            ident = (st.st_dev, st.st_ino)
            if self._ident is not None and (ident != self._ident or st.st_size < self.offset):
                self._restart()
            self._ident = ident
            pending = st.st_size - self.offset
            want = min(pending, READ_MAX if max_bytes is None else min(max_bytes, READ_MAX))
            if want <= 0:
                return []
            f.seek(self.offset)
            data = f.read(want)
            if self._skipping:
                cut = data.find(b"\n")
                if cut < 0:
                    self.offset += len(data)
                    return []
                self.offset += cut + 1
                self.skipped += 1
                self._skipping = False
                pending -= cut + 1
                data = data[cut + 1 :]
            end = data.rfind(b"\n")
            if end < 0:
                if pending > MAX_LINE:  # a line no writer produces: skip it without keeping it
                    self._skipping = True
                    self.offset += len(data)
                    return []
                if len(data) < pending:  # max_bytes cut a (long but sane) line: read it whole
                    data += f.read(pending - len(data))
                    end = data.rfind(b"\n")
                if end < 0:
                    return []  # a partial last line: it waits for its newline
        self.offset += end + 1
        with _gc_paused(end > 1 << 20):
            lines = [line for line in data[:end].split(b"\n") if line.strip()]
            records, skipped = parse_lines(lines)
        self.skipped += skipped
        return records

    def _restart(self) -> None:
        self.offset = 0
        self._ident = None
        self._skipping = False
        self.resets += 1


def _floats_column(col: Any, n: int) -> array.array:
    """A step column (JSON list, packed {"f8"|"i8": ...}, or one scalar for all) as array('d')."""
    if isinstance(col, list):
        arr = array.array("d")
        try:
            arr.extend(col)
        except TypeError:
            arr = array.array("d", [_float_or_nan(v) for v in col])
    elif isinstance(col, dict):
        arr = unpack(col)
        if arr.typecode != "d":
            arr = array.array("d", arr)
    elif col is None:
        return array.array("d", [NAN]) * n
    else:
        arr = array.array("d", [_float_or_nan(col)]) * n
    if len(arr) != n:
        raise ValueError(f"column has {len(arr)} values, expected {n}")
    return arr


def _ints_column(col: Any, n: int | None) -> array.array:
    if isinstance(col, array.array) and col.typecode == "q":
        arr = col
    elif isinstance(col, dict):
        arr = unpack(col)
        if arr.typecode != "q":
            arr = array.array("q", [int(v) for v in arr])
    elif isinstance(col, list):
        arr = array.array("q")
        try:
            arr.extend(col)
        except TypeError:
            arr = array.array("q", [int(v) for v in col])
    elif isinstance(col, int) and not isinstance(col, bool) and n in (None, 1):
        arr = array.array("q", [col])
    else:
        raise ValueError("step column must be a list or a packed column")
    if n is not None and len(arr) != n:
        raise ValueError(f"step column has {len(arr)} values, expected {n}")
    return arr


# Fields of epoch records that hold one number (readers and screens compute with them).
EPOCH_NUMBERS = (
    "step",
    "t",
    "train_loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "images_per_s",
    "epoch_time",
    "train_time",
    "eval_time",
)


def _check_numbers(rec: dict, keys: tuple[str, ...]) -> None:
    """Each of `keys` in rec is a number or null (ValueError otherwise); nan/inf become null."""
    for key in keys:
        value = rec.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key} must be a number")
        if finite_number(value) is None:
            rec[key] = None


def _claimed_steps(col: Any) -> int:
    """How many steps a step column claims, without materialising it (ValueError if it is not one)."""
    if isinstance(col, dict) and "range" in col:
        bounds = col["range"]
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_is_int(b) for b in bounds)):
            raise ValueError("range must be [int, int]")
        if bounds[1] < bounds[0]:
            raise ValueError("range must not go backwards")
        return bounds[1] - bounds[0]
    if isinstance(col, dict):
        data = col.get("i8", col.get("f8"))
        return len(data) * 3 // 32 if isinstance(data, str) else 0
    if isinstance(col, list):
        return len(col)
    return 1


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _group_count(col: Any) -> int:
    if col is None:
        return 0
    return len(col) if isinstance(col, list) else 1


def _extra_count(rec: dict) -> int:
    return sum(1 for k, v in rec.items() if k not in RunData._KNOWN and isinstance(v, (list, dict)))


def _json_size(value: Any, depth: int = 0) -> int:
    """A lower bound of the length of `value` as compact JSON, computed cheaply: long lists are counted
    as 2 bytes per item, base64 strings by their length (the bytes a line really spends on a column)."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, list):
        if depth > 0:
            return 2 * len(value) + 1
        return 1 + sum(_json_size(v, depth + 1) + 1 for v in value)
    if isinstance(value, dict):
        if depth > 1:
            return 2 * len(value) + 1
        return 1 + sum(len(str(k)) + 4 + _json_size(v, depth + 1) for k, v in value.items())
    if isinstance(value, float):
        return len(repr(value))
    if _is_int(value):
        return min(len(str(abs(value))), 20) + (value < 0)
    return 4


def _float_or_nan(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return NAN


def _groups(col: Any, n: int) -> list[array.array]:
    """lr/momentum: a list with one column (list, packed, or constant number) per param group."""
    if col is None:
        return []
    if isinstance(col, list):
        return [_floats_column(g, n) for g in col]
    return [_floats_column(col, n)]  # a bare column or number: one group


@dataclass
class RunData:
    """Everything read from metrics.jsonl so far, as aligned columns plus epoch and event lists."""

    steps: array.array = field(default_factory=lambda: array.array("q"))
    epoch: array.array = field(default_factory=lambda: array.array("d"))
    lr: list[array.array] = field(default_factory=list)  # one column per param group
    momentum: list[array.array] = field(default_factory=list)
    loss: array.array = field(default_factory=lambda: array.array("d"))
    grad_norm: array.array = field(default_factory=lambda: array.array("d"))
    extra: dict[str, array.array] = field(default_factory=dict)  # other numeric step columns
    epochs: list[dict] = field(default_factory=list)  # epoch records, in epoch order
    events: list[dict] = field(default_factory=list)
    skipped: int = 0  # records whose content could not be used
    version: int = 0  # bumped on every change, for "is the plot dirty?"
    last_t: float | None = None  # "t" of the newest record
    # first step logged by each resumed process (after a "resume" event, or where steps went back): where
    # the LR doctor checks that the schedule continued
    resumed_at: list[int] = field(default_factory=list)
    _resume_pending: bool = False

    _KNOWN = frozenset(("kind", "n", "step", "epoch", "lr", "momentum", "loss", "grad_norm", "t"))

    def __len__(self) -> int:
        return len(self.steps)

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    def ingest(self, records: list[dict]) -> None:
        """Add records of any kind; unknown kinds are ignored, unusable records counted in skipped."""
        with _gc_paused(len(records) > 10_000):
            self._ingest(records)

    def _ingest(self, records: list[dict]) -> None:
        i, n = 0, len(records)
        while i < n:
            rec = records[i]
            kind = rec.get("kind")
            if kind == "step":
                j = i + 1
                while j < n and records[j].get("kind") == "step":
                    j += 1
                self._guard(self._ingest_step_run, records[i:j])
                i = j
                continue
            if kind == "steps":
                self._guard(self._ingest_steps_record, rec)
            elif kind == "epoch":
                self._guard(self._ingest_epoch, rec)
            elif kind == "event":
                self._guard(self._ingest_event, rec)
            t = finite_number(rec.get("t"))
            if t is not None:
                self.last_t = t
            i += 1

    def _guard(self, fn: Any, arg: Any) -> None:
        try:
            fn(arg)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            self.skipped += len(arg) if isinstance(arg, list) else 1

    def _ingest_step_run(self, run: list[dict]) -> None:
        # Consecutive single "step" records -> columnar batches (C-speed list operations, not a
        # per-record loop). Any trouble: fall back to one record at a time, so one bad record
        # costs only itself.
        try:
            steps = array.array("q", [r["step"] for r in run])
        except (KeyError, TypeError, OverflowError):
            if len(run) == 1:
                raise
            for r in run:
                self._guard(self._ingest_step_run, [r])
            return
        # A writer that restarted without an event re-logs earlier steps: split where steps go back.
        cuts = [i for i in range(1, len(steps)) if steps[i] <= steps[i - 1]]
        if cuts:
            for a, b in zip([0, *cuts], [*cuts, len(run)]):
                self._guard(self._ingest_step_run, run[a:b])
            return
        try:
            self._ingest_batch(self._step_run_columns(run, steps), t=run[-1].get("t"))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            if len(run) == 1:
                raise
            for r in run:
                self._guard(self._ingest_step_run, [r])

    def _step_run_columns(self, run: list[dict], steps: array.array) -> dict:
        n = len(run)
        batch: dict[str, Any] = {"n": n, "step": steps}
        for key in ("lr", "momentum"):
            values = [r.get(key) for r in run]
            if values.count(None) == n:
                batch[key] = None
                continue
            try:
                widths = set(map(len, values))  # TypeError unless all are lists
            except TypeError:
                widths = None
            if widths is not None and len(widths) == 1:
                batch[key] = [list(g) for g in zip(*values)]
            elif widths is None and not any(isinstance(v, list) for v in values):
                batch[key] = [values]  # one group given as bare numbers
            else:
                rows = [v if isinstance(v, list) else [v] for v in values]
                width = max(map(len, rows))
                batch[key] = [[row[g] if g < len(row) else None for row in rows] for g in range(width)]
        for key in ("epoch", "loss", "grad_norm"):
            batch[key] = [r.get(key) for r in run]
        # Extra numeric keys are looked for in the first and last record only (speed).
        for key in {k for r in (run[0], run[-1]) for k in r if k not in self._KNOWN}:
            batch[key] = [r.get(key) for r in run]
        return batch

    def _ingest_steps_record(self, rec: dict) -> None:
        """A "steps" line from the file: its claimed size is checked before anything is decoded."""
        n = _claimed_steps(rec.get("step"))
        cells = n * (4 + _group_count(rec.get("lr")) + _group_count(rec.get("momentum")) + _extra_count(rec))
        if cells > CELLS_PER_BYTE * _json_size(rec):
            raise ValueError(f"a {_json_size(rec)}-byte record cannot honestly hold {n} steps")
        self._ingest_batch(rec)

    def _ingest_batch(self, rec: dict, t: Any = None) -> None:
        # Decode everything first, then append: a bad column leaves the data untouched.
        steps = _ints_column(rec["step"], None)
        n = len(steps)
        if isinstance(rec.get("n"), int) and rec["n"] != n:
            raise ValueError("n does not match the step column")
        if n == 0:
            return
        epoch = _floats_column(rec.get("epoch"), n)
        lr = _groups(rec.get("lr"), n)
        mom = _groups(rec.get("momentum"), n)
        loss = _floats_column(rec.get("loss"), n)
        grad = _floats_column(rec.get("grad_norm"), n)
        extra = {}
        for key, col in rec.items():
            if key not in self._KNOWN and isinstance(col, (list, dict)):
                with contextlib.suppress(ValueError, TypeError):  # non-numeric: not plottable, ignore
                    extra[clean_text(key)] = _floats_column(col, n)
        columns = (
            max(len(lr), len(self.lr)) + max(len(mom), len(self.momentum)) + len(set(self.extra) | set(extra))
        )
        if columns > MAX_COLUMNS:
            raise ValueError(f"{columns} step columns (at most {MAX_COLUMNS})")
        relog = bool(len(self.steps) and steps[0] <= self.steps[-1])
        if relog:
            # A resumed run re-logs steps after its checkpoint: the newest values win.
            self._truncate(bisect_left(self.steps, steps[0]))
        if relog or (self._resume_pending and len(self.steps)):
            self.resumed_at = [s for s in self.resumed_at if s < steps[0]] + [int(steps[0])]
        self._resume_pending = False
        old = len(self.steps)
        self.steps.extend(steps)
        self.epoch.extend(epoch)
        self.loss.extend(loss)
        self.grad_norm.extend(grad)
        self._extend_groups(self.lr, lr, old, n)
        self._extend_groups(self.momentum, mom, old, n)
        for key in set(self.extra) | set(extra):
            col = self.extra.get(key)
            if col is None:
                col = self.extra[key] = array.array("d", [NAN]) * old
            col.extend(extra[key] if key in extra else array.array("d", [NAN]) * n)
        self.version += 1
        t = finite_number(rec.get("t", t))
        if t is not None:
            self.last_t = t

    @staticmethod
    def _extend_groups(have: list[array.array], new: list[array.array], old: int, n: int) -> None:
        while len(have) < len(new):
            have.append(array.array("d", [NAN]) * old)
        for g, col in enumerate(have):
            col.extend(new[g] if g < len(new) else array.array("d", [NAN]) * n)

    def _truncate(self, keep: int) -> None:
        for col in (
            self.steps,
            self.epoch,
            self.loss,
            self.grad_norm,
            *self.lr,
            *self.momentum,
            *self.extra.values(),
        ):
            del col[keep:]

    def _ingest_event(self, rec: dict) -> None:
        """An event, its fields checked: what the screens read from it has the type they expect."""
        rec = clean_json(rec)  # strings reach the screen: control characters go here
        if not isinstance(rec.get("event"), str):
            raise ValueError("event name must be a string")
        if rec.get("message") is not None and not isinstance(rec["message"], str):
            raise ValueError("event message must be a string")
        _check_numbers(rec, ("step", "t"))
        self.events.append(rec)
        self.version += 1
        if rec.get("event") == "resume":
            self._resume_pending = True

    def _ingest_epoch(self, rec: dict) -> None:
        """An epoch record: a finite epoch number in [0, MAX_EPOCH] and numbers (or null) where numbers
        belong, else the record is skipped (one bad record costs only itself). Non-finite metrics are
        kept as null, as RunLogger writes them."""
        rec = clean_json(rec)
        ep = rec.get("epoch")
        if isinstance(ep, bool) or not isinstance(ep, (int, float)) or not 0 <= ep <= MAX_EPOCH:
            raise ValueError("epoch must be a number in [0, MAX_EPOCH]")  # nan fails the range too
        _check_numbers(rec, EPOCH_NUMBERS)
        if self.epochs:
            last = self.epochs[-1]["epoch"]
            if ep <= last:  # re-run after a resume: newest wins
                self.epochs = [e for e in self.epochs if e["epoch"] < ep]
        self.epochs.append(rec)
        self.version += 1

    # convenience views

    @property
    def last_step(self) -> int | None:
        return self.steps[-1] if len(self.steps) else None

    @property
    def test_acc(self) -> list[tuple[Any, float]]:
        """(epoch, test_acc) for epoch records that have a numeric test_acc."""
        return [
            (e.get("epoch"), float(e["test_acc"]))
            for e in self.epochs
            if isinstance(e.get("test_acc"), (int, float)) and not isinstance(e.get("test_acc"), bool)
        ]


@dataclass
class Run:
    """One run directory as read now; refresh() picks up what was appended since."""

    dir: Path
    config: dict
    config_error: str | None
    status: dict
    state: str  # effective state ("lost" derived)
    data: RunData
    tail: MetricsTail

    @property
    def id(self) -> str:
        return clean_name(self.dir.name)

    def refresh(self, max_bytes: int | None = None) -> int:
        """Read new records and status; return how many records were read."""
        resets = self.tail.resets
        records = self.tail.read_new(max_bytes)
        if self.tail.resets != resets:  # the file was replaced or truncated: these records start over
            self.data.clear()
        self.data.ingest(records)
        if self.config_error is not None:  # it may have been written since
            self.config, self.config_error = read_config(self.dir)
        self.status = read_status(self.dir)
        self.state = effective_state(self.status)
        return len(records)


def read_config(run_dir: str | Path) -> tuple[dict, str | None]:
    """(config dict, None) or ({}, problem text) — never raises."""
    data, problem = read_json_file(Path(run_dir) / CONFIG)
    if problem is not None:
        return {}, problem
    if not isinstance(data, dict):
        return {}, f"{CONFIG} holds a {type(data).__name__}, not an object"
    return data, None


def read_run(run_dir: str | Path, now: float | None = None) -> Run:
    """Read a whole run directory (config, status, every metrics record). Never raises for bad files."""
    run_dir = Path(run_dir)
    config, config_error = read_config(run_dir)
    status = read_status(run_dir)
    tail = MetricsTail(run_dir / METRICS)
    data = RunData()
    while True:  # in chunks: bounded memory for huge files
        before, resets = tail.offset, tail.resets
        records = tail.read_new(READ_CHUNK)
        if tail.resets != resets:  # replaced while we read: start over
            data.clear()
        data.ingest(records)
        if tail.offset == before:
            break
    return Run(
        dir=run_dir,
        config=config,
        config_error=config_error,
        status=status,
        state=effective_state(status, time.time() if now is None else now),
        data=data,
        tail=tail,
    )
