"""Parity of every torch.optim.lr_scheduler kind with the real torch, on hypothesis-generated configurations.

For each kind: 1–3 param groups with random base lrs, at least twice the nominal horizon, torch's lr
recorded right after construction (k = 0) and after every step. Both our vectorised `values` (through
evaluate) and the sequential replay of `step_map` (what composites rely on) must agree with torch to a
relative 1e-9 everywhere. Where torch raises (OneCycleLR past total_steps), our value is NaN.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_lr_oracle import (
    assert_close,
    evaluate_plan,
    lrtui_plan,
    replay_step_maps,
    run_torch,
    torch_kwargs,
)

from lrtui.schedules import Plan, SpecError, evaluate, parse

EXAMPLES = int(os.environ.get("LRTUI_HYPOTHESIS_EXAMPLES", 100))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_N = 400

base_lrs = st.lists(st.floats(1e-5, 10.0), min_size=1, max_size=3)
unit = st.floats(0.0, 1.0)


def per_group(values: st.SearchStrategy, groups: int):
    """A scalar, or a list with one value per group (torch's _format_param)."""
    return st.one_of(values, st.lists(values, min_size=groups, max_size=groups))


# (text, max) pairs: formulas whose Python lambda torch can call at every step we test
@st.composite
def lambda_formula(draw):
    g = draw(st.floats(0.8, 1.0))
    a = draw(st.floats(0.001, 0.5))
    n = draw(st.integers(1, 200))
    c = draw(st.floats(0.1, 0.9))
    return draw(
        st.sampled_from(
            [
                f"{g!r} ** k",
                f"1 / (1 + {a!r} * k)",
                f"max(0.0, 1 - k / {n})",
                f"min(1.0, (k + 1) / {n})",
                f"0.5 * (1 + cos(pi * k / {n}))",
                f"{c!r} ** (k // {n})",
                f"{c!r}",
            ]
        )
    )


@st.composite
def multiplicative_formula(draw):
    g = draw(st.floats(0.8, 1.05))
    a = draw(st.floats(0.001, 0.5))
    m = draw(st.integers(2, 7))
    return draw(
        st.sampled_from([f"{g!r}", f"1 - {a!r} / (k + 1)", f"{g!r} ** (k % {m})", "0.95 if k < 50 else 1.0"])
    )


def formula_arg(strategy, groups):
    return st.one_of(strategy, st.lists(strategy, min_size=groups, max_size=groups))


def check_against_torch(
    kind,
    args,
    lrs,
    n,
    *,
    optimizer="sgd",
    momentum=0.9,
    metric=None,
    momentum_checked=False,
    replay=True,
    abs_tol=1e-300,
):
    plan = lrtui_plan(kind, args, lrs, n, optimizer=optimizer, momentum=momentum, metric=metric)
    curve = evaluate_plan(plan)
    theirs = run_torch(
        kind, torch_kwargs(kind, args), lrs, n, optimizer=optimizer, momentum=momentum, metric=metric
    )
    upto = n if theirs.raised_at is None else theirs.raised_at
    assert_close(curve.lr[:, :upto], theirs.lr, f"{kind} values", abs_tol=abs_tol)
    if theirs.raised_at is not None:
        assert np.isnan(curve.lr[:, upto:]).all(), f"{kind}: torch raised {theirs.error!r} at step {upto}"
    if momentum_checked:
        assert curve.momentum is not None
        assert curve.momentum_name == ("momentum" if optimizer == "sgd" else "beta1")
        assert_close(curve.momentum[:, :upto], theirs.momentum, f"{kind} momentum")
    if replay:
        assert_close(
            replay_step_maps(plan, n)[:, :upto], theirs.lr, f"{kind} update-data replay", abs_tol=abs_tol
        )
    return curve, theirs


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_lambda_lr(lrs, data):
    args = {"lr_lambda": data.draw(formula_arg(lambda_formula(), len(lrs)))}
    check_against_torch("LambdaLR", args, lrs, data.draw(st.integers(2, MAX_N)))


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_multiplicative_lr(lrs, data):
    args = {"lr_lambda": data.draw(formula_arg(multiplicative_formula(), len(lrs)))}
    check_against_torch("MultiplicativeLR", args, lrs, data.draw(st.integers(2, 300)))


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_step_lr(lrs, data):
    size = data.draw(st.integers(1, 150))
    args = {"step_size": size, "gamma": data.draw(st.floats(0.01, 2.0))}
    check_against_torch("StepLR", args, lrs, min(MAX_N, 2 * size + data.draw(st.integers(1, 100))))


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_multistep_lr(lrs, data):
    ms = data.draw(st.lists(st.integers(0, 150), max_size=6))  # unsorted, duplicates multiply
    args = {"milestones": ms, "gamma": data.draw(st.floats(0.01, 2.0))}
    check_against_torch("MultiStepLR", args, lrs, min(MAX_N, 2 * max(ms, default=5) + 10))


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_constant_lr(lrs, data):
    t = data.draw(st.integers(0, 150))
    args = {"factor": data.draw(st.one_of(st.floats(1e-3, 1.0), st.just(1.0))), "total_iters": t}
    check_against_torch("ConstantLR", args, lrs, 2 * t + 10)


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_linear_lr(lrs, data):
    t = data.draw(st.integers(1, 150))
    args = {
        "start_factor": data.draw(st.one_of(st.floats(1e-3, 1.0), st.just(1.0))),
        "end_factor": data.draw(st.one_of(unit, st.sampled_from([0.0, 1.0]))),
        "total_iters": t,
    }
    check_against_torch("LinearLR", args, lrs, 2 * t + 10)


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_exponential_lr(lrs, data):
    args = {"gamma": data.draw(st.floats(0.5, 1.2))}
    check_against_torch("ExponentialLR", args, lrs, data.draw(st.integers(2, MAX_N)))


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_polynomial_lr(lrs, data):
    t = data.draw(st.integers(1, 150))
    args = {
        "total_iters": t,
        "power": data.draw(st.one_of(st.floats(0.0, 5.0), st.sampled_from([0.0, 1.0, 2.0]))),
    }
    check_against_torch("PolynomialLR", args, lrs, 2 * t + 10)


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_cosine_annealing_lr(lrs, data):
    t = data.draw(st.integers(1, 130))
    eta = data.draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0), st.floats(1e-9, 1e-5)))
    n = min(MAX_N, data.draw(st.integers(2 * t + 2, 3 * t + 3)))  # through the climb back up
    # torch computes lr = r·(lr − η) + η: with η ≫ lr (η above the initial lr) its own rounding noise is
    # ~1e-14·η, which neither our telescoped values nor the affine replay (A·lr + B) can follow. So the
    # error is measured against max(|lr|, η): 1e-9 relative as usual, plus 1e-12·η absolute (which adds
    # at most 1e-12 relative whenever η ≤ the initial lr, since then lr ≥ η).
    check_against_torch("CosineAnnealingLR", {"T_max": t, "eta_min": eta}, lrs, n, abs_tol=1e-12 * eta)


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_cosine_warm_restarts(lrs, data):
    args = {
        "T_0": data.draw(st.integers(1, 60)),
        "T_mult": data.draw(st.integers(1, 4)),
        "eta_min": data.draw(st.one_of(st.just(0.0), st.floats(0.0, 0.5))),
    }
    two_cycles = args["T_0"] * (1 + args["T_mult"])  # at least into the third cycle when it fits
    n = data.draw(st.integers(min(MAX_N, two_cycles + 1), MAX_N))
    check_against_torch("CosineAnnealingWarmRestarts", args, lrs, n)


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_cosine_warm_restarts_fractional(lrs, data):
    """step(epoch + i / steps_per_epoch): torch's log-based T_cur formula, float quirks included."""
    spe = data.draw(st.integers(1, 12))
    args = {
        "T_0": data.draw(st.integers(1, 12)),
        "T_mult": data.draw(st.integers(1, 10)),
        "eta_min": data.draw(st.one_of(st.just(0.0), st.floats(0.0, 0.5))),
    }
    n = data.draw(st.integers(2, 300))
    plan = lrtui_plan("CosineAnnealingWarmRestarts", args, lrs, n, steps_per_epoch=spe, stepping="fractional")
    theirs = run_torch(
        "CosineAnnealingWarmRestarts",
        torch_kwargs("CosineAnnealingWarmRestarts", args),
        lrs,
        n,
        epochs=[i / spe for i in range(n)],
    )
    assert_close(evaluate(plan).lr, theirs.lr, "CosineAnnealingWarmRestarts fractional")


