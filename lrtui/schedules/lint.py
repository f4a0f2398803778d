"""The schedule doctor: the mistakes people make with LR schedules, found from metadata and the curve.

`lint(plan) -> list[Lint]`; each Lint has a code, a severity ('error' | 'warning' | 'info'), a one-line
message that says what happens (with numbers measured from the evaluated curve where it helps) and a
concrete fix. The lints that concern one kind live with it (`Kind.lints(node, doc)`); the ones here look
at the curve and at what any kind declares (drives_momentum, holds_flat, ...). lint() never raises for a
valid plan: an invalid one gives a single 'invalid' error lint, and a rule that fails gives an 'internal'
error lint (a bug to report) instead of breaking the preview.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

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
    explains: tuple[str, ...] = ()  # codes of curve lints this one already explains (they are dropped)

    def __str__(self) -> str:
        where = f" [{self.path}]" if self.path else ""
        return f"{self.severity}: {self.message}{where} — fix: {self.fix}"


@dataclass
class Node:
    """A schedule of the plan's tree, where it runs: schedule steps start..end (in the plan's unit)."""

    path: str
    bound: Bound
    start: float
    end: float
    parent: Node | None = None

    @property
    def name(self) -> str:
        return self.bound.kind.name

    @property
    def kind(self):
        return self.bound.kind

    @property
    def args(self):
        return self.bound.args


class Doctor:
    """The plan, its curve, and the tree's nodes, for the rules."""

    def __init__(self, plan: Plan, curve: Curve):
        self.plan, self.curve = plan, curve
        self.ctx = plan.context()
        self.horizon = plan.schedule_steps
        self.lr = curve.lr[0]
        self.scale = plan.steps_per_epoch if plan.stepping in ("epoch", "fractional") else 1
        self.nodes = list(walk(curve.bound, curve.bound.kind.name, 0, self.horizon, None, self.ctx))

    # Facts several rules read, computed once (a 1M-step curve is linted on every edit in the preview).

    @cached_property
    def lr_finite(self) -> bool:
        """Group 0's lr (the one the curve rules read) is finite everywhere."""
        return self.curve.finite or bool(np.isfinite(self.lr).all())

    @cached_property
    def peak_at(self) -> int:
        """Index of group 0's largest lr (the first one; meaningful when `lr_finite`)."""
        return int(np.argmax(self.lr))

    @property
    def peak(self) -> float:
        return float(self.lr[self.peak_at])

    @cached_property
    def lowest(self) -> float:
        """The smallest lr of any group (NaN when one is NaN): above 0, no lr is negative or zero."""
        return float(self.curve.lr.min()) if self.curve.lr.size else math.inf

    def opt_step(self, k: float) -> int:
        """Optimizer step index (into the curve) of schedule step k, clipped to the curve."""
        return int(min(max(round(k * self.scale), 0), self.curve.n - 1))

    def unit(self) -> str:
        return "epochs" if self.plan.stepping == "epoch" else "steps"


def walk(b: Bound, path: str, start: float, end: float, parent: Node | None, ctx) -> Iterator[Node]:
    node = Node(path, b, start, end, parent)
    yield node
    for suffix, child, s, e in b.kind.child_spans(b.args, start, end, ctx):
        yield from walk(child, f"{path}{suffix}", min(s, end), min(e, end), node, ctx)


def fmt(x: float) -> str:
    """A number for a message or a fix: whole numbers in full (a fix such as total_steps=10000 must be a valid
    spec, not 1e+04), others to 4 significant digits."""
    if isinstance(x, int | float) and math.isfinite(x) and float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


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
    doc = Doctor(plan, curve)
    out: list[Lint] = []
    for node in doc.nodes:
        out.extend(_guarded(f"{node.name}.lints", lambda node=node: node.kind.lints(node, doc), node.path))
    for rule in RULES:
        out.extend(_guarded(rule.__name__.strip("_"), lambda rule=rule: rule(doc, out), ""))
    explained = {code for x in out for code in x.explains}
    out = [x for x in out if x.code not in explained]
    seen, unique = set(), []
    for x in out:
        if (x.code, x.path) not in seen:
            seen.add((x.code, x.path))
            unique.append(x)
    return sorted(unique, key=lambda x: SEVERITIES.index(x.severity))


