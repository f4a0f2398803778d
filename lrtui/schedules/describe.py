"""The catalogue spec of a live scheduler object — torch, transformers, timm, warmup_scheduler — read from
its attributes (duck-typed: this module never imports torch or the libraries).

    from lrtui.schedules.describe import describe_scheduler
    d = describe_scheduler(scheduler)        # a torch.optim.lr_scheduler.OneCycleLR(...), say
    d.spec, d.exact, d.base_lrs, d.last_epoch, d.reason

What is read: the class (type name and module), its constructor arguments as the instance keeps them
(torch stores most under their own names; MultiStepLR a Counter, CyclicLR its total size and ratio,
OneCycleLR its phases and the groups' initial/max/min LR), the base LRs, the current step (`last_epoch`),
and nested schedulers (SequentialLR, ChainedScheduler, GradualWarmupScheduler's after_scheduler).
transformers' schedules are LambdaLR objects whose `lr_lambda` is a `functools.partial` of a named module
function with the arguments as keywords: that names the kind. Anything else behind a LambdaLR (a lambda,
a closure) cannot be read: `exact` is False, the reason says so, and the caller infers the schedule from
the logged LR instead. Every spec is validated by the catalogue (field-by-field errors become the reason).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lrtui.schedules.spec import format_value


@dataclass(frozen=True)
class Described:
    """A scheduler object as a plan: the spec (None when it cannot be described exactly) and what else was read."""

    spec: str | None
    exact: bool
    class_name: str  # module-qualified, e.g. torch.optim.lr_scheduler.OneCycleLR
    library: str = ""
    base_lrs: tuple[float, ...] = ()
    last_epoch: int | None = None  # steps taken so far (torch's last_epoch); None for stateless timm
    total_steps: int | None = None  # the horizon the scheduler itself knows (OneCycleLR, transformers)
    t_in_epochs: bool | None = None  # timm: t counts epochs (step(epoch)) rather than updates
    reason: str = ""
    notes: tuple[str, ...] = field(default=())

    def schedule_config(self) -> dict:
        """The run config's "schedule" entry for this scheduler (spec only when exact)."""
        out: dict[str, Any] = {"source": "scheduler", "class": self.class_name, "exact": self.exact}
        if self.exact and self.spec is not None:
            out["spec"] = self.spec
        if self.base_lrs:
            out["base_lrs"] = list(self.base_lrs)
        if self.last_epoch is not None:
            out["last_epoch"] = self.last_epoch
        if self.total_steps is not None:
            out["total_steps"] = self.total_steps
        if self.reason:
            out["reason"] = self.reason
        return out


class NotDescribable(Exception):
    """The object is a scheduler, but not one the catalogue can spell exactly (the message says why)."""


# ------------------------------------------------------------------------------------------- helpers
def _call(kind: str, **kwargs: Any) -> str:
    parts = [f"{k}={v if isinstance(v, _Spec) else format_value(_plain(v))}" for k, v in kwargs.items()]
    return f"{kind}({', '.join(parts)})"


class _Spec(str):
    """A nested spec string (formatted as is)."""


