"""TrainConfig: the seed recipe as defaults, and every bad value rejected naming field, value and what is allowed."""

import pytest

from lrtui.training.config import ConfigError, TrainConfig


def test_defaults_are_the_seed_recipe():
    c = TrainConfig()
    assert (c.model, c.dataset, c.epochs, c.batch_size) == ("vgg", "cifar10", 30, 128)
    o = c.optimizer
    assert (o.name, o.lr, o.momentum, o.weight_decay, o.nesterov) == ("sgd", 0.01, 0.9, 5e-4, False)
    assert c.schedule.spec == ""  # constant LR
    r = c.resolve()
    assert (r.schedule.steps_per_epoch, r.schedule.total_steps) == (390, 11_700)  # 50000 // 128, x 30


def test_round_trip_through_a_dict():
    c = TrainConfig.from_dict(
        {"model": "lenet", "dataset": "synthetic", "synthetic_train_size": 1000, "batch_size": 100, "epochs": 2,
         "optimizer": {"name": "adamw", "lr": 1e-3, "betas": [0.8, 0.99]},
         "schedule": {"spec": "StepLR(step_size=5, gamma=0.5)", "stepping": "step"},
         "id": "x", "format": 1, "created": "now", "source": "lrtui-trainer", "x_app": {"tab": 2}}  # ignored
    ).resolve()  # fmt: skip
    assert c.schedule.total_steps == 20 and c.optimizer.betas == (0.8, 0.99)
    assert TrainConfig.from_dict(c.to_dict()) == c


@pytest.mark.parametrize(
    ("data", "field", "allowed"),
    [
        ({"optimizer": {"lr": -1}}, "optimizer.lr", "a number in (0"),
        ({"optimizer": {"lr": "fast"}}, "optimizer.lr", "a number"),
        ({"optimizer": {"name": "rmsprop"}}, "optimizer.name", "one of sgd, adam, adamw"),
        ({"optimizer": {"betas": [0.9]}}, "optimizer.betas", "two numbers in [0, 1)"),
        ({"optimizer": {"momentum": 0.0, "nesterov": True}}, "optimizer.nesterov", "momentum > 0"),
        ({"optimizer": {"lrr": 0.1}}, "optimizer.lrr", "did you mean 'lr'"),
        ({"epochs": 0}, "epochs", "an integer in [1"),
        ({"epochs": 2.5}, "epochs", "an integer"),
        ({"epoch": 3}, "epoch", "did you mean 'epochs'"),
        ({"batch_size": True}, "batch_size", "an integer"),
        ({"model": "alexnet"}, "model", "one of vgg, lenet, resnet18"),
        ({"dataset": "imagenet"}, "dataset", "one of cifar10, mnist, fashion_mnist, synthetic"),
        ({"dataset": "mnist"}, "model", "vgg expects 3x32x32"),  # the seed VGG cannot take 1x28x28
        ({"device": "gpu"}, "device", "'auto', 'cpu', 'cuda' or 'cuda:N'"),
        ({"schedule": {"stepping": "batch"}}, "schedule.stepping", "one of step, epoch"),
        ({"schedule": {"spec": 5}}, "schedule.spec", "a schedule spec string"),
        ({"augment": "rotate"}, "augment", "one of auto, none"),
        (
            {"dataset": "synthetic", "synthetic_train_size": 100},
            "batch_size",
            "at most the training set size 100",
        ),
        ({"inject_nan_at_step": -1}, "inject_nan_at_step", "an integer in [0"),
        ({"schedule": {"steps_per_epoch": 100}}, "schedule.steps_per_epoch", "390"),
        ({"schedule": {"total_steps": 100}}, "schedule.total_steps", "11700"),
    ],
)
def test_bad_values_name_field_value_and_allowed(data, field, allowed):
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(data).resolve()
    assert field in info.value.fields
    text = str(info.value)
    assert f"{field} = " in text and allowed in text


def test_all_bad_fields_reported_at_once():
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({"epochs": -1, "optimizer": {"lr": 0}, "seed": "x"})
    assert set(info.value.fields) == {"epochs", "optimizer.lr", "seed"}


def test_not_a_mapping():
    with pytest.raises(ConfigError, match="config = "):
        TrainConfig.from_dict(["model", "vgg"])


def test_bad_schedule_spec_is_rejected_by_the_engine():
    pytest.importorskip("lrtui.schedules.spec")
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict({"schedule": {"spec": "StepLR(step_size=16"}})
    assert info.value.fields == ["schedule.spec"]


def test_augment_defaults():
    assert TrainConfig(dataset="cifar10").augment_ops() == (True, True)
    # MNIST digits are not flipped
    assert TrainConfig(dataset="mnist", model="lenet").augment_ops() == (True, False)
    assert TrainConfig(augment="crop").augment_ops() == (True, False)
    assert TrainConfig(augment="none").augment_ops() == (False, False)


def test_distributed_layout_sets_the_global_batch_and_steps():
    c = TrainConfig.from_dict(
        {"dataset": "synthetic", "model": "lenet", "synthetic_train_size": 1000, "batch_size": 32,
         "distributed": {"nproc_per_node": 4, "nnodes": 2}}
    ).resolve()  # fmt: skip
    assert c.world_size() == 8 and c.global_batch_size() == 256
    assert c.schedule.steps_per_epoch == 3  # 1000 // 256: global batches, the last partial one dropped
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_dict({"distributed": {"nproc_per_node": 2, "backend": "mpi"}})
    assert err.value.fields == ["distributed.backend"] and "one of auto, gloo, nccl" in str(err.value)
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_dict(
            {"dataset": "synthetic", "model": "lenet", "synthetic_train_size": 100, "batch_size": 64,
             "distributed": {"nproc_per_node": 2}}
        )  # fmt: skip
    assert "at most 50 per rank (training set 100 / world size 2)" in str(err.value)
