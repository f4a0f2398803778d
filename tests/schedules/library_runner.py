"""Run a spec's configuration in the REAL library (torch, transformers, timm, warmup_scheduler,
pytorch_warmup): build the object on a fresh optimizer and step it as a training loop does.

`runs(spec_text, base_lrs, n)` answers "does the library run this for n steps without raising?" — the
oracle of the bounds probe (lrtui must accept exactly what the library runs).
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import torch

from lrtui.schedules import Context, parse, resolve
from lrtui.schedules.catalogue import Bound
from lrtui.schedules.formula import Formula


def _py(v):
    if isinstance(v, Formula):
        return lambda k, f=v: float(f(np.asarray([k], dtype=np.float64))[0])
    if isinstance(v, tuple):
        return [_py(x) for x in v]
    return v


def make_optimizer(base_lrs, adam: bool = False, beta2: float = 0.999):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in base_lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, base_lrs)]
    if adam:
        return torch.optim.Adam(groups, lr=base_lrs[0], betas=(0.9, beta2))
    return torch.optim.SGD(groups, lr=base_lrs[0], momentum=0.9)


def build(bound: Bound, opt):
    """The library's object for a resolved spec (children first, in order), and how to step it."""
    kind = bound.kind
    args = dict(bound.spec.args) if bound.spec is not None else dict(bound.args)
    lib = kind.library
    if getattr(kind, "node_class", None) is not None and lib in ("torch",):
        import torch.optim.lr_scheduler as lrs

        kids = [build(c, opt)[0] for c in bound.args["schedulers"]]
        if kind.name == "ChainedScheduler":
            return lrs.ChainedScheduler(kids, optimizer=opt), "step"
        return lrs.SequentialLR(opt, kids, milestones=list(args["milestones"])), "step"
    if lib == "torch":
        import importlib

        module, _, name = (kind.torch_path or f"torch.optim.lr_scheduler.{kind.name}").rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        accepted = inspect.signature(cls.__init__).parameters
        kw = {k: _py(bound.args[k]) for k in args if k in accepted}
        return cls(opt, **kw), ("metric" if getattr(kind, "metric_driven", False) else "step")
    if lib == "transformers":
        import transformers

        if kind.name == "get_scheduler":
            a = dict(args)
            name = a.pop("name")
            w, n = a.pop("num_warmup_steps", None), a.pop("num_training_steps", None)
            return transformers.get_scheduler(name, opt, w, n, scheduler_specific_kwargs=a or None), "step"
        return getattr(transformers, kind.name)(opt, **args), "step"
    if lib == "timm":
        import timm.scheduler as ts

        a = dict(args)
        if isinstance(a.get("noise_range_t"), list):
            a["noise_range_t"] = tuple(a["noise_range_t"])
        return getattr(ts, kind.name)(opt, **a), "timm"
    if kind.name == "GradualWarmupScheduler":
        from warmup_scheduler import GradualWarmupScheduler

        after = bound.args["after_scheduler"]
        after_obj = None if after is None else build(after, opt)[0]
        return GradualWarmupScheduler(opt, args["multiplier"], args["total_epoch"], after_obj), "step"
    if lib == "warmup":
        import pytorch_warmup

        inner = bound.args.get("schedule")
        inner_obj = None if inner is None else build(inner, opt)[0]
        kw = {} if kind.name.startswith("Untuned") else {"warmup_period": _py(bound.args["warmup_period"])}
        return (getattr(pytorch_warmup, kind.name)(opt, **kw), inner_obj), "dampen"
    if lib == "seed":
        from lrtui.schedules.torch_bridge import build_bound

        return build_bound(bound, opt, Context(base_lrs=tuple(g["lr"] for g in opt.param_groups))), "step"
    raise AssertionError(kind.name)


def runs(spec_text: str, base_lrs=(0.1,), n: int = 60) -> tuple[bool, str]:
    """(True, "") when the library builds and steps the configuration n − 1 times, else (False, why)."""
    ok, why, _ = run_lrs(spec_text, base_lrs, n)
    return ok, why


def run_lrs(spec_text: str, base_lrs=(0.1,), n: int = 60):
    """(runs, why, lr (groups, n) recorded after construction and after each step)."""
    spec = parse(spec_text)
    # resolve with lrtui only to turn formula strings into callables; a spec lrtui refuses may still run
    try:
        bound = resolve(spec, Context(base_lrs=tuple(base_lrs)))
    except Exception:
        bound = _raw_bound(spec)
    warmup = spec.kind.startswith("Untuned")
    beta2 = bound.args.get("beta2", 0.999) if warmup else 0.999
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lrs: list = []
        try:
            opt = make_optimizer(base_lrs, adam=warmup, beta2=beta2 if isinstance(beta2, float) else 0.999)
            sched, how = build(bound, opt)
            lrs.append([float(g["lr"]) for g in opt.param_groups])
            for k in range(1, n):
                opt.step()
                if how == "metric":
                    sched.step(1.0 - 1e-3 * k)
                elif how == "timm":
                    sched.step(k)
                elif how == "dampen":
                    warmup_obj, inner = sched
                    with warmup_obj.dampening():
                        if inner is not None:
                            inner.step()
                else:
                    sched.step()
                lrs.append([float(g["lr"]) for g in opt.param_groups])
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"[:200], (np.asarray(lrs).T if lrs else None)
    return True, "", np.asarray(lrs).T


def _raw_bound(spec):
    """A Bound that skips lrtui's validation (formulas compiled, children likewise)."""
    from lrtui.schedules.catalogue import get_kind
    from lrtui.schedules.formula import compile_formula
    from lrtui.schedules.spec import Spec

    kind = get_kind(spec.kind)
    args = {p.name: p.default for p in kind.params if not p.required}
    for k, v in spec.args.items():
        p = kind.param(k)
        if p.type == "formula" and isinstance(v, str):
            v = compile_formula(v)
        elif p.type == "schedule" and isinstance(v, Spec):
            v = _raw_bound(v)
        elif p.type == "schedule_list" and isinstance(v, list):
            v = tuple(_raw_bound(c) for c in v)
        elif isinstance(v, list):
            v = tuple(v)
        args[k] = v
    return Bound(kind, args, spec)


__all__ = ["build", "make_optimizer", "run_lrs", "runs"]
del math
