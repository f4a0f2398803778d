"""Exported code, run with the real libraries, reproduces the engine's curve; CSV/JSON carry every column."""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import replace

import numpy as np
import pytest

from lrtui.schedules import Plan, SpecError, evaluate, parse
from lrtui.schedules.catalogue import get_kind
from lrtui.schedules.export import curve_csv, curve_json, export


def _run_exported(code: str, plan: Plan, lib: str = "torch") -> np.ndarray:
    """Exec OUR generated script (not user input) and step it as its loop says; lr per group per step."""
    ns: dict = {"__name__": "lrtui_exported"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "<export>", "exec"), ns)  # our own generated code, in a test
        opt, sched = ns["optimizer"], ns["scheduler"]
        spe, out = plan.steps_per_epoch, []
        for i in range(plan.total_steps):
            out.append([g["lr"] for g in opt.param_groups])
            opt.step()
            if lib == "timm":
                if not plan.spec.args.get("t_in_epochs", True):
                    sched.step_update(num_updates=i + 1)
                if (i + 1) % spe == 0:
                    sched.step((i + 1) // spe)
            elif plan.stepping == "step":
                sched.step()
            elif plan.stepping == "epoch":
                if (i + 1) % spe == 0:
                    sched.step()
            else:
                sched.step((i + 1) / spe)
    return np.array(out).T


TORCH_CASES = [
    ("StepLR(step_size=7, gamma=0.5)", {}),
    ("CosineAnnealingLR(T_max=40, eta_min=1e-4)", {"stepping": "epoch", "steps_per_epoch": 3}),
    (
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])",
        {},
    ),
    ("ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.97)])", {}),
    (
        'LambdaLR(lr_lambda="lambda epoch: 1e-9 + (epoch / 5) if epoch <= 5 else 0.5 * (np.cos((epoch - 5) / '
        '(100 - 5) * np.pi) + 1)")',
        {"stepping": "epoch", "steps_per_epoch": 2},
    ),
    ('LambdaLR(lr_lambda=["0.95 ** k", "min(1, (k + 1) / 10)"])', {"base_lrs": (0.1, 0.01)}),
    ("OneCycleLR(max_lr=0.1, total_steps=120)", {"base_lrs": (0.1, 0.05)}),
    ("CosineAnnealingWarmRestarts(T_0=10, T_mult=2)", {"stepping": "fractional", "steps_per_epoch": 4}),
    ("MultiStepLR(milestones=[10, 30, 30], gamma=0.5)", {"optimizer": "adamw"}),
]


@pytest.mark.parametrize("spec,kw", TORCH_CASES)
def test_exported_torch_code_reproduces_the_curve(spec, kw):
    if get_kind(parse(spec).kind) is None:
        pytest.skip("kind not in the catalogue yet")
    plan = Plan(parse(spec), total_steps=120, **kw)
    code = export(plan, "torch")
    assert "optimizer = torch.optim." in code and "scheduler.step(" in code
    real = _run_exported(code, plan)
    np.testing.assert_allclose(real, evaluate(plan).lr, rtol=1e-9, atol=1e-15)


def test_exported_transformers_code_reproduces_the_curve():
    pytest.importorskip("transformers")
    for spec in [
        "get_cosine_schedule_with_warmup(num_warmup_steps=10, num_training_steps=100)",
        'get_scheduler("cosine_with_restarts", num_warmup_steps=5, num_training_steps=90, num_cycles=3)',
        "SequentialLR([get_constant_schedule(), get_linear_schedule_with_warmup(0, 50)], milestones=[20])",
    ]:
        if get_kind(parse(spec).kind) is None:
            continue
        plan = Plan(parse(spec), total_steps=120)
        real = _run_exported(export(plan, "transformers"), plan)
        np.testing.assert_allclose(real, evaluate(plan).lr, rtol=1e-9, atol=1e-15)


