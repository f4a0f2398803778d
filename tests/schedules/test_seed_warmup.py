"""The seed article's schedulers and the warmup wrappers against their real code.

Seed oracles are the article's own code (seed_oracles.py) stepped with real torch. The warmup libraries
(warmup_scheduler 0.3, pytorch_warmup 0.2) are used when importable; otherwise the golden curves they
produced (goldens/warmup_goldens.json, regenerate with make_warmup_goldens.py) stand in for them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seed_oracles import WarmupCosineLR, warm_up_cosine_lr_scheduler
from warmup_cases import CASES, make_optimizer, real_curve

from lrtui.schedules import Context, Plan, SpecError, evaluate, parse, planned_lrs, resolve
from lrtui.schedules.kinds.warmup import untuned_period
from lrtui.schedules.torch_bridge import build_stepper

EXAMPLES = int(os.environ.get("LRTUI_HYPOTHESIS_EXAMPLES", 100))
GOLDEN_FILE = Path(__file__).parent / "goldens" / "warmup_goldens.json"


def _libs():
    try:
        import pytorch_warmup
        import warmup_scheduler
    except ImportError:
        return None
    return {"warmup_scheduler": warmup_scheduler, "pytorch_warmup": pytorch_warmup}


LIBS = _libs()


def torch_curve(make, base, n, optimizer="sgd") -> np.ndarray:
    return real_curve(lambda o, _: make(o).step, base, optimizer, n, None)


def bridge_curve(spec, base, n, optimizer="sgd", **kw) -> np.ndarray:
    o = make_optimizer(base, optimizer)
    stepper = build_stepper(spec, o, total_steps=n, **kw)
    out = [stepper.lrs()]
    for i in range(1, n):
        o.step()
        stepper.on_step_end(i)
        out.append(stepper.lrs())
    return np.asarray(out, dtype=np.float64).T


def assert_close(got, want, rtol=1e-9):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    bad = np.abs(got - want) > rtol * np.abs(want)
    assert not bad.any(), f"first mismatch at {np.argwhere(bad)[0]}: {got[bad][:3]} vs {want[bad][:3]}"


# ----------------------------------------------------------------------------------------- seed 000
@pytest.mark.parametrize(
    "epochs, warm, eta_min", [(100, 30, 1e-9), (100, 5, 1e-9), (40, 1, 0.01), (100, 0, 1e-9), (50, -3, 1e-4)]
)
def test_seed_lambda_matches_the_article(epochs, warm, eta_min):
    n = 2 * epochs + 7  # past the nominal end: the cosine rises again
    want = torch_curve(
        lambda o: warm_up_cosine_lr_scheduler(o, epochs=epochs, warm_up_epochs=warm, eta_min=eta_min),
        [1e-4, 0.01],
        n,
    )
    spec = f"warm_up_cosine_lr_scheduler(epochs={epochs}, warm_up_epochs={warm}, eta_min={eta_min!r})"
    assert_close(planned_lrs(spec, [1e-4, 0.01], total_steps=n), want)
    assert_close(bridge_curve(spec, [1e-4, 0.01], n), want)


def test_seed_lambda_first_lr_is_nearly_zero():
    lr = planned_lrs("warm_up_cosine_lr_scheduler(epochs=100, warm_up_epochs=30)", [1e-4], total_steps=3)[0]
    assert lr[0] == pytest.approx(1e-13)  # base · eta_min: the article's "first epoch barely trains"


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    lr_min=st.sampled_from([0.0, 1e-9, 1e-4]),
    lr_max=st.sampled_from([1e-3, 0.1, 1.0]),
    warm_up=st.integers(0, 12),
    t_max=st.integers(1, 60),
    start_ratio=st.sampled_from([0.0, 0.1, 0.5]),
    groups=st.sampled_from([[0.1], [0.1, 0.5]]),
)
def test_warmup_cosine_class_matches_the_article(lr_min, lr_max, warm_up, t_max, start_ratio, groups):
    if t_max == warm_up:
        with pytest.raises(SpecError):
            resolve(parse(f"WarmupCosineLR({lr_min!r}, {lr_max!r}, {warm_up}, {t_max})"), Context())
        return
    n = int(2.5 * max(t_max, warm_up)) + 5
    want = torch_curve(lambda o: WarmupCosineLR(o, lr_min, lr_max, warm_up, t_max, start_ratio), groups, n)
    spec = (
        f"WarmupCosineLR(lr_min={lr_min!r}, lr_max={lr_max!r}, warm_up={warm_up}, T_max={t_max}, "
        f"start_ratio={start_ratio!r})"
    )
    assert_close(planned_lrs(spec, groups, total_steps=n), want)
    assert_close(bridge_curve(spec, groups, n), want)


def test_seed_article_example_pasted():
    # `WarmupCosineLR(optimizer, 1e-9, 1e-3, warm_up, epochs, 0.1)` with warm_up=5, epochs=100
    spec = parse("WarmupCosineLR(optimizer, 1e-9, 1e-3, 5, 100, 0.1)")
    want = torch_curve(lambda o: WarmupCosineLR(o, 1e-9, 1e-3, 5, 100, 0.1), [0.01], 100)
    assert_close(planned_lrs(spec, [0.01], total_steps=100), want)
    assert want[0, 0] == pytest.approx(1e-9 + (1e-3 - 1e-9) * 0.1 / 5)


def test_seed_epoch_stepping():
    spec = "warm_up_cosine_lr_scheduler(epochs=10, warm_up_epochs=2)"
    per_epoch = planned_lrs(spec, [0.1], total_steps=40, steps_per_epoch=4, stepping="epoch")
    assert_close(per_epoch, np.repeat(planned_lrs(spec, [0.1], total_steps=10), 4, axis=1))


# ----------------------------------------------------------------------------------------- warmup wrappers
def _want(spec, base, optimizer, n, build):
    golden = next(c for c in json.loads(GOLDEN_FILE.read_text())["cases"] if c["spec"] == spec)
    want = np.asarray(golden["values"], dtype=np.float64)
    if LIBS is not None:
        real = real_curve(build, base, optimizer, n, LIBS)
        assert_close(want, real, rtol=0)  # the goldens are what the libraries do
        want = real
    return want


@pytest.mark.parametrize("spec, base, optimizer, n, build", CASES, ids=[c[0][:60] for c in CASES])
def test_wrappers_match_the_libraries(spec, base, optimizer, n, build):
    want = _want(spec, base, optimizer, n, build)
    assert_close(planned_lrs(spec, base, total_steps=n, optimizer=optimizer), want)
    assert_close(bridge_curve(spec, base, n, optimizer), want)


def test_gradual_warmup_overshoot_and_plateau():
    cos = planned_lrs(
        "GradualWarmupScheduler(multiplier=10, total_epoch=5, after_scheduler=CosineAnnealingLR(T_max=5))",
        [0.1],
        total_steps=12,
    )[0]
    assert cos[5] == pytest.approx(1.0)
    assert cos[6] == pytest.approx(1.106, abs=5e-4)  # the reference page's overshoot
    step = planned_lrs(
        "GradualWarmupScheduler(multiplier=10, total_epoch=5, after_scheduler=StepLR(step_size=2))",
        [0.1],
        total_steps=12,
    )[0]
    assert step[5] == step[6] == step[7] == pytest.approx(1.0)  # the extra plateau step
    assert step[8] == pytest.approx(0.1)


def test_untuned_periods_follow_float_rounding():
    assert untuned_period(0.999, 2.0) == 1999
    assert untuned_period(0.999, 1.0) == 999
    lr = planned_lrs("UntunedLinearWarmup(beta2=0.999)", [1.0], total_steps=2001, optimizer="adam")[0]
    assert lr[1997] < 1.0 and lr[1998] == 1.0


def test_wrapper_markers():
    bound = resolve(
        parse("GradualWarmupScheduler(multiplier=10, total_epoch=5, after_scheduler=StepLR(step_size=4))"),
        Context(horizon=30),
    )
    marks = [(m.step, m.kind) for m in bound.markers(Context(horizon=30))]
    assert (5.0, "warmup_end") in marks and (6.0, "milestone") in marks and (10.0, "milestone") in marks
    lw = resolve(parse("LinearWarmup(warmup_period=100, schedule=CosineAnnealingLR(T_max=1000))"), Context())
    assert (99.0, "warmup_end") in [(m.step, m.kind) for m in lw.markers(Context())]


def test_epoch_stepping_of_a_wrapper():
    spec = "LinearWarmup(warmup_period=3, schedule=ExponentialLR(gamma=0.9))"
    plan = Plan(parse(spec), total_steps=12, steps_per_epoch=3, stepping="epoch")
    assert_close(evaluate(plan).lr, np.repeat(planned_lrs(spec, [0.1], total_steps=4), 3, axis=1))


@pytest.mark.parametrize(
    "spec, field",
    [
        ("GradualWarmupScheduler(multiplier=0.5, total_epoch=5)", "multiplier"),
        ("GradualWarmupScheduler(multiplier=2, total_epoch=0)", "total_epoch"),
        (
            "GradualWarmupScheduler(multiplier=2, total_epoch=3, after_scheduler=ReduceLROnPlateau())",
            "after_scheduler",
        ),
        (
            "GradualWarmupScheduler(multiplier=2, total_epoch=3, after_scheduler=ChainedScheduler([StepLR(step_size=2)]))",
            "after_scheduler",
        ),
        ("LinearWarmup(warmup_period=0)", "warmup_period"),
        ("LinearWarmup(warmup_period=5, schedule=ExponentialWarmup(warmup_period=3))", "schedule"),
        ("UntunedLinearWarmup(beta2=1.0)", "beta2"),
        ("WarmupCosineLR(lr_min=0.0, lr_max=0.1, warm_up=10, T_max=10)", "T_max"),
        ("warm_up_cosine_lr_scheduler(epochs=5, warm_up_epochs=5)", "epochs"),
    ],
)
def test_rejections_name_the_field(spec, field):
    with pytest.raises(SpecError) as err:
        resolve(parse(spec), Context())
    assert field in (err.value.field or "")


AFTERS = [
    None,
    "StepLR(step_size=3, gamma=0.5)",
    "CosineAnnealingLR(T_max=6, eta_min=0.001)",
    "CosineAnnealingLR(T_max=1)",
    "ExponentialLR(gamma=0.9)",
    "LinearLR(start_factor=0.5, total_iters=4)",
    "ConstantLR(factor=0.5, total_iters=2)",
    "PolynomialLR(total_iters=5, power=2.0)",
    "MultiplicativeLR(lr_lambda='0.9')",
    "LambdaLR(lr_lambda='0.9 ** k')",
    "CosineAnnealingWarmRestarts(T_0=3, T_mult=2)",
    "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=2)",
    "OneCycleLR(max_lr=1.0, total_steps=80)",
    "get_cosine_schedule_with_warmup(num_warmup_steps=2, num_training_steps=20)",
    "warm_up_cosine_lr_scheduler(epochs=20, warm_up_epochs=0)",
]


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    multiplier=st.sampled_from([1.0, 1.5, 10.0, 40.0]),
    total_epoch=st.integers(1, 8),
    after=st.sampled_from(AFTERS),
    groups=st.sampled_from([[0.1], [0.1, 0.01]]),
)
def test_gradual_warmup_curve_equals_the_port_stepped_by_torch(multiplier, total_epoch, after, groups):
    # the port is checked against the library itself above; this covers every after-scheduler kind
    spec = f"GradualWarmupScheduler(multiplier={multiplier!r}, total_epoch={total_epoch}" + (
        f", after_scheduler={after})" if after else ")"
    )
    n = 3 * total_epoch + 25
    assert_close(planned_lrs(spec, groups, total_steps=n), bridge_curve(spec, groups, n))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    kind=st.sampled_from(
        [
            "LinearWarmup(warmup_period={p}",
            "ExponentialWarmup(warmup_period={p}",
            "UntunedLinearWarmup(beta2={b}",
            "UntunedExponentialWarmup(beta2={b}",
        ]
    ),
    period=st.integers(1, 30),
    beta2=st.sampled_from([0.9, 0.95, 0.98]),
    inner=st.sampled_from(
        [
            *AFTERS[:-3],
            "SequentialLR([LinearLR(start_factor=0.1, total_iters=3), CosineAnnealingLR(T_max=10)], milestones=[3])",
        ]
    ),
    stepping=st.sampled_from(["step", "epoch"]),
)
def test_dampened_warmup_curve_equals_the_port(kind, period, beta2, inner, stepping):
    spec = kind.format(p=period, b=beta2) + (f", schedule={inner})" if inner else ")")
    n = 60
    want = bridge_curve(spec, [0.1, 0.01], n, "adam", stepping=stepping, steps_per_epoch=2)
    got = planned_lrs(
        spec, [0.1, 0.01], total_steps=n, stepping=stepping, steps_per_epoch=2, optimizer="adam"
    )
    assert_close(got, want)


def test_every_example_evaluates():
    from lrtui.schedules import get_kind

    for name in [
        "SequentialLR",
        "ChainedScheduler",
        "WarmupCosineLR",
        "warm_up_cosine_lr_scheduler",
        "GradualWarmupScheduler",
        "LinearWarmup",
        "ExponentialWarmup",
        "UntunedLinearWarmup",
        "UntunedExponentialWarmup",
    ]:
        kind = get_kind(name)
        assert kind.summary and kind.example
        lr = planned_lrs(kind.example, [0.1], total_steps=300, optimizer="adam")
        assert lr.shape == (1, 300) and np.all(np.isfinite(lr)), name
        assert str(parse(str(parse(kind.example)))) == str(parse(kind.example))
