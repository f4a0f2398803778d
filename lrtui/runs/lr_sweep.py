"""The LR range test's run contract (stdlib only): what an `lr_find` run is, the LR of each step, when it stops.

A run of kind "lr_find" is an ordinary run directory (docs/run-format.md) whose config.json says
`"kind": "lr_find"` and carries the sweep in an `"lr_find"` block:

    {"kind": "lr_find", "lr_find": {"start_lr": 1e-7, "end_lr": 10, "steps": 100, "mode": "exp",
                                    "diverge": 4, "smooth": 0.98}, ...}

Step i (0-based, i < steps) trains with `lr_at(i)`: exponential `start * (end/start) ** (i/(steps-1))` or
linear `start + (end-start) * i/(steps-1)` — both ends included. The sweep stops early when a loss is not
finite or when the smoothed loss exceeds `diverge` × the best smoothed loss so far (fastai's rule; the
smoothing is fastai's debiased EMA with `smooth` = beta). Every writer (lrtui's trainer, `lrtui.find_lr`,
a user's own script) and every reader (the monitor's planned line, the runs list) uses this module, so the
LR a step logged and the LR the monitor plans for it are the same float.

It lives in the run layer because it is part of the run format; the suggestion math (numpy) is in
`lrtui.schedules.lr_suggest`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

KIND = "lr_find"
MODES = ("exp", "linear")
MAX_STEPS = 1_000_000


class SweepError(ValueError):
    """Rejected sweep settings; `errors` holds (field, value, allowed) triples (fields named `lr_find.*`)."""

    def __init__(self, errors: list[tuple[str, Any, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{f} = {v!r} is invalid: {a}" for f, v, a in errors))


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class Sweep:
    """The sweep of an LR range test. Defaults: fastai's lr_find (1e-7 → 10 in 100 steps, stop at 4× best)."""

    start_lr: float = 1e-7
    end_lr: float = 10.0
    steps: int = 100
    mode: str = "exp"  # "exp" (log-spaced) | "linear"
    diverge: float = 4.0  # stop when the smoothed loss > diverge × the best smoothed loss so far
    smooth: float = 0.98  # beta of the debiased EMA (fastai's AvgSmoothLoss)

    # ------------------------------------------------------------------------------- validation
    def problems(self, prefix: str = "lr_find.") -> list[tuple[str, Any, str]]:
        e: list[tuple[str, Any, str]] = []
        if not (_num(self.start_lr) and self.start_lr > 0):
            e.append((f"{prefix}start_lr", self.start_lr, "a number > 0"))
        if not (_num(self.end_lr) and self.end_lr > 0):
            e.append((f"{prefix}end_lr", self.end_lr, "a number > 0"))
        elif _num(self.start_lr) and self.start_lr > 0 and self.end_lr <= self.start_lr:
            e.append((f"{prefix}end_lr", self.end_lr, f"a number > start_lr ({self.start_lr:g})"))
        if (
            isinstance(self.steps, bool)
            or not isinstance(self.steps, int)
            or not 2 <= self.steps <= MAX_STEPS
        ):
            e.append((f"{prefix}steps", self.steps, f"an integer in [2, {MAX_STEPS}]"))
        if self.mode not in MODES:
            e.append((f"{prefix}mode", self.mode, "one of " + ", ".join(MODES)))
        if not (_num(self.diverge) and self.diverge > 1):
            e.append((f"{prefix}diverge", self.diverge, "a number > 1 (e.g. 4: stop at 4x the best loss)"))
        if not (_num(self.smooth) and 0 <= self.smooth < 1):
            e.append((f"{prefix}smooth", self.smooth, "a number in [0, 1) (EMA beta; 0 = no smoothing)"))
        return e

    def validate(self, prefix: str = "lr_find.") -> Sweep:
        errors = self.problems(prefix)
        if errors:
            raise SweepError(errors)
        return self

    @classmethod
    def from_dict(cls, data: Any, prefix: str = "lr_find.") -> Sweep:
        """Strict: unknown keys and bad values raise SweepError naming `lr_find.<field>`."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise SweepError([(prefix.rstrip("."), data, "a mapping of " + ", ".join(cls.field_names()))])
        names = cls.field_names()
        unknown = [
            (f"{prefix}{k}", v, "not a key; known: " + ", ".join(names))
            for k, v in data.items()
            if k not in names
        ]
        sweep = cls(**{k: v for k, v in data.items() if k in names})
        errors = unknown + sweep.problems(prefix)
        if errors:
            raise SweepError(errors)
        return sweep

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    # ------------------------------------------------------------------------------------ the LRs
    def lr_at(self, i: int) -> float:
        """The LR of step i (0-based); both bounds are included (step 0 = start_lr, step steps-1 = end_lr)."""
        t = i / (self.steps - 1)
        if self.mode == "linear":
            return self.start_lr + (self.end_lr - self.start_lr) * t
        return self.start_lr * (self.end_lr / self.start_lr) ** t

    def lrs(self) -> list[float]:
        return [self.lr_at(i) for i in range(self.steps)]

    @property
    def decades(self) -> float:
        return math.log10(self.end_lr / self.start_lr)

    def describe(self) -> str:
        return f"{self.start_lr:g} → {self.end_lr:g} ({self.mode}, {self.steps} steps)"


def is_lr_find(config: Any) -> bool:
    return isinstance(config, dict) and config.get("kind") == KIND


def sweep_of(config: Any) -> tuple[Sweep | None, str | None]:
    """(sweep, None) for an lr_find run's config.json, or (None, why not) — never raises (readers)."""
    if not is_lr_find(config):
        return None, "not an lr_find run"
    try:
        return Sweep.from_dict(config.get("lr_find")), None
    except SweepError as err:
        return None, str(err)


class DivergenceWatch:
    """The stop rule, fed one raw loss per step (fastai's: smoothed > diverge × best smoothed, or not finite).

    Written as "rose by more than (diverge - 1) × |best| above the best", which is the same for positive
    losses and still means something for losses that go negative (a log-likelihood, say).

    The smoothed loss is the debiased EMA sum(beta^(t-i) x_i) / sum(beta^(t-i)) — the same value as
    `lrtui.schedules.smoothing.debiased_ema` (to rounding).
    """

    def __init__(self, diverge: float, smooth: float) -> None:
        self.diverge = float(diverge)
        self.beta = float(smooth)
        self._num = 0.0
        self._den = 0.0
        self.smoothed: float | None = None
        self.best: float | None = None
        self.reason: str | None = None  # why it stopped (None: not stopped)

    def update(self, loss: float) -> bool:
        """Take the loss of the step just done; True when the sweep must stop (see `reason`)."""
        if not math.isfinite(loss):
            self.reason = f"loss is {loss} (not finite)"
            return True
        self._num = self.beta * self._num + loss
        self._den = self.beta * self._den + 1.0
        s = self._num / self._den
        self.smoothed = s
        if self.best is None or s < self.best:
            self.best = s
        elif s - self.best > (self.diverge - 1.0) * abs(self.best):  # s > diverge × best when best > 0
            self.reason = f"smoothed loss {s:.4g} > {self.diverge:g} × best {self.best:.4g} (diverged)"
            return True
        return False
