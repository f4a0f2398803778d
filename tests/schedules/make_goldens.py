"""Regenerate tests/schedules/goldens/{transformers,timm}_goldens.json from the REAL libraries.

Run it in a throwaway environment that has torch, transformers and timm (not lrtui's own venv):

    python3 -m venv /tmp/oracle
    /tmp/oracle/bin/pip install torch transformers timm   # or a .pth file pointing at a venv that has torch
    /tmp/oracle/bin/python tests/schedules/make_goldens.py

Each case records the spec string lrtui should parse, the param-group lrs, the optional metric series and
`lr[g][k]` = optimizer.param_groups[g]["lr"] after k scheduler steps (k = 0 is the constructor's value).
A step where the library raises (e.g. timm's math.log with cycle_mul < 1) and every later one are null.
"""

from __future__ import annotations

import json
import math
import random
import sys
import warnings
from pathlib import Path

import torch

warnings.simplefilter("ignore")
DATA = Path(__file__).parent / "goldens"
LRS = (0.1, 0.02)
METRIC = [
    round(3.0 * math.exp(-i / 40) + 0.15 * math.sin(i * 1.7) + (0.2 if i % 23 == 0 else 0), 6)
    for i in range(400)
]


def _opt(lrs):
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)], lr=lrs[0])


def _value(v) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return repr(v)


