"""Pure data shaping for the run monitor (numpy only; no Textual, no torch).

- `debiased_ema`, `EmaCache`: the loss smoothing (defined in `lrtui.schedules.smoothing`, re-exported).
- `check_lr`: compares the logged LR with the engine's planned LR and classifies a mismatch into the
  mistakes people really make (scheduler stepped before the optimizer, per epoch instead of per step,
  a schedule sized for another run length, a different base LR).
- `planned_from_config`: the planned LR line of a run from its config.json (None, with the reason, when
  the config has no usable schedule).
- small text helpers: durations, ages, ETA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrtui.runs.lr_sweep import is_lr_find, sweep_of

# ------------------------------------------------------------------------------------------- smoothing
# The smoothing lives in the pure schedules layer (the LR range test's suggestions use it too).
from lrtui.schedules.smoothing import (  # noqa: F401  (re-exported for the monitor)
    DEFAULT_EMA_BETA,
    EMA_BETAS,
    EmaCache,
    debiased_ema,
)

# ------------------------------------------------------------------------------------------- LR check
LR_RTOL = 1e-5  # logged LRs are float64 from param_groups; 1e-5 tolerates float32 round-trips in users' logs
LR_ATOL = 1e-12

MISMATCH_KINDS = {
    "shifted": "scheduler stepped before the optimizer (LR shifted by one step)",
    "per_epoch": "scheduler stepped per epoch, but the schedule is per step",
    "per_step": "scheduler stepped per step, but the schedule is per epoch",
    "wrong_total": "schedule sized for another run length (agrees early, diverges later)",
    "scaled": "base LR differs (actual = constant × planned)",
    # found by the LR doctor's offset tracking (lrtui.schedules.diagnose)
    "offset": "scheduler offset by a few steps from the plan",
    "amp_skips": "schedule shifted by skipped optimizer steps (AMP GradScaler inf/NaN)",
    "resume_restart": "schedule restarted at a resume (scheduler state not loaded)",
    "resume_one_ahead": "one step ahead after a resume (scheduler built with last_epoch=N)",
    "resume_jump": "LR jumped at a resume",
    "jump": "LR jumped off the plan",
    "other": "differs from the plan",
}


@dataclass(frozen=True)
class LrCheck:
    """Outcome of comparing logged and planned LRs. `kind` None = agrees (or nothing to compare)."""

    compared: int = 0  # logged points compared with the plan
    kind: str | None = None
    first_step: int | None = None  # first logged step that differs
    actual: float | None = None  # the LRs at first_step
    planned: float | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is None

    def message(self) -> str:
        if self.kind is None:
            return f"LR matches the plan ({self.compared:,} steps checked)" if self.compared else ""
        where = f" from step {self.first_step:,}" if self.first_step is not None else ""
        values = ""
        if self.actual is not None and self.planned is not None:
            from lrtui.schedules.diagnose import format_pair

            # enough digits to differ: "0.1 vs 0.1" is no alarm anyone can act on
            shown_actual, shown_planned = format_pair(self.actual, self.planned)
            values = f": logged {shown_actual} vs planned {shown_planned}"
        extra = f" ({self.detail})" if self.detail else ""
        return f"LR differs{where}{values} — {MISMATCH_KINDS[self.kind]}{extra}"


def _close(a: np.ndarray, p: np.ndarray) -> np.ndarray:
    both_nan = np.isnan(a) & np.isnan(p)
    return both_nan | (np.abs(a - p) <= LR_RTOL * np.abs(p) + LR_ATOL)


def _matches_all(actual: np.ndarray, planned: np.ndarray, index: np.ndarray) -> bool:
    """Whether actual == planned[index] wherever index is inside the plan (and at least one point is)."""
    inside = (index >= 0) & (index < planned.size)
    if not inside.any():
        return False
    return bool(_close(actual[inside], planned[index[inside]]).all())


def check_lr(
    steps: np.ndarray,
    actual: np.ndarray,
    planned: np.ndarray | None,
    steps_per_epoch: int = 1,
    resumes: tuple[int, ...] = (),
) -> LrCheck:
    """Compare one param group's logged LRs (at logged `steps`) with the planned curve (index = step).

    Logged points past the plan's end, or with a NaN LR, are not compared. The classification tries the
    known mistakes in turn and reports the first that explains every compared point.
    """
    if planned is None or steps.size == 0:
        return LrCheck()
    steps = np.asarray(steps, dtype=np.int64)
    actual = np.asarray(actual, dtype=np.float64)
    keep = (steps >= 0) & (steps < planned.size) & np.isfinite(actual)
    s, a = steps[keep], actual[keep]
    if s.size == 0:
        return LrCheck()
    p = planned[s]
    good = _close(a, p)
    if good.all():
        return LrCheck(compared=int(s.size))
    first = int(np.argmin(good))
    base = {
        "compared": int(s.size),
        "first_step": int(s[first]),
        "actual": float(a[first]),
        "planned": float(p[first]),
    }
    spe = max(int(steps_per_epoch), 1)
    if _matches_all(a, planned, s + 1):
        return LrCheck(kind="shifted", **base)
    if spe > 1 and _matches_all(a, planned, s // spe):
        return LrCheck(kind="per_epoch", **base)
    if spe > 1 and _matches_all(a, planned, s * spe):
        return LrCheck(kind="per_step", **base)
    nonzero = np.abs(p) > LR_ATOL
    if nonzero.any():
        ratio = a[nonzero] / p[nonzero]
        r0 = ratio[0]
        if np.isfinite(r0) and r0 > 0 and np.allclose(ratio, r0, rtol=LR_RTOL * 10, atol=0):
            return LrCheck(kind="scaled", detail=f"× {r0:.4g}", **base)
    refined = _doctor_check(s, a, planned, spe, resumes)
    if refined is not None:
        return refined
    # agrees on a real prefix, then drifts: a T_max / total_steps sized for another run
    if first >= 2 and first >= 0.02 * s.size:
        return LrCheck(kind="wrong_total", detail=f"agrees for the first {first:,} logged steps", **base)
    return LrCheck(kind="other", **base)


def _doctor_check(
    s: np.ndarray, a: np.ndarray, planned: np.ndarray, spe: int, resumes: tuple[int, ...]
) -> LrCheck | None:
    """Skipped steps, offsets and resumes, named by the LR doctor's exact offset tracking."""
    from lrtui.schedules.diagnose import PlanInfo, diagnose_group

    found = diagnose_group(s, a, planned, plan=PlanInfo(steps_per_epoch=spe), resumes=resumes).findings
    for f in found:
        if f.kind in MISMATCH_KINDS and f.kind not in ("other", "wrong_total", "scaled", "shifted"):
            detail = f"at steps {', '.join(f'{x:,}' for x in f.steps[:4])}" if len(f.steps) > 1 else ""
            return LrCheck(
                kind=f.kind,
                compared=int(s.size),
                first_step=f.first_step,
                actual=f.actual,
                planned=f.planned,
                detail=detail,
            )
    return None


