"""SequentialLR and ChainedScheduler against real torch: random children, random nesting (depth ≤ 2).

Each generated node carries its spec string and a builder that constructs the real torch object the way
user code does (children first, in order, on one optimizer).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch.optim.lr_scheduler as lrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_trees import N, chains, sequentials, torch_run

from lrtui.schedules import Context, Plan, SpecError, evaluate, parse, planned_lrs, resolve

EXAMPLES = int(os.environ.get("LRTUI_HYPOTHESIS_EXAMPLES", 100))


def assert_exact(got, want):
    """Bit for bit torch's values (NaN where torch raised)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    if not same.all():
        i = np.argwhere(~same)[0]
        raise AssertionError(
            f"first difference at {tuple(i)}: {got[tuple(i)]!r} vs torch {want[tuple(i)]!r}\n"
            f"ours  {got[i[0], :12]}\ntorch {want[i[0], :12]}"
        )


def assert_close(got, want, rtol=1e-9, scale=None):
    """Relative error ≤ rtol, with an absolute floor of 1e-15 × the schedule's scale (its base lr).

    The floor only matters where the lr is the rounding residue of a difference of equal numbers (a cosine
    with eta_min chained onto a polynomial that reached 0: torch itself gives ±5e-20 there), where a
    relative comparison of two noise values means nothing.
    """
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    floor = 1e-15 * (np.nanmax(np.abs(want)) if scale is None else scale)
    bad = np.abs(got - want) > rtol * np.abs(want) + floor
    if bad.any():
        i = np.argwhere(bad)[0]
        raise AssertionError(
            f"first mismatch at {tuple(i)}: {got[tuple(i)]!r} vs torch {want[tuple(i)]!r}\n"
            f"ours  {got[i[0], :12]}\ntorch {want[i[0], :12]}"
        )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node=st.one_of(sequentials(2), chains(2)), two_groups=st.booleans(), adam=st.booleans())
def test_composites_match_torch_bit_for_bit(node, two_groups, adam):
    spec = node[0]
    base = [0.1, 0.03] if two_groups else [0.1]
    optimizer = "adam" if adam else "sgd"
    want_lr, want_mom = torch_run(node[1], base, N, optimizer)
    plan = Plan(parse(spec), base_lrs=tuple(base), total_steps=N, optimizer=optimizer, momentum=0.9)
    curve = evaluate(plan)
    assert_exact(curve.lr, want_lr)
    if curve.momentum is not None:
        assert_exact(curve.momentum, want_mom)
    assert parse(str(parse(spec))) == parse(spec)


def test_reference_chained_example():
    spec = "ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)])"
    lr = planned_lrs(spec, [0.1], total_steps=5)[0]
    assert lr.tolist() == pytest.approx([0.01, 0.009, 0.081, 0.0729, 0.06561], rel=1e-12)
    want, _ = torch_run(
        lambda o: lrs.ChainedScheduler(
            [lrs.ConstantLR(o, factor=0.1, total_iters=2), lrs.ExponentialLR(o, gamma=0.9)]
        ),
        [0.1],
        5,
    )
    assert_close(lr[None, :], want)


def test_sequential_restarts_the_next_child_from_its_own_step_zero():
    # mismatched warmup length: the cosine starts from the initial lr at the milestone (a jump)
    spec = "SequentialLR([LinearLR(start_factor=0.1, total_iters=10), CosineAnnealingLR(T_max=20)], milestones=[5])"
    lr = planned_lrs(spec, [1.0], total_steps=8)[0]
    assert lr[4] == pytest.approx(0.1 + 0.9 * 4 / 10)
    assert lr[5] == 1.0


