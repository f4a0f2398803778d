"""The one reader interface every log format implements.

A `Source` reads one run — a TensorBoard event directory, a Lightning CSVLogger version directory, an HF
Trainer output directory, an lrtui run directory — into a `ScalarStore` of metric series, and keeps it
current: `poll()` reads only what was appended since the last call (byte offsets per file), tolerates a
record still being written at the end of a file, and picks up files that appear later. Work per poll is
bounded (`max_bytes`), so a huge file fills in over a few polls instead of blocking.

Every file is hostile: regular files only, size caps, names cleaned of control characters; what cannot
be used is skipped and counted (`skipped`, with the reasons in `problems`), never raised.
"""

from __future__ import annotations

import os
import stat
import time
from collections import deque
from pathlib import Path
from typing import BinaryIO, ClassVar

from lrtui.runs.files import kind_of, open_regular
from lrtui.sources.series import ScalarStore, clean_name

POLL_BYTES = 64 << 20  # bytes one poll reads at most per source
LIVE_AFTER_S = 120.0  # a run written to within this many seconds counts as live (config: live_after_s)
FORMATS = {
    "lrtui": "lrtui",
    "tensorboard": "TensorBoard",
    "lightning": "Lightning CSV",
    "hf-trainer": "HF Trainer",
}
SHORT_FORMATS = {"lrtui": "lrtui", "tensorboard": "tb", "lightning": "csv", "hf-trainer": "hf"}


def regular_file(path: Path) -> os.stat_result | None:
    """stat() of `path` when it is a regular file (following a symlink to one), else None."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def open_log(path: Path) -> BinaryIO:
    """A binary file object on `path`, a regular file. A symlink to one is followed (logs are the user's
    own files, not run-directory state); the open is O_NONBLOCK then fstat-checked, so a FIFO or device
    swapped in after a stat() raises UnsafeFile (an OSError) instead of blocking the reader forever."""
    return os.fdopen(open_regular(path, follow=True), "rb")


class Source:
    """A run in some log format, read incrementally into metric series (see the module docstring)."""

    format: ClassVar[str] = ""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.store = ScalarStore()
        self.config: dict = {}  # hyperparameters / run config as the format records them
        self.meta: dict = {}  # format facts the monitor uses: max_steps, num_train_epochs, finished, ...
        self.skipped = 0  # records / rows / entries that could not be used
        self.problems: deque[str] = deque(maxlen=20)  # why (newest last)
        self.last_write: float | None = None  # newest mtime of the files read (unix time)
        self.resets = 0  # times everything was read again (a file was replaced or truncated)
        self.version = 0  # bumps whenever anything a reader can see changed
        self.polls = 0
        self._special: set[Path] = set()  # log names that are not regular files (said once each)

    # -- what a source says about itself --------------------------------------------------------------------
    @property
    def name(self) -> str:
        return clean_name(self.path.name or str(self.path))

    @staticmethod
    def short_path(folder: Path) -> str:
        """The folder with its parent ('lightning_logs/version_3', 'hf_out/runs'): a bare name says little."""
        parent = folder.parent.name
        return clean_name(f"{parent}/{folder.name}" if parent and folder.name else folder.name or str(folder))

    @property
    def format_label(self) -> str:
        return FORMATS.get(self.format, self.format)

    def files(self) -> list[Path]:
        """The files this source reads (for the UI and for export notes)."""
        return []

    def output_log(self) -> Path | None:
        """The run's console output, when the format keeps one next to its metrics."""
        return None

    def state(self, now: float | None = None, live_after_s: float = LIVE_AFTER_S) -> str:
        """'finished' when the format says so, 'live' when written to recently, else 'idle'."""
        if self.meta.get("finished"):
            return "finished"
        now = time.time() if now is None else now
        if self.last_write is not None and now - self.last_write <= live_after_s:
            return "live"
        return "idle"

    # -- reading ----------------------------------------------------------------------------------------------
    def poll(self, max_bytes: int = POLL_BYTES) -> bool:
        """Read what is new; True when anything visible changed."""
        before = (self.version, self.store.version, self.skipped)
        self.polls += 1
        try:
            self._poll(max_bytes)
        except (OSError, ValueError, MemoryError) as exc:  # a file that vanished or misbehaves mid-read
            self.problem(f"read failed: {type(exc).__name__}: {exc}")
        changed = before != (self.version, self.store.version, self.skipped)
        if changed:
            self.version += 1
        return changed

    def read_all(self, max_polls: int = 1000) -> Source:
        """Poll until nothing more is read now (bounded); returns self."""
        for _ in range(max_polls):
            if not self.poll():
                break
        return self

    def _poll(self, max_bytes: int) -> None:
        raise NotImplementedError

    def problem(self, text: str) -> None:
        text = clean_name(text)
        if not self.problems or self.problems[-1] != text:
            self.problems.append(text)

    def regular(self, path: Path) -> os.stat_result | None:
        """regular_file(path); a FIFO, device, socket or folder under a log's name is counted and said once."""
        st = regular_file(path)
        if st is None and path not in self._special:
            try:
                mode = os.stat(path).st_mode
            except (OSError, ValueError):
                return None  # not there (yet): nothing to say
            self._special.add(path)
            self.skipped += 1
            self.problem(f"{path.name} is not a regular file ({kind_of(mode)}): not read")
        return st

    def note_write(self, mtime: float) -> None:
        if self.last_write is None or mtime > self.last_write:
            self.last_write = mtime

    def reset(self) -> None:
        """Drop everything read (a file was replaced); the next poll reads from the start."""
        self.store.clear()
        self.skipped = 0
        self._special.clear()
        self.resets += 1
        self.version += 1