def test_exported_timm_code_reproduces_the_curve():
    pytest.importorskip("timm")
    for spec in [
        "CosineLRScheduler(t_initial=20, warmup_t=3, warmup_lr_init=1e-3, noise_range_t=5)",
        "StepLRScheduler(decay_t=30, decay_rate=0.5, t_in_epochs=False)",
    ]:
        plan = Plan(parse(spec), total_steps=120, steps_per_epoch=4)
        real = _run_exported(export(plan, "timm"), plan, lib="timm")
        np.testing.assert_allclose(real, evaluate(plan).lr, rtol=1e-9, atol=1e-15)


def test_export_text_for_each_library():
    t = export(
        Plan(parse("get_scheduler('cosine', num_warmup_steps=5, num_training_steps=50, num_cycles=2.0)")),
        "transformers",
    )
    assert "from transformers import get_scheduler" in t
    assert 'scheduler_specific_kwargs={"num_cycles": 2.0}' in t
    t = export(Plan(parse("CosineLRScheduler(t_initial=10, t_in_epochs=False)"), steps_per_epoch=5), "timm")
    assert "from timm.scheduler import CosineLRScheduler" in t and "scheduler.step_update(" in t
    t = export(Plan(parse("StepLR(step_size=3)"), stepping="epoch", steps_per_epoch=10), "torch")
    assert "once per epoch" in t and "for batch in range(10)" in t
    t = export(Plan(parse('LambdaLR(lr_lambda="cos(pi * k / 10)")')), "torch")
    assert "lambda k: math.cos(math.pi * k / 10)" in t and "import math" in t


def test_export_refuses_what_the_library_cannot_express_naming_the_nearest():
    # CyclicLR has no timm counterpart at all
    with pytest.raises(SpecError, match=r"cannot be exported to timm: timm has no equivalent.*--to torch"):
        export(Plan(parse("CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=10)")), "timm")
    # timm's cosine holds lr_min past t_initial, torch's rises again: equal only up to T_max
    plan = Plan(parse("CosineAnnealingLR(T_max=100)"), total_steps=200)
    with pytest.raises(
        SpecError, match=r"nearest timm schedule is CosineLRScheduler\(t_initial=100.*at step 1\d\d"
    ):
        export(plan, "timm")
    text = export(replace(plan, total_steps=100), "timm")
    assert (
        "from timm.scheduler import CosineLRScheduler" in text
        and "the same curve over these 100 steps" in text
    )
    with pytest.raises(SpecError, match="nearest transformers schedule is get_cosine_schedule_with_warmup"):
        export(
            Plan(parse("LinearWarmup(warmup_period=10, schedule=CosineAnnealingLR(T_max=100))")),
            "transformers",
        )
    with pytest.raises(SpecError, match="to="):
        export(Plan(parse("StepLR(step_size=3)")), "keras")


def test_curve_csv_and_json():
    plan = Plan(parse("StepLR(step_size=2, gamma=0.5)"), base_lrs=(0.1, 0.01), total_steps=5)
    rows = list(csv.reader(io.StringIO(curve_csv(evaluate(plan)))))
    assert rows[0] == ["step", "lr", "lr_g1"]
    assert rows[1:] == [
        ["0", "0.1", "0.01"],
        ["1", "0.1", "0.01"],
        ["2", "0.05", "0.005"],
        ["3", "0.05", "0.005"],
        ["4", "0.025", "0.0025"],
    ]
    data = json.loads(curve_json(evaluate(plan)))
    assert data["columns"]["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025] and data["plan"]["schedule"] == str(
        plan.spec
    )
    if get_kind("OneCycleLR") is not None:
        c = evaluate(Plan(parse("OneCycleLR(max_lr=0.1, total_steps=10)"), total_steps=3))
        header = curve_csv(c).splitlines()[0]
        assert header == "step,lr,momentum"
        assert json.loads(curve_json(c))["momentum_name"] == "momentum"


