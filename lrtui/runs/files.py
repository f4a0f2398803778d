"""Opening files of a run directory as hostile input: regular files only, never through a symlink, capped.

A FIFO named config.json would block a reader forever, a symlink to /dev/zero would feed it gigabytes,
a symlink to a file elsewhere would show that file's content. Every reader opens run files through
`open_regular` (O_NOFOLLOW | O_NONBLOCK, then fstat: a regular file or nothing) and reads small files
with `read_capped`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from lrtui.runs.paths import file_mode

SMALL_FILE_MAX = 4 << 20  # config.json / status.json / lock: far above anything a writer produces


class UnsafeFile(OSError):
    """The path exists but is not something a reader may read (the message says why)."""


def open_regular(path: str | Path, *, follow: bool = False) -> int:
    """A read-only descriptor on `path` if it is a regular file reached without a symlink.

    FileNotFoundError if it does not exist; UnsafeFile (an OSError) for a symlink (unless `follow`:
    files the user names on the command line may be links), a FIFO, a device, a directory, a socket.
    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; the descriptor is
    switched back to blocking for the read.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    name = Path(path).name
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile(errno.ELOOP, f"{name} is a symbolic link (not followed)") from None
        if exc.errno in (errno.ENXIO, errno.EISDIR):
            raise UnsafeFile(exc.errno, f"{name} is not a regular file") from None
        raise
    return _regular_or_close(fd, name)


def _regular_or_close(fd: int, name: str) -> int:
    """`fd` switched to blocking if it is a regular file; else closed and UnsafeFile raised."""
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnsafeFile(errno.EINVAL, f"{name} is not a regular file ({kind_of(mode)})")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def kind_of(mode: int) -> str:
    """'a FIFO', 'a character device', ... for an st_mode that is not a regular file's."""
    for test, what in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "a special file"


def read_capped(path: str | Path, limit: int = SMALL_FILE_MAX, *, follow: bool = False) -> bytes:
    """The whole content of a regular file of at most `limit` bytes (UnsafeFile beyond it)."""
    fd = open_regular(path, follow=follow)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise UnsafeFile(
                errno.EFBIG, f"{Path(path).name} is too large ({size:,} bytes; at most {limit:,})"
            )
        chunks = []
        total = 0
        while True:  # the file may grow between fstat and read: read at most limit + 1 bytes
            chunk = os.read(fd, limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UnsafeFile(errno.EFBIG, f"{Path(path).name} is too large (more than {limit:,} bytes)")
        return b"".join(chunks)
    finally:
        os.close(fd)


def open_new(path: str | Path, flags: int = os.O_WRONLY) -> int:
    """Create `path` (it must not exist) with the run file mode exactly, whatever the umask."""
    mode = file_mode()
    fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_append(path: str | Path) -> int:
    """An O_APPEND descriptor on `path`, created with the run file mode if missing; never via a symlink.

    An existing file keeps its mode (it may have been chosen by the user).
    """
    try:
        return open_new(path, os.O_WRONLY | os.O_APPEND)
    except FileExistsError:
        pass
    flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    return _regular_or_close(os.open(path, flags), Path(path).name)


def describe_error(path: str | Path, exc: OSError) -> str:
    """A one-line reason for a failed read: UnsafeFile says it all, others name the file and errno text."""
    if isinstance(exc, UnsafeFile):
        return exc.strerror or str(exc)
    return f"{Path(path).name} cannot be read: {exc.strerror or type(exc).__name__}"
