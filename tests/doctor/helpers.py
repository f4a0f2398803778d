"""Shared checks for the LR doctor tests: the engine's curves are the logged LRs a run would write."""

from __future__ import annotations

import numpy as np

from lrtui.schedules import planned_lrs
from lrtui.schedules.infer import Inference


def curve(spec: str, base: float = 0.1, total: int = 1000, **kw) -> np.ndarray:
    return planned_lrs(spec, (base,), total_steps=total, **kw)[0]


def reproduces(result: Inference, steps: np.ndarray, lrs: np.ndarray, rtol: float = 1e-6) -> float:
    """The worst relative error of the inferred plan against the log, evaluated independently here."""
    assert result.spec is not None, result
    plan_lr = planned_lrs(
        result.spec,
        result.base_lrs,
        total_steps=int(steps[-1]) + 1,
        steps_per_epoch=result.steps_per_epoch,
        stepping=result.stepping,
    )[0]
    model = plan_lr[np.asarray(steps, dtype=np.int64)]
    scale = float(np.max(np.abs(lrs)))
    err = np.abs(model - lrs) / np.maximum(np.abs(lrs), 1e-9 * scale)
    worst = float(err.max())
    assert worst <= rtol, (result.spec, worst)
    return worst
