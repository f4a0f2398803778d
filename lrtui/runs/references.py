"""What a reference on the command line (`lrtui stop RUN`, `lrtui sweep resume GROUP`) names: one rule set
for runs and sweep groups.

A reference names a real directory (never a symlink) directly in the runs dir: its exact name (or the
escaped form listings show), a unique prefix of one (never a substring: `o` must not pick `goodrun`),
"last"/"latest", or a path that resolves to such a directory. A read-only use (watching, a status) also
accepts an explicit path to a directory elsewhere: looking cannot change anything. Anything else is a
ValueError naming the value (shortened) and what is allowed, listing the candidates when it is ambiguous.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lrtui.runs.text import clean_name, clean_text, shorten


@dataclass(frozen=True)
class RefKind:
    """What a reference names, for its checks and messages."""

    label: str  # the argument in messages: "RUN", "GROUP"
    noun: str  # "run", "sweep group"
    plural: str  # "runs", "groups"
    forms: str  # what is allowed, for messages
    # Which directories are of this kind; None: any directory (a run is whatever a directory holds). The
    # second item says why a directory is not one ("a run, not a sweep group (no group.json)").
    accepts: Callable[[Path], bool] | None = None
    not_one: str = ""


RUN = RefKind("RUN", "run", "runs", "a run id, a unique prefix of one, a run directory path, or 'last'")


def resolve_ref(
    ref: str,
    root: Path,
    kind: RefKind,
    *,
    newest: Callable[[], Path | None],
    read_only: bool = False,
) -> Path:
    """The directory `ref` names in the runs dir `root` (see the module docstring); `newest()` gives "last"."""
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError(f"{kind.label}={shorten(repr(ref), 40)} is not allowed: give {kind.forms}")
    shown = shorten(repr(ref), 100)
    if "/" in ref or ref in (".", "..") or ref.startswith("~"):
        return _checked_kind(_by_path(ref, root, shown, kind, read_only), shown, kind)
    try:
        entries = [e for e in os.scandir(root) if not e.name.startswith(".")]
    except FileNotFoundError:
        raise ValueError(
            f"{kind.label}={shown} is not a {kind.noun}: the runs dir {clean_text(root)} does not exist"
        ) from None
    except OSError as exc:
        raise ValueError(
            f"{kind.label}={shown} cannot be looked up: the runs dir {clean_text(root)} cannot be read "
            f"({exc.strerror or type(exc).__name__})"
        ) from None
    if ref in ("last", "latest"):
        found = newest()
        if found is not None:
            return found
    exact = [e for e in entries if ref in (e.name, clean_name(e.name))]
    if exact:
        return _checked_kind(_checked_entry(exact[0], shown, kind), shown, kind)
    candidates = entries if kind.accepts is None else [e for e in entries if _is_kind(e, kind)]
    matches = sorted(
        (e for e in candidates if e.name.startswith(ref) or clean_name(e.name).startswith(ref)),
        key=lambda e: e.name,
    )
    if len(matches) == 1:
        return _checked_entry(matches[0], shown, kind)
    if not matches:
        names = sorted(clean_name(e.name) for e in candidates if _is_real_dir(e))
        some = ", ".join(names[-5:]) or "none"
        raise ValueError(
            f"{kind.label}={shown} is not a {kind.noun} in {clean_text(root)} ({kind.plural} there: {some}); "
            f"give {kind.forms}"
        )
    raise ValueError(
        f"{kind.label}={shown} is the start of {len(matches)} {kind.noun} ids in {clean_text(root)}: "
        + ", ".join(clean_name(e.name) for e in matches[:5])
        + "; give more of the id"
    )


def _is_real_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_kind(entry: os.DirEntry, kind: RefKind) -> bool:
    return _is_real_dir(entry) and (kind.accepts is None or kind.accepts(Path(entry.path)))


def _checked_entry(entry: os.DirEntry, shown: str, kind: RefKind) -> Path:
    if entry.is_symlink():
        raise ValueError(
            f"{kind.label}={shown} is a symbolic link in the runs dir: not followed (a {kind.noun} is a directory)"
        )
    if not _is_real_dir(entry):
        raise ValueError(f"{kind.label}={shown} is not a directory: not a {kind.noun}")
    return Path(entry.path)


def _checked_kind(path: Path, shown: str, kind: RefKind) -> Path:
    if kind.accepts is not None and not kind.accepts(path):
        raise ValueError(f"{kind.label}={shown} is not allowed: {kind.not_one}")
    return path


def _by_path(ref: str, root: Path, shown: str, kind: RefKind, read_only: bool) -> Path:
    path = Path(ref).expanduser()
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ValueError(f"{kind.label}={shown} does not exist; give {kind.forms}") from None
    try:
        root_real = root.resolve(strict=True)
    except (OSError, RuntimeError):
        root_real = None
    inside = root_real is not None and real.parent == root_real and not real.name.startswith(".")
    if real.is_dir() and (inside or read_only):
        return real
    if not real.is_dir():
        raise ValueError(f"{kind.label}={shown} is not a directory: not a {kind.noun}")
    raise ValueError(
        f"{kind.label}={shown} is not a {kind.noun} directory directly in the runs dir {clean_text(root)} "
        "(after following links): only those can be stopped, resumed or deleted (--runs-dir names another "
        "runs dir)"
    )


__all__ = ["RUN", "RefKind", "resolve_ref"]
