"""Drafts: a first frame for long horizons where the exact replay of torch's float loop is slow. A draft is
torch's curve up to rounding and says it is one; every kind that has no slow exact path ignores the request."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lrtui.schedules import Plan, evaluate, parse
from lrtui.schedules.catalogue import Abandon, Abandoned

RISING = "CosineAnnealingLR(T_max=2000, eta_min=1e-06)"  # 5,000 steps: two rising halves, eta_min ≠ 0


def _torch_lrs(t_max: int, eta: float, n: int) -> np.ndarray:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


def test_a_draft_of_a_rising_cosine_is_torch_up_to_rounding_and_says_so():
    plan = Plan(spec=parse(RISING), base_lrs=(0.1,), total_steps=5000)
    exact, draft = evaluate(plan), evaluate(plan, draft=True)
    truth = _torch_lrs(2000, 1e-6, 5000)
    assert not exact.draft and np.array_equal(exact.lr[0], truth)  # the exact curve stays bit for bit torch's
    assert draft.draft and not np.array_equal(draft.lr[0], truth)  # the draft skipped torch's rounding ...
    np.testing.assert_allclose(draft.lr[0], truth, rtol=1e-9, atol=0)  # ... and nothing else


@pytest.mark.parametrize(
    "spec",
    [
        "CosineAnnealingLR(T_max=2000)",  # eta_min = 0: the product is already exact
        "OneCycleLR(max_lr=0.1, total_steps=5000)",
        "StepLR(step_size=100, gamma=0.5)",
        "get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=5000)",
    ],
)
def test_kinds_without_a_slow_exact_path_ignore_the_request(spec):
    plan = Plan(spec=parse(spec), base_lrs=(0.1,), total_steps=5000)
    draft = evaluate(plan, draft=True)
    assert not draft.draft and np.array_equal(draft.lr, evaluate(plan).lr)


def test_an_abandoned_exact_replay_stops_and_an_unrequested_one_runs_to_the_end():
    # The preview abandons the exact curve a worker computes when the next edit arrives (its Python loop
    # would hold the GIL while that edit is drawn).
    plan = Plan(spec=parse(RISING), base_lrs=(0.1,), total_steps=5000)
    stop = Abandon()
    stop.request()
    with pytest.raises(Abandoned):
        evaluate(plan, abandon=stop)
    curve = evaluate(plan, abandon=Abandon())
    assert not curve.draft and np.array_equal(curve.lr[0], _torch_lrs(2000, 1e-6, 5000))