# ----------------------------------------------------------------------------------- planned from config
@dataclass
class Planned:
    """The engine's plan for a run: lr (G, n) per optimizer step, markers in optimizer steps."""

    lr: np.ndarray | None = None
    markers: list[tuple[float, str, str]] = field(default_factory=list)  # (step, kind, label)
    spec: str = ""
    stepping: str = "step"
    steps_per_epoch: int = 1
    total_steps: int | None = None
    reason: str = ""  # why there is no plan (empty when there is one)
    source: str = "declared"  # "declared" (the run's config) | "inferred" (from the logged LR, by the doctor)
    title: str = ""  # the inferred family, e.g. "linear warmup + cosine"
    confidence: float | None = None  # of an inferred plan
    base_lrs: tuple[float, ...] = ()

    @property
    def warmup_end(self) -> float | None:
        ends = [step for step, kind, _ in self.markers if kind == "warmup_end"]
        return min(ends) if ends else None


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    return None


def _base_lrs(config: dict) -> tuple[float, ...] | None:
    schedule = config.get("schedule") if isinstance(config.get("schedule"), dict) else {}
    optimizer = config.get("optimizer") if isinstance(config.get("optimizer"), dict) else {}
    for value in (schedule.get("base_lrs"), optimizer.get("lr"), config.get("lr")):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return (float(value),)
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            return tuple(float(v) for v in value)
    return None


MAX_PLANNED_STEPS = 20_000_000