def test_cosine_warm_restarts_log_quirk():
    """T_0=1, T_mult=10: step(111) gives eta_min instead of a restart (log(1000, 10) = 2.9999999999999996)."""
    args = {"T_0": 1, "T_mult": 10, "eta_min": 0.001}
    n = 112
    plan = lrtui_plan("CosineAnnealingWarmRestarts", args, [0.1], n, stepping="fractional")
    ours = evaluate(plan).lr
    theirs = run_torch("CosineAnnealingWarmRestarts", args, [0.1], n, epochs=list(range(n)))
    assert_close(ours, theirs.lr, "quirk")
    assert ours[0, 111] == pytest.approx(0.001)  # torch: eta_min, not a restart at base
    per_step = evaluate(lrtui_plan("CosineAnnealingWarmRestarts", args, [0.1], n)).lr
    assert per_step[0, 111] == pytest.approx(0.1)  # plain step(): the integer recursion restarts


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_cyclic_lr(lrs, data):
    g = len(lrs)
    up = data.draw(st.integers(1, 60))
    down = data.draw(st.one_of(st.none(), st.integers(0, 60)))
    mode = data.draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    args = {
        "base_lr": data.draw(per_group(st.floats(0.0, 0.1), g)),
        "max_lr": data.draw(per_group(st.floats(0.0, 1.0), g)),
        "step_size_up": up,
        "step_size_down": down,
        "mode": mode,
        "gamma": data.draw(st.floats(0.9, 1.02)),
        "cycle_momentum": data.draw(st.booleans()),
        "base_momentum": data.draw(per_group(st.floats(0.5, 0.9), g)),
        "max_momentum": data.draw(per_group(st.floats(0.85, 0.99), g)),
    }
    if data.draw(st.booleans()):
        args["scale_fn"] = data.draw(st.sampled_from(["1 / (1 + 0.01 * x)", "0.99 ** x", "1.0"]))
        args["scale_mode"] = data.draw(st.sampled_from(["cycle", "iterations"]))
    if down is None:
        del args["step_size_down"]
    optimizer = data.draw(st.sampled_from(["sgd", "adam", "adamw"]))
    total = up + (up if down is None else down)
    n = min(MAX_N, 2 * total + data.draw(st.integers(1, 50)))
    check_against_torch(
        "CyclicLR", args, lrs, n, optimizer=optimizer, momentum=0.9, momentum_checked=args["cycle_momentum"]
    )


