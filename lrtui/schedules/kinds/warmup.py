"""Warmup wrappers from the seeds' ecosystem, reproduced from their sources.

GradualWarmupScheduler (warmup_scheduler 0.3, seeds/001):
    GradualWarmupScheduler(multiplier=40, total_epoch=5, after_scheduler=StepLR(step_size=10, gamma=0.2))
  k ≤ total_epoch: lr = base·((multiplier − 1)·k/total_epoch + 1) (multiplier == 1: base·k/total_epoch,
  from 0). At k = total_epoch + 1 it sets after_scheduler.base_lrs = base·multiplier and returns
  after_scheduler.get_lr() — a *non-initial* get_lr at the after scheduler's last_epoch 0, on the current
  lr: StepLR keeps it (an extra plateau step), CosineAnnealingLR multiplies (lr − eta_min) by
  2/(1 + cos(π/T_max)) (the overshoot: 1.106 for target 1.0 with T_max=5). From then on it calls
  after_scheduler.step(), whose counter starts at 1. Without after_scheduler: base·multiplier forever.

pytorch_warmup 0.2 (wrap another schedule; ω multiplies the scheduled lr):
    LinearWarmup(warmup_period=100, schedule=CosineAnnealingLR(T_max=1000))
    ExponentialWarmup(warmup_period=100)            # no schedule: base·ω
    UntunedLinearWarmup(beta2=0.999, schedule=...)  # τ = int(2/(1 − β2)) = 1999 for 0.999 (float rounding)
    UntunedExponentialWarmup(beta2=0.999)           # τ = int(1/(1 − β2)) = 999
  The training loop does `with warmup.dampening(): scheduler.step()`: the scheduler steps on the
  undampened lr, then `lr *= ω(t)` with ω = min(1, (t+1)/τ) (linear) or 1 − exp(−(t+1)/τ) (exponential),
  t = the step index (0 after construction). So lr_k = schedule_k · ω(k), and the wrapped schedule's own
  curve is untouched. `schedule` is our spec form for "the scheduler stepped inside dampening()".
"""

from __future__ import annotations

import numpy as np

from lrtui.schedules import libm
from lrtui.schedules.catalogue import Bound, Context, Kind, Marker, Values, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import every_step, float_arange_view, int_steps
from lrtui.schedules.ops import Ops, replay
from lrtui.schedules.params import Param, per_group
from lrtui.schedules.program import GroupState, Leaf, int_range

MAX = 10**15
WRAPPERS = (
    "GradualWarmupScheduler",
    "LinearWarmup",
    "ExponentialWarmup",
    "UntunedLinearWarmup",
    "UntunedExponentialWarmup",
)


# ----------------------------------------------------------------------------------------- GradualWarmup
def _gws_warm(base: np.ndarray, m: float, t: int, k: np.ndarray) -> np.ndarray:
    """get_lr for last_epoch k ≤ total_epoch (warmup_scheduler's operations), (groups, len(k))."""
    kf = np.asarray(k, dtype=np.float64)
    if m == 1.0:
        return base[:, None] * (kf / t)[None, :]  # base_lr * (float(last_epoch) / total_epoch)
    return base[:, None] * ((m - 1.0) * kf / t + 1.0)[None, :]


