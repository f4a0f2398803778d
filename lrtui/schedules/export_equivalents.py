"""The same schedule in another library, for `lrtui export --to transformers | timm`.

A rule proposes, for one kind, specs of other libraries that may draw the same curve. `translate` keeps the
first candidate the target accepts whose curve over the plan equals the original's (the engine's parity bar:
relative 1e-9), so an equivalence is never assumed: it is checked on the user's plan (a torch cosine and
timm's agree up to T_max; past it torch rises again and timm holds lr_min). Otherwise SpecError names the
nearest candidate and how far it is, and points at `--to torch`, which writes any schedule exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from lrtui.schedules.catalogue import Bound, resolve
from lrtui.schedules.errors import SpecError
from lrtui.schedules.evaluate import evaluate
from lrtui.schedules.plan import Plan
from lrtui.schedules.spec import Spec

RTOL, ATOL = 1e-9, 1e-15
Rule = Callable[[Bound, Plan], list[Spec]]
RULES: dict[str, Rule] = {}


def rule(*names: str):
    def add(fn: Rule) -> Rule:
        for name in names:
            RULES[name] = fn
        return fn

    return add


def _in_epochs(plan: Plan) -> bool:
    """timm counts t in epochs when the plan steps per epoch (else in updates, i.e. optimizer steps)."""
    return plan.stepping != "step"


# -- torch -> timm ------------------------------------------------------------------------------------


@rule("StepLR")
def _step(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    return [
        Spec(
            "StepLRScheduler",
            {"decay_t": a["step_size"], "decay_rate": a["gamma"], "t_in_epochs": _in_epochs(plan)},
        )
    ]


@rule("ExponentialLR")
def _exponential(b: Bound, plan: Plan) -> list[Spec]:
    return [
        Spec(
            "StepLRScheduler", {"decay_t": 1, "decay_rate": b.args["gamma"], "t_in_epochs": _in_epochs(plan)}
        )
    ]


@rule("MultiStepLR")
def _multistep(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args  # timm decays at t = decay_t − 1 (bisect on t + 1): one later to match torch
    decay_t = [int(m) + 1 for m in sorted(a["milestones"])]
    return [
        Spec(
            "MultiStepLRScheduler",
            {"decay_t": decay_t, "decay_rate": a["gamma"], "t_in_epochs": _in_epochs(plan)},
        )
    ]


@rule("CosineAnnealingLR")
def _cosine(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    args = {"t_initial": a["T_max"], "lr_min": a["eta_min"], "t_in_epochs": _in_epochs(plan)}
    return [Spec("CosineLRScheduler", args)]


@rule("CosineAnnealingWarmRestarts")
def _warm_restarts(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    args = {
        "t_initial": a["T_0"],
        "lr_min": a["eta_min"],
        "cycle_mul": float(a["T_mult"]),
        "cycle_limit": plan.schedule_steps + 1,
        "t_in_epochs": _in_epochs(plan),
    }
    return [Spec("CosineLRScheduler", args)]


@rule("PolynomialLR")
def _poly(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    args = {"t_initial": a["total_iters"], "power": a["power"], "t_in_epochs": _in_epochs(plan)}
    return [Spec("PolyLRScheduler", args)]


@rule("SequentialLR")
def _warmup_then(b: Bound, plan: Plan) -> list[Spec]:
    """SequentialLR([LinearLR warmup, cosine or poly decay], milestones=[w]): timm's warmup_prefix=True."""
    kids, ms = b.args["schedulers"], b.args["milestones"]
    if len(kids) != 2 or len(ms) != 1 or kids[0].kind.name != "LinearLR":
        return []
    warm, w = kids[0].args, int(ms[0])
    after = _candidates(kids[1], plan)
    out = []
    for spec in after:
        if spec.kind in ("CosineLRScheduler", "PolyLRScheduler"):
            extra = {
                "warmup_t": w,
                "warmup_lr_init": warm["start_factor"] * plan.base_lrs[0],
                "warmup_prefix": True,
            }
            out.append(Spec(spec.kind, {**spec.args, **extra}))
    return out


# -- transformers -> timm / torch ------------------------------------------------------------------------


