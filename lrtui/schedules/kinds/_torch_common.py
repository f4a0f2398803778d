"""Shared pieces of the torch.optim.lr_scheduler kinds: common params, per-group broadcasting, exact replay.

torch's chainable schedulers update the group's *current* lr in place (`group["lr"] * factor`). For the
purely multiplicative ones the curve is a running product of the per-step factors, and numpy's
`multiply.accumulate` multiplies strictly left to right — the same float operations in the same order as
torch, so those curves are bit-identical to torch's, not merely close to a closed form.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules.catalogue import Bound, Context, Kind, Values
from lrtui.schedules.errors import SpecError
from lrtui.schedules.ops import running_product
from lrtui.schedules.params import REQUIRED, Param, per_group
from lrtui.schedules.spec import Spec

INT_MAX = 10**15  # step counts beyond this are meaningless and would overflow int64 arithmetic
LR_MAX = 1e300  # lr-valued arguments: finite, with headroom so differences like base − eta_min stay finite

LAST_EPOCH = Param(
    "last_epoch",
    "int",
    -1,
    help="torch's resume argument: only -1 (a fresh schedule) is previewed.",
    lo=-1,
    hi=-1,
    advanced=True,
    source="lr_scheduler.LRScheduler.__init__: last_epoch != -1 needs the groups' initial_lr (KeyError on a "
    "fresh optimizer); a preview starts fresh",
)

# Scalars torch multiplies the lr by without any check (StepLR/MultiStepLR/ExponentialLR gamma, ...):
# 0, negative and infinite values run (the lints say what they do).
ANY = {"lo": -math.inf, "hi": math.inf}


def bases(ctx: Context) -> np.ndarray:
    """The groups' initial lrs as a (groups, 1) column."""
    return np.asarray(ctx.base_lrs, dtype=np.float64)[:, None]


def group_column(value: object, ctx: Context) -> np.ndarray:
    """A scalar or per-group list argument as a (groups, 1) float column."""
    return np.asarray(per_group(value, ctx.n_groups), dtype=np.float64)[:, None]


def int_steps(k) -> np.ndarray:
    """Step counts as int64 (negative counts are clipped to 0: nothing happens before the constructor)."""
    k = np.asarray(k)
    if k.dtype.kind not in "iu":
        with np.errstate(invalid="ignore"):
            k = np.floor(np.nan_to_num(k, nan=0.0, posinf=0.0, neginf=0.0))
    k = k.astype(np.int64, copy=False)
    return np.maximum(k, 0) if k.size and k.min() < 0 else k


def every_step(ki: np.ndarray) -> int | None:
    """n when ki is exactly 0, 1, ..., n−1 (evaluate's usual call), else None."""
    n = ki.size
    if not n or ki.ndim != 1:
        return None
    if (
        ki.dtype == _ARANGE.dtype
        and n <= _ARANGE.size
        and ki.strides == _ARANGE.strides
        and ki.ctypes.data == _ARANGE.ctypes.data
    ):
        return n  # arange_view(n) itself (read-only: still 0..n−1)
    if ki[0] == 0 and ki[-1] == n - 1 and np.array_equal(ki, arange_view(n)):
        return n
    return None


def arange_start(ki: np.ndarray) -> int | None:
    """s when ki is exactly s, s+1, ..., s+n−1 (n ≥ 1), else None; O(1) for a view of arange_view()."""
    n = ki.size
    if not n or ki.ndim != 1 or ki.dtype.kind not in "iu":
        return None
    if ki.dtype == _ARANGE.dtype and ki.strides == _ARANGE.strides and _ARANGE.size:
        off, rem = divmod(ki.ctypes.data - _ARANGE.ctypes.data, _ARANGE.itemsize)
        if not rem and off >= 0 and off + n <= _ARANGE.size:
            return off  # a slice of the shared read-only 0, 1, 2, ...
    s = int(ki[0])
    if int(ki[-1]) == s + n - 1 and np.array_equal(ki, np.arange(s, s + n)):
        return s
    return None


def arange_from(start: int, n: int) -> np.ndarray:
    """start, ..., start+n−1 (int64), as a view of the shared read-only arange when it fits."""
    if start >= 0 and start + n <= _ARANGE_CACHED:
        return arange_view(start + n)[start:]
    return np.arange(start, start + n, dtype=np.int64)


_ARANGE = np.arange(0)
_ARANGE_CACHED = 1 << 22  # keep a read-only 0..n-1 up to 32 MB: a fresh 8 MB array costs ms in page faults