def test_export_skips_preview_only_params_and_default_last_epoch():
    """preview_* (ReduceLROnPlateau's synthetic metric) are not torch arguments, and last_epoch=-1 is
    torch's default: neither is written; the code builds the real classes and reproduces the curve."""
    from lrtui.schedules import resolve
    from lrtui.schedules.kinds.torch_plateau import metric_series

    spec = (
        'ReduceLROnPlateau(mode="min", factor=0.5, patience=3, preview_start=3.0, preview_end=0.5, '
        "preview_tau=20.0, preview_noise=0.05, preview_seed=7)"
    )
    plan = Plan(parse(spec), total_steps=150)
    code = export(plan, "torch")
    assert "preview_" not in code and "ReduceLROnPlateau(" in code
    ns: dict = {"__name__": "lrtui_exported"}
    exec(compile(code, "<export>", "exec"), ns)  # our own generated code, in a test
    opt, sched = ns["optimizer"], ns["scheduler"]
    metric = metric_series(resolve(plan.spec, plan.context()).args, plan.context(), plan.total_steps)
    real = [opt.param_groups[0]["lr"]]
    for i in range(1, plan.total_steps):  # the k-th step() call receives metric[k − 1]
        sched.step(float(metric[i - 1]))
        real.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(real, evaluate(plan).lr[0], rtol=1e-9, atol=1e-15)

    spec = (
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=4, last_epoch=-1), "
        "StepLR(step_size=5, last_epoch=-1)], milestones=[4], last_epoch=-1)"
    )
    plan = Plan(parse(spec), total_steps=40)
    code = export(plan, "torch")
    assert "last_epoch" not in code
    np.testing.assert_allclose(_run_exported(code, plan), evaluate(plan).lr, rtol=1e-9, atol=1e-15)


# -- every catalogue kind, exported and run --------------------------------------------------------------

METRIC_KINDS = ("ReduceLROnPlateau", "PlateauLRScheduler")
# (total steps, plan settings): per step; per epoch with two param groups; per step with epochs of 4 steps
PLANS = [
    (150, {}),
    (120, {"stepping": "epoch", "steps_per_epoch": 3, "base_lrs": (0.1, 0.02)}),
    (120, {"steps_per_epoch": 4}),
]


def _lrs_of_the_scripts_own_loop(code: str) -> np.ndarray:
    """Run the exported script as a program (its own loop) and record the lr of every optimizer step."""
    import torch
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    seen: list[list[float]] = []
    hook = register_optimizer_step_pre_hook(
        lambda opt, a, k: seen.append([g["lr"] for g in opt.param_groups])
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(code, "<export>", "exec"), {"__name__": "__main__"})  # our own generated code
    finally:
        hook.remove()
    assert torch is not None
    return np.array(seen).T


def _catalogue_plans():
    from lrtui.schedules import kinds

    for kind in kinds():
        if kind.name in METRIC_KINDS:
            continue
        for i, (steps, kw) in enumerate(PLANS):
            yield pytest.param(kind.name, steps, kw, id=f"{kind.name}-{i}")


@pytest.mark.parametrize("name,steps,kw", list(_catalogue_plans()))
def test_every_catalogue_kind_exports_to_torch_code_that_reproduces_the_curve(name, steps, kw):
    """The exported script, run as is (no lrtui, no transformers/timm), steps the optimizer through exactly
    the engine's lrs — the loop included (where scheduler.step() goes)."""
    plan = Plan(parse(get_kind(name).example), total_steps=steps, **kw)
    if _steps_a_plateau(plan):  # a loop pattern's ReduceLROnPlateau: the script's loop passes metric = 0.0
        plan = replace(plan, metric=(0.0,) * steps)
    try:
        want = evaluate(plan).lr
    except SpecError:
        assert kw, f"{name}'s example must evaluate on the plain plan"
        pytest.skip(f"{name} does not accept this plan (e.g. fractional or per-epoch stepping)")
    code = export(plan, "torch")
    imports = [line for line in code.splitlines() if line.startswith(("import ", "from "))]
    assert all(
        line.split()[1].split(".")[0] in ("torch", "math", "functools", "bisect", "numpy") for line in imports
    )
    np.testing.assert_allclose(_lrs_of_the_scripts_own_loop(code), want, rtol=1e-9, atol=1e-15)


