"""Every run gets a plan: a run that declares none (a plain loop's RunLogger without a schedule, a
TensorBoard/Lightning/HF log) has its schedule inferred from the logged LR by the LR doctor
(`lrtui.schedules.infer`), and the monitor draws and checks against that. Shared by both followers."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from lrtui.widgets.runs.model import Planned, envelope_indices, planned_from_inference


class PlanInferrer:
    """The schedule a growing LR log follows, inferred again when the log grew and EVERY_S passed (a
    million points take about a second: a live run's tail must not wait on it every poll)."""

    EVERY_S = 10.0
    MIN_POINTS = 8  # HF Trainer logs every logging_steps (500 by default): a few points are all there is

    def __init__(self, clock: Any = time.monotonic, offsets: tuple[int, ...] = (0,)) -> None:
        self.clock = clock
        self.offsets = offsets  # the format's candidate log-step offsets (lrtui.doctor.LOG_STEP_OFFSETS)
        self.offset = 0  # the one the log follows: logged step = schedule step + offset
        self.inference = None  # the last lrtui.schedules.infer.Inference
        self._n = 0
        self._at = -math.inf

    def update(self, steps: np.ndarray, lr: np.ndarray, steps_per_epoch: int | None = None) -> bool:
        """Infer again when due; True when a new inference was made (the plan may have changed)."""
        n = int(steps.size)
        now = self.clock()
        if n < self.MIN_POINTS or n == self._n or now - self._at < self.EVERY_S:
            return False
        from lrtui.doctor import infer_with_offsets

        self._n, self._at = n, now
        try:
            self.inference, self.offset = infer_with_offsets(
                steps, lr, self.offsets, steps_per_epoch=steps_per_epoch
            )
        except Exception:  # inference is a bonus: a bug in it must never stop the tail
            self.inference = None
        return True

    def planned(self, horizon: int, reason: str) -> Planned | None:
        """The inference as the monitor's plan over `horizon` steps (the logged ones: what was inferred says
        nothing about the steps to come); a plan-less Planned saying why when nothing fits; None before the
        first inference."""
        if self.inference is None:
            return None
        planned = planned_from_inference(self.inference, horizon)
        if planned is not None:
            return shifted(planned, self.offset)
        note = self.inference.note or "no catalogue schedule reproduces the log"
        return Planned(reason=f"{reason}; inferred: unknown ({note})")


def shifted(planned: Planned, offset: int) -> Planned:
    """The plan in the log's step numbers (logged step = schedule step + offset), for drawing and checking."""
    if offset <= 0 or planned.lr is None:
        return planned
    head = np.repeat(planned.lr[:, :1], offset, axis=1)  # before the first update: the first LR
    markers = [(step + offset, kind, label) for step, kind, label in planned.markers]
    return replace(planned, lr=np.concatenate([head, planned.lr], axis=1), markers=markers)


def with_groups(planned: Planned, groups: list[tuple[np.ndarray, np.ndarray]]) -> Planned:
    """The plan of group 0 extended to the other param groups `(steps, lr)` that are a constant multiple of
    it (one scheduler over groups with their own base LRs), in order, up to the first that is not."""
    if planned.lr is None or planned.lr.shape[0] != 1 or not groups:
        return planned
    row = planned.lr[0]
    rows = [row]
    bases = list(planned.base_lrs[:1])
    for steps, lr in groups:
        inside = (steps >= 0) & (steps < row.size)
        s, y = steps[inside].astype(np.int64), lr[inside]
        p = row[s] if s.size else row[:0]
        ok = np.isfinite(y) & (np.abs(p) > 0)
        if ok.sum() < 2:
            break
        ratio = float(np.median(y[ok] / p[ok]))
        if not (ratio > 0 and np.allclose(y[ok], p[ok] * ratio, rtol=1e-6, atol=0)):
            break
        rows.append(row * ratio)
        bases.append(bases[0] * ratio if bases else ratio)
    if len(rows) == 1:
        return planned
    return replace(planned, lr=np.vstack(rows), base_lrs=tuple(bases))


def reduce_planned(planned: Planned) -> tuple:
    """The planned curves as (x, y) per group, reduced to their envelope past 16k steps (for drawing)."""
    if planned.lr is None:
        return ()
    x = np.arange(planned.lr.shape[1], dtype=np.float64)
    out = []
    for row in planned.lr:
        if row.size < 16_384:
            out.append((x, row))
        else:
            idx = envelope_indices(row)
            tail = np.arange((row.size // 32) * 32, row.size)
            idx = np.concatenate([idx, tail])
            out.append((x[idx], row[idx]))
    return tuple(out)
