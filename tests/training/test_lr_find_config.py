"""One config contract for `lrtui find-lr`, the launch form and the trainer: kind "lr_find" and its sweep."""

from __future__ import annotations

import pytest

from lrtui.runs.lr_sweep import Sweep
from lrtui.screens.launch_choices import launch_prefill, validate_form
from lrtui.training.config import ConfigError, TrainConfig


def test_kind_lr_find_gets_the_default_sweep_and_round_trips():
    config = TrainConfig.from_dict({"kind": "lr_find", "dataset": "synthetic", "model": "lenet"}).resolve()
    assert config.lr_find == Sweep()
    again = TrainConfig.from_dict(config.to_dict())
    assert again.lr_find == Sweep() and again.kind == "lr_find"
    plain = TrainConfig().to_dict()
    assert plain["kind"] == "train" and "lr_find" not in plain
    assert TrainConfig.from_dict(plain).lr_find is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "lr_find", "lr_find": {"start_lr": -1}}, "lr_find.start_lr"),
        ({"kind": "lr_find", "lr_find": {"end_lr": 1e-9}}, "lr_find.end_lr"),
        ({"kind": "lr_find", "lr_find": {"stepz": 5}}, "lr_find.stepz"),
        ({"kind": "lr_find", "lr_find": "fast"}, "lr_find"),
        ({"lr_find": {"steps": 50}}, "lr_find"),  # a sweep on a training run is a mistake, said so
        ({"kind": "sweep"}, "kind"),
    ],
)
def test_bad_sweeps_name_the_field(data, field):
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_dict(data)
    assert field in err.value.fields


def test_launch_prefill_round_trips_a_sweeps_config_through_the_form():
    sweep = TrainConfig.from_dict(
        {"kind": "lr_find", "model": "lenet", "dataset": "synthetic", "synthetic_train_size": 1024,
         "batch_size": 64, "epochs": 7, "seed": 3, "device": "cpu", "amp": "off", "stop_at_step": 5,
         "optimizer": {"name": "adamw", "lr": 1e-3, "weight_decay": 0.05, "betas": [0.9, 0.95]}}
    ).resolve().to_dict()  # fmt: skip
    values, extra = launch_prefill(sweep)
    form = {"spec": "OneCycleLR(max_lr=0.003, total_steps=112)", "lr": "0.003", "stepping": "step", **values}
    config, errors, derived = validate_form(form)
    assert not errors and derived["total_steps"] == 7 * (1024 // 64)
    assert (config["model"], config["dataset"], config["batch_size"], config["seed"]) == (
        "lenet",
        "synthetic",
        64,
        3,
    )
    assert config["optimizer"]["betas"] == [0.9, 0.95] and config["optimizer"]["weight_decay"] == 0.05
    assert extra["amp"] == "off" and "stop_at_step" not in extra  # test aids never carry over
    assert TrainConfig.from_dict({**extra, **config}).resolve().schedule.total_steps == 112
