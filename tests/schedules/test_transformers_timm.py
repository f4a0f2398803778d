"""transformers and timm kinds against the real libraries.

Always: golden sequences recorded from the real libraries (tests/schedules/goldens/*.json, regenerate with
tests/schedules/make_goldens.py). When transformers / timm are importable (the `oracles` extra), random
configurations are also compared with them live. timm's noise is compared with real torch always.
"""

from __future__ import annotations

import json
import math
import random
import warnings
from pathlib import Path

import numpy as np
import pytest

from lrtui.schedules import Plan, SpecError, evaluate, parse, planned_lrs
from lrtui.schedules.torch_rng import torch_noise

DATA = Path(__file__).parent / "goldens"


def _cases(lib: str):
    data = json.loads((DATA / f"{lib}_goldens.json").read_text())
    return [pytest.param(c, id=f"{i}-{c['spec'][:60]}") for i, c in enumerate(data["cases"])]


def _ours(case) -> np.ndarray:
    n = len(case["lr"][0])
    metric = tuple(case["metric"]) if "metric" in case else None
    plan = Plan(parse(case["spec"]), base_lrs=tuple(case["lrs"]), total_steps=n, metric=metric)
    return evaluate(plan).lr


def _assert_close(ours: np.ndarray, real: np.ndarray, what: str) -> None:
    real = np.asarray(real, dtype=np.float64)  # null (the library raised) -> nan
    assert ours.shape == real.shape, what
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(real), err_msg=f"{what}: where the library raises")
    ok = ~np.isnan(real)
    np.testing.assert_allclose(ours[ok], real[ok], rtol=1e-9, atol=1e-15, err_msg=what)


@pytest.mark.parametrize("case", _cases("transformers"))
def test_transformers_goldens(case):
    _assert_close(_ours(case), [[math.nan if v is None else v for v in g] for g in case["lr"]], case["spec"])


@pytest.mark.parametrize("case", _cases("timm"))
def test_timm_goldens(case):
    _assert_close(_ours(case), [[math.nan if v is None else v for v in g] for g in case["lr"]], case["spec"])


def test_goldens_cover_every_kind():
    from lrtui.schedules.catalogue import kinds

    specs = [
        c["spec"]
        for lib in ("transformers", "timm")
        for c in json.loads((DATA / f"{lib}_goldens.json").read_text())["cases"]
    ]
    names = {parse(s).kind for s in specs}
    for kind in kinds():
        if kind.library in ("transformers", "timm"):
            assert kind.name in names, f"no golden for {kind.name}"


# -- timm's noise: our numpy mt19937 + Box-Muller against real torch ---------------------------------------


def _real_noise(seed: int, noise_type: str, pct: float, std: float) -> float:
    import torch

    g = torch.Generator()
    g.manual_seed(seed)
    if noise_type == "normal":
        while True:
            noise = torch.randn(1, generator=g).item() * std
            if abs(noise) < pct:
                return noise
    return 2 * (torch.rand(1, generator=g).item() - 0.5) * pct


@pytest.mark.parametrize(
    "noise_type,pct,std",
    [("normal", 0.67, 1.0), ("normal", 0.05, 1.0), ("normal", 0.3, 0.1), ("uniform", 0.67, 1.0)],
)
def test_noise_matches_torch_generator(noise_type, pct, std):
    seeds = np.array([0, 1, 41, 42, 2**31 - 1, 2**32 + 5, *random.Random(1).sample(range(10**9), 300)])
    ours = torch_noise(seeds, noise_type, pct, std)
    real = [_real_noise(int(s), noise_type, pct, std) for s in seeds]
    np.testing.assert_array_equal(ours, real)


# -- behaviour and quirks ------------------------------------------------------------------------------------


def test_transformers_warmup_starts_at_zero_and_cosine_not_clamped():
    lr = planned_lrs(
        "get_cosine_schedule_with_warmup(num_warmup_steps=10, num_training_steps=100)", [1.0], total_steps=200
    )[0]
    assert lr[0] == 0.0 and lr[10] == 1.0
    assert lr[100] == 0.0 and lr[150] > 0.4  # rises again after num_training_steps


def test_polynomial_reads_the_default_lr_and_rejects_lr_end_above_it():
    with pytest.raises(SpecError, match="lr_end"):
        planned_lrs(
            "get_polynomial_decay_schedule_with_warmup(num_warmup_steps=1, num_training_steps=10, lr_end=0.5)",
            [0.1],
            total_steps=20,
        )
    with pytest.raises(SpecError, match="num_training_steps"):
        planned_lrs(
            "get_polynomial_decay_schedule_with_warmup(num_warmup_steps=10, num_training_steps=10)",
            [0.1],
            total_steps=20,
        )
    # The second group is scaled by the same λ, computed from the first group's (the default) lr.
    lr = planned_lrs(
        "get_polynomial_decay_schedule_with_warmup(num_warmup_steps=0, num_training_steps=10, lr_end=0.01)",
        [0.1, 1.0],
        total_steps=20,
    )
    assert lr[0, 15] == pytest.approx(0.01) and lr[1, 15] == pytest.approx(0.1)