def planned_from_config(config: dict, logged_groups: int = 1, fallback_total: int | None = None) -> Planned:
    """The engine's planned LR for a run's config.json, or Planned(reason=...) when there is none.

    Needs schedule.spec, a base LR (schedule.base_lrs, optimizer.lr or lr) and a horizon
    (schedule.total_steps, else epochs × steps_per_epoch, else `fallback_total`).
    Never raises: a malformed config or a spec the engine rejects becomes the reason.
    """
    if not isinstance(config, dict):
        return Planned(reason="no config")
    if is_lr_find(config):
        return _planned_sweep(config)
    schedule = config.get("schedule")
    if isinstance(schedule, str):
        schedule = {"spec": schedule}
    if not isinstance(schedule, dict):
        return Planned(reason="config has no schedule")
    spec = schedule.get("spec")
    constant = (
        isinstance(spec, str) and not spec.strip() and "total_steps" in schedule
    )  # lrtui: "" = constant LR
    if not constant and (not isinstance(spec, str) or not spec.strip()):
        return Planned(reason="config has no schedule spec")
    base = _base_lrs(config)
    if base is None:
        return Planned(spec=spec, reason="config has no base LR (optimizer.lr)")
    if len(base) == 1 and logged_groups > 1:
        base = base * logged_groups
    spe = _positive_int(schedule.get("steps_per_epoch")) or 1
    stepping = schedule.get("stepping") if isinstance(schedule.get("stepping"), str) else "step"
    total = _positive_int(schedule.get("total_steps"))
    epochs = _positive_int(config.get("epochs"))
    if total is None and epochs and _positive_int(schedule.get("steps_per_epoch")):
        total = epochs * spe
    if total is None:
        total = fallback_total
    if total is None:
        return Planned(spec=spec, reason="config has no schedule.total_steps")
    total = min(total, MAX_PLANNED_STEPS)
    optimizer = config.get("optimizer") if isinstance(config.get("optimizer"), dict) else {}
    opt_name = optimizer.get("name") if optimizer.get("name") in ("sgd", "adam", "adamw") else "sgd"
    momentum = optimizer.get("momentum")
    momentum = (
        float(momentum) if isinstance(momentum, (int, float)) and not isinstance(momentum, bool) else 0.9
    )
    if constant:
        lr = np.repeat(np.asarray(base, dtype=np.float64)[:, None], total, axis=1)
        return Planned(lr=lr, spec="", stepping=stepping, steps_per_epoch=spe, total_steps=total)
    try:
        from lrtui.schedules import Plan, SpecError, evaluate, parse

        try:
            plan = Plan(
                spec=parse(spec),
                base_lrs=base,
                total_steps=total,
                steps_per_epoch=spe,
                stepping=stepping,
                optimizer=opt_name,
                momentum=momentum,
            )
            curve = evaluate(plan)
        except SpecError as err:
            return Planned(spec=spec, reason=f"schedule not understood: {err}")
    except Exception as err:  # the engine must never take the monitor down with it
        return Planned(spec=spec, reason=f"schedule could not be evaluated: {type(err).__name__}: {err}")
    markers = [(float(m.step), str(m.kind), str(m.label)) for m in curve.markers]
    return Planned(
        lr=curve.lr, markers=markers, spec=spec, stepping=stepping, steps_per_epoch=spe, total_steps=total
    )


def _planned_sweep(config: dict) -> Planned:
    """An LR range test's plan is its sweep: the LR of every step, from the same function the writer used."""
    sweep, problem = sweep_of(config)
    if sweep is None:
        return Planned(reason=f"lr_find sweep not understood: {problem}")
    lr = np.asarray([sweep.lrs()], dtype=np.float64)
    return Planned(lr=lr, spec=f"LR sweep {sweep.describe()}", stepping="step", total_steps=sweep.steps)


