"""TensorBoard event files: one run per directory (as TensorBoard does), every scalar at full resolution.

Files named `events.out.tfevents.*` directly in the run directory are read in name order (the name
starts with the writer's start time), each tailed from its own byte offset; files that appear later (a
restarted writer) are picked up on the next poll. Scalars stored as `simple_value` and as rank-0 tensors
(tensorboard's own writer, TF2, `new_style=True`) both count; tags whose plugin is not a scalar one
(histograms, text, hparams, ...) do not. hparams records become the run's config.

Unlike TensorBoard's EventAccumulator, nothing is sampled: every point is kept (it keeps 1,000 per tag
by default). Like it, a writer that restarts from an earlier step drops the later points it had (the
"orphaned" data of a run resumed from a checkpoint).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lrtui.runs.text import clean_json
from lrtui.sources.base import POLL_BYTES, Source, open_log, regular_file
from lrtui.sources.protowire import NON_SCALAR_PLUGINS
from lrtui.sources.series import clean_name
from lrtui.sources.tfevents import PAD, TagTable, decode
from lrtui.sources.tfrecord import HEADER, MAX_RECORD, frame

EVENTS_PREFIX = "events.out.tfevents."
MAX_FILES = 1000  # event files read per run directory (a hostile directory may hold many more)


def is_event_file(name: str) -> bool:
    return name.startswith(EVENTS_PREFIX) and not name.endswith((".tmp", ".crc"))


class EventFileTail:
    """One event file read from a byte offset; complete records only; corruption skipped and counted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.ident: tuple[int, int] | None = None
        self.resyncing = False
        self.corrupt = 0
        self.need = 0  # bytes the record waiting at `offset` needs (a record bigger than one poll's read)
        self.problems: list[str] = []

    def read(self, table: TagTable, max_bytes: int) -> tuple[object | None, bool, float | None, int]:
        """(decoded scalars or None, whether the file was replaced/truncated, its mtime, bytes read)."""
        st = regular_file(self.path)
        if st is None:
            return None, False, None, 0
        ident = (st.st_dev, st.st_ino)
        replaced = self.ident is not None and (ident != self.ident or st.st_size < self.offset)
        if replaced:
            self.offset, self.resyncing, self.need = 0, False, 0
        self.ident = ident
        want = min(st.st_size - self.offset, max(max_bytes, self.need))
        if want <= 0:
            return None, replaced, st.st_mtime, 0
        buf = bytearray(want + PAD)
        with open_log(self.path) as f:
            if os.fstat(f.fileno()).st_ino != st.st_ino:
                return None, replaced, st.st_mtime, 0  # replaced between stat and open: next poll
            f.seek(self.offset)
            got = f.readinto(memoryview(buf)[:want])
        data = memoryview(buf)[:got]
        frames = frame(data, resyncing=self.resyncing)
        self.resyncing = frames.resyncing
        self.corrupt += frames.corrupt
        self.problems = frames.problems
        if frames.consumed == 0 and got == want and got >= HEADER and not frames.resyncing:
            # nothing complete although the buffer was full: one record larger than a poll's read
            length = int.from_bytes(bytes(data[:8]), "little")
            self.need = min(length + 16, MAX_RECORD + 16)
        else:
            self.need = 0
        self.offset += frames.consumed
        if not frames.starts.size:
            return None, replaced, st.st_mtime, got
        arr = np.frombuffer(buf, dtype=np.uint8)
        return decode(arr, frames.starts, frames.lengths, table), replaced, st.st_mtime, got


class TensorBoardSource(Source):
    """A directory of event files (or one event file) as one run."""

    format = "tensorboard"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.single = regular_file(self.path) is not None  # `lrtui watch path/to/events.out.tfevents.X`
        self.dir = self.path.parent if self.single else self.path
        self.table = TagTable()
        self.tails: dict[str, EventFileTail] = {}
        self._names: dict[int, str | None] = {}  # tag id -> cleaned name (None: not a scalar tag)
        self.corrupt = 0
        self.non_scalar = 0
        self.malformed = 0

    @property
    def name(self) -> str:
        return self.short_path(self.dir)

    def files(self) -> list[Path]:
        return [tail.path for tail in self.tails.values()]

    def _list(self) -> list[str]:
        if self.single:
            return [self.path.name]
        try:
            with os.scandir(self.dir) as it:
                names = []
                for entry in it:
                    if is_event_file(entry.name):
                        names.append(entry.name)
                        if len(names) > 4 * MAX_FILES:
                            break
        except OSError as exc:
            self.problem(f"cannot list {self.dir}: {exc.strerror or exc}")
            return sorted(self.tails)
        names.sort()
        if len(names) > MAX_FILES:
            self.problem(f"{len(names):,}+ event files: the first {MAX_FILES:,} are read")
            names = names[:MAX_FILES]
        return names

    def _poll(self, max_bytes: int = POLL_BYTES) -> None:
        for name in self._list():
            if name not in self.tails and self.regular(self.dir / name) is not None:
                self.tails[name] = EventFileTail(self.dir / name)
        budget = max_bytes  # shared by the files: a poll's work stays bounded, later files wait their turn
        for name in sorted(self.tails):
            if budget <= 0:
                break
            tail = self.tails[name]
            corrupt = tail.corrupt
            decoded, replaced, mtime, got = tail.read(self.table, budget)
            budget -= got
            if replaced:  # an event file never shrinks or changes identity in place: start over cleanly
                self.problem(f"{name} was replaced or truncated: read again from the start")
                self._restart()
                return
            if mtime is not None:
                self.note_write(mtime)
            if tail.corrupt != corrupt:
                self.corrupt += tail.corrupt - corrupt
                self.skipped += tail.corrupt - corrupt
                for text in tail.problems:
                    self.problem(f"{name}: {text}")
            if decoded is not None:
                self._ingest(decoded)
        if budget <= 0:
            self.version += 1  # the poll's budget is spent: more may wait (read_all() polls again)

    def _restart(self) -> None:
        self.reset()
        self.table = TagTable()
        self._names.clear()
        self.tails.clear()
        self.corrupt = self.non_scalar = self.malformed = 0

    def _name(self, tag_id: int) -> str | None:
        name = self._names.get(tag_id, "")
        if name == "":
            plugin = self.table.plugin.get(tag_id)
            name = None if plugin in NON_SCALAR_PLUGINS else clean_name(self.table.tags[tag_id])
            self._names[tag_id] = name
        return name

    def _ingest(self, decoded) -> None:  # a tfevents.Decoded
        self.non_scalar += decoded.non_scalar
        if decoded.malformed:
            self.malformed += decoded.malformed
            self.skipped += decoded.malformed
            for text in decoded.problems:
                self.problem(text)
        if decoded.hparams:
            self.config.update(clean_json({clean_name(str(k)): v for k, v in decoded.hparams.items()}))
            self.version += 1
        ids = decoded.tag_ids
        if not ids.size:
            return
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        cuts = np.flatnonzero(np.diff(sorted_ids)) + 1
        for part in np.split(order, cuts):
            name = self._name(int(ids[part[0]]))
            if name is None:
                continue
            self.store.add(name, decoded.steps[part], decoded.values[part], decoded.wall[part])
