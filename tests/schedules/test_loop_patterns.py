"""SWALR, SwitchLR (the SWA pattern) and Compound against the real torch, bit for bit.

The oracle is torch's own objects, built the way a training script builds them, and the loop written
here explicitly (`if step >= m: b.step() else: a.step()`; every scheduler of a Compound in order,
ReduceLROnPlateau with the metric). Curves are compared over at least twice the nominal horizon, every
param group, plus the momentum where a cyclic scheduler drives it.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as lrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.optim.swa_utils import SWALR
from torch_trees import NOMINAL, leaves

from lrtui.schedules import Context, Plan, SpecError, evaluate, parse, resolve
from lrtui.schedules.export import export
from lrtui.schedules.torch_bridge import build_stepper

EXAMPLES = int(os.environ.get("LRTUI_HYPOTHESIS_EXAMPLES", 100))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
N = 2 * NOMINAL


def make_optimizer(base_lrs, adam: bool = False):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in base_lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, base_lrs)]
    if adam:
        return torch.optim.Adam(groups, lr=base_lrs[0], betas=(0.9, 0.999))
    return torch.optim.SGD(groups, lr=base_lrs[0], momentum=0.9)


def record(opt):
    lr = [float(g["lr"]) for g in opt.param_groups]
    mom = [float(g["betas"][0] if "betas" in g else g["momentum"]) for g in opt.param_groups]
    return lr, mom


def torch_loop(build, base_lrs, n: int, step, adam: bool = False):
    """lr, momentum (groups, n): build the schedulers, then n − 1 times optimizer.step(); step(scheds, k)."""
    opt = make_optimizer(base_lrs, adam)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheds = build(opt)
        lr, mom = [], []
        for k in range(n):
            if k:
                opt.step()
                try:
                    step(scheds, k)
                except ValueError:  # OneCycleLR past total_steps: the engine shows NaN from there
                    nan = [float("nan")] * len(base_lrs)
                    lr += [nan] * (n - k)
                    mom += [nan] * (n - k)
                    break
            a, m = record(opt)
            lr.append(a)
            mom.append(m)
    return np.asarray(lr).T, np.asarray(mom).T


def assert_exact(got, want, what=""):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    if not same.all():
        g, k = np.argwhere(~same)[0]
        raise AssertionError(f"{what}: group {g} step {k}: lrtui {got[g, k]!r} vs torch {want[g, k]!r}")


base_lrs = st.lists(st.sampled_from([0.1, 0.03, 1.0, 2e-4]), min_size=1, max_size=3)


# -- SWALR ---------------------------------------------------------------------------------------------------
@SETTINGS
@given(
    lrs_=base_lrs,
    data=st.data(),
    anneal=st.integers(0, 30),
    strategy=st.sampled_from(["cos", "linear"]),
    adam=st.booleans(),
)
def test_swalr_matches_torch(lrs_, data, anneal, strategy, adam):
    g = len(lrs_)
    swa = data.draw(
        st.one_of(
            st.sampled_from([0.05, 0.0, 3.0, -0.01]), st.lists(st.floats(1e-4, 1.0), min_size=g, max_size=g)
        )
    )
    n = 2 * anneal + 20
    spec = f"SWALR(swa_lr={swa!r}, anneal_epochs={anneal}, anneal_strategy={strategy!r})"
    plan = Plan(parse(spec), base_lrs=tuple(lrs_), total_steps=n, optimizer="adam" if adam else "sgd")
    want, _ = torch_loop(
        lambda o: SWALR(o, swa_lr=swa, anneal_epochs=anneal, anneal_strategy=strategy),
        lrs_,
        n,
        lambda s, k: s.step(),
        adam,
    )
    assert_exact(evaluate(plan).lr, want, spec)


def test_swalr_from_torchs_own_tests():
    # test_swalr_cosine_anneal_after_multiplicative / test_swalr_linear_anneal_after_multiplicative:
    # MultiplicativeLR(0.9) until epoch 5 (`if epoch >= swa_start: swa.step()`), then SWALR anneals
    spec = (
        'SwitchLR([MultiplicativeLR(lr_lambda="0.9"), SWALR(swa_lr=0.01, anneal_epochs=5)], milestones=[6])'
    )
    lr = evaluate(Plan(parse(spec), base_lrs=(0.05, 0.5), total_steps=15)).lr
    before = [0.05 * 0.9**i for i in range(6)]
    assert lr[0, :6] == pytest.approx(before, rel=1e-12)
    coef = [(1 + np.cos(np.pi * (t + 1) / 5)) / 2 if t + 1 < 5 else 0.0 for t in range(9)]
    assert lr[0, 6:] == pytest.approx([before[-1] * c + 0.01 * (1 - c) for c in coef], rel=1e-9)


# -- SwitchLR ------------------------------------------------------------------------------------------------
@SETTINGS
@given(first=leaves(), then=leaves(), m=st.integers(0, NOMINAL), lrs_=base_lrs, adam=st.booleans())
def test_switch_matches_the_loop(first, then, m, lrs_, adam):
    spec = f"SwitchLR([{first[0]}, {then[0]}], milestones=[{m}])"
    plan = Plan(parse(spec), base_lrs=tuple(lrs_), total_steps=N, optimizer="adam" if adam else "sgd")
    curve = evaluate(plan)

    def step(s, k):  # the SWA tutorial's loop, with k counting step() calls
        (s[1] if k >= m else s[0]).step()

    want, want_mom = torch_loop(lambda o: [first[1](o), then[1](o)], lrs_, N, step, adam)
    assert_exact(curve.lr, want, spec)
    if curve.momentum is not None:
        assert_exact(curve.momentum, want_mom, spec + " momentum")


def test_cosine_then_cyclic_from_torchs_tests():
    # test_cosine_then_cyclic (pytorch#21965): `if i <= T_max: cosine.step() else: cyclic.step()`
    spec = (
        "SwitchLR([CosineAnnealingLR(T_max=20, eta_min=0.1), CyclicLR(base_lr=0.1, max_lr=0.3, step_size_up=1, "
        "step_size_down=3)], milestones=[22])"
    )
    lr = evaluate(Plan(parse(spec), base_lrs=(0.5,), total_steps=41)).lr[0]
    want, _ = torch_loop(
        lambda o: [
            lrs.CosineAnnealingLR(o, T_max=20, eta_min=0.1),
            lrs.CyclicLR(o, base_lr=0.1, max_lr=0.3, step_size_up=1, step_size_down=3),
        ],
        [0.5],
        41,
        lambda s, k: (s[0] if k - 1 <= 20 else s[1]).step(),
    )
    assert_exact(lr[None, :], want)
    assert lr[-1] <= 0.3


# -- Compound ------------------------------------------------------------------------------------------------
@st.composite
def plateaus(draw):
    a = {
        "mode": draw(st.sampled_from(["min", "max"])),
        "factor": draw(st.sampled_from([0.1, 0.5])),
        "patience": draw(st.integers(0, 4)),
        "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
        "cooldown": draw(st.integers(0, 3)),
    }
    text = ", ".join(f"{k}={v!r}" for k, v in a.items())
    return (f"ReduceLROnPlateau({text})", lambda o, a=a: lrs.ReduceLROnPlateau(o, **a), "ReduceLROnPlateau")


@SETTINGS
@given(
    kids=st.lists(st.one_of(leaves(), plateaus()), min_size=1, max_size=3),
    data=st.data(),
    spe=st.integers(1, 4),
    lrs_=base_lrs,
    seed=st.integers(0, 2**16),
)
def test_compound_matches_the_loop(kids, data, spe, lrs_, seed):
    every = data.draw(st.lists(st.sampled_from(["step", "epoch"]), min_size=len(kids), max_size=len(kids)))
    spec = f"Compound([{', '.join(k[0] for k in kids)}], every={every!r})"
    metric = np.round(np.random.default_rng(seed).uniform(0.5, 1.5, N), 3).tolist()
    plan = Plan(parse(spec), base_lrs=tuple(lrs_), total_steps=N, steps_per_epoch=spe, metric=tuple(metric))
    curve = evaluate(plan)
    calls = [0] * len(kids)

    def step(s, k):  # the batch's schedulers in order, then (at an epoch end) the epoch's, in order
        for unit in ("step", "epoch"):
            if unit == "epoch" and k % spe:
                continue
            for i, (sched, u) in enumerate(zip(s, every)):
                if u != unit:
                    continue
                if isinstance(sched, lrs.ReduceLROnPlateau):
                    sched.step(metric[min(calls[i], len(metric) - 1)])
                    calls[i] += 1
                else:
                    sched.step()

    want, want_mom = torch_loop(lambda o: [k[1](o) for k in kids], lrs_, N, step)
    assert_exact(curve.lr, want, spec)
    if curve.momentum is not None:
        assert_exact(curve.momentum, want_mom, spec + " momentum")


COMPOUND_FROM_TORCH = [
    # torch's test_compound_reduce_lr_on_plateau1..5 (their target lists are dropped by `targets[1:]`, so
    # torch's own tests check nothing here: the real objects are the oracle)
    (
        'Compound([ReduceLROnPlateau(threshold_mode="abs", mode="min", threshold=0.01, patience=5, cooldown=5), '
        "StepLR(gamma=0.1, step_size=3)])",
        [10 - i * 0.0167 for i in range(20)],
        lambda o: [
            lrs.ReduceLROnPlateau(
                o, threshold_mode="abs", mode="min", threshold=0.01, patience=5, cooldown=5
            ),
            lrs.StepLR(o, gamma=0.1, step_size=3),
        ],
    ),
    (
        'Compound([ReduceLROnPlateau(patience=5, cooldown=0, threshold_mode="abs", mode="min", threshold=0.1), '
        "MultiStepLR(gamma=0.1, milestones=[3, 8, 12])])",
        [10 - i * 0.0165 for i in range(22)],
        lambda o: [
            lrs.ReduceLROnPlateau(o, patience=5, cooldown=0, threshold_mode="abs", mode="min", threshold=0.1),
            lrs.MultiStepLR(o, gamma=0.1, milestones=[3, 8, 12]),
        ],
    ),
    (
        'Compound([ReduceLROnPlateau(mode="max", patience=5, cooldown=5, threshold_mode="abs"), '
        "ExponentialLR(gamma=0.1)])",
        [-0.8] * 2 + [-0.234] * 20,
        lambda o: [
            lrs.ReduceLROnPlateau(o, mode="max", patience=5, cooldown=5, threshold_mode="abs"),
            lrs.ExponentialLR(o, gamma=0.1),
        ],
    ),
    (
        'Compound([ReduceLROnPlateau(mode="max", patience=3, threshold_mode="rel", threshold=0.1), '
        "CosineAnnealingLR(T_max=10, eta_min=1e-10)])",
        [1.5 * (1.025**i) for i in range(20)],
        lambda o: [
            lrs.ReduceLROnPlateau(o, mode="max", patience=3, threshold_mode="rel", threshold=0.1),
            lrs.CosineAnnealingLR(o, 10, 1e-10),
        ],
    ),
    (
        'Compound([ReduceLROnPlateau(patience=5, cooldown=0, threshold_mode="abs", mode="min", threshold=0.1), '
        "LinearLR(start_factor=0.4, total_iters=4)])",
        [10 - i * 0.0165 for i in range(22)],
        lambda o: [
            lrs.ReduceLROnPlateau(o, patience=5, cooldown=0, threshold_mode="abs", mode="min", threshold=0.1),
            lrs.LinearLR(o, start_factor=0.4, total_iters=4),
        ],
    ),
]


@pytest.mark.parametrize("spec,metric,build", COMPOUND_FROM_TORCH, ids=[f"plateau{i + 1}" for i in range(5)])
def test_compound_configurations_of_torchs_tests(spec, metric, build):
    n = len(metric) + 1
    lr = evaluate(Plan(parse(spec), base_lrs=(0.5, 0.5), total_steps=n, metric=tuple(metric))).lr

    def step(s, k):
        s[0].step(metric[k - 1])
        s[1].step()

    want, _ = torch_loop(build, [0.5, 0.5], n, step)
    assert_exact(lr, want, spec)


LONG = [
    # stretches where one scheduler alone changes the lr (the others quiet: a warmup done, between decays)
    # are replayed by that scheduler alone; they alternate here with steps where several act
    (
        "Compound([LinearLR(start_factor=0.1, total_iters=5), StepLR(step_size=100, gamma=0.5), "
        "ExponentialLR(gamma=0.999)])",
        lambda o: [lrs.LinearLR(o, 0.1, total_iters=5), lrs.StepLR(o, 100, 0.5), lrs.ExponentialLR(o, 0.999)],
    ),
    (
        "Compound([MultiStepLR(milestones=[100, 300, 301], gamma=0.5), CosineAnnealingLR(T_max=150, eta_min=0.01)])",
        lambda o: [lrs.MultiStepLR(o, [100, 300, 301], 0.5), lrs.CosineAnnealingLR(o, 150, 0.01)],
    ),
    (
        "Compound([ConstantLR(factor=0.5, total_iters=200), CosineAnnealingWarmRestarts(T_0=70, eta_min=0.001)])",
        lambda o: [lrs.ConstantLR(o, 0.5, 200), lrs.CosineAnnealingWarmRestarts(o, 70, eta_min=0.001)],
    ),
    (
        "Compound([LinearLR(start_factor=0.2, total_iters=10), ReduceLROnPlateau(patience=20, factor=0.5)])",
        lambda o: [lrs.LinearLR(o, 0.2, total_iters=10), lrs.ReduceLROnPlateau(o, patience=20, factor=0.5)],
    ),
]


@pytest.mark.parametrize("spec,build", LONG, ids=[f"long{i}" for i in range(len(LONG))])
def test_long_stretches_of_one_scheduler_match_the_loop(spec, build):
    n = 700
    metric = [1.0 / (1 + i // 50) for i in range(n)]  # improves every 50 steps, stalls in between
    lr = evaluate(Plan(parse(spec), base_lrs=(0.1, 0.02), total_steps=n, metric=tuple(metric))).lr

    def step(s, k):
        for sched in s:
            if isinstance(sched, lrs.ReduceLROnPlateau):
                sched.step(metric[k - 1])
            else:
                sched.step()

    want, _ = torch_loop(build, [0.1, 0.02], n, step)
    assert_exact(lr, want, spec)


# -- spec, validation, export, the trainer's path -----------------------------------------------------------
@pytest.mark.parametrize(
    "spec",
    [
        "SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[76])",
        'Compound([LinearLR(start_factor=0.1, total_iters=5), ReduceLROnPlateau(patience=3)], every=["step", "epoch"])',
        "Compound([StepLR(step_size=3), ExponentialLR(gamma=0.9)])",
        "SwitchLR([Compound([LinearLR(total_iters=3), ExponentialLR(gamma=0.9)]), SWALR(swa_lr=[0.1, 0.2])], milestones=[9])",
    ],
)
def test_specs_print_back_exactly(spec):
    assert str(parse(spec)) == spec
    resolve(parse(spec), Context(base_lrs=(0.1, 0.01)))


@pytest.mark.parametrize(
    "spec,field,words",
    [
        (
            "SequentialLR([StepLR(step_size=2), Compound([ExponentialLR(gamma=0.9)])], milestones=[3])",
            "schedulers[1]",
            "pattern of the training loop",
        ),
        (
            "SequentialLR([StepLR(step_size=2), ReduceLROnPlateau()], milestones=[3])",
            "schedulers[1]",
            "Compound",
        ),
        (
            'Compound([StepLR(step_size=2), ExponentialLR(gamma=0.9)], every=["step"])',
            "every",
            "one per scheduler",
        ),
        ('Compound([StepLR(step_size=2)], every=["batch"])', "every", "'step', 'epoch'"),
        (
            "SwitchLR([StepLR(step_size=2), ExponentialLR(gamma=0.9)], milestones=[])",
            "milestones",
            "one fewer",
        ),
        (
            'SwitchLR([Compound([StepLR(step_size=2)], every=["epoch"]), SWALR(swa_lr=0.1)], milestones=[4])',
            "every",
            "outermost",
        ),
        (
            "ChainedScheduler([StepLR(step_size=2), CosineLRScheduler(t_initial=10)])",
            "schedulers[1]",
            "TypeError",
        ),
        ("ChainedScheduler([LinearWarmup(warmup_period=5)])", "schedulers[0]", "AttributeError"),
    ],
)
def test_rejections_name_the_field(spec, field, words):
    with pytest.raises(SpecError) as err:
        resolve(parse(spec), Context())
    assert field in (err.value.field or ""), err.value.field
    assert words in str(err.value)


def _run_exported(code: str, plan: Plan) -> np.ndarray:
    """Exec OUR generated script and run its loop: step_schedulers(k) after each optimizer step, at_epoch_end."""
    ns: dict = {"__name__": "lrtui_exported"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "<export>", "exec"), ns)  # our own generated code, in a test
        opt, spe = ns["optimizer"], plan.steps_per_epoch
        metric = plan.metric or (1.0,)
        out, epoch = [], 0
        for i in range(plan.total_steps):
            out.append([g["lr"] for g in opt.param_groups])
            opt.step()
            m = metric[min(i, len(metric) - 1)]
            if plan.stepping == "step":
                ns["step_schedulers"](i + 1, m)
            if (i + 1) % spe == 0:
                if plan.stepping == "epoch":
                    ns["step_schedulers"](epoch + 1, metric[min(epoch, len(metric) - 1)])
                if "at_epoch_end" in ns:
                    ns["at_epoch_end"](metric[min(epoch, len(metric) - 1)])
                epoch += 1
    return np.asarray(out).T


@pytest.mark.parametrize(
    "spec,kw",
    [
        (
            "SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[76])",
            {},
        ),
        (
            'Compound([LinearLR(start_factor=0.1, total_iters=5), ReduceLROnPlateau(patience=1)], every=["step", "epoch"])',
            {"steps_per_epoch": 4, "metric": tuple([1.0] * 60)},
        ),
        (
            "Compound([StepLR(step_size=3), ExponentialLR(gamma=0.9)])",
            {"stepping": "epoch", "steps_per_epoch": 3},
        ),
    ],
)
def test_export_runs_and_reproduces_the_curve(spec, kw):
    plan = Plan(parse(spec), base_lrs=(0.1, 0.02), total_steps=120, **kw)
    assert_exact(_run_exported(export(plan, to="torch"), plan), evaluate(plan).lr, spec)


@pytest.mark.parametrize(
    "spec,stepping",
    [
        (
            "SwitchLR([CosineAnnealingLR(T_max=30), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[20])",
            "step",
        ),
        (
            "SwitchLR([CosineAnnealingLR(T_max=30), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[6])",
            "epoch",
        ),
        (
            'Compound([LinearLR(start_factor=0.1, total_iters=5), ReduceLROnPlateau(patience=1)], every=["step", "epoch"])',
            "step",
        ),
        ("Compound([ReduceLROnPlateau(patience=0), StepLR(step_size=2)])", "epoch"),
    ],
)
def test_the_trainers_stepper_follows_the_plan(spec, stepping):
    """lrtui's trainer path (build_stepper, on_step_end after each update, on_metric at epoch ends) gives
    the planned lrs bit for bit, with the epoch's metric as the plan's series."""
    spe, total = 4, 48
    metric = tuple(float(x) for x in np.linspace(1.0, 0.9, 12))
    opt = make_optimizer([0.1, 0.02])
    stepper = build_stepper(spec, opt, stepping=stepping, steps_per_epoch=spe, total_steps=total)
    got = []
    for i in range(total):
        got.append([g["lr"] for g in opt.param_groups])
        opt.step()
        stepper.on_step_end(i + 1)
        if (i + 1) % spe == 0:
            stepper.on_metric(metric[(i + 1) // spe - 1])
    plan = Plan(
        parse(spec),
        base_lrs=(0.1, 0.02),
        total_steps=total,
        steps_per_epoch=spe,
        stepping=stepping,
        metric=metric,
    )
    assert_exact(np.asarray(got).T, evaluate(plan).lr, spec)


@pytest.mark.parametrize(
    "spec",
    [
        "Compound([ReduceLROnPlateau(), StepLR(step_size=2)])",
        "ReduceLROnPlateau()",
        "PlateauLRScheduler(mode='min')",
        "SwitchLR([StepLR(step_size=2), ReduceLROnPlateau()], milestones=[3])",
    ],
)
def test_the_trainer_refuses_a_plateau_stepped_per_batch(spec):
    # The trainer has a metric (the test loss) only at epoch ends; stepping per epoch is fine.
    from lrtui.training.config import ConfigError, TrainConfig

    data = {"dataset": "synthetic", "schedule": {"spec": spec, "stepping": "step"}}
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_dict(data)
    assert "schedule.stepping" in str(err.value) and "epoch" in str(err.value)
    TrainConfig.from_dict({**data, "schedule": {"spec": spec, "stepping": "epoch"}})


def test_a_plateau_in_a_loop_steps_on_the_metric_given_per_step():
    # Outside lrtui's trainer a loop may have a metric at every step: on_step_end(i, metric=...) feeds it.
    spec = "Compound([LinearLR(start_factor=0.5, total_iters=3), ReduceLROnPlateau(patience=0, factor=0.5)])"
    metric = (1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5)
    opt = make_optimizer([0.1, 0.02])
    stepper = build_stepper(spec, opt, stepping="step", steps_per_epoch=4)
    got = []
    for i, m in enumerate(metric):
        got.append([g["lr"] for g in opt.param_groups])
        opt.step()
        stepper.on_step_end(i + 1, metric=m)
    plan = Plan(parse(spec), base_lrs=(0.1, 0.02), total_steps=len(metric), steps_per_epoch=4, metric=metric)
    assert_exact(np.asarray(got).T, evaluate(plan).lr, spec)
    with pytest.raises(SpecError, match="needs a metric"):
        stepper.on_step_end(len(metric) + 1)
