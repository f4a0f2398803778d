"""Fuzzing the config, plan, TOML/JSON and --set paths the way tests/schedules/test_fuzz.py fuzzes the spec
parser: whatever the input, only the project's own error type escapes (ConfigError for run configs and
`lrtui train`, SpecError for plans), and the file readers never raise at all."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lrtui.cli_runs import build_train_config
from lrtui.runs import RunData
from lrtui.runs.jsonio import load_config_file, read_json_file
from lrtui.runs.reader import parse_lines
from lrtui.schedules import SpecError
from lrtui.schedules.plan import load_plan_file, plan_from_dict
from lrtui.training.config import ConfigError, TrainConfig

_N = int(os.environ.get("LRTUI_FUZZ_EXAMPLES", "150"))  # raise it for a long local run
FUZZ = settings(max_examples=_N, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = [
    "model", "dataset", "data_dir", "download", "verify_checksums", "synthetic_train_size", "epochs",
    "batch_size", "eval_batch_size", "seed", "device", "optimizer", "schedule", "augment", "amp",
    "channels_last", "compile", "num_threads", "log_every_steps", "log_interval_s", "name", "x_mine",
    "lr", "steps", "steps_per_epoch", "stepping", "momentum", "metric", "spec", "kind", "step_size",
    "betas", "weight_decay", "total_steps", "epoch", "\x1b[2J", "",
]  # fmt: skip
SPECS = ["StepLR(step_size=2)", "StepLR(step_size=0)", "OneCycleLR(max_lr=0.1, total_steps=10)", "x(", ""]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**400, -1, 0, 1, 3, 32, 128, 10_000_000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["lenet", "vgg", "synthetic", "cifar10", "sgd", "adam", "step", "epoch", "cpu", "auto"]),
    st.sampled_from(SPECS),
    st.text(max_size=30),
    st.datetimes().map(lambda d: d.replace(tzinfo=datetime.timezone.utc)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=20,
)
tables = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def _jsonable(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@FUZZ
@given(tables)
def test_train_config_raises_only_config_error(data):
    try:
        config = TrainConfig.from_dict(data).resolve()
    except ConfigError:
        return
    config.to_dict()
    config.memory_estimate()


@FUZZ
@given(tables)
def test_plans_raise_only_spec_error(data):
    with contextlib.suppress(SpecError):
        plan_from_dict(data)


def _args(
    config: str | None, sets: list[str], schedule: str | None, epochs: int | None
) -> argparse.Namespace:
    return argparse.Namespace(
        config=config, model=None, dataset=None, data_dir=None, epochs=epochs, batch_size=None, device=None,
        seed=None, compile=None, optimizer=None, lr=None, momentum=None, nesterov=None, weight_decay=None,
        schedule=schedule, stepping=None, set=sets,
    )  # fmt: skip


set_pairs = st.lists(
    st.one_of(
        st.tuples(
            st.lists(st.sampled_from(KEYS) | st.text(max_size=5), min_size=1, max_size=3).map(".".join),
            values.map(lambda v: json.dumps(_jsonable(v), allow_nan=True)) | st.text(max_size=20),
        ).map("=".join),
        st.text(max_size=20),
        st.just("a=" + "[" * 5000 + "]" * 5000),
    ),
    max_size=4,
)


@FUZZ
@given(
    file_text=st.one_of(
        st.none(),
        tables.map(lambda t: json.dumps(_jsonable(t), allow_nan=True)),
        st.text(max_size=200),
        st.sampled_from(
            ["schedule = 5", "optimizer = [1, 2]", "seed = 1979-05-27T07:32:00Z", "a = " + "[" * 900]
        ),
    ),
    suffix=st.sampled_from([".json", ".toml", ".txt"]),
    sets=set_pairs,
    schedule=st.none() | st.sampled_from(SPECS) | st.text(max_size=40),
    epochs=st.none() | st.integers(-5, 10**6),
)
@example(file_text=None, suffix=".json", sets=["0\n="], schedule=None, epochs=None)  # a key with a newline
def test_lrtui_train_arguments_raise_only_config_error(file_text, suffix, sets, schedule, epochs):
    with tempfile.TemporaryDirectory() as tmp:
        path = None
        if file_text is not None:
            path = Path(tmp) / f"config{suffix}"
            path.write_text(file_text)
        try:
            build_train_config(_args(str(path) if path else None, sets, schedule, epochs))
        except ConfigError as err:
            assert "\n" not in str(err)


@FUZZ
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode), st.sampled_from([".json", ".toml"]))
def test_plan_and_config_files_raise_only_our_errors(raw, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"plan{suffix}"
        path.write_bytes(raw)
        data, problem = load_config_file(path)
        assert (data is None) != (problem is None) or data is None
        with contextlib.suppress(SpecError):
            load_plan_file(path)
        (Path(tmp) / "status.json").write_bytes(raw)
        read_json_file(Path(tmp) / "status.json")


records = st.dictionaries(
    st.sampled_from(
        ["kind", "step", "epoch", "lr", "momentum", "loss", "grad_norm", "n", "t", "event", "message", "x"]
    ),
    st.one_of(
        values,
        st.sampled_from(["steps", "step", "epoch", "event"]),
        st.fixed_dictionaries({"range": st.lists(st.integers(-(2**40), 2**40), min_size=0, max_size=3)}),
        st.fixed_dictionaries({"f8": st.text(max_size=20)}),
        st.fixed_dictionaries({"i8": st.sampled_from(["AAAAAAAAAAA=", "AAAA", "!!"])}),
    ),
    max_size=8,
)


@FUZZ
@given(st.lists(records, max_size=12))
def test_metrics_records_never_raise_and_columns_stay_aligned(recs):
    lines = [json.dumps(_jsonable(r), allow_nan=True).encode() for r in recs]
    parsed, _ = parse_lines(lines)
    data = RunData()
    data.ingest(parsed)
    n = len(data.steps)
    assert all(len(c) == n for c in (data.epoch, data.loss, data.grad_norm, *data.lr, *data.momentum))
    assert all(isinstance(e["epoch"], (int, float)) and math.isfinite(e["epoch"]) for e in data.epochs)
