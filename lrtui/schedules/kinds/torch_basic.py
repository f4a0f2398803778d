"""torch's basic schedulers: LambdaLR, MultiplicativeLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
PolynomialLR.

The chainable ones (all but LambdaLR) are replayed from their recursive `get_lr` with the same float
operations in the same order as torch (see `_torch_common.replay_products`), so a plain run is
bit-identical to torch, not just close to the closed form. With fractional stepping (`step(epoch)`), torch
switches to `_get_closed_form_lr`, and so do we.

Bounds are torch's, made stricter where torch accepts a value and then crashes or misbehaves later:
ConstantLR(factor=0) divides by zero at total_iters; LinearLR/PolynomialLR(total_iters=0) divide by zero in
the closed form; PolynomialLR(power<0) raises ZeroDivisionError at total_iters; negative milestones never
fire in the recursive form but count in the closed form.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules import libm
from lrtui.schedules.catalogue import Kind, Marker, Values, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import (
    ANY,
    INT_MAX,
    LAST_EPOCH,
    MultiplicativeKind,
    bases,
    every_step,
    float_arange_view,
    formulas_per_group,
    int_param,
    past_milestones,
    resolve_allowing_lists,
)
from lrtui.schedules.params import Param

MAX_MARKERS = 200
INF = math.inf


def _gamma(default: object, help: str, where: str) -> Param:
    return Param(
        "gamma", "float", default, help=help, **ANY, source=f"lr_scheduler.{where}: no check (lr * gamma)"
    )


def _lambda_param(help: str, where: str) -> Param:
    return Param(
        "lr_lambda",
        "formula",
        help=help,
        per_group=True,
        source=f"lr_scheduler.{where}.__init__: a callable, or a list of one per group (ValueError otherwise)",
    )


def _formula_rows(fns: tuple, k: np.ndarray) -> np.ndarray:
    """One formula per group over k, as an array broadcastable to (groups, len(k)).

    Shared formulas are evaluated once ((1, n)); constant ones are not evaluated per step ((groups, 1)).
    """
    if all(getattr(f, "constant", None) is not None for f in fns):
        return np.array([[f.constant] for f in fns], dtype=np.float64)
    if all(f is fns[0] for f in fns):
        return fns[0](k)[None, :]
    cache: dict[int, np.ndarray] = {}
    rows = []
    for f in fns:
        if id(f) not in cache:
            cache[id(f)] = f(k)
        rows.append(cache[id(f)])
    return np.stack(rows)


@register
class LambdaLR(Kind):
    name = "LambdaLR"
    library = "torch"
    summary = "lr = initial lr × lr_lambda(k), a formula of the step count (one per param group allowed)."
    example = 'LambdaLR(lr_lambda="0.95 ** k")'
    params = (
        _lambda_param(
            'Multiplier of the initial lr at step k, e.g. "0.95 ** k" or "min(1, (k + 1) / 500)"; '
            "a list gives one formula per param group.",
            "LambdaLR",
        ),
        LAST_EPOCH,
    )

    closed_in_last_epoch = True

    def resolve(self, spec, ctx, where=""):
        return resolve_allowing_lists(self, spec, ctx, where, ("lr_lambda",))

    def values(self, args, ctx, k):
        ka = np.asarray(k).reshape(-1)
        n = every_step(ka) if ka.dtype.kind in "iu" else None
        # every step: the shared read-only 0.0..n−1 (no fresh 8 MB float copy of k per 1M-step curve)
        kf = float_arange_view(n) if n is not None else ka.astype(np.float64)
        with np.errstate(all="ignore"):
            # torch: base_lr * lmbda(last_epoch)
            rows = _formula_rows(formulas_per_group(args["lr_lambda"], ctx), kf)
            if rows.shape == (ctx.n_groups, kf.size) and rows.flags.writeable and rows.flags.c_contiguous:
                rows *= bases(ctx)  # the formulas' own new array: scaled in place
                return Values(rows)
            lr = bases(ctx) * rows
            if lr.shape != (ctx.n_groups, kf.size):  # constant formulas: (groups, 1)
                lr = np.broadcast_to(lr, (ctx.n_groups, kf.size)).copy()
            return Values(lr)


@register
class MultiplicativeLR(MultiplicativeKind):
    name = "MultiplicativeLR"
    initial_keeps_lr = True
    library = "torch"
    summary = "Multiply the current lr by lr_lambda(k) at every step k ≥ 1 (a running product)."
    example = 'MultiplicativeLR(lr_lambda="0.95")'
    params = (
        _lambda_param(
            'Factor applied to the current lr at step k ≥ 1, e.g. "0.95"; a list gives one '
            "formula per param group.",
            "MultiplicativeLR",
        ),
        LAST_EPOCH,
    )

    def resolve(self, spec, ctx, where=""):
        return resolve_allowing_lists(self, spec, ctx, where, ("lr_lambda",))

    closed_form = None  # torch's MultiplicativeLR has no _get_closed_form_lr

    def factor(self, args, ctx, k):
        k = np.asarray(k)
        rows = _formula_rows(formulas_per_group(args["lr_lambda"], ctx), k.astype(np.float64))
        return np.where(k == 0, 1.0, rows)  # the constructor's step keeps the lr

    def noninitial_factor0(self, args, ctx):
        # lr * lmbda(last_epoch) whenever the step is not the constructor's
        return _formula_rows(formulas_per_group(args["lr_lambda"], ctx), np.zeros(1))

    def values(self, args, ctx, k):
        if ctx.stepping != "fractional":
            return super().values(args, ctx, k)
        # No closed form in torch: step(epoch) applies lr * lmbda(epoch) at each call, k[0] = the constructor.
        kf = np.asarray(k, dtype=np.float64).reshape(-1)
        with np.errstate(all="ignore"):
            rows = _formula_rows(formulas_per_group(args["lr_lambda"], ctx), kf)
            a = np.array(np.broadcast_to(rows, (ctx.n_groups, kf.size)))
            a[:, :1] = bases(ctx)
            for row in a:
                np.multiply.accumulate(row, out=row)
            return Values(a)


@register
class MultiStepLR(MultiplicativeKind):
    name = "MultiStepLR"
    library = "torch"
    summary = "Multiply the lr by gamma at each milestone step (a repeated milestone multiplies again)."
    example = "MultiStepLR(milestones=[30, 80], gamma=0.1)"
    params = (
        Param(
            "milestones",
            "int_list",
            help="Steps at which the lr is multiplied by gamma; a milestone listed "
            "twice multiplies by gamma² (torch counts them).",
            lo=-INT_MAX,
            hi=INT_MAX,
            source="lr_scheduler.MultiStepLR: Counter(milestones), no check (a negative one is never reached)",
        ),
        _gamma(0.1, "Multiplicative factor at each milestone.", "MultiStepLR"),
        LAST_EPOCH,
    )

    def _table(self, args):
        ms, counts = np.unique(np.asarray(args["milestones"], dtype=np.int64), return_counts=True)
        gamma = args["gamma"]
        powers = np.array([_pow(gamma, int(c)) for c in counts], dtype=np.float64)
        return ms, powers

    def factor(self, args, ctx, k):
        k = np.asarray(k, dtype=np.int64)
        ms, powers = self._table(args)
        out = np.ones(k.shape)
        if ms.size:
            idx = np.minimum(np.searchsorted(ms, k), ms.size - 1)
            hit = ms[idx] == k
            out[hit] = powers[idx[hit]]  # torch: lr * gamma ** count
        return out

    def change_points(self, args, ctx, n):
        ms = self._table(args)[0]
        return ms[(ms >= 1) & (ms < n)]

    def closed_form(self, args, ctx, k):
        ms = np.sort(np.asarray(args["milestones"], dtype=np.float64))
        n = np.searchsorted(ms, k, side="right")  # bisect_right
        return bases(ctx) * libm.powers_of(args["gamma"], n)  # gamma ** bisect_right(...)

    def stated_length(self, args, ctx):
        return past_milestones(args["milestones"])

    def markers(self, args, ctx):
        ms, powers = self._table(args)
        return [
            Marker(float(m), "milestone", f"×{p:g}")
            for m, p in zip(ms.tolist(), powers.tolist())
            if m < ctx.horizon
        ][:MAX_MARKERS]


def _pow(x: float, n: int) -> float:
    try:
        return x**n
    except OverflowError:  # torch raises here too; the preview shows inf
        return INF


@register
class ConstantLR(MultiplicativeKind):
    name = "ConstantLR"
    library = "torch"
    summary = "lr × factor for the first total_iters steps, then the initial lr."
    example = "ConstantLR(factor=0.1, total_iters=5)"
    params = (
        Param(
            "factor",
            "float",
            1.0 / 3,
            help="Multiplier until total_iters. 0 is refused when total_iters ≥ 1: torch divides by "
            "it there (ZeroDivisionError).",
            lo=0,
            hi=1,
            source="lr_scheduler.ConstantLR.__init__: `factor > 1.0 or factor < 0` raises ValueError; get_lr "
            "divides by factor at last_epoch == total_iters",
        ),
        int_param(
            "total_iters",
            5,
            "Steps with the reduced lr. 0 or less keeps the factor forever (torch's k = 0 branch "
            "wins) in per-step stepping.",
            lo=-INT_MAX,
            source="lr_scheduler.ConstantLR: no check",
        ),
        LAST_EPOCH,
    )

    def check(self, args, ctx, where):
        if args["factor"] == 0 and args["total_iters"] >= 1:
            raise SpecError.bad_value(
                f"{where}.factor",
                0,
                f"> 0 with total_iters={args['total_iters']}: torch divides by factor at total_iters "
                "(ZeroDivisionError)",
            )

    def factor(self, args, ctx, k):
        k = np.asarray(k)
        f, t = args["factor"], args["total_iters"]
        # torch: k == 0 -> lr * factor (checked first); k == total_iters -> lr * (1.0 / factor).
        inv = 1.0 / f if f else math.inf  # (k == total_iters never happens with factor 0: refused then)
        return np.where(k == 0, f, np.where(k == t, inv, 1.0))

    def change_points(self, args, ctx, n):
        t = args["total_iters"]
        return [t] if 1 <= t < n else []

    def warmup_length(self, args):
        return args["total_iters"] if args["factor"] < 1 else None

    def holds_flat(self, args):
        return True  # back at the initial lr after total_iters, and held

    def closed_form(self, args, ctx, k):
        f, t = args["factor"], args["total_iters"]
        return bases(ctx) * (f + (k >= t) * (1 - f))

    def markers(self, args, ctx):
        t = args["total_iters"]
        if 0 < t < ctx.horizon and args["factor"] != 1:
            return [Marker(float(t), "warmup_end", "back to the initial lr")]
        return []


_TOTAL_ITERS_ZERO = "its closed form divides by total_iters=0 (ZeroDivisionError)"


def _closed_form_needs_total_iters(args, ctx, where: str) -> None:
    """step(epoch) uses torch's closed form, which divides by total_iters (LinearLR, PolynomialLR)."""
    if args["total_iters"] == 0 and ctx.stepping == "fractional":
        raise SpecError.bad_value(
            f"{where}.total_iters", 0, "nonzero with step(epoch): torch's closed form divides by it"
        )


