"""Presets: every schedule the seed articles show (with their lr, horizon and stepping) plus modern defaults.

Pure data and small helpers (no numpy at import). A `Preset` is a spec string plus the plan settings the
article used; a `Comparison` is a named set of presets that the app pins together (each comparison an
article makes is one keystroke away). `Preset.expected_lints` lists lint codes a preset shows on purpose
(the article's own quirk, reproduced and explained rather than fixed); every other lint error is a bug that
tests/app/test_presets.py catches.
"""

from __future__ import annotations

from dataclasses import dataclass

# CIFAR-10 with batch size 128 and drop_last=True (seed 001): 50000 // 128 optimizer steps per epoch.
SEED001_BATCH_SIZE = 128
CIFAR10_STEPS_PER_EPOCH = 50_000 // SEED001_BATCH_SIZE


@dataclass(frozen=True)
class Preset:
    name: str  # short id, also used on the command line and in the command palette
    title: str  # what the picker shows
    spec: str
    source: str  # "seed 001", "modern default", ...
    lr: float | tuple[float, ...] = 0.1
    steps: int = 1000  # optimizer steps shown
    steps_per_epoch: int = 1
    stepping: str = "step"
    optimizer: str = "sgd"
    momentum: float | None = 0.9
    note: str = ""  # what the article did differently (shown in the picker's help line)
    # Lint codes (warnings or errors) this preset shows on purpose: the article's own quirk, explained in
    # `note`. Info-level lints are always allowed.
    expected_lints: tuple[str, ...] = ()

    @property
    def base_lrs(self) -> tuple[float, ...]:
        return tuple(self.lr) if isinstance(self.lr, tuple) else (float(self.lr),)

    def plan(self):
        """The preset as a `Plan` (raises SpecError when a kind is missing from the catalogue)."""
        from lrtui.schedules.plan import Plan
        from lrtui.schedules.spec import parse

        return Plan(
            parse(self.spec),
            base_lrs=self.base_lrs,
            total_steps=self.steps,
            steps_per_epoch=self.steps_per_epoch,
            stepping=self.stepping,
            optimizer=self.optimizer,
            momentum=self.momentum,
        )


@dataclass(frozen=True)
class Comparison:
    name: str
    title: str
    source: str
    members: tuple[str, ...]  # preset names, pinned in this order
    note: str = ""


# -- seed 000: cosine annealing and two hand-written warmup+cosine schedules (per epoch, 100 epochs) --------
_S000 = dict(source="seed 000", steps=100, steps_per_epoch=1, stepping="epoch")
# -- seed 001: VGG on CIFAR-10, 30 epochs, stepped per epoch, SGD momentum 0.9 ------------------------------
_S001 = dict(
    source="seed 001",
    steps=30 * CIFAR10_STEPS_PER_EPOCH,
    steps_per_epoch=CIFAR10_STEPS_PER_EPOCH,
    stepping="epoch",
    optimizer="sgd",
    momentum=0.9,
)
_S001_WARMUP_NOTE = (
    "The article calls scheduler_warmup.step() at the START of each epoch, so its runs skip "
    "the first value shown here; it also says 'warm up to 0.4' where 0.001 × 40 = 0.04."
)
# -- seed 002: transformers-style fine-tuning, AdamW at 5e-5 for 3000 steps, stepped per step --------------
_S002 = dict(source="seed 002", lr=5e-5, steps=3000, optimizer="adamw", momentum=0.9)
_S002_NOTE = "The article records the LR after scheduler.step(), so its plots start one step later."
# -- seed 004: plot_schedule() over 100 steps with lr 1.0 (SGD without momentum) ---------------------------
_S004 = dict(source="seed 004", lr=1.0, steps=100, optimizer="sgd", momentum=0.0)
_S004_NOTE = "plot_schedule() steps before it records, so the article's plot starts one step later."

