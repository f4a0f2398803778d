"""Lightning's CSVLogger: `<save_dir>/<name>/version_N/metrics.csv` (+ hparams.yaml) as one run.

metrics.csv has one row per `log_metrics` call: a `step` column (the global step), an `epoch` column and
one column per metric, empty where a row does not have it. When a new metric appears, Lightning rewrites
the whole file in place with a wider header and then appends again. So the reader tails complete lines
from a byte offset and compares the header line on every poll: a changed header (or a shorter file, or a
new inode) means the file was rewritten, and it is read again from the start. A half-written row at the
end waits for its newline; a row with the wrong number of fields or an unreadable number is skipped and
counted.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from lrtui.runs.text import clean_json
from lrtui.sources.base import POLL_BYTES, Source, open_log, regular_file
from lrtui.sources.series import clean_name

METRICS_CSV = "metrics.csv"
HPARAMS = "hparams.yaml"
MAX_HEADER = 1 << 20  # bytes of a header line (a metric name per column)
MAX_HPARAMS = 1 << 20
_STEP_COLUMNS = ("step", "global_step", "trainer/global_step")


def read_hparams(path: Path) -> tuple[dict, str | None]:
    """Top-level hyperparameters of a Lightning hparams.yaml ({} and a reason when unreadable)."""
    st = regular_file(path)
    if st is None:
        return {}, None
    if st.st_size > MAX_HPARAMS:
        return {}, f"{path.name} is {st.st_size:,} bytes: over the {MAX_HPARAMS:,}-byte cap"
    try:
        with open_log(path) as f:
            text = f.read(MAX_HPARAMS + 1).decode("utf-8", "replace")
    except OSError as exc:
        return {}, f"{path.name}: {exc.strerror or exc}"
    try:
        import yaml  # PyYAML comes with Lightning; safe_load never builds objects from tags

        data = yaml.safe_load(text)
        if isinstance(data, dict):
            return clean_json({clean_name(str(k)): v for k, v in data.items()}), None
    except ImportError:
        pass
    except Exception:  # python/object tags and the like: fall back to the plain key: value lines
        pass
    out: dict = {}
    for line in text.splitlines():
        if line[:1] in (" ", "\t", "-", "#") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        value = value.strip()
        try:
            out[clean_name(key)] = float(value) if value else None
        except ValueError:
            out[clean_name(key)] = clean_name(value.strip("'\""))
    return out, None


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        low = cell.strip().lower()
        if low in ("nan", "+nan", "-nan"):
            return math.nan
        return None


class LightningCsvSource(Source):
    """A CSVLogger version directory (or a metrics.csv file) as one run."""

    format = "lightning"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        given = regular_file(self.path) is not None
        self.dir = self.path.parent if given else self.path
        self.csv = self.path if given else self.path / METRICS_CSV
        self.offset = 0
        self.header: bytes | None = None
        self.columns: list[str] = []
        self.step_col: int | None = None
        self.rows = 0
        self._skipping = False  # inside an over-long row (skipped up to its line end)
        self._ident: tuple[int, int] | None = None
        self._hparams_mtime: float | None = None

    @property
    def name(self) -> str:
        return self.short_path(self.dir)  # version_3 alone says little: lightning_logs/version_3

    def files(self) -> list[Path]:
        return [self.csv, self.dir / HPARAMS]

    def _poll(self, max_bytes: int = POLL_BYTES) -> None:
        self._read_hparams()
        st = self.regular(self.csv)
        if st is None:
            return
        self.note_write(st.st_mtime)
        ident = (st.st_dev, st.st_ino)
        with open_log(self.csv) as f:
            if self._ident is not None and (ident != self._ident or st.st_size < self.offset):
                self._restart("replaced or truncated")
            self._ident = ident
            if self.header is not None:
                f.seek(0)
                first = f.readline(MAX_HEADER)
                if first != self.header:  # Lightning rewrote the file with more metrics
                    self._restart("rewritten with a new header")
            want = min(st.st_size - self.offset, max_bytes)
            if want <= 0:
                return
            f.seek(self.offset)
            data = f.read(want)
        if self._skipping:  # inside a row longer than a poll's read: drop it up to its end
            nl = data.find(b"\n")
            self.offset += len(data) if nl < 0 else nl + 1
            self.version += 1  # progress (nothing shown yet): read_all() polls on
            if nl < 0:
                return
            data = data[nl + 1 :]
            self._skipping = False
            self.skipped += 1
            self.problem(f"a {METRICS_CSV} row longer than {max_bytes:,} bytes was skipped")
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) >= max_bytes:  # a poll's whole read and no line end: no writer makes such a row
                if self.header is None:
                    self.problem(f"no line end in the first {len(data):,} bytes: not a {METRICS_CSV}")
                    self.offset = st.st_size
                    return
                self._skipping = True
                self.offset += len(data)
                self.version += 1
            return  # else a partial line: wait for its end
        chunk = data[: end + 1]
        if self.header is None:
            nl = chunk.find(b"\n")
            self.header = chunk[: nl + 1]
            if len(self.header) > MAX_HEADER:
                self.problem(f"header line of {len(self.header):,} bytes: not a metrics.csv")
                self.header = None
                self.offset = st.st_size
                return
            self.columns = [
                clean_name(c) for c in next(csv.reader([self.header.decode("utf-8", "replace")]), [])
            ]
            self.step_col = next((self.columns.index(c) for c in _STEP_COLUMNS if c in self.columns), None)
            chunk = chunk[nl + 1 :]
            self.offset += nl + 1
        self.offset += len(chunk)
        self._ingest(chunk)

    def _restart(self, why: str) -> None:
        self.problem(f"{METRICS_CSV} {why}: read again from the start")
        self.reset()
        self.offset = 0
        self.header = None
        self.rows = 0
        self._skipping = False

    def _read_hparams(self) -> None:
        path = self.dir / HPARAMS
        st = self.regular(path)
        if st is None or st.st_mtime == self._hparams_mtime:
            return
        self._hparams_mtime = st.st_mtime
        config, problem = read_hparams(path)
        if problem:
            self.problem(problem)
        if config != self.config:
            self.config = config
            self.version += 1

    def _ingest(self, chunk: bytes) -> None:
        width = len(self.columns)
        if not width or not chunk:
            return
        text = chunk.decode("utf-8", "replace")
        steps: list[int] = []
        cells: list[list[str]] = []
        for row in csv.reader(io.StringIO(text)):
            if not row:
                continue
            if len(row) != width:
                self.skipped += 1
                self.problem(f"row {self.rows + len(steps) + 1} has {len(row)} fields, the header {width}")
                continue
            if self.step_col is not None:
                step = _number(row[self.step_col])
                if step is None or not math.isfinite(step):
                    self.skipped += 1
                    self.problem(
                        f"row {self.rows + len(steps) + 1}: step {row[self.step_col][:20]!r} is not a number"
                    )
                    continue
                steps.append(int(step))
            else:
                steps.append(self.rows + len(steps))
            cells.append(row)
        self.rows += len(steps)
        if not steps:
            return
        step_arr = np.asarray(steps, dtype=np.int64)
        for c, name in enumerate(self.columns):
            if c == self.step_col:
                continue
            column = [row[c] for row in cells]
            present = [i for i, cell in enumerate(column) if cell != ""]
            if not present:
                continue
            values = [_number(column[i]) for i in present]
            bad = [k for k, v in enumerate(values) if v is None]
            if bad:
                self.skipped += len(bad)
                self.problem(f"column {name!r}: {len(bad)} value(s) that are not numbers")
                keep = [k for k, v in enumerate(values) if v is not None]
                present = [present[k] for k in keep]
                values = [values[k] for k in keep]
            if present:
                self.store.add(name, step_arr[present], values)