# ------------------------------------------------------------------------------------------- text
def format_duration(seconds: float | None) -> str:
    """'4s', '3m12s', '2h05m', '3d04h'; '—' for None/NaN/negative."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def format_age(seconds: float | None) -> str:
    """'just now', '5m ago', '3h ago', '2d ago'."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 10:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)}s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    return f"{int(seconds // 86400)}d ago"


def format_acc(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{100 * value:.2f}%"
    return "—"


@dataclass(frozen=True)
class Progress:
    step: int | None  # optimizer steps done (last logged step + 1)
    total_steps: int | None
    epoch: int | None  # epochs completed
    total_epochs: int | None
    images_per_s: float | None
    eta_s: float | None

    @property
    def fraction(self) -> float | None:
        if self.step is None or not self.total_steps:
            return None
        return max(0.0, min(1.0, self.step / self.total_steps))


def progress_of(
    steps: np.ndarray, times: list[tuple[int, float]], epochs: list[dict], config: dict, live: bool
) -> Progress:
    """Counters, throughput and ETA from the logged data.

    `times` = (step, t) of recent step batches (wall time of each flush). Images/s comes from the last
    epoch record when there is one, else from the step rate × batch size. The ETA uses the recent step
    rate (last ~30 s of flushes) and is only given for live runs.
    """
    config = config if isinstance(config, dict) else {}
    schedule = config.get("schedule") if isinstance(config.get("schedule"), dict) else {}
    total_steps = _positive_int(schedule.get("total_steps"))
    total_epochs = _positive_int(config.get("epochs"))
    if is_lr_find(config):  # a sweep's length is its steps; its config's epochs describe a later training
        sweep, _ = sweep_of(config)
        schedule, total_epochs = {}, None
        total_steps = sweep.steps if sweep is not None else None
    spe = _positive_int(schedule.get("steps_per_epoch"))
    if total_steps is None and total_epochs and spe:
        total_steps = total_epochs * spe
    step = int(steps[-1]) + 1 if steps.size else None
    epoch_done = None
    for rec in reversed(epochs):
        ep = rec.get("epoch")
        if isinstance(ep, (int, float)) and not isinstance(ep, bool):
            epoch_done = int(ep) + 1
            break
    rate = None
    if len(times) >= 2:
        s_end, t_end = times[-1]
        s0, t0 = times[0]
        for s_i, t_i in times:
            if t_end - t_i <= 30.0:
                s0, t0 = s_i, t_i
                break
        if t_end > t0 and s_end > s0:
            rate = (s_end - s0) / (t_end - t0)
    images = None
    for rec in reversed(epochs):
        ips = rec.get("images_per_s")
        if isinstance(ips, (int, float)) and not isinstance(ips, bool) and math.isfinite(ips) and ips > 0:
            images = float(ips)
            break
    batch = _positive_int(config.get("batch_size"))
    if images is None and rate is not None and batch:
        images = rate * batch
    eta = None
    if live and rate and total_steps and step is not None:
        eta = max(total_steps - step, 0) / rate
    return Progress(step, total_steps, epoch_done, total_epochs, images, eta)


def epoch_series(epochs: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(epoch numbers counted from 1, values) for the epoch records that have a numeric `key`."""
    xs, ys = [], []
    for rec in epochs:
        ep, value = rec.get("epoch"), rec.get(key)
        if isinstance(ep, (int, float)) and isinstance(value, (int, float)) and not isinstance(value, bool):
            xs.append(float(ep) + 1.0)
            ys.append(float(value))
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


# ------------------------------------------------------------------------------------- envelope reduction
ENVELOPE_BLOCK = 32  # points per block: 1M points -> 62,500 kept, a few ms for the plot's own decimation
ENVELOPE_FROM = 16_384  # smaller series are plotted raw


def envelope_indices(y: np.ndarray, block: int = ENVELOPE_BLOCK) -> np.ndarray:
    """Indices of each complete block's min and max point (ascending). Spikes are extremes: they survive.

    The plot decimates again per column (min/max); because the kept points are real (x, y) points, every
    column still shows the true extremes of the blocks inside it.
    """
    m = (y.size // block) * block
    if m == 0:
        return np.empty(0, dtype=np.int64)
    blocks = y[:m].reshape(-1, block)
    finite = np.isfinite(blocks)
    lo = np.argmin(np.where(finite, blocks, np.inf), axis=1)
    hi = np.argmax(np.where(finite, blocks, -np.inf), axis=1)
    base = np.arange(blocks.shape[0], dtype=np.int64) * block
    pair = np.sort(np.stack([lo, hi], axis=1), axis=1) + base[:, None]
    return pair.ravel()


class Envelope:
    """The min/max envelope of a growing series, extended block by block (the worker keeps one per line)."""

    def __init__(self, block: int = ENVELOPE_BLOCK) -> None:
        self.block = block
        self._x = np.empty(0)
        self._y = np.empty(0)
        self.done = 0  # raw points already reduced (a multiple of block)

    def reset(self) -> None:
        self._x, self._y, self.done = np.empty(0), np.empty(0), 0

    def update(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) to plot for the whole series: raw when small, else reduced blocks + the raw tail."""
        n = int(y.size)
        if n < self.done:
            self.reset()
        if n < ENVELOPE_FROM and self.done == 0:
            return x, y
        full = (n // self.block) * self.block
        if full > self.done:
            idx = envelope_indices(y[self.done : full], self.block) + self.done
            self._x = np.concatenate([self._x, x[idx]])
            self._y = np.concatenate([self._y, y[idx]])
            self.done = full
        return np.concatenate([self._x, x[self.done :]]), np.concatenate([self._y, y[self.done :]])


def planned_from_inference(inference: Any, horizon: int) -> Planned | None:
    """An inferred schedule (lrtui.schedules.infer.Inference) as the monitor's plan over `horizon` steps."""
    if inference is None or not getattr(inference, "ok", False):
        return None
    from lrtui.schedules.infer import MAX_EVAL_STEPS

    if max(int(horizon), inference.total_steps) > MAX_EVAL_STEPS:
        return None  # a dense curve that long costs more than it shows (a log with a huge step number)
    try:
        from lrtui.schedules import evaluate

        plan = inference.plan()
        total = max(int(horizon), plan.total_steps)
        curve = evaluate(plan, n=total)
    except Exception:  # the engine must never take the monitor down with it
        return None
    markers = [(float(m.step), str(m.kind), str(m.label)) for m in curve.markers]
    return Planned(
        lr=curve.lr,
        markers=markers,
        spec=inference.spec,
        stepping=inference.stepping,
        steps_per_epoch=inference.steps_per_epoch,
        total_steps=None,
        source="inferred",
        title=inference.title,
        confidence=inference.confidence,
        base_lrs=tuple(inference.base_lrs),
    )
