"""The trainer's validated configuration (stdlib only: the app and the CLI validate configs without torch).

`TrainConfig.from_dict(d)` accepts the config.json of a run directory (public format: docs/run-format.md) and
rejects every bad value with a message naming the field, the value and what is allowed. Defaults are the
seed 001 recipe: VGG on CIFAR-10, SGD lr 0.01 momentum 0.9 weight decay 5e-4, batch 128, 30 epochs, no
schedule (constant LR).

`kind` says what the trainer does: "train" (the default), or "lr_find" — an LR range test whose sweep is the
`lr_find` block (`lrtui.runs.lr_sweep.Sweep`: one contract for `lrtui find-lr`, the launch form and the
trainer; the other keys still describe the model, data, optimizer and the training the sweep prepares).

`resolve()` fills in `schedule.steps_per_epoch` / `schedule.total_steps` from the dataset size and the
batch size (drop_last, as the seed's DataLoader), so the preview and the trainer agree on the step counts.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from lrtui.runs.lr_sweep import KIND as LR_FIND
from lrtui.runs.lr_sweep import Sweep, SweepError


class ConfigError(ValueError):
    """One or more config fields were rejected; `errors` holds (field, value, allowed) triples."""

    def __init__(self, errors: list[tuple[str, Any, str]]):
        self.errors = errors
        lines = [f"{_name(name)} = {_show(value)} is invalid: {allowed}" for name, value, allowed in errors]
        super().__init__("; ".join(lines))

    @property
    def fields(self) -> list[str]:
        return [e[0] for e in self.errors]


def _name(name: Any) -> str:
    """A field name as typed (`--set KEY=VALUE` takes any key): quoted when it holds a newline or escape."""
    text = str(name)
    return text if text.isprintable() else _show(text)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    channels: int
    size: int  # images are size x size
    train_size: int | None  # None: configurable (synthetic)
    test_size: int | None
    num_classes: int = 10


DATASETS: dict[str, DatasetInfo] = {
    "cifar10": DatasetInfo(
        "cifar10", "CIFAR-10 (torchvision; downloaded or from data_dir)", 3, 32, 50_000, 10_000
    ),
    "mnist": DatasetInfo(
        "mnist", "MNIST digits (torchvision; downloaded or from data_dir)", 1, 28, 60_000, 10_000
    ),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist", "Fashion-MNIST (torchvision; downloaded or from data_dir)", 1, 28, 60_000, 10_000
    ),
    "synthetic": DatasetInfo(
        "synthetic",
        "built-in offline dataset: procedural class patterns + noise, 3x32x32, 10 classes",
        3,
        32,
        None,
        None,
    ),
}


@dataclass(frozen=True)
class ModelInfo:
    name: str
    description: str
    expected_input: str
    min_size: int
    channels: int | None = None  # None: any number of input channels
    exact_size: int | None = None


MODEL_INFO: dict[str, ModelInfo] = {
    "vgg": ModelInfo(
        "vgg",
        "the seed 001 VGG (6 bias-free 3x3 convs, fc 2048-128-10)",
        "3x32x32 (CIFAR-10, synthetic)",
        32,
        3,
        32,
    ),
    "lenet": ModelInfo(
        "lenet",
        "the seed 004 LeNet (conv 8, conv 16, fc 128-64-10); flatten size from the input size",
        "Cx28x28 or Cx32x32 (any channels, size >= 10)",
        10,
    ),
    "resnet18": ModelInfo(
        "resnet18",
        "torchvision resnet18 for small images (3x3 stride-1 stem, no max-pool)",
        "Cx32x32 or Cx28x28 (any channels, size >= 8)",
        8,
    ),
}

KINDS = ("train", LR_FIND)  # what the trainer does with the config: train, or an LR range test
OPTIMIZERS = ("sgd", "adam", "adamw")
STEPPINGS = ("step", "epoch")
AUGMENTS = ("auto", "none", "crop", "flip", "crop_flip")
AMPS = ("auto", "bf16", "off")
# Keys the run-directory format puts in config.json besides the trainer's own: accepted and ignored, as are
# keys starting with "x_" or "_" (room for other tools). Any other unknown key is an error: a typo such as
# "epoch" must not silently train the default 30 epochs.
RUN_FORMAT_KEYS = frozenset({"format", "id", "created", "source", "name", "notes", "tags", "group"})


def _ignored_key(key: object) -> bool:
    return key in RUN_FORMAT_KEYS or (isinstance(key, str) and key.startswith(("x_", "_")))


# ------------------------------------------------------------------------------------------------ config
@dataclass
class OptimizerConfig:
    name: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.9  # SGD only
    nesterov: bool = False  # SGD only
    weight_decay: float = 5e-4
    betas: tuple[float, float] = (0.9, 0.999)  # Adam/AdamW only
    eps: float = 1e-8  # Adam/AdamW only


@dataclass
class ScheduleConfig:
    spec: str = ""  # engine spec string; "" = constant LR
    stepping: str = "epoch"  # the seed steps its scheduler once per epoch
    steps_per_epoch: int | None = None  # filled by resolve()
    total_steps: int | None = None  # filled by resolve()


@dataclass
class TrainConfig:
    kind: str = "train"  # "train" | "lr_find" (an LR range test with the `lr_find` sweep; epochs etc. then
    # describe the training the sweep prepares, which the hand-off to the preview uses)
    lr_find: Sweep | None = None  # the sweep of kind "lr_find" (None: Sweep() defaults)
    model: str = "vgg"
    dataset: str = "cifar10"
    data_dir: str | None = None  # an existing copy (torchvision layout) or where to download; None = cache
    download: bool = True
    verify_checksums: bool = True  # CIFAR-10 md5s (torchvision's check); off for project-generated copies
    synthetic_train_size: int = 10_000
    synthetic_test_size: int = 2_000
    synthetic_seed: int = 0  # the synthetic images (fixed, so runs with different seeds see the same data)
    epochs: int = 30
    batch_size: int = 128
    eval_batch_size: int = 1024
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    augment: str = "auto"  # auto = crop+flip (mnist: crop only)
    amp: str = "auto"  # auto = bf16 autocast on CUDA, off on CPU
    channels_last: bool | None = None  # None = on CUDA only
    compile: bool = False  # torch.compile the model
    num_threads: int | None = None  # torch.set_num_threads on CPU
    log_every_steps: int = 50  # flush step records at least every N steps ...
    log_interval_s: float = 0.25  # ... or this often
    checkpoint_every_epochs: int = 1
    # torchrun layout (lrtui.runs.distributed.LaunchSpec as a mapping); None = one process. batch_size is per
    # rank: the global batch is batch_size x world size, and steps_per_epoch counts global batches.
    distributed: dict | None = None
    heartbeat_s: float = 5.0  # a rank's heartbeat interval (ranks/<rank>.jsonl; torchrun jobs only)
    # Test aids (documented, default off): they make the failure paths testable for real.
    inject_nan_at_step: int | None = None  # multiply the loss by NaN at this step -> "diverged"
    stop_at_step: int | None = None  # act as if SIGTERM arrived during this step -> "stopped"
    step_delay_s: float = 0.0  # sleep after every step so a test can signal a run mid-way

    # ----------------------------------------------------------------------------------- construction
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Validate a config mapping (config.json / TOML); raises ConfigError listing every bad field."""
        errors: list[tuple[str, Any, str]] = []
        if not isinstance(data, dict):
            raise ConfigError([("config", data, "a mapping of config keys")])
        kwargs: dict[str, Any] = {}
        top = {f.name: f for f in fields(cls)}
        for key, value in data.items():
            if _ignored_key(key):
                continue
            if key not in top:
                errors.append((key, value, _unknown_key_hint(key, [*top, *RUN_FORMAT_KEYS])))
                continue
            if key == "optimizer":
                kwargs[key] = _sub(OptimizerConfig, "optimizer", value, errors)
            elif key == "schedule":
                kwargs[key] = _schedule(value, errors)
            elif key == "lr_find":
                try:
                    kwargs[key] = None if value is None else Sweep.from_dict(value)
                except SweepError as err:
                    errors.extend(err.errors)
            else:
                kwargs[key] = value
        config = cls(**kwargs)
        if config.kind == LR_FIND and config.lr_find is None:
            config.lr_find = Sweep()
        try:
            config.validate()
        except ConfigError as err:
            errors.extend(err.errors)
        if errors:
            raise ConfigError(errors)
        return config

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["lr_find"] is None:
            del d["lr_find"]  # only LR range tests have a sweep
        d["optimizer"]["betas"] = list(self.optimizer.betas)
        return d

    def resolve(self) -> TrainConfig:
        """A copy with schedule.steps_per_epoch/total_steps set from the dataset and batch size.

        Given values must match the computed ones: the schedule the user previewed must be the one run.
        """
        self.validate()
        spe = self.steps_per_epoch()
        total = spe * self.epochs
        errors = []
        if self.schedule.steps_per_epoch is not None and self.schedule.steps_per_epoch != spe:
            errors.append(
                (
                    "schedule.steps_per_epoch",
                    self.schedule.steps_per_epoch,
                    f"{spe} (= {self.train_size()} training images // {self._batch_words()})",
                )
            )
        if self.schedule.total_steps is not None and self.schedule.total_steps != total:
            errors.append(
                (
                    "schedule.total_steps",
                    self.schedule.total_steps,
                    f"{total} (= epochs {self.epochs} x steps_per_epoch {spe})",
                )
            )
        if errors:
            raise ConfigError(errors)
        return replace(self, schedule=replace(self.schedule, steps_per_epoch=spe, total_steps=total))

    # ------------------------------------------------------------------------------------ preflight
    def memory_estimate(self) -> int:
        """Bytes of host memory the trainer needs: the dataset as uint8 arrays (it is loaded whole, then
        moved to the device) plus labels, generation chunks and the process itself (torch, model)."""
        info = self.dataset_info
        images = self.train_size() + self.test_size()
        return images * (info.channels * info.size * info.size + 8) + PROCESS_OVERHEAD

    def preflight(self, *, check_download: bool = True) -> list[tuple[str, Any, str]]:
        """What would make the trainer fail on this machine, found before it is started: not enough
        memory for the dataset, a dataset neither on disk nor downloadable. (field, value, allowed)."""
        problems = self.memory_problems()
        if check_download or not self.download:
            from lrtui.training.dataset_files import availability_problem

            why = availability_problem(self.dataset, self.data_dir, self.download, self.verify_checksums)
            if why:
                problems.append(("dataset", self.dataset, why))
        return problems

    def memory_problems(self) -> list[tuple[str, Any, str]]:
        """The memory half of `preflight`: a few small file reads, cheap enough to check on every keystroke
        (the launch form does); the dataset half may read a whole copy and probe the network."""
        problems: list[tuple[str, Any, str]] = []
        need, limit, source = self.memory_estimate(), *memory_limit()
        if limit is not None and need > limit:
            info = self.dataset_info
            per_image = info.channels * info.size * info.size + 8
            fits = max(0, (limit - PROCESS_OVERHEAD) // per_image - self.test_size())
            field = "synthetic_train_size" if self.dataset == "synthetic" else "dataset"
            value = self.synthetic_train_size if self.dataset == "synthetic" else self.dataset
            problems.append(
                (
                    field,
                    value,
                    f"a dataset that fits in memory: this one needs about {_gib(need)} and {source} is "
                    f"{_gib(limit)}"
                    + (f" (at most ~{fits:,} training images fit)" if self.dataset == "synthetic" else ""),
                )
            )
        return problems

    def _batch_words(self) -> str:
        world = self.world_size()
        if world == 1:
            return f"batch_size {self.batch_size}"
        return f"global batch {self.global_batch_size()} = batch_size {self.batch_size} x world size {world}"

    # --------------------------------------------------------------------------------------- queries
    @property
    def dataset_info(self) -> DatasetInfo:
        return DATASETS[self.dataset]

    def train_size(self) -> int:
        info = self.dataset_info
        return self.synthetic_train_size if info.train_size is None else info.train_size

    def test_size(self) -> int:
        info = self.dataset_info
        return self.synthetic_test_size if info.test_size is None else info.test_size

    def world_size(self) -> int:
        """Ranks the run was laid out for (nproc_per_node x nnodes; 1 without `distributed`)."""
        if not isinstance(self.distributed, dict):
            return 1
        from lrtui.runs.distributed import DistError, LaunchSpec

        try:
            return LaunchSpec.from_dict(self.distributed).world_size
        except DistError:
            return 1

    def global_batch_size(self) -> int:
        """The batch one optimizer step sees: batch_size per rank x world size."""
        return self.batch_size * self.world_size()

    def steps_per_epoch(self) -> int:
        return self.train_size() // self.global_batch_size()

    def total_steps(self) -> int:
        return self.steps_per_epoch() * self.epochs

    def augment_ops(self) -> tuple[bool, bool]:
        """(random crop, horizontal flip); auto = both, except MNIST digits are not flipped."""
        if self.augment == "auto":
            return True, self.dataset != "mnist"
        return "crop" in self.augment, "flip" in self.augment

    # ------------------------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise ConfigError naming every bad field (types, ranges, model/dataset fit, schedule spec)."""
        e: list[tuple[str, Any, str]] = []
        _choice(e, "kind", self.kind, KINDS)
        if self.lr_find is not None:
            if self.kind != LR_FIND:
                e.append(
                    ("lr_find", asdict(self.lr_find), f"only for kind '{LR_FIND}' (kind is {self.kind!r})")
                )
            elif isinstance(self.lr_find, Sweep):
                e.extend(self.lr_find.problems())
            else:
                e.append(("lr_find", self.lr_find, "a mapping of " + ", ".join(Sweep.field_names())))
        _choice(e, "model", self.model, MODEL_INFO)
        _choice(e, "dataset", self.dataset, DATASETS)
        _opt_str(e, "data_dir", self.data_dir)
        _bool(e, "download", self.download)
        _bool(e, "verify_checksums", self.verify_checksums)
        _int(e, "synthetic_train_size", self.synthetic_train_size, 1, 10_000_000)
        _int(e, "synthetic_test_size", self.synthetic_test_size, 1, 10_000_000)
        _int(e, "synthetic_seed", self.synthetic_seed, 0, 2**63 - 1)
        _int(e, "epochs", self.epochs, 1, 100_000)
        _int(e, "batch_size", self.batch_size, 1, 1_000_000)
        _int(e, "eval_batch_size", self.eval_batch_size, 1, 1_000_000)
        _int(e, "seed", self.seed, 0, 2**63 - 1)
        if not (isinstance(self.device, str) and _device_ok(self.device)):
            e.append(("device", self.device, "'auto', 'cpu', 'cuda' or 'cuda:N'"))
        _choice(e, "augment", self.augment, AUGMENTS)
        _choice(e, "amp", self.amp, AMPS)
        if self.channels_last is not None:
            _bool(e, "channels_last", self.channels_last, "true, false or null (= on CUDA only)")
        _bool(e, "compile", self.compile)
        if self.num_threads is not None:
            _int(e, "num_threads", self.num_threads, 1, 1024)
        _int(e, "log_every_steps", self.log_every_steps, 1, 1_000_000)
        _num(e, "log_interval_s", self.log_interval_s, 0.0, 3600.0)
        _int(e, "checkpoint_every_epochs", self.checkpoint_every_epochs, 1, 100_000)
        if self.inject_nan_at_step is not None:
            _int(e, "inject_nan_at_step", self.inject_nan_at_step, 0, 2**62)
        if self.stop_at_step is not None:
            _int(e, "stop_at_step", self.stop_at_step, 0, 2**62)
        _num(e, "step_delay_s", self.step_delay_s, 0.0, 60.0)
        _num(e, "heartbeat_s", self.heartbeat_s, 0.05, 3600.0)
        if self.distributed is not None:
            from lrtui.runs.distributed import DistError, LaunchSpec

            try:
                LaunchSpec.from_dict(self.distributed)
            except DistError as err:
                e.append((err.field, err.value, err.allowed))
        self._validate_optimizer(e)
        self._validate_schedule(e)
        if not e:
            self._validate_fit(e)
        if not e:
            self._validate_spec_over_the_run(e)
        if e:
            raise ConfigError(e)

    def _validate_spec_over_the_run(self, e: list) -> None:
        """The spec resolved and evaluated for this run's horizon, as the trainer will build it."""
        s, o = self.schedule, self.optimizer
        if not s.spec.strip():
            return
        try:
            from lrtui.schedules.plan import spec_problem
        except ImportError:  # pragma: no cover - the engine validates again when the trainer builds it
            return
        problem = spec_problem(
            s.spec,
            o.lr,
            total_steps=self.total_steps(),
            steps_per_epoch=self.steps_per_epoch(),
            stepping=s.stepping,
            optimizer=o.name,
            momentum=o.momentum if o.name == "sgd" else o.betas[0],
        )
        if problem:
            e.append(("schedule.spec", s.spec, problem))

    def _validate_optimizer(self, e: list) -> None:
        o = self.optimizer
        _choice(e, "optimizer.name", o.name, OPTIMIZERS)
        _num(e, "optimizer.lr", o.lr, 0.0, 1e6, low_open=True)
        _num(e, "optimizer.momentum", o.momentum, 0.0, 1.0, high_open=True)
        _bool(e, "optimizer.nesterov", o.nesterov)
        _num(e, "optimizer.weight_decay", o.weight_decay, 0.0, 1e3)
        _num(e, "optimizer.eps", o.eps, 0.0, 1.0, low_open=True)
        betas = o.betas
        if (
            not isinstance(betas, (list, tuple))
            or len(betas) != 2
            or not all(_is_num(b) and 0.0 <= b < 1.0 for b in betas)
        ):
            e.append(("optimizer.betas", betas, "two numbers in [0, 1), e.g. [0.9, 0.999]"))
        else:
            o.betas = (float(betas[0]), float(betas[1]))
        if o.name == "sgd" and o.nesterov is True and _is_num(o.momentum) and o.momentum <= 0:
            e.append(("optimizer.nesterov", o.nesterov, "false unless optimizer.momentum > 0 (torch's rule)"))

    def _validate_schedule(self, e: list) -> None:
        s = self.schedule
        _choice(e, "schedule.stepping", s.stepping, STEPPINGS)
        if s.steps_per_epoch is not None:
            _int(e, "schedule.steps_per_epoch", s.steps_per_epoch, 1, 2**62)
        if s.total_steps is not None:
            _int(e, "schedule.total_steps", s.total_steps, 1, 2**62)
        if s.spec is None:
            s.spec = ""
        if not isinstance(s.spec, str):
            e.append(
                (
                    "schedule.spec",
                    s.spec,
                    "a schedule spec string such as 'StepLR(step_size=16, gamma=0.2)', "
                    "or '' for a constant LR",
                )
            )
        elif s.spec.strip():
            problem = _spec_problem(s.spec)
            if problem:
                e.append(("schedule.spec", s.spec, problem))
            elif s.stepping == "step" and _metric_per_step(s.spec):
                e.append(
                    (
                        "schedule.stepping",
                        s.stepping,
                        "'epoch' for a schedule stepped on a metric (or Compound's every='epoch' for its "
                        "ReduceLROnPlateau): the trainer's metric, the test loss, exists only at epoch ends",
                    )
                )

    def _validate_fit(self, e: list) -> None:
        info, model = self.dataset_info, MODEL_INFO[self.model]
        shape = f"{info.channels}x{info.size}x{info.size}"
        if (model.channels is not None and model.channels != info.channels) or (
            model.exact_size is not None and model.exact_size != info.size
        ):
            e.append(
                (
                    "model",
                    self.model,
                    f"a model that takes {shape} images ({self.dataset}); "
                    f"{self.model} expects {model.expected_input}; try lenet or resnet18",
                )
            )
        if self.train_size() // self.global_batch_size() < 1:
            world = self.world_size()
            limit = self.train_size() // world
            e.append(
                (
                    "batch_size",
                    self.batch_size,
                    f"at most the training set size {self.train_size()} (the last partial batch is dropped)"
                    if world == 1
                    else f"at most {limit} per rank (training set {self.train_size()} / world size {world})",
                )
            )


# ------------------------------------------------------------------------------------------- helpers
def _unknown_key_hint(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"not a config key{hint}; known keys: {', '.join(sorted(set(known) - RUN_FORMAT_KEYS))}"


def _sub(cls, prefix: str, value: Any, errors: list) -> Any:
    if not isinstance(value, dict):
        errors.append((prefix, value, "a mapping of " + ", ".join(f.name for f in fields(cls))))
        return cls()
    names = [f.name for f in fields(cls)]
    kwargs = {}
    for k, v in value.items():
        if k not in names:
            close = difflib.get_close_matches(str(k), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append((f"{prefix}.{k}", v, f"not a key of {prefix}{hint}; known: {', '.join(names)}"))
        else:
            kwargs[k] = v
    return cls(**kwargs)


def _schedule(value: Any, errors: list) -> ScheduleConfig:
    if value is None:
        return ScheduleConfig()
    if isinstance(value, str):  # shorthand: "schedule": "StepLR(step_size=16, gamma=0.2)"
        return ScheduleConfig(spec=value)
    return _sub(ScheduleConfig, "schedule", value, errors)


def _is_num(v: Any) -> bool:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an int too large for a float
        return False


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(e: list, name: str, v: Any, lo: int, hi: int) -> None:
    if not _is_int(v) or not lo <= v <= hi:
        e.append((name, v, f"an integer in [{lo}, {hi}]"))


def _num(e: list, name: str, v: Any, lo: float, hi: float, *, low_open=False, high_open=False) -> None:
    ok = _is_num(v) and (v > lo if low_open else v >= lo) and (v < hi if high_open else v <= hi)
    if not ok:
        e.append(
            (name, v, f"a number in {'(' if low_open else '['}{lo:g}, {hi:g}{')' if high_open else ']'}")
        )


def _bool(e: list, name: str, v: Any, allowed: str = "true or false") -> None:
    if not isinstance(v, bool):
        e.append((name, v, allowed))


def _opt_str(e: list, name: str, v: Any) -> None:
    if v is not None and not (isinstance(v, str) and v.strip()):
        e.append((name, v, "a directory path or null"))


def _choice(e: list, name: str, v: Any, allowed) -> None:
    if not isinstance(v, str) or v not in allowed:
        e.append((name, v, "one of " + ", ".join(allowed)))


def _device_ok(device: str) -> bool:
    if device in ("auto", "cpu", "cuda"):
        return True
    return device.startswith("cuda:") and device[5:].isdigit()


PROCESS_OVERHEAD = 1 << 30  # torch, the model, batches: what a training process needs besides the data
MEMORY_LIMIT_ENV = "LRTUI_MEMORY_LIMIT"  # e.g. "8GiB": what `lrtui train` may plan for (default: available)


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def memory_limit() -> tuple[int | None, str]:
    """(bytes a new trainer may use, how that was found): $LRTUI_MEMORY_LIMIT, else the smaller of
    /proc/meminfo's MemAvailable and the cgroup's remaining limit; (None, ...) where neither is known."""
    raw = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if raw:
        parsed = _parse_size(raw)
        if parsed is not None:
            return parsed, f"the limit ${MEMORY_LIMIT_ENV}"
    candidates = []
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    candidates.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_file) as f:
                limit_text = f.read().strip()
            with open(usage_file) as f:
                usage = int(f.read().strip())
            if limit_text.isdigit() and int(limit_text) < 1 << 60:
                candidates.append(max(0, int(limit_text) - usage))
                break
        except (OSError, ValueError):
            continue
    return (min(candidates), "the memory available") if candidates else (None, "unknown")


def _parse_size(text: str) -> int | None:
    """ "8GiB", "512M", "1e9" -> bytes (binary units; a trailing "B"/"iB" is optional); None if unreadable."""
    match = re.fullmatch(r"\s*([0-9.eE+]+)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if not match:
        return None
    try:
        value = float(match.group(1))
    except ValueError:
        return None
    scale = 1024 ** " KMGT".index(match.group(2).upper() or " ")
    return int(value * scale) if math.isfinite(value) and value >= 0 else None


def _metric_per_step(spec: str) -> bool:
    """Whether the schedule, stepped per optimizer step, reads a metric at each step (ReduceLROnPlateau,
    timm's PlateauLRScheduler, a Compound stepping one of them with its 'step' schedulers)."""
    try:
        from lrtui.schedules.catalogue import Context, resolve
        from lrtui.schedules.errors import SpecError
        from lrtui.schedules.spec import parse
    except ImportError:
        return False
    try:
        bound = resolve(parse(spec), Context())
    except SpecError:  # one that depends on the run's size: the trainer reports it when it builds it
        return False
    return bound.kind.metric_per_step(bound.args)


def _spec_problem(spec: str) -> str | None:
    """The schedule engine's complaint about a spec, or None (also None when the engine is not importable)."""
    try:
        from lrtui.schedules.errors import SpecError
        from lrtui.schedules.spec import parse
    except ImportError:  # the engine validates again when the trainer builds the scheduler
        return None
    try:
        parse(spec)
    except SpecError as err:
        return f"a valid schedule spec ({err})"
    return None
