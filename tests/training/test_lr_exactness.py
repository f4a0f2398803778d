"""The trainer logs the engine's curve bit for bit, for every kind of the catalogue.

The trainer's LR path, in this process and fast: the config is validated and resolved by TrainConfig, the
optimizer and the schedule stepper are built by lrtui.training.loop's own functions, and the loop does
what Trainer._train_step / _end_epoch do with them — read the groups' lr and momentum (what the update
uses, what the trainer logs), optimizer.step(), stepper.on_step_end(step + 1), and at each epoch end
stepper.on_metric(test loss). The logged values must EQUAL (==, not approximately) the plan's curve, for
both steppings, two param groups, SGD and Adam. The real detached trainer checks a few of these end to
end (test_trainer_e2e.py).

Every kind must appear in TRAINER_SPECS (trainer-sized versions of each kind's configurations): a new kind
fails test_every_kind_is_covered until it is added here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lrtui.schedules import Plan, evaluate, kinds, parse
from lrtui.schedules.catalogue import get_kind
from lrtui.schedules.lint import lint
from lrtui.training.config import ConfigError, TrainConfig
from lrtui.training.loop import build_optimizer, build_schedule_stepper, group_momentum

SPE, EPOCHS = 4, 30  # 120 optimizer steps: per step, most specs below run 5x their length
# The trainer's optimizer has one group (TrainConfig validates specs for it); a second group with its own
# lr checks that every group follows the plan (so no per-group lists in the specs below).
BASE_LRS = (0.1, 0.02)
# An epoch's test loss: falls, then stalls with small bumps (plateau schedules reduce on it).
METRIC = tuple(2.0 * 0.8 ** min(e, 8) + 0.01 * ((7 * e) % 5) for e in range(EPOCHS))

TRAINER_SPECS = {
    # torch
    "LambdaLR": ["LambdaLR(lr_lambda='0.95 ** k')", "LambdaLR(lr_lambda='1 / (1 + k) ** 0.5')"],
    "MultiplicativeLR": ["MultiplicativeLR(lr_lambda='0.95')"],
    "StepLR": ["StepLR(step_size=5, gamma=0.5)"],
    "MultiStepLR": ["MultiStepLR(milestones=[5, 12], gamma=0.3)"],
    "ConstantLR": ["ConstantLR(factor=0.1, total_iters=5)"],
    "LinearLR": ["LinearLR(start_factor=0.1, total_iters=5)", "LinearLR(start_factor=1.0, end_factor=0.1, total_iters=17)"],
    "ExponentialLR": ["ExponentialLR(gamma=0.95)"],
    "PolynomialLR": ["PolynomialLR(total_iters=20, power=2.0)", "PolynomialLR(total_iters=7, power=0.5)"],
    "CosineAnnealingLR": ["CosineAnnealingLR(T_max=20)", "CosineAnnealingLR(T_max=20, eta_min=0.001)",
                          "CosineAnnealingLR(T_max=7, eta_min=0.05)"],
    "CosineAnnealingWarmRestarts": ["CosineAnnealingWarmRestarts(T_0=3, T_mult=2, eta_min=0.0001)",
                                    "CosineAnnealingWarmRestarts(T_0=5)"],
    "CyclicLR": ["CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=5)",
                 "CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=3, step_size_down=6, mode='exp_range', gamma=0.97)",
                 "CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=4, mode='triangular2', base_momentum=0.85, max_momentum=1.05)"],
    "OneCycleLR": ["OneCycleLR(max_lr=0.1, total_steps=120)",
                   "OneCycleLR(max_lr=0.1, total_steps=120, anneal_strategy='linear', three_phase=True)"],
    "ReduceLROnPlateau": ["ReduceLROnPlateau(mode='min', factor=0.5, patience=1)",
                          "ReduceLROnPlateau(mode='min', factor=0.5, patience=0, cooldown=2, threshold=0.05)"],
    "SWALR": ["SWALR(swa_lr=0.05, anneal_epochs=5, anneal_strategy='cos')",
              "SWALR(swa_lr=0.01, anneal_epochs=3, anneal_strategy='linear')"],
    # torch composites and loop patterns
    "SequentialLR": [
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])",
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=15, eta_min=0.001)], milestones=[5])",
        "SequentialLR([ConstantLR(factor=0.5, total_iters=3), ExponentialLR(gamma=0.9), StepLR(step_size=3)], milestones=[3, 9])",
    ],
    "ChainedScheduler": [
        "ChainedScheduler([LinearLR(start_factor=0.5, total_iters=4), CosineAnnealingLR(T_max=12, eta_min=0.001)])",
        "ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)])",
    ],
    "SwitchLR": [
        "SwitchLR([CosineAnnealingLR(T_max=20), SWALR(swa_lr=0.05, anneal_epochs=3)], milestones=[15])",
        "SwitchLR([LinearLR(start_factor=0.1, total_iters=4), StepLR(step_size=3, gamma=0.5), SWALR(swa_lr=0.01, anneal_epochs=2, anneal_strategy='linear')], milestones=[4, 12])",
    ],
    "Compound": [
        "Compound([LinearLR(start_factor=0.1, total_iters=5), ReduceLROnPlateau(patience=1, factor=0.5)], every=['step', 'epoch'])",
        "Compound([StepLR(step_size=3, gamma=0.5), ExponentialLR(gamma=0.95)])",
        "Compound([OneCycleLR(max_lr=0.1, total_steps=120), ExponentialLR(gamma=0.99)])",
    ],
    # seed
    "WarmupCosineLR": ["WarmupCosineLR(lr_min=1e-5, lr_max=0.1, warm_up=3, T_max=20, start_ratio=0.1)"],
    "warm_up_cosine_lr_scheduler": ["warm_up_cosine_lr_scheduler(epochs=20, warm_up_epochs=3, eta_min=1e-5)"],
    # timm
    "CosineLRScheduler": ["CosineLRScheduler(t_initial=20, lr_min=1e-5, warmup_t=3, warmup_lr_init=1e-4, warmup_prefix=True)",
                          "CosineLRScheduler(t_initial=8, cycle_mul=2, cycle_decay=0.5, cycle_limit=3, noise_range_t=[4, 20], noise_pct=0.2)"],
    "TanhLRScheduler": ["TanhLRScheduler(t_initial=20, warmup_t=3, warmup_lr_init=1e-4)"],
    "PolyLRScheduler": ["PolyLRScheduler(t_initial=20, power=0.5, warmup_t=3)"],
    "StepLRScheduler": ["StepLRScheduler(decay_t=5, decay_rate=0.5, warmup_t=2, warmup_lr_init=1e-4)"],
    "MultiStepLRScheduler": ["MultiStepLRScheduler(decay_t=[5, 10, 15], decay_rate=0.5)"],
    "PlateauLRScheduler": ["PlateauLRScheduler(decay_rate=0.5, patience_t=1, mode='min')",
                           "PlateauLRScheduler(decay_rate=0.5, patience_t=0, mode='min', warmup_t=2, warmup_lr_init=0.001)"],
    # transformers
    "get_linear_schedule_with_warmup": ["get_linear_schedule_with_warmup(num_warmup_steps=3, num_training_steps=20)"],
    "get_cosine_schedule_with_warmup": ["get_cosine_schedule_with_warmup(num_warmup_steps=3, num_training_steps=20)"],
    "get_cosine_with_hard_restarts_schedule_with_warmup": [
        "get_cosine_with_hard_restarts_schedule_with_warmup(num_warmup_steps=3, num_training_steps=20, num_cycles=2)"],
    "get_polynomial_decay_schedule_with_warmup": [
        "get_polynomial_decay_schedule_with_warmup(num_warmup_steps=3, num_training_steps=20, power=2.0)"],
    "get_constant_schedule": ["get_constant_schedule()"],
    "get_constant_schedule_with_warmup": ["get_constant_schedule_with_warmup(num_warmup_steps=3)"],
    "get_inverse_sqrt_schedule": ["get_inverse_sqrt_schedule(num_warmup_steps=3)"],
    "get_cosine_with_min_lr_schedule_with_warmup": [
        "get_cosine_with_min_lr_schedule_with_warmup(num_warmup_steps=3, num_training_steps=20, min_lr_rate=0.1)"],
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": [
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate(num_warmup_steps=3, num_training_steps=20, min_lr_rate=0.1)"],
    "get_wsd_schedule": ["get_wsd_schedule(num_warmup_steps=3, num_decay_steps=5, num_training_steps=20)"],
    "get_scheduler": ["get_scheduler('cosine', num_warmup_steps=3, num_training_steps=20)"],
    # warmup libraries
    "GradualWarmupScheduler": ["GradualWarmupScheduler(multiplier=10, total_epoch=3, after_scheduler=CosineAnnealingLR(T_max=15))",
                               "GradualWarmupScheduler(multiplier=1, total_epoch=3, after_scheduler=StepLR(step_size=4, gamma=0.5))"],
    "LinearWarmup": ["LinearWarmup(warmup_period=5, schedule=CosineAnnealingLR(T_max=20))"],
    "ExponentialWarmup": ["ExponentialWarmup(warmup_period=5, schedule=StepLR(step_size=5, gamma=0.5))"],
    "UntunedLinearWarmup": ["UntunedLinearWarmup(beta2=0.9, schedule=CosineAnnealingLR(T_max=20))"],
    "UntunedExponentialWarmup": ["UntunedExponentialWarmup(beta2=0.9, schedule=ExponentialLR(gamma=0.95))"],
}  # fmt: skip
CASES = [
    (spec, stepping) for specs in TRAINER_SPECS.values() for spec in specs for stepping in ("step", "epoch")
]


def test_every_kind_is_covered():
    assert set(TRAINER_SPECS) == {k.name for k in kinds()}


def _config(spec: str, stepping: str, optimizer: str) -> TrainConfig:
    opt = {"name": optimizer, "lr": BASE_LRS[0]}
    if optimizer == "sgd":
        opt["momentum"] = 0.9
    return TrainConfig.from_dict(
        {"model": "lenet", "dataset": "synthetic", "synthetic_train_size": 32 * SPE, "batch_size": 32,
         "epochs": EPOCHS, "optimizer": opt, "schedule": {"spec": spec, "stepping": stepping}}
    ).resolve()  # fmt: skip


def trainer_lr_path(config: TrainConfig):
    """What the trainer logs per step (lr and momentum per group), through its own builders."""
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in BASE_LRS]
    optimizer = build_optimizer(config, [{"params": [p], "lr": lr} for p, lr in zip(params, BASE_LRS)])
    stepper = build_schedule_stepper(config, optimizer)
    lrs, moms, step = [], [], 0
    for epoch in range(config.epochs):
        for _ in range(config.schedule.steps_per_epoch):
            lrs.append([float(g["lr"]) for g in optimizer.param_groups])
            moms.append([group_momentum(g) for g in optimizer.param_groups])
            for p in params:
                p.grad = torch.ones_like(p)
            optimizer.step()
            stepper.on_step_end(step + 1)
            step += 1
        stepper.on_metric(METRIC[epoch])
    return np.asarray(lrs).T, np.asarray(moms, dtype=np.float64).T


def planned(config: TrainConfig):
    s, o = config.schedule, config.optimizer
    plan = Plan(
        spec=parse(s.spec), base_lrs=BASE_LRS, total_steps=s.total_steps, steps_per_epoch=s.steps_per_epoch,
        stepping=s.stepping, optimizer=o.name, momentum=o.momentum if o.name == "sgd" else o.betas[0],
        metric=METRIC,
    )  # fmt: skip
    curve = evaluate(plan)
    n = curve.lr.shape[1]
    mom = curve.momentum if curve.momentum is not None else np.full((len(BASE_LRS), n), plan.momentum)
    return curve.lr, mom


def _optimizers(config: TrainConfig) -> list[str]:
    """SGD; also Adam for a kind that drives beta1, unless the lint says beta1 reaches 1 (Adam divides by
    1 - beta1**step: torch raises ZeroDivisionError)."""
    if not get_kind(parse(config.schedule.spec).kind).drives_momentum:
        return ["sgd"]
    plan = Plan(spec=parse(config.schedule.spec), base_lrs=BASE_LRS, total_steps=config.schedule.total_steps,
                steps_per_epoch=SPE, stepping=config.schedule.stepping)  # fmt: skip
    return ["sgd"] if any(x.code == "momentum_out_of_range" for x in lint(plan)) else ["sgd", "adam"]


@pytest.mark.parametrize(("spec", "stepping"), CASES)
def test_the_trainer_logs_the_engine_curve_bit_for_bit(spec, stepping):
    if stepping == "step" and get_kind(parse(spec).kind).metric_driven:
        with pytest.raises(ConfigError, match=r"schedule\.stepping"):
            _config(spec, stepping, "sgd")
        return
    for optimizer in _optimizers(_config(spec, stepping, "sgd")):
        config = _config(spec, stepping, optimizer)
        got_lr, got_mom = trainer_lr_path(config)
        want_lr, want_mom = planned(config)
        assert got_lr.shape == want_lr.shape == (2, SPE * EPOCHS)
        bad = np.flatnonzero((got_lr != want_lr).any(axis=0))
        assert bad.size == 0, (
            f"{optimizer}: {bad.size} steps differ, first at {bad[0]}: {got_lr[:, bad[0]]} != {want_lr[:, bad[0]]}"
        )
        np.testing.assert_array_equal(got_mom, want_mom)


def test_the_plateau_schedules_follow_the_metric_they_are_given():
    # the curves above are not flat: the metric makes both plateau kinds reduce several times
    for spec in (
        *TRAINER_SPECS["ReduceLROnPlateau"],
        *TRAINER_SPECS["PlateauLRScheduler"],
        TRAINER_SPECS["Compound"][0],
    ):
        lr, _ = trainer_lr_path(_config(spec, "epoch", "sgd"))
        assert len(set(lr[0, SPE * 10 :].tolist())) >= 3, spec