@pytest.mark.parametrize(
    "spec, build",
    [
        # a ChainedScheduler first in a SequentialLR: its leaves step non-initially at 0 (ExponentialLR × gamma)
        (
            "SequentialLR([ChainedScheduler([ExponentialLR(gamma=0.9), PolynomialLR(total_iters=4)]), StepLR(step_size=2)], "
            "milestones=[6])",
            lambda o: lrs.SequentialLR(
                o,
                [lrs.ChainedScheduler([lrs.ExponentialLR(o, 0.9), lrs.PolynomialLR(o, 4)]), lrs.StepLR(o, 2)],
                milestones=[6],
            ),
        ),
        # a nested SequentialLR is one step ahead: its milestone fires a step early
        (
            "SequentialLR([SequentialLR([ConstantLR(factor=0.5, total_iters=9), ExponentialLR(gamma=0.8)], milestones=[3]), "
            "CosineAnnealingLR(T_max=3)], milestones=[8])",
            lambda o: lrs.SequentialLR(
                o,
                [
                    lrs.SequentialLR(
                        o, [lrs.ConstantLR(o, 0.5, 9), lrs.ExponentialLR(o, 0.8)], milestones=[3]
                    ),
                    lrs.CosineAnnealingLR(o, 3),
                ],
                milestones=[8],
            ),
        ),
        # milestone 0 and duplicate milestones (bisect_right picks the last of equal milestones)
        (
            "SequentialLR([ExponentialLR(gamma=0.5), MultiplicativeLR(lr_lambda='0.95'), LinearLR(total_iters=3)], "
            "milestones=[0, 0])",
            lambda o: lrs.SequentialLR(
                o,
                [
                    lrs.ExponentialLR(o, 0.5),
                    lrs.MultiplicativeLR(o, lambda k: 0.95),
                    lrs.LinearLR(o, total_iters=3),
                ],
                milestones=[0, 0],
            ),
        ),
        (
            "SequentialLR([ExponentialLR(gamma=0.5), CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=2), "
            "LinearLR(total_iters=3)], milestones=[4, 4])",
            lambda o: lrs.SequentialLR(
                o,
                [
                    lrs.ExponentialLR(o, 0.5),
                    lrs.CyclicLR(o, 0.01, 0.1, step_size_up=2),
                    lrs.LinearLR(o, total_iters=3),
                ],
                milestones=[4, 4],
            ),
        ),
        # OneCycleLR overwrites initial_lr: later children and the SequentialLR reset read it
        (
            "SequentialLR([OneCycleLR(max_lr=1.0, total_steps=50), ExponentialLR(gamma=0.9)], milestones=[10])",
            lambda o: lrs.SequentialLR(
                o, [lrs.OneCycleLR(o, max_lr=1.0, total_steps=50), lrs.ExponentialLR(o, 0.9)], milestones=[10]
            ),
        ),
        # a ChainedScheduler holding a SequentialLR, and CosineAnnealingWarmRestarts resumed after a milestone
        (
            "ChainedScheduler([SequentialLR([ConstantLR(factor=0.5, total_iters=3), CosineAnnealingWarmRestarts(T_0=4)], "
            "milestones=[2]), ExponentialLR(gamma=0.97)])",
            lambda o: lrs.ChainedScheduler(
                [
                    lrs.SequentialLR(
                        o, [lrs.ConstantLR(o, 0.5, 3), lrs.CosineAnnealingWarmRestarts(o, 4)], milestones=[2]
                    ),
                    lrs.ExponentialLR(o, 0.97),
                ]
            ),
        ),
    ],
)
def test_torch_quirks(spec, build):
    want, _ = torch_run(build, [0.1, 0.05], 30)
    assert_close(planned_lrs(spec, [0.1, 0.05], total_steps=30), want)


def test_epoch_stepping_repeats_per_epoch():
    spec = (
        "SequentialLR([LinearLR(start_factor=0.5, total_iters=2), ExponentialLR(gamma=0.5)], milestones=[2])"
    )
    per_step = planned_lrs(spec, [1.0], total_steps=5)[0]
    per_epoch = planned_lrs(spec, [1.0], total_steps=15, steps_per_epoch=3, stepping="epoch")[0]
    assert per_epoch.tolist() == np.repeat(per_step, 3).tolist()


@pytest.mark.parametrize(
    "spec, field, words",
    [
        (
            "SequentialLR([StepLR(step_size=2), ExponentialLR(gamma=0.9)], milestones=[])",
            "milestones",
            "one fewer",
        ),
        (
            "SequentialLR([StepLR(step_size=2), ReduceLROnPlateau()], milestones=[3])",
            "schedulers[1]",
            "ReduceLROnPlateau",
        ),
        (
            "ChainedScheduler([StepLR(step_size=2), ChainedScheduler([ReduceLROnPlateau()])])",
            "schedulers[0]",
            "ReduceLROnPlateau",
        ),
        (
            "SequentialLR([StepLR(step_size=2), ChainedScheduler([ExponentialLR(gamma=0.9)])], milestones=[3])",
            "schedulers[1]",
            "NotImplementedError",
        ),
        (
            "SequentialLR([StepLR(step_size=2), CosineLRScheduler(t_initial=10)], milestones=[3])",
            "schedulers[1]",
            "not a torch LRScheduler",
        ),
    ],
)
def test_rejections_name_the_field(spec, field, words):
    with pytest.raises(SpecError) as err:
        resolve(parse(spec), Context())
    assert field in (err.value.field or "")
    assert words in str(err.value)


def test_fractional_stepping_is_refused():
    with pytest.raises(SpecError) as err:
        Plan(
            parse("ChainedScheduler([ExponentialLR(gamma=0.9)])"),
            stepping="fractional",
            steps_per_epoch=4,
            total_steps=8,
        ).context()
        resolve(
            parse("ChainedScheduler([ExponentialLR(gamma=0.9)])"),
            Context(stepping="fractional", steps_per_epoch=4),
        )
    assert err.value.field == "stepping"


def test_markers_offset_children_and_mark_milestones():
    spec = parse(
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=10)], "
        "milestones=[5])"
    )
    bound = resolve(spec, Context(horizon=40))
    marks = [(m.step, m.kind) for m in bound.markers(Context(horizon=40))]
    assert (5.0, "milestone") in marks
    assert (5.0, "warmup_end") in marks
    assert (15.0, "end") in marks  # the cosine's T_max, offset by the milestone


def test_million_steps_stay_exact_and_finite():
    spec = (
        "SequentialLR([LinearLR(start_factor=0.01, total_iters=1000), CosineAnnealingLR(T_max=999000)], "
        "milestones=[1000])"
    )
    lr = planned_lrs(spec, [0.1], total_steps=1_000_000)[0]
    assert np.all(np.isfinite(lr)) and lr.shape == (1_000_000,)
    assert lr[1000] == 0.1
    assert lr[-1] == pytest.approx(0.1 * (1 + math.cos(math.pi * 998_999 / 999_000)) / 2, rel=1e-6)