def test_get_scheduler_routes_like_transformers():
    a = planned_lrs(
        'get_scheduler("cosine", num_warmup_steps=5, num_training_steps=50, num_cycles=1.0)',
        [0.1],
        total_steps=60,
    )
    b = planned_lrs(
        "get_cosine_schedule_with_warmup(num_warmup_steps=5, num_training_steps=50, num_cycles=1.0)",
        [0.1],
        total_steps=60,
    )
    np.testing.assert_array_equal(a, b)
    # "constant" silently ignores a warmup.
    c = planned_lrs(
        'get_scheduler("constant", num_warmup_steps=5, num_training_steps=50)', [0.1], total_steps=10
    )
    assert (c == 0.1).all()
    with pytest.raises(SpecError, match="num_training_steps is required"):
        planned_lrs('get_scheduler("linear", num_warmup_steps=5)', [0.1], total_steps=10)
    with pytest.raises(SpecError, match="num_warmup_steps is required"):
        planned_lrs('get_scheduler("linear", num_training_steps=5)', [0.1], total_steps=10)
    with pytest.raises(SpecError, match="not accepted"):
        planned_lrs(
            'get_scheduler("linear", num_warmup_steps=5, num_training_steps=50, power=2.0)',
            [0.1],
            total_steps=10,
        )
    with pytest.raises(SpecError, match="ReduceLROnPlateau"):
        planned_lrs('get_scheduler("reduce_lr_on_plateau")', [0.1], total_steps=10)
    with pytest.raises(SpecError, match="name"):
        parse_and_eval = planned_lrs(
            'get_scheduler("cosinus", num_warmup_steps=5, num_training_steps=50)', [0.1], total_steps=10
        )
        del parse_and_eval


def test_pasted_transformers_call_with_optimizer_and_positionals():
    lr = planned_lrs("get_linear_schedule_with_warmup(optimizer, 10, 100)", [0.1], total_steps=5)
    np.testing.assert_allclose(lr[0], [0.0, 0.01, 0.02, 0.03, 0.04])


def test_markers():
    plan = Plan(
        parse("get_wsd_schedule(num_warmup_steps=10, num_decay_steps=20, num_training_steps=100)"),
        total_steps=120,
    )
    kinds = {(m.kind, m.step) for m in evaluate(plan).markers}
    assert {("warmup_end", 10.0), ("milestone", 80.0), ("end", 100.0)} <= kinds
    plan = Plan(
        parse(
            "get_cosine_with_hard_restarts_schedule_with_warmup(num_warmup_steps=10, num_training_steps=100, "
            "num_cycles=3)"
        ),
        total_steps=120,
    )
    assert [m.step for m in evaluate(plan).markers if m.kind == "restart"] == [40.0, 70.0]
    plan = Plan(
        parse("CosineLRScheduler(t_initial=10, cycle_limit=3, warmup_t=2, warmup_prefix=True)"),
        total_steps=50 * 4,
        steps_per_epoch=4,
    )
    m = evaluate(plan).markers
    assert [x.step for x in m if x.kind == "warmup_end"] == [8.0]
    assert [x.step for x in m if x.kind == "restart"] == [48.0, 88.0]


def test_timm_t_in_epochs_maps_onto_plan_stepping():
    spec = "CosineLRScheduler(t_initial=10, warmup_t=2, warmup_lr_init=0.01)"
    per_step = planned_lrs(spec, [0.1], total_steps=40, steps_per_epoch=4)[0]
    per_epoch = planned_lrs(spec, [0.1], total_steps=40, steps_per_epoch=4, stepping="epoch")[0]
    np.testing.assert_array_equal(per_step, per_epoch)  # t counts epochs either way
    assert len(set(per_step[:4])) == 1 and per_step[0] == 0.01
    updates = planned_lrs(
        spec.replace(")", ", t_in_epochs=False)"), [0.1], total_steps=40, steps_per_epoch=4
    )[0]
    assert updates[1] != updates[0]  # per update


def test_timm_multistep_applies_one_early_and_warmup_prefix_false_misses_peak():
    lr = planned_lrs("MultiStepLRScheduler(decay_t=[10], decay_rate=0.1)", [1.0], total_steps=12)[0]
    assert lr[8] == 1.0 and lr[9] == pytest.approx(0.1)
    lr = planned_lrs("CosineLRScheduler(t_initial=100, warmup_t=10)", [1.0], total_steps=100)[0]
    assert lr.max() < 0.99