def arange_view(n: int) -> np.ndarray:
    """0, 1, ..., n−1 as a read-only view of a shared array (cached up to _ARANGE_CACHED)."""
    global _ARANGE
    if n > _ARANGE_CACHED:
        return np.arange(n)
    if _ARANGE.size < n:
        a = np.arange(max(n, 2 * _ARANGE.size))[:_ARANGE_CACHED]
        a.flags.writeable = False
        _ARANGE = a
    return _ARANGE[:n]


_FARANGE = np.arange(0, dtype=np.float64)


def float_arange_view(n: int) -> np.ndarray:
    """0.0, 1.0, ..., n−1 as a read-only view of a shared float64 array (cached like arange_view)."""
    global _FARANGE
    if n > _ARANGE_CACHED:
        return np.arange(n, dtype=np.float64)
    if _FARANGE.size < n:
        a = np.arange(max(n, 2 * _FARANGE.size), dtype=np.float64)[:_ARANGE_CACHED]
        a.flags.writeable = False
        _FARANGE = a
    return _FARANGE[:n]


def is_float_arange(k) -> bool:
    """Whether k is float_arange_view(n) itself (so exactly 0.0, 1.0, ..., n−1: it is read-only)."""
    return (
        isinstance(k, np.ndarray)
        and k.ndim == 1
        and k.dtype == np.float64
        and 0 < k.size <= _FARANGE.size
        and k.strides == _FARANGE.strides
        and k.ctypes.data == _FARANGE.ctypes.data
    )


def momentum_name(ctx: Context) -> str:
    """Which optimizer hyper-parameter a cyclic schedule drives: SGD's momentum or Adam's beta1."""
    return "beta1" if ctx.optimizer in ("adam", "adamw") else "momentum"


def replay_products(first: np.ndarray, factors, k) -> np.ndarray:
    """lr_0 = first (groups, 1); lr_j = lr_{j-1} * A_j, evaluated at the steps k -> (groups, len(k)).

    `factors(j)` returns A_j for int steps j ≥ 1 (shape (len(j),) or (groups, len(j))). The running product
    is accumulated left to right exactly as torch's repeated in-place multiplications.
    """
    ki = int_steps(k).reshape(-1)
    g = first.shape[0]
    if ki.size == 0:
        return np.empty((g, 0))
    every = every_step(ki)  # the usual call: every step from 0
    n = every or int(ki.max()) + 1
    steps = ki if every else np.arange(n, dtype=np.int64)
    out = np.empty((g, n))
    out[:, 0] = first[:, 0]
    if n > 1:
        with np.errstate(all="ignore"):
            out[:, 1:] = factors(steps[1:])
            for row in out:  # a 1-D accumulate per group is several times faster than along axis 1
                running_product(row)
    return out if every else out[:, ki]


def piecewise_products(first: np.ndarray, steps: np.ndarray, factors: np.ndarray, k) -> np.ndarray:
    """Like replay_products when A_j ≠ 1 only at the sorted steps `steps` (≥ 1) with factors (groups, m).

    Multiplying by 1.0 is exact, so the running product over the change points alone is torch's value;
    the curve is then piecewise constant between change points.
    """
    ki = int_steps(k).reshape(-1)
    g = first.shape[0]
    vals = np.empty((g, steps.size + 1))
    vals[:, 0] = first[:, 0]
    vals[:, 1:] = factors
    for row in vals:
        np.multiply.accumulate(row, out=row)
    n = every_step(ki)
    if n is None:
        return vals[:, np.searchsorted(steps, ki, side="right")]
    lengths = np.diff(np.concatenate([[0], steps, [n]]))
    return (
        np.stack([np.repeat(row, lengths) for row in vals]) if g > 1 else np.repeat(vals[0], lengths)[None, :]
    )