@register
class LinearLR(MultiplicativeKind):
    name = "LinearLR"
    initial_keeps_lr = True
    library = "torch"
    summary = "Multiplier moving linearly from start_factor to end_factor over total_iters steps, then held."
    example = "LinearLR(start_factor=0.1, end_factor=1.0, total_iters=5)"
    params = (
        Param(
            "start_factor",
            "float",
            1.0 / 3,
            help="Multiplier at step 0.",
            lo=0,
            lo_open=True,
            hi=1,
            source="lr_scheduler.LinearLR.__init__: `start_factor > 1.0 or start_factor <= 0` raises ValueError",
        ),
        Param(
            "end_factor",
            "float",
            1.0,
            help="Multiplier from total_iters on.",
            lo=0,
            hi=1,
            source="lr_scheduler.LinearLR.__init__: `end_factor > 1.0 or end_factor < 0` raises ValueError",
        ),
        int_param(
            "total_iters",
            5,
            "Steps to go from start_factor to end_factor (0 or less: start_factor forever).",
            lo=-INT_MAX,
            source="lr_scheduler.LinearLR: no check; only the closed form divides by it (step(epoch), "
            "SequentialLR's reset: 0 refused there)",
        ),
        LAST_EPOCH,
    )

    def factor(self, args, ctx, k):
        k = np.asarray(k)
        s, e, t = args["start_factor"], args["end_factor"], args["total_iters"]
        ramp = 1.0 + (e - s) / (t * s + (k - 1).astype(np.float64) * (e - s))
        return np.where(k == 0, s, np.where(k <= t, ramp, 1.0))

    def change_points(self, args, ctx, n):
        return np.arange(1, min(args["total_iters"], n - 1) + 1)

    def warmup_length(self, args):
        return args["total_iters"] if args["end_factor"] > args["start_factor"] else None

    def natural_length(self, args):
        return args["total_iters"]

    def holds_flat(self, args):
        return True  # end_factor from total_iters on, held

    def check(self, args, ctx, where):
        _closed_form_needs_total_iters(args, ctx, where)

    def reset_error(self, args):
        return _TOTAL_ITERS_ZERO if args["total_iters"] == 0 else None

    def closed_form(self, args, ctx, k):
        s, e, t = args["start_factor"], args["end_factor"], args["total_iters"]
        return bases(ctx) * (s + (e - s) * np.minimum(t, k) / t)

    def markers(self, args, ctx):
        s, e, t = args["start_factor"], args["end_factor"], args["total_iters"]
        if s == e or t >= ctx.horizon:
            return []
        return [Marker(float(t), "warmup_end" if e > s else "end", f"×{e:g} reached")]


