"""One formula per kind: every fast path gives exactly the plain evaluation's numbers, for every kind.

- `values` at every step 0..n-1 (the sorted / in-place / shared-arange fast paths) against `values` at the
  same steps passed as a plain array in shuffled order (the elementwise formula);
- the torch object's updates as data (`Kind.step_ops`), looped one by one by `ops.replay_reference`,
  against the kind's own replay (`Kind.replay`: the cosine's row solver, the piecewise products, ...)
  and against `values` — the standalone curve IS construction + those updates.
Configurations: each kind's example and its parameters at their bounds (what the bounds probe accepts),
on one and two param groups, per-step and per-epoch stepping.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrtui.schedules import Plan, SpecError, kinds, parse, resolve
from lrtui.schedules.ops import replay_reference
from lrtui.schedules.program import GroupState
from lrtui.schedules.spec import Spec

N = 257  # past the examples' first phases, odd (not a multiple of any period)


def _configs():
    for kind in kinds():
        base = parse(kind.example)
        yield kind.name, base
        for p in kind.params:
            if p.type not in ("int", "float") or p.extra.get("preview_only") or p.name == "last_epoch":
                continue
            for v in (p.lo, p.hi):
                if v is None or not math.isfinite(v) or abs(v) >= 1e14:
                    continue
                v = int(v) if p.type == "int" else float(v)
                yield kind.name, Spec(base.kind, {**base.args, p.name: v})


def _plans():
    for _name, spec in _configs():
        for lrs in ((0.1,), (0.1, 0.02)):
            for stepping in ("step", "epoch"):
                try:
                    plan = Plan(spec, base_lrs=lrs, total_steps=N, steps_per_epoch=3, stepping=stepping)
                    resolve(spec, plan.context())
                except SpecError:
                    continue
                yield pytest.param(plan, id=f"{spec}-{len(lrs)}g-{stepping}")


def same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(((a == b) | (np.isnan(a) & np.isnan(b))).all())


PLANS = list(_plans())


@pytest.mark.parametrize("plan", PLANS)
def test_every_step_fast_path_equals_the_plain_formula(plan):
    ctx = plan.context()
    bound = resolve(plan.spec, ctx)
    n = plan.schedule_steps
    fast = bound.values(ctx, np.arange(n))  # the every-step call evaluate() makes
    order = np.random.default_rng(n).permutation(n)
    plain = bound.values(ctx, np.array(order, dtype=np.int64))  # a plain array of steps, shuffled
    assert same(fast.lr[:, order], plain.lr), plan.spec
    if fast.momentum is not None:
        assert same(fast.momentum[:, order], plain.momentum)


def _leaf_plans():
    for p in PLANS:
        plan = p.values[0]
        kind = resolve(plan.spec, plan.context()).kind
        if kind.node_class is None and not getattr(kind, "metric_driven", False):
            yield p


@pytest.mark.parametrize("plan", list(_leaf_plans()))
def test_the_kinds_replay_and_curve_are_its_updates_looped(plan):
    ctx = plan.context()
    bound = resolve(plan.spec, ctx)
    n = plan.schedule_steps
    st = GroupState.fresh(ctx)
    leaf = bound.kind.leaf(bound, ctx, bound.kind.name)
    leaf.construct(st)
    leaf.bind(st)
    counters = leaf.take(n - 1)
    reference = replay_reference(leaf.ops(counters), st.x)  # the plain loop over torch's updates
    fast = np.empty_like(reference)
    leaf.replay(counters, None, st.x, fast)  # the kind's own replay
    assert same(fast, reference), plan.spec
    if ctx.stepping != "fractional" and bound.kind.name != "GradualWarmupScheduler":
        curve = bound.values(ctx, np.arange(n)).lr  # the standalone curve: construction, then the updates
        assert same(curve[:, 0], st.x) and same(curve[:, 1:], reference), plan.spec
