"""CRC-32C and TFRecord framing against tensorboard's own implementation, on real event files."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
from tensorboard.summary.writer.record_writer import RecordWriter

from lrtui.sources.crc32c import crc32c, crc32c_many, crc32c_py, crc32c_rows, masked
from lrtui.sources.tfrecord import frame


def tb_records(payloads: list[bytes]) -> bytes:
    """Records framed by tensorboard's RecordWriter (the writer SummaryWriter uses)."""

    class Sink:
        def __init__(self) -> None:
            self.data = b""

        def write(self, b: bytes) -> None:
            self.data += b

    sink = Sink()
    writer = RecordWriter(sink)
    for p in payloads:
        writer.write(p)
    return sink.data


@given(st.binary(max_size=300))
@settings(max_examples=60, deadline=None)
def test_masked_crc_matches_tensorboard(data):
    assert masked(crc32c(data)) == masked_crc32c(data)
    assert crc32c(data) == crc32c_py(data)


def test_long_buffers_use_lanes_and_still_match():
    rng = np.random.default_rng(0)
    for n in (4095, 4096, 4097, 70_001, 1 << 20):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert crc32c(data) == crc32c_py(data), n


def test_many_records_of_mixed_lengths():
    rng = np.random.default_rng(1)
    buf = rng.integers(0, 256, 200_000, dtype=np.uint8)
    lengths = np.concatenate([np.full(300, 33), rng.integers(0, 5000, 200), [0, 1, 9000, 40_000]])
    starts = rng.integers(0, 150_000, lengths.size)
    starts[:3] = [0, 1, 2]  # records right at the buffer start
    got = crc32c_many(buf, starts, lengths)
    for s, n, c in zip(starts.tolist(), lengths.tolist(), got.tolist()):
        assert c == crc32c_py(buf[s : s + n].tobytes())
    rows = buf[:130].reshape(10, 13)
    assert crc32c_rows(rows).tolist() == [crc32c_py(r.tobytes()) for r in rows]


@given(st.lists(st.binary(max_size=80), max_size=60), st.integers(0, 4))
@settings(max_examples=60, deadline=None)
def test_frame_finds_every_record_however_the_bytes_arrive(payloads, cut):
    data = tb_records(payloads)
    whole = frame(data)
    assert [data[s : s + n] for s, n in zip(whole.starts.tolist(), whole.lengths.tolist())] == payloads
    assert whole.consumed == len(data) and whole.corrupt == 0
    # the same bytes arriving in pieces: partial records wait, nothing is lost or duplicated
    got, offset = [], 0
    step = max(1, len(data) // (cut + 2))
    for end in [*range(step, len(data), step), len(data)]:
        part = frame(data[offset:end])
        got += [
            data[offset + s : offset + s + n] for s, n in zip(part.starts.tolist(), part.lengths.tolist())
        ]
        offset += part.consumed
    assert got == payloads


def test_cycles_of_records_are_verified_not_assumed(tmp_path):
    # A long periodic run (the vectorised jump) followed by a break in the cycle and different lengths.
    payloads = [b"x" * (20 + i % 4) for i in range(5000)] + [b"y" * 7, b"z" * 300] + [b"w" * 21] * 100
    data = tb_records(payloads)
    fr = frame(data)
    assert [data[s : s + n] for s, n in zip(fr.starts.tolist(), fr.lengths.tolist())] == payloads


def test_bad_data_checksum_skips_one_record_and_counts_it():
    payloads = [b"record-%d" % i for i in range(100)]
    data = bytearray(tb_records(payloads))
    # flip a byte inside record 40's payload
    off = sum(16 + len(p) for p in payloads[:40]) + 12 + 2
    data[off] ^= 0xFF
    fr = frame(bytes(data))
    got = [bytes(data[s : s + n]) for s, n in zip(fr.starts.tolist(), fr.lengths.tolist())]
    assert got == payloads[:40] + payloads[41:]
    assert fr.corrupt == 1 and any("checksum" in p for p in fr.problems)


def test_bad_length_loses_framing_then_resyncs_on_the_next_valid_header():
    payloads = [b"record-%03d" % i for i in range(100)]
    data = bytearray(tb_records(payloads))
    off = sum(16 + len(p) for p in payloads[:30])
    data[off] ^= 0x55  # record 30's length field
    fr = frame(bytes(data))
    got = [bytes(data[s : s + n]) for s, n in zip(fr.starts.tolist(), fr.lengths.tolist())]
    assert got == payloads[:30] + payloads[31:]
    assert fr.corrupt == 1


def test_garbage_and_a_huge_length_are_never_fatal():
    good = tb_records([b"a" * 10, b"b" * 10])
    huge = struct.pack("<Q", 1 << 50)
    huge += struct.pack("<I", masked_crc32c(huge))  # a valid checksum on an absurd length
    data = good + huge + random.Random(64).randbytes(64) + good
    fr = frame(data)
    got = [data[s : s + n] for s, n in zip(fr.starts.tolist(), fr.lengths.tolist())]
    assert got == [b"a" * 10, b"b" * 10] * 2
    assert fr.corrupt >= 1


def test_truncated_last_record_waits_and_is_reported_when_final():
    data = tb_records([b"a" * 50, b"b" * 50])
    cut = data[:-10]
    fr = frame(cut)
    assert fr.starts.size == 1 and fr.consumed == 66 and not fr.problems
    final = frame(cut, final=True)
    assert any("truncated" in p for p in final.problems)


@pytest.mark.parametrize(
    "garbage", [b"", b"\x00" * 11, random.Random(5000).randbytes(5000)], ids=["none", "zeros", "noise"]
)
def test_resync_across_reads(garbage):
    """Corruption found at the end of one read is searched through in the next without double counting."""
    a = tb_records([b"first"])
    b = tb_records([b"second", b"third"])
    bad = bytearray(tb_records([b"broken"]))
    bad[0] ^= 1
    data = a + bytes(bad) + garbage + b
    fr1 = frame(data[: len(a) + len(bad) + len(garbage)])
    rest = data[fr1.consumed :]
    fr2 = frame(rest, resyncing=fr1.resyncing)
    got = [data[s : s + n] for s, n in zip(fr1.starts.tolist(), fr1.lengths.tolist())]
    got += [rest[s : s + n] for s, n in zip(fr2.starts.tolist(), fr2.lengths.tolist())]
    assert got == [b"first", b"second", b"third"]
    assert fr1.corrupt + fr2.corrupt == 1
