"""The monitor's pure data shaping: debiased EMA, LR-mismatch classification, planned line from a config.

LR mismatches are produced by REAL torch training loops that make the classic mistakes (scheduler stepped
before the optimizer, per epoch instead of per step, a T_max sized for another run) — the checker must name
each one from the logged LRs alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.widgets.runs.model import (
    EmaCache,
    LrCheck,
    check_lr,
    debiased_ema,
    format_age,
    format_duration,
    planned_from_config,
    progress_of,
)


def _reference_ema(x, beta):
    num = den = 0.0
    out = []
    for v in x:
        ok = math.isfinite(v)
        num = beta * num + (v if ok else 0.0)
        den = beta * den + (1.0 if ok else 0.0)
        out.append(num / den if den > 0 else math.nan)
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-1e3, 1e3), st.just(math.nan), st.just(math.inf)), min_size=0, max_size=700),
    st.sampled_from([0.0, 0.5, 0.9, 0.98, 0.999]),
)
def test_ema_is_the_debiased_recursion_and_skips_nonfinite(values, beta):
    got = debiased_ema(values, beta)
    want = _reference_ema(values, beta)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_ema_debiasing_starts_at_the_first_value_not_zero():
    ema = debiased_ema([2.0, 2.0, 2.0], 0.99)
    np.testing.assert_allclose(ema, [2.0, 2.0, 2.0])


def test_ema_cache_extends_incrementally_and_restarts_on_new_beta_or_source():
    x = np.random.default_rng(0).normal(size=3000)
    cache = EmaCache()
    for n in (1, 64, 65, 1000, 2999, 3000):
        out = cache.update(x[:n], 0.95, source_id=1)
    np.testing.assert_allclose(out, debiased_ema(x, 0.95), rtol=1e-12)
    np.testing.assert_allclose(cache.update(x, 0.5, source_id=1), debiased_ema(x, 0.5), rtol=1e-12)
    y = x[::-1].copy()
    np.testing.assert_allclose(cache.update(y, 0.5, source_id=2), debiased_ema(y, 0.5), rtol=1e-12)


# ------------------------------------------------------------------------------------- LR mismatch (torch)
torch = pytest.importorskip("torch")

SPE, EPOCHS = 10, 6
TOTAL = SPE * EPOCHS


def _loop(make_scheduler, *, step_before=False, per_epoch=False, base_lr=0.1):
    """A real training loop (1 param, SGD); returns the LR each optimizer.step() used, per step."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr, momentum=0.9)
    sched = make_scheduler(opt)
    lrs = []
    for _epoch in range(EPOCHS):
        for _ in range(SPE):
            if step_before and not per_epoch:
                sched.step()
            lrs.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            param.sum().backward()
            opt.step()
            if not step_before and not per_epoch:
                sched.step()
        if per_epoch:
            sched.step()
    return np.array(lrs)


def _plan(spec, stepping="step", base=0.1):
    config = {
        "optimizer": {"name": "sgd", "lr": base, "momentum": 0.9},
        "epochs": EPOCHS,
        "schedule": {"spec": spec, "stepping": stepping, "steps_per_epoch": SPE, "total_steps": TOTAL},
    }
    planned = planned_from_config(config)
    assert planned.lr is not None, planned.reason
    return planned.lr[0]


STEPS = np.arange(TOTAL)
COSINE = "get_cosine_schedule_with_warmup(num_warmup_steps=10, num_training_steps=60)"


def _cosine_warmup(total):
    from torch.optim.lr_scheduler import LambdaLR

    def factor(k):
        if k < 10:
            return k / 10
        progress = (k - 10) / max(1, total - 10)
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))

    return lambda opt: LambdaLR(opt, factor)


def test_correct_loop_matches_the_plan():
    check = check_lr(STEPS, _loop(_cosine_warmup(TOTAL)), _plan(COSINE), SPE)
    assert check.ok and check.compared == TOTAL
    assert "matches" in check.message()


@pytest.mark.filterwarnings("ignore:Detected call of")
def test_scheduler_stepped_before_optimizer_is_called_shifted():
    check = check_lr(STEPS, _loop(_cosine_warmup(TOTAL), step_before=True), _plan(COSINE), SPE)
    assert check.kind == "shifted"
    assert check.first_step == 0
    assert "before the optimizer" in check.message()


def test_per_epoch_stepping_of_a_per_step_schedule_is_named():
    check = check_lr(STEPS, _loop(_cosine_warmup(TOTAL), per_epoch=True), _plan(COSINE), SPE)
    assert check.kind == "per_epoch"
    assert "per epoch" in check.message()


def test_per_step_stepping_of_a_per_epoch_schedule_is_named():
    from torch.optim.lr_scheduler import StepLR

    lrs = _loop(lambda opt: StepLR(opt, step_size=2, gamma=0.5))  # stepped every optimizer step
    check = check_lr(STEPS, lrs, _plan("StepLR(step_size=2, gamma=0.5)", stepping="epoch"), SPE)
    assert check.kind == "per_step"


