"""The schedule doctor: each common mistake is found, with a concrete fix; valid plans never raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.schedules import Plan, parse
from lrtui.schedules.catalogue import get_kind, kinds
from lrtui.schedules.lint import Lint, lint


def _lints(spec: str, steps: int = 100, **kw) -> dict[str, Lint]:
    found = {x.code: x for x in lint(Plan(parse(spec), total_steps=steps, **kw))}
    assert "internal" not in found, found.get("internal")
    return found


def test_t_max_ignores_warmup():
    x = _lints(
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=100)], "
        "milestones=[5])"
    )["t_max_ignores_warmup"]
    assert x.severity == "warning"
    assert "T_max=100 but warmup is 5 of 100 steps" in x.message and x.fix == "use T_max=95"
    assert "t_max_ignores_warmup" not in _lints(
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])"
    )


def test_milestone_mismatch_measures_the_jump():
    x = _lints(
        "SequentialLR([ConstantLR(factor=0.1, total_iters=50), StepLR(step_size=10)], milestones=[20])"
    )["milestone_mismatch"]
    assert "jumps from 0.01 to 0.1" in x.message and x.fix == "use milestones[0]=50" and x.step == 20


def test_cosine_past_t_max_rises():
    x = _lints("CosineAnnealingLR(T_max=20)")["cosine_rises_after_t_max"]
    assert "climbs back up" in x.message and "T_max=100" in x.fix
    assert "cosine_rises_after_t_max" not in _lints("CosineAnnealingLR(T_max=100)")
    assert "cosine_rises_after_t_max" in _lints(
        "get_cosine_schedule_with_warmup(num_warmup_steps=5, num_training_steps=50)"
    )


def test_onecycle_counted_in_batches_stepped_per_epoch():
    x = _lints("OneCycleLR(max_lr=0.1, total_steps=1000)", steps=1000, stepping="epoch", steps_per_epoch=100)[
        "onecycle_stepped_per_epoch"
    ]
    assert x.severity == "error" and "never anneals" in x.message and "every batch" in x.fix
    past = _lints("OneCycleLR(max_lr=0.1, total_steps=50)")
    assert "onecycle_past_total" in past and "non_finite" not in past


def test_cyclic_momentum_switched_on():
    x = _lints("CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=20)", momentum=None)["momentum_switched_on"]
    assert x.severity == "warning" and "cycle_momentum=False" in x.fix
    x = _lints("CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=20)", optimizer="adam")[
        "momentum_overridden"
    ]
    assert "beta1" in x.message
    assert not {"momentum_switched_on", "momentum_overridden"} & set(
        _lints("CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=20, cycle_momentum=False)")
    )


def test_transformers_warmup_from_zero_and_zero_tail():
    lints = _lints("get_linear_schedule_with_warmup(num_warmup_steps=10, num_training_steps=50)")
    assert lints["warmup_starts_at_zero"].severity == "info"
    zero = lints["lr_zero"]
    assert "50 steps" in zero.message and zero.severity == "warning"
    assert "warmup_ignored" in _lints('get_scheduler("constant", num_warmup_steps=10)')


def test_timm_quirks():
    x = _lints("CosineLRScheduler(t_initial=100, warmup_t=10, warmup_lr_init=1e-4)")["timm_warmup_overlaps"]
    assert "never reaches" in x.message and x.fix == "set warmup_prefix=True"
    assert "timm_warmup_overlaps" not in _lints(
        "CosineLRScheduler(t_initial=100, warmup_t=10, warmup_lr_init=1e-4, warmup_prefix=True)"
    )
    x = _lints("MultiStepLRScheduler(decay_t=[30, 60])")["timm_multistep_early"]
    assert "t=[29, 59]" in x.message and "decay_t=[31, 61]" in x.fix
    assert "timm_cycle_mul_below_one" in _lints(
        "CosineLRScheduler(t_initial=20, cycle_mul=0.5, cycle_limit=9)"
    )
    assert "plateau_mode_max" in _lints("PlateauLRScheduler()")


def test_seed_lambda_warmup_first_epoch_near_zero():
    text = (
        'LambdaLR(lr_lambda="lambda epoch: 1e-9 + (epoch / 5) if epoch <= 5 else '
        '0.5 * (np.cos((epoch - 5) / (100 - 5) * np.pi) + 1)")'
    )
    x = _lints(text, steps=1000, stepping="epoch", steps_per_epoch=10)["first_lr_near_zero"]
    assert x.severity == "warning" and "first epoch" in x.message and "(k + 1)" in x.fix


def test_non_finite_names_the_python_error():
    x = _lints('LambdaLR(lr_lambda="1 / k")')["non_finite"]
    assert x.severity == "error" and "ZeroDivisionError" in x.message and "max(k, 1)" in x.fix


def test_never_decays_and_invalid():
    assert "never_decays" in _lints("StepLR(step_size=300)")
    assert "never_decays" not in _lints("StepLR(step_size=30)")
    (bad,) = lint(
        Plan(
            parse(
                "get_polynomial_decay_schedule_with_warmup(num_warmup_steps=1, num_training_steps=10, "
                "lr_end=0.5)"
            )
        )
    )
    assert bad.code == "invalid" and bad.severity == "error" and "lr_end" in bad.message


def test_constantlr_factor_zero_is_refused_up_front():
    # torch accepts factor=0, then divides by it at total_iters (ZeroDivisionError): refused, not linted
    (bad,) = lint(Plan(parse("ConstantLR(factor=0, total_iters=5)")))
    assert bad.code == "invalid" and "factor" in bad.path


def test_gradual_warmup_overshoot_measured_from_the_curve():
    x = _lints(
        "GradualWarmupScheduler(multiplier=10, total_epoch=5, after_scheduler=CosineAnnealingLR(T_max=5))",
        steps=20,
        base_lrs=(0.1,),
        stepping="epoch",
    )
    assert "warmup_overshoot" in x and "10.56% above" in x["warmup_overshoot"].message


def test_info_lints_on_absolute_and_seed_kinds():
    assert "resume_order" in _lints(
        "get_cosine_schedule_with_warmup(num_warmup_steps=5, num_training_steps=100)"
    )
    assert "get_lr_vs_get_last_lr" in _lints("WarmupCosineLR(lr_min=1e-9, lr_max=1e-3, warm_up=5, T_max=100)")


def test_every_example_lints_without_raising():
    for kind in kinds():
        assert kind.example, kind.name
        for stepping in ("step", "epoch"):
            plan = Plan(parse(kind.example), total_steps=300, steps_per_epoch=3, stepping=stepping)
            out = lint(plan)
            assert all(
                isinstance(x, Lint) and x.severity in ("error", "warning", "info") and x.fix for x in out
            )
            assert not [x for x in out if x.code == "internal"], (kind.name, out)


def test_a_rule_that_raises_is_an_internal_lint(monkeypatch):
    kind = get_kind("StepLR")

    def broken(node, doc):
        raise KeyError("no such argument")

    monkeypatch.setattr(kind, "lints", broken)
    (x,) = [x for x in lint(Plan(parse("StepLR(step_size=30)"))) if x.code == "internal"]
    assert x.severity == "error" and "StepLR.lints" in x.message and "KeyError" in x.message
    assert x.path == "StepLR"


def test_order_of_schedulers_stepped_together():
    found = _lints('ChainedScheduler([ExponentialLR(gamma=0.9), LambdaLR(lr_lambda="0.99 ** k")])')
    x = found["overwritten_each_step"]
    assert "ExponentialLR is stepped before LambdaLR" in x.message and x.path.endswith("schedulers[0]")
    found = _lints('ChainedScheduler([LambdaLR(lr_lambda="0.99 ** k"), ExponentialLR(gamma=0.9)])')
    assert "no_compounding" in found and "overwritten_each_step" not in found
    found = _lints(
        "Compound([ReduceLROnPlateau(patience=2), OneCycleLR(max_lr=0.1, total_steps=200)])", steps=100
    )
    assert "reductions are overwritten" in found["overwritten_each_step"].message
    found = _lints("Compound([ReduceLROnPlateau(patience=2, min_lr=0.001), ExponentialLR(gamma=0.99)])")
    assert "min_lr_not_a_floor" in found and "plateau_synthetic_metric" in found
    assert "no_compounding" not in found  # the plateau multiplies the lr: it does not set it
    # a plateau after a scheduler that sets the lr: each reduction lasts one step (also at epoch ends)
    found = _lints(
        'Compound([LambdaLR(lr_lambda="0.99 ** k"), ReduceLROnPlateau(patience=0)], every=["step", "epoch"])'
    )
    x = found["reduction_undone"]
    assert "lasts until LambdaLR's next step()" in x.message and x.path.endswith("schedulers[1]")


def test_the_switch_pattern():
    # OneCycleLR's constructor, run before the loop, moves the lr to max_lr / div_factor
    found = _lints(
        "SwitchLR([StepLR(step_size=10), OneCycleLR(max_lr=1.0, total_steps=100)], milestones=[50])",
        base_lrs=(0.5,),
    )
    x = found["built_up_front_moves_lr"]
    assert "OneCycleLR's constructor" in x.message and "0.04" in x.message and "not from 0.5" in x.message
    assert "built_up_front_moves_lr" in _lints(
        "SwitchLR([StepLR(step_size=10), SWALR(swa_lr=0.01, anneal_epochs=0)], milestones=[50])"
    )
    found = _lints('SwitchLR([StepLR(step_size=10), LambdaLR(lr_lambda="1.0")], milestones=[50])', steps=100)
    assert "switch_jump" in found and "own formula" in found["switch_jump"].message
    assert "switch_jump" not in _lints(
        "SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[76])"
    )


def test_swalr_lints():
    found = _lints(
        "SwitchLR([SWALR(swa_lr=0.05, anneal_epochs=5), SWALR(swa_lr=0.01, anneal_epochs=5)], milestones=[20])"
    )
    assert "swa_lr_shared" in found
    found = _lints("SwitchLR([StepLR(step_size=30), SWALR(swa_lr=0.01, anneal_epochs=5)], milestones=[50])")
    assert "swa_anneal_in_steps" in found


def test_surprising_but_valid_values():
    found = _lints(
        "CyclicLR(base_lr=1, max_lr=5, step_size_up=4, base_momentum=1, max_momentum=5)"  # torch's own test
    )
    assert found["momentum_out_of_range"].severity == "error"
    assert "negative_lr" in _lints("CosineAnnealingLR(T_max=10, eta_min=-0.01)", steps=20)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(
        [
            "CosineAnnealingLR(T_max={a})",
            "StepLR(step_size={a})",
            "get_linear_schedule_with_warmup({b}, {a})",
            "CosineLRScheduler(t_initial={a}, warmup_t={b})",
            "get_wsd_schedule(num_warmup_steps={b}, num_decay_steps={a}, num_training_steps={a})",
        ]
    ),
    st.integers(1, 400),
    st.integers(0, 50),
    st.integers(1, 600),
    st.sampled_from(["step", "epoch"]),
)
def test_lint_never_raises(template, a, b, steps, stepping):
    plan = Plan(parse(template.format(a=a, b=b)), total_steps=steps, steps_per_epoch=7, stepping=stepping)
    for x in lint(plan):
        assert x.message and x.fix
