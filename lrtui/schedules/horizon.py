"""The default horizon: as many optimizer steps as the spec says training lasts, else DEFAULT_STEPS.

`OneCycleLR(total_steps=1000)` is drawn over 1,000 steps (not over whatever was shown before), the same in
the app (`lrtui`, `lrtui --spec`, a pasted spec) and in `lrtui plot`, unless the user gives the horizon
(--steps/--epochs, a plan file's steps/epochs, the preview's steps field). Each kind says what it states
(`Kind.stated_length`, in scheduler steps); here it becomes optimizer steps for the plan's stepping.
"""

from __future__ import annotations

from dataclasses import replace

from lrtui.schedules.catalogue import resolve
from lrtui.schedules.errors import SpecError
from lrtui.schedules.plan import MAX_STEPS, Plan

DEFAULT_STEPS = 1000


def stated_steps(plan: Plan) -> int | None:
    """The optimizer steps `plan.spec` states under the plan's stepping (None: it does not say, or is invalid)."""
    ctx = plan.context()
    try:
        length = resolve(plan.spec, ctx).stated_length(ctx)
    except (SpecError, ValueError, OverflowError, ArithmeticError):
        return None
    if length is None or length < 1:
        return None
    steps = length if plan.stepping == "step" else length * plan.steps_per_epoch
    return int(min(steps, MAX_STEPS))


def default_steps(plan: Plan) -> int:
    return stated_steps(plan) or DEFAULT_STEPS


def follow_spec(plan: Plan) -> Plan:
    """The plan with the default horizon of its spec."""
    steps = default_steps(plan)
    return plan if steps == plan.total_steps else replace(plan, total_steps=steps)


def follows_spec(plan: Plan) -> bool:
    """Whether the plan's horizon is the one its spec implies (then edits of the spec move it along)."""
    return plan.total_steps == default_steps(plan)


__all__ = ["DEFAULT_STEPS", "default_steps", "follow_spec", "follows_spec", "stated_steps"]
