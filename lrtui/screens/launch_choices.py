"""What the launch form offers and how it validates — torch-free and Textual-free.

The choice lists and the per-field rules are restated here, so the form can say what is wrong with a field
while the others are still being typed (tests/monitor/test_launch.py checks they agree with
lrtui.training.config). A form that passes them is then held to the trainer's own contract, the one
`lrtui train` applies: TrainConfig.from_dict (every field, the spec over the run's horizon) and its memory
check, on every change (`trainer_errors`); the dataset check, which may read a whole copy or probe the
network, runs when Launch is pressed (LaunchScreen). lrtui.training.config is stdlib only (no torch; tests/
training/test_layering.py) and imported when first needed, never at startup.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DatasetChoice:
    name: str
    label: str
    channels: int
    size: int
    train_size: int | None  # None: configurable (synthetic)


@dataclass(frozen=True)
class ModelChoice:
    name: str
    label: str
    channels: int | None  # None: any
    exact_size: int | None
    expects: str


DATASETS: dict[str, DatasetChoice] = {
    "cifar10": DatasetChoice("cifar10", "CIFAR-10 (50,000 train images)", 3, 32, 50_000),
    "mnist": DatasetChoice("mnist", "MNIST (60,000)", 1, 28, 60_000),
    "fashion_mnist": DatasetChoice("fashion_mnist", "Fashion-MNIST (60,000)", 1, 28, 60_000),
    "synthetic": DatasetChoice("synthetic", "synthetic (offline, built in)", 3, 32, None),
}
SYNTHETIC_TRAIN_SIZE = 10_000  # the trainer's default synthetic_train_size

MODELS: dict[str, ModelChoice] = {
    "vgg": ModelChoice("vgg", "VGG (seed 001)", 3, 32, "3x32x32 (CIFAR-10, synthetic)"),
    "lenet": ModelChoice("lenet", "LeNet (seed 004)", None, None, "any channels, size >= 10"),
    "resnet18": ModelChoice("resnet18", "ResNet-18 (small images)", None, None, "any channels, size >= 8"),
}
OPTIMIZERS = ("sgd", "adam", "adamw")
STEPPINGS = ("step", "epoch")
DEVICES_HELP = "'auto', 'cpu', 'cuda' or 'cuda:N'"

# Form defaults: the seed 001 recipe (VGG on CIFAR-10, SGD 0.01 momentum 0.9, weight decay 5e-4, batch 128).
DEFAULTS: dict[str, str] = {
    "name": "",
    "model": "vgg",
    "dataset": "cifar10",
    "data_dir": "",
    "synthetic_train_size": str(SYNTHETIC_TRAIN_SIZE),
    "optimizer": "sgd",
    "lr": "0.01",
    "momentum": "0.9",
    "nesterov": "no",
    "weight_decay": "5e-4",
    "betas": "0.9, 0.999",
    "epochs": "30",
    "batch_size": "128",
    "seed": "0",
    "device": "auto",
    "stepping": "epoch",
    "spec": "",
}


def train_size(dataset: str, synthetic_train_size: int = SYNTHETIC_TRAIN_SIZE) -> int:
    info = DATASETS[dataset]
    return synthetic_train_size if info.train_size is None else info.train_size


def steps_per_epoch(dataset: str, batch_size: int, synthetic_train_size: int = SYNTHETIC_TRAIN_SIZE) -> int:
    """Optimizer steps per epoch with drop_last (the trainer drops the last partial batch)."""
    return train_size(dataset, synthetic_train_size) // batch_size


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


class _Checker:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def bad(self, field: str, allowed: str) -> None:
        self.errors.setdefault(field, f"{field} = {_show(self.values.get(field, ''))} is invalid: {allowed}")

    def text(self, field: str) -> str:
        return str(self.values.get(field, DEFAULTS.get(field, ""))).strip()

    def integer(self, field: str, lo: int, hi: int) -> int | None:
        raw = self.text(field).replace("_", "").replace(",", "")
        try:
            value = int(raw)
        except ValueError:
            self.bad(field, f"an integer in [{lo:,}, {hi:,}]")
            return None
        if not lo <= value <= hi:
            self.bad(field, f"an integer in [{lo:,}, {hi:,}]")
            return None
        return value

    def number(
        self, field: str, lo: float, hi: float, *, low_open: bool = False, high_open: bool = False
    ) -> float | None:
        allowed = f"a number in {'(' if low_open else '['}{lo:g}, {hi:g}{')' if high_open else ']'}"
        try:
            value = float(self.text(field))
        except ValueError:
            self.bad(field, allowed)
            return None
        ok = (
            math.isfinite(value)
            and (value > lo if low_open else value >= lo)
            and (value < hi if high_open else value <= hi)
        )
        if not ok:
            self.bad(field, allowed)
            return None
        return value

    def choice(self, field: str, allowed: Any) -> str | None:
        value = self.text(field)
        if value not in allowed:
            self.bad(field, "one of " + ", ".join(allowed))
            return None
        return value


def validate_form(values: dict[str, str]) -> tuple[dict | None, dict[str, str], dict[str, Any]]:
    """Check the form's text values -> (config.json dict or None, {field: message}, derived numbers).

    Every message names the field, the value given and what is allowed. `derived` carries
    steps_per_epoch / total_steps / train_size when they can be computed (for the form's live line).
    """
    c = _Checker(values)
    model = c.choice("model", MODELS)
    dataset = c.choice("dataset", DATASETS)
    data_dir = c.text("data_dir") or None
    synthetic = None
    if dataset == "synthetic":
        synthetic = c.integer("synthetic_train_size", 1, 10_000_000)
    optimizer = c.choice("optimizer", OPTIMIZERS)
    lr = c.number("lr", 0.0, 1e6, low_open=True)
    momentum = c.number("momentum", 0.0, 1.0, high_open=True)
    nesterov_text = c.text("nesterov").lower()
    nesterov = nesterov_text in ("yes", "true", "1", "on")
    if nesterov_text not in ("yes", "no", "true", "false", "1", "0", "on", "off"):
        c.bad("nesterov", "yes or no")
    weight_decay = c.number("weight_decay", 0.0, 1e3)
    betas: tuple[float, float] | None = None
    parts = [p for p in re.split(r"[,\s]+", c.text("betas").strip("()[] ")) if p]
    try:
        floats = tuple(float(p) for p in parts)
        if len(floats) == 2 and all(0.0 <= b < 1.0 for b in floats):
            betas = (floats[0], floats[1])
    except ValueError:
        pass
    if betas is None:
        c.bad("betas", "two numbers in [0, 1), e.g. 0.9, 0.999")
    epochs = c.integer("epochs", 1, 100_000)
    batch = c.integer("batch_size", 1, 1_000_000)
    seed = c.integer("seed", 0, 2**63 - 1)
    device = c.text("device")
    if not (device in ("auto", "cpu", "cuda") or re.fullmatch(r"cuda:\d+", device)):
        c.bad("device", DEVICES_HELP)
    stepping = c.choice("stepping", STEPPINGS)
    spec = c.text("spec")
    if optimizer == "sgd" and nesterov and momentum is not None and momentum <= 0:
        c.bad("nesterov", "no unless momentum > 0 (torch's rule)")
    if model and dataset:
        m, d = MODELS[model], DATASETS[dataset]
        if (m.channels is not None and m.channels != d.channels) or (
            m.exact_size is not None and m.exact_size != d.size
        ):
            c.bad(
                "model",
                f"a model that takes {d.channels}x{d.size}x{d.size} images ({dataset}); {model} expects "
                f"{m.expects}; try lenet or resnet18",
            )
    derived: dict[str, Any] = {}
    if dataset and batch and (dataset != "synthetic" or synthetic):
        size = train_size(dataset, synthetic or SYNTHETIC_TRAIN_SIZE)
        spe = size // batch
        derived.update(train_size=size, steps_per_epoch=spe)
        if spe < 1:
            c.bad("batch_size", f"at most the training set size {size:,} (the last partial batch is dropped)")
        elif epochs:
            derived["total_steps"] = spe * epochs
    if spec and "total_steps" in derived and lr and stepping:
        problem = _spec_problem(
            spec,
            lr,
            derived["total_steps"],
            derived["steps_per_epoch"],
            stepping,
            optimizer or "sgd",
            momentum if momentum is not None else 0.9,
        )
        if problem:
            c.bad("spec", problem)
    if c.errors:
        return None, c.errors, derived
    config: dict[str, Any] = {
        "model": model,
        "dataset": dataset,
        "data_dir": data_dir,
        "device": device,
        "epochs": epochs,
        "batch_size": batch,
        "seed": seed,
        "optimizer": {
            "name": optimizer,
            "lr": lr,
            "momentum": momentum,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
            "betas": list(betas or (0.9, 0.999)),
        },
        "schedule": {
            "spec": spec,
            "stepping": stepping,
            "steps_per_epoch": derived["steps_per_epoch"],
            "total_steps": derived["total_steps"],
        },
    }
    if dataset == "synthetic":
        config["synthetic_train_size"] = synthetic
    name = c.text("name")
    if name:
        config["name"] = name
    errors = trainer_errors(config, values, preflight=False)
    if errors:
        return None, errors, derived
    return config, {}, derived


def form_field(name: str) -> str:
    """The form field a TrainConfig field is edited in ("optimizer.lr" -> "lr", "schedule.spec" -> "spec");
    a field the form does not show keeps its name."""
    if name == "optimizer.name":
        return "optimizer"
    for prefix in ("optimizer.", "schedule."):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def trainer_errors(config: dict, values: dict[str, str], *, preflight: bool) -> dict[str, str]:
    """{form field: message} for what the trainer's contract rejects in `config` (as `lrtui train` would):
    TrainConfig.from_dict, then the memory the dataset needs, and with `preflight` also whether the dataset
    is on disk or downloadable. Each message names the field, the value and what is allowed."""
    from lrtui.training.config import ConfigError, TrainConfig

    try:
        checked = TrainConfig.from_dict(config)
        problems = checked.preflight() if preflight else checked.memory_problems()
    except ConfigError as err:
        problems = err.errors
    errors: dict[str, str] = {}
    for name, value, allowed in problems:
        field = form_field(name)
        shown = values[field] if field in values else str(value)
        errors.setdefault(field, f"{field} = {_show(str(shown))} is invalid: {allowed}")
    return errors


def _spec_problem(
    spec: str, lr: float, total: int, spe: int, stepping: str, optimizer: str, momentum: float
) -> str | None:
    """The engine's complaint about the spec for this run's horizon (the same check `lrtui train` does)."""
    from lrtui.schedules.plan import spec_problem

    return spec_problem(
        spec,
        lr,
        total_steps=total,
        steps_per_epoch=spe,
        stepping=stepping,
        optimizer=optimizer,
        momentum=momentum,
    )


# Trainer keys the form does not show that a launch prepared by another run (an LR range test handing its
# result to the preview) carries over. Test aids (stop_at_step, inject_nan_at_step, step_delay_s) never do.
CARRIED_KEYS = (
    "synthetic_test_size",
    "synthetic_seed",
    "eval_batch_size",
    "augment",
    "amp",
    "channels_last",
    "compile",
    "num_threads",
    "download",
    "verify_checksums",
    "log_every_steps",
)


def _plain_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def launch_prefill(config: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """(form values, extra config keys) to launch a training like the run whose config.json is `config`.

    Only the model / data / optimizer / length fields are taken (the schedule and its LR come from the
    preview); values of the wrong type are left at the form's defaults, where validation explains them.
    """
    if not isinstance(config, dict):
        return {}, {}
    values: dict[str, str] = {}
    for key in ("model", "dataset", "device"):
        if isinstance(config.get(key), str):
            values[key] = config[key]
    if isinstance(config.get("data_dir"), str):
        values["data_dir"] = config["data_dir"]
    for key in ("synthetic_train_size", "epochs", "batch_size", "seed"):
        if isinstance(config.get(key), int) and not isinstance(config.get(key), bool):
            values[key] = str(config[key])
    opt = config.get("optimizer") if isinstance(config.get("optimizer"), dict) else {}
    if opt.get("name") in OPTIMIZERS:
        values["optimizer"] = opt["name"]
    for key in ("momentum", "weight_decay"):
        if _plain_number(opt.get(key)):
            values[key] = f"{opt[key]:g}"
    if isinstance(opt.get("nesterov"), bool):
        values["nesterov"] = "yes" if opt["nesterov"] else "no"
    betas = opt.get("betas")
    if isinstance(betas, (list, tuple)) and len(betas) == 2 and all(_plain_number(b) for b in betas):
        values["betas"] = f"{betas[0]:g}, {betas[1]:g}"
    extra = {k: config[k] for k in CARRIED_KEYS if k in config and config[k] is not None}
    return values, extra
