"""Inference recovers every catalogue kind's own example (in the inferable families), exactly.

The example of each kind is evaluated by the engine (the LR a run would log), inferred back from the
plain (steps, lr) arrays, and the inferred plan is evaluated again and compared point by point.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrtui.schedules import get_kind, kinds
from lrtui.schedules.infer import infer_schedule

from .helpers import curve, reproduces

# kind -> (expected family, horizon that shows the shape)
INFERABLE = {
    "ConstantLR": ("warmup_constant", 1000),
    "LinearLR": ("warmup_constant", 1000),
    "StepLR": ("step", 1000),
    "MultiStepLR": ("multistep", 1000),
    "ExponentialLR": ("exponential", 1000),
    "PolynomialLR": ("polynomial", 1000),
    "CosineAnnealingLR": ("cosine", 1000),
    "CosineAnnealingWarmRestarts": ("warm_restarts", 1000),
    "CyclicLR": ("cyclic", 12000),
    "OneCycleLR": ("onecycle", 1000),
    "SequentialLR": ("warmup_cosine", 1000),
    "get_linear_schedule_with_warmup": ("warmup_linear", 1000),
    "get_cosine_schedule_with_warmup": ("warmup_cosine", 1000),
    "get_cosine_with_hard_restarts_schedule_with_warmup": ("warm_restarts", 1000),
    "get_polynomial_decay_schedule_with_warmup": ("warmup_polynomial", 3000),
    "get_constant_schedule": ("constant", 1000),
    "get_constant_schedule_with_warmup": ("warmup_constant", 1000),
    "get_inverse_sqrt_schedule": ("warmup_inverse_sqrt", 1000),
    "get_cosine_with_min_lr_schedule_with_warmup": ("warmup_cosine", 1000),
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": ("warmup_cosine", 1000),
    "get_wsd_schedule": ("wsd", 1000),
    "get_scheduler": ("warmup_cosine", 1000),
    "CosineLRScheduler": ("warmup_cosine", 1000),
    "StepLRScheduler": ("warmup_step", 1000),
    "MultiStepLRScheduler": ("multistep", 1000),
    "WarmupCosineLR": ("warmup_cosine", 1000),
    "warm_up_cosine_lr_scheduler": ("warmup_cosine", 1000),
}
# Outside the families the doctor names (each says "unknown" rather than a wrong family):
NOT_INFERABLE = {
    "LambdaLR": "an arbitrary formula",
    "MultiplicativeLR": "an arbitrary formula",
    "ChainedScheduler": "a product of schedules, not a join",
    "ReduceLROnPlateau": "driven by a metric, not by the step",
    "PlateauLRScheduler": "driven by a metric, not by the step",
    "TanhLRScheduler": "a tanh decay",
    "PolyLRScheduler": "timm's overlapping warmup (warmup_prefix=False) breaks the decay's start",
    "GradualWarmupScheduler": "the wrapper's hand-over glitch",
    "LinearWarmup": "a multiplicative warmup over another schedule",
    "ExponentialWarmup": "a multiplicative warmup over another schedule",
    "UntunedLinearWarmup": "a multiplicative warmup over another schedule",
    "UntunedExponentialWarmup": "a multiplicative warmup over another schedule",
    "SWALR": "an anneal to swa_lr from wherever the lr is, then flat",
    "SwitchLR": "one schedule, then another continuing from its lr (the SWA pattern)",
    "Compound": "several schedules stepped together, one of them on a metric",
}


def test_every_catalogue_kind_is_classified():
    names = {k.name for k in kinds()}
    assert names == set(INFERABLE) | set(NOT_INFERABLE)


@pytest.mark.parametrize("name", sorted(INFERABLE))
def test_example_is_recovered(name):
    family, total = INFERABLE[name]
    y = curve(get_kind(name).example, 0.1, total)
    steps = np.arange(total)
    result = infer_schedule(steps, y)
    assert result.family == family, result
    reproduces(result, steps, y)
    assert result.confidence >= 0.6
    assert result.residual <= 1e-6


@pytest.mark.parametrize(
    "name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "get_cosine_schedule_with_warmup"]
)
def test_float32_log_is_recovered(name):
    """TensorBoard stores float32: the same kinds come back (to float32's precision)."""
    family, total = INFERABLE[name]
    y = curve(get_kind(name).example, 0.1, total).astype(np.float32).astype(np.float64)
    result = infer_schedule(np.arange(total), y)
    assert result.family == family
    reproduces(result, np.arange(total), y)


def test_per_epoch_stepping_is_found_and_verified_per_step():
    # seed 001's recipe: ExponentialLR(0.885) stepped per epoch of 390 steps
    spe = 390
    y = curve("ExponentialLR(gamma=0.885)", 0.04, 30 * spe, steps_per_epoch=spe, stepping="epoch")
    result = infer_schedule(np.arange(y.size), y, steps_per_epoch=spe)
    assert (result.stepping, result.steps_per_epoch, result.spec) == (
        "epoch",
        spe,
        "ExponentialLR(gamma=0.885)",
    )
    reproduces(result, np.arange(y.size), y)
    # a cosine stepped per epoch needs no hint: every epoch boundary changes the LR
    y = curve("CosineAnnealingLR(T_max=20)", 0.1, 20 * 50, steps_per_epoch=50, stepping="epoch")
    result = infer_schedule(np.arange(y.size), y)
    assert (result.family, result.stepping, result.steps_per_epoch) == ("cosine", "epoch", 50)


def test_base_lr_and_groups():
    y0 = curve("CosineAnnealingLR(T_max=500, eta_min=1e-5)", 0.1, 600)
    y1 = curve("CosineAnnealingLR(T_max=500, eta_min=1e-5)", 0.01, 600)
    from lrtui.schedules.infer import infer_groups

    first, second = infer_groups(np.arange(600), [y0, y1])
    assert first.base_lrs == (0.1,) and second.base_lrs == (0.01,)
    assert first.spec == second.spec == "CosineAnnealingLR(T_max=500, eta_min=1e-05)"


def test_sparse_logs_of_the_common_schedules():
    """HF / Lightning log every N steps: the warmup's end falls between samples."""
    for spec, stride in (
        ("get_cosine_schedule_with_warmup(num_warmup_steps=177, num_training_steps=784)", 8),
        ("get_linear_schedule_with_warmup(num_warmup_steps=192, num_training_steps=1276)", 7),
        ("CosineAnnealingLR(T_max=811, eta_min=1e-05)", 10),
        ("StepLR(step_size=30, gamma=0.5)", 10),
    ):
        y = curve(spec, 0.05, 1500)
        steps = np.arange(0, 1500, stride)
        result = infer_schedule(steps, y[steps])
        assert result.ok, (spec, result)
        reproduces(result, steps, y[steps])


@pytest.mark.parametrize("first", [1, 3])
def test_sparse_logs_that_start_past_step_0(first):
    """HF Trainer's first logged LR is update 1's (logging_steps apart after that): the warmup's line is
    extrapolated to step 0 from the points it has."""
    cases = [
        ("get_linear_schedule_with_warmup(num_warmup_steps=400, num_training_steps=2400)", 10),
        ("get_cosine_schedule_with_warmup(num_warmup_steps=177, num_training_steps=784)", 8),
    ]
    if first == 1:  # two points inside a 4-step warmup (from 3 on, one point cannot tell its line)
        cases.append(("get_linear_schedule_with_warmup(num_warmup_steps=4, num_training_steps=24)", 2))
    for spec, stride in cases:
        total = int(spec.split("num_training_steps=")[1].rstrip(")"))
        y = curve(spec, 1e-3, total)
        steps = np.arange(first, total, stride)
        result = infer_schedule(steps, y[steps])
        assert result.spec == spec, (spec, first, result)
        reproduces(result, steps, y[steps])


def test_partial_log_of_a_live_run():
    """A run in progress: 40% of a warmup + cosine is enough to tell its total."""
    spec = "SequentialLR([LinearLR(start_factor=0.01, total_iters=200), CosineAnnealingLR(T_max=4800, eta_min=1e-06)], milestones=[200])"
    y = curve(spec, 0.1, 5000)[:2000]
    result = infer_schedule(np.arange(2000), y)
    assert result.spec == spec.replace(
        "LinearLR(start_factor=0.01, total_iters=200)",
        "LinearLR(start_factor=0.01, end_factor=1.0, total_iters=200)",
    )


@pytest.mark.parametrize(
    "why, steps, lrs",
    [
        ("too few points", [0, 1], [0.1, 0.1]),
        ("negative", [0, 1, 2, 3, 4], [0.1, -0.1, 0.1, 0.1, 0.1]),
        ("zero", [0, 1, 2, 3, 4], [0.0] * 5),
        ("nan only", [0, 1, 2, 3], [float("nan")] * 4),
    ],
)
def test_degenerate_input_is_unknown_with_a_reason(why, steps, lrs):
    result = infer_schedule(steps, lrs)
    assert result.family == "unknown" and result.spec is None and result.note


def test_unsorted_and_repeated_steps_newest_wins():
    y = curve("ExponentialLR(gamma=0.99)", 0.1, 200)
    steps = np.concatenate([np.arange(150), np.arange(100, 200)])  # a resumed writer re-logged 100..149
    lrs = np.concatenate([y[:150] * 0 + 0.5, y[100:200]])
    lrs[:100] = y[:100]
    result = infer_schedule(steps, lrs)
    assert result.spec == "ExponentialLR(gamma=0.99)"