PRESETS: tuple[Preset, ...] = (
    # seed 000
    Preset(
        "seed000-cosine-tmax20",
        "CosineAnnealingLR T_max=20, eta_min=1e-9 (100 epochs, lr 0.01)",
        "CosineAnnealingLR(T_max=20, eta_min=1e-09)",
        lr=0.01,
        optimizer="adam",
        **_S000,
        note="T_max=20 over 100 epochs: the cosine rises back to the base LR every 40 epochs (torch does not "
        "clamp after T_max).",
        expected_lints=("cosine_rises_after_t_max",),
    ),
    Preset(
        "seed000-cosine-tmax100",
        "CosineAnnealingLR T_max=100, eta_min=1e-9 (100 epochs, lr 0.01)",
        "CosineAnnealingLR(T_max=100, eta_min=1e-09)",
        lr=0.01,
        optimizer="adam",
        **_S000,
    ),
    Preset(
        "seed000-lambda-warmup-cosine",
        "warm_up_cosine_lr_scheduler(100, 30, 1e-9) (lr 1e-4)",
        "warm_up_cosine_lr_scheduler(epochs=100, warm_up_epochs=30, eta_min=1e-09)",
        lr=1e-4,
        **_S000,
        note="The article's lambda starts at eta_min × lr ≈ 0: the first epoch barely trains (its own "
        "description says so).",
        expected_lints=("first_lr_near_zero",),
    ),
    Preset(
        "seed000-warmup-cosine-class",
        "WarmupCosineLR(1e-9, 1e-3, 5, 100, 0.1)",
        "WarmupCosineLR(lr_min=1e-09, lr_max=0.001, warm_up=5, T_max=100, start_ratio=0.1)",
        lr=1e-4,
        **_S000,
        note="lr_max replaces the optimizer's lr (1e-4 here): the schedule ignores base_lrs.",
    ),
    # seed 001
    Preset(
        "seed001-constant",
        "Constant LR 0.01 (30 epochs)",
        "ConstantLR(factor=1.0, total_iters=0)",
        lr=0.01,
        **_S001,
        note="The article's baseline: no scheduler at all.",
    ),
    Preset(
        "seed001-steplr", "StepLR(16, 0.2) (lr 0.01)", "StepLR(step_size=16, gamma=0.2)", lr=0.01, **_S001
    ),
    Preset(
        "seed001-multisteplr",
        "MultiStepLR([10, 20], 0.5) (lr 0.02)",
        "MultiStepLR(milestones=[10, 20], gamma=0.5)",
        lr=0.02,
        **_S001,
    ),
    Preset(
        "seed001-exponentiallr",
        "ExponentialLR(0.885) (lr 0.04)",
        "ExponentialLR(gamma=0.885)",
        lr=0.04,
        **_S001,
    ),
    Preset(
        "seed001-warmup-steplr",
        "GradualWarmup ×40 over 5 → StepLR(10, 0.2) (lr 0.001)",
        "GradualWarmupScheduler(multiplier=40, total_epoch=5, after_scheduler=StepLR(step_size=10, gamma=0.2))",
        lr=0.001,
        **_S001,
        note=_S001_WARMUP_NOTE,
    ),
    Preset(
        "seed001-warmup-multisteplr",
        "GradualWarmup ×40 over 5 → MultiStepLR([5..25], 0.5) (lr 0.001)",
        "GradualWarmupScheduler(multiplier=40, total_epoch=5, "
        "after_scheduler=MultiStepLR(milestones=[5, 10, 15, 20, 25], gamma=0.5))",
        lr=0.001,
        **_S001,
        note=_S001_WARMUP_NOTE,
    ),
    Preset(
        "seed001-warmup-exponentiallr",
        "GradualWarmup ×40 over 5 → ExponentialLR(0.885) (lr 0.001)",
        "GradualWarmupScheduler(multiplier=40, total_epoch=5, after_scheduler=ExponentialLR(gamma=0.885))",
        lr=0.001,
        **_S001,
        note=_S001_WARMUP_NOTE,
    ),
    # seed 002
    Preset(
        "seed002-exponentiallr",
        "ExponentialLR(0.99) (AdamW 5e-5, 3000 steps)",
        "ExponentialLR(gamma=0.99)",
        **_S002,
        note=_S002_NOTE,
    ),
    Preset(
        "seed002-cosine",
        "CosineAnnealingLR(T_max=1000) (AdamW 5e-5, 3000 steps)",
        "CosineAnnealingLR(T_max=1000)",
        **_S002,
        note="T_max=1000 over 3000 steps: torch's cosine rises back up after T_max. " + _S002_NOTE,
        expected_lints=("cosine_rises_after_t_max",),
    ),
    Preset(
        "seed002-steplr",
        "StepLR(500, 0.1) (AdamW 5e-5, 3000 steps)",
        "StepLR(step_size=500, gamma=0.1)",
        **_S002,
        note=_S002_NOTE,
    ),
    Preset(
        "seed002-polynomial-warmup",
        "get_polynomial_decay_schedule_with_warmup(100, 3000, 1e-7, power=2)",
        "get_polynomial_decay_schedule_with_warmup(num_warmup_steps=100, num_training_steps=3000, "
        "lr_end=1e-07, power=2.0)",
        **_S002,
        note=_S002_NOTE,
    ),
    Preset(
        "seed002-multisteplr",
        "MultiStepLR([1000, 2000], 0.1) (AdamW 5e-5, 3000 steps)",
        "MultiStepLR(milestones=[1000, 2000], gamma=0.1)",
        **_S002,
        note=_S002_NOTE,
    ),
    # seed 004
    Preset(
        "seed004-steplr",
        "StepLR(10, 0.5) (lr 1.0, 100 steps)",
        "StepLR(step_size=10, gamma=0.5)",
        **_S004,
        note=_S004_NOTE,
    ),
    Preset(
        "seed004-linearlr",
        "LinearLR(1, 0.1, 50) (lr 1.0, 100 steps)",
        "LinearLR(start_factor=1, end_factor=0.1, total_iters=50)",
        **_S004,
        note=_S004_NOTE,
    ),
    Preset(
        "seed004-cosine",
        "CosineAnnealingLR(100) (lr 1.0, 100 steps)",
        "CosineAnnealingLR(T_max=100)",
        **_S004,
        note=_S004_NOTE,
    ),
    Preset(
        "seed004-warm-restarts",
        "CosineAnnealingWarmRestarts(20) (lr 1.0, 100 steps)",
        "CosineAnnealingWarmRestarts(T_0=20)",
        **_S004,
        note=_S004_NOTE,
    ),
    Preset(
        "seed004-cyclic-exp-range",
        "CyclicLR exp_range 0→1, 10/10, γ=0.99 (100 steps)",
        'CyclicLR(base_lr=0, max_lr=1, step_size_up=10, step_size_down=10, mode="exp_range", gamma=0.99)',
        **_S004,
        note="CyclicLR also cycles SGD's momentum (cycle_momentum=True): it turns momentum on. " + _S004_NOTE,
        expected_lints=("momentum_switched_on", "first_lr_near_zero"),
    ),
    Preset(
        "seed004-onecycle",
        "OneCycleLR(1.0, 100) (100 steps)",
        "OneCycleLR(max_lr=1.0, total_steps=100)",
        **_S004,
        note="OneCycleLR also cycles momentum. " + _S004_NOTE,
        expected_lints=("momentum_switched_on",),
    ),
    # modern defaults
    Preset(
        "warmup-cosine",
        "Linear warmup + cosine (transformers, 10k steps)",
        "get_cosine_schedule_with_warmup(num_warmup_steps=500, num_training_steps=10000)",
        source="modern default",
        lr=3e-4,
        steps=10_000,
        optimizer="adamw",
        note="Every transformers *_with_warmup schedule starts at LR 0: the first step is wasted.",
        expected_lints=("warmup_starts_at_zero",),
    ),
    Preset(
        "warmup-cosine-torch",
        "Linear warmup + cosine (torch SequentialLR, 10k steps)",
        "SequentialLR([LinearLR(start_factor=0.01, total_iters=500), "
        "CosineAnnealingLR(T_max=9500, eta_min=3e-06)], milestones=[500])",
        source="modern default",
        lr=3e-4,
        steps=10_000,
        optimizer="adamw",
    ),
    Preset(
        "wsd",
        "Warmup-stable-decay (WSD, 10k steps)",
        "get_wsd_schedule(num_warmup_steps=500, num_decay_steps=2000, num_stable_steps=7500)",
        source="modern default",
        lr=3e-4,
        steps=10_000,
        optimizer="adamw",
        note="transformers' WSD warms up from LR 0.",
        expected_lints=("warmup_starts_at_zero",),
    ),
    Preset(
        "onecycle",
        "OneCycleLR (SGD 0.9, 10k steps)",
        "OneCycleLR(max_lr=0.1, total_steps=10000)",
        source="modern default",
        lr=0.1,
        steps=10_000,
        optimizer="sgd",
        momentum=0.9,
        note="OneCycleLR cycles SGD's momentum between 0.85 and 0.95, replacing the optimizer's 0.9.",
        expected_lints=("momentum_overridden",),
    ),
    Preset(
        "inverse-sqrt",
        "Inverse square root with warmup (Transformer, 20k steps)",
        "get_inverse_sqrt_schedule(num_warmup_steps=4000)",
        source="modern default",
        lr=1e-3,
        steps=20_000,
        optimizer="adam",
        note="transformers' warmup starts at LR 0: the first step is wasted.",
        expected_lints=("warmup_starts_at_zero",),
    ),
)

COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "seed000",
        "Seed 000: cosine T_max 20 vs 100, lambda warmup vs WarmupCosineLR",
        "seed 000",
        (
            "seed000-cosine-tmax20",
            "seed000-cosine-tmax100",
            "seed000-lambda-warmup-cosine",
            "seed000-warmup-cosine-class",
        ),
    ),
    Comparison(
        "seed001",
        "Seed 001: StepLR vs MultiStepLR vs ExponentialLR, with and without GradualWarmup",
        "seed 001",
        (
            "seed001-steplr",
            "seed001-multisteplr",
            "seed001-exponentiallr",
            "seed001-warmup-steplr",
            "seed001-warmup-multisteplr",
            "seed001-warmup-exponentiallr",
        ),
    ),
    Comparison(
        "seed002",
        "Seed 002: five schedules at AdamW 5e-5 over 3000 steps",
        "seed 002",
        (
            "seed002-exponentiallr",
            "seed002-cosine",
            "seed002-steplr",
            "seed002-polynomial-warmup",
            "seed002-multisteplr",
        ),
    ),
    Comparison(
        "seed004",
        "Seed 004: six torch schedules at lr 1.0 over 100 steps",
        "seed 004",
        (
            "seed004-steplr",
            "seed004-linearlr",
            "seed004-cosine",
            "seed004-warm-restarts",
            "seed004-cyclic-exp-range",
            "seed004-onecycle",
        ),
    ),
    Comparison(
        "modern",
        "Modern defaults: warmup+cosine, WSD, inverse sqrt",
        "modern default",
        ("warmup-cosine", "warmup-cosine-torch", "wsd", "inverse-sqrt"),
    ),
)