@register
class ExponentialLR(MultiplicativeKind):
    name = "ExponentialLR"
    initial_keeps_lr = True
    library = "torch"
    summary = "Multiply the lr by gamma at every step."
    example = "ExponentialLR(gamma=0.95)"
    params = (_gamma(0.95, "Multiplicative factor per step.", "ExponentialLR"), LAST_EPOCH)

    def factor(self, args, ctx, k):
        return np.where(np.asarray(k) == 0, 1.0, args["gamma"])

    def later_factor(self, args, ctx, j):
        return args["gamma"]

    def noninitial_factor0(self, args, ctx):
        return args["gamma"]  # lr * gamma unless _is_initial

    def closed_form(self, args, ctx, k):
        return bases(ctx) * libm.powers_of(args["gamma"], k)  # base_lr * gamma ** last_epoch


@register
class PolynomialLR(MultiplicativeKind):
    name = "PolynomialLR"
    initial_keeps_lr = True
    library = "torch"
    summary = "lr × (1 − k/total_iters)^power, reaching 0 at total_iters and held there."
    example = "PolynomialLR(total_iters=100, power=2.0)"
    params = (
        int_param(
            "total_iters",
            5,
            "Steps until the lr reaches 0 (0 or less: the lr is kept).",
            lo=-INT_MAX,
            source="lr_scheduler.PolynomialLR: no check; it divides by total_iters only at a non-initial "
            "last_epoch 0 and in the closed form (0 refused there)",
        ),
        Param(
            "power",
            "float",
            1.0,
            help="Power of the decay (1 = linear). A negative power is refused with total_iters ≥ 1: "
            "torch raises ZeroDivisionError (0.0 ** power) at total_iters.",
            lo=-INF,
            hi=INF,
            source="lr_scheduler.PolynomialLR: no check; (1 - T/T) ** power at last_epoch == total_iters",
        ),
        LAST_EPOCH,
    )

    def factor(self, args, ctx, k):
        k = np.asarray(k)
        t, p = args["total_iters"], args["power"]
        out = np.ones(k.shape)
        live = (k > 0) & (k <= t)
        if live.any():
            kf = k[live].astype(np.float64)
            # ((1.0 - k / T) / (1.0 - (k - 1) / T)) ** power, pow as Python computes it
            out[live] = libm.pow_array((1.0 - kf / t) / (1.0 - (kf - 1) / t), p)
        return out

    def natural_length(self, args):
        return args["total_iters"]

    def check(self, args, ctx, where):
        t, p = args["total_iters"], args["power"]
        if p < 0 and t >= 1:
            raise SpecError.bad_value(
                f"{where}.power",
                p,
                f"≥ 0 with total_iters={t}: torch raises ZeroDivisionError (0.0 ** power) there",
            )
        _closed_form_needs_total_iters(args, ctx, where)

    def reset_error(self, args):
        return _TOTAL_ITERS_ZERO if args["total_iters"] == 0 else None

    def noninitial_factor0(self, args, ctx):
        # ((1.0 - 0 / T) / (1.0 - (0 - 1) / T)) ** power unless _is_initial
        t, p = args["total_iters"], args["power"]
        if t == 0:
            return math.nan  # torch: ZeroDivisionError (the curve shows NaN from there)
        if t < 0:
            return 1.0  # `last_epoch > total_iters`: the lr is kept
        return ((1.0 - 0 / t) / (1.0 - (0 - 1) / t)) ** p

    def change_points(self, args, ctx, n):
        return np.arange(1, min(args["total_iters"], n - 1) + 1)

    def closed_form(self, args, ctx, k):
        t, p = args["total_iters"], args["power"]
        return bases(ctx) * libm.pow_array(1.0 - np.minimum(t, k) / t, p)

    def stated_length(self, args, ctx):
        return int(args["total_iters"])

    def markers(self, args, ctx):
        t = args["total_iters"]
        return [Marker(float(t), "end", "lr = 0 from here")] if t < ctx.horizon else []