def test_cyclic_lr_triangular2_overflow_is_nan():
    """torch raises OverflowError once 2.0 ** (cycle − 1) overflows: cycle 1025."""
    args = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 1, "step_size_down": 0, "mode": "triangular2"}
    curve, theirs = check_against_torch("CyclicLR", args, [0.1], 1030, momentum_checked=True, replay=False)
    assert theirs.raised_at == 1024 and isinstance(theirs.error, OverflowError)
    assert any(m.kind == "end" and m.step == 1024 for m in curve.markers)


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_one_cycle_lr(lrs, data):
    g = len(lrs)
    args = {
        "max_lr": data.draw(per_group(st.floats(1e-4, 10.0), g)),
        "pct_start": data.draw(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.25, 0.3, 0.5, 1.0]))),
        "anneal_strategy": data.draw(st.sampled_from(["cos", "linear"])),
        "cycle_momentum": data.draw(st.booleans()),
        "base_momentum": data.draw(per_group(st.floats(0.5, 0.9), g)),
        "max_momentum": data.draw(per_group(st.floats(0.85, 0.99), g)),
        "div_factor": data.draw(st.floats(1.0, 100.0)),
        "final_div_factor": data.draw(st.floats(1.0, 1e5)),
        "three_phase": data.draw(st.booleans()),
    }
    if data.draw(st.booleans()):
        args["total_steps"] = total = data.draw(st.integers(1, 150))
    else:
        args["epochs"], args["steps_per_epoch"] = data.draw(st.integers(1, 10)), data.draw(st.integers(1, 15))
        total = args["epochs"] * args["steps_per_epoch"]
    optimizer = data.draw(st.sampled_from(["sgd", "adam"]))
    n = min(MAX_N, 2 * total + 2)
    try:
        evaluate(lrtui_plan("OneCycleLR", args, lrs, n))
    except SpecError as exc:
        # refused up front exactly when torch divides by zero within its total_steps
        assert exc.field == "OneCycleLR.pct_start"
        try:
            theirs = run_torch("OneCycleLR", torch_kwargs("OneCycleLR", args), lrs, total + 1)
        except ZeroDivisionError:
            return  # in the constructor's step
        assert isinstance(theirs.error, ZeroDivisionError), theirs.error
        return
    curve, theirs = check_against_torch(
        "OneCycleLR", args, lrs, n, optimizer=optimizer, momentum_checked=args["cycle_momentum"]
    )
    assert theirs.raised_at == total + 1 and isinstance(theirs.error, ValueError)
    assert any(m.kind == "end" and m.step == total for m in curve.markers)


