"""Warmup-wrapper cases shared by test_seed_warmup.py and make_warmup_goldens.py.

Each case: (spec, base lrs, optimizer, n, build) where build(optimizer, libs) constructs the REAL library
objects (warmup_scheduler / pytorch_warmup, passed in `libs`) and returns step(), called once per step.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.optim.lr_scheduler as lrs


def make_optimizer(base, optimizer="sgd"):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in base]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, base)]
    if optimizer == "adam":
        return torch.optim.Adam(groups, lr=base[0], betas=(0.9, 0.999))
    return torch.optim.SGD(groups, lr=base[0], momentum=0.9)


def real_curve(build, base, optimizer, n, libs) -> np.ndarray:
    """lr[g][k] with the real objects; build(optimizer, libs) returns the call made once per step."""
    o = make_optimizer(base, optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        step = build(o, libs)
        out = [[g["lr"] for g in o.param_groups]]
        for _ in range(n - 1):
            o.step()
            step()
            out.append([g["lr"] for g in o.param_groups])
    return np.asarray(out, dtype=np.float64).T


def _gws(multiplier, total_epoch, after=None):
    def build(o, libs):
        a = None if after is None else after(o)
        s = libs["warmup_scheduler"].GradualWarmupScheduler(
            o, multiplier=multiplier, total_epoch=total_epoch, after_scheduler=a
        )
        return s.step

    return build


def _pw(cls_name, sched=None, **kw):
    def build(o, libs):
        s = None if sched is None else sched(o)  # the lr scheduler is built before the warmup
        w = getattr(libs["pytorch_warmup"], cls_name)(o, **kw)

        def step():
            with w.dampening():
                if s is not None:
                    s.step()

        return step

    return build


GWS_CASES = [
    (
        "GradualWarmupScheduler(multiplier=10.0, total_epoch=5, after_scheduler=CosineAnnealingLR(T_max=5))",
        [0.1],
        "sgd",
        30,
        _gws(10.0, 5, lambda o: lrs.CosineAnnealingLR(o, T_max=5)),
    ),
    (
        "GradualWarmupScheduler(multiplier=1.0, total_epoch=5, after_scheduler=StepLR(step_size=3, gamma=0.5))",
        [0.1],
        "sgd",
        30,
        _gws(1.0, 5, lambda o: lrs.StepLR(o, step_size=3, gamma=0.5)),
    ),
    (
        "GradualWarmupScheduler(multiplier=40.0, total_epoch=5, after_scheduler=StepLR(step_size=10, gamma=0.2))",
        [0.001],
        "sgd",
        30,
        _gws(40.0, 5, lambda o: lrs.StepLR(o, step_size=10, gamma=0.2)),
    ),
    (
        "GradualWarmupScheduler(multiplier=40.0, total_epoch=5, after_scheduler=MultiStepLR(milestones=[5, 10, 15, 20, "
        "25], gamma=0.5))",
        [0.001],
        "sgd",
        30,
        _gws(40.0, 5, lambda o: lrs.MultiStepLR(o, milestones=[5, 10, 15, 20, 25], gamma=0.5)),
    ),
    (
        "GradualWarmupScheduler(multiplier=40.0, total_epoch=5, after_scheduler=ExponentialLR(gamma=0.885))",
        [0.001],
        "sgd",
        30,
        _gws(40.0, 5, lambda o: lrs.ExponentialLR(o, gamma=0.885)),
    ),
    ("GradualWarmupScheduler(multiplier=2.0, total_epoch=3)", [0.1, 0.02], "sgd", 12, _gws(2.0, 3)),
    (
        "GradualWarmupScheduler(multiplier=8.0, total_epoch=4, after_scheduler=CosineAnnealingLR(T_max=1))",
        [0.1],
        "sgd",
        20,
        _gws(8.0, 4, lambda o: lrs.CosineAnnealingLR(o, T_max=1)),
    ),
    (
        "GradualWarmupScheduler(multiplier=3.0, total_epoch=2, after_scheduler=CyclicLR(base_lr=0.01, max_lr=0.1, "
        "step_size_up=3))",
        [0.1],
        "sgd",
        20,
        _gws(3.0, 2, lambda o: lrs.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)),
    ),
    (
        "GradualWarmupScheduler(multiplier=4.0, total_epoch=3, after_scheduler=PolynomialLR(total_iters=6, power=2.0))",
        [0.1],
        "sgd",
        20,
        _gws(4.0, 3, lambda o: lrs.PolynomialLR(o, total_iters=6, power=2.0)),
    ),
    (
        "GradualWarmupScheduler(multiplier=10.0, total_epoch=5, after_scheduler=CosineAnnealingLR(T_max=7, "
        "eta_min=0.001))",
        [0.1, 0.01],
        "sgd",
        30,
        _gws(10.0, 5, lambda o: lrs.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    ),
]

PW_CASES = [
    (
        "LinearWarmup(warmup_period=7, schedule=CosineAnnealingLR(T_max=20))",
        [0.1],
        "adam",
        50,
        _pw("LinearWarmup", lambda o: lrs.CosineAnnealingLR(o, T_max=20), warmup_period=7),
    ),
    (
        "ExponentialWarmup(warmup_period=7, schedule=StepLR(step_size=5, gamma=0.5))",
        [0.1],
        "adam",
        50,
        _pw("ExponentialWarmup", lambda o: lrs.StepLR(o, step_size=5, gamma=0.5), warmup_period=7),
    ),
    (
        "LinearWarmup(warmup_period=[5, 9])",
        [0.1, 0.02],
        "adam",
        20,
        _pw("LinearWarmup", warmup_period=[5, 9]),
    ),
    (
        "UntunedLinearWarmup(schedule=ExponentialLR(gamma=0.999))",
        [0.001],
        "adam",
        2100,
        _pw("UntunedLinearWarmup", lambda o: lrs.ExponentialLR(o, gamma=0.999)),
    ),
    ("UntunedExponentialWarmup()", [0.001], "adam", 1200, _pw("UntunedExponentialWarmup")),
    (
        "LinearWarmup(warmup_period=10, schedule=SequentialLR([ConstantLR(factor=0.5, total_iters=4), "
        "ExponentialLR(gamma=0.9)], milestones=[6]))",
        [0.1],
        "sgd",
        30,
        _pw(
            "LinearWarmup",
            lambda o: lrs.SequentialLR(
                o,
                [lrs.ConstantLR(o, factor=0.5, total_iters=4), lrs.ExponentialLR(o, gamma=0.9)],
                milestones=[6],
            ),
            warmup_period=10,
        ),
    ),
]

CASES = GWS_CASES + PW_CASES