def _plain(v: Any) -> Any:
    """Python numbers from numpy/torch scalars and containers; everything else unchanged."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    item = getattr(v, "item", None)
    if item is not None:
        return _plain(item())
    if isinstance(v, (int, float)):
        return v
    raise NotDescribable(f"an argument of type {type(v).__name__} ({v!r:.40})")


def _shortest(x: float, exact) -> float:
    """x with the fewest significant digits for which exact(candidate) holds (x when none does)."""
    if not math.isfinite(x):
        return x
    for digits in range(1, 18):
        r = float(f"{x:.{digits}g}")
        if exact(r):
            return r
    return x


def _same(values: list) -> Any:
    """One value for all groups when they agree, else the per-group list."""
    vals = [_plain(v) for v in values]
    return vals[0] if all(v == vals[0] for v in vals) else vals


def _qualname(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _library(obj: Any) -> str:
    module = type(obj).__module__
    for prefix, lib in (
        ("torch.", "torch"),
        ("transformers", "transformers"),
        ("timm", "timm"),
        ("warmup_scheduler", "warmup"),
        ("pytorch_warmup", "warmup"),
    ):
        if module.startswith(prefix):
            return lib
    return ""


def _groups(obj: Any) -> list[dict]:
    opt = getattr(obj, "optimizer", None)
    groups = getattr(opt, "param_groups", None)
    return list(groups) if groups else []


# ------------------------------------------------------------------------------------------- readers
def _torch_spec(obj: Any) -> str:
    name = type(obj).__name__
    if name == "StepLR":
        return _call("StepLR", step_size=obj.step_size, gamma=obj.gamma)
    if name == "MultiStepLR":
        ms = obj.milestones
        milestones = sorted(Counter(ms).elements()) if isinstance(ms, Counter) else sorted(ms)
        return _call("MultiStepLR", milestones=milestones, gamma=obj.gamma)
    if name == "ConstantLR":
        return _call("ConstantLR", factor=obj.factor, total_iters=obj.total_iters)
    if name == "LinearLR":
        return _call(
            "LinearLR", start_factor=obj.start_factor, end_factor=obj.end_factor, total_iters=obj.total_iters
        )
    if name == "ExponentialLR":
        return _call("ExponentialLR", gamma=obj.gamma)
    if name == "PolynomialLR":
        return _call("PolynomialLR", total_iters=obj.total_iters, power=obj.power)
    if name == "CosineAnnealingLR":
        return _call("CosineAnnealingLR", T_max=obj.T_max, eta_min=obj.eta_min)
    if name == "CosineAnnealingWarmRestarts":
        return _call("CosineAnnealingWarmRestarts", T_0=obj.T_0, T_mult=obj.T_mult, eta_min=obj.eta_min)
    if name == "CyclicLR":
        return _cyclic(obj)
    if name == "OneCycleLR":
        return _onecycle(obj)
    if name in ("SequentialLR", "ChainedScheduler"):
        children = [_Spec(_spec_of(child)) for child in obj._schedulers]
        listed = _Spec("[" + ", ".join(children) + "]")
        if name == "SequentialLR":
            return _call("SequentialLR", schedulers=listed, milestones=list(obj._milestones))
        return _call("ChainedScheduler", schedulers=listed)
    if name in ("LambdaLR", "MultiplicativeLR"):
        return _lambda(obj)
    if name == "SWALR":
        return _swalr(obj)
    if name == "ReduceLROnPlateau":
        return _call(
            "ReduceLROnPlateau",
            mode=obj.mode,
            factor=obj.factor,
            patience=obj.patience,
            threshold=obj.threshold,
            threshold_mode=obj.threshold_mode,
            cooldown=obj.cooldown,
            min_lr=_same(obj.min_lrs),
            eps=obj.eps,
        )
    raise NotDescribable(f"{name} is not in lrtui's catalogue")


def _cyclic(obj: Any) -> str:
    if getattr(obj, "_scale_fn_custom", None) is not None:
        raise NotDescribable("CyclicLR with a custom scale_fn (a Python function)")
    total = float(obj.total_size)
    up = round(total * float(obj.step_ratio))
    down = round(total) - up
    kwargs: dict[str, Any] = {
        "base_lr": _same(obj.base_lrs),
        "max_lr": _same(obj.max_lrs),
        "step_size_up": up,
        "step_size_down": down,
        "mode": obj.mode,
        "gamma": obj.gamma,
        "cycle_momentum": bool(obj.cycle_momentum),
    }
    if obj.cycle_momentum:
        kwargs["base_momentum"] = _same(obj.base_momentums)
        kwargs["max_momentum"] = _same(obj.max_momentums)
    return _call("CyclicLR", **kwargs)


def _swalr(obj: Any) -> str:
    groups = _groups(obj)
    if not groups or any("swa_lr" not in g for g in groups):
        raise NotDescribable("SWALR without the swa_lr it writes into the param groups")
    anneal = getattr(obj, "_anneal_strategy", None)
    if anneal is None:  # older torch kept only the function
        func = getattr(obj, "anneal_func", None)
        anneal = "linear" if func is not None and "linear" in getattr(func, "__name__", "") else "cos"
    return _call(
        "SWALR",
        swa_lr=_same([g["swa_lr"] for g in groups]),
        anneal_epochs=obj.anneal_epochs,
        anneal_strategy=anneal,
    )


def _onecycle(obj: Any) -> str:
    groups = _groups(obj)
    if not groups:
        raise NotDescribable("OneCycleLR without optimizer param groups")
    total = int(obj.total_steps)
    phases = obj._schedule_phases
    end0 = float(phases[0]["end_step"])
    pct = _shortest((end0 + 1) / total, lambda q: float(q * total) - 1 == end0)
    max_lr = [float(g["max_lr"]) for g in groups]
    init = [float(g["initial_lr"]) for g in groups]
    low = [float(g["min_lr"]) for g in groups]
    div = _shortest(max_lr[0] / init[0], lambda d: max_lr[0] / d == init[0])
    final = _shortest(init[0] / low[0], lambda f: init[0] / f == low[0]) if low[0] else math.inf
    anneal = getattr(obj, "_anneal_func_type", None)
    if anneal is None:  # older torch kept the function
        func = getattr(obj, "anneal_func", None)
        anneal = "linear" if func is not None and "linear" in getattr(func, "__name__", "") else "cos"
    kwargs: dict[str, Any] = {
        "max_lr": _same(max_lr),
        "total_steps": total,
        "pct_start": pct,
        "anneal_strategy": anneal,
        "div_factor": div,
        "final_div_factor": final,
        "three_phase": len(phases) == 3,
        "cycle_momentum": bool(obj.cycle_momentum),
    }
    if obj.cycle_momentum:
        kwargs["base_momentum"] = _same([g.get("base_momentum", 0.85) for g in groups])
        kwargs["max_momentum"] = _same([g.get("max_momentum", 0.95) for g in groups])
    return _call("OneCycleLR", **kwargs)


# transformers' LambdaLR factories: the partial's function name -> kind (the keywords are its arguments)
TRANSFORMERS_LAMBDAS = {
    "_get_constant_lambda": "get_constant_schedule",
    "_get_constant_schedule_with_warmup_lr_lambda": "get_constant_schedule_with_warmup",
    "_get_linear_schedule_with_warmup_lr_lambda": "get_linear_schedule_with_warmup",
    "_get_cosine_schedule_with_warmup_lr_lambda": "get_cosine_schedule_with_warmup",
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda": "get_cosine_with_hard_restarts_schedule_with_warmup",
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": "get_polynomial_decay_schedule_with_warmup",
    "_get_inverse_sqrt_schedule_lr_lambda": "get_inverse_sqrt_schedule",
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda": "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "_get_wsd_scheduler_lambda": "get_wsd_schedule",
}


def _lambda(obj: Any) -> str:
    name = type(obj).__name__
    lambdas = list(getattr(obj, "lr_lambdas", []) or [])
    if not lambdas:
        raise NotDescribable(f"{name} without lr_lambdas")
    first = lambdas[0]
    if any(f is not first for f in lambdas[1:]):
        raise NotDescribable(f"{name} with a different function per param group")
    func = first.func if isinstance(first, functools.partial) else first
    module = getattr(func, "__module__", "") or ""
    fname = getattr(func, "__name__", "")
    if name == "LambdaLR" and module.startswith("transformers") and fname in TRANSFORMERS_LAMBDAS:
        kind = TRANSFORMERS_LAMBDAS[fname]
        kw = dict(first.keywords) if isinstance(first, functools.partial) else {}
        if isinstance(first, functools.partial) and first.args:
            raise NotDescribable(f"{fname} with positional arguments")
        if kind == "get_cosine_schedule_with_warmup" and kw.get("min_lr_rate", 0.0):
            kind = "get_cosine_with_min_lr_schedule_with_warmup"  # the same lambda, with a floor
        elif kind == "get_cosine_schedule_with_warmup":
            kw.pop("min_lr_rate", None)
        kw.pop("lr_init", None)  # polynomial's: optimizer.defaults["lr"], the plan's default LR
        return _call(kind, **kw)
    what = (
        "a lambda"
        if fname == "<lambda>"
        else f"the Python function {module}.{fname}"
        if fname
        else "a callable"
    )
    raise NotDescribable(f"{name} over {what}: its formula cannot be read")


def _timm_spec(obj: Any) -> str:
    """timm schedulers keep their constructor arguments under the same names as the catalogue's params."""
    from lrtui.schedules.catalogue import get_kind

    name = type(obj).__name__
    kind = get_kind(name)
    if kind is None:
        raise NotDescribable(f"timm's {name} is not in lrtui's catalogue")
    kwargs = {}
    for p in kind.params:
        if p.name == "decay_t" and isinstance(getattr(obj, "decay_t", None), (list, tuple)):
            kwargs["decay_t"] = list(obj.decay_t)
        elif hasattr(obj, p.name):
            kwargs[p.name] = getattr(obj, p.name)
    return _call(name, **kwargs)