def test_one_cycle_first_value_operation_order():
    curve = evaluate(lrtui_plan("OneCycleLR", {"max_lr": 1.0, "total_steps": 100}, [0.1], 3))
    # torch's exact float: max_lr + (max_lr/25 − max_lr)/2.0·2 (often shown rounded as 0.04000000000000004)
    assert curve.lr[0, 0] == 0.040000000000000036


@given(lrs=base_lrs, data=st.data())
@SETTINGS
def test_reduce_lr_on_plateau(lrs, data):
    g = len(lrs)
    args = {
        "mode": data.draw(st.sampled_from(["min", "max"])),
        "factor": data.draw(st.one_of(st.floats(0.0, 0.99), st.sampled_from([0.0, 0.1, 0.5]))),
        "patience": data.draw(st.integers(0, 8)),
        "threshold": data.draw(st.one_of(st.just(0.0), st.floats(0.0, 0.3), st.just(1e-4))),
        "threshold_mode": data.draw(st.sampled_from(["rel", "abs"])),
        "cooldown": data.draw(st.integers(0, 5)),
        "min_lr": data.draw(per_group(st.one_of(st.just(0.0), st.floats(0.0, 1e-3)), g)),
        "eps": data.draw(st.sampled_from([0.0, 1e-8, 1e-4])),
    }
    n = data.draw(st.integers(2, 300))
    if data.draw(st.booleans()):
        # a plateauing, tie-prone metric: small integer levels, drifting down or up, sometimes NaN/inf
        steps = data.draw(st.lists(st.sampled_from([-2, -1, -1, 0, 0, 0, 1]), min_size=1, max_size=n - 1))
        level = np.cumsum(steps) * data.draw(st.sampled_from([1.0, 0.01, -1.0])) + 100.0
        metric = tuple(float(x) for x in level)
        if data.draw(st.booleans()):
            metric = (*metric[:-1], data.draw(st.sampled_from([math.nan, math.inf, -math.inf])))
        torch_metric = list(metric) + [metric[-1]] * (n - 1 - len(metric))  # the last value repeats
    else:
        from lrtui.schedules.kinds.torch_plateau import synthetic_metric

        args.update(
            {
                "preview_start": data.draw(st.floats(-5, 5)),
                "preview_end": data.draw(st.floats(-5, 5)),
                "preview_tau": data.draw(st.floats(0.5, 100)),
                "preview_noise": data.draw(st.floats(0, 0.5)),
                "preview_seed": data.draw(st.integers(0, 2**32)),
            }
        )
        metric = None
        full = {
            "preview_start": 2.3,
            "preview_end": 0.4,
            "preview_tau": 30.0,
            "preview_noise": 0.02,
            "preview_seed": 0,
            **args,
        }
        torch_metric = synthetic_metric(full, n - 1).tolist()
    plan = lrtui_plan("ReduceLROnPlateau", args, lrs, n, metric=metric)
    curve = evaluate(plan)
    theirs = run_torch(
        "ReduceLROnPlateau", torch_kwargs("ReduceLROnPlateau", args), lrs, n, metric=torch_metric
    )
    assert theirs.raised_at is None
    assert_close(curve.lr, theirs.lr, "ReduceLROnPlateau values")
    assert_close(replay_step_maps(plan, n), theirs.lr, "ReduceLROnPlateau update-data replay")


