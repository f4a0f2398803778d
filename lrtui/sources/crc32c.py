"""CRC-32C (Castagnoli), as TFRecord framing uses it: masked checksums of lengths and payloads.

Pure Python costs ~0.3 µs per byte, far too slow for event files of tens of MB, and no C implementation
ships with Python. So checksums are computed in numpy, many records at once: records of equal length
are stacked into a matrix and the table-driven update runs column by column over all of them (one numpy
step per byte position, not per byte). A single long record is split into lanes that are checksummed in
parallel and then combined with the "append zeros" operator (CRC is linear over GF(2)).

`masked(crc)` is TFRecord's masking: ((crc >> 15) | (crc << 17)) + 0xa282ead8, modulo 2**32.
"""

from __future__ import annotations

import numpy as np

POLY = 0x82F63B78  # reflected Castagnoli polynomial
MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF


def _table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(POLY), table >> 1).astype(np.uint32)
    return table


TABLE = _table()
_TABLE_LIST = TABLE.tolist()


def crc32c_py(data: bytes, crc: int = 0) -> int:
    """The CRC-32C of `data` (continuing `crc`), one byte at a time: the reference for short inputs."""
    c = crc ^ _U32
    table = _TABLE_LIST
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ _U32


def masked(crc: np.ndarray | int) -> np.ndarray | int:
    """TFRecord's masked CRC of an unmasked CRC-32C (numpy arrays or ints)."""
    if isinstance(crc, np.ndarray):
        c = crc.astype(np.uint32)
        return ((c >> np.uint32(15)) | (c << np.uint32(17))) + np.uint32(MASK_DELTA)
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & _U32


_TABLE16: np.ndarray | None = None


def _table16() -> np.ndarray:
    """Register after feeding two zero bytes into register i (i < 2**16): two bytes per numpy step."""
    global _TABLE16
    if _TABLE16 is None:
        r = np.arange(1 << 16, dtype=np.uint32)
        for _ in range(2):
            r = TABLE[r & 0xFF] ^ (r >> np.uint32(8))
        _TABLE16 = r
    return _TABLE16


def _raw0_rows(rows: np.ndarray) -> np.ndarray:
    """Raw register (from 0) after feeding each row of a (n, L) uint8 matrix.

    From a zero register, leading zero bytes change nothing, so rows are left-padded to an even width and
    fed as little-endian 16-bit words, column-major, with in-place numpy steps (no temporaries).
    """
    n, width = rows.shape
    if width % 2:
        rows = np.concatenate([np.zeros((n, 1), dtype=np.uint8), rows], axis=1)
    words = np.ascontiguousarray(rows).view("<u2").T.copy()  # (width/2, n): each step reads one row
    table = _table16()
    c = np.zeros(n, dtype=np.uint32)
    index = np.empty(n, dtype=np.intp)
    looked = np.empty(n, dtype=np.uint32)
    for word in words:
        np.bitwise_xor(c, word, out=c)
        np.bitwise_and(c, 0xFFFF, out=index, casting="unsafe")
        np.take(table, index, out=looked)
        np.right_shift(c, 16, out=c)
        np.bitwise_xor(c, looked, out=c)
    return c


_INIT_AFTER: dict[int, int] = {0: _U32}


def _init_after(length: int) -> int:
    """Raw register after feeding `length` zero bytes into the initial register 0xFFFFFFFF."""
    if length not in _INIT_AFTER:
        known = max(k for k in _INIT_AFTER if k <= length)
        c = _INIT_AFTER[known]
        table = _TABLE_LIST
        for k in range(known + 1, length + 1):
            c = table[c & 0xFF] ^ (c >> 8)
            if k % 256 == 0:
                _INIT_AFTER[k] = c
        _INIT_AFTER[length] = c
    return _INIT_AFTER[length]


def crc32c_rows(rows: np.ndarray) -> np.ndarray:
    """CRC-32C of each row of a (n, L) uint8 matrix."""
    # crc(D) = raw_from_init(D) ^ 0xFFFFFFFF, and raw_from_init(D) = raw_from_0(D) ^ zeros fed from init
    return _raw0_rows(rows) ^ np.uint32(_init_after(rows.shape[1]) ^ _U32)