def _guarded(name: str, rule, path: str) -> list[Lint]:
    """A rule's lints; a rule that raises is a bug: reported as an 'internal' lint, never hidden."""
    try:
        return list(rule() or ())
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return [
            Lint(
                "internal",
                "error",
                f"internal error in lint rule {name}: {type(exc).__name__}: {exc} "
                f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})",
                "please report it; the curve itself is unaffected",
                path,
            )
        ]


# -- rules: anything a kind declares -----------------------------------------------------------------------


def _cycle_momentum(doc: Doctor, found: list[Lint]) -> Iterator[Lint]:
    for n in doc.nodes:
        if not n.kind.drives_momentum_for(n.args):
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


def _resume(doc: Doctor, found: list[Lint]) -> Iterator[Lint]:
    top = doc.nodes[0] if doc.nodes else None
    if top is not None and top.kind.closed_in_last_epoch:
        yield Lint(
            "resume_order",
            "info",
            f"resuming: build the optimizer and {top.name} fresh, then optimizer.load_state_dict, then "
            "scheduler.load_state_dict; constructing with last_epoch=N puts this schedule one step ahead",
            "save and load scheduler.state_dict() instead of passing last_epoch",
            top.path,
        )


# -- rules: the curve --------------------------------------------------------------------------------------


def _non_finite(doc: Doctor, found: list[Lint]) -> Iterator[Lint]:
    if doc.curve.finite:
        return
    bad = ~np.isfinite(doc.curve.lr)
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
                        detail = f"; {n.path}.{key} at k={fmt(step)}: {what}"
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


def _negative_lr(doc: Doctor, found: list[Lint]) -> Iterator[Lint]:
    if doc.lowest >= 0:
        return
    with np.errstate(invalid="ignore"):
        neg = doc.curve.lr < 0
    if neg.any():
        g, s = np.argwhere(neg)[0]
        yield Lint(
            "negative_lr",
            "error",
            f"the lr is negative ({fmt(doc.curve.lr[g, s])}) at step {s}: the optimizer climbs the loss (torch "
            "accepts it from a scheduler, though no optimizer accepts it as its lr)",
            "keep every lr-valued argument (eta_min, swa_lr, min_lr, ...) ≥ 0",
            "",
            float(s),
        )


def _zero_runs(doc: Doctor, found: list[Lint]) -> Iterator[Lint]:
    if doc.lowest > 0:
        return
    lr = doc.lr
    n = lr.size
    zero = lr == 0
    if n < 3 or np.count_nonzero(zero) <= max(2, 0.01 * n):
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


def _first_step_near_zero(doc: Doctor, found: list[Lint]) -> Iterator[Lint]:
    lr = doc.lr
    if lr.size < 2 or not doc.lr_finite:
        return
    peak = doc.peak
    if peak <= 0 or lr[0] >= 1e-3 * peak:
        return
    span = doc.plan.steps_per_epoch if doc.plan.stepping == "epoch" else 1
    what = f"the whole first epoch ({span} steps)" if span > 1 else "the first step"
    yield Lint(
        "first_lr_near_zero",
        "warning" if span > 1 else "info",
        f"the first lr is {fmt(lr[0])} ({fmt(100 * lr[0] / peak)}% of the peak): {what} barely trains",
        "start the warmup above 0, e.g. (k + 1) / warmup instead of k / warmup, or a start_factor like 0.1",
        "",
        0.0,
    )


def _never_decays(doc: Doctor, found: list[Lint]) -> Iterator[Lint]:
    lr = doc.lr
    if lr.size < 10 or not doc.lr_finite:
        return
    peak = doc.peak
    # "Never decays" means it never goes meaningfully below its peak (a cosine that dips and climbs back
    # up is reported by cosine_rises_after_t_max instead).
    if peak <= 0 or float(lr[doc.peak_at :].min()) < 0.999 * peak:
        return
    if any(n.kind.holds_flat(n.args) for n in doc.nodes):
        return  # a schedule meant to hold the lr (a constant, a warmup alone, a plateau without a metric)
    yield Lint(
        "never_decays",
        "info",
        f"the lr never decays within the {lr.size} steps shown (it ends at its peak {fmt(peak)})",
        "check the units (epochs vs steps: step_size / milestones / T_max) or extend the horizon",
        "",
    )


RULES = (
    _non_finite,
    _negative_lr,
    _cycle_momentum,
    _zero_runs,
    _first_step_near_zero,
    _never_decays,
    _resume,
)

__all__ = ["RULES", "Doctor", "Lint", "Node", "fmt", "lint", "walk"]