class MultiplicativeKind(Kind):
    """A chainable torch scheduler whose update is `lr * A_k` (B = 0).

    Subclasses implement `factor(args, ctx, k)` (A_k for int k ≥ 0, k = 0 the constructor's step) and
    `closed_form(args, ctx, k)` (torch's `_get_closed_form_lr`, which `step(epoch)` uses with a float epoch).
    """

    # torch's get_lr returns the group's lr unchanged in initial mode (`if self._is_initial`) past
    # last_epoch 0: the constructor's step of a scheduler built with last_epoch=N keeps the lr
    initial_keeps_lr = False

    def factor(self, args, ctx: Context, k: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def closed_form(self, args, ctx: Context, k: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def later_factor(self, args, ctx: Context, j: np.ndarray) -> np.ndarray | float:
        """A_j for steps j ≥ 1 only (may be a scalar when it does not depend on j)."""
        return self.factor(args, ctx, j)

    def change_points(self, args, ctx: Context, n: int) -> np.ndarray | None:
        """The sorted steps in [1, n) where A_k may differ from 1, when they are few; None = every step."""
        return None

    def values(self, args, ctx, k):
        if ctx.stepping == "fractional":  # the bridge calls step(i / steps_per_epoch): torch's closed form
            with np.errstate(all="ignore"):
                kf = np.asarray(k, dtype=np.float64)
                return Values(
                    np.broadcast_to(self.closed_form(args, ctx, kf), (ctx.n_groups, kf.size)).copy()
                )
        ki = int_steps(k).reshape(-1)
        with np.errstate(all="ignore"):
            first = bases(ctx) * self.factor(args, ctx, np.zeros(1, dtype=np.int64))
            steps = self.change_points(args, ctx, int(ki.max()) + 1) if ki.size else None
            if steps is not None:
                steps = np.asarray(steps, dtype=np.int64)
                factors = np.broadcast_to(self.factor(args, ctx, steps), (ctx.n_groups, steps.size))
                return Values(piecewise_products(first, steps, factors, ki))
            return Values(replay_products(first, lambda j: self.later_factor(args, ctx, j), ki))

    def acting(self, args, ctx, k):
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        if not k.size:
            return np.zeros(0, dtype=bool)
        steps = self.change_points(args, ctx, max(int(k.max()) + 1, 1))
        if steps is None:
            return None
        steps = np.asarray(steps, dtype=np.int64)
        k0, k1 = int(k[0]), int(k[-1])
        if k1 - k0 + 1 == k.size:  # consecutive counters (the usual case): mark the few change points
            hit = np.zeros(k.size, dtype=bool)
            hit[steps[(steps >= k0) & (steps <= k1)] - k0] = True
            hit[: max(0, min(k.size, 1 - k0))] = True  # a step reaching 0 (or below): not a change point
            return hit
        idx = np.minimum(np.searchsorted(steps, k), max(steps.size - 1, 0))
        hit = steps[idx] == k if steps.size else np.zeros(k.shape, dtype=bool)
        return hit | (k <= 0)

    def noninitial_factor0(self, args, ctx: Context) -> np.ndarray | float:
        """The factor of a step() reaching last_epoch 0 outside the constructor (torch's `_is_initial`
        False: ExponentialLR multiplies by gamma there, PolynomialLR by (T/(T+1))^power, ...)."""
        return self.factor(args, ctx, np.zeros(1, dtype=np.int64))

    def initial_ops(self, args, ctx, k):
        from lrtui.schedules.ops import Ops

        if k > 0 and self.initial_keeps_lr:
            return Ops(1)
        with np.errstate(all="ignore"):
            a = np.broadcast_to(self.factor(args, ctx, np.asarray([k], dtype=np.int64)), (ctx.n_groups, 1))
        return Ops(1, a=np.array(a, dtype=np.float64))

    def step_ops(self, args, ctx, k):
        from lrtui.schedules.ops import Ops

        k = np.asarray(k, dtype=np.int64).reshape(-1)
        g = ctx.n_groups
        with np.errstate(all="ignore"):
            a = np.array(np.broadcast_to(self.factor(args, ctx, k), (g, k.size)), dtype=np.float64)
            zero = k == 0
            if zero.any():
                a[:, zero] = np.broadcast_to(self.noninitial_factor0(args, ctx), (g, 1))
        return Ops(k.size, a=a)

    def replay(self, args, ctx, k, x0, out):
        """Products from x0, exactly: over the change points only when the kind knows them (× 1.0
        elsewhere is exact), else one left-to-right running product."""
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        s = int(k[0]) if k.size else 0
        steps = self.change_points(args, ctx, s + k.size) if s >= 1 and k.size else None
        if steps is None:
            if s < 1 or not k.size:  # a step() reaching 0 outside the constructor: step_ops knows it
                super().replay(args, ctx, k, x0, out)
                return
            # ops.replay of step_ops' factors (all products), without building the Ops
            x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
            with np.errstate(all="ignore"):
                factors = np.asarray(self.later_factor(args, ctx, k), dtype=np.float64)
                rows = np.broadcast_to(factors, (len(out), k.size))
                for gi, row in enumerate(out):
                    row[:] = rows[gi]
                    row[0] = x0[gi] * row[0]
                    running_product(row)
            return
        steps = np.asarray(steps, dtype=np.int64)
        steps = steps[steps >= s]
        g = ctx.n_groups
        with np.errstate(all="ignore"):
            factors = np.broadcast_to(self.factor(args, ctx, steps), (g, steps.size))
            vals = np.empty((g, steps.size + 1))
            vals[:, 0] = np.asarray(x0, dtype=np.float64).reshape(-1)
            vals[:, 1:] = factors
            for row in vals:
                np.multiply.accumulate(row, out=row)
        lengths = np.diff(np.concatenate([[s], steps, [s + k.size]]))
        for gi in range(g):
            out[gi] = np.repeat(vals[gi], lengths)


def check_group_lists(kind: Kind, args, ctx: Context, where: str) -> None:
    """torch's _format_param: a list needs exactly one value per param group (a 1-item list is refused)."""
    for p in kind.params:
        v = args.get(p.name)
        if p.per_group and isinstance(v, tuple) and len(v) != ctx.n_groups:
            raise SpecError.bad_value(
                f"{where}.{p.name}",
                list(v),
                f"a single value, or a list of {ctx.n_groups} values (one per param group; torch raises "
                f"ValueError otherwise)",
            )


def resolve_allowing_lists(
    kind: Kind, spec: Spec, ctx: Context, where: str, formula_names: tuple[str, ...]
) -> Bound:
    """Kind.resolve, plus: a formula param may be a per-group list of formulas, and an optional formula
    may be given explicitly as None (as in pasted code: `scale_fn=None`)."""
    from lrtui.schedules.formula import compile_formula

    here = f"{where}.{spec.kind}" if where else spec.kind
    args = dict(spec.args)
    lists: dict[str, object] = {}
    for name in formula_names:
        if name not in args:
            continue
        raw = args[name]
        p = kind.param(name)
        if raw is None and p.optional:
            del args[name]
        elif isinstance(raw, list | tuple):
            field = f"{here}.{name}"
            if not p.per_group or len(raw) != ctx.n_groups:
                allowed = (
                    f"a formula, or a list of {ctx.n_groups} formulas (one per param group)"
                    if p.per_group
                    else p.allowed()
                )
                raise SpecError.bad_value(field, raw, allowed)
            fns = tuple(
                compile_formula(r, field=f"{field}[{i}]")
                if isinstance(r, str)
                else _bad_formula(f"{field}[{i}]", r, p)
                for i, r in enumerate(raw)
            )
            lists[name] = fns if len(fns) > 1 else fns[0]
            args[name] = raw[0]  # validated above; replaced below
    bound = Kind.resolve(kind, Spec(spec.kind, args), ctx, where)
    if not lists:
        return Bound(kind, bound.args, spec)
    full = dict(bound.args)
    full.update(lists)
    kind.check(full, ctx, here)
    return Bound(kind, full, spec)


def _bad_formula(field: str, value: object, p: Param):
    raise SpecError.bad_value(field, value, 'a formula string, e.g. "0.95 ** k"')


def formulas_per_group(value: object, ctx: Context) -> tuple:
    """One compiled formula per group (a single formula is shared by every group, like torch)."""
    if isinstance(value, tuple):
        return value * ctx.n_groups if len(value) == 1 else value
    return (value,) * ctx.n_groups


def int_param(name: str, default: object, help: str, lo: int = 0, **kw) -> Param:
    """An integer step count bounded to INT_MAX; default None means required."""
    default = REQUIRED if default is None else default
    return Param(name, "int", default, help=help, lo=lo, hi=INT_MAX, **kw)


__all__ = [
    "INT_MAX",
    "LAST_EPOCH",
    "LR_MAX",
    "MultiplicativeKind",
    "arange_from",
    "arange_start",
    "arange_view",
    "bases",
    "check_group_lists",
    "every_step",
    "float_arange_view",
    "formulas_per_group",
    "group_column",
    "int_param",
    "int_steps",
    "is_float_arange",
    "momentum_name",
    "piecewise_products",
    "replay_products",
    "resolve_allowing_lists",
]


def past_milestones(milestones) -> int | None:
    """A horizon that shows every milestone and one more interval (30, 60, 80 -> 100): the length a list of
    milestones implies when nothing else states it."""
    ms = sorted({int(m) for m in milestones if m > 0})
    if not ms:
        return None
    return ms[-1] + (ms[-1] - ms[-2] if len(ms) > 1 else ms[-1])