def test_schedule_sized_for_another_run_diverges_later():
    lrs = _loop(_cosine_warmup(3 * TOTAL))  # num_training_steps three times too long
    check = check_lr(STEPS, lrs, _plan(COSINE), SPE)
    assert check.kind == "wrong_total"
    assert check.first_step >= 10  # the warmup agrees
    assert "another run length" in check.message()


def test_different_base_lr_is_called_scaled():
    lrs = _loop(_cosine_warmup(TOTAL), base_lr=0.3)
    check = check_lr(STEPS, lrs, _plan(COSINE), SPE)
    assert check.kind == "scaled"
    assert "× 3" in check.message()


def test_sparse_logging_and_nan_and_points_past_the_plan_are_tolerated():
    planned = _plan(COSINE)
    steps = np.array([0, 7, 30, 59, 60, 61])
    actual = np.append(planned[[0, 7, 30, 59]], [np.nan, 123.0])
    assert check_lr(steps, actual, planned, SPE).ok


def test_unrelated_lr_is_other():
    planned = _plan(COSINE)
    actual = np.full(TOTAL, 0.123)
    assert check_lr(STEPS, actual, planned, SPE).kind in ("other", "scaled")
    actual = np.random.default_rng(0).uniform(0.01, 1, TOTAL)
    assert check_lr(STEPS, actual, planned, SPE).kind == "other"


# ----------------------------------------------------------------------------------------- configs
@pytest.mark.parametrize(
    "config, reason",
    [
        ({}, "no schedule"),
        ({"schedule": "StepLR(step_size=2)"}, "no base LR"),
        ({"schedule": {"spec": 42}, "optimizer": {"lr": 0.1}}, "no schedule spec"),
        (
            {"schedule": {"spec": "NoSuchLR(x=1)", "total_steps": 10}, "optimizer": {"lr": 0.1}},
            "not understood",
        ),
        (
            {"schedule": {"spec": "StepLR(step_size=0)", "total_steps": 10}, "optimizer": {"lr": 0.1}},
            "not understood",
        ),
        ({"schedule": {"spec": "StepLR(step_size=2)"}, "optimizer": {"lr": 0.1}}, "total_steps"),
        ({"schedule": ["not", "a", "dict"], "optimizer": {"lr": 0.1}}, "no schedule"),
        ("not a dict", "no config"),
    ],
)
def test_malformed_configs_give_a_reason_never_an_exception(config, reason):
    planned = planned_from_config(config)
    assert planned.lr is None
    assert reason in planned.reason


def test_empty_spec_is_a_constant_lr_and_groups_are_broadcast():
    config = {"optimizer": {"lr": 0.05}, "schedule": {"spec": "", "total_steps": 5}}
    np.testing.assert_allclose(planned_from_config(config, logged_groups=2).lr, np.full((2, 5), 0.05))


def test_user_runs_without_a_horizon_use_the_fallback():
    config = {"optimizer": {"lr": 0.1}, "schedule": {"spec": "StepLR(step_size=3, gamma=0.5)"}}
    planned = planned_from_config(config, fallback_total=1024)
    assert planned.lr.shape == (1, 1024)
    assert planned.lr[0, 3] == pytest.approx(0.05)


def test_progress_eta_and_throughput():
    steps = np.arange(100)
    times = [(49, 1000.0), (99, 1010.0)]  # 50 steps in 10 s
    config = {"epochs": 4, "batch_size": 10, "schedule": {"steps_per_epoch": 50}}
    p = progress_of(steps, times, [{"epoch": 0, "test_acc": 0.5}], config, live=True)
    assert (p.step, p.total_steps, p.epoch, p.total_epochs) == (100, 200, 1, 4)
    assert p.images_per_s == pytest.approx(50.0)
    assert p.eta_s == pytest.approx(20.0)
    assert progress_of(steps, times, [], config, live=False).eta_s is None


def test_text_helpers():
    assert format_duration(3725) == "1h02m"
    assert format_duration(None) == "—"
    assert format_age(5) == "just now"
    assert format_age(3 * 3600 + 5) == "3h ago"


def test_alarm_numbers_have_enough_digits_to_differ():
    """The issue's alarm: 'logged 0.1 vs planned 0.1 — differs from the plan' (".4g" of 0.1 and 0.09999...)."""
    check = LrCheck(kind="per_epoch", first_step=1, actual=0.1, planned=0.09999753)
    assert "logged 0.1 vs planned 0.099998" in check.message()
    check = LrCheck(kind="other", first_step=7, actual=0.0123456789, planned=0.0123456781)
    assert "logged 0.012345679 vs planned 0.012345678" in check.message()
