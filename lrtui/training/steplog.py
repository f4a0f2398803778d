"""Per-step records kept on the device between flushes (no host sync per step).

Loss and grad norm are appended as device scalars; `columns()` stacks them and copies them to the host in
one transfer, returning the columnar batch for `RunLogger.steps(...)` and the first step whose loss is not
finite (the trainer's divergence check rides on that copy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class StepBuffer:
    """Per-step records since the last flush; loss/grad norm as device scalars (no sync until flush)."""

    groups: int
    step: list[int] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    lr: list[list[float]] = field(default_factory=list)
    momentum: list[list[float]] | None = field(default_factory=list)
    loss: list[torch.Tensor] = field(default_factory=list)
    grad_norm: list[torch.Tensor] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.step, self.epoch, self.loss, self.grad_norm = [], [], [], []
        self.lr = [[] for _ in range(self.groups)]
        self.momentum = [[] for _ in range(self.groups)]

    def __len__(self) -> int:
        return len(self.step)

    def add(self, step: int, epoch: int, lrs: list[float], moms: list[float | None], loss, grad_norm) -> None:
        self.step.append(step)
        self.epoch.append(epoch)
        for g in range(self.groups):
            self.lr[g].append(lrs[g])
            self.momentum[g].append(moms[g])
        self.loss.append(loss)
        self.grad_norm.append(grad_norm)

    def columns(
        self, host: tuple[list[float], list[float]] | None = None
    ) -> tuple[dict[str, Any], int | None]:
        """The columnar record (one device->host copy) and the first step whose loss is not finite.

        `host`: (losses, grad norms) already on the host (the distributed trainer's reduced values)."""
        if host is None:
            host = torch.stack([torch.stack(self.loss), torch.stack(self.grad_norm)]).float().cpu().tolist()
        losses, norms = host
        bad = next((self.step[i] for i, v in enumerate(losses) if not math.isfinite(v)), None)
        has_momentum = all(m is not None for col in self.momentum for m in col)
        cols = {
            "step": list(self.step),
            "epoch": list(self.epoch),
            "lr": [list(c) for c in self.lr],
            "momentum": [list(c) for c in self.momentum] if has_momentum else None,
            "loss": losses,  # packed columns keep NaN/inf exactly
            "grad_norm": norms,
        }
        return cols, bad
