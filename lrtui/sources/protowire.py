"""A minimal protobuf wire-format decoder for the TensorBoard messages that hold scalars.

Only the fields lrtui needs are interpreted (field numbers from tensorboard/compat/proto/*.proto):

  Event            1 wall_time double · 2 step int64 · 5 summary Summary · 7 session_log (ignored)
  Summary          1 value Value (repeated)
  Value            1 tag string · 2 simple_value float · 8 tensor TensorProto · 9 metadata SummaryMetadata
                   (3/4/5/6 old histogram, image, histo, audio: not scalars)
  SummaryMetadata  1 plugin_data {1 plugin_name string} · 4 data_class enum (1 scalar, 2 tensor, 3 blob)
  TensorProto      1 dtype enum · 2 tensor_shape {2 dim {1 size}} · 4 tensor_content bytes ·
                   5 float_val · 6 double_val · 7 int_val · 10 int64_val · 13 half_val (packed or not)

Every other field is skipped by its wire type, so files from newer writers still read. This is the
general path: `tfevents_fast` decodes the common record shapes for many records at once and sends the
rest here. Malformed input raises `WireError` (the caller skips and counts the record).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")

# DataType enum values (tensorflow/core/framework/types.proto) that can hold one numeric scalar.
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8 = 1, 2, 3, 4, 5, 6
DT_INT64, DT_BOOL, DT_BFLOAT16, DT_UINT16, DT_HALF, DT_UINT32, DT_UINT64 = 9, 10, 14, 17, 19, 22, 23
_CONTENT_DTYPES = {
    DT_FLOAT: "<f4",
    DT_DOUBLE: "<f8",
    DT_INT32: "<i4",
    DT_UINT8: "u1",
    DT_INT16: "<i2",
    DT_INT8: "i1",
    DT_INT64: "<i8",
    DT_BOOL: "u1",
    DT_UINT16: "<u2",
    DT_HALF: "<f2",
    DT_UINT32: "<u4",
    DT_UINT64: "<u8",
}
NUMERIC_DTYPES = frozenset((*_CONTENT_DTYPES, DT_BFLOAT16))

# Plugins whose tensors are not scalar series (a one-element histogram or text is still not a metric).
NON_SCALAR_PLUGINS = frozenset(
    (
        "histograms",
        "distributions",
        "images",
        "audio",
        "text",
        "pr_curves",
        "hparams",
        "custom_scalars",
        "graphs",
        "mesh",
        "projector",
        "profile",
        "debugger-v2",
    )
)


class WireError(ValueError):
    """The bytes are not a well-formed message of the expected shape."""


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= end or shift > 63:
            raise WireError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def fields(buf: bytes, pos: int, end: int):
    """Yield (field number, wire type, value start, value end, varint value) for each field."""
    while pos < end:
        key, pos = read_varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == 0:
            value, new = read_varint(buf, pos, end)
            yield number, wire, pos, new, value
            pos = new
        elif wire == 1:
            new = pos + 8
            if new > end:
                raise WireError("truncated fixed64")
            yield number, wire, pos, new, 0
            pos = new
        elif wire == 2:
            length, start = read_varint(buf, pos, end)
            new = start + length
            if new > end:
                raise WireError("length-delimited field runs past its message")
            yield number, wire, start, new, length
            pos = new
        elif wire == 5:
            new = pos + 4
            if new > end:
                raise WireError("truncated fixed32")
            yield number, wire, pos, new, 0
            pos = new
        else:
            raise WireError(f"unsupported wire type {wire}")


def _as_int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass
class ValueInfo:
    """One Summary.Value: its tag, the scalar it holds (None if it holds none) and its plugin."""

    tag: bytes
    value: float | None
    plugin: str | None = None
    data_class: int | None = None
    kind: str = "scalar"  # "scalar" | "tensor" (a tensor scalar) | "other"
    content: bytes = b""  # the plugin's own metadata content (hparams live there)


@dataclass
class EventInfo:
    wall_time: float
    step: int
    values: list[ValueInfo]
    session_status: int | None = None  # SessionLog.status (1 START, 2 STOP, 3 CHECKPOINT)


def parse_metadata(buf: bytes, start: int, end: int) -> tuple[str | None, int | None, bytes]:
    """(plugin name, data class, plugin content) of a SummaryMetadata."""
    plugin = None
    data_class = None
    content = b""
    for number, wire, s, e, v in fields(buf, start, end):
        if number == 1 and wire == 2:
            for n2, w2, s2, e2, _ in fields(buf, s, e):
                if n2 == 1 and w2 == 2:
                    plugin = bytes(buf[s2:e2]).decode("utf-8", "replace")
                elif n2 == 2 and w2 == 2:
                    content = bytes(buf[s2:e2])
        elif number == 4 and wire == 0:
            data_class = v
    return plugin, data_class, content


def _struct_value(buf: bytes, start: int, end: int) -> object:
    """A google.protobuf.Value holding a number, string or bool (others: None)."""
    out: object = None
    for number, wire, s, e, v in fields(buf, start, end):
        if number == 2 and wire == 1:
            out = _F64.unpack_from(buf, s)[0]
        elif number == 3 and wire == 2:
            out = bytes(buf[s:e]).decode("utf-8", "replace")
        elif number == 4 and wire == 0:
            out = bool(v)
    return out


def parse_hparams(content: bytes) -> dict[str, object]:
    """The hyperparameters of an hparams plugin record's session_start_info ({} for other records)."""
    out: dict[str, object] = {}
    for number, wire, s, e, _ in fields(content, 0, len(content)):
        if number != 3 or wire != 2:  # HParamsPluginData.session_start_info
            continue
        for n2, w2, s2, e2, _ in fields(content, s, e):
            if n2 != 1 or w2 != 2:  # map<string, Value> hparams: entries {1 key, 2 value}
                continue
            key = None
            value: object = None
            for n3, w3, s3, e3, _ in fields(content, s2, e2):
                if n3 == 1 and w3 == 2:
                    key = bytes(content[s3:e3]).decode("utf-8", "replace")
                elif n3 == 2 and w3 == 2:
                    value = _struct_value(content, s3, e3)
            if key is not None:
                out[key] = value
    return out


