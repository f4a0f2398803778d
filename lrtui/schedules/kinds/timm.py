"""timm's schedulers (`timm.scheduler`, checked against timm 1.0.x).

timm schedulers are stateless: the training loop passes t (the epoch with `t_in_epochs=True`, calling
`step(epoch)` at each epoch end; else the update count, calling `step_update(num_updates)` after each
optimizer step), and the lr is `_get_lr(t)` (+ noise). t = 0 is the constructor's value: the group's lr,
or warmup_lr_init when warmup_t > 0. The base value is each group's lr (`initial_lr`).

t_in_epochs maps onto the plan: with t_in_epochs=True and per-step plan stepping, t = k // steps_per_epoch
(the lr changes at epoch ends, as in timm's train.py); with t_in_epochs=False and per-epoch plan
stepping, t = k · steps_per_epoch (the lr of each epoch's first update; the lint says the preview is coarse).

Noise (noise_range_t) is reproduced exactly without torch: timm seeds a fresh torch.Generator with
noise_seed + t and draws torch.randn(1) (resampled until |noise| < noise_pct) or torch.rand(1); the port of
torch's CPU generator is lrtui.schedules.torch_rng.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from lrtui.schedules.catalogue import Context, Kind, Marker, Values, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import every_step, float_arange_view
from lrtui.schedules.params import Param
from lrtui.schedules.program import bisect_right_each
from lrtui.schedules.spec import Spec
from lrtui.schedules.torch_rng import torch_noise

# -- shared parameters (declared in each class's signature order: positional args map onto them) -------


_TIMM = "timm.scheduler (1.0.x)"
_NOT_CHECKED = f"{_TIMM}: no check"


def _warmup_params(prefix_default: bool, asserted: bool = False) -> tuple[Param, ...]:
    """asserted: TanhLRScheduler asserts warmup_t >= 0 and warmup_lr_init >= 0 (the others do not)."""
    src = f"{_TIMM} TanhLRScheduler.__init__: assert" if asserted else _NOT_CHECKED
    return (
        Param(
            "warmup_t",
            "int",
            0,
            help="Warmup length in t (epochs or updates).",
            lo=0 if asserted else None,
            source=f"{src} warmup_t >= 0" if asserted else _NOT_CHECKED,
        ),
        Param(
            "warmup_lr_init",
            "float",
            0.0,
            help="The lr at t = 0 of the warmup (linear up from here).",
            lo=0 if asserted else None,
            source=f"{src} warmup_lr_init >= 0" if asserted else _NOT_CHECKED,
        ),
        Param(
            "warmup_prefix",
            "bool",
            prefix_default,
            help="True: the schedule starts after the warmup. False: the warmup overlaps the schedule's start "
            "(the peak is never reached).",
            source=_NOT_CHECKED,
        ),
    )


T_IN_EPOCHS = Param(
    "t_in_epochs",
    "bool",
    True,
    help="t counts epochs (step(epoch)); False: updates (step_update).",
    source=_NOT_CHECKED,
)
NOISE = (
    Param(
        "noise_range_t",
        "int_list",
        None,
        optional=True,
        advanced=True,
        help="Add noise for t in [a, b) (a list of 2), or for t ≥ n (one integer).",
        source=f"{_TIMM} Scheduler._is_apply_noise: a list/tuple of 2 or one int",
    ),
    Param(
        "noise_pct",
        "float",
        0.67,
        advanced=True,
        help="Noise bound (relative).",
        source=f"{_TIMM} Scheduler._calculate_noise: no check; normal noise is redrawn until |noise| < "
        "noise_pct (≤ 0 never ends: refused with a noise range)",
    ),
    Param("noise_std", "float", 1.0, advanced=True, help="Std of the normal noise.", source=_NOT_CHECKED),
    Param(
        "noise_seed",
        "int",
        42,
        lo=-(2**63),
        hi=2**63 - 1,
        advanced=True,
        help="Seed (timm seeds noise_seed + t).",
        source=f"{_TIMM} Scheduler._calculate_noise: torch.Generator.manual_seed(noise_seed + t) (int64)",
    ),
)


def _cycle_params(asserted: bool = False) -> tuple[Param, ...]:
    return (
        Param(
            "cycle_mul",
            "float",
            1.0,
            help="Each cycle is cycle_mul times longer.",
            lo=0,
            lo_open=True,
            source=f"{_TIMM} _get_lr: math.log(..., cycle_mul) raises ValueError for cycle_mul ≤ 0 (refused)",
        ),
        Param(
            "cycle_decay",
            "float",
            1.0,
            help="Each cycle's peak is cycle_decay times the previous one.",
            source=_NOT_CHECKED,
        ),
        Param(
            "cycle_limit",
            "int",
            1,
            help="Number of cycles; after them the lr stays at lr_min.",
            lo=0 if asserted else None,
            source=f"{_TIMM} TanhLRScheduler.__init__: assert cycle_limit >= 0" if asserted else _NOT_CHECKED,
        ),
    )


CYCLE = _cycle_params()
T_INITIAL = Param(
    "t_initial",
    "int",
    help="Length of the first cycle in t.",
    lo=1,
    source=f"{_TIMM} Cosine/Tanh/PolyLRScheduler.__init__: assert t_initial > 0",
)
LR_MIN = Param(
    "lr_min",
    "float",
    0.0,
    help="The floor of the cycle.",
    lo=0,
    source=f"{_TIMM} Cosine/Tanh/PolyLRScheduler.__init__: assert lr_min >= 0",
)
K_DECAY = Param(
    "k_decay",
    "float",
    1.0,
    help="k-decay exponent on t (1 = plain).",
    source=f"{_TIMM} _get_lr: t_curr ** k_decay, no check (< 0 raises ZeroDivisionError where a cycle "
    "starts inside the schedule: refused there)",
)


def _by_name(*groups) -> dict[str, Param]:
    return {p.name: p for g in groups for p in (g if isinstance(g, tuple) else (g,))}


class _TimmKind(Kind):
    library = "timm"
    noise_type_param = False

    def child_error(self, args):
        return (
            "is not a torch LRScheduler: timm's step(epoch, metric=None) needs the epoch, and torch's "
            "composites call step() without it (TypeError at the first step)"
        )

    overlapping_warmup = False  # the warmup overlaps the decay unless warmup_prefix (cosine, tanh, poly)

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint, fmt

        a = node.args
        if a.get("warmup_t", 0) > 0 and a.get("warmup_lr_init", 1) == 0:
            yield Lint(
                "warmup_starts_at_zero",
                "info",
                f"{self.name}(warmup_lr_init=0): the first {'epoch' if a.get('t_in_epochs', True) else 'update'} "
                "uses lr 0",
                "set warmup_lr_init to a small value, e.g. 1e-6",
                node.path,
                explains=("first_lr_near_zero",),
            )
        if self.overlapping_warmup and a["warmup_t"] > 0 and not a["warmup_prefix"]:
            peak = float(np.max(doc.curve.lr[0])) if doc.curve.n else 0.0
            base = doc.ctx.base_lrs[0]
            yield Lint(
                "timm_warmup_overlaps",
                "warning",
                f"warmup_prefix=False: the warmup overlaps the first {a['warmup_t']} t of the decay, so the lr "
                f"peaks at {fmt(peak)} ({fmt(100 * peak / base) if base else '?'}% of {fmt(base)}) and never "
                "reaches the base lr",
                "set warmup_prefix=True",
                node.path,
            )
        if not a.get("t_in_epochs", True) and doc.plan.stepping == "epoch":
            yield Lint(
                "timm_t_in_updates_per_epoch",
                "warning",
                "t_in_epochs=False steps per update, but the plan steps per epoch: the preview shows each "
                "epoch's first update only",
                "set stepping='step' to see every update",
                node.path,
            )
        if "lr_min" in a and doc.ctx.base_lrs and a["lr_min"] >= min(doc.ctx.base_lrs):
            yield Lint(
                "lr_min_above_lr",
                "warning",
                f"lr_min={fmt(a['lr_min'])} ≥ the lr {fmt(min(doc.ctx.base_lrs))}: the schedule rises instead "
                "of decaying",
                "use an lr_min below the lr",
                node.path,
            )
        if a.get("cycle_mul", 1) < 1 and np.isnan(doc.curve.lr).any():
            yield Lint(
                "timm_cycle_mul_below_one",
                "error",
                f"cycle_mul={a['cycle_mul']} < 1: the cycles shrink to nothing and timm raises ValueError "
                "(math domain error) once they are used up",
                "use cycle_mul ≥ 1, or a cycle_limit that ends before that",
                node.path,
                explains=("non_finite",),
            )

    # -- resolve: noise_range_t may be one integer (t ≥ n) ------------------------------------------

    def resolve(self, spec: Spec, ctx: Context, where: str = ""):
        raw = spec.args.get("noise_range_t")
        if isinstance(raw, int) and not isinstance(raw, bool):
            inner = Spec(spec.kind, {**spec.args, "noise_range_t": [raw]})
            bound = super().resolve(inner, ctx, where)
            from lrtui.schedules.catalogue import Bound

            return Bound(self, bound.args, spec)
        return super().resolve(spec, ctx, where)

    def check(self, args, ctx, where):
        k = args.get("k_decay", 1.0)
        if k < 0 and args["cycle_limit"] > 0:
            starts = args["cycle_limit"] > 1 or (args["warmup_prefix"] and args["warmup_t"] > 0)
            if starts:
                raise SpecError.bad_value(
                    f"{where}.k_decay",
                    k,
                    "≥ 0 here: a cycle starts inside the schedule, where timm computes 0.0 ** k_decay "
                    "(ZeroDivisionError)",
                )
        r = args.get("noise_range_t")
        if r is not None:
            if len(r) not in (1, 2):
                raise SpecError.bad_value(
                    f"{where}.noise_range_t", list(r), "an integer, or a list [start, end) of 2 integers"
                )
            pct, std = args["noise_pct"], abs(args["noise_std"])
            if args.get("noise_type", "normal") == "normal" and std > 0 and pct < 0.01 * std:
                # timm redraws normal noise until |noise| < noise_pct: ≤ 0 never ends; below 1% of the std the
                # draws number hundreds per step (lrtui reproduces up to 20,000 draws exactly)
                raise SpecError.bad_value(
                    f"{where}.noise_pct",
                    pct,
                    f"≥ 0.01·|noise_std| ({0.01 * std:g}) with normal noise: timm redraws it until |noise| < "
                    "noise_pct (≤ 0 never ends)",
                )

    # -- t mapping -----------------------------------------------------------------------------------

    @staticmethod
    def t_of_k(args, ctx: Context, k: np.ndarray) -> np.ndarray:
        """timm's t for the scheduler position k of the plan (see the module docstring)."""
        k = np.asarray(k, dtype=np.float64)
        epochs = args.get("t_in_epochs", True)
        spe = ctx.steps_per_epoch
        if epochs:
            if ctx.stepping == "step":
                return np.floor_divide(k, spe)
            if ctx.stepping == "fractional":
                return np.floor(k)
            return k
        if ctx.stepping == "epoch":
            return k * spe
        if ctx.stepping == "fractional":
            return np.round(k * spe)
        return k

    @staticmethod
    def k_per_t(args, ctx: Context) -> float:
        """Scheduler positions per t (to place markers given in t)."""
        epochs = args.get("t_in_epochs", True)
        if epochs and ctx.stepping == "step":
            return float(ctx.steps_per_epoch)
        if not epochs and ctx.stepping == "epoch":
            return 1.0 / ctx.steps_per_epoch
        if not epochs and ctx.stepping == "fractional":
            return 1.0 / ctx.steps_per_epoch
        return 1.0

    # -- the schedule ----------------------------------------------------------------------------------

    def warmup_targets(self, args, base: np.ndarray) -> np.ndarray:
        return base

    def get_lr(self, args, base: np.ndarray, t: np.ndarray, whole: bool = False) -> np.ndarray:
        """timm's _get_lr(t) after the warmup branch: shape (groups, n); t already prefix-shifted.

        whole=True promises t holds whole numbers below 2**53 (cheaper exact integer arithmetic)."""
        raise NotImplementedError

    def get_lr_sorted(self, args, base: np.ndarray, t: np.ndarray) -> np.ndarray:
        """get_lr for increasing whole-number t (1-D); kinds with few distinct values override it."""
        return self.get_lr(args, base, t[None, :], whole=True)

    def tail_start(self, args) -> float | None:
        """The prefix-shifted t from which get_lr is exactly the constant lr_min (None: no such t)."""
        return None

    def values(self, args, ctx, k):
        base = np.asarray(ctx.base_lrs, dtype=np.float64)[:, None]
        g = len(ctx.base_lrs)
        distinct = self.distinct_t(args, ctx, k)
        with np.errstate(all="ignore"):
            if distinct is None:
                t = self.t_of_k(args, ctx, k)[None, :]
                lr = self.lr_at(args, base, t)
                lr = _add_noise(args, lr, t[0])
                # t = 0: the constructor's value (timm never calls _get_lr(0) in a fresh run).
                init = np.full_like(base, args["warmup_lr_init"]) if args["warmup_t"] else base
                lr = np.where(t == 0, init, lr)
                return Values(np.broadcast_to(lr, (g, t.shape[1])).copy())
            t, repeat, n = distinct
            lr = self.lr_sorted(args, base, t)
            lr = _add_noise(args, lr, t)
            lr[:, 0] = args["warmup_lr_init"] if args["warmup_t"] else base[:, 0]  # t[0] == 0
        if repeat > 1:  # each t holds for `repeat` consecutive plan positions
            lr = (
                np.ascontiguousarray(np.repeat(lr, repeat, axis=1)[:, :n])
                if g > 1
                else np.repeat(lr[0], repeat)[None, :n]
            )
        return Values(lr)

    def lr_at(self, args, base, t):
        w, init = args["warmup_t"], args["warmup_lr_init"]
        tt = t - w if args["warmup_prefix"] else t
        after = self.get_lr(args, base, tt)
        if not w:
            return after
        steps = (self.warmup_targets(args, base) - init) / w
        return np.where(t < w, init + t * steps, after)

    def distinct_t(self, args, ctx, k) -> tuple[np.ndarray, int, int] | None:
        """For the usual call (k = 0, 1, ..., n−1, whole steps): the distinct t in increasing order (whole
        numbers, t[0] = 0), how many consecutive positions each holds, and n. None otherwise."""
        k = np.asarray(k)
        if k.dtype.kind not in "iu" or ctx.stepping == "fractional" or k.ndim != 1:
            return None
        n = every_step(k)
        if n is None:
            return None
        epochs, spe = args.get("t_in_epochs", True), ctx.steps_per_epoch
        if epochs and ctx.stepping == "step" and spe > 1:
            return float_arange_view(-(-n // spe)), spe, n
        t = float_arange_view(n)
        if not epochs and ctx.stepping == "epoch":
            t = t * spe
        return t, 1, n

    def lr_sorted(self, args, base, t: np.ndarray) -> np.ndarray:
        """lr_at for increasing whole-number t (1-D): each phase computed on its own slice only."""
        w, init = args["warmup_t"], args["warmup_lr_init"]
        out = np.empty((base.shape[0], t.size))
        shift = w if args["warmup_prefix"] else 0
        nw = int(np.searchsorted(t, w, side="left")) if w else 0
        tail = self.tail_start(args)
        ne = t.size if tail is None else max(nw, int(np.searchsorted(t, tail + shift, side="left")))
        if nw:
            steps = (self.warmup_targets(args, base) - init) / w
            out[:, :nw] = init + t[None, :nw] * steps
        if ne > nw:
            tt = t[None, nw:ne] - shift if shift else t[None, nw:ne]
            out[:, nw:ne] = self.get_lr_sorted(args, base, tt[0])
        if ne < t.size:
            out[:, ne:] = args["lr_min"]
        return out

    def markers(self, args, ctx):
        s = self.k_per_t(args, ctx)
        out = []
        w = args["warmup_t"]
        if w:
            out.append(
                Marker(w * s, "warmup_end", "warmup end" + ("" if args["warmup_prefix"] else " (overlaps)"))
            )
        out.extend(Marker(m * s, kind, label) for m, kind, label in self.t_markers(args, ctx.horizon / s))
        return [m for m in out if m.step <= ctx.horizon][:200]

    def t_markers(self, args, t_horizon: float) -> list[tuple[float, str, str]]:
        return []


def _cycles(args, t: np.ndarray, whole: bool = False):
    """(i, t_i, t_curr) of timm's cycle arithmetic, vectorised (same operation order)."""
    t_initial, cm = args["t_initial"], args["cycle_mul"]
    if cm != 1:
        # timm's math.log raises ValueError where the argument is ≤ 0 (cycle_mul < 1, late t): NaN here.
        arg = 1 - t / t_initial * (1 - cm)
        i = np.where(arg > 0, np.floor(np.log(arg) / math.log(cm)), np.nan)
        t_i = cm**i * t_initial
        t_curr = t - (1 - cm**i) / (1 - cm) * t_initial
    else:
        # floor(t / t_initial) is t // t_initial for whole t < 2**53 (the quotient cannot round up to the
        # next integer), and several times cheaper than numpy's float floor_divide.
        i = np.floor(t / t_initial) if whole else np.floor_divide(t, t_initial)
        t_i = np.float64(t_initial)
        t_curr = t - (t_initial * i)
    return i, t_i, t_curr


def _cycles_tail(args) -> float | None:
    """Where the cycles end (i ≥ cycle_limit: lr_min from there on), in shifted t; cycle_mul = 1 only."""
    return float(args["t_initial"] * args["cycle_limit"]) if args["cycle_mul"] == 1 else None


def _peak(args, base: np.ndarray, i: np.ndarray) -> np.ndarray:
    """timm's lr_max = base · cycle_decay ** i (i: whole cycle numbers, or NaN where timm raises)."""
    decay = args["cycle_decay"]
    if decay == 1:
        return base  # 1.0 ** i == 1.0 for every i (NaN included): the multiplication is exact
    return base * _int_powers(decay, i)


def _int_powers(c: float, i: np.ndarray) -> np.ndarray:
    """c ** i for whole-number exponents i (ints, or floats from floor(): whole or NaN): np.power on the
    distinct exponents only, then a table look-up — exactly the values of an elementwise np.power."""
    i = np.asarray(i)
    if i.size == 0:
        return np.power(c, i, dtype=np.float64)
    lo, hi = i.min(), i.max()  # NaN propagates: then the elementwise power
    if not (lo >= 0 and hi <= 1 << 20):
        return np.power(c, i, dtype=np.float64)
    return _powers(c, 0.0, float(hi))[i.astype(np.intp, copy=False)]


def _cycle_starts(args, t_horizon: float) -> list[tuple[float, str, str]]:
    t_initial, cm, limit = args["t_initial"], args["cycle_mul"], args["cycle_limit"]
    shift = args["warmup_t"] if args["warmup_prefix"] else 0
    out, start, length = [], 0.0, float(t_initial)
    for i in range(1, 201):
        start += length
        length *= cm
        if start + shift > t_horizon or length <= 0:
            break
        kind, label = ("restart", f"cycle {i + 1}") if i < limit else ("end", "cycles end: lr_min")
        out.append((start + shift, kind, label))
        if i >= limit:
            break
    return out


class _CyclicTimmKind(_TimmKind):
    """timm's cycle-based decays (cosine, tanh, poly): restarts marked, constant after the last cycle."""

    overlapping_warmup = True

    def t_markers(self, args, t_horizon):
        return _cycle_starts(args, t_horizon)

    def tail_start(self, args):
        return _cycles_tail(args)

    def stated_length(self, args, ctx):
        # timm's get_cycle_length(): every cycle (and a warmup prefix), in t, then in scheduler steps
        cycles, t0, mul = max(1, args["cycle_limit"]), args["t_initial"], args["cycle_mul"]
        t = t0 * cycles if mul == 1.0 else math.floor(-t0 * (mul**cycles - 1) / (1 - mul))
        t += args["warmup_t"] if args["warmup_prefix"] else 0
        return math.ceil(t * self.k_per_t(args, ctx))


@register
class CosineLRScheduler(_CyclicTimmKind):
    name = "CosineLRScheduler"
    summary = "timm cosine decay with warmup, restarts (cycle_mul/decay/limit), k-decay and noise."
    example = (
        "CosineLRScheduler(t_initial=100, lr_min=1e-5, warmup_t=5, warmup_lr_init=1e-4, warmup_prefix=True)"
    )
    params = (T_INITIAL, LR_MIN, *CYCLE, *_warmup_params(False), T_IN_EPOCHS, *NOISE, K_DECAY)

    def get_lr(self, args, base, t, whole=False):
        i, t_i, t_curr = _cycles(args, t, whole)
        lr_min, k = args["lr_min"], args["k_decay"]
        lr_max = _peak(args, base, i)
        lr = lr_min + 0.5 * (lr_max - lr_min) * (1 + np.cos(math.pi * t_curr**k / t_i**k))
        return np.where(np.isnan(i), np.nan, np.where(i < args["cycle_limit"], lr, lr_min))


@register
class TanhLRScheduler(_CyclicTimmKind):
    name = "TanhLRScheduler"
    summary = "timm hyperbolic-tangent decay (lb → ub) with warmup, restarts and noise."
    example = "TanhLRScheduler(t_initial=100, warmup_t=5, warmup_lr_init=1e-4)"
    params = (
        T_INITIAL,
        Param(
            "lb",
            "float",
            -7.0,
            help="tanh argument at the cycle start.",
            source=f"{_TIMM} TanhLRScheduler.__init__: assert lb < ub",
        ),
        Param(
            "ub",
            "float",
            3.0,
            help="tanh argument at the cycle end.",
            source=f"{_TIMM} TanhLRScheduler.__init__: assert lb < ub",
        ),
        LR_MIN,
        *_cycle_params(asserted=True),
        *_warmup_params(False, asserted=True),
        T_IN_EPOCHS,
        *NOISE,
    )

    def check(self, args, ctx, where):
        if not args["lb"] < args["ub"]:
            raise SpecError.bad_value(
                f"{where}.lb", args["lb"], f"< ub ({args['ub']:g}) (timm asserts lb < ub)"
            )
        super().check(args, ctx, where)

    def get_lr(self, args, base, t, whole=False):
        i, t_i, t_curr = _cycles(args, t, whole)
        lr_min, lb, ub = args["lr_min"], args["lb"], args["ub"]
        lr_max = _peak(args, base, i)
        tr = t_curr / t_i
        lr = lr_min + 0.5 * (lr_max - lr_min) * (1 - np.tanh(lb * (1.0 - tr) + ub * tr))
        return np.where(np.isnan(i), np.nan, np.where(i < args["cycle_limit"], lr, lr_min))

    def warmup_targets(self, args, base):
        # timm: without warmup_prefix the warmup aims at _get_lr(warmup_t), the overlapped schedule's value.
        if args["warmup_prefix"]:
            return base
        return self.get_lr(args, base, np.full((1, 1), float(args["warmup_t"])))


@register
class PolyLRScheduler(_CyclicTimmKind):
    name = "PolyLRScheduler"
    summary = "timm polynomial decay (power 0.5 by default) with warmup, restarts, k-decay and noise."
    example = "PolyLRScheduler(t_initial=100, power=0.5, warmup_t=5)"
    params = (
        T_INITIAL,
        Param("power", "float", 0.5, help="Power of the decay.", source=_NOT_CHECKED),
        LR_MIN,
        *CYCLE,
        *_warmup_params(False),
        T_IN_EPOCHS,
        *NOISE,
        K_DECAY,
    )

    def get_lr(self, args, base, t, whole=False):
        i, t_i, t_curr = _cycles(args, t, whole)
        lr_min, k = args["lr_min"], args["k_decay"]
        lr_max = _peak(args, base, i)
        lr = lr_min + (lr_max - lr_min) * (1 - t_curr**k / t_i**k) ** args["power"]
        return np.where(np.isnan(i), np.nan, np.where(i < args["cycle_limit"], lr, lr_min))


@register
class StepLRScheduler(_TimmKind):
    name = "StepLRScheduler"
    summary = "timm step decay: lr · decay_rate^(t // decay_t), warmup before it (warmup_prefix=True)."
    example = "StepLRScheduler(decay_t=30, decay_rate=0.1, warmup_t=3, warmup_lr_init=1e-4)"
    params = (
        Param(
            "decay_t",
            "float",
            help="Decay period in t.",
            source=f"{_TIMM} StepLRScheduler._get_lr: t // decay_t (0: ZeroDivisionError, refused); no check",
        ),
        Param("decay_rate", "float", 1.0, help="Multiplier per period.", source=_NOT_CHECKED),
        *_warmup_params(True),
        T_IN_EPOCHS,
        *NOISE,
    )

    def get_lr(self, args, base, t, whole=False):
        d = args["decay_t"]
        # For whole t and a whole decay_t, floor(t / d) is t // d exactly (see _cycles).
        i = np.floor(t / d) if whole and float(d).is_integer() else np.floor_divide(t, d)
        return base * _int_powers(args["decay_rate"], i)

    def check(self, args, ctx, where):
        if args["decay_t"] == 0:
            raise SpecError.bad_value(
                f"{where}.decay_t", 0, "nonzero (timm computes t // decay_t: ZeroDivisionError)"
            )
        super().check(args, ctx, where)

    def get_lr_sorted(self, args, base, t):
        d = args["decay_t"]
        if not float(d).is_integer() or d < 0 or t.size == 0:
            return super().get_lr_sorted(args, base, t)
        # i = t // d is constant between multiples of d: np.power once per period, then runs.
        i0, i1 = t[0] // d, t[-1] // d
        pos = np.searchsorted(t, np.arange(i0 + 1, i1 + 1) * d, side="left")
        return _runs(base * _powers(args["decay_rate"], i0, i1), pos, t.size)

    def t_markers(self, args, t_horizon):
        d, shift = args["decay_t"], (args["warmup_t"] if args["warmup_prefix"] else 0)
        n = int(min(200, max(0, (t_horizon - shift) // d)))
        return [(shift + d * j, "milestone", f"×{args['decay_rate']:g}") for j in range(1, n + 1)]


def _powers(c: float, lo: float, hi: float) -> np.ndarray:
    """np.power(c, [lo, lo + 1, ..., hi]) (whole lo ≤ hi), without computing the saturated part:
    for 0 < c < 1 (c > 1) every c ** i with i·log2(c) < −1080 (> 1030) is exactly 0 (inf), as pow rounds
    the true value, below 2**-1075 (above the largest double)."""
    if 0 < c < 1 or c > 1:
        lg = math.log2(c)
        limit = -1080 / lg if c < 1 else 1030 / lg  # beyond this exponent: saturated
        if hi > limit:
            cut = max(lo, math.ceil(limit))
            out = np.empty(int(hi - lo) + 1)
            m = int(cut - lo)
            out[:m] = np.power(c, np.arange(lo, cut))
            out[m:] = 0.0 if c < 1 else math.inf
            return out
    return np.power(c, np.arange(lo, hi + 1))


def _runs(vals: np.ndarray, pos: np.ndarray, n: int) -> np.ndarray:
    """(groups, n): vals[:, j] from the j-th of the sorted positions `pos` (vals[:, 0] from 0) on."""
    lengths = np.diff(pos, prepend=0, append=n)
    if vals.shape[0] == 1:
        return np.repeat(vals[0], lengths)[None, :]
    return np.stack([np.repeat(row, lengths) for row in vals])


@register
class MultiStepLRScheduler(_TimmKind):
    name = "MultiStepLRScheduler"
    summary = "timm multi-step decay; each milestone applies one t EARLY (bisect on t + 1), unlike torch."
    example = "MultiStepLRScheduler(decay_t=[30, 60, 90], decay_rate=0.1)"
    params = (
        Param(
            "decay_t",
            "int_list",
            help="Milestones in t (applied at t = milestone − 1).",
            min_items=1,
            source=f"{_TIMM} MultiStepLRScheduler: bisect on the list, no check",
        ),
        Param("decay_rate", "float", 1.0, help="Multiplier per milestone.", source=_NOT_CHECKED),
        *_warmup_params(True),
        T_IN_EPOCHS,
        *NOISE,
    )

    def get_lr(self, args, base, t, whole=False):
        n = bisect_right_each(args["decay_t"], t + 1)
        return base * _int_powers(args["decay_rate"], n)

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint

        yield from super().lints(node, doc)
        ms = list(node.args["decay_t"])
        yield Lint(
            "timm_multistep_early",
            "info",
            f"timm applies each milestone one t early (bisect on t + 1): decay_t={ms} decays at t="
            f"{[m - 1 for m in ms]}, unlike torch's MultiStepLR",
            f"to decay at t={ms}, write decay_t={[m + 1 for m in ms]}",
            node.path,
        )
        if ms != sorted(ms):
            yield Lint(
                "timm_multistep_unsorted",
                "warning",
                "decay_t is not sorted: timm's bisect assumes sorted milestones and decays at odd times",
                f"use decay_t={sorted(ms)}",
                node.path,
            )

    def get_lr_sorted(self, args, base, t):
        ms = args["decay_t"]
        if not all(p <= q for p, q in itertools.pairwise(ms)):
            return super().get_lr_sorted(args, base, t)
        # bisect_right(decay_t, t + 1) counts the milestones m ≤ t + 1: it steps up where t reaches m − 1.
        pos = np.searchsorted(t, np.asarray(ms, dtype=np.float64) - 1, side="left")
        return _runs(
            base * np.power(args["decay_rate"], np.arange(len(ms) + 1, dtype=np.float64)), pos, t.size
        )

    def stated_length(self, args, ctx):
        from lrtui.schedules.kinds._torch_common import past_milestones

        t = past_milestones(args["decay_t"])
        if t is None:
            return None
        return math.ceil((t + (args["warmup_t"] if args["warmup_prefix"] else 0)) * self.k_per_t(args, ctx))

    def t_markers(self, args, t_horizon):
        shift = args["warmup_t"] if args["warmup_prefix"] else 0
        return [
            (m - 1 + shift, "milestone", f"{m} (applies at t={m - 1})")
            for m in args["decay_t"]
            if m - 1 + shift <= t_horizon
        ]


@register
class PlateauLRScheduler(_TimmKind):
    name = "PlateauLRScheduler"
    summary = "timm's wrapper of torch ReduceLROnPlateau: mode='max' by default (accuracy), warmup, noise."
    example = "PlateauLRScheduler(decay_rate=0.5, patience_t=5, mode='min')"
    noise_type_param = True
    metric_driven = True  # step(epoch, metric)
    params = (
        Param(
            "decay_rate",
            "float",
            0.1,
            help="Factor on a plateau.",
            hi=1,
            hi_open=True,
            source=f"{_TIMM} PlateauLRScheduler: torch's ReduceLROnPlateau(factor=decay_rate): ≥ 1 raises ValueError",
        ),
        Param(
            "patience_t",
            "int",
            10,
            help="Bad epochs tolerated.",
            source=f"{_TIMM} → ReduceLROnPlateau: no check",
        ),
        Param(
            "threshold",
            "float",
            1e-4,
            help="Relative improvement that counts.",
            source=f"{_TIMM} → ReduceLROnPlateau: no check",
        ),
        Param(
            "cooldown_t",
            "int",
            0,
            help="Epochs to wait after a decay.",
            source=f"{_TIMM} → ReduceLROnPlateau: no check",
        ),
        Param("warmup_t", "int", 0, help="Warmup epochs.", source=_NOT_CHECKED),
        Param("warmup_lr_init", "float", 0.0, help="The lr at t = 0 of the warmup.", source=_NOT_CHECKED),
        Param(
            "lr_min",
            "float",
            0.0,
            help="Floor.",
            source=f"{_TIMM} → ReduceLROnPlateau(min_lr=lr_min): no check",
        ),
        Param(
            "mode",
            "choice",
            "max",
            choices=("min", "max"),
            help="'max' (timm's default!) treats a rising metric as better; use 'min' for a loss.",
            source=f"{_TIMM} → ReduceLROnPlateau: anything else raises ValueError",
        ),
        NOISE[0],
        Param(
            "noise_type",
            "choice",
            "normal",
            choices=("normal", "uniform"),
            advanced=True,
            help="Noise type.",
            source=f"{_TIMM} PlateauLRScheduler._apply_noise: 'normal', else uniform",
        ),
        *NOISE[1:],
    )

    def holds_flat(self, args):
        return True  # it decays only on a plateau of the metric

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint

        yield from super().lints(node, doc)
        if doc.plan.metric is None:
            yield Lint(
                "plateau_needs_metric",
                "info",
                "PlateauLRScheduler only reacts to a metric: without one the preview is flat after the warmup",
                "shape a synthetic metric or preview against a logged run",
                node.path,
            )
        if node.args["mode"] == "max":
            yield Lint(
                "plateau_mode_max",
                "info",
                "timm's PlateauLRScheduler defaults to mode='max' (an accuracy); a loss never 'improves' "
                "upwards, so the lr decays every patience_t+1 epochs",
                "pass mode='min' for a loss",
                node.path,
            )

    def values(self, args, ctx, k):
        """Replays the recursion once per t (epoch); the metric series is ctx.metric[t - 1] at step(t)."""
        base = np.asarray(ctx.base_lrs, dtype=np.float64)
        distinct = self.distinct_t(args, ctx, k)
        if distinct is not None:  # every step from 0: the table is the curve, each t held `repeat` steps
            t, repeat, n = distinct
            table = _plateau_table(args, base, t.size, ctx.metric)
            if repeat > 1:
                table = np.ascontiguousarray(np.repeat(table, repeat, axis=1)[:, :n])
            return Values(table)
        k = np.asarray(k)
        t_all = self.t_of_k(args, ctx, k)
        n_t = int(np.max(t_all)) + 1 if t_all.size else 0
        table = _plateau_table(args, base, n_t, ctx.metric)
        idx = np.clip(t_all.astype(np.int64), 0, max(n_t - 1, 0))
        return Values(table[:, idx] if n_t else np.zeros((len(base), 0)))

    def markers(self, args, ctx):
        w = args["warmup_t"]
        return [Marker(w * self.k_per_t(args, ctx), "warmup_end", "warmup end")] if w else []


def _plateau_table(args, base: np.ndarray, n_t: int, metric) -> np.ndarray:
    """lr per group for t = 0..n_t-1, following PlateauLRScheduler.step(t, metric) exactly."""
    fast = _plateau_events(args, base, n_t, metric)
    if fast is not None:
        return fast
    return _plateau_loop(args, base, n_t, metric)


def _plateau_events(args, base: np.ndarray, n_t: int, metric) -> np.ndarray | None:
    """_plateau_loop without a loop over t: timm steps a torch ReduceLROnPlateau (eps 1e-8, relative
    threshold) from t = warmup_t + 1 on, so its reductions are torch's, found event by event by the torch
    kind's replay; noise only perturbs the lr reported at t (timm restores it before the next step).
    None where the loop's NaN handling (a NaN metric is skipped) would differ from torch's."""
    from types import SimpleNamespace

    from lrtui.schedules.kinds import torch_plateau

    w0, init = args["warmup_t"], args["warmup_lr_init"]
    w = max(w0, 0)  # warmup_t < 0: no warmup step, but the constructor still sets warmup_lr_init
    g = len(base)
    out = np.empty((g, n_t))
    if n_t == 0:
        return out
    out[:, 0] = init if w0 else base
    nw = min(w, n_t - 1)
    if nw:  # warmup: init + t * step, t = 1..nw
        steps = (base - init) / w
        out[:, 1 : nw + 1] = init + np.arange(1, nw + 1, dtype=np.float64)[None, :] * steps[:, None]
    m = n_t - 1 - w  # step(t) calls after the warmup: t = w + 1 .. n_t − 1
    if m <= 0:
        return out
    start = out[:, w].copy()
    events: list = []
    if metric:
        series = np.asarray(metric, dtype=np.float64).reshape(-1)
        # step(t) receives metric[t − 1]; past the end of the series the last value repeats.
        idx = np.arange(w, w + m)
        np.minimum(idx, series.size - 1, out=idx)
        series = series[idx]
        if np.isnan(series).any():
            return None
        targs = {
            "mode": args["mode"],
            "threshold": args["threshold"],
            "threshold_mode": "rel",
            "patience": args["patience_t"],
            "cooldown": args["cooldown_t"],
            "factor": args["decay_rate"],
            "min_lr": args["lr_min"],
            "eps": 1e-8,
        }
        ctx = SimpleNamespace(n_groups=g, base_lrs=tuple(float(x) for x in start))
        length = min(m, 1024)
        while True:  # a growing prefix, until every group's lr is settled (as torch_plateau.reductions)
            events, settled = torch_plateau._simulate(targs, ctx, series[:length])
            if settled or length >= m:
                break
            length = min(m, length * 8)
    for gi in range(g):  # piecewise constant between this group's reductions (call s: t = w + 1 + s)
        ts = [s - 1 for i, s, _, _ in events if i == gi]  # event s: after s calls
        vals = [float(start[gi])] + [new for i, _, _, new in events if i == gi]
        out[gi, w + 1 :] = np.repeat(np.asarray(vals), np.diff([0, *ts, m]))
    r = args["noise_range_t"]
    if r is not None:
        t = np.arange(w + 1, n_t)
        on = np.flatnonzero(_in_noise_range(r, t))
        if on.size:
            noise = torch_noise(
                args["noise_seed"] + t[on],
                args.get("noise_type", "normal"),
                args["noise_pct"],
                args["noise_std"],
            )
            lr = out[:, w + 1 + on]
            out[:, w + 1 + on] = lr + lr * noise
    return out


def _plateau_loop(args, base: np.ndarray, n_t: int, metric) -> np.ndarray:
    """The reference: PlateauLRScheduler.step(t, metric) for t = 1..n_t-1, one call at a time."""
    w, init = args["warmup_t"], args["warmup_lr_init"]
    steps = (base - init) / w if w else np.ones_like(base)
    lr = np.full_like(base, init) if w else base.copy()
    out = np.empty((len(base), n_t))
    if n_t:
        out[:, 0] = lr
    mode, thr, factor, patience = args["mode"], args["threshold"], args["decay_rate"], args["patience_t"]
    best = math.inf if mode == "min" else -math.inf
    bad = cooldown_counter = 0
    restore = None
    noise_on = args["noise_range_t"] is not None
    for t in range(1, n_t):
        if t <= w:
            lr = np.array([init + t * s for s in steps])
        else:
            if restore is not None:
                lr, restore = restore, None
            # step(t) receives metric[t - 1]; past the end of the series the last value repeats (as for torch's kind).
            m = None if not metric else metric[min(t - 1, len(metric) - 1)]
            if m is not None and not (isinstance(m, float) and math.isnan(m)):
                current = float(m)
                better = current < best * (1.0 - thr) if mode == "min" else current > best * (thr + 1.0)
                if better:
                    best, bad = current, 0
                else:
                    bad += 1
                if cooldown_counter > 0:
                    cooldown_counter -= 1
                    bad = 0
                if bad > patience:
                    new = np.maximum(lr * factor, args["lr_min"])
                    lr = np.where(lr - new > 1e-8, new, lr)
                    cooldown_counter, bad = args["cooldown_t"], 0
            if noise_on and _in_noise_range(args["noise_range_t"], np.array([t]))[0]:
                noise = torch_noise(
                    np.array([args["noise_seed"] + t]),
                    args.get("noise_type", "normal"),
                    args["noise_pct"],
                    args["noise_std"],
                )[0]
                restore = lr.copy()
                lr = lr + lr * noise
        out[:, t] = lr
    return out


# -- noise ---------------------------------------------------------------------------------------------


def _in_noise_range(r, t: np.ndarray) -> np.ndarray:
    if len(r) == 2:
        return (r[0] <= t) & (t < r[1])
    return t >= r[0]


def _add_noise(args, lr: np.ndarray, t: np.ndarray) -> np.ndarray:
    r = args.get("noise_range_t")
    if r is None:
        return lr
    on = _in_noise_range(r, t) & (t != 0)
    if not on.any():
        return lr
    tu, inv = np.unique(t[on], return_inverse=True)
    noise_u = torch_noise(
        args["noise_seed"] + tu.astype(np.int64), "normal", args["noise_pct"], args["noise_std"]
    )
    noise = np.zeros(t.shape)
    noise[on] = noise_u[inv]
    return np.where(on, lr + lr * noise, lr)


__all__ = [
    "CosineLRScheduler",
    "MultiStepLRScheduler",
    "PlateauLRScheduler",
    "PolyLRScheduler",
    "StepLRScheduler",
    "TanhLRScheduler",
]