class GradualWarmupLeaf(Leaf):
    """warmup_scheduler's GradualWarmupScheduler object and its after_scheduler (built just before it).

    step(): once `finished`, after_scheduler.step(); else its own last_epoch += 1 and get_lr: the warmup
    up to total_epoch; past it (the first time) after_scheduler.base_lrs = base·multiplier, finished,
    and the lr of after_scheduler.get_lr() at its current (non-initial) step — then after.step()."""

    def __init__(self, bound, ctx, path):
        super().__init__(bound, ctx, path)
        self.after: Leaf | None = None
        self.finished = False
        self.calls = 0
        self.plan: list[tuple] = []  # (first call, last call + 1, what, data)

    def construct(self, st: GroupState) -> None:
        after = self.args["after_scheduler"]
        if after is not None:
            self.after = after.kind.leaf(after, self.ctx, f"{self.path}.after_scheduler")
            self.after.construct(st)
        super().construct(st)

    def bind(self, st: GroupState) -> None:
        super().bind(st)
        if self.after is not None and not self.finished:  # (the hand-over rebased it: keep that)
            self.after.bind(st)

    def constructor_step(self, st: GroupState) -> None:
        st.apply(self.ops(self.take(1)))

    def initial_step(self, st: GroupState) -> None:
        st.apply(self.ops(self.take(1)))

    def reset(self) -> Ops:
        self.counter = 0  # _update_lr(0): get_lr at last_epoch 0 (the warmup's start), `finished` kept
        base = np.asarray(self.ctx.base_lrs, dtype=np.float64)
        return Ops.set(_gws_warm(base, self.args["multiplier"], self.args["total_epoch"], np.zeros(1)))

    def take(self, n: int) -> np.ndarray:
        first = self.calls
        self.calls += n
        t = self.args["total_epoch"]
        i = first
        while i < first + n:
            left = first + n - i
            if self.finished:
                self.plan.append((i, i + left, "after", self.after.take(left)))
                break
            room = max(0, t - self.counter)  # calls still inside the warmup
            if room:
                c = min(room, left)
                self.plan.append((i, i + c, "warm", np.arange(self.counter + 1, self.counter + 1 + c)))
                self.counter += c
                i += c
                continue
            self.counter += 1
            if self.after is None:
                self.plan.append((i, i + left, "flat", None))
                break
            # the hand-over: after_scheduler.base_lrs = base · multiplier, then its get_lr() now
            base = np.asarray(self.ctx.base_lrs, dtype=np.float64)
            with np.errstate(over="ignore"):
                bases = base * self.args["multiplier"]
            self.after.args, self.after.ctx = self.after.kind.rebase(self.after.args, self.after.ctx, bases)
            self.finished = True
            self.plan.append((i, i + 1, "handover", np.asarray([max(self.after.counter, 0)])))
            i += 1
        return int_range(first, first + n)

    def _pieces(self, calls: np.ndarray):
        """(lo, hi, what, data) for the calls (a consecutive run), data cut to them."""
        lo, hi = int(calls[0]), int(calls[-1]) + 1
        for a, b, what, data in self.plan:
            s, e = max(a, lo), min(b, hi)
            if s < e:
                yield s - lo, e - lo, what, None if data is None else data[s - a : e - a]

    def _ops(self, what: str, data, n: int) -> Ops:
        base = np.asarray(self.ctx.base_lrs, dtype=np.float64)
        m, t = self.args["multiplier"], self.args["total_epoch"]
        if what == "warm":
            return Ops.set(_gws_warm(base, m, t, data))
        if what == "flat":
            with np.errstate(over="ignore"):
                return Ops.set(np.repeat((base * m)[:, None], n, axis=1))
        return self.after.ops(data)  # the hand-over (get_lr at the after's counter) and after.step()

    def ops(self, counters, calls=None):
        parts = [(s, e, self._ops(what, data, e - s)) for s, e, what, data in self._pieces(counters)]
        if len(parts) == 1:
            return parts[0][2]
        from lrtui.schedules.program import _concat_ops

        order = np.arange(sum(e - s for s, e, _ in parts))
        return _concat_ops([o for _, _, o in parts], [e - s for s, e, _ in parts], order, self.ctx.n_groups)

    def replay(self, counters, calls, x0, out):
        x = np.asarray(x0, dtype=np.float64)
        for s, e, what, data in self._pieces(counters):
            if what == "after":
                self.after.replay(data, None, x, out[:, s:e])
            else:
                replay(self._ops(what, data, e - s), x, out[:, s:e])
            x = out[:, e - 1].copy()

    def momentum(self, counters):
        if self.after is None or not self.after.kind.drives_momentum_for(self.after.args):
            return None
        g = self.ctx.n_groups
        mom = np.full((g, counters.size), np.nan)
        for s, e, what, data in self._pieces(counters):
            if what in ("after", "handover"):
                vals = self.after.momentum(data)
                if vals is not None:
                    mom[:, s:e] = vals
        return mom  # NaN: not written (the warmup leaves the momentum alone)


