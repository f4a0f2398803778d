"""Random scheduler trees built the way user code builds them (children first, in order, on one optimizer),
with their real torch objects: hypothesis strategies shared by the composite and loop-pattern tests.

Each generated node is (spec text, build(optimizer) -> the real torch object, kind name[, children]).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.optim.lr_scheduler as lrs
from hypothesis import strategies as st
from torch.optim.swa_utils import SWALR

NOMINAL = 40  # milestones and periods are drawn below this; curves are compared over twice it
N = 2 * NOMINAL

# Formulas as torch's lr_lambda: evaluated by lrtui's formula evaluator (what the trainer hands torch), so
# these trees test the schedulers' logic bit for bit; the formula evaluator's own agreement with Python's
# math (≤ an ulp per pow/exp call) is test_formula's.
_FORMULAS = ("0.95 ** k", "1 / (k + 1)", "min(1.0, (k + 1) / 5)")
_MULT_FORMULAS = ("0.95", "0.9 if k % 3 == 0 else 1.0")


def _as_lambda(text: str):
    from lrtui.schedules.formula import compile_formula

    f = compile_formula(text)
    return lambda k: float(f(np.asarray([k], dtype=np.float64))[0])


LAMBDAS = {t: _as_lambda(t) for t in _FORMULAS}
MULT_LAMBDAS = {t: _as_lambda(t) for t in _MULT_FORMULAS}

factors = st.floats(0.05, 1.0).map(lambda x: round(x, 3))
gammas = st.floats(0.5, 1.0).map(lambda x: round(x, 3))
small = st.integers(1, 12)


def _leaf(name, spec_args: dict, build):
    text = ", ".join(f"{k}={v!r}" for k, v in spec_args.items())
    return (f"{name}({text})", build, name)


@st.composite
def leaves(draw):
    which = draw(
        st.sampled_from(
            [
                "StepLR",
                "MultiStepLR",
                "ConstantLR",
                "LinearLR",
                "ExponentialLR",
                "PolynomialLR",
                "CosineAnnealingLR",
                "LambdaLR",
                "MultiplicativeLR",
                "CosineAnnealingWarmRestarts",
                "CyclicLR",
                "OneCycleLR",
                "SWALR",
            ]
        )
    )
    if which == "StepLR":
        a = {"step_size": draw(small), "gamma": draw(gammas)}
    elif which == "MultiStepLR":
        a = {
            "milestones": draw(st.lists(st.integers(0, NOMINAL), min_size=1, max_size=3)),
            "gamma": draw(gammas),
        }
    elif which == "ConstantLR":
        a = {"factor": draw(factors), "total_iters": draw(st.integers(0, 12))}
    elif which == "LinearLR":
        a = {
            "start_factor": draw(factors),
            "end_factor": draw(st.floats(0, 1).map(lambda x: round(x, 3))),
            "total_iters": draw(small),
        }
    elif which == "ExponentialLR":
        a = {"gamma": draw(gammas)}
    elif which == "PolynomialLR":
        a = {"total_iters": draw(small), "power": draw(st.sampled_from([0.5, 1.0, 2.0]))}
    elif which == "CosineAnnealingLR":
        a = {"T_max": draw(small), "eta_min": draw(st.sampled_from([0.0, 1e-4, 0.01]))}
    elif which == "LambdaLR":
        text = draw(st.sampled_from(sorted(LAMBDAS)))
        return (f"LambdaLR(lr_lambda={text!r})", lambda o: lrs.LambdaLR(o, LAMBDAS[text]), which)
    elif which == "MultiplicativeLR":
        text = draw(st.sampled_from(sorted(MULT_LAMBDAS)))
        return (
            f"MultiplicativeLR(lr_lambda={text!r})",
            lambda o: lrs.MultiplicativeLR(o, MULT_LAMBDAS[text]),
            which,
        )
    elif which == "CosineAnnealingWarmRestarts":
        a = {
            "T_0": draw(st.integers(1, 8)),
            "T_mult": draw(st.integers(1, 2)),
            "eta_min": draw(st.sampled_from([0.0, 1e-3])),
        }
    elif which == "CyclicLR":
        a = {
            "base_lr": draw(st.sampled_from([0.001, 0.01])),
            "max_lr": draw(st.sampled_from([0.05, 0.2])),
            "step_size_up": draw(st.integers(1, 6)),
            "mode": draw(st.sampled_from(["triangular", "triangular2"])),
        }
    elif which == "SWALR":
        a = {
            "swa_lr": draw(st.sampled_from([0.05, 0.002])),
            "anneal_epochs": draw(st.integers(0, 12)),
            "anneal_strategy": draw(st.sampled_from(["cos", "linear"])),
        }
        return _leaf(which, a, lambda o, a=a: SWALR(o, **a))
    else:  # OneCycleLR: long enough never to raise inside the compared horizon
        a = {
            "max_lr": draw(st.sampled_from([0.1, 1.0])),
            "total_steps": N + 10,
            "pct_start": draw(st.sampled_from([0.1, 0.3])),
        }
    cls = getattr(lrs, which)
    return _leaf(which, a, lambda o, a=a: cls(o, **a))


def trees(depth: int):
    if depth == 0:
        return leaves()
    return st.one_of(leaves(), sequentials(depth), chains(depth))


@st.composite
def sequentials(draw, depth: int):
    # only the first child may be a composite: torch raises at a milestone that reaches a later one
    first = draw(trees(depth - 1))
    rest = draw(st.lists(leaves(), min_size=0, max_size=2))
    kids = [first, *rest]
    ms = sorted(draw(st.lists(st.integers(0, NOMINAL), min_size=len(kids) - 1, max_size=len(kids) - 1)))
    spec = f"SequentialLR([{', '.join(k[0] for k in kids)}], milestones={ms})"

    def build(o):
        return lrs.SequentialLR(o, [k[1](o) for k in kids], milestones=ms)

    return (spec, build, "SequentialLR", kids)


@st.composite
def chains(draw, depth: int):
    kids = draw(st.lists(trees(depth - 1), min_size=1, max_size=3))
    spec = f"ChainedScheduler([{', '.join(k[0] for k in kids)}])"

    def build(o):
        return lrs.ChainedScheduler([k[1](o) for k in kids], optimizer=o)

    return (spec, build, "ChainedScheduler", kids)


def leaf_names(node) -> list[str]:
    if len(node) == 3:
        return [node[2]]
    return [n for k in node[3] for n in leaf_names(k)]


def torch_run(build, base_lrs, n: int, optimizer: str = "sgd"):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in base_lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, base_lrs)]
    if optimizer == "sgd":
        opt = torch.optim.SGD(groups, lr=base_lrs[0], momentum=0.9)
    else:
        opt = torch.optim.Adam(groups, lr=base_lrs[0], betas=(0.9, 0.999))
    key = "momentum" if optimizer == "sgd" else "betas"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = build(opt)
        lr = [[g["lr"] for g in opt.param_groups]]
        mom = [[g[key] if key == "momentum" else g[key][0] for g in opt.param_groups]]
        for _ in range(n - 1):
            opt.step()
            sched.step()
            lr.append([g["lr"] for g in opt.param_groups])
            mom.append([g[key] if key == "momentum" else g[key][0] for g in opt.param_groups])
    return np.asarray(lr, dtype=np.float64).T, np.asarray(mom, dtype=np.float64).T
