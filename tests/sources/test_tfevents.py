"""The vectorised Event decoder and the general wire decoder against tensorboard's compiled protos."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.util import tensor_util

from lrtui.sources.protowire import NON_SCALAR_PLUGINS, parse_event
from lrtui.sources.tfevents import PAD, TagTable, decode
from lrtui.sources.tfrecord import frame

from .test_tfrecord import tb_records


def expected_scalars(payloads: list[bytes]) -> list[tuple[str, int, float, float]]:
    """(tag, step, wall, value) the way TensorBoard reads scalars: simple_value, or one-element tensors."""
    out = []
    plugin: dict[str, str] = {}
    for p in payloads:
        ev = event_pb2.Event.FromString(p)
        for v in ev.summary.value:
            if v.metadata.plugin_data.plugin_name and v.tag not in plugin:
                plugin[v.tag] = v.metadata.plugin_data.plugin_name
            if v.HasField("simple_value"):
                out.append((v.tag, ev.step, ev.wall_time, float(v.simple_value)))
            elif v.HasField("tensor") and plugin.get(v.tag) not in NON_SCALAR_PLUGINS:
                if v.tensor.dtype == types_pb2.DT_STRING:
                    continue
                arr = tensor_util.make_ndarray(v.tensor)
                if arr.size == 1:
                    out.append((v.tag, ev.step, ev.wall_time, float(arr.ravel()[0])))
    return out


def decoded_scalars(payloads: list[bytes]) -> list[tuple[str, int, float, float]]:
    data = tb_records(payloads)
    fr = frame(data)
    table = TagTable()
    d = decode(np.frombuffer(data + bytes(PAD), np.uint8), fr.starts, fr.lengths, table)
    return [
        (table.tags[t].decode(), s, w, v)
        for t, s, w, v in zip(d.tag_ids.tolist(), d.steps.tolist(), d.wall.tolist(), d.values.tolist())
    ]


def same(a, b) -> bool:
    return len(a) == len(b) and all(
        x[:3] == y[:3] and (x[3] == y[3] or (math.isnan(x[3]) and math.isnan(y[3]))) for x, y in zip(a, b)
    )


floats = st.floats(allow_nan=True, allow_infinity=True, width=32)
tags = st.sampled_from(["loss", "train/lr", "a", "eval/accuracy", "x" * 40, "é/ü", ""])


@st.composite
def tensor_value(draw):
    kind = draw(
        st.sampled_from(["float_val", "double_val", "content32", "content64", "half", "int", "shape"])
    )
    x = draw(floats)
    t = tensor_pb2.TensorProto()
    if kind == "float_val":
        t.dtype = types_pb2.DT_FLOAT
        t.float_val.append(x)
    elif kind == "double_val":
        t.dtype = types_pb2.DT_DOUBLE
        t.double_val.append(draw(st.floats()))
    elif kind == "content32":
        t.dtype = types_pb2.DT_FLOAT
        t.tensor_content = np.float32(x).tobytes()
    elif kind == "content64":
        t.dtype = types_pb2.DT_DOUBLE
        t.tensor_content = np.float64(x).tobytes()
    elif kind == "half":
        t.dtype = types_pb2.DT_HALF
        t.half_val.append(int(np.float16(draw(st.floats(-1000, 1000))).view(np.uint16)))
    elif kind == "int":
        t.dtype = types_pb2.DT_INT64
        t.int64_val.append(draw(st.integers(-(2**40), 2**40)))
    else:  # a shaped tensor: one element (shape [1]) or three (not a scalar)
        t.dtype = types_pb2.DT_FLOAT
        n = draw(st.sampled_from([1, 3]))
        t.tensor_shape.CopyFrom(
            tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=n)])
        )
        t.float_val.extend([x] * n)
    return t


@st.composite
def event_bytes(draw):
    ev = event_pb2.Event(wall_time=draw(st.floats(0, 2e9)), step=draw(st.integers(-5, 2**40)))
    shape = draw(st.sampled_from(["simple", "tensor", "multi", "none", "histo", "meta"]))
    if shape == "none":
        ev.file_version = "brain.Event:2"
    elif shape == "simple":
        ev.summary.value.add(tag=draw(tags), simple_value=draw(floats))
    elif shape == "tensor":
        ev.summary.value.add(tag=draw(tags), tensor=draw(tensor_value()))
    elif shape == "meta":
        md = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                plugin_name=draw(st.sampled_from(["scalars", "text"]))
            )
        )
        ev.summary.value.add(tag="m/" + draw(tags), tensor=draw(tensor_value()), metadata=md)
    elif shape == "histo":
        ev.summary.value.add(tag="h", histo=summary_pb2.HistogramProto(min=0, max=1, num=2))
    else:
        for _ in range(draw(st.integers(2, 4))):
            ev.summary.value.add(tag=draw(tags), simple_value=draw(floats))
    return ev.SerializeToString()


@given(st.lists(event_bytes(), max_size=40))
@settings(max_examples=150, deadline=None)
def test_fast_decoder_reads_what_tensorboard_reads(payloads):
    assert same(decoded_scalars(payloads), expected_scalars(payloads))


def test_many_uniform_records_take_the_fast_path():
    payloads = []
    for step in range(3000):
        for tag in ("train/loss", "train/learning_rate", "g"):
            ev = event_pb2.Event(wall_time=1.5e9 + step, step=step)
            ev.summary.value.add(tag=tag, simple_value=step * 0.5)
            payloads.append(ev.SerializeToString())
    data = tb_records(payloads)
    fr = frame(data)
    d = decode(np.frombuffer(data + bytes(PAD), np.uint8), fr.starts, fr.lengths, TagTable())
    assert d.slow == 0 and d.values.size == 9000
    assert same(decoded_scalars(payloads), expected_scalars(payloads))


@given(st.binary(max_size=120))
@settings(max_examples=200, deadline=None)
def test_garbage_payloads_never_raise(payload):
    # any bytes that pass the checksums (a writer bug, a hostile file) decode or are counted, never raise
    data = tb_records([payload, payload[::-1]])
    fr = frame(data)
    d = decode(np.frombuffer(data + bytes(PAD), np.uint8), fr.starts, fr.lengths, TagTable())
    assert d.values.size + d.malformed + d.non_scalar >= 0


def test_general_decoder_on_a_summary_with_several_values():
    ev = event_pb2.Event(wall_time=1.0, step=7)
    ev.summary.value.add(tag="a", simple_value=1.0)
    ev.summary.value.add(tag="b", simple_value=2.0)
    info = parse_event(ev.SerializeToString())
    assert info.step == 7 and [(v.tag, v.value) for v in info.values] == [(b"a", 1.0), (b"b", 2.0)]