@register
class GradualWarmupScheduler(Kind):
    name = "GradualWarmupScheduler"
    library = "warmup"
    torch_path = "warmup_scheduler.GradualWarmupScheduler"
    summary = (
        "warmup_scheduler's linear warmup from the lr to lr·multiplier over total_epoch steps, then "
        "after_scheduler with its base lrs multiplied — with the library's handover glitches (an "
        "extra plateau step, a cosine overshoot). Spec: GradualWarmupScheduler(multiplier=10, "
        "total_epoch=5, after_scheduler=CosineAnnealingLR(T_max=5))."
    )
    example = (
        "GradualWarmupScheduler(multiplier=10, total_epoch=5, after_scheduler=CosineAnnealingLR(T_max=5))"
    )
    params = (
        Param(
            "multiplier",
            "float",
            help="Target lr = lr × multiplier (1 = warm up from 0 to the lr).",
            lo=1,
            source="warmup_scheduler.GradualWarmupScheduler.__init__: `multiplier < 1.` raises ValueError",
        ),
        Param(
            "total_epoch",
            "int",
            help="Steps of warmup: the target is reached here (< 0: hands over at once).",
            lo=-MAX,
            hi=MAX,
            source="warmup_scheduler.GradualWarmupScheduler: no check; get_lr divides by it (0: "
            "ZeroDivisionError in the constructor, refused)",
        ),
        Param(
            "after_scheduler",
            "schedule",
            None,
            optional=True,
            help="The scheduler after warmup (built before the wrapper, on the same optimizer).",
            source="warmup_scheduler.GradualWarmupScheduler: any scheduler (ReduceLROnPlateau: not previewed)",
        ),
    )

    def port_expr(self, bound, port):
        a = bound.args
        after = "None" if a["after_scheduler"] is None else port.child(a["after_scheduler"])
        args = (
            f"multiplier={port.literal(a['multiplier'])}, total_epoch={a['total_epoch']!r}, "
            f"after_scheduler={after}"
        )
        return port.call(port.need("GradualWarmupScheduler"), "optimizer", args)

    def leaf(self, bound, ctx, path):
        return GradualWarmupLeaf(bound, ctx, path)

    def warmup_length(self, args):
        return args["total_epoch"]

    def check(self, args, ctx, where):
        if args["total_epoch"] == 0:
            raise SpecError.bad_value(
                f"{where}.total_epoch",
                0,
                "nonzero (the constructor's get_lr divides by it: ZeroDivisionError)",
            )
        if ctx.stepping == "fractional":
            raise SpecError.bad_value(
                "stepping",
                "fractional",
                "'step' or 'epoch' for GradualWarmupScheduler (its step(epoch) path is not previewed)",
            )
        after: Bound | None = args["after_scheduler"]
        if after is None:
            return
        field = f"{where}.after_scheduler"
        if after.kind.metric_driven:
            raise SpecError.bad_value(
                field,
                after.kind.name,
                "a scheduler other than ReduceLROnPlateau (its metric-driven path is not previewed)",
            )
        if after.kind.node_class is not None:
            raise SpecError.bad_value(
                field,
                after.kind.name,
                "a plain scheduler: GradualWarmupScheduler calls its get_lr(), "
                "which torch's composites do not implement",
            )
        why = after.kind.child_error(after.args)
        if why is not None:
            raise SpecError.bad_value(
                field, after.kind.name, f"a torch LRScheduler ({after.kind.name} {why})"
            )

    def values(self, args, ctx, k):
        from lrtui.schedules.program import Program

        ki = int_steps(k).reshape(-1)  # negative steps: 0
        if ki.size == 0:
            return Values(np.empty((ctx.n_groups, 0)))
        every = every_step(ki)
        n = every or int(ki.max()) + 1
        lr, mom, name = Program(Bound(self, args, None), ctx).run(n)  # type: ignore[arg-type]
        if every is None:
            lr = lr[:, ki]
            mom = None if mom is None else mom[:, ki]
        return Values(lr, mom, name)

    def child_spans(self, args, start, end, ctx):
        after = args["after_scheduler"]
        if after is not None:  # it takes over at total_epoch
            yield ".after_scheduler", after, start + args["total_epoch"], end

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint, fmt

        te, mult = node.args["total_epoch"], node.args["multiplier"]
        if te + 2 >= doc.horizon:
            return
        target = doc.ctx.base_lrs[0] * mult
        lr = doc.lr
        peak = float(lr.max())
        if peak > target * (1 + 1e-6):
            s = int(np.argmax(lr))
            yield Lint(
                "warmup_overshoot",
                "warning",
                f"GradualWarmupScheduler overshoots: the lr peaks at {fmt(peak)}, "
                f"{fmt(100 * (peak / target - 1))}% above the target {fmt(target)} (step {s}), at the handover",
                "use SequentialLR([LinearLR(...), ...], milestones=[total_epoch]) instead",
                node.path,
                float(s),
            )
        s = doc.opt_step(node.start + te)
        span = doc.scale
        if s + span < lr.size and lr[s] == lr[min(s + span, lr.size - 1)] and node.args["after_scheduler"]:
            yield Lint(
                "warmup_plateau",
                "info",
                f"an extra {'epoch' if doc.plan.stepping == 'epoch' else 'step'} at {fmt(lr[s])} at the "
                "handover: the after_scheduler starts one step late",
                "use SequentialLR with the warmup's length as milestone",
                node.path,
                float(s),
            )

    def stated_length(self, args, ctx):
        after = args["after_scheduler"]
        length = None if after is None else after.stated_length(ctx)
        return None if length is None else int(args["total_epoch"]) + length

    def markers(self, args, ctx):
        t = args["total_epoch"]
        out = [Marker(float(t), "warmup_end", "warmup end (lr × multiplier)")]
        after: Bound | None = args["after_scheduler"]
        if after is not None:
            out.append(Marker(float(t + 1), "milestone", f"→ {after.kind.name} (handover)"))
            out += [Marker(mk.step + t + 1, mk.kind, mk.label) for mk in after.markers(ctx)]
        return out[:200]