# -- combining lanes: the operator "feed k zero bytes" on the raw register is linear over GF(2) ----------
def _gf2_apply(matrix: list[int], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= matrix[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_apply(matrix, matrix[i]) for i in range(32)]


def _zeros_operator(n_bytes: int) -> list[int]:
    """Columns of the 32x32 GF(2) matrix that feeds `n_bytes` zero bytes through the raw register."""
    one_bit = [POLY] + [1 << i for i in range(31)]  # feeding one zero bit
    result = [1 << i for i in range(32)]  # identity
    power = one_bit
    bits = n_bytes * 8
    while bits:
        if bits & 1:
            result = [_gf2_apply(power, result[i]) for i in range(32)]
        bits >>= 1
        if bits:
            power = _gf2_square(power)
    return result


_ROWS = 1 << 17  # records gathered at once (bounded memory)
_BUCKET_MAX = 4096
_LANES = 256
_LANE_MIN = 4096  # shorter buffers: one row is cheaper than lanes


def crc32c(data: bytes | np.ndarray) -> int:
    """CRC-32C of one buffer of any length (numpy lanes for long buffers)."""
    buf = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    n = buf.size
    if n < _LANE_MIN:
        return crc32c_py(buf.tobytes())
    lane = n // _LANES
    head = n - lane * _LANES  # the first `head` bytes go through the register first, then the lanes
    crc = crc32c_py(buf[:head].tobytes()) ^ _U32 if head else _U32  # raw register after the head
    regs = _raw0_rows(buf[head:].reshape(_LANES, lane))  # each lane from a zero register
    op = _zeros_operator(lane)
    for r in regs.tolist():
        crc = _gf2_apply(op, crc) ^ r
    return crc ^ _U32


def crc32c_many(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """CRC-32C of buf[starts[i] : starts[i] + lengths[i]] for every i (uint32 array).

    Frequent lengths (one per tag and step-number width in an event file) are checksummed as exact
    (n, L) matrices; other lengths up to 4 KiB share a matrix per power-of-two width, each row's bytes
    before its record zeroed (leading zeros do not change a raw CRC from 0); rare long records (graphs,
    images) go one by one through the lane method.
    """
    n = starts.size
    out = np.empty(n, dtype=np.uint32)
    if n == 0:
        return out
    lengths = lengths.astype(np.int64)
    starts = starts.astype(np.int64)
    small = lengths <= _BUCKET_MAX
    counts = np.bincount(lengths[small], minlength=1) if small.any() else np.zeros(1, np.int64)
    frequent = np.flatnonzero(counts >= max(64, n // 64))
    done = np.zeros(n, dtype=bool)
    for length in frequent.tolist():
        idx = np.flatnonzero(lengths == length)
        done[idx] = True
        if length == 0:
            out[idx] = 0
            continue
        windows = np.lib.stride_tricks.sliding_window_view(buf, length)  # a view: no index matrix
        for a in range(0, idx.size, _ROWS):
            part = idx[a : a + _ROWS]
            out[part] = crc32c_rows(windows[starts[part]])
    width = 16
    while width <= _BUCKET_MAX and not done.all():
        idx = np.flatnonzero(~done & (lengths <= width))
        if idx.size:
            done[idx] = True
            ends = starts[idx] + lengths[idx]
            near = ends < width  # too close to the buffer start for a full window: one by one
            for i in idx[near].tolist():
                s = int(starts[i])
                out[i] = crc32c_py(bytes(buf[s : s + int(lengths[i])]))
            idx, ends = idx[~near], ends[~near]
            if not idx.size:
                width *= 2
                continue
            windows = np.lib.stride_tricks.sliding_window_view(buf, width)
            for a in range(0, idx.size, _ROWS):
                part = idx[a : a + _ROWS]
                rows = windows[ends[a : a + _ROWS] - width]
                rows[np.arange(width)[None, :] < (width - lengths[part])[:, None]] = 0
                raw = _raw0_rows(rows)
                init = np.fromiter((_init_after(k) for k in lengths[part].tolist()), np.uint32, part.size)
                out[part] = raw ^ init ^ np.uint32(_U32)
        width *= 2
    for i in np.flatnonzero(~done).tolist():
        s = int(starts[i])
        out[i] = crc32c(buf[s : s + int(lengths[i])])
    return out
