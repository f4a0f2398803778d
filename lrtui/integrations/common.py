"""What both callbacks share: the optimizer's part of the run config, and epoch metrics in lrtui's names."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def scalar(value: Any) -> float | None:
    """A Python float from a number or a one-element tensor/array; None for anything else or non-finite."""
    if isinstance(value, bool):
        return None
    try:
        item = value.item() if hasattr(value, "item") else value
        out = float(item)
    except (TypeError, ValueError, RuntimeError):
        return None
    return out if math.isfinite(out) else None


def unwrap(obj: Any) -> Any:
    """The torch object inside accelerate's wrappers (AcceleratedOptimizer, AcceleratedScheduler)."""
    for attr in ("optimizer", "scheduler"):
        inner = getattr(obj, attr, None)
        if type(obj).__name__.startswith("Accelerated") and inner is not None:
            return inner
    return obj


def optimizer_config(optimizer: Any) -> dict:
    """{"name", "lr" (per group when they differ), "momentum"/"betas"/"weight_decay"} of a torch optimizer."""
    optimizer = unwrap(optimizer)
    groups = list(getattr(optimizer, "param_groups", []) or [])
    lrs = [scalar(g.get("initial_lr", g.get("lr"))) for g in groups]
    lrs = [x for x in lrs if x is not None]
    out: dict[str, Any] = {"name": type(optimizer).__name__.lower()}
    if lrs:
        out["lr"] = lrs[0] if all(x == lrs[0] for x in lrs) else lrs
    defaults = getattr(optimizer, "defaults", {}) or {}
    for key in ("momentum", "weight_decay"):
        v = scalar(defaults.get(key))
        if v is not None:
            out[key] = v
    betas = defaults.get("betas")
    if isinstance(betas, (list, tuple)) and len(betas) == 2:
        out["betas"] = [scalar(b) for b in betas]
    return out


# framework metric names -> the run format's epoch keys
_METRIC_NAMES = {
    "test_acc": ("val_acc", "val/acc", "val_accuracy", "eval_accuracy", "eval_acc", "valid_acc", "test_acc"),
    "test_loss": ("val_loss", "val/loss", "eval_loss", "valid_loss", "test_loss"),
    "train_loss": ("train_loss", "train/loss", "loss", "train_loss_epoch"),
    "train_acc": ("train_acc", "train/acc", "train_accuracy", "train_acc_epoch"),
}


def epoch_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Scalar metrics for an epoch record: the known ones under lrtui's names, the others as they are."""
    flat = {str(k): scalar(v) for k, v in dict(metrics).items()}
    flat = {k: v for k, v in flat.items() if v is not None}
    out: dict[str, float] = {}
    used: set[str] = set()
    for ours, names in _METRIC_NAMES.items():
        for name in names:
            if name in flat:
                out[ours] = flat[name]
                used.add(name)
                break
    for k, v in flat.items():
        if k not in used and k not in out and k.replace("/", "_").replace("-", "_").isidentifier():
            out[k] = v
    return out