# ----------------------------------------------------------------------------------------- pytorch_warmup
class _DampenedKind(Kind):
    """lr_k = schedule_k · ω(k) (pytorch_warmup's dampening protocol)."""

    library = "warmup"
    exponential = False

    def port_expr(self, bound, port):
        # the warmup dampens the lr its scheduler sets, with its periods resolved per group
        a, ctx = bound.args, port.ctx
        inner = "None" if a.get("schedule") is None else port.child(a["schedule"])
        periods = [int(p) for p in per_group(list(self.periods(a, ctx)), ctx.n_groups)]
        args = f"scheduler={inner}, warmup_periods={periods!r}, exponential={bool(self.exponential)}"
        return port.call(port.need("DampenedWarmup"), "optimizer", args)

    def child_error(self, args):
        return (
            "is not a scheduler: pytorch_warmup's warmup has no step() (torch's composites raise "
            "AttributeError at the first step); wrap the composite instead: "
            f"{self.name}(..., schedule=SequentialLR([...]))"
        )

    def warmup_length(self, args):
        if args.get("warmup_period") is None:
            return None
        return int(max(per_group(args["warmup_period"], 1)))

    def periods(self, args, ctx: Context) -> np.ndarray:
        raise NotImplementedError

    def omega(self, args, ctx: Context, t: np.ndarray) -> np.ndarray:
        tau = self.periods(args, ctx)[:, None].astype(np.float64)
        t1 = (np.asarray(t, dtype=np.float64) + 1)[None, :]
        if self.exponential:
            return 1.0 - libm.exp_array(-t1 / tau)  # 1.0 - math.exp(-(step+1) / warmup_period)
        return np.minimum(1.0, t1 / tau)  # min(1.0, (step+1) / warmup_period)

    def check(self, args, ctx, where):
        inner: Bound | None = args.get("schedule")
        if inner is None:
            return
        if isinstance(inner.kind, _DampenedKind):
            raise SpecError.bad_value(
                f"{where}.schedule", inner.kind.name, "a schedule that is not itself a warmup wrapper"
            )
        if inner.kind.metric_driven:
            raise SpecError.bad_value(
                f"{where}.schedule",
                inner.kind.name,
                "a schedule other than ReduceLROnPlateau (it needs a metric)",
            )

    def ramp_end(self, args, ctx: Context) -> int:
        """A step from which ω is exactly 1.0: min(1.0, (t+1)/τ) once t + 1 ≥ τ; 1.0 − exp(−(t+1)/τ) once
        exp(−(t+1)/τ) < 2**-54 (1 − x then rounds to 1.0), which (t+1)/τ > 38 guarantees."""
        tau = int(self.periods(args, ctx).max())
        return 38 * tau if self.exponential else tau

    def values(self, args, ctx, k):
        inner: Bound | None = args.get("schedule")
        ka = np.asarray(k)
        n = (
            every_step(ka)
            if ka.dtype.kind in "iu" and ka.ndim == 1 and ctx.stepping != "fractional"
            else None
        )
        if n is not None:  # every step from 0: t = k, and ω = 1.0 (an exact no-op) after the ramp
            if inner is None:
                lr = np.repeat(np.asarray(ctx.base_lrs, dtype=np.float64)[:, None], n, axis=1)
                sched = Values(lr)
            else:
                sched = inner.values(ctx, k)
                lr = np.array(sched.lr, dtype=np.float64, copy=not _owned(sched.lr, n))
            r = min(n, self.ramp_end(args, ctx))
            with np.errstate(all="ignore"):
                lr[:, :r] *= self.omega(args, ctx, float_arange_view(r))  # group['lr'] *= omega
            return Values(lr, sched.momentum, sched.momentum_name)
        kf = np.asarray(k, dtype=np.float64).reshape(-1)
        t = np.rint(kf * ctx.steps_per_epoch) if ctx.stepping == "fractional" else np.maximum(kf, 0)
        if inner is None:
            sched = Values(np.repeat(np.asarray(ctx.base_lrs, dtype=np.float64)[:, None], kf.size, axis=1))
        else:
            sched = inner.values(ctx, k)
        with np.errstate(all="ignore"):
            lr = np.asarray(sched.lr, dtype=np.float64) * self.omega(args, ctx, t)  # group['lr'] *= omega
        return Values(lr, sched.momentum, sched.momentum_name)

    def stated_length(self, args, ctx):
        inner = args.get("schedule")
        return None if inner is None else inner.stated_length(ctx)

    def markers(self, args, ctx):
        taus = sorted(set(int(x) for x in self.periods(args, ctx)))
        label = "τ (ω = 1 − 1/e)" if self.exponential else "warmup end (ω = 1)"
        out = [Marker(float(tau if self.exponential else tau - 1), "warmup_end", label) for tau in taus]
        inner: Bound | None = args.get("schedule")
        if inner is not None:
            out += inner.markers(ctx)
        return sorted(out, key=lambda m: m.step)[:200]


