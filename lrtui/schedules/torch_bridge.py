"""Build the real scheduler a training loop steps, from a spec (torch is imported lazily, inside functions).

    stepper = build_stepper("CosineAnnealingLR(T_max=100)", optimizer, stepping="epoch", steps_per_epoch=391)
    for i, batch in enumerate(loader, 1):
        ...; optimizer.step(); stepper.on_step_end(i)

- torch kinds build the genuine `torch.optim.lr_scheduler` class; nested children are built first, in
  order, on the same optimizer (exactly what a user's script does).
- seed and warmup kinds build faithful ports of the seed articles' classes (`WarmupCosineLR`,
  `warmup_scheduler.GradualWarmupScheduler`) and of pytorch_warmup's dampening protocol.
- every other kind (transformers, timm, formulas) builds an `LRScheduler` whose `get_lr` reads our exact
  engine curve — transformers' own objects are LambdaLRs, so this matches them value for value; a
  metric-driven one (timm's PlateauLRScheduler) replays the metrics it was stepped with.

Resume exactly (torch's order): build the stepper, then `optimizer.load_state_dict`, then
`stepper.load_state_dict`. Stepper state dicts hold plain Python data only.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from lrtui.schedules.catalogue import Bound, Context, get_kind, resolve
from lrtui.schedules.errors import SpecError
from lrtui.schedules.spec import Spec, parse

STEPPINGS = ("step", "epoch", "fractional")


# ----------------------------------------------------------------------------------------- context
def optimizer_context(
    optimizer,
    *,
    steps_per_epoch: int = 1,
    total_steps: int | None = None,
    stepping: str = "step",
    metric=None,
) -> Context:
    """The engine's Context for a live optimizer (its current lrs are the schedule's base lrs)."""
    groups = optimizer.param_groups
    # torch keeps an existing initial_lr (setdefault): the schedule's base is that one when present
    base = tuple(float(g.get("initial_lr", g["lr"])) for g in groups)
    if "betas" in optimizer.defaults:
        opt = "adamw" if type(optimizer).__name__ == "AdamW" else "adam"
        mom = tuple(float(g["betas"][0]) for g in groups)
    else:
        opt = "sgd"
        mom = tuple(float(g.get("momentum", 0.0) or 0.0) for g in groups)
    if stepping == "epoch":
        horizon = -(-(total_steps or 1000) // steps_per_epoch)
    else:
        horizon = total_steps or 1000
    default = optimizer.defaults.get("lr")
    return Context(
        base_lrs=base,
        default_lr=None if default is None else float(default),
        steps_per_epoch=steps_per_epoch,
        horizon=int(horizon),
        stepping=stepping,
        optimizer=opt,
        momentum=mom,
        metric=None if metric is None else tuple(float(x) for x in metric),
    )


# ----------------------------------------------------------------------------------------- building
class FormulaFn:
    """A picklable callable for torch's lr_lambda: evaluates a safe formula at one step.

    Its `__dict__` holds only the text, so LambdaLR.state_dict() (which saves callable objects' __dict__)
    stays plain data.
    """

    def __init__(self, text: str):
        self.text = text

    def __call__(self, k):
        return float(_compiled(self.text)(np.asarray([k], dtype=np.float64))[0])

    def __repr__(self) -> str:
        return f"FormulaFn({self.text!r})"


class EngineLambda:
    """λ(k) of a transformers-style kind (lr = base · λ(k)), from our engine; picklable plain __dict__."""

    def __init__(self, spec: str, default_lr: float | None):
        self.spec = spec
        self.default_lr = default_lr

    def __call__(self, k):
        return _lambda_table(self.spec, self.default_lr).at(k)


class _LambdaTable:
    def __init__(self, spec: str, default_lr: float | None):
        ctx = Context(base_lrs=(1.0,), default_lr=default_lr)
        self.bound = resolve(parse(spec), ctx)
        self.ctx = ctx
        self.table = np.zeros(0)

    def at(self, k) -> float:
        if isinstance(k, float) and not k.is_integer():
            return float(
                self.bound.kind.factor(self.bound.args, self.ctx, np.asarray([k], dtype=np.float64))[0]
            )
        k = int(k)
        if not 0 <= k < self.table.size:
            if k < 0:
                return float(self.bound.kind.factor(self.bound.args, self.ctx, np.asarray([float(k)]))[0])
            n = max(2 * self.table.size, k + 1, 4096)
            kk = np.arange(n, dtype=np.float64)
            with np.errstate(all="ignore"):
                self.table = np.broadcast_to(
                    self.bound.kind.factor(self.bound.args, self.ctx, kk), (n,)
                ).copy()
        return float(self.table[k])


@functools.lru_cache(maxsize=64)
def _lambda_table(spec: str, default_lr: float | None) -> _LambdaTable:
    return _LambdaTable(spec, default_lr)


@functools.lru_cache(maxsize=256)
def _compiled(text: str):
    from lrtui.schedules.formula import compile_formula

    return compile_formula(text)


def build_scheduler(
    spec: str | Spec,
    optimizer,
    *,
    steps_per_epoch: int = 1,
    total_steps: int | None = None,
    metric=None,
    stepping: str = "step",
):
    """The real scheduler object for a spec, constructed on `optimizer` (which it modifies, like torch).

    Raises SpecError for an invalid spec (validated against this optimizer's param groups).
    """
    spec = parse(spec) if isinstance(spec, str) else spec
    ctx = optimizer_context(
        optimizer, steps_per_epoch=steps_per_epoch, total_steps=total_steps, stepping=stepping, metric=metric
    )
    bound = resolve(spec, ctx)
    with warnings.catch_warnings():
        # SequentialLR's constructor steps children before any optimizer.step(): torch's order warning
        # is about user loops, not about construction.
        warnings.simplefilter("ignore", UserWarning)
        return build_bound(bound, optimizer, ctx)


def build_bound(bound: Bound, optimizer, ctx: Context):
    """Build a resolved spec (recursively: children first, in order)."""
    lib = bound.kind.library
    if bound.kind.loop_pattern:
        return LoopScheduler(
            bound, [build_bound(c, optimizer, ctx) for c in bound.args["schedulers"]], optimizer
        )
    if lib == "torch":
        return _build_torch(bound, optimizer, ctx)
    if lib == "transformers" and hasattr(bound.kind, "factor"):
        # transformers' schedules ARE LambdaLRs: base_lrs · λ(k) (GradualWarmupScheduler rescales base_lrs)
        from torch.optim.lr_scheduler import LambdaLR

        return LambdaLR(optimizer, EngineLambda(str(bound.spec), ctx.default_lr))
    ports = _ports()  # also registers the port builders
    builder = _PORT_BUILDERS.get(bound.kind.name)
    if builder is not None:
        return builder(bound, optimizer, ctx)
    if bound.kind.metric_driven:
        return ports.MetricEngineScheduler(optimizer, bound, ctx)
    return ports.EngineScheduler(optimizer, bound, ctx)


def _torch_class(kind):
    """The class a torch kind names (`Kind.torch_path`, else torch.optim.lr_scheduler.<name>)."""
    import importlib

    module, _, name = (kind.torch_path or f"torch.optim.lr_scheduler.{kind.name}").rpartition(".")
    return getattr(importlib.import_module(module), name, None)


def _build_torch(bound: Bound, optimizer, ctx: Context):
    cls = _torch_class(bound.kind)
    if cls is None:  # a torch-library kind with no class of that name: evaluate our engine instead
        return _ports().EngineScheduler(optimizer, bound, ctx)
    accepted = inspect.signature(cls.__init__).parameters
    kwargs: dict[str, object] = {}
    for p in bound.kind.params:
        if p.name not in accepted or p.name == "optimizer":
            continue
        kwargs[p.name] = _torch_value(bound.args[p.name], optimizer, ctx)
    if bound.kind.optimizer_keyword:  # ChainedScheduler(schedulers, optimizer=None)
        return cls(**kwargs, optimizer=optimizer)
    return cls(optimizer, **kwargs)


def _torch_value(v: object, optimizer, ctx: Context):
    from lrtui.schedules.formula import Formula

    if isinstance(v, Bound):
        return build_bound(v, optimizer, ctx)
    if isinstance(v, Formula):
        return FormulaFn(v.text)
    if isinstance(v, tuple | list):
        # Children are built here, in order: each constructor acts on the optimizer as in user code.
        return [_torch_value(x, optimizer, ctx) for x in v]
    return v


# Kind name -> builder(bound, optimizer, ctx) of a port object; filled by torch_ports.define().
_PORT_BUILDERS: dict[str, Callable] = {}


@functools.lru_cache(maxsize=1)
def _ports():
    """Classes that subclass torch's LRScheduler, created on first use so importing this module stays cheap."""
    from types import SimpleNamespace

    from torch.optim.lr_scheduler import LRScheduler

    class EngineScheduler(LRScheduler):
        """An LRScheduler whose get_lr reads our exact engine curve (absolute in last_epoch).

        `step(epoch)` with a float epoch evaluates the schedule at that fractional position.
        """

        def __init__(self, optimizer, bound: Bound, ctx: Context):
            self._bound = bound
            self._ctx = ctx
            self._lr_cache = np.zeros((ctx.n_groups, 0))
            self._mom_cache = None
            self._mom_name = "momentum"
            super().__init__(optimizer)

        def _values_at(self, k):
            if isinstance(k, float) and not float(k).is_integer():
                vals = self._bound.values(self._ctx, np.asarray([k], dtype=np.float64))
                lr = vals.lr[:, 0]
                mom = None if vals.momentum is None else vals.momentum[:, 0]
                return lr, mom, vals.momentum_name
            k = int(k)
            if k >= self._lr_cache.shape[1]:
                n = max(2 * self._lr_cache.shape[1], self._ctx.horizon + 1, k + 1, 1024)
                vals = self._bound.values(self._ctx, np.arange(n))
                self._lr_cache = np.asarray(vals.lr, dtype=np.float64)
                self._mom_cache = vals.momentum
                self._mom_name = vals.momentum_name
            mom = None if self._mom_cache is None else self._mom_cache[:, k]
            return self._lr_cache[:, k], mom, self._mom_name

        def get_lr(self):
            lr, mom, _mom_name = self._values_at(self.last_epoch)
            if mom is not None:
                for group, m in zip(self.optimizer.param_groups, mom):
                    if "betas" in group:
                        group["betas"] = (float(m), *group["betas"][1:])
                    elif "momentum" in group:
                        group["momentum"] = float(m)
            return [float(x) for x in lr]

        def state_dict(self):
            return {
                "last_epoch": self.last_epoch,
                "_step_count": self._step_count,
                "base_lrs": list(self.base_lrs),
                "_last_lr": list(self._last_lr),
                "spec": str(self._bound.spec),
            }

        def load_state_dict(self, state_dict):
            for key in ("last_epoch", "_step_count", "base_lrs", "_last_lr"):
                if key in state_dict:
                    setattr(self, key, state_dict[key])

    class MetricEngineScheduler(EngineScheduler):
        """A metric-driven kind without a torch class (timm's PlateauLRScheduler): `step(metric)` appends
        to the series the engine replays (its k-th step reads metric[k−1], as Context.metric says)."""

        def __init__(self, optimizer, bound: Bound, ctx: Context):
            self._metrics: list[float] = []
            super().__init__(optimizer, bound, ctx)

        def _follow(self, metrics: list[float]) -> None:
            self._metrics = metrics
            self._ctx = replace(self._ctx, metric=tuple(metrics) or self._ctx.metric)
            self._lr_cache = np.zeros((self._ctx.n_groups, 0))  # values up to k depend on metric[:k]

        def step(self, metric=None):
            if metric is not None:  # None: the constructor's initial step (last_epoch 0)
                self._follow([*self._metrics, float(metric)])
            super().step()

        def state_dict(self):
            return {**super().state_dict(), "metrics": list(self._metrics)}

        def load_state_dict(self, state_dict):
            super().load_state_dict(state_dict)
            self._follow([float(m) for m in state_dict.get("metrics", [])])

    ns = SimpleNamespace(
        EngineScheduler=EngineScheduler, MetricEngineScheduler=MetricEngineScheduler, LRScheduler=LRScheduler
    )
    # Ports of the seed/warmup libraries' classes live with their kinds' semantics (see kinds/seed.py,
    # kinds/warmup.py); they are created here because they must subclass torch's LRScheduler.
    from lrtui.schedules import torch_ports

    _PORT_BUILDERS.update(torch_ports.define(ns))
    return ns


# ----------------------------------------------------------------------------------------- loop patterns
class LoopScheduler:
    """SwitchLR / Compound in a training loop: the real schedulers, built in order, stepped as the spec says.

    `step(metric=None)` is one scheduler step of the plan's unit; `epoch_end(metric)` runs what a loop does
    at an epoch end (Compound's 'epoch' children, in order). ReduceLROnPlateau children get `metric`.
    """

    def __init__(self, bound: Bound, children: list, optimizer):
        self.one_at_a_time = bound.kind.one_at_a_time  # SwitchLR; else Compound
        self.children = children
        self.on_metric = [c.kind.metric_driven for c in bound.args["schedulers"]]  # step(metric)
        self.optimizer = optimizer
        self.milestones = tuple(bound.args.get("milestones") or ())
        self.every = tuple(bound.args.get("every") or ("step",) * len(children))
        self.calls = 0

    def _step(self, i: int, metric) -> None:
        child = self.children[i]
        if isinstance(child, LoopScheduler):
            child.step(metric)
        elif self.on_metric[i]:
            if metric is None:
                raise SpecError(
                    f"{type(child).__name__} needs a metric at this step (in lrtui's trainer it steps on the "
                    'epoch\'s test loss: give it every="epoch" in Compound, or step the plan per epoch)',
                    field="schedule",
                )
            child.step(float(metric))
        else:
            child.step()

    def step(self, metric: float | None = None, *, units: tuple[str, ...] = ("step",)) -> None:
        if self.one_at_a_time:
            self.calls += 1
            from bisect import bisect_right

            self._step(bisect_right(self.milestones, self.calls), metric)
            return
        for unit in units:
            for i, every in enumerate(self.every):
                if every == unit:
                    self._step(i, metric)

    def epoch_end(self, metric: float | None) -> None:
        """Compound's 'epoch' children (the loop's code after the batch loop)."""
        if not self.one_at_a_time:
            self.step(metric, units=("epoch",))

    def state_dict(self) -> dict:
        return {"calls": self.calls, "children": [c.state_dict() for c in self.children]}

    def load_state_dict(self, state: dict) -> None:
        self.calls = int(state.get("calls", 0))
        for c, s in zip(self.children, state.get("children", [])):
            c.load_state_dict(s)


# ----------------------------------------------------------------------------------------- stepping
class ScheduleStepper:
    """Steps a scheduler the way a plan says: every optimizer step, at epoch ends, or fractionally.

    `on_step_end(i)` is called after the i-th optimizer step (i = 1, 2, ...). After it, the optimizer
    holds the planned lr for update i+1 (`planned_lrs(...)[:, i]`).
    ReduceLROnPlateau needs `metric=` at the steps where it should step (each step, or each epoch end).
    """

    def __init__(self, scheduler, spec: Spec, *, stepping: str, steps_per_epoch: int):
        self.scheduler = scheduler
        self.spec = spec
        self.stepping = stepping
        self.steps_per_epoch = steps_per_epoch
        self.steps_done = 0
        self.scheduler_steps = 0
        kind = get_kind(spec.kind)
        self.is_plateau = kind is not None and kind.metric_driven  # steps only when given a metric
        self.loop = scheduler if isinstance(scheduler, LoopScheduler) else None
        # a loop pattern stepped per epoch steps once per epoch with the epoch's metric (on_metric)
        self.loop_on_metric = self.loop is not None and stepping == "epoch"

    def on_step_end(self, global_step_done: int, metric: float | None = None) -> None:
        self.steps_done = int(global_step_done)
        if self.loop_on_metric:
            return
        if self.stepping == "epoch" and global_step_done % self.steps_per_epoch != 0:
            return
        with warnings.catch_warnings():
            # torch warns on step(epoch) (deprecated) and on the order check; the plan already chose.
            warnings.simplefilter("ignore", UserWarning)
            if self.loop is not None:
                self.loop.step(metric)
            elif self.is_plateau:
                if metric is None:
                    return
                self.scheduler.step(metric)
            elif self.stepping == "fractional":
                self.scheduler.step(global_step_done / self.steps_per_epoch)
            else:
                self.scheduler.step()
        self.scheduler_steps += 1

    def on_metric(self, metric: float) -> None:
        """Feed an epoch's validation metric: ReduceLROnPlateau steps on it (other kinds ignore it); a
        loop pattern runs its epoch-end part (all of it when the plan steps per epoch)."""
        if self.loop is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                if self.loop_on_metric:
                    self.loop.step(metric, units=("step", "epoch"))
                else:
                    self.loop.epoch_end(metric)
            self.scheduler_steps += 1
            return
        if self.is_plateau:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                self.scheduler.step(float(metric))
            self.scheduler_steps += 1

    def lrs(self) -> list[float]:
        return [float(g["lr"]) for g in self.scheduler.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {
            "format": 1,
            "spec": str(self.spec),
            "stepping": self.stepping,
            "steps_per_epoch": self.steps_per_epoch,
            "steps_done": self.steps_done,
            "scheduler_steps": self.scheduler_steps,
            "scheduler": self.scheduler.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        if state.get("spec") not in (None, str(self.spec)):
            raise SpecError(
                f"checkpoint schedule {state.get('spec')!r} differs from {str(self.spec)!r}",
                field="schedule",
                value=state.get("spec"),
                allowed=str(self.spec),
            )
        self.steps_done = int(state.get("steps_done", 0))
        self.scheduler_steps = int(state.get("scheduler_steps", 0))
        self.scheduler.load_state_dict(state["scheduler"])


def build_stepper(
    spec: str | Spec,
    optimizer,
    *,
    stepping: str = "step",
    steps_per_epoch: int = 1,
    total_steps: int | None = None,
    metric=None,
) -> ScheduleStepper:
    """Construct the scheduler on `optimizer` now and return its stepper (see ScheduleStepper)."""
    if stepping not in STEPPINGS:
        raise SpecError.bad_value("stepping", stepping, "one of " + ", ".join(map(repr, STEPPINGS)))
    if isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, int) or steps_per_epoch < 1:
        raise SpecError.bad_value("steps_per_epoch", steps_per_epoch, "an integer ≥ 1")
    spec = parse(spec) if isinstance(spec, str) else spec
    sched = build_scheduler(
        spec,
        optimizer,
        steps_per_epoch=steps_per_epoch,
        total_steps=total_steps,
        metric=metric,
        stepping=stepping,
    )
    if stepping == "fractional" and "epoch" not in inspect.signature(sched.step).parameters:
        raise SpecError.bad_value(
            "stepping", stepping, f"'step' or 'epoch': {type(sched).__name__}.step() takes no epoch argument"
        )
    return ScheduleStepper(sched, spec, stepping=stepping, steps_per_epoch=steps_per_epoch)


__all__ = [
    "FormulaFn",
    "LoopScheduler",
    "ScheduleStepper",
    "build_bound",
    "build_scheduler",
    "build_stepper",
    "optimizer_context",
]
