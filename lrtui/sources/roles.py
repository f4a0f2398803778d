"""Which logged metric is the LR, the training loss, an accuracy — across naming conventions.

HF Trainer logs `learning_rate` (`train/learning_rate` through its TensorBoard callback), Lightning's
LearningRateMonitor `lr-SGD`, `lr-AdamW/pg1`, `lr-Adam-momentum`; other code `lr`, `lr_group_0`,
`optimizer/lr`. The LR panel takes every LR series (one per param group, ordered by group number);
the loss panel the training loss; the accuracy panel accuracies; the grid shows everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LR = re.compile(
    r"(?:^|[/.])(?:lr|learning[_-]?rate|learningrate)(?:$|[-_/](?!.*(?:momentum|beta|decay|wd|scale)).*$)",
    re.IGNORECASE,
)
_GROUP = re.compile(r"(?:pg|group[_-]?|param[_-]?group[_-]?|g)(\d+)$", re.IGNORECASE)
_EVAL = re.compile(r"(?:^|[/_.-])(?:val|valid|validation|eval|test|dev)(?:$|[/_.-])", re.IGNORECASE)
_LOSS_EXACT = (
    "loss",
    "train_loss",
    "training_loss",
    "train_loss_step",
    "loss_step",
    "train/loss",
    "loss/train",
)
_ACC = re.compile(r"(?:^|[/_.-])(?:acc|accuracy|top1|top-1|top1_acc)(?:$|[/_.-])", re.IGNORECASE)
_BIGGER = re.compile(
    r"acc|accuracy|top\d|f1|precision|recall|auc|bleu|rouge|map|iou|dice|score|reward|return|r2",
    re.IGNORECASE,
)
_SMALLER = re.compile(r"loss|error|err\b|perplexity|ppl|wer|cer|mse|mae|rmse|nll|bpd", re.IGNORECASE)


def is_lr(name: str) -> bool:
    return bool(_LR.search(name)) and not _EVAL.search(name)


def lr_group(name: str) -> int | None:
    m = _GROUP.search(name)
    return int(m.group(1)) if m else None


def is_eval(name: str) -> bool:
    return bool(_EVAL.search(name))


def metric_goal(name: str) -> str | None:
    """'max' for accuracy-like names, 'min' for loss/error-like ones, None when the name does not say."""
    if _SMALLER.search(name):
        return "min"
    if _BIGGER.search(name):
        return "max"
    return None


def _loss_rank(name: str) -> int | None:
    """Lower is a better training-loss candidate; None: not one."""
    low = name.lower()
    if "loss" not in low or is_eval(name):
        return None
    if low in _LOSS_EXACT:
        return _LOSS_EXACT.index(low)
    last = low.rsplit("/", 1)[-1]
    if last in _LOSS_EXACT:
        return 10 + _LOSS_EXACT.index(last)
    if "epoch" in low:  # train_loss_epoch: the per-epoch mean, a poor second
        return 40
    return 20 if "train" in low else 30


@dataclass
class Roles:
    lr: list[str] = field(default_factory=list)  # one per param group, in group order
    loss: str | None = None
    acc: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # the grid

    @property
    def panels(self) -> set[str]:
        return {*self.lr, *([self.loss] if self.loss else []), *self.acc}


def assign_roles(names: list[str]) -> Roles:
    """Sort metric names into the monitor's panels (see the module docstring)."""
    lrs = [n for n in names if is_lr(n)]
    # several names for the same optimizer's groups, or one per optimizer: order by group, then by name
    lrs.sort(key=lambda n: (lr_group(n) if lr_group(n) is not None else -1, n))
    ranked = sorted((r, n) for n in names if n not in lrs and (r := _loss_rank(n)) is not None)
    loss = ranked[0][1] if ranked else None
    acc = sorted(n for n in names if n not in lrs and n != loss and _ACC.search(n))
    taken = {*lrs, *acc, *([loss] if loss else [])}
    other = [n for n in names if n not in taken]
    return Roles(lr=lrs, loss=loss, acc=acc[:4], other=other + acc[4:])