@dataclass(frozen=True)
class Experiment:
    """A comparison an article trained, as `lrtui sweep --preset NAME`: schedules, recipe, reported results.

    The schedules are `baseline` (trained, but not pinned in the preview, which pins at most 6) followed by
    the comparison's members, each with its own base LR and stepping from its preset. `recipe` holds the
    training settings the article used, as run-config keys (docs/run-format.md); the horizon (epochs) comes
    from the presets. `reported` quotes what the article says each schedule reached.
    """

    name: str
    title: str
    comparison: str
    baseline: str | None
    recipe: tuple[tuple[str, object], ...]  # (config key, value) pairs: hashable, read with recipe_dict()
    reported: tuple[tuple[str, str], ...] = ()  # (preset name, what the article reports)

    def recipe_dict(self) -> dict:
        import copy

        return copy.deepcopy(dict(self.recipe))

    def preset_names(self) -> tuple[str, ...]:
        members = _COMPARISONS_BY_NAME[self.comparison].members
        return ((self.baseline,) if self.baseline else ()) + tuple(members)


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        "seed001",
        "Seed 001: VGG on CIFAR-10, 30 epochs: constant LR vs StepLR, MultiStepLR, ExponentialLR, ± warmup",
        comparison="seed001",
        baseline="seed001-constant",
        recipe=(
            ("model", "vgg"),
            ("dataset", "cifar10"),
            ("epochs", 30),
            ("batch_size", SEED001_BATCH_SIZE),
            ("optimizer", {"name": "sgd", "momentum": 0.9, "weight_decay": 5e-4}),
        ),
        reported=(
            ("seed001-constant", "83.3% test (86.1% train)"),
            ("seed001-steplr", "77% → 81% at the epoch-16 drop, then slowly higher"),
            ("seed001-multisteplr", "+2% jumps at epochs 10 and 20"),
            ("seed001-exponentiallr", "85% final"),
        ),
    ),
)

_BY_NAME = {p.name: p for p in PRESETS}
_COMPARISONS_BY_NAME = {c.name: c for c in COMPARISONS}
_EXPERIMENTS_BY_NAME = {e.name: e for e in EXPERIMENTS}
DEFAULT_PRESET = "warmup-cosine-torch"


def presets() -> tuple[Preset, ...]:
    return PRESETS


def comparisons() -> tuple[Comparison, ...]:
    return COMPARISONS


def get_preset(name: str) -> Preset | None:
    return _BY_NAME.get(name)


def get_comparison(name: str) -> Comparison | None:
    return _COMPARISONS_BY_NAME.get(name)


def comparison_presets(comparison: Comparison) -> list[Preset]:
    return [_BY_NAME[n] for n in comparison.members]


def experiments() -> tuple[Experiment, ...]:
    return EXPERIMENTS


def get_experiment(name: str) -> Experiment | None:
    return _EXPERIMENTS_BY_NAME.get(name)


def experiment_presets(experiment: Experiment) -> list[Preset]:
    return [_BY_NAME[n] for n in experiment.preset_names()]


def check_tables() -> list[str]:
    """Problems in the tables: duplicate names, unknown members, more members than the 6 pins."""
    problems = []
    names = [p.name for p in PRESETS]
    if len(names) != len(set(names)):
        problems.append("duplicate preset names")
    for c in COMPARISONS:
        problems += [f"{c.name}: unknown preset {m}" for m in c.members if m not in _BY_NAME]
        if len(c.members) > 6:
            problems.append(f"{c.name}: more than 6 members")
    for e in EXPERIMENTS:
        if e.comparison not in _COMPARISONS_BY_NAME:
            problems.append(f"experiment {e.name}: unknown comparison {e.comparison}")
        elif e.baseline is not None and e.baseline not in _BY_NAME:
            problems.append(f"experiment {e.name}: unknown baseline {e.baseline}")
        problems += [f"experiment {e.name}: unknown preset {n}" for n, _ in e.reported if n not in _BY_NAME]
    return problems