def _owned(a: np.ndarray, n: int) -> bool:
    """Whether a freshly computed curve can be scaled in place: a writeable float64 (groups, n) array that
    owns its memory or views one that does (e.g. c[None, :]); shared arrays (cached aranges, noise
    tables, broadcasts) are read-only."""
    if not (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 2 and a.shape[1] == n):
        return False
    if not a.flags.writeable:
        return False
    base = a.base
    return a.flags.owndata or (isinstance(base, np.ndarray) and base.flags.owndata and base.flags.writeable)


SCHEDULE = Param(
    "schedule",
    "schedule",
    None,
    optional=True,
    help="The lr scheduler stepped inside `with warmup.dampening():` (None = a constant lr).",
    source="pytorch_warmup: the loop's own scheduler (any; ReduceLROnPlateau: not previewed)",
)


class _TunedWarmup(_DampenedKind):
    params = (
        Param(
            "warmup_period",
            "int",
            help="Warmup period τ in steps (one per param group allowed).",
            lo=1,
            hi=MAX,
            per_group=True,
            source="pytorch_warmup.base.get_warmup_params: a positive int, or a list of one per group "
            "(ValueError/TypeError)",
        ),
        SCHEDULE,
    )

    def periods(self, args, ctx):
        return np.asarray(per_group(args["warmup_period"], ctx.n_groups), dtype=np.int64)


