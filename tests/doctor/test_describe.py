"""Live scheduler objects of the real libraries -> catalogue specs, checked by stepping the objects themselves."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lrtui.schedules import planned_lrs  # noqa: E402
from lrtui.schedules.describe import describe_scheduler  # noqa: E402

L = torch.optim.lr_scheduler
swa_utils = torch.optim.swa_utils
N = 90


def _opt(lr=0.1, groups=1):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    return torch.optim.SGD(
        [{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(params)], lr=lr, momentum=0.9
    )


def _stepped(make, n=N, timm_updates=False):
    """The LR of every group before each of n updates, stepping the real object as a training loop does."""
    opt = _opt()
    sched = make(opt)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(n):
            out.append([g["lr"] for g in opt.param_groups])
            opt.step()
            if timm_updates:
                sched.step_update(k + 1)
            else:
                sched.step()
    return np.array(out).T


TORCH = {
    "StepLR(step_size=7, gamma=0.5)": lambda o: L.StepLR(o, 7, 0.5),
    "MultiStepLR(milestones=[5, 5, 12], gamma=0.3)": lambda o: L.MultiStepLR(o, [12, 5, 5], 0.3),
    "ConstantLR(factor=0.25, total_iters=6)": lambda o: L.ConstantLR(o, 0.25, 6),
    "LinearLR(start_factor=0.1, end_factor=0.9, total_iters=13)": lambda o: L.LinearLR(o, 0.1, 0.9, 13),
    "ExponentialLR(gamma=0.97)": lambda o: L.ExponentialLR(o, 0.97),
    "PolynomialLR(total_iters=40, power=1.7)": lambda o: L.PolynomialLR(o, 40, 1.7),
    "CosineAnnealingLR(T_max=33, eta_min=0.0001)": lambda o: L.CosineAnnealingLR(o, 33, 1e-4),
    "CosineAnnealingWarmRestarts(T_0=9, T_mult=2, eta_min=1e-05)": lambda o: L.CosineAnnealingWarmRestarts(
        o, 9, 2, 1e-5
    ),
    'CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=5, mode="triangular2")': lambda o: (
        L.CyclicLR(o, 0.01, 0.1, 7, 5, mode="triangular2")
    ),
    'CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=7, mode="exp_range", gamma=0.99)': lambda o: (
        L.CyclicLR(o, 0.01, 0.1, 7, mode="exp_range", gamma=0.99)
    ),
    "OneCycleLR(max_lr=0.3, total_steps=101, pct_start=0.27)": lambda o: L.OneCycleLR(
        o, 0.3, total_steps=101, pct_start=0.27
    ),
    'OneCycleLR(max_lr=0.3, total_steps=90, anneal_strategy="linear", div_factor=10.0, three_phase=True)': lambda o: (
        L.OneCycleLR(
            o, 0.3, epochs=10, steps_per_epoch=9, three_phase=True, anneal_strategy="linear", div_factor=10.0
        )
    ),
    "SequentialLR([LinearLR(start_factor=0.1), CosineAnnealingLR(T_max=60)], milestones=[5])": lambda o: (
        L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingLR(o, 60)], [5])
    ),
    "ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)])": lambda o: (
        L.ChainedScheduler([L.ConstantLR(o, 0.1, 2), L.ExponentialLR(o, 0.9)])
    ),
    'SWALR(swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")': lambda o: swa_utils.SWALR(
        o, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear"
    ),
    "SWALR(swa_lr=0.01)": lambda o: swa_utils.SWALR(o, 0.01),
}


@pytest.mark.parametrize("spec", sorted(TORCH))
def test_torch_schedulers_are_read_exactly(spec):
    d = describe_scheduler(TORCH[spec](_opt()))
    assert d.exact and d.spec == spec, d
    assert d.library == "torch" and d.last_epoch in (0, None) and d.base_lrs
    real = _stepped(TORCH[spec])
    ours = planned_lrs(d.spec, d.base_lrs, total_steps=N)
    np.testing.assert_allclose(ours, real, rtol=1e-9, atol=0)


def test_per_group_base_lrs_and_lists():
    def make(o):
        return L.OneCycleLR(o, max_lr=[0.3, 0.6], total_steps=N)

    opt = _opt(groups=2)
    d = describe_scheduler(make(opt))
    assert d.spec == "OneCycleLR(max_lr=[0.3, 0.6], total_steps=90)" and len(d.base_lrs) == 2


transformers = pytest.importorskip("transformers")

HF = {
    "get_cosine_schedule_with_warmup(num_warmup_steps=10, num_training_steps=70)": ("cosine", {}),
    "get_linear_schedule_with_warmup(num_warmup_steps=10, num_training_steps=70)": ("linear", {}),
    "get_cosine_with_hard_restarts_schedule_with_warmup(num_warmup_steps=10, num_training_steps=70, num_cycles=3)": (
        "cosine_with_restarts",
        {"num_cycles": 3},
    ),
    "get_polynomial_decay_schedule_with_warmup(num_warmup_steps=10, num_training_steps=70, power=2.0)": (
        "polynomial",
        {"power": 2.0},
    ),
    "get_constant_schedule_with_warmup(num_warmup_steps=10)": ("constant_with_warmup", {}),
    "get_inverse_sqrt_schedule(num_warmup_steps=10, timescale=10)": ("inverse_sqrt", {}),
    "get_cosine_with_min_lr_schedule_with_warmup(num_warmup_steps=10, num_training_steps=70, min_lr_rate=0.1)": (
        "cosine_with_min_lr",
        {"min_lr_rate": 0.1},
    ),
    "get_wsd_schedule(num_warmup_steps=10, num_stable_steps=40, num_decay_steps=20)": (
        "warmup_stable_decay",
        {"num_decay_steps": 20},
    ),
    "get_constant_schedule()": ("constant", {}),
}


@pytest.mark.parametrize("spec", sorted(HF))
def test_transformers_schedules_are_named_by_their_lambda(spec):
    name, kwargs = HF[spec]

    def make(o):
        return transformers.get_scheduler(
            name, o, num_warmup_steps=10, num_training_steps=70, scheduler_specific_kwargs=kwargs
        )

    d = describe_scheduler(make(_opt()))
    assert d.exact and d.spec == spec, d
    np.testing.assert_allclose(planned_lrs(d.spec, d.base_lrs, total_steps=N), _stepped(make), rtol=1e-9)


timm_scheduler = pytest.importorskip("timm.scheduler")


@pytest.mark.parametrize(
    "make",
    [
        lambda o: timm_scheduler.CosineLRScheduler(
            o, t_initial=50, warmup_t=5, warmup_lr_init=1e-4, t_in_epochs=False
        ),
        lambda o: timm_scheduler.StepLRScheduler(o, decay_t=10, decay_rate=0.5, t_in_epochs=False),
        lambda o: timm_scheduler.MultiStepLRScheduler(o, decay_t=[10, 30], decay_rate=0.5, t_in_epochs=False),
    ],
)
def test_timm_schedulers(make):
    d = describe_scheduler(make(_opt()))
    assert d.exact and d.library == "timm" and d.t_in_epochs is False and d.last_epoch is None
    np.testing.assert_allclose(
        planned_lrs(d.spec, d.base_lrs, total_steps=N), _stepped(make, timm_updates=True), rtol=1e-9
    )


def test_gradual_warmup_wrapper():
    ws = pytest.importorskip("warmup_scheduler")

    def make(o):
        return ws.GradualWarmupScheduler(
            o, multiplier=4, total_epoch=5, after_scheduler=L.CosineAnnealingLR(o, 30)
        )

    d = describe_scheduler(make(_opt()))
    assert (
        d.spec
        == "GradualWarmupScheduler(multiplier=4, total_epoch=5, after_scheduler=CosineAnnealingLR(T_max=30))"
    )
    np.testing.assert_allclose(planned_lrs(d.spec, d.base_lrs, total_steps=N), _stepped(make), rtol=1e-9)


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda o: L.LambdaLR(o, lambda k: 0.9**k), "LambdaLR over a lambda: its formula cannot be read"),
        (lambda o: L.MultiplicativeLR(o, lambda k: 0.95), "MultiplicativeLR over a lambda"),
        (lambda o: L.CyclicLR(o, 0.01, 0.1, 5, scale_fn=lambda x: 0.5), "custom scale_fn"),
        (lambda o: L.LambdaLR(o, [lambda k: 1.0]), "LambdaLR over a lambda"),
    ],
)
def test_what_cannot_be_read_says_why_and_falls_back_to_inference(make, why):
    d = describe_scheduler(make(_opt()))
    assert not d.exact and d.spec is None
    assert why in d.reason and "inferred from the logged LR" in d.reason


def test_not_a_scheduler_never_raises():
    d = describe_scheduler(object())
    assert not d.exact and "not a scheduler lrtui knows" in d.reason


# ------------------------------------------------------------------------------------------- RunLogger
def test_readme_example_has_a_plan(tmp_path):
    """The README's RunLogger example, as written there (a spec, no base LR in the config): the monitor
    and the doctor get a plan (they said "no plan: config has no base LR")."""
    import json

    from lrtui import RunLogger
    from lrtui.widgets.runs.model import planned_from_config

    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = L.OneCycleLR(optimizer, max_lr=0.1, total_steps=50)
    with RunLogger(
        {
            "model": "mynet",
            "schedule": {
                "spec": "OneCycleLR(max_lr=0.1, total_steps=50)",
                "stepping": "step",
                "total_steps": 50,
            },
        },
        runs_dir=tmp_path,
    ) as run:
        for step in range(50):
            run.log_optimizer(step, optimizer, loss=0.0)
            optimizer.step()
            if step < 49:
                scheduler.step()
    config = json.loads((run.run_dir / "config.json").read_text())
    planned = planned_from_config(config)
    assert planned.lr is not None, planned.reason
    logged = [g["lr"] for g in optimizer.param_groups]
    assert np.isclose(planned.lr[0][49], logged[0])


def test_runlogger_records_the_scheduler_and_the_doctor_uses_it(tmp_path):
    import json

    from lrtui import RunLogger
    from lrtui.doctor import doctor_run

    opt = _opt(0.05)
    sched = transformers.get_scheduler("cosine", opt, num_warmup_steps=5, num_training_steps=40)
    with RunLogger({"model": "m"}, runs_dir=tmp_path, scheduler=sched, steps_per_epoch=8) as run:
        for step in range(40):
            run.log_optimizer(step, opt)
            opt.step()
            sched.step()
    schedule = json.loads((run.run_dir / "config.json").read_text())["schedule"]
    assert schedule["spec"] == "get_cosine_schedule_with_warmup(num_warmup_steps=5, num_training_steps=40)"
    assert schedule["class"] == "torch.optim.lr_scheduler.LambdaLR" and schedule["exact"] is True
    assert (schedule["base_lrs"], schedule["total_steps"], schedule["steps_per_epoch"]) == ([0.05], 40, 8)
    report = doctor_run(run.run_dir)
    assert report.plan_source == "declared" and report.ok, report.text()


def test_scheduler_declared_on_the_first_log_optimizer_call_reaches_a_live_monitor(tmp_path):
    import json

    from lrtui import RunLogger
    from lrtui.widgets.runs.follow import RunFollower

    opt = _opt(0.1)
    sched = L.StepLR(opt, step_size=10, gamma=0.5)
    run = RunLogger({"model": "m"}, runs_dir=tmp_path, flush_interval=0)
    follower = RunFollower(run.run_dir, device=False)
    assert follower.poll().planned.lr is None  # nothing declared yet
    for step in range(30):
        run.log_optimizer(step, opt, scheduler=sched)
        opt.step()
        sched.step()
    run.flush()
    snap = follower.poll()
    assert snap.planned.lr is not None and snap.planned.spec == "StepLR(step_size=10, gamma=0.5)"
    assert snap.lr_check.ok and snap.lr_check.compared == 30
    assert any(e.get("event") == "plan" for e in snap.events)
    run.close()
    assert json.loads((run.run_dir / "config.json").read_text())["schedule"]["base_lrs"] == [0.1]


def test_a_lambda_scheduler_is_recorded_as_unreadable_and_inferred(tmp_path):
    from lrtui import RunLogger
    from lrtui.doctor import doctor_run

    opt = _opt(0.1)
    sched = L.LambdaLR(opt, lambda k: 0.97**k)
    with RunLogger({"model": "m"}, runs_dir=tmp_path, scheduler=sched) as run:
        for step in range(60):
            run.log_optimizer(step, opt)
            opt.step()
            sched.step()
    report = doctor_run(run.run_dir)
    assert report.plan_source == "inferred" and report.inferred.spec == "ExponentialLR(gamma=0.97)"
    assert any("LambdaLR over a lambda" in note for note in report.notes)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"stepping": "batch"}, "stepping='batch' is not allowed"),
        ({"steps_per_epoch": 0}, "steps_per_epoch=0 is not allowed"),
    ],
)
def test_runlogger_plan_arguments_are_checked(tmp_path, kwargs, message):
    from lrtui import RunLogger

    with pytest.raises(ValueError, match=message):
        RunLogger({"model": "m"}, runs_dir=tmp_path, **kwargs)
