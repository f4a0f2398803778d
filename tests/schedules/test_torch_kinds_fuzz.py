"""Wrong values for the torch kinds: a SpecError naming the field, never another exception.

And the converse, checked against the real torch: whatever lrtui accepts, torch constructs and steps
without raising — except where lrtui shows NaN from the step on which torch raises (documented per kind) —
and the values agree (to 1e-9 of the curve's scale: fuzzed values are extreme).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_lr_oracle import make_optimizer, numpy_lambda, run_torch

from lrtui.schedules import Plan, Spec, SpecError, evaluate, get_kind, kinds, resolve
from lrtui.schedules.formula import Formula

EXAMPLES = int(os.environ.get("LRTUI_HYPOTHESIS_EXAMPLES", 100))
N = 40

BASE = {
    "LambdaLR": {"lr_lambda": "0.9 ** k"},
    "MultiplicativeLR": {"lr_lambda": "0.95"},
    "StepLR": {"step_size": 5, "gamma": 0.5},
    "MultiStepLR": {"milestones": [3, 7], "gamma": 0.5},
    "ConstantLR": {"factor": 0.5, "total_iters": 4},
    "LinearLR": {"start_factor": 0.2, "end_factor": 1.0, "total_iters": 4},
    "ExponentialLR": {"gamma": 0.9},
    "PolynomialLR": {"total_iters": 5, "power": 2.0},
    "CosineAnnealingLR": {"T_max": 6, "eta_min": 0.001},
    "CosineAnnealingWarmRestarts": {"T_0": 4, "T_mult": 2, "eta_min": 0.001},
    "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "exp_range", "gamma": 0.99},
    "OneCycleLR": {"max_lr": 0.1, "total_steps": 20},
    "ReduceLROnPlateau": {"patience": 2, "factor": 0.5},
}

SPECIAL = [
    0,
    -1,
    -0.5,
    0.0,
    1,
    2,
    1e308,
    -1e308,
    math.nan,
    math.inf,
    -math.inf,
    10**18,
    2**63,
    1.5,
    5e-324,
    "min",
    "rel",
    "cos",
    "triangular2",
    "",
    "k",
    "1/0",
    "k ** k ** k",
    "__import__('os')",
    "lambda: 1",
    "0.5 * k",
    [],
    [1],
    [0.1, 0.2],
    [0.1, 0.2, 0.3, 0.4],
    ["0.9 ** k", "k"],
]
BAD_VALUES = st.one_of(
    st.sampled_from(SPECIAL),
    st.none(),
    st.booleans(),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.lists(
        st.one_of(st.integers(-5, 200), st.floats(allow_nan=True), st.text(max_size=2), st.none()), max_size=4
    ),
)


def _torch_arg(v):
    if isinstance(v, Formula):
        return numpy_lambda(v)
    if isinstance(v, tuple | list):
        return [_torch_arg(x) for x in v]
    return v


@pytest.mark.parametrize("kind_name", sorted(BASE))
def test_wrong_values_get_a_clear_error_and_accepted_ones_run_in_torch(kind_name):
    kind = get_kind(kind_name)
    names = [p.name for p in kind.params]

    @given(name=st.sampled_from(names), value=BAD_VALUES, groups=st.integers(1, 3))
    @settings(max_examples=max(20, EXAMPLES // 2), deadline=None, suppress_health_check=list(HealthCheck))
    def check(name, value, groups):
        args = {**BASE[kind_name], name: value}
        lrs = tuple(0.1 / (g + 1) for g in range(groups))
        plan = Plan(spec=Spec(kind_name, args), base_lrs=lrs, total_steps=N)
        try:
            curve = evaluate(plan)
        except SpecError as exc:
            assert exc.field and name in exc.field, (exc.field, str(exc))
            assert str(exc)
            return
        bound = resolve(plan.spec, plan.context())
        import inspect

        import torch.optim.lr_scheduler as lrs_mod

        accepted = inspect.signature(getattr(lrs_mod, kind_name).__init__).parameters
        kwargs = {k: _torch_arg(v) for k, v in bound.args.items() if k in accepted}
        metric = None
        if kind_name == "ReduceLROnPlateau":
            from lrtui.schedules.kinds.torch_plateau import synthetic_metric

            metric = synthetic_metric(bound.args, N - 1).tolist()
        theirs = run_torch(kind_name, kwargs, lrs, N, metric=metric)  # the constructor must not raise
        upto = N if theirs.raised_at is None else theirs.raised_at
        if theirs.raised_at is not None:
            assert np.isnan(curve.lr[:, upto]).all(), f"torch raised {theirs.error!r} at step {upto}"
        ours = curve.lr[:, :upto]
        # Extreme accepted values (eta_min ≫ base, 1e300-sized lrs) leave torch's own recursion with
        # rounding noise of ~1e-16 × the curve's largest value; compare at that scale (the parity tests
        # check every value to a relative 1e-9 on sane ranges).
        with np.errstate(all="ignore"):
            finite = np.where(np.isfinite(theirs.lr), np.abs(theirs.lr), 0.0)
            scale = finite.max(axis=1, keepdims=True)
            same = np.abs(ours - theirs.lr) <= 1e-9 * np.maximum(scale, np.abs(ours)) + 1e-300
        same |= (ours == theirs.lr) | (np.isnan(ours) & np.isnan(theirs.lr))
        assert same.all(), (ours, theirs.lr)

    check()


def test_examples_and_metadata_of_torch_kinds():
    torch_kinds = [k for k in kinds() if k.library == "torch"]
    names = {k.name for k in torch_kinds}
    assert set(BASE) <= names
    for kind in torch_kinds:
        if kind.name not in BASE:
            continue  # composites are another module's
        assert kind.summary and kind.example, kind.name
        for p in kind.params:
            assert p.help, (kind.name, p.name)
        plan = Plan(spec=Spec(kind.name, {}), base_lrs=(0.1,), total_steps=10)
        from lrtui.schedules import parse

        curve = evaluate(Plan(spec=parse(kind.example), base_lrs=(0.1, 0.01), total_steps=5000))
        assert curve.lr.shape == (2, 5000)
        assert all(0 <= m.step <= 5000 for m in curve.markers), kind.name
        del plan


def test_required_arguments_are_named():
    for name, field in [
        ("CosineAnnealingLR", "T_max"),
        ("CyclicLR", "base_lr"),
        ("OneCycleLR", "max_lr"),
        ("LambdaLR", "lr_lambda"),
        ("MultiStepLR", "milestones"),
    ]:
        with pytest.raises(SpecError) as err:
            evaluate(Plan(spec=Spec(name, {}), base_lrs=(0.1,), total_steps=10))
        assert err.value.field == f"{name}.{field}"
    with pytest.raises(SpecError) as err:
        evaluate(Plan(spec=Spec("OneCycleLR", {"max_lr": 0.1, "epochs": 3}), base_lrs=(0.1,), total_steps=10))
    assert err.value.field == "OneCycleLR.total_steps"


@pytest.mark.parametrize(
    "spec,field",
    [
        ("ConstantLR(factor=0)", "ConstantLR.factor"),  # torch divides by zero at total_iters
        ("PolynomialLR(power=-1)", "PolynomialLR.power"),  # torch: ZeroDivisionError at total_iters
        ("CosineAnnealingWarmRestarts(T_0=10, T_mult=1.5)", "CosineAnnealingWarmRestarts.T_mult"),
        (
            "OneCycleLR(max_lr=0.1, total_steps=10, pct_start=0.1)",
            "OneCycleLR.pct_start",
        ),  # phase 1 of length 0
        ("OneCycleLR(max_lr=0.1, total_steps=4, pct_start=1.0)", "OneCycleLR.pct_start"),  # raises at step 4
        ("ReduceLROnPlateau(factor=1.0)", "ReduceLROnPlateau.factor"),
        ("CyclicLR(base_lr=[0.1, 0.2, 0.3], max_lr=1.0)", "CyclicLR.base_lr"),  # 2 groups
        ("OneCycleLR(max_lr=[0.1], total_steps=10)", "OneCycleLR.max_lr"),  # torch: 1 value for 2 groups
        ("ReduceLROnPlateau(min_lr=[0.0])", "ReduceLROnPlateau.min_lr"),
        ('LambdaLR(lr_lambda=["0.9 ** k", "k", "1"])', "LambdaLR.lr_lambda"),
    ],
)
def test_refused_early_what_torch_only_raises_later(spec, field):
    from lrtui.schedules import parse

    with pytest.raises(SpecError) as err:
        evaluate(Plan(spec=parse(spec), base_lrs=(0.1, 0.2), total_steps=50))
    assert err.value.field == field, str(err.value)


def test_torch_really_raises_where_we_refuse():
    """The early refusals above are real torch failures, not taste."""
    import torch.optim.lr_scheduler as lrs

    opt = make_optimizer([0.1])
    with pytest.raises(ZeroDivisionError):
        lrs.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=0.1)
    run = run_torch("OneCycleLR", {"max_lr": 0.1, "total_steps": 4, "pct_start": 1.0}, [0.1], 6)
    assert run.raised_at == 4 and isinstance(run.error, ZeroDivisionError)
    run = run_torch("ConstantLR", {"factor": 0.0, "total_iters": 3}, [0.1], 6)
    assert run.raised_at == 3 and isinstance(run.error, ZeroDivisionError)
    run = run_torch("PolynomialLR", {"total_iters": 3, "power": -1.0}, [0.1], 6)
    assert run.raised_at == 3 and isinstance(run.error, ZeroDivisionError)


def test_preview_parameters_are_marked_and_not_torch_arguments():
    import inspect

    import torch.optim.lr_scheduler as lrs

    kind = get_kind("ReduceLROnPlateau")
    torch_params = inspect.signature(lrs.ReduceLROnPlateau.__init__).parameters
    for p in kind.params:
        if p.name.startswith("preview_"):
            assert p.extra.get("preview_only") and p.name not in torch_params
        else:
            assert p.name in torch_params


@pytest.mark.parametrize("gamma", [math.inf, -math.inf, 1e308, -1e308, 1.5])
def test_cyclic_exp_range_at_infinite_and_huge_gammas_is_torchs_curve(gamma):
    # inf ** k is inf in Python (no OverflowError, unlike a finite gamma ** k that overflows): torch draws
    # inf where the amplitude is > 0 and nan (0 × inf) at each peak; lrtui showed nan everywhere after step 0
    args = {**BASE["CyclicLR"], "gamma": gamma}
    curve = evaluate(Plan(spec=Spec("CyclicLR", args), base_lrs=(0.1,), total_steps=N))
    kwargs = {k: v for k, v in args.items() if k in ("base_lr", "max_lr", "step_size_up", "mode", "gamma")}
    theirs = run_torch("CyclicLR", kwargs, (0.1,), N)
    upto = N if theirs.raised_at is None else theirs.raised_at
    ours = curve.lr[:, :upto]
    assert ((ours == theirs.lr[:, :upto]) | (np.isnan(ours) & np.isnan(theirs.lr[:, :upto]))).all()
    if theirs.raised_at is not None:
        assert np.isnan(curve.lr[:, upto:]).all()