@rule("get_cosine_schedule_with_warmup", "get_cosine_with_min_lr_schedule_with_warmup")
def _hf_cosine(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    w, n = a["num_warmup_steps"], a["num_training_steps"]
    lr_min = 0.0
    if a.get("min_lr") is not None:
        lr_min = a["min_lr"]
    elif a.get("min_lr_rate") is not None:
        lr_min = a["min_lr_rate"] * plan.base_lrs[0]
    args = {
        "t_initial": max(1, n - w),
        "lr_min": lr_min,
        "warmup_t": w,
        "warmup_prefix": True,
        "t_in_epochs": False,
    }
    torch_like = [Spec("CosineAnnealingLR", {"T_max": n, "eta_min": lr_min})] if w == 0 else []
    return [Spec("CosineLRScheduler", args), *torch_like]


@rule("get_linear_schedule_with_warmup")
def _hf_linear(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    w, n = a["num_warmup_steps"], a["num_training_steps"]
    args = {
        "t_initial": max(1, n - w),
        "power": 1.0,
        "warmup_t": w,
        "warmup_prefix": True,
        "t_in_epochs": False,
    }
    return [Spec("PolyLRScheduler", args)]


@rule("get_constant_schedule_with_warmup")
def _hf_constant_warmup(b: Bound, plan: Plan) -> list[Spec]:
    w = b.args["num_warmup_steps"]
    args = {"decay_t": 1, "decay_rate": 1.0, "warmup_t": w, "t_in_epochs": False}
    return [Spec("StepLRScheduler", args)]


@rule("get_constant_schedule")
def _hf_constant(b: Bound, plan: Plan) -> list[Spec]:
    return [Spec("StepLRScheduler", {"decay_t": 1, "decay_rate": 1.0, "t_in_epochs": False})]


@rule("get_scheduler")
def _hf_get_scheduler(b: Bound, plan: Plan) -> list[Spec]:
    return _candidates(b.kind.target(b.args, plan.context()), plan)


# -- timm / seed / warmup -> torch (which transformers accepts) or transformers ---------------------------


@rule("StepLRScheduler")
def _timm_step(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    if a["warmup_t"]:
        return []
    return [Spec("StepLR", {"step_size": int(a["decay_t"]), "gamma": a["decay_rate"]})]


@rule("MultiStepLRScheduler")
def _timm_multistep(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    if a["warmup_t"]:
        return []
    return [
        Spec(
            "MultiStepLR",
            {"milestones": [max(0, int(d) - 1) for d in a["decay_t"]], "gamma": a["decay_rate"]},
        )
    ]


@rule("CosineLRScheduler")
def _timm_cosine(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    n = a["t_initial"] + (a["warmup_t"] if a["warmup_prefix"] else 0)
    if a["lr_min"]:
        return [
            Spec(
                "get_cosine_with_min_lr_schedule_with_warmup",
                {"num_warmup_steps": a["warmup_t"], "num_training_steps": n, "min_lr": a["lr_min"]},
            )
        ]
    spec = Spec(
        "get_cosine_schedule_with_warmup", {"num_warmup_steps": a["warmup_t"], "num_training_steps": n}
    )
    return [spec]


@rule("PolyLRScheduler")
def _timm_poly(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    n = a["t_initial"] + (a["warmup_t"] if a["warmup_prefix"] else 0)
    if a["power"] == 1.0 and not a["lr_min"]:
        return [
            Spec(
                "get_linear_schedule_with_warmup",
                {"num_warmup_steps": a["warmup_t"], "num_training_steps": n},
            )
        ]
    return [Spec("PolynomialLR", {"total_iters": a["t_initial"], "power": a["power"]})]


@rule("warm_up_cosine_lr_scheduler")
def _seed_lambda(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    e, w, eta = a["epochs"], a["warm_up_epochs"], a["eta_min"]
    if w <= 0:
        return [Spec("CosineAnnealingLR", {"T_max": e, "eta_min": eta})]
    formula = f"{eta!r} + k / {w} if k <= {w} else 0.5 * (cos((k - {w}) / ({e} - {w}) * pi) + 1)"
    return [
        Spec("LambdaLR", {"lr_lambda": formula}),
        Spec("get_cosine_schedule_with_warmup", {"num_warmup_steps": w, "num_training_steps": e}),
    ]


@rule("WarmupCosineLR")
def _seed_class(b: Bound, plan: Plan) -> list[Spec]:
    a = b.args
    rate = a["lr_min"] / a["lr_max"] if a["lr_max"] else 0.0
    args = {"num_warmup_steps": a["warm_up"], "num_training_steps": a["T_max"], "min_lr_rate": rate}
    return [Spec("get_cosine_with_min_lr_schedule_with_warmup", args)]


@rule("LinearWarmup", "ExponentialWarmup", "UntunedLinearWarmup", "UntunedExponentialWarmup")
def _dampened(b: Bound, plan: Plan) -> list[Spec]:
    inner = b.args.get("schedule")
    if inner is None or inner.kind.name != "CosineAnnealingLR":
        return []
    w = int(max(b.kind.periods(b.args, plan.context())))
    return [
        Spec(
            "get_cosine_schedule_with_warmup",
            {"num_warmup_steps": w, "num_training_steps": inner.args["T_max"]},
        )
    ]


@rule("GradualWarmupScheduler")
def _gradual(b: Bound, plan: Plan) -> list[Spec]:
    after = b.args.get("after_scheduler")
    w = b.args["total_epoch"]
    if after is None or after.kind.name != "CosineAnnealingLR":
        return [Spec("get_constant_schedule_with_warmup", {"num_warmup_steps": w})]
    total = w + after.args["T_max"]
    return [Spec("get_cosine_schedule_with_warmup", {"num_warmup_steps": w, "num_training_steps": total})]


# -- translation ---------------------------------------------------------------------------------------------


def _candidates(b: Bound, plan: Plan) -> list[Spec]:
    fn = RULES.get(b.kind.name)
    return fn(b, plan) if fn is not None else []


def _library(spec: Spec, plan: Plan) -> str | None:
    try:
        return resolve(spec, plan.context()).kind.library
    except SpecError:
        return None


def _difference(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """The largest relative difference of b from a, and the step where it is."""
    with np.errstate(all="ignore"):
        rel = np.abs(a - b) / np.maximum(np.abs(a), ATOL)
    rel = np.where(np.isnan(a) & np.isnan(b), 0.0, np.nan_to_num(rel, nan=np.inf))
    k = int(np.argmax(rel.max(axis=0))) if rel.size else 0
    return float(rel[:, k].max()) if rel.size else 0.0, k


def translate(plan: Plan, bound: Bound, to: str) -> tuple[Plan, str]:
    """The plan with a spec the target library has a class for and the same curve, and a one-line note.

    Raises SpecError naming the nearest equivalent (or saying there is none) and pointing at --to torch."""
    from lrtui.schedules.export import _ACCEPTS

    original = evaluate(plan).lr
    nearest: tuple[float, int, Spec] | None = None
    for spec in _candidates(bound, plan):
        lib = _library(spec, plan)
        if lib is None or lib not in _ACCEPTS[to]:
            continue
        candidate = replace(plan, spec=spec)
        try:
            lr = evaluate(candidate).lr
        except SpecError:
            continue
        if lr.shape == original.shape and np.allclose(lr, original, rtol=RTOL, atol=ATOL, equal_nan=True):
            why = (
                f"{bound.kind.name} ({bound.kind.library}) written as {to}'s {spec.kind}: "
                f"the same curve over these {plan.total_steps:,} steps"
            )
            return candidate, why
        diff, k = _difference(original, lr)
        if nearest is None or diff < nearest[0]:
            nearest = (diff, k, spec)
    here = f"{bound.kind.name} ({bound.kind.library}) cannot be exported to {to}"
    exact = "--to torch writes it exactly, as plain torch code"
    if nearest is None:
        message = f"{here}: {to} has no equivalent schedule; {exact}"
        allowed = "torch"
    else:
        diff, k, spec = nearest
        message = (
            f"{here}: the nearest {to} schedule is {spec} (it differs by up to {diff:.3g} relative, at step {k}); "
            f"{exact}"
        )
        allowed = f"torch, or {to} with {spec}"
    raise SpecError(message, field="to", value=to, allowed=allowed)


__all__ = ["RULES", "translate"]
