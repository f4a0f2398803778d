"""The schedule doctor: the mistakes people make with LR schedules, found from metadata and the curve.

`lint(plan) -> list[Lint]`; each Lint has a code, a severity ('error' | 'warning' | 'info'), a one-line
message that says what happens (with numbers measured from the evaluated curve where it helps) and a
concrete fix. Rules are keyed by kind name, so kinds that do not exist yet simply never match. lint()
never raises for a valid plan: an invalid one gives a single 'invalid' error lint.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lrtui.schedules.catalogue import Bound
from lrtui.schedules.errors import SpecError
from lrtui.schedules.evaluate import Curve, evaluate
from lrtui.schedules.plan import Plan

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Lint:
    code: str
    severity: str  # "error" | "warning" | "info"
    message: str
    fix: str
    path: str = ""  # where in the spec, e.g. "SequentialLR.schedulers[1]"
    step: float | None = None  # optimizer step where it shows, when there is one

    def __str__(self) -> str:
        where = f" [{self.path}]" if self.path else ""
        return f"{self.severity}: {self.message}{where} — fix: {self.fix}"


@dataclass
class _Node:
    path: str
    bound: Bound
    start: float  # schedule step at which this (child) schedule starts running
    end: float  # schedule step at which it stops (the horizon unless a SequentialLR hands over)
    parent: str = ""  # kind name of the composite holding it

    @property
    def name(self) -> str:
        return self.bound.kind.name

    @property
    def args(self):
        return self.bound.args


class _Doctor:
    def __init__(self, plan: Plan, curve: Curve):
        self.plan, self.curve = plan, curve
        self.ctx = plan.context()
        self.horizon = plan.schedule_steps
        self.lr = curve.lr[0]
        self.scale = plan.steps_per_epoch if plan.stepping in ("epoch", "fractional") else 1
        self.nodes = list(_walk(curve.bound, curve.bound.kind.name, 0, self.horizon, ""))

    def opt_step(self, k: float) -> int:
        """Optimizer step index (into the curve) of schedule step k, clipped to the curve."""
        return int(min(max(round(k * self.scale), 0), self.curve.n - 1))

    def unit(self) -> str:
        return "epochs" if self.plan.stepping == "epoch" else "steps"


def _walk(b: Bound, path: str, start: float, end: float, parent: str) -> Iterator[_Node]:
    yield _Node(path, b, start, end, parent)
    name = b.kind.name
    for key, v in b.args.items():
        if isinstance(v, Bound):
            # GradualWarmupScheduler hands over to after_scheduler at total_epoch.
            s = start + (b.args.get("total_epoch") or 0) if name == "GradualWarmupScheduler" else start
            yield from _walk(v, f"{path}.{key}", min(s, end), end, name)
        elif isinstance(v, tuple) and v and all(isinstance(c, Bound) for c in v):
            if name == "SequentialLR":
                ms = list(b.args.get("milestones") or ())
                bounds = [start, *[start + m for m in ms], end]
                for i, c in enumerate(v):
                    s = bounds[i] if i < len(bounds) else end
                    e = bounds[i + 1] if i + 1 < len(bounds) else end
                    yield from _walk(c, f"{path}.{key}[{i}]", s, min(e, end), name)
            else:
                for i, c in enumerate(v):
                    yield from _walk(c, f"{path}.{key}[{i}]", start, end, name)


def lint(plan: Plan, curve: Curve | None = None) -> list[Lint]:
    """All lints of a plan, errors first. Never raises: an invalid plan gives one 'invalid' lint."""
    try:
        curve = curve if curve is not None else evaluate(plan)
    except SpecError as exc:
        return [
            Lint(
                "invalid",
                "error",
                str(exc),
                f"change {exc.field or 'the spec'}: {exc.allowed or 'see the message'}",
                path=exc.field or "",
            )
        ]
    doc = _Doctor(plan, curve)
    out: list[Lint] = []
    for rule in RULES:
        try:
            out.extend(rule(doc))
        except Exception:  # a broken rule must never break the preview
            continue
    codes = {x.code for x in out}
    if codes & {"onecycle_past_total", "timm_cycle_mul_below_one"}:
        out = [x for x in out if x.code != "non_finite"]  # already explained by the specific lint
    seen, unique = set(), []
    for x in out:
        if (x.code, x.path) not in seen:
            seen.add((x.code, x.path))
            unique.append(x)
    return sorted(unique, key=lambda x: SEVERITIES.index(x.severity))


def _g(x: float) -> str:
    """A number for a message or a fix: whole numbers in full (a fix such as total_steps=10000 must be a valid
    spec, not 1e+04), others to 4 significant digits."""
    if isinstance(x, int | float) and math.isfinite(x) and float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


# -- rules: metadata -------------------------------------------------------------------------------------


def _cosine_t_max(doc: _Doctor) -> Iterator[Lint]:
    """T_max ≠ the steps the cosine runs (total − warmup inside a SequentialLR): rises again or stops early."""
    for n in doc.nodes:
        if n.name != "CosineAnnealingLR" or n.parent == "ChainedScheduler":
            continue
        t_max = n.args["T_max"]
        runs = int(n.end - n.start)
        if runs <= 0 or t_max == runs:
            continue
        if runs > t_max:
            up_at = n.start + t_max
            yield Lint(
                "cosine_rises_after_t_max",
                "warning",
                f"CosineAnnealingLR(T_max={t_max}) runs for {runs} {doc.unit()}: after {_g(up_at)} torch's lr "
                f"climbs back up (to the initial lr at {_g(n.start + 2 * t_max)}); it is not clamped",
                f"use T_max={runs} (the {doc.unit()} it runs), or CosineAnnealingWarmRestarts for intended "
                "restarts",
                n.path,
                doc.opt_step(up_at),
            )
            continue
        down = 100 * (1 - math.cos(math.pi * runs / t_max)) / 2
        if n.parent == "SequentialLR" and n.start > 0:
            yield Lint(
                "t_max_ignores_warmup",
                "warning",
                f"T_max={t_max} but warmup is {_g(n.start)} of {_g(n.end)} {doc.unit()}: the cosine runs "
                f"{runs} and stops {_g(down)}% of the way down",
                f"use T_max={runs}",
                n.path,
                doc.opt_step(n.end),
            )
        else:
            yield Lint(
                "cosine_cut_short",
                "info",
                f"CosineAnnealingLR(T_max={t_max}) only runs {runs} {doc.unit()} here: it ends {_g(down)}% of "
                "the way down to eta_min",
                f"use T_max={runs} to finish the decay within the run",
                n.path,
            )


def _sequential_jumps(doc: _Doctor) -> Iterator[Lint]:
    """SequentialLR: the next child restarts from its own k=0; a milestone ≠ warmup length makes a jump."""
    for n in doc.nodes:
        if n.name != "SequentialLR":
            continue
        children = n.args.get("schedulers") or ()
        for i, m in enumerate(n.args.get("milestones") or ()):
            at = n.start + m
            if at >= doc.horizon or i + 1 >= len(children) or at <= 0:
                continue
            s = doc.opt_step(at)
            before, after = doc.lr[max(s - 1, 0)], doc.lr[s]
            prev = children[i]
            length = _length(prev)
            mismatch = length is not None and length != m
            ratio = after / before if before > 0 else math.inf
            step_before = (
                doc.lr[max(s - 1, 0)] / doc.lr[max(s - 2, 0)] if s >= 2 and doc.lr[max(s - 2, 0)] > 0 else 1
            )
            big = (
                abs(math.log(ratio)) > max(math.log(1.1), 3 * abs(math.log(step_before)))
                if 0 < ratio < math.inf
                else before != after
            )
            if mismatch:
                yield Lint(
                    "milestone_mismatch",
                    "warning",
                    f"milestone {m} ≠ {prev.kind.name}'s length {length}: at step {s} the lr jumps from "
                    f"{_g(before)} to {_g(after)} (×{_g(ratio)})",
                    f"use milestones[{i}]={length}",
                    f"{n.path}.milestones[{i}]",
                    s,
                )
            elif big:
                yield Lint(
                    "milestone_jump",
                    "warning",
                    f"at milestone {m} (step {s}) the lr jumps from {_g(before)} to {_g(after)} "
                    f"(×{_g(ratio)}): SequentialLR starts the next schedule from its own step 0",
                    "make the previous schedule end where the next one starts (same lr), or move the milestone",
                    f"{n.path}.milestones[{i}]",
                    s,
                )


def _length(b: Bound) -> int | None:
    """The natural length of a warmup-like schedule, when it has one."""
    a = b.args
    if b.kind.name in ("LinearLR", "ConstantLR", "PolynomialLR"):
        return a.get("total_iters")
    if b.kind.name in ("LinearWarmup", "ExponentialWarmup"):
        return a.get("warmup_period") or a.get("period")
    if b.kind.name == "GradualWarmupScheduler":
        return a.get("total_epoch")
    return None


def _onecycle(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        if n.name != "OneCycleLR":
            continue
        total = n.args.get("total_steps")
        if total is None and n.args.get("epochs") and n.args.get("steps_per_epoch"):
            total = n.args["epochs"] * n.args["steps_per_epoch"]
        if not total:
            continue
        runs = n.end - n.start
        if doc.plan.stepping == "epoch" and total > 2 * runs:
            yield Lint(
                "onecycle_stepped_per_epoch",
                "error",
                f"OneCycleLR(total_steps={total}) is stepped once per epoch: in {_g(runs)} epochs it reaches "
                f"step {_g(runs)} of {total} (it {'never anneals' if runs < total * 0.3 else 'stops mid-way'})",
                f"call scheduler.step() after every batch (stepping='step'), or use total_steps={_g(runs)}",
                n.path,
            )
        elif total < runs:
            yield Lint(
                "onecycle_past_total",
                "error",
                f"OneCycleLR(total_steps={total}) is stepped {_g(runs)} times: torch raises ValueError "
                f"('Tried to step {total + 1} times') after step {total}",
                f"use total_steps={_g(runs)}",
                n.path,
                doc.opt_step(n.start + total),
            )
        elif total > 2 * runs:
            yield Lint(
                "onecycle_too_long",
                "warning",
                f"OneCycleLR(total_steps={total}) but only {_g(runs)} {doc.unit()} are run: the schedule "
                f"stops at {_g(100 * runs / total)}% of its cycle",
                f"use total_steps={_g(runs)}",
                n.path,
            )


def _cycle_momentum(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        if n.name not in ("CyclicLR", "OneCycleLR") or not n.args.get("cycle_momentum", True):
            continue
        lo, hi = n.args.get("base_momentum"), n.args.get("max_momentum")
        rng = f"{lo}–{hi}" if lo is not None else "its momentum range"
        if doc.plan.optimizer == "sgd" and not doc.plan.momentum:
            yield Lint(
                "momentum_switched_on",
                "warning",
                f"{n.name} has cycle_momentum=True: it silently turns SGD momentum on ({rng}) though the "
                "optimizer has momentum 0",
                "pass cycle_momentum=False to keep plain SGD",
                n.path,
            )
        else:
            what = "Adam's beta1 (betas[0])" if doc.plan.optimizer in ("adam", "adamw") else "SGD's momentum"
            yield Lint(
                "momentum_overridden",
                "info",
                f"{n.name} drives {what} between {rng}, replacing the optimizer's "
                f"{doc.plan.momentum if doc.plan.momentum is not None else 'value'}",
                "pass cycle_momentum=False to leave it alone",
                n.path,
            )


def _constant_factor_zero(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        if n.name == "ConstantLR" and n.args.get("factor") == 0:
            yield Lint(
                "constantlr_factor_zero",
                "error",
                "ConstantLR(factor=0): the lr is 0 until total_iters, then torch divides by 0 "
                "(ZeroDivisionError)",
                "use a small positive factor, e.g. factor=0.1",
                n.path,
            )


_TRANSFORMERS_WARMUP = {
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_constant_schedule_with_warmup",
    "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup",
}


def _warmup_from_zero(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        b = _target(doc, n.bound)
        if b.kind.name in _TRANSFORMERS_WARMUP and b.args.get("num_warmup_steps", 0) > 0:
            w = b.args["num_warmup_steps"]
            yield Lint(
                "warmup_starts_at_zero",
                "info",
                f"transformers warmups start at exactly 0 (λ = k/{w}): the first update uses lr 0, a wasted "
                "step",
                "accept it, or use get_cosine_with_min_lr_schedule_with_warmup_lr_rate (starts at "
                f"1/{w}) or LinearLR(start_factor={_g(1 / w)}, total_iters={w})",
                n.path,
            )
        if (
            b.kind.library == "timm"
            and b.args.get("warmup_t", 0) > 0
            and b.args.get("warmup_lr_init", 1) == 0
        ):
            yield Lint(
                "warmup_starts_at_zero",
                "info",
                f"{b.kind.name}(warmup_lr_init=0): the first {'epoch' if b.args.get('t_in_epochs', True) else 'update'} "
                "uses lr 0",
                "set warmup_lr_init to a small value, e.g. 1e-6",
                n.path,
            )


def _target(doc: _Doctor, b: Bound) -> Bound:
    """get_scheduler(...) -> the schedule it builds; anything else unchanged."""
    if b.kind.name == "get_scheduler":
        try:
            return b.kind.target(b.args, doc.ctx)
        except SpecError:
            return b
    return b


def _get_scheduler_quirks(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        if n.name != "get_scheduler":
            continue
        a = n.args
        if a["name"] == "constant" and a.get("num_warmup_steps"):
            yield Lint(
                "warmup_ignored",
                "warning",
                f"get_scheduler('constant') ignores num_warmup_steps={a['num_warmup_steps']}: no warmup happens",
                "use get_scheduler('constant_with_warmup', ...)",
                n.path,
            )
        if a["name"] == "constant_with_warmup":
            extra = [
                p for p in ("num_cycles", "lr_end", "power", "timescale", "min_lr", "min_lr_rate") if a.get(p)
            ]
            if extra:
                yield Lint(
                    "kwargs_ignored",
                    "warning",
                    f"get_scheduler('constant_with_warmup') ignores {', '.join(extra)}",
                    "remove them",
                    n.path,
                )


def _timm_quirks(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        b, a = n.bound, n.args
        if b.kind.library != "timm":
            continue
        if (
            n.name in ("CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler")
            and a["warmup_t"] > 0
            and not a["warmup_prefix"]
        ):
            peak = float(np.max(doc.curve.lr[0])) if doc.curve.n else 0.0
            base = doc.ctx.base_lrs[0]
            yield Lint(
                "timm_warmup_overlaps",
                "warning",
                f"warmup_prefix=False: the warmup overlaps the first {a['warmup_t']} t of the decay, so the lr "
                f"peaks at {_g(peak)} ({_g(100 * peak / base) if base else '?'}% of {_g(base)}) and never "
                "reaches the base lr",
                "set warmup_prefix=True",
                n.path,
            )
        if n.name == "MultiStepLRScheduler":
            ms = list(a["decay_t"])
            yield Lint(
                "timm_multistep_early",
                "info",
                f"timm applies each milestone one t early (bisect on t + 1): decay_t={ms} decays at t="
                f"{[m - 1 for m in ms]}, unlike torch's MultiStepLR",
                f"to decay at t={ms}, write decay_t={[m + 1 for m in ms]}",
                n.path,
            )
        if n.name == "MultiStepLRScheduler" and list(a["decay_t"]) != sorted(a["decay_t"]):
            yield Lint(
                "timm_multistep_unsorted",
                "warning",
                "decay_t is not sorted: timm's bisect assumes sorted milestones and decays at odd times",
                f"use decay_t={sorted(a['decay_t'])}",
                n.path,
            )
        if not a.get("t_in_epochs", True) and doc.plan.stepping == "epoch":
            yield Lint(
                "timm_t_in_updates_per_epoch",
                "warning",
                "t_in_epochs=False steps per update, but the plan steps per epoch: the preview shows each "
                "epoch's first update only",
                "set stepping='step' to see every update",
                n.path,
            )
        if "lr_min" in a and doc.ctx.base_lrs and a["lr_min"] >= min(doc.ctx.base_lrs):
            yield Lint(
                "lr_min_above_lr",
                "warning",
                f"lr_min={_g(a['lr_min'])} ≥ the lr {_g(min(doc.ctx.base_lrs))}: the schedule rises instead "
                "of decaying",
                "use an lr_min below the lr",
                n.path,
            )
        if a.get("cycle_mul", 1) < 1 and np.isnan(doc.curve.lr).any():
            yield Lint(
                "timm_cycle_mul_below_one",
                "error",
                f"cycle_mul={a['cycle_mul']} < 1: the cycles shrink to nothing and timm raises ValueError "
                "(math domain error) once they are used up",
                "use cycle_mul ≥ 1, or a cycle_limit that ends before that",
                n.path,
            )
        if n.name == "PlateauLRScheduler" and doc.plan.metric is None:
            yield Lint(
                "plateau_needs_metric",
                "info",
                "PlateauLRScheduler only reacts to a metric: without one the preview is flat after the warmup",
                "shape a synthetic metric or preview against a logged run",
                n.path,
            )
        if n.name == "PlateauLRScheduler" and a["mode"] == "max":
            yield Lint(
                "plateau_mode_max",
                "info",
                "timm's PlateauLRScheduler defaults to mode='max' (an accuracy); a loss never 'improves' "
                "upwards, so the lr decays every patience_t+1 epochs",
                "pass mode='min' for a loss",
                n.path,
            )


def _cosine_transformers_past_end(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        b = _target(doc, n.bound)
        if b.kind.name not in (
            "get_cosine_schedule_with_warmup",
            "get_cosine_with_min_lr_schedule_with_warmup",
            "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        ):
            continue
        total = b.args["num_training_steps"]
        if n.end - n.start > total and b.args.get("num_cycles", 0.5) <= 0.5:
            yield Lint(
                "cosine_rises_after_t_max",
                "warning",
                f"the run is longer than num_training_steps={total}: transformers' cosine is not clamped and "
                "the lr rises again after it",
                f"use num_training_steps={_g(n.end - n.start)}",
                n.path,
                doc.opt_step(n.start + total),
            )


def _wsd(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        b = _target(doc, n.bound)
        if b.kind.name != "get_wsd_schedule":
            continue
        w, s, d = b.kind.phases(b.args)
        if s < 0:
            yield Lint(
                "wsd_overlap",
                "warning",
                f"num_training_steps < warmup + decay ({w} + {d}): the stable phase is {s} steps and the decay "
                "starts before the warmup ends",
                f"use num_training_steps ≥ {w + d}",
                n.path,
            )


_ABSOLUTE = {"OneCycleLR", "CyclicLR", "LambdaLR"}


def _resume(doc: _Doctor) -> Iterator[Lint]:
    top = doc.nodes[0] if doc.nodes else None
    if top is None:
        return
    if top.name in _ABSOLUTE or top.bound.kind.library == "transformers":
        yield Lint(
            "resume_order",
            "info",
            f"resuming: build the optimizer and {top.name} fresh, then optimizer.load_state_dict, then "
            "scheduler.load_state_dict; constructing with last_epoch=N puts this schedule one step ahead",
            "save and load scheduler.state_dict() instead of passing last_epoch",
            top.path,
        )


def _seed_get_lr(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        if n.bound.kind.library == "seed":
            yield Lint(
                "get_lr_vs_get_last_lr",
                "info",
                "read the lr with scheduler.get_last_lr() (or optimizer.param_groups[g]['lr']); get_lr() "
                "recomputes the update and is wrong outside step()",
                "use get_last_lr()",
                n.path,
            )


# -- rules: the curve --------------------------------------------------------------------------------------


def _non_finite(doc: _Doctor) -> Iterator[Lint]:
    bad = ~np.isfinite(doc.curve.lr)
    if not bad.any():
        return
    g, s = np.argwhere(bad)[0]
    detail, fix = "", "change the formula or parameters so the lr stays finite"
    for n in doc.nodes:
        for key, v in n.args.items():
            for f in v if isinstance(v, tuple) else (v,):
                if hasattr(f, "domain_errors"):
                    k = np.arange(max(doc.horizon, 1), dtype=np.float64)
                    errs = f.domain_errors(k)
                    if errs:
                        step, what = errs[0]
                        detail = f"; {n.path}.{key} at k={_g(step)}: {what}"
                        fix = f"guard the formula, e.g. max(k, 1) instead of k in a divisor ({f.text})"
    yield Lint(
        "non_finite",
        "error",
        f"the lr is {doc.curve.lr[g, s]} at step {s}{' (group ' + str(g) + ')' if g else ''}{detail}; the real "
        "library would raise or train with a broken lr",
        fix,
        "",
        float(s),
    )


def _zero_runs(doc: _Doctor) -> Iterator[Lint]:
    lr = doc.lr
    n = lr.size
    zero = lr == 0
    if n < 3 or zero.sum() <= max(2, 0.01 * n):
        return
    # The longest run of exact zeros after step 0.
    z = zero[1:].astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], z, [0]))))
    starts, ends = edges[::2] + 1, edges[1::2] + 1
    i = int(np.argmax(ends - starts))
    a, b = int(starts[i]), int(ends[i])
    if b - a <= max(2, 0.01 * n):
        return
    yield Lint(
        "lr_zero",
        "warning",
        f"the lr is exactly 0 for {b - a} steps ({a}–{b - 1} of {n}): those updates do nothing",
        "end the schedule at the real number of steps (num_training_steps / T_max / total_steps), or set a "
        "floor (eta_min, min_lr)",
        "",
        float(a),
    )


def _first_step_near_zero(doc: _Doctor) -> Iterator[Lint]:
    lr = doc.lr
    if lr.size < 2 or not np.isfinite(lr).all():
        return
    peak = float(lr.max())
    if peak <= 0 or lr[0] >= 1e-3 * peak:
        return
    if any(
        _target(doc, n.bound).kind.name in _TRANSFORMERS_WARMUP or n.bound.kind.library == "timm"
        for n in doc.nodes
    ):
        return  # said more precisely by warmup_starts_at_zero
    span = doc.plan.steps_per_epoch if doc.plan.stepping == "epoch" else 1
    what = f"the whole first epoch ({span} steps)" if span > 1 else "the first step"
    yield Lint(
        "first_lr_near_zero",
        "warning" if span > 1 else "info",
        f"the first lr is {_g(lr[0])} ({_g(100 * lr[0] / peak)}% of the peak): {what} barely trains",
        "start the warmup above 0, e.g. (k + 1) / warmup instead of k / warmup, or a start_factor like 0.1",
        "",
        0.0,
    )


def _never_decays(doc: _Doctor) -> Iterator[Lint]:
    lr = doc.lr
    if lr.size < 10 or not np.isfinite(lr).all():
        return
    peak = float(lr.max())
    # "Never decays" means it never goes meaningfully below its peak (a cosine that dips and climbs back
    # up is reported by cosine_rises_after_t_max instead).
    if peak <= 0 or float(lr[int(np.argmax(lr)) :].min()) < 0.999 * peak:
        return
    names = {n.name for n in doc.nodes}
    if names & {
        "get_constant_schedule",
        "get_constant_schedule_with_warmup",
        "ConstantLR",
        "LinearLR",
        "PlateauLRScheduler",
        "ReduceLROnPlateau",
    } or (
        doc.nodes
        and doc.nodes[0].name == "get_scheduler"
        and doc.nodes[0].args["name"].startswith("constant")
    ):
        return
    yield Lint(
        "never_decays",
        "info",
        f"the lr never decays within the {lr.size} steps shown (it ends at its peak {_g(peak)})",
        "check the units (epochs vs steps: step_size / milestones / T_max) or extend the horizon",
        "",
    )


def _poly_lr_end(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        b = _target(doc, n.bound)
        if b.kind.name == "get_polynomial_decay_schedule_with_warmup" and len(doc.ctx.base_lrs) > 1:
            yield Lint(
                "polynomial_default_lr",
                "info",
                f"polynomial decay divides by optimizer.defaults['lr'] ({_g(doc.ctx.lr0)}), not each group's "
                f"lr: group g ends at lr_end·lr_g/{_g(doc.ctx.lr0)}",
                "give every group the same lr, or expect scaled end values",
                n.path,
            )


def _gradual_warmup(doc: _Doctor) -> Iterator[Lint]:
    for n in doc.nodes:
        if n.name != "GradualWarmupScheduler":
            continue
        te = n.args.get("total_epoch")
        mult = n.args.get("multiplier", 1.0)
        if not te or te + 2 >= doc.horizon:
            continue
        target = doc.ctx.base_lrs[0] * (mult if mult and mult >= 1 else 1.0)
        lr = doc.lr
        peak = float(lr.max())
        if peak > target * (1 + 1e-6):
            s = int(np.argmax(lr))
            yield Lint(
                "warmup_overshoot",
                "warning",
                f"GradualWarmupScheduler overshoots: the lr peaks at {_g(peak)}, "
                f"{_g(100 * (peak / target - 1))}% above the target {_g(target)} (step {s}), at the handover",
                "use SequentialLR([LinearLR(...), ...], milestones=[total_epoch]) instead",
                n.path,
                float(s),
            )
        s = doc.opt_step(n.start + te)
        span = doc.scale
        if s + span < lr.size and lr[s] == lr[min(s + span, lr.size - 1)] and n.args.get("after_scheduler"):
            yield Lint(
                "warmup_plateau",
                "info",
                f"an extra {'epoch' if doc.plan.stepping == 'epoch' else 'step'} at {_g(lr[s])} at the "
                "handover: the after_scheduler starts one step late",
                "use SequentialLR with the warmup's length as milestone",
                n.path,
                float(s),
            )


RULES = (
    _non_finite,
    _constant_factor_zero,
    _onecycle,
    _cosine_t_max,
    _sequential_jumps,
    _cosine_transformers_past_end,
    _cycle_momentum,
    _warmup_from_zero,
    _get_scheduler_quirks,
    _timm_quirks,
    _wsd,
    _gradual_warmup,
    _poly_lr_end,
    _zero_runs,
    _first_step_near_zero,
    _never_decays,
    _resume,
    _seed_get_lr,
)

__all__ = ["RULES", "Lint", "lint"]
