"""The default horizon is the length a spec states, the same for the app, `lrtui plot` and plan files."""

from __future__ import annotations

import pytest

from lrtui.cli import build_parser
from lrtui.cli_schedules import build_plan
from lrtui.schedules import Plan, load_plan_file, parse
from lrtui.schedules.horizon import DEFAULT_STEPS, default_steps, stated_steps

CASES = [
    ("OneCycleLR(max_lr=0.1, total_steps=1000)", {}, 1000),
    ("OneCycleLR(max_lr=0.1, epochs=30, steps_per_epoch=391)", {}, 11730),
    ("OneCycleLR(max_lr=0.1, total_steps=30)", {"stepping": "epoch", "steps_per_epoch": 391}, 11730),
    ("get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=5000)", {}, 5000),
    ('get_scheduler("linear", num_warmup_steps=10, num_training_steps=400)', {}, 400),
    ("get_wsd_schedule(num_warmup_steps=100, num_stable_steps=700, num_decay_steps=200)", {}, 1000),
    ("CosineAnnealingLR(T_max=90)", {"stepping": "epoch", "steps_per_epoch": 100}, 9000),
    ("PolynomialLR(total_iters=300)", {}, 300),
    ("MultiStepLR(milestones=[30, 60, 80])", {}, 100),  # every milestone and one more interval
    (
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])",
        {},
        100,
    ),
    ("ChainedScheduler([LinearLR(total_iters=5), CosineAnnealingLR(T_max=300)])", {}, 300),
    ("CosineLRScheduler(t_initial=100, warmup_t=5, warmup_prefix=True)", {"steps_per_epoch": 10}, 1050),
    ("CosineLRScheduler(t_initial=10, cycle_limit=3, t_in_epochs=False)", {}, 30),
    ("CosineLRScheduler(t_initial=10, cycle_mul=2.0, cycle_limit=3, t_in_epochs=False)", {}, 70),
    ("LinearWarmup(warmup_period=10, schedule=CosineAnnealingLR(T_max=600))", {}, 600),
    (
        "GradualWarmupScheduler(multiplier=10, total_epoch=5, after_scheduler=CosineAnnealingLR(T_max=95))",
        {},
        100,
    ),
    # the SWA pattern: the first scheduler's own length (SWALR holds its swa_lr open-ended)
    (
        "SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[76])",
        {},
        100,
    ),
    ("SwitchLR([LinearLR(total_iters=5), PolynomialLR(total_iters=50)], milestones=[10])", {}, 60),
    ("Compound([CosineAnnealingLR(T_max=300), ReduceLROnPlateau(patience=3)])", {}, 300),
    (
        'Compound([LinearLR(start_factor=0.1, total_iters=20), PolynomialLR(total_iters=30)], every=["step", "epoch"])',
        {"steps_per_epoch": 10},
        300,
    ),
    (
        "warm_up_cosine_lr_scheduler(epochs=50, warm_up_epochs=5)",
        {"stepping": "epoch", "steps_per_epoch": 2},
        100,
    ),
]


@pytest.mark.parametrize("spec,kw,steps", CASES)
def test_the_length_a_spec_states_in_optimizer_steps(spec, kw, steps):
    assert stated_steps(Plan(parse(spec), **kw)) == steps


@pytest.mark.parametrize(
    "spec",
    [
        "StepLR(step_size=30)",
        "ExponentialLR(gamma=0.9)",
        "CyclicLR(base_lr=0.01, max_lr=0.1)",
        "SWALR(swa_lr=0.05, anneal_epochs=10)",
        # the cosine ends before the switch: a horizon hiding the switch is not the one the spec means
        "SwitchLR([CosineAnnealingLR(T_max=50), SWALR(swa_lr=0.05)], milestones=[80])",
        'Compound([StepLR(step_size=3), ReduceLROnPlateau(patience=3)], every=["step", "epoch"])',
    ],
)
def test_open_ended_schedules_get_the_default(spec):
    assert stated_steps(Plan(parse(spec))) is None and default_steps(Plan(parse(spec))) == DEFAULT_STEPS


def _cli_plan(*argv: str) -> Plan:
    args = build_parser().parse_args(["plot", *argv])
    return build_plan(args.spec, args)


@pytest.mark.parametrize("spec,kw,steps", [c for c in CASES if not c[1]])
def test_app_and_plot_open_a_spec_on_the_same_horizon(spec, kw, steps):
    from lrtui.screens.preview import load_initial

    plan, error, _ = load_initial(spec)
    assert error is None
    assert plan.total_steps == _cli_plan(spec).total_steps == steps


def test_given_horizons_win_and_plan_files_without_one_follow_the_spec(tmp_path):
    spec = "OneCycleLR(max_lr=0.1, total_steps=250)"
    assert _cli_plan(spec, "--steps", "400").total_steps == 400
    assert _cli_plan(spec, "--epochs", "3", "--steps-per-epoch", "100").total_steps == 300
    assert (
        _cli_plan("CosineAnnealingLR(T_max=40)", "--stepping", "epoch", "--steps-per-epoch", "10").total_steps
        == 400
    )
    bare = tmp_path / "bare.toml"
    bare.write_text(f'schedule = "{spec}"\nlr = 0.05\n')
    assert load_plan_file(bare).total_steps == 250 == _cli_plan(str(bare)).total_steps
    given = tmp_path / "given.toml"
    given.write_text(f'schedule = "{spec}"\nsteps = 900\n')
    assert load_plan_file(given).total_steps == 900 == _cli_plan(str(given)).total_steps