def _gradual_warmup(obj: Any) -> str:
    after = getattr(obj, "after_scheduler", None)
    kwargs: dict[str, Any] = {"multiplier": obj.multiplier, "total_epoch": obj.total_epoch}
    if after is not None:
        kwargs["after_scheduler"] = _Spec(_spec_of(after))
    return _call("GradualWarmupScheduler", **kwargs)


def _spec_of(obj: Any) -> str:
    lib = _library(obj)
    name = type(obj).__name__
    if lib == "torch" or (name in ("LambdaLR", "MultiplicativeLR") and hasattr(obj, "lr_lambdas")):
        return _torch_spec(obj)
    if lib == "timm":
        return _timm_spec(obj)
    if name == "GradualWarmupScheduler":
        return _gradual_warmup(obj)
    raise NotDescribable(f"{_qualname(obj)} is not a scheduler lrtui knows")


# ------------------------------------------------------------------------------------------- public
def describe_scheduler(obj: Any) -> Described:
    """The spec of a live scheduler object, validated by the catalogue; never raises."""
    from lrtui.schedules.catalogue import Context, resolve
    from lrtui.schedules.errors import SpecError
    from lrtui.schedules.spec import parse

    inner = getattr(obj, "scheduler", None)
    if type(obj).__name__ == "AcceleratedScheduler" and inner is not None:
        obj = inner  # accelerate's wrapper steps the torch scheduler inside
    cls = _qualname(obj)
    lib = _library(obj)
    base = _base_lrs(obj)
    last = getattr(obj, "last_epoch", None)
    last_epoch = int(last) if isinstance(_try_plain(last), int) and lib != "timm" else None
    t_in_epochs = bool(obj.t_in_epochs) if lib == "timm" and hasattr(obj, "t_in_epochs") else None
    common = dict(class_name=cls, library=lib, base_lrs=base, last_epoch=last_epoch, t_in_epochs=t_in_epochs)
    try:
        text = _spec_of(obj)
    except NotDescribable as exc:
        return Described(
            None, False, reason=f"{exc}; the schedule will be inferred from the logged LR", **common
        )
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        return Described(
            None,
            False,
            reason=f"{type(obj).__name__} could not be read ({type(exc).__name__}: {exc}); "
            "the schedule will be inferred from the logged LR",
            **common,
        )
    try:
        spec = _without_defaults(parse(text))
        resolve(spec, Context(base_lrs=base or (0.1,), default_lr=_default_lr(obj, base)))
    except SpecError as exc:
        return Described(None, False, reason=f"{text}: {exc}", **common)
    total = _total_of(spec)
    return Described(str(spec), True, total_steps=total, **common)


