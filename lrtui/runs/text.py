"""Text from files made safe to print: control characters stripped (one function for every reader).

A run directory may come from anyone. A string in config.json, status.json, an event or a directory
name that reaches the terminal raw can drive it: `\\x1b]52;c;...\\x07` writes the clipboard, `\\x1b[2J`
clears the screen, `\\r` overwrites a line, bidi overrides reorder what is shown. Readers pass every
file-sourced string through `clean_text` (or `clean_json` for parsed JSON) before anything can print it.

Removed: C0 controls (U+0000-U+001F) except tab (becomes a space) and newline (kept only where asked),
DEL (U+007F), C1 controls (U+0080-U+009F, 8-bit CSI/OSC included), the bidi embedding/override/
isolate characters (U+202A-U+202E, U+2066-U+2069) and lone surrogates. Everything else, non-ASCII letters included, is kept.
"""

from __future__ import annotations

import re
from typing import Any

# Tab and newline are in the class: both are handled apart (tab -> space, newline kept or -> space).
# Lone surrogates (U+D800-U+DFFF: a "\\udcff" JSON escape, an undecodable file-name byte) are unsafe
# too: printing one raises UnicodeEncodeError.
_OTHERS = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHERS}]")
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHERS}]")

MAX_DEPTH = 64  # JSON from a run file nested deeper than this is refused (configs are ~3 deep)


def _replace(match: re.Match) -> str:
    char = match.group()
    return " " if char in "\t\n" else ""


def clean_text(text: Any, *, newlines: bool = False) -> str:
    """`text` (str(text) for non-strings) without control characters.

    newlines=False (one-line fields: ids, names, table cells): tab and newline become spaces.
    newlines=True (tracebacks, messages shown as blocks): newlines are kept, "\\r\\n" becomes "\\n".
    """
    if not isinstance(text, str):
        text = str(text)
    pattern = _UNSAFE_BUT_NEWLINE if newlines else _UNSAFE
    if pattern.search(text) is None:  # the common case costs one scan
        return text
    if newlines:
        text = text.replace("\r\n", "\n")
    return pattern.sub(_replace, text)


class TooDeep(ValueError):
    """Parsed JSON nested deeper than MAX_DEPTH."""


def clean_json(value: Any, depth: int = 0) -> Any:
    """A copy of parsed JSON with every string (keys included) cleaned, newlines kept.

    Raises TooDeep beyond MAX_DEPTH levels, so no reader recurses without bound on hostile input.
    """
    if isinstance(value, str):
        return clean_text(value, newlines=True)
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
        return {clean_text(k, newlines=False): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
        return [clean_json(v, depth + 1) for v in value]
    return value


def clean_name(name: str) -> str:
    """A file name as a run id to show: itself when safe, else a visible escaped form.

    The mapping is one-to-one (names holding a backslash or an unsafe character are escaped, backslash
    included; the others never hold a backslash), so two runs never show the same id, and the shown id
    works as a run reference.
    """
    if "\\" not in name and _UNSAFE.search(name) is None:
        return name
    return "".join(_escape_char(c) for c in name)


def _escape_char(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if _UNSAFE.match(char) is None:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shorten(text: Any, limit: int = 100) -> str:
    """One clean line of at most `limit` characters (messages never echo more of user data)."""
    line = clean_text(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def drop_shared_dirs(names: list[str]) -> list[str]:
    """The names without the leading path components every one of them shares (each keeps at least its
    last): 'exp/a/lightning_logs/version_3' and 'exp/a/lightning_logs/version_7' -> 'version_3', 'version_7'."""
    parts = [name.split("/") for name in names]
    if len(parts) < 2:
        return list(names)
    shared = 0
    while all(len(p) > shared + 1 for p in parts) and len({p[shared] for p in parts}) == 1:
        shared += 1
    return ["/".join(p[shared:]) for p in parts]


def cut_left(text: str, width: int) -> str:
    """`text` in at most `width` characters; when longer, its start becomes '…' (a run's name differs from
    its siblings' at the end: version_3 / version_7, seed-0 / seed-1), cut at a '/' where there is one."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[-width:] if width > 0 else ""
    tail = text[len(text) - width + 1 :]
    slash = tail.find("/")
    if 0 <= slash < len(tail) - 1:  # a whole folder or file name rather than its last few letters
        tail = tail[slash:]
    return "…" + tail
