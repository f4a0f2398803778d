"""`Kind.initial_ops` at any last_epoch is the real constructor's step: a scheduler built with last_epoch=N on
an optimizer that holds an lr (a resume without scheduler.load_state_dict) moves that lr as torch does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from lrtui.schedules import parse
from lrtui.schedules.catalogue import Context, resolve
from lrtui.schedules.ops import replay

L = torch.optim.lr_scheduler
CASES = [
    ("StepLR(step_size=3, gamma=0.5)", lambda o, e: L.StepLR(o, 3, 0.5, last_epoch=e)),
    (
        "MultiStepLR(milestones=[2, 5, 9], gamma=0.3)",
        lambda o, e: L.MultiStepLR(o, [2, 5, 9], 0.3, last_epoch=e),
    ),
    ("ConstantLR(factor=0.25, total_iters=4)", lambda o, e: L.ConstantLR(o, 0.25, 4, last_epoch=e)),
    (
        "LinearLR(start_factor=0.1, total_iters=8)",
        lambda o, e: L.LinearLR(o, 0.1, total_iters=8, last_epoch=e),
    ),
    ("ExponentialLR(gamma=0.9)", lambda o, e: L.ExponentialLR(o, 0.9, last_epoch=e)),
    ("PolynomialLR(total_iters=8, power=2.0)", lambda o, e: L.PolynomialLR(o, 8, 2.0, last_epoch=e)),
    ('MultiplicativeLR(lr_lambda="0.95")', lambda o, e: L.MultiplicativeLR(o, lambda k: 0.95, last_epoch=e)),
    (
        "CosineAnnealingLR(T_max=6, eta_min=0.001)",
        lambda o, e: L.CosineAnnealingLR(o, 6, 0.001, last_epoch=e),
    ),
]


@pytest.mark.parametrize("spec,make", CASES, ids=[c[0].split("(")[0] for c in CASES])
@pytest.mark.parametrize("last_epoch", [-1, 0, 1, 3, 4, 7, 13])
def test_the_constructor_step_at_any_last_epoch_is_torchs(spec, make, last_epoch):
    lr = 0.0371  # whatever the restored optimizer holds
    opt = torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr, "initial_lr": 0.1}], lr=lr
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make(opt, last_epoch)
    ctx = Context(base_lrs=(0.1,))
    bound = resolve(parse(spec), ctx)
    got = replay(bound.kind.initial_ops(bound.args, ctx, last_epoch + 1), np.array([lr]))[0, -1]
    assert got == opt.param_groups[0]["lr"]
