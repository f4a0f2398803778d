"""A run's console output, tailed for display: ANSI escapes and control characters stripped.

Progress bars (tqdm and friends) redraw one line with carriage returns; a terminal shows only the text
after the last `\\r`, and so does this tail. The last line while it has no newline yet is kept apart
(`partial`): it is what the progress bar shows right now. Only the last `max_lines` lines are kept, and a
big file is first read from its last `initial_bytes` only (the screen can show a few thousand lines).
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

from lrtui.runs.text import clean_text
from lrtui.sources.base import open_log, regular_file

MAX_LINES = 20_000
MAX_LINE = 2_000  # characters kept per line
INITIAL_BYTES = 4 << 20
READ_BYTES = 4 << 20  # per poll

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte (colours, cursor moves)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL/ST (titles, hyperlinks, clipboard)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS / SOS / PM / APC strings
    r"|\x1b[@-Z\\-_]"  # two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)


def clean_line(raw: str) -> str:
    """What a terminal would show of one line: escapes removed, text after the last CR, controls dropped."""
    text = _ANSI.sub("", raw)
    if "\r" in text:
        parts = [p for p in text.split("\r") if p]
        text = parts[-1] if parts else ""
    return clean_text(text.replace("\t", "    "))[:MAX_LINE]


class LogTail:
    """The last lines of a growing text file; `poll()` reads what was appended."""

    def __init__(self, path: str | Path, *, max_lines: int = MAX_LINES, initial_bytes: int = INITIAL_BYTES):
        self.path = Path(path)
        self.lines: deque[str] = deque(maxlen=max_lines)
        self.partial = ""
        self.offset = 0
        self.dropped = 0  # lines before the first one kept (the head of a big file, or rotated out)
        self.total = 0  # complete lines seen
        self.version = 0
        self.missing = True
        self.initial_bytes = initial_bytes
        self._ident: tuple[int, int] | None = None
        self._raw_partial = b""

    def poll(self) -> bool:
        """Read new output; True when the lines or the partial line changed."""
        st = regular_file(self.path)
        if st is None:
            changed = not self.missing
            self.missing = True
            return changed
        self.missing = False
        ident = (st.st_dev, st.st_ino)
        if self._ident is not None and (ident != self._ident or st.st_size < self.offset):
            self.lines.clear()
            self.partial, self._raw_partial = "", b""
            self.offset = 0
            self.dropped = self.total = 0
        first = self._ident is None or self.offset == 0
        self._ident = ident
        if st.st_size == self.offset:
            return False
        start = self.offset
        if first and st.st_size > self.initial_bytes:
            start = st.st_size - self.initial_bytes
        try:
            with open_log(self.path) as f:
                f.seek(start)
                data = f.read(min(st.st_size - start, READ_BYTES))
        except OSError:
            return False
        skip_first = start > self.offset  # started mid-file: the first piece is a cut line
        self.offset = start + len(data)
        data = self._raw_partial + data
        pieces = data.split(b"\n")
        self._raw_partial = pieces.pop()[-4 * MAX_LINE :]
        if skip_first and pieces:
            pieces.pop(0)
            self.dropped += 1
        for piece in pieces:
            if len(self.lines) == self.lines.maxlen:
                self.dropped += 1
            self.lines.append(clean_line(piece[: 8 * MAX_LINE].decode("utf-8", "replace")))
        self.total += len(pieces)
        self.partial = clean_line(self._raw_partial.decode("utf-8", "replace"))
        self.version += 1
        return True

    def all_lines(self) -> list[str]:
        return [*self.lines, *([self.partial] if self.partial else [])]


def compile_search(pattern: str) -> re.Pattern:
    """A case-insensitive regex; text that is not a valid regex is searched for literally."""
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(pattern), re.IGNORECASE)


def find(lines: list[str], pattern: str, start: int, backwards: bool = False) -> int | None:
    """Index of the next line (from `start`, wrapping around) that matches `pattern`; None if none does."""
    if not lines or not pattern:
        return None
    rx = compile_search(pattern)
    n = len(lines)
    order = [(start - k) % n for k in range(n)] if backwards else [(start + k) % n for k in range(n)]
    for i in order:
        if rx.search(lines[i]):
            return i
    return None