def test_plateau_synthetic_reduces_and_is_horizon_independent():
    plan = lrtui_plan("ReduceLROnPlateau", {}, [0.1], 600)
    lr = evaluate(plan).lr[0]
    assert lr[0] == 0.1 and lr[-1] < 1e-6  # the synthetic curve plateaus, so the lr steps down
    assert_close(evaluate(lrtui_plan("ReduceLROnPlateau", {}, [0.1], 300)).lr, lr[None, :300], "prefix")


FRACTIONAL = {
    "LambdaLR": {"lr_lambda": "0.9 ** k"},
    "MultiplicativeLR": {"lr_lambda": "0.97"},
    "StepLR": {"step_size": 3, "gamma": 0.5},
    "MultiStepLR": {"milestones": [2, 5, 5], "gamma": 0.5},
    "ConstantLR": {"factor": 0.25, "total_iters": 3},
    "LinearLR": {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 4},
    "ExponentialLR": {"gamma": 0.8},
    "PolynomialLR": {"total_iters": 6, "power": 1.5},
    "CosineAnnealingLR": {"T_max": 4, "eta_min": 0.001},
    "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "triangular2"},
    "OneCycleLR": {"max_lr": 0.1, "total_steps": 12},
}


@pytest.mark.parametrize("kind", sorted(FRACTIONAL))
@given(lrs=base_lrs, spe=st.integers(1, 9), n=st.integers(2, 120))
@settings(max_examples=max(10, EXAMPLES // 5), deadline=None)
def test_fractional_stepping_uses_torchs_step_epoch_path(kind, lrs, spe, n):
    """scheduler.step(i / steps_per_epoch): torch's closed form where a class has one, else get_lr."""
    args = FRACTIONAL[kind]
    plan = lrtui_plan(kind, args, lrs, n, steps_per_epoch=spe, stepping="fractional")
    ours = evaluate(plan).lr
    theirs = run_torch(kind, torch_kwargs(kind, args), lrs, n, epochs=[i / spe for i in range(n)])
    upto = n if theirs.raised_at is None else theirs.raised_at
    assert_close(ours[:, :upto], theirs.lr, f"{kind} fractional")
    assert np.isnan(ours[:, upto:]).all()


@pytest.mark.parametrize("kind", sorted({*FRACTIONAL, "CosineAnnealingWarmRestarts", "ReduceLROnPlateau"}))
def test_values_at_any_steps_equal_the_full_curve(kind):
    """values(k) for shuffled or partial k (composites ask for those) agrees with the every-step fast path."""
    from lrtui.schedules import get_kind, resolve

    spec = parse(get_kind(kind).example)
    ctx = Plan(spec=spec, base_lrs=(0.1, 0.03), total_steps=400).context()
    bound = resolve(spec, ctx)
    full = bound.values(ctx, np.arange(400)).lr
    perm = np.random.default_rng(0).permutation(400)
    np.testing.assert_array_equal(bound.values(ctx, perm).lr, full[:, perm])
    np.testing.assert_array_equal(bound.values(ctx, np.arange(150, 400)).lr, full[:, 150:])
