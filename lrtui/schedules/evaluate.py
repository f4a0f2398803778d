"""Evaluate a Plan into the LRs the optimizer will hold at every optimizer step."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from lrtui.schedules.catalogue import Abandon, Bound, Draft, Marker, resolve
from lrtui.schedules.kinds._torch_common import arange_view
from lrtui.schedules.plan import Plan
from lrtui.schedules.spec import Spec, parse


@dataclass
class Curve:
    """LR per param group at optimizer steps 0..n-1 (`lr[g, i]` is used by the (i+1)-th update)."""

    plan: Plan
    bound: Bound
    lr: np.ndarray  # (groups, n)
    momentum: np.ndarray | None  # (groups, n) or None when the schedule does not drive it
    momentum_name: str
    markers: list[Marker]  # positions in optimizer steps
    draft: bool = False  # True: a draft (`evaluate(..., draft=True)`), torch's values up to rounding only

    @property
    def n(self) -> int:
        return self.lr.shape[1]

    @cached_property
    def finite(self) -> bool:
        """Every group's lr is finite (no inf, no NaN): scanned once per curve, for the lints and the
        preview's overflow note (a 1M-step curve is read by both on every edit)."""
        return bool(np.isfinite(self.lr).all())

    @property
    def steps(self) -> np.ndarray:
        return np.arange(self.n)

    @property
    def epochs(self) -> np.ndarray:
        return self.steps / self.plan.steps_per_epoch


def schedule_positions(plan: Plan, n: int) -> np.ndarray:
    """The scheduler's k for each optimizer step i (int steps, or float epochs for fractional stepping)."""
    if plan.stepping == "epoch":
        return np.arange(n) // plan.steps_per_epoch
    if plan.stepping == "fractional":
        return np.arange(n) / plan.steps_per_epoch
    # The shared read-only 0..n−1: no fresh 8 MB per 1M-step curve, and every_step() recognises it at once.
    return arange_view(n)


def evaluate(
    plan: Plan, n: int | None = None, *, draft: bool = False, abandon: Abandon | None = None
) -> Curve:
    """Raises SpecError for an invalid spec; never anything else for a valid Plan (but Abandoned, when
    `abandon` is requested meanwhile). `draft`: a kind may return torch's values up to rounding when its
    exact replay is slow (`Curve.draft` says one did)."""
    n = plan.total_steps if n is None else n
    bound = resolve(plan.spec, plan.context())
    ctx = plan.context()
    drafting = Draft() if draft else None
    if drafting is not None or abandon is not None:
        ctx = replace(ctx, draft=drafting, abandon=abandon)
    if plan.stepping == "epoch":
        # Evaluate once per epoch, then hold each value for the epoch's optimizer steps.
        epochs = -(-n // plan.steps_per_epoch)
        vals = bound.values(ctx, np.arange(epochs))
        lr = np.repeat(vals.lr, plan.steps_per_epoch, axis=1)[:, :n]
        mom = None if vals.momentum is None else np.repeat(vals.momentum, plan.steps_per_epoch, axis=1)[:, :n]
        scale = plan.steps_per_epoch
    else:
        vals = bound.values(ctx, schedule_positions(plan, n))
        lr, mom = vals.lr, vals.momentum
        scale = plan.steps_per_epoch if plan.stepping == "fractional" else 1
    markers = [Marker(m.step * scale, m.kind, m.label) for m in bound.markers(ctx)]
    taken = drafting is not None and drafting.taken
    return Curve(plan, bound, np.asarray(lr, dtype=np.float64), mom, vals.momentum_name, markers, taken)


def planned_lrs(
    spec: str | Spec,
    base_lrs,
    *,
    total_steps: int,
    steps_per_epoch: int = 1,
    stepping: str = "step",
    optimizer: str = "sgd",
    momentum: float | None = 0.9,
) -> np.ndarray:
    """The LR the optimizer will use at each optimizer step: shape (groups, total_steps)."""
    spec = parse(spec) if isinstance(spec, str) else spec
    plan = Plan(
        spec=spec,
        base_lrs=tuple(float(x) for x in base_lrs),
        total_steps=total_steps,
        steps_per_epoch=steps_per_epoch,
        stepping=stepping,
        optimizer=optimizer,
        momentum=momentum,
    )
    return evaluate(plan).lr
