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
        if kind.node_class is None and not kind.metric_driven:
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
    # composites replay a leaf from any of its calls on (the stretches it has to itself) ...
    for j in (1, 5, n // 2):
        if j < n - 1:
            part = np.empty((ctx.n_groups, n - 1 - j))
            leaf.replay(counters[j:], None, reference[:, j - 1], part)
            assert same(part, reference[:, j:]), (plan.spec, j)
    # ... and skip it where it leaves the lr alone: `acting` covers every update that changes it
    mask = bound.kind.acting(leaf.args, ctx, counters)
    if mask is not None:
        changes = leaf.ops(counters).changes()
        assert not (changes & ~mask).any(), (plan.spec, np.flatnonzero(changes & ~mask)[:5])
    if ctx.stepping != "fractional" and bound.kind.name != "GradualWarmupScheduler":
        curve = bound.values(ctx, np.arange(n)).lr  # the standalone curve: construction, then the updates
        assert same(curve[:, 0], st.x) and same(curve[:, 1:], reference), plan.spec


@pytest.mark.parametrize(
    "spec",
    [
        "ReduceLROnPlateau(patience=2, factor=0.5)",
        "ReduceLROnPlateau(patience=0, factor=0.1, min_lr=[0.001, 0.0], cooldown=3)",
        "ReduceLROnPlateau(patience=-1, factor=0.9, eps=0.0)",
        'ReduceLROnPlateau(mode="max", patience=1, threshold=0.0, factor=0.5)',
    ],
)
def test_the_plateau_replay_is_its_updates_looped(spec):
    # step(metric) calls inside a Compound: the fast replay (firings on a growing prefix of the metric,
    # flat once no lr can move) against torch's `_reduce_lr` looped at every firing call
    n = 3000
    metric = tuple(1.0 / (1 + i // 40) + 0.001 * (i % 7) for i in range(n))
    for lrs in ((0.1,), (0.1, 0.02)):
        plan = Plan(parse(spec), base_lrs=lrs, total_steps=n, metric=metric)
        ctx = plan.context()
        try:
            bound = resolve(plan.spec, ctx)
        except SpecError:  # a per-group list for the other number of groups
            continue
        leaf = bound.kind.leaf(bound, ctx, bound.kind.name)
        x0 = np.asarray(lrs)
        for start in (0, 17, 1500):
            calls = np.arange(start, n, dtype=np.int64)
            reference = replay_reference(leaf.ops(calls), x0)
            fast = np.empty_like(reference)
            leaf.replay(calls, None, x0, fast)
            assert same(fast, reference), (spec, lrs, start)


ROUTED = [
    "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])",
    "SequentialLR([ConstantLR(), StepLR(step_size=3), ExponentialLR(gamma=0.9)], milestones=[0, 0])",
    "SequentialLR([ConstantLR(), StepLR(step_size=3), ExponentialLR(gamma=0.9)], milestones=[4, 4])",
    "SequentialLR([LinearLR(total_iters=3), StepLR(step_size=7), CosineAnnealingLR(T_max=40)], milestones=[3, 90])",
    "SequentialLR([SequentialLR([LinearLR(total_iters=3), ConstantLR()], milestones=[3]), "
    "ExponentialLR(gamma=0.99)], milestones=[10])",
    "SequentialLR([LinearLR(total_iters=3), CosineAnnealingLR(T_max=30)], milestones=[300])",
    "SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[76])",
    "SwitchLR([StepLR(step_size=5), LinearLR(total_iters=9), SWALR(swa_lr=0.01)], milestones=[70, 70])",
    "ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)])",
    "ChainedScheduler([SequentialLR([LinearLR(total_iters=4), StepLR(step_size=9)], milestones=[4]), "
    "ExponentialLR(gamma=0.999)])",
    'Compound([LinearLR(start_factor=0.1, total_iters=5), ReduceLROnPlateau(patience=3)], every=["step", "epoch"])',
]


@pytest.mark.parametrize("spec", ROUTED)
def test_the_routing_fast_paths_are_the_general_ones(spec):
    """SequentialLR routes sorted milestones in O(milestones) (vs counter by counter), and calls that each
    have their own range of steps find their solo stretches without arrays over every step (vs counting
    the callers at each step): same calls, same stretches."""
    from lrtui.schedules.program import Program, SequentialNode, _route, _solo_disjoint, _solo_stretches

    plan = Plan(parse(spec), total_steps=400, steps_per_epoch=7)
    bound = resolve(plan.spec, plan.context())
    m = plan.schedule_steps - 1

    def routed(each: bool):
        prog = Program(bound, plan.context())
        if each:  # every SequentialNode routes counter by counter
            for node in _nodes(prog.root):
                if isinstance(node, SequentialNode):
                    node.route = lambda p, pos, r, out, n=node: n._route_each(p, pos, out)
        calls = []
        _route(prog, prog.root, np.arange(m, dtype=np.int64), False, calls)
        return calls

    fast, each = routed(False), routed(True)
    key = [(c.leaf.path, c.positions.tolist(), c.counters.tolist(), c.reset_first) for c in fast]
    assert key == [(c.leaf.path, c.positions.tolist(), c.counters.tolist(), c.reset_first) for c in each]
    solo = _solo_disjoint(fast)
    if solo is not None:
        assert solo == _solo_stretches(fast, m)


def _nodes(node):
    yield node
    for c in getattr(node, "children", ()):
        yield from _nodes(c)


def _product_rows():
    rng = np.random.default_rng(7)
    n = 200_000  # several chunks
    for first, fac in [(0.1, 0.9), (0.1, 0.9999), (1e-300, 0.5), (5e-324, 0.99999), (-0.1, 0.9), (0.1, 1.1)]:
        row = np.full(n, fac)
        row[0] = first
        yield row
    for where, value in [(150_000, 0.95), (150_000, np.inf), (150_000, np.nan), (n - 1, 0.5), (n - 1, 0.0)]:
        row = np.full(n, 0.9)
        row[0] = 0.1
        row[where:] = value if where < n - 1 else row[where:]
        row[where] = value
        yield row
    row = 0.5 + rng.random(n)
    row[0] = 0.1
    yield row


@pytest.mark.parametrize("row", list(_product_rows()))
def test_running_product_is_the_plain_accumulate(row):
    """The running product that stops multiplying once the lr is stuck below the normal range (5e-324 ·
    0.9 == 5e-324) gives np.multiply.accumulate's values bit for bit."""
    from lrtui.schedules.ops import running_product

    with np.errstate(all="ignore"):
        want = np.multiply.accumulate(row)
        got = row.copy()
        running_product(got)
    assert same(got, want)