def _bfloat16(bits: int) -> float:
    return float(np.array([(bits & 0xFFFF) << 16], dtype="<u4").view("<f4")[0])


def _floats(buf: bytes, s: int, e: int, size: int, fmt: str) -> list[float]:
    """A packed run (or one unpacked item) of little-endian floats."""
    if (e - s) % size:
        raise WireError("packed value length is not a multiple of the item size")
    return np.frombuffer(bytes(buf[s:e]), dtype=fmt).tolist()


def _varints(buf: bytes, wire: int, s: int, e: int, v: int) -> list[int]:
    if wire == 0:
        return [v]
    out = []
    pos = s
    while pos < e:
        value, pos = read_varint(buf, pos, e)
        out.append(value)
    return out


def tensor_scalar(buf: bytes, start: int, end: int) -> float | None:
    """The single numeric value of a TensorProto, or None when it is not one numeric element."""
    dtype = 0
    elements = 1
    content: bytes | None = None
    values: list[float] = []
    ints: list[int] = []
    halves: list[int] = []
    for number, wire, s, e, v in fields(buf, start, end):
        if number == 1 and wire == 0:
            dtype = v
        elif number == 2 and wire == 2:
            for n2, w2, s2, e2, v2 in fields(buf, s, e):
                if n2 == 2 and w2 == 2:  # dim
                    size = 1
                    for n3, w3, _s3, _e3, v3 in fields(buf, s2, e2):
                        if n3 == 1 and w3 == 0:
                            size = _as_int64(v3)
                    elements *= size
                elif n2 == 3 and w2 == 0 and v2:
                    return None  # unknown rank
        elif number == 4 and wire == 2:
            content = bytes(buf[s:e])
        elif number == 5 and wire in (2, 5):
            values += _floats(buf, s, e, 4, "<f4")
        elif number == 6 and wire in (1, 2):
            values += _floats(buf, s, e, 8, "<f8")
        elif number in (7, 10, 11, 16, 17) and wire in (0, 2):
            ints += _varints(buf, wire, s, e, v)
        elif number == 13 and wire in (0, 2):
            halves += _varints(buf, wire, s, e, v)
    if dtype not in NUMERIC_DTYPES or elements != 1:
        return None
    if content is not None and dtype in _CONTENT_DTYPES:
        arr = np.frombuffer(content, dtype=_CONTENT_DTYPES[dtype])
        return float(arr[0]) if arr.size == 1 else None
    if content is not None and dtype == DT_BFLOAT16:
        return _bfloat16(int.from_bytes(content, "little")) if len(content) == 2 else None
    if dtype in (DT_FLOAT, DT_DOUBLE):
        return float(values[0]) if len(values) == 1 else None
    if dtype in (DT_HALF, DT_BFLOAT16):
        if len(halves) != 1:
            return None
        bits = halves[0] & 0xFFFF
        if dtype == DT_HALF:
            return float(np.array([bits], dtype="<u2").view("<f2")[0])
        return _bfloat16(bits)
    if len(ints) != 1:
        return None
    value = ints[0]
    if dtype in (DT_INT32, DT_INT64, DT_INT16, DT_INT8):
        value = _as_int64(value)
        if dtype == DT_INT32:
            value = value - (1 << 32) if value >= 1 << 31 else value
    return float(value)


def parse_value(buf: bytes, start: int, end: int) -> ValueInfo:
    tag = b""
    simple = None
    tensor = None
    plugin = None
    data_class = None
    content = b""
    other = False
    for number, wire, s, e, _ in fields(buf, start, end):
        if number == 1 and wire == 2:
            tag = bytes(buf[s:e])
        elif number == 2 and wire == 5:
            simple = _F32.unpack_from(buf, s)[0]
        elif number == 8 and wire == 2:
            tensor = (s, e)
        elif number == 9 and wire == 2:
            plugin, data_class, content = parse_metadata(buf, s, e)
        elif number in (3, 4, 5, 6):
            other = True
    if simple is not None:
        return ValueInfo(tag, simple, plugin, data_class, "scalar", content)
    # whether the tag is a scalar series is decided by its first metadata (the caller keeps that)
    if tensor is not None and not other and data_class != 3:
        return ValueInfo(tag, tensor_scalar(buf, *tensor), plugin, data_class, "tensor", content)
    return ValueInfo(tag, None, plugin, data_class, "other", content)


def parse_event(buf: bytes, start: int = 0, end: int | None = None) -> EventInfo:
    """Decode one Event record (raises WireError when malformed)."""
    end = len(buf) if end is None else end
    wall = 0.0
    step = 0
    values: list[ValueInfo] = []
    session = None
    for number, wire, s, e, v in fields(buf, start, end):
        if number == 1 and wire == 1:
            wall = _F64.unpack_from(buf, s)[0]
        elif number == 2 and wire == 0:
            step = _as_int64(v)
        elif number == 5 and wire == 2:
            for n2, w2, s2, e2, _ in fields(buf, s, e):
                if n2 == 1 and w2 == 2:
                    values.append(parse_value(buf, s2, e2))
        elif number == 7 and wire == 2:
            for n2, w2, _s2, _e2, v2 in fields(buf, s, e):
                if n2 == 1 and w2 == 0:
                    session = v2
    return EventInfo(wall, step, values, session)