class _UntunedWarmup(_DampenedKind):
    numerator = 2.0
    params = (
        Param(
            "beta2",
            "float",
            0.999,
            help="Adam's beta2 (the library reads it from the optimizer's groups).",
            lo=0,
            hi=1,
            hi_open=True,
            per_group=True,
            source="torch.optim.Adam.__init__: `not 0.0 <= betas[1] < 1.0` raises ValueError; "
            "pytorch_warmup: the period int(2/(1 - beta2)) must be ≥ 1",
        ),
        SCHEDULE,
    )

    def periods(self, args, ctx):
        return np.asarray(
            [untuned_period(b, self.numerator) for b in per_group(args["beta2"], ctx.n_groups)],
            dtype=np.int64,
        )

    def check(self, args, ctx, where):
        for b in per_group(args["beta2"], ctx.n_groups):
            if untuned_period(b, self.numerator) < 1:
                raise SpecError.bad_value(
                    f"{where}.beta2",
                    b,
                    f"at least {1 - self.numerator:g} (τ = int({self.numerator:g}/(1 − beta2)) must be ≥ 1)",
                )
        super().check(args, ctx, where)


def untuned_period(beta2: float, numerator: float) -> int:
    """pytorch_warmup's τ: int(2.0 / (1.0 - beta2)) (linear) or int(1.0 / (1.0 - beta2)) (exponential)."""
    return int(numerator / (1.0 - beta2))


@register
class LinearWarmup(_TunedWarmup):
    name = "LinearWarmup"
    summary = (
        "pytorch_warmup: multiply the schedule's lr by ω = min(1, (k+1)/warmup_period). Spec: "
        "LinearWarmup(warmup_period=100, schedule=CosineAnnealingLR(T_max=1000))."
    )
    example = "LinearWarmup(warmup_period=100, schedule=CosineAnnealingLR(T_max=1000))"


@register
class ExponentialWarmup(_TunedWarmup):
    name = "ExponentialWarmup"
    exponential = True
    summary = (
        "pytorch_warmup: multiply the schedule's lr by ω = 1 − exp(−(k+1)/warmup_period). Spec: "
        "ExponentialWarmup(warmup_period=100, schedule=CosineAnnealingLR(T_max=1000))."
    )
    example = "ExponentialWarmup(warmup_period=100, schedule=CosineAnnealingLR(T_max=1000))"


@register
class UntunedLinearWarmup(_UntunedWarmup):
    name = "UntunedLinearWarmup"
    summary = (
        "pytorch_warmup for Adam: LinearWarmup with τ = int(2/(1 − beta2)) (1999 for 0.999). Spec: "
        "UntunedLinearWarmup(beta2=0.999, schedule=CosineAnnealingLR(T_max=10000))."
    )
    example = "UntunedLinearWarmup(beta2=0.999, schedule=CosineAnnealingLR(T_max=10000))"


@register
class UntunedExponentialWarmup(_UntunedWarmup):
    name = "UntunedExponentialWarmup"
    exponential = True
    numerator = 1.0
    summary = (
        "pytorch_warmup for Adam: ExponentialWarmup with τ = int(1/(1 − beta2)) (999 for 0.999). "
        "Spec: UntunedExponentialWarmup(beta2=0.999, schedule=CosineAnnealingLR(T_max=10000))."
    )
    example = "UntunedExponentialWarmup(beta2=0.999, schedule=CosineAnnealingLR(T_max=10000))"


__all__ = [
    "ExponentialWarmup",
    "GradualWarmupScheduler",
    "LinearWarmup",
    "UntunedExponentialWarmup",
    "UntunedLinearWarmup",
    "untuned_period",
]