def _steps_a_plateau(plan: Plan) -> bool:
    from lrtui.schedules.catalogue import resolve
    from lrtui.schedules.kinds.composite import tree_walk

    return any(b.kind.metric_driven for b, _ in tree_walk(resolve(plan.spec, plan.context())))


@pytest.mark.parametrize("name", METRIC_KINDS)
def test_metric_driven_kinds_export_to_torch_and_follow_the_metric(name):
    """ReduceLROnPlateau and timm's plateau, fed the same metric the preview uses (the k-th step() call gets
    metric[k − 1]), hold the engine's lrs."""
    rng = np.random.default_rng(3)
    metric = tuple(float(v) for v in 1.0 + np.exp(-np.arange(60) / 8) + 0.05 * rng.standard_normal(60))
    for steps, kw in PLANS[:2]:
        plan = Plan(parse(get_kind(name).example), total_steps=steps, metric=metric, **kw)
        code = export(plan, "torch")
        ns: dict = {"__name__": "lrtui_exported"}
        exec(compile(code, "<export>", "exec"), ns)  # our own generated code
        opt, sched = ns["optimizer"], ns["scheduler"]
        spe = plan.steps_per_epoch if plan.stepping == "epoch" else 1
        real, calls = [], 0
        for i in range(plan.total_steps):
            real.append([g["lr"] for g in opt.param_groups])
            if (i + 1) % spe == 0:
                calls += 1
                sched.step(metric[min(calls, len(metric)) - 1])
        np.testing.assert_allclose(np.array(real).T, evaluate(plan).lr, rtol=1e-9, atol=1e-15)


def test_the_ports_defaults_are_the_libraries_defaults():
    """A port is called with the arguments the spec gives: its defaults must be the kind's (= timm's)."""
    import inspect

    import lrtui.schedules.export_ports as ports
    from lrtui.schedules.export_portable import _TIMM

    for kind_name, port_name in _TIMM.items():
        kind = get_kind(kind_name)
        defaults = {}
        for cls in getattr(ports, port_name).__mro__:
            if "__init__" in vars(cls):
                for p in inspect.signature(cls.__init__).parameters.values():
                    if p.default is not inspect.Parameter.empty:
                        defaults.setdefault(p.name, p.default)
        for p in kind.params:
            if not p.required:
                assert p.name in defaults, (port_name, p.name)
                assert defaults[p.name] == p.default or (p.default is None and defaults[p.name] is None), (
                    port_name,
                    p.name,
                    defaults[p.name],
                    p.default,
                )


@pytest.mark.parametrize(
    "lib,to",
    [("transformers", "transformers"), ("timm", "timm"), ("torch", "timm"), ("timm", "transformers")],
)
def test_library_exports_run_with_the_real_library(lib, to):
    """--to transformers / --to timm: the library's own classes (or a checked translation) reproduce the
    curve; what the library cannot express is refused with the nearest equivalent named."""
    pytest.importorskip(to)
    from lrtui.schedules import kinds

    exported = 0
    for kind in kinds():
        if kind.library != lib or kind.name in METRIC_KINDS:
            continue
        for steps, kw in PLANS:
            plan = Plan(parse(kind.example), total_steps=steps, **kw)
            try:
                want = evaluate(plan).lr
                code = export(plan, to)
            except SpecError as exc:
                assert "cannot be exported" in str(exc) or "--to" not in str(exc), str(exc)
                continue
            np.testing.assert_allclose(_lrs_of_the_scripts_own_loop(code), want, rtol=1e-9, atol=1e-15)
            exported += 1
    assert exported, f"no {lib} kind exported to {to}"