def spec_text(name, kwargs, positional=()):
    parts = [_value(p) for p in positional] + [f"{k}={_value(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def record(opt, step, n):
    out = [[g["lr"] for g in opt.param_groups]]
    for k in range(1, n):
        try:
            step(k)
            out.append([g["lr"] for g in opt.param_groups])
        except (ValueError, ZeroDivisionError, OverflowError):
            out.extend([[None] * len(opt.param_groups)] * (n - k))
            break
    return [list(col) for col in zip(*out)]


def transformers_cases():
    import transformers.optimization as O

    rnd = random.Random(2)
    cases = []
    for w, n in [(10, 100), (0, 50), (50, 50), (1, 2), (100, 60), (25, 300)]:
        cases.append(("get_linear_schedule_with_warmup", {"num_warmup_steps": w, "num_training_steps": n}))
        cases.append(("get_cosine_schedule_with_warmup", {"num_warmup_steps": w, "num_training_steps": n}))
        cases.append(("get_constant_schedule_with_warmup", {"num_warmup_steps": w}))
        cases.append(("get_inverse_sqrt_schedule", {"num_warmup_steps": w}))
        cases.append(
            (
                "get_cosine_with_min_lr_schedule_with_warmup",
                {"num_warmup_steps": w, "num_training_steps": n, "min_lr_rate": 0.1},
            )
        )
        cases.append(
            (
                "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
                {"num_warmup_steps": w, "num_training_steps": n, "min_lr_rate": 0.05},
            )
        )
        if n != w:
            cases.append(
                (
                    "get_polynomial_decay_schedule_with_warmup",
                    {"num_warmup_steps": w, "num_training_steps": n, "power": 2.0, "lr_end": 1e-4},
                )
            )
    cases += [
        ("get_constant_schedule", {}),
        (
            "get_cosine_schedule_with_warmup",
            {"num_warmup_steps": 7, "num_training_steps": 97, "num_cycles": 1.3},
        ),
        (
            "get_cosine_schedule_with_warmup",
            {"num_warmup_steps": 0, "num_training_steps": 40, "num_cycles": 2.0},
        ),
        (
            "get_cosine_with_hard_restarts_schedule_with_warmup",
            {"num_warmup_steps": 7, "num_training_steps": 97, "num_cycles": 3},
        ),
        (
            "get_cosine_with_hard_restarts_schedule_with_warmup",
            {"num_warmup_steps": 0, "num_training_steps": 50},
        ),
        ("get_polynomial_decay_schedule_with_warmup", {"num_warmup_steps": 100, "num_training_steps": 3000}),
        (
            "get_polynomial_decay_schedule_with_warmup",
            {"num_warmup_steps": 3, "num_training_steps": 80, "power": 0.5, "lr_end": 0.0},
        ),
        ("get_inverse_sqrt_schedule", {"num_warmup_steps": 5, "timescale": 20}),
        (
            "get_cosine_with_min_lr_schedule_with_warmup",
            {"num_warmup_steps": 10, "num_training_steps": 100, "min_lr": 0.003},
        ),
        (
            "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
            {"num_warmup_steps": 10, "num_training_steps": 100, "min_lr": 0.003, "warmup_lr_rate": 0.05},
        ),
        (
            "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
            {"num_warmup_steps": 1, "num_training_steps": 100, "min_lr_rate": 0.2, "warmup_lr_rate": 0.5},
        ),
        ("get_wsd_schedule", {"num_warmup_steps": 10, "num_decay_steps": 30, "num_training_steps": 100}),
        (
            "get_wsd_schedule",
            {
                "num_warmup_steps": 10,
                "num_decay_steps": 30,
                "num_stable_steps": 20,
                "warmup_type": "1-sqrt",
                "decay_type": "1-sqrt",
                "min_lr_ratio": 0.1,
            },
        ),
        (
            "get_wsd_schedule",
            {
                "num_warmup_steps": 10,
                "num_decay_steps": 30,
                "num_training_steps": 100,
                "warmup_type": "cosine",
                "decay_type": "linear",
            },
        ),
        ("get_wsd_schedule", {"num_warmup_steps": 0, "num_decay_steps": 0, "num_training_steps": 20}),
        (
            "get_wsd_schedule",
            {
                "num_warmup_steps": 30,
                "num_decay_steps": 50,
                "num_training_steps": 60,
                "num_cycles": 1.0,
                "min_lr_ratio": 0.2,
            },
        ),
    ]
    for _ in range(12):  # random configurations
        w = rnd.choice([0, 1, rnd.randrange(0, 80)])
        n = rnd.randrange(1, 250)
        kind = rnd.choice(
            [
                "get_linear_schedule_with_warmup",
                "get_cosine_schedule_with_warmup",
                "get_cosine_with_hard_restarts_schedule_with_warmup",
            ]
        )
        kw = {"num_warmup_steps": w, "num_training_steps": n}
        if kind == "get_cosine_schedule_with_warmup":
            kw["num_cycles"] = round(rnd.uniform(0.1, 3), 3)
        if kind == "get_cosine_with_hard_restarts_schedule_with_warmup":
            kw["num_cycles"] = rnd.randrange(1, 6)
        cases.append((kind, kw))
    out = []
    for name, kw in cases:
        opt = _opt(LRS[:1])
        sched = getattr(O, name)(opt, **kw)
        out.append(
            {"spec": spec_text(name, kw), "lrs": LRS[:1], "lr": record(opt, lambda k, s=sched: s.step(), 180)}
        )
    # get_scheduler, the Trainer's entry point (scheduler_specific_kwargs are written flat in a spec).
    for sname, w, n, extra in [
        ("linear", 10, 100, {}),
        ("cosine", 5, 80, {"num_cycles": 1.0}),
        ("cosine_with_restarts", 5, 80, {"num_cycles": 2}),
        ("constant", 10, 100, {}),
        ("constant_with_warmup", 10, None, {}),
        ("inverse_sqrt", 4, None, {"timescale": 9}),
        ("polynomial", 5, 90, {"power": 3.0}),
        ("cosine_with_min_lr", 5, 90, {"min_lr_rate": 0.1}),
        ("cosine_warmup_with_min_lr", 5, 90, {"min_lr": 1e-3}),
        ("warmup_stable_decay", 5, 90, {"num_decay_steps": 20}),
    ]:
        opt = _opt(LRS)
        sched = O.get_scheduler(
            sname, opt, num_warmup_steps=w, num_training_steps=n, scheduler_specific_kwargs=extra or None
        )
        kw = {"num_warmup_steps": w}
        if n is not None:
            kw["num_training_steps"] = n
        kw.update(extra)
        out.append(
            {
                "spec": spec_text("get_scheduler", kw, positional=(sname,)),
                "lrs": LRS,
                "lr": record(opt, lambda k, s=sched: s.step(), 120),
            }
        )
    return out


def timm_cases():
    import timm.scheduler as S

    cases = [
        ("CosineLRScheduler", {"t_initial": 50}),
        ("CosineLRScheduler", {"t_initial": 50, "lr_min": 1e-4, "warmup_t": 5, "warmup_lr_init": 1e-3}),
        (
            "CosineLRScheduler",
            {"t_initial": 50, "lr_min": 1e-4, "warmup_t": 5, "warmup_lr_init": 1e-3, "warmup_prefix": True},
        ),
        ("CosineLRScheduler", {"t_initial": 20, "cycle_limit": 4, "cycle_decay": 0.5, "cycle_mul": 1.5}),
        ("CosineLRScheduler", {"t_initial": 20, "cycle_limit": 3, "cycle_decay": 0.7, "k_decay": 2.0}),
        ("CosineLRScheduler", {"t_initial": 20, "cycle_limit": 5, "cycle_mul": 0.5}),
        ("CosineLRScheduler", {"t_initial": 1, "cycle_limit": 200, "cycle_mul": 10.0}),
        (
            "CosineLRScheduler",
            {"t_initial": 40, "noise_range_t": [10, 30], "noise_pct": 0.3, "noise_seed": 7},
        ),
        ("CosineLRScheduler", {"t_initial": 40, "noise_range_t": 5, "noise_std": 0.2}),
        ("CosineLRScheduler", {"t_initial": 40, "noise_range_t": 1, "noise_pct": 0.05, "noise_std": 2.0}),
        ("CosineLRScheduler", {"t_initial": 40, "warmup_t": 3, "t_in_epochs": False}),
        (
            "CosineLRScheduler",
            {
                "t_initial": 30,
                "warmup_t": 30,
                "warmup_prefix": True,
                "cycle_limit": 2,
                "k_decay": 0.7,
                "lr_min": 1e-3,
            },
        ),
        ("TanhLRScheduler", {"t_initial": 50}),
        ("TanhLRScheduler", {"t_initial": 50, "warmup_t": 5, "warmup_lr_init": 1e-3}),
        (
            "TanhLRScheduler",
            {
                "t_initial": 50,
                "warmup_t": 5,
                "warmup_lr_init": 1e-3,
                "warmup_prefix": True,
                "cycle_limit": 3,
                "cycle_mul": 2.0,
            },
        ),
        (
            "TanhLRScheduler",
            {
                "t_initial": 30,
                "lb": -3.0,
                "ub": 5.0,
                "lr_min": 1e-3,
                "cycle_limit": 3,
                "cycle_decay": 0.5,
                "noise_range_t": [10, 50],
                "noise_seed": 3,
            },
        ),
        ("PolyLRScheduler", {"t_initial": 50, "power": 2.0, "warmup_t": 4}),
        ("PolyLRScheduler", {"t_initial": 30, "cycle_limit": 3, "k_decay": 0.5, "lr_min": 1e-3}),
        (
            "PolyLRScheduler",
            {"t_initial": 30, "warmup_t": 6, "warmup_prefix": True, "cycle_mul": 1.3, "cycle_limit": 3},
        ),
        ("StepLRScheduler", {"decay_t": 10, "decay_rate": 0.5}),
        ("StepLRScheduler", {"decay_t": 7.5, "decay_rate": 0.5, "warmup_t": 3, "warmup_lr_init": 0.01}),
        ("StepLRScheduler", {"decay_t": 10, "decay_rate": 0.5, "warmup_t": 3, "warmup_prefix": False}),
        ("StepLRScheduler", {"decay_t": 10, "decay_rate": 0.9, "noise_range_t": [0, 100], "noise_pct": 0.1}),
        ("MultiStepLRScheduler", {"decay_t": [10, 20, 25], "decay_rate": 0.5}),
        (
            "MultiStepLRScheduler",
            {"decay_t": [10, 20, 25], "decay_rate": 0.5, "warmup_t": 4, "warmup_lr_init": 0.001},
        ),
        (
            "MultiStepLRScheduler",
            {"decay_t": [10, 20, 25], "decay_rate": 0.5, "warmup_t": 4, "warmup_prefix": False},
        ),
        ("MultiStepLRScheduler", {"decay_t": [30, 10, 20], "decay_rate": 0.5}),
        ("MultiStepLRScheduler", {"decay_t": [1, 1, 5], "decay_rate": 0.1}),
        ("PlateauLRScheduler", {"decay_rate": 0.5, "patience_t": 2}),
        (
            "PlateauLRScheduler",
            {
                "decay_rate": 0.5,
                "patience_t": 2,
                "mode": "min",
                "warmup_t": 3,
                "warmup_lr_init": 0.01,
                "cooldown_t": 2,
            },
        ),
        (
            "PlateauLRScheduler",
            {
                "decay_rate": 0.5,
                "patience_t": 1,
                "mode": "min",
                "noise_range_t": [5, 40],
                "noise_type": "uniform",
            },
        ),
        (
            "PlateauLRScheduler",
            {
                "decay_rate": 0.5,
                "patience_t": 1,
                "mode": "min",
                "noise_range_t": [5, 40],
                "lr_min": 0.01,
                "threshold": 0.01,
            },
        ),
    ]
    out = []
    for name, kw in cases:
        opt = _opt(LRS)
        sched = getattr(S, name)(opt, **kw)
        n = 150
        if name == "PlateauLRScheduler":

            def step(k, s=sched):
                s.step(k, METRIC[k - 1])
        elif kw.get("t_in_epochs", True):

            def step(k, s=sched):
                s.step(k)
        else:

            def step(k, s=sched):
                s.step_update(k)

        case = {"spec": spec_text(name, kw), "lrs": LRS, "lr": record(opt, step, n)}
        if name == "PlateauLRScheduler":
            case["metric"] = METRIC[:n]
        out.append(case)
    return out


def main() -> None:
    import timm
    import transformers

    DATA.mkdir(exist_ok=True)
    for lib, fn, version in [
        ("transformers", transformers_cases, transformers.__version__),
        ("timm", timm_cases, timm.__version__),
    ]:
        data = {"library": lib, "version": version, "torch": torch.__version__, "cases": fn()}
        path = DATA / f"{lib}_goldens.json"
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"{path}: {len(data['cases'])} cases ({lib} {version})", file=sys.stderr)


if __name__ == "__main__":
    main()