def _without_defaults(spec):
    """The spec without arguments equal to their defaults (what a person would write), children too."""
    from lrtui.schedules.catalogue import get_kind
    from lrtui.schedules.params import REQUIRED
    from lrtui.schedules.spec import Spec

    kind = get_kind(spec.kind)
    if kind is None:
        return spec
    args = {}
    for key, value in spec.args.items():
        if isinstance(value, Spec):
            value = _without_defaults(value)
        elif isinstance(value, list) and value and all(isinstance(v, Spec) for v in value):
            value = [_without_defaults(v) for v in value]
        try:
            default = kind.param(key).default
        except KeyError:
            args[key] = value
            continue
        if default is REQUIRED or not _equal(value, default):
            args[key] = value
    return Spec(spec.kind, args)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def _try_plain(v: Any) -> Any:
    try:
        return _plain(v)
    except NotDescribable:
        return None


def _base_lrs(obj: Any) -> tuple[float, ...]:
    """The groups' base LRs as the scheduler sees them (torch base_lrs / timm base_values / initial_lr)."""
    for attr in ("base_lrs", "base_values"):
        values = getattr(obj, attr, None)
        if values:
            try:
                return tuple(float(_plain(v)) for v in values)
            except (NotDescribable, TypeError, ValueError):
                pass
    groups = _groups(obj)
    try:
        return tuple(float(g.get("initial_lr", g["lr"])) for g in groups)
    except (KeyError, TypeError, ValueError):
        return ()


def _default_lr(obj: Any, base: tuple[float, ...]) -> float | None:
    opt = getattr(obj, "optimizer", None)
    defaults = getattr(opt, "defaults", None)
    if isinstance(defaults, dict) and isinstance(_try_plain(defaults.get("lr")), (int, float)):
        return float(_plain(defaults["lr"]))
    return base[0] if base else None


def _total_of(spec) -> int | None:
    """The horizon a spec states itself (OneCycleLR total_steps, transformers num_training_steps)."""
    args = spec.args
    for key in ("total_steps", "num_training_steps"):
        v = args.get(key)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    return None