def test_timm_validation_messages():
    with pytest.raises(SpecError, match=r"TanhLRScheduler\.lb"):
        planned_lrs("TanhLRScheduler(t_initial=10, lb=3, ub=1)", [0.1], total_steps=5)
    with pytest.raises(SpecError, match="noise_range_t"):
        planned_lrs("CosineLRScheduler(t_initial=10, noise_range_t=[1, 2, 3])", [0.1], total_steps=5)
    with pytest.raises(SpecError, match="noise_pct"):
        planned_lrs("CosineLRScheduler(t_initial=10, noise_range_t=1, noise_pct=0.001)", [0.1], total_steps=5)


def test_noise_range_as_integer_round_trips():
    s = parse("CosineLRScheduler(t_initial=10, noise_range_t=3)")
    assert parse(str(s)) == s
    lr = planned_lrs(s, [0.1], total_steps=20)[0]
    clean = planned_lrs("CosineLRScheduler(t_initial=10)", [0.1], total_steps=20)[0]
    assert (lr[:3] == clean[:3]).all() and (lr[3:] != clean[3:]).any()


def test_plateau_needs_a_metric_and_follows_it():
    flat = planned_lrs("PlateauLRScheduler(patience_t=1)", [0.1], total_steps=20)[0]
    assert (flat == 0.1).all()  # no metric: never steps the base scheduler
    plan = Plan(
        parse("PlateauLRScheduler(patience_t=1, decay_rate=0.5, mode='min')"),
        total_steps=10,
        metric=(1.0,) * 10,
    )
    lr = evaluate(plan).lr[0]
    assert lr[-1] < 0.1


# -- live oracles (the `oracles` extra) ------------------------------------------------------------------


def _torch_opt(lrs):
    import torch

    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)], lr=lrs[0])


def test_live_transformers_random_configs():
    optimization = pytest.importorskip("transformers.optimization")
    rnd = random.Random(7)
    for _ in range(40):
        w, n = rnd.randrange(0, 60), rnd.randrange(1, 200)
        name, kw = rnd.choice(
            [
                ("get_linear_schedule_with_warmup", {}),
                ("get_cosine_schedule_with_warmup", {"num_cycles": round(rnd.uniform(0, 2), 3)}),
                ("get_cosine_with_hard_restarts_schedule_with_warmup", {"num_cycles": rnd.randrange(1, 5)}),
                (
                    "get_cosine_with_min_lr_schedule_with_warmup",
                    {"min_lr_rate": round(rnd.uniform(0, 0.5), 3)},
                ),
                (
                    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
                    {"min_lr_rate": 0.1, "warmup_lr_rate": 0.2},
                ),
            ]
        )
        kw = {"num_warmup_steps": w, "num_training_steps": n, **kw}
        opt = _torch_opt([0.3])
        sched = getattr(optimization, name)(opt, **kw)
        real = []
        for _ in range(250):
            real.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        spec = f"{name}({', '.join(f'{k}={v!r}' for k, v in kw.items())})"
        _assert_close(planned_lrs(spec, [0.3], total_steps=250), np.array([real]), spec)


def test_live_timm_random_configs():
    scheduler = pytest.importorskip("timm.scheduler")
    rnd = random.Random(8)
    for _ in range(30):
        name = rnd.choice(["CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler"])
        kw = {
            "t_initial": rnd.randrange(1, 40),
            "warmup_t": rnd.choice([0, rnd.randrange(0, 10)]),
            "warmup_lr_init": rnd.choice([0.0, 1e-3]),
            "warmup_prefix": rnd.random() < 0.5,
            "cycle_limit": rnd.randrange(1, 4),
            "cycle_mul": rnd.choice([1.0, 2.0, 1.5]),
            "cycle_decay": rnd.choice([1.0, 0.5]),
            "lr_min": rnd.choice([0.0, 1e-4]),
        }
        if name != "TanhLRScheduler":
            kw["k_decay"] = rnd.choice([1.0, 0.5, 2.0])
        opt = _torch_opt([0.1, 0.05])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = getattr(scheduler, name)(opt, **kw)
        real = [[g["lr"] for g in opt.param_groups]]
        for t in range(1, 150):
            sched.step(t)
            real.append([g["lr"] for g in opt.param_groups])
        spec = f"{name}({', '.join(f'{k}={v!r}' for k, v in kw.items())})"
        _assert_close(planned_lrs(spec, [0.1, 0.05], total_steps=150), np.array(real).T, spec)
