"""TFRecord framing, read incrementally and defensively: what TensorBoard event files are made of.

A record is: uint64 length · uint32 masked CRC-32C of those 8 bytes · `length` bytes · uint32 masked
CRC-32C of the data (all little-endian). `frame()` takes the bytes read so far and returns the complete,
verified records in them plus how many bytes it consumed; a partial record at the end is left for the
next read (the writer is still writing it).

Speed: walking a 40 MB file record by record in Python costs ~0.4 µs a record. Real event files repeat a
few record shapes in a cycle (one record per tag, the same tags every step), so after a few records the
framer guesses that the next thousands follow the same cycle of lengths and checks every guessed length
field at once in numpy; the first record that breaks the cycle is walked one by one again. Nothing is
trusted unchecked: every accepted record's length field was read, and length checksums are verified.

Corruption: a bad length checksum means the framing is lost: the framer searches forward for the next
position whose 12 bytes form a valid header (checksum ok, sane length) and counts the gap as one corrupt
region. A bad data checksum drops that record only. Neither is ever fatal.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from lrtui.sources.crc32c import crc32c_many, crc32c_rows, masked

HEADER = 12  # length + its CRC
FOOTER = 4  # data CRC
OVERHEAD = HEADER + FOOTER
MAX_RECORD = 64 << 20  # a longer record is treated as corruption (hostile files)
_U64 = struct.Struct("<Q")
_STEP_BEFORE_JUMP = 24  # records walked one by one before guessing a cycle
_MAX_CYCLE = 16
_JUMP = 1 << 18  # records verified per guess


@dataclass
class Frames:
    """Complete records found in a buffer: payload offsets and lengths (into the buffer)."""

    starts: np.ndarray
    lengths: np.ndarray
    consumed: int  # bytes of the buffer done with (records + skipped garbage); the rest waits for more
    corrupt: int = 0  # corrupt regions and records skipped
    resyncing: bool = False  # the buffer ended while searching for a valid header after corruption
    problems: list[str] = field(default_factory=list)


def _u64_at(buf: bytes, positions: np.ndarray) -> np.ndarray:
    """The little-endian uint64 at each position (any alignment): one row gather from a window view."""
    windows = np.lib.stride_tricks.sliding_window_view(np.frombuffer(buf, dtype=np.uint8), 8)
    return windows[positions].view("<u8").ravel()


def _u32_at(buf: bytes, positions: np.ndarray) -> np.ndarray:
    windows = np.lib.stride_tricks.sliding_window_view(np.frombuffer(buf, dtype=np.uint8), 4)
    return windows[positions].view("<u4").ravel()


def _find_cycle(lengths: list[int]) -> list[int] | None:
    """The shortest period P (≤ _MAX_CYCLE) with which the recent lengths repeat at least twice."""
    n = len(lengths)
    for p in range(1, min(_MAX_CYCLE, n // 2) + 1):
        if lengths[n - 2 * p : n - p] == lengths[n - p :]:
            return lengths[n - p :]
    return None


def _jump(buf: bytes, off: int, end: int, cycle: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
    """Records following `off` that continue `cycle`, each verified by reading its length field."""
    strides = np.asarray(cycle, dtype=np.int64) + OVERHEAD
    per_cycle = int(strides.sum())
    cycles = min((end - off) // per_cycle, max(1, _JUMP // len(cycle)))
    if cycles < 1:
        return np.empty(0, np.int64), np.empty(0, np.int64), off
    expect = np.tile(np.asarray(cycle, dtype=np.int64), cycles)
    starts = off + np.concatenate(([0], np.cumsum(np.tile(strides, cycles))[:-1]))
    got = _u64_at(buf, starts)
    bad = np.flatnonzero(got != expect.astype(np.uint64))
    k = int(bad[0]) if bad.size else starts.size
    if k == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), off
    new_off = int(starts[k - 1] + expect[k - 1] + OVERHEAD)
    return starts[:k], expect[:k], new_off


def _chain(buf: bytes, off: int, end: int) -> tuple[list[np.ndarray], list[np.ndarray], int, str]:
    """Follow length fields from `off`: (header offsets, lengths, where it stopped, why it stopped)."""
    starts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    s_list: list[int] = []
    l_list: list[int] = []
    recent: list[int] = []
    unpack = _U64.unpack_from
    while True:
        if off + HEADER > end:
            reason = "partial"
            break
        length = unpack(buf, off)[0]
        if length > MAX_RECORD:
            reason = "too long"
            break
        if off + OVERHEAD + length > end:
            reason = "partial"
            break
        s_list.append(off)
        l_list.append(length)
        recent.append(length)
        off += OVERHEAD + length
        if len(recent) >= _STEP_BEFORE_JUMP:
            cycle = _find_cycle(recent)
            recent = []
            if cycle is not None:
                s_arr, l_arr, new_off = _jump(buf, off, end, cycle)
                if s_arr.size:
                    starts.append(np.asarray(s_list, dtype=np.int64))
                    lengths.append(np.asarray(l_list, dtype=np.int64))
                    s_list, l_list = [], []
                    starts.append(s_arr)
                    lengths.append(l_arr)
                    off = new_off
    starts.append(np.asarray(s_list, dtype=np.int64))
    lengths.append(np.asarray(l_list, dtype=np.int64))
    return starts, lengths, off, reason


def header_ok(buf: bytes, positions: np.ndarray) -> np.ndarray:
    """Whether the 12 bytes at each position are a header whose length checksum matches."""
    windows = np.lib.stride_tricks.sliding_window_view(np.frombuffer(buf, dtype=np.uint8), HEADER)
    rows = windows[positions]
    stored = rows[:, 8:].copy().view("<u4").ravel()
    return masked(crc32c_rows(rows[:, :8])) == stored


_RESYNC_WINDOW = 1 << 20


def _resync(buf: bytes, start: int, end: int) -> int | None:
    """The first position ≥ start holding a valid header with a sane length (None if none before end).

    The length test comes first and is cheap: only positions whose 8 bytes read as 1..MAX_RECORD pay for a
    checksum. Zeros (a sparse hole, a preallocated tail) and random bytes almost never pass it, so a GiB of
    garbage is crossed at memory speed instead of one CRC per byte (an empty record is never resynced to:
    no writer of event files writes one)."""
    a = np.frombuffer(buf, dtype=np.uint8)
    pos = start
    while pos + HEADER <= end:
        stop = min(end - HEADER + 1, pos + _RESYNC_WINDOW)
        # bytes 4..7 of a length ≤ MAX_RECORD (2**26) are zero and byte 3 is at most 4; not all of 0..3 are
        b = [a[pos + i : stop + i] for i in range(8)]
        zero_low = (b[0] == 0) & (b[1] == 0) & (b[2] == 0) & (b[3] == 0)
        maybe = (b[4] == 0) & (b[5] == 0) & (b[6] == 0) & (b[7] == 0) & (b[3] <= 4) & ~zero_low
        cand = np.flatnonzero(maybe) + pos
        if cand.size:
            lens = _u64_at(buf, cand)
            cand = cand[(lens > 0) & (lens <= np.uint64(MAX_RECORD))]
        if cand.size:
            hits = np.flatnonzero(header_ok(buf, cand))
            if hits.size:
                return int(cand[hits[0]])
        pos = stop
    return None


def frame(buf: bytes, *, check_data: bool = True, resyncing: bool = False, final: bool = False) -> Frames:
    """Complete, verified records of `buf` (bytes read from a record boundary, or mid-resync).

    `final`: no more bytes will come (a closed file read to its end): a trailing partial record is then
    reported as truncated (still left unconsumed, so a writer that does come back is read correctly).
    """
    end = len(buf)
    off = 0
    corrupt = 0
    problems: list[str] = []
    all_starts: list[np.ndarray] = []
    all_lengths: list[np.ndarray] = []
    while True:
        if resyncing:
            found = _resync(buf, off, end)
            if found is None:
                off = max(off, end - HEADER + 1)
                break
            off = found
            resyncing = False
        starts_parts, length_parts, stop, reason = _chain(buf, off, end)
        starts = np.concatenate(starts_parts)
        lengths = np.concatenate(length_parts)
        if starts.size:
            ok = header_ok(buf, starts)
            bad = np.flatnonzero(~ok)
            if bad.size:
                k = int(bad[0])
                all_starts.append(starts[:k])
                all_lengths.append(lengths[:k])
                off = int(starts[k])
                corrupt += 1
                problems.append(f"bad length checksum at byte {off}")
                resyncing = True
                off += 1
                continue
            all_starts.append(starts)
            all_lengths.append(lengths)
        off = stop
        if reason == "too long":
            if header_ok(buf, np.asarray([off], dtype=np.int64))[0]:
                problems.append(
                    f"record of {_U64.unpack_from(buf, off)[0]:,} bytes at byte {off}: over the cap"
                )
            else:
                problems.append(f"bad record header at byte {off}")
            corrupt += 1
            resyncing = True
            off += 1
            continue
        if final and off < end:
            problems.append(f"truncated last record ({end - off} bytes)")
        break
    starts = np.concatenate(all_starts) if all_starts else np.empty(0, np.int64)
    lengths = np.concatenate(all_lengths) if all_lengths else np.empty(0, np.int64)
    if check_data and starts.size:
        payload = starts + HEADER
        crc = masked(crc32c_many(np.frombuffer(buf, dtype=np.uint8), payload, lengths))
        ok = crc == _u32_at(buf, payload + lengths)
        if not ok.all():
            bad = int((~ok).sum())
            corrupt += bad
            problems.append(f"{bad} record(s) with a bad data checksum skipped")
            starts, lengths = starts[ok], lengths[ok]
    return Frames(starts + HEADER, lengths, off, corrupt, resyncing, problems)
