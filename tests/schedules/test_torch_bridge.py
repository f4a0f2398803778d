"""torch_bridge: the real scheduler a training loop steps gives the planned curve, and resumes exactly."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as lrs

from lrtui.schedules import SpecError, planned_lrs
from lrtui.schedules.torch_bridge import FormulaFn, build_scheduler, build_stepper

SPECS = [
    "StepLR(step_size=3, gamma=0.5)",
    "CosineAnnealingLR(T_max=7, eta_min=0.001)",
    "LambdaLR(lr_lambda='0.9 ** k')",
    "OneCycleLR(max_lr=1.0, total_steps=100)",
    "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=3)",
    "SequentialLR([LinearLR(start_factor=0.1, total_iters=4), CosineAnnealingLR(T_max=10)], milestones=[4])",
    "ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)])",
    "GradualWarmupScheduler(multiplier=10, total_epoch=3, after_scheduler=CosineAnnealingLR(T_max=5))",
    "LinearWarmup(warmup_period=5, schedule=StepLR(step_size=4, gamma=0.5))",
    "WarmupCosineLR(lr_min=1e-9, lr_max=0.1, warm_up=3, T_max=20)",
    "warm_up_cosine_lr_scheduler(epochs=20, warm_up_epochs=3)",
    "get_cosine_schedule_with_warmup(num_warmup_steps=3, num_training_steps=20)",
]


def make_optimizer(base=(0.1, 0.02), kind="sgd"):
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in base]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, base)]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=base[0])
    return torch.optim.SGD(groups, lr=base[0], momentum=0.9)


def run(stepper, opt, start: int, stop: int, lrs_out: list, mom_out: list | None = None):
    """Optimizer steps start+1..stop, recording the lr (and momentum) the next update will use."""
    for i in range(start + 1, stop + 1):
        opt.step()
        stepper.on_step_end(i)
        lrs_out.append([g["lr"] for g in opt.param_groups])
        if mom_out is not None:
            mom_out.append([g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups])


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("stepping", ["step", "epoch"])
def test_stepper_follows_the_plan(spec, stepping):
    n, spe = 24, 3
    opt = make_optimizer()
    stepper = build_stepper(spec, opt, stepping=stepping, steps_per_epoch=spe, total_steps=n)
    got = [[g["lr"] for g in opt.param_groups]]
    run(stepper, opt, 0, n - 1, got)
    want = planned_lrs(spec, [0.1, 0.02], total_steps=n, steps_per_epoch=spe, stepping=stepping)
    np.testing.assert_allclose(np.asarray(got).T, want, rtol=1e-9, atol=0)


@pytest.mark.parametrize(
    "spec",
    [
        "CosineAnnealingWarmRestarts(T_0=2, T_mult=2, eta_min=0.001)",
        "CosineAnnealingLR(T_max=3)",
        "ExponentialLR(gamma=0.9)",
    ],
)
def test_fractional_stepping_calls_step_with_the_epoch(spec):
    n, spe = 30, 4
    opt = make_optimizer()
    stepper = build_stepper(spec, opt, stepping="fractional", steps_per_epoch=spe, total_steps=n)
    got = [[g["lr"] for g in opt.param_groups]]
    run(stepper, opt, 0, n - 1, got)
    want = planned_lrs(spec, [0.1, 0.02], total_steps=n, steps_per_epoch=spe, stepping="fractional")
    np.testing.assert_allclose(np.asarray(got).T, want, rtol=1e-9, atol=0)
    # and it is what the torch docs' loop does by hand
    opt2 = make_optimizer()
    sched = build_scheduler(spec, opt2)
    manual = [[g["lr"] for g in opt2.param_groups]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(1, n):
            opt2.step()
            sched.step(i / spe)
            manual.append([g["lr"] for g in opt2.param_groups])
    assert manual == got


def test_torch_kinds_build_the_genuine_classes():
    opt = make_optimizer()
    s = build_scheduler(
        "SequentialLR([LinearLR(total_iters=2), ChainedScheduler([StepLR(step_size=2), "
        "ExponentialLR(gamma=0.9)])], milestones=[0])",
        opt,
    )
    assert type(s) is lrs.SequentialLR
    assert [type(c) for c in s._schedulers] == [lrs.LinearLR, lrs.ChainedScheduler]
    assert all(c.optimizer is opt for c in s._schedulers[1]._schedulers)
    lam = build_scheduler("LambdaLR(lr_lambda='0.5 ** k')", make_optimizer())
    assert isinstance(lam.lr_lambdas[0], FormulaFn) and lam.lr_lambdas[0](3) == 0.125


def test_cyclic_momentum_is_driven_like_the_plan():
    from lrtui.schedules import Plan, evaluate, parse

    spec = "OneCycleLR(max_lr=1.0, total_steps=50)"
    opt = make_optimizer()
    stepper = build_stepper(spec, opt, total_steps=50)
    got, mom = [[g["lr"] for g in opt.param_groups]], [[g["momentum"] for g in opt.param_groups]]
    run(stepper, opt, 0, 49, got, mom)
    curve = evaluate(Plan(parse(spec), base_lrs=(0.1, 0.02), total_steps=50))
    np.testing.assert_allclose(np.asarray(mom).T, curve.momentum, rtol=1e-9)


def test_plateau_steps_only_with_a_metric():
    opt = make_optimizer()
    stepper = build_stepper(
        "ReduceLROnPlateau(patience=0, factor=0.5)", opt, stepping="epoch", steps_per_epoch=2
    )
    for i, metric in zip(range(1, 9), [None, 1.0, None, 1.0, None, 1.0, None, 2.0]):
        opt.step()
        stepper.on_step_end(i, metric=metric)
    assert stepper.lrs() == [0.1 * 0.5**3, 0.02 * 0.5**3]


@pytest.mark.parametrize(
    "spec",
    [*SPECS, "ReduceLROnPlateau(patience=1)", "PlateauLRScheduler(patience_t=1, mode='min', decay_rate=0.5)"],
)
@pytest.mark.parametrize("stepping", ["step", "epoch"])
def test_resume_is_exact(spec, stepping):
    n, cut, spe = 30, 13, 4
    metric = [1.0 / (1 + i % 5) for i in range(n + 1)]

    def fresh():
        opt = make_optimizer()
        return opt, build_stepper(spec, opt, stepping=stepping, steps_per_epoch=spe, total_steps=n)

    def go(stepper, opt, a, b, out):
        for i in range(a + 1, b + 1):
            opt.step()
            stepper.on_step_end(i, metric=metric[i])
            out.append([g["lr"] for g in opt.param_groups])

    opt, stepper = fresh()
    straight: list = []
    go(stepper, opt, 0, n, straight)

    opt, stepper = fresh()
    resumed: list = []
    go(stepper, opt, 0, cut, resumed)
    buf = io.BytesIO()
    torch.save({"optimizer": opt.state_dict(), "stepper": stepper.state_dict()}, buf)
    pickle.dumps(stepper.state_dict())  # plain data only
    buf.seek(0)
    state = torch.load(buf, weights_only=False)
    opt, stepper = fresh()  # the trainer's order: build, then load the optimizer, then the scheduler
    opt.load_state_dict(state["optimizer"])
    stepper.load_state_dict(state["stepper"])
    assert stepper.steps_done == cut
    go(stepper, opt, cut, n, resumed)
    assert resumed == straight


def test_bad_input_is_a_spec_error():
    with pytest.raises(SpecError) as err:
        build_stepper("StepLR(step_size=0)", make_optimizer())
    assert err.value.field == "StepLR.step_size"
    with pytest.raises(SpecError) as err:
        build_stepper("StepLR(step_size=2)", make_optimizer(), stepping="batch")
    assert err.value.field == "stepping"
    with pytest.raises(SpecError) as err:
        build_stepper(
            "ChainedScheduler([StepLR(step_size=2)])",
            make_optimizer(),
            stepping="fractional",
            steps_per_epoch=3,
        )
    assert err.value.field == "stepping"
    with pytest.raises(SpecError):
        build_stepper("StepLR(step_size=2)", make_optimizer(), steps_per_epoch=0)


def test_checkpoint_of_another_schedule_is_refused():
    opt = make_optimizer()
    a = build_stepper("StepLR(step_size=2)", opt)
    b = build_stepper("StepLR(step_size=3)", make_optimizer())
    with pytest.raises(SpecError):
        b.load_state_dict(a.state_dict())


def test_importing_the_bridge_does_not_import_torch():
    code = (
        "import sys, lrtui.schedules, lrtui.schedules.torch_bridge, lrtui.schedules.torch_ports, "
        "lrtui.schedules.ops, lrtui.schedules.program; assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
