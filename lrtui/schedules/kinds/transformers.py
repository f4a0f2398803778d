"""Hugging Face transformers' schedules (`transformers.optimization`, checked against 5.x).

Every one is a torch `LambdaLR`: lr = base · λ(k). λ is ported operation by operation (float order
matters for bit-exactness) and vectorised over k. Quirks are reproduced, not fixed: every *_with_warmup
starts at exactly 0, cosine is not clamped past num_training_steps, polynomial reads the optimizer's
*default* lr (`optimizer.defaults["lr"]`, our Context.default_lr) and needs it > lr_end, and
`get_scheduler("constant", num_warmup_steps=...)` silently ignores the warmup.

`get_scheduler(name, num_warmup_steps=, num_training_steps=, ...)` dispatches to the named kind. Its
`scheduler_specific_kwargs={...}` are written flat here (`get_scheduler("cosine", ..., num_cycles=2)`),
because spec values cannot be dicts.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules.catalogue import Context, Kind, Marker, Values, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import every_step, float_arange_view, is_float_arange
from lrtui.schedules.params import Param
from lrtui.schedules.spec import Spec

W_HELP = "Warmup steps: λ rises linearly from 0 (exactly 0 at step 0) to 1."
N_HELP = "Total training steps: the decay ends here."
_NO_CHECK = "transformers.optimization (5.x): no check"
_TIMESCALE = (
    "transformers.optimization._get_inverse_sqrt_schedule_lr_lambda: 1 / sqrt((step + shift) / timescale): 0 "
    "divides by zero, < 0 reaches math.sqrt of a negative later (ValueError): refused"
)
WARMUP_STEPS = Param(
    "num_warmup_steps", "int", help=W_HELP, source=f"{_NO_CHECK} (float(max(1, num_warmup_steps)))"
)
TRAINING_STEPS = Param(
    "num_training_steps",
    "int",
    help=N_HELP,
    source=f"{_NO_CHECK} (divides by max(1, num_training_steps - num_warmup_steps))",
)
LAST_EPOCH = Param(
    "last_epoch",
    "int",
    -1,
    help="Only -1 (a fresh schedule) is previewed.",
    lo=-1,
    hi=-1,
    advanced=True,
    source="torch LambdaLR: last_epoch != -1 needs the groups' initial_lr (KeyError on a fresh optimizer)",
)

# get_scheduler name -> kind name
SCHEDULER_NAMES = {
    "linear": "get_linear_schedule_with_warmup",
    "cosine": "get_cosine_schedule_with_warmup",
    "cosine_with_restarts": "get_cosine_with_hard_restarts_schedule_with_warmup",
    "polynomial": "get_polynomial_decay_schedule_with_warmup",
    "constant": "get_constant_schedule",
    "constant_with_warmup": "get_constant_schedule_with_warmup",
    "inverse_sqrt": "get_inverse_sqrt_schedule",
    "cosine_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup",
    "cosine_warmup_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "warmup_stable_decay": "get_wsd_schedule",
    "reduce_lr_on_plateau": "",  # torch's ReduceLROnPlateau: write that kind directly
}


def _k(k) -> np.ndarray:
    return np.asarray(k, dtype=np.float64)


def _warmup(k: np.ndarray, w: int) -> np.ndarray:
    # float(current_step) / float(max(1, num_warmup_steps))
    return k / float(max(1, w))


def _first(k: np.ndarray, lo: int, pred) -> int:
    """The first index i ≥ lo with pred(k[i]), for increasing k and a predicate that is False then True.

    pred sees numpy float64 scalars: the same IEEE operations as the vectorised formula, so a phase
    boundary found here is exactly where the elementwise comparison switches."""
    a, b = lo, k.size
    while a < b:
        mid = (a + b) // 2
        if pred(k[mid]):
            b = mid
        else:
            a = mid + 1
    return a


class _LambdaKind(Kind):
    """A transformers schedule: lr = base · λ(k)."""

    library = "transformers"
    closed_in_last_epoch = True
    past_end_rises = False  # a cosine that is not clamped after num_training_steps

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint, fmt

        a = node.args
        w = a.get("num_warmup_steps") or 0
        if w > 0 and float(np.asarray(self.factor(a, doc.ctx, np.zeros(1))).reshape(-1)[0]) == 0.0:
            yield Lint(
                "warmup_starts_at_zero",
                "info",
                f"transformers warmups start at exactly 0 (λ = k/{w}): the first update uses lr 0, a wasted step",
                "accept it, or use get_cosine_with_min_lr_schedule_with_warmup_lr_rate (starts at "
                f"1/{w}) or LinearLR(start_factor={fmt(1 / w)}, total_iters={w})",
                node.path,
                explains=("first_lr_near_zero",),
            )
        total = a.get("num_training_steps")
        if (
            self.past_end_rises
            and total
            and node.end - node.start > total
            and a.get("num_cycles", 0.5) <= 0.5
        ):
            yield Lint(
                "cosine_rises_after_t_max",
                "warning",
                f"the run is longer than num_training_steps={total}: transformers' cosine is not clamped and "
                "the lr rises again after it",
                f"use num_training_steps={fmt(node.end - node.start)}",
                node.path,
                doc.opt_step(node.start + total),
            )

    def factor(self, args, ctx: Context, k: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def factor_sorted(self, args, ctx: Context, k: np.ndarray) -> np.ndarray:
        """factor() for k = 0.0, 1.0, ..., n−1 (read-only): kinds with phases compute each on its slice.
        Returns a new array."""
        lam = self.factor(args, ctx, k)
        if (
            isinstance(lam, np.ndarray)
            and lam.dtype == np.float64
            and lam.shape == k.shape
            and lam.flags.writeable
            and lam.flags.c_contiguous
            and not np.may_share_memory(lam, k)
        ):
            return lam  # already a fresh array
        return np.array(np.broadcast_to(lam, k.shape), dtype=np.float64)

    def values(self, args, ctx, k):
        base = np.asarray(ctx.base_lrs, dtype=np.float64)[:, None]
        ka = np.asarray(k)
        n = every_step(ka) if ka.dtype.kind in "iu" and ka.ndim == 1 else None
        with np.errstate(all="ignore"):
            if n is None:
                lam = np.broadcast_to(self.factor(args, ctx, _k(k)), np.shape(k))
                return Values(base * lam[None, :])
            lam = self.factor_sorted(args, ctx, float_arange_view(n))
            if base.shape[0] == 1:
                np.multiply(lam, base[0, 0], out=lam)  # base · λ, in place
                return Values(lam[None, :])
            return Values(base * lam[None, :])

    def stated_length(self, args, ctx):
        n = args.get("num_training_steps")
        return None if n is None else int(n)

    def markers(self, args, ctx):
        out = []
        w = args.get("num_warmup_steps") or 0
        if w > 0:
            out.append(Marker(float(w), "warmup_end", "warmup end"))
        n = args.get("num_training_steps")
        if n is not None:
            out.append(Marker(float(n), "end", "num_training_steps"))
        return out


@register
class Linear(_LambdaKind):
    name = "get_linear_schedule_with_warmup"
    aliases = ("linear_schedule_with_warmup",)
    summary = "Linear warmup from 0, then linear decay to 0 at num_training_steps (transformers 'linear')."
    example = "get_linear_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000)"
    params = (
        WARMUP_STEPS,
        TRAINING_STEPS,
        LAST_EPOCH,
    )

    def factor(self, args, ctx, k):
        w, n = args["num_warmup_steps"], args["num_training_steps"]
        decay = float(n) - k
        decay /= float(max(1, n - w))
        np.maximum(0.0, decay, out=decay)
        return _with_warmup(decay, k, w)


def _cosine_factor(k, w, n, num_cycles, min_lr_rate=0.0):
    # transformers' second `_get_cosine_schedule_with_warmup_lr_lambda` (it shadows the first one).
    # In-place numpy ops (same operations, same order) keep a 1M-step curve cheap.
    f = k - w
    f /= float(max(1, n - w))  # progress
    f *= math.pi * float(num_cycles) * 2.0
    np.cos(f, out=f)
    f += 1.0
    f *= 0.5
    if min_lr_rate != 0.0:
        f *= 1 - min_lr_rate
        f += min_lr_rate
    np.maximum(0, f, out=f)
    return _with_warmup(f, k, w)


def _with_warmup(f: np.ndarray, k: np.ndarray, w: int) -> np.ndarray:
    """f where k ≥ w, the linear warmup k / max(1, w) before (in place)."""
    if w > 0:
        if is_float_arange(k):
            # the every-step arange (a read-only shared view): k < w is the first min(w, n) steps
            np.divide(k[:w], float(max(1, w)), out=f[:w])
            return f
        early = k < w
        f[early] = k[early] / float(max(1, w))
    return f


@register
class Cosine(_LambdaKind):
    past_end_rises = True
    name = "get_cosine_schedule_with_warmup"
    aliases = ("cosine_schedule_with_warmup",)
    summary = "Linear warmup from 0, then half a cosine to 0 at num_training_steps; not clamped after it."
    example = "get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000)"
    params = (
        WARMUP_STEPS,
        TRAINING_STEPS,
        Param(
            "num_cycles",
            "float",
            0.5,
            help="Cosine waves over the decay (0.5 = down to 0 once).",
            source=_NO_CHECK,
        ),
        LAST_EPOCH,
    )

    def factor(self, args, ctx, k):
        return _cosine_factor(k, args["num_warmup_steps"], args["num_training_steps"], args["num_cycles"])


@register
class CosineHardRestarts(_LambdaKind):
    name = "get_cosine_with_hard_restarts_schedule_with_warmup"
    aliases = ("cosine_with_hard_restarts_schedule_with_warmup",)
    summary = (
        "Linear warmup from 0, then num_cycles cosine decays with hard restarts; 0 after num_training_steps."
    )
    example = "get_cosine_with_hard_restarts_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000, num_cycles=3)"
    params = (
        WARMUP_STEPS,
        TRAINING_STEPS,
        Param("num_cycles", "int", 1, help="Number of cosine cycles (hard restarts).", source=_NO_CHECK),
        LAST_EPOCH,
    )

    def factor(self, args, ctx, k):
        w, n, c = args["num_warmup_steps"], args["num_training_steps"], args["num_cycles"]
        progress = (k - w) / float(max(1, n - w))
        f = np.maximum(0.0, 0.5 * (1.0 + np.cos(math.pi * ((float(c) * progress) % 1.0))))
        return np.where(k < w, _warmup(k, w), np.where(progress >= 1.0, 0.0, f))

    def factor_sorted(self, args, ctx, k):
        w, n, c = args["num_warmup_steps"], args["num_training_steps"], args["num_cycles"]
        out = np.empty(k.size)
        iw = max(0, min(w, k.size))
        span = float(max(1, n - w))
        ie = _first(k, iw, lambda x: (x - w) / span >= 1.0)  # progress ≥ 1: 0 from there on
        out[:iw] = _warmup(k[:iw], w)
        progress = (k[iw:ie] - w) / span
        out[iw:ie] = np.maximum(0.0, 0.5 * (1.0 + np.cos(math.pi * ((float(c) * progress) % 1.0))))
        out[ie:] = 0.0
        return out

    def markers(self, args, ctx):
        out = super().markers(args, ctx)
        w, n, c = args["num_warmup_steps"], args["num_training_steps"], args["num_cycles"]
        out += [Marker(w + i * (n - w) / c, "restart", f"restart {i}") for i in range(1, min(c, 200))]
        return out


@register
class Polynomial(_LambdaKind):
    name = "get_polynomial_decay_schedule_with_warmup"
    aliases = ("polynomial_decay_schedule_with_warmup",)
    summary = "Linear warmup from 0, then polynomial decay from the optimizer's default lr to lr_end."
    example = (
        "get_polynomial_decay_schedule_with_warmup(num_warmup_steps=100, num_training_steps=3000, power=2.0)"
    )
    params = (
        WARMUP_STEPS,
        TRAINING_STEPS,
        Param(
            "lr_end",
            "float",
            1e-7,
            help="The lr reached at num_training_steps (absolute, not a ratio).",
            source="transformers.optimization.get_polynomial_decay_schedule_with_warmup: `not lr_init > lr_end` "
            "raises ValueError",
        ),
        Param(
            "power",
            "float",
            1.0,
            help="Power of the decay (1 = linear).",
            source=f"{_NO_CHECK}; pct_remaining ** power is 0.0 ** power at num_training_steps (< 0: "
            "ZeroDivisionError, refused)",
        ),
        LAST_EPOCH,
    )

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint, fmt

        yield from super().lints(node, doc)
        if len(doc.ctx.base_lrs) > 1:
            yield Lint(
                "polynomial_default_lr",
                "info",
                f"polynomial decay divides by optimizer.defaults['lr'] ({fmt(doc.ctx.lr0)}), not each group's "
                f"lr: group g ends at lr_end·lr_g/{fmt(doc.ctx.lr0)}",
                "give every group the same lr, or expect scaled end values",
                node.path,
            )

    def check(self, args, ctx, where):
        lr_init = ctx.lr0
        if not lr_init > args["lr_end"]:
            raise SpecError.bad_value(
                f"{where}.lr_end",
                args["lr_end"],
                f"smaller than the optimizer's lr ({lr_init:g}): transformers raises ValueError otherwise",
            )
        w, n = args["num_warmup_steps"], args["num_training_steps"]
        if n == w:
            raise SpecError.bad_value(
                f"{where}.num_training_steps",
                n,
                f"different from num_warmup_steps={w}: transformers divides by "
                "num_training_steps − num_warmup_steps (ZeroDivisionError at that step)",
            )
        if args["power"] < 0 and n > w:
            raise SpecError.bad_value(
                f"{where}.power",
                args["power"],
                f"≥ 0: at num_training_steps={n} transformers computes 0.0 ** power (ZeroDivisionError)",
            )

    def factor(self, args, ctx, k):
        w, n = args["num_warmup_steps"], args["num_training_steps"]
        lr_end, power, lr_init = args["lr_end"], args["power"], ctx.lr0
        lr_range = lr_init - lr_end
        decay_steps = n - w
        pct_remaining = 1 - (k - w) / decay_steps
        decay = lr_range * pct_remaining**power + lr_end
        body = np.where(k > n, lr_end / lr_init, decay / lr_init)
        return np.where(k < w, _warmup(k, w), body)

    def factor_sorted(self, args, ctx, k):
        w, n = args["num_warmup_steps"], args["num_training_steps"]
        lr_end, power, lr_init = args["lr_end"], args["power"], ctx.lr0
        out = np.empty(k.size)
        iw = max(0, min(w, k.size))
        ie = max(iw, min(n + 1, k.size))  # k > n: the constant lr_end / lr_init
        out[:iw] = _warmup(k[:iw], w)
        kk = k[iw:ie]
        pct_remaining = 1 - (kk - w) / (n - w)
        out[iw:ie] = (lr_init - lr_end) * pct_remaining**power + lr_end
        out[iw:ie] /= lr_init
        out[ie:] = lr_end / lr_init
        return out


@register
class Constant(_LambdaKind):
    name = "get_constant_schedule"
    aliases = ("constant_schedule",)
    summary = "The optimizer's lr, unchanged (transformers 'constant')."
    example = "get_constant_schedule()"
    params = (LAST_EPOCH,)

    def factor(self, args, ctx, k):
        return np.ones_like(k)

    def holds_flat(self, args):
        return True


@register
class ConstantWarmup(_LambdaKind):
    name = "get_constant_schedule_with_warmup"
    aliases = ("constant_schedule_with_warmup",)
    summary = "Linear warmup from 0, then constant."
    example = "get_constant_schedule_with_warmup(num_warmup_steps=100)"
    params = (WARMUP_STEPS, LAST_EPOCH)

    def factor(self, args, ctx, k):
        w = args["num_warmup_steps"]
        return np.where(k < w, k / float(max(1.0, w)), 1.0)

    def factor_sorted(self, args, ctx, k):
        w = args["num_warmup_steps"]
        out = np.empty(k.size)
        iw = max(0, min(w, k.size))
        np.divide(k[:iw], float(max(1.0, w)), out=out[:iw])
        out[iw:] = 1.0
        return out

    def holds_flat(self, args):
        return True


@register
class InverseSqrt(_LambdaKind):
    name = "get_inverse_sqrt_schedule"
    aliases = ("inverse_sqrt_schedule",)
    summary = "Linear warmup from 0, then 1/sqrt decay with a timescale (default: the warmup, or 10000)."
    example = "get_inverse_sqrt_schedule(num_warmup_steps=100)"
    params = (
        WARMUP_STEPS,
        Param(
            "timescale",
            "int",
            None,
            help="Decay timescale; None = num_warmup_steps or 10000.",
            lo=1,
            optional=True,
            source=_TIMESCALE,
        ),
        LAST_EPOCH,
    )

    @staticmethod
    def timescale(args) -> int:
        t = args["timescale"]
        return t if t is not None else (args["num_warmup_steps"] or 10_000)

    def factor(self, args, ctx, k):
        w = args["num_warmup_steps"]
        ts = self.timescale(args)
        shift = ts - w
        decay = 1.0 / np.sqrt((k + shift) / ts)
        return np.where(k < w, _warmup(k, w), decay)

    def factor_sorted(self, args, ctx, k):
        w = args["num_warmup_steps"]
        ts = self.timescale(args)
        out = np.empty(k.size)
        iw = max(0, min(w, k.size))
        out[:iw] = _warmup(k[:iw], w)
        d = out[iw:]
        np.add(k[iw:], ts - w, out=d)  # 1.0 / sqrt((k + shift) / ts), in place
        d /= ts
        np.sqrt(d, out=d)
        np.divide(1.0, d, out=d)
        return out


def _min_lr_rate(args, ctx, where) -> float:
    if args["min_lr"] is not None and args["min_lr_rate"] is not None:
        raise SpecError(
            f"{where}: give only one of min_lr and min_lr_rate (transformers raises ValueError)",
            field=f"{where}.min_lr",
            value=args["min_lr"],
            allowed="only one of min_lr, min_lr_rate",
        )
    if args["min_lr"] is None and args["min_lr_rate"] is None:
        raise SpecError(
            f"{where}.min_lr_rate is required: give min_lr (absolute) or min_lr_rate (a ratio of the lr)",
            field=f"{where}.min_lr_rate",
            value=None,
            allowed="min_lr or min_lr_rate",
        )
    if args["min_lr"] is not None:
        return args["min_lr"] / ctx.lr0 if ctx.lr0 else math.inf
    return args["min_lr_rate"]


COSINE_CYCLES = Param(
    "num_cycles", "float", 0.5, help="Cosine waves over the decay (0.5 = down once).", source=_NO_CHECK
)
MIN_LR = Param(
    "min_lr",
    "float",
    None,
    help="Final lr (absolute; divided by the optimizer's default lr).",
    optional=True,
    source="transformers.optimization: only one of min_lr, min_lr_rate (ValueError); min_lr / lr, no range check",
)
MIN_LR_RATE = Param(
    "min_lr_rate",
    "float",
    None,
    help="Final lr as a ratio of the initial lr.",
    optional=True,
    source="transformers.optimization: only one of min_lr, min_lr_rate (ValueError); no range check",
)


@register
class CosineMinLR(_LambdaKind):
    past_end_rises = True
    name = "get_cosine_with_min_lr_schedule_with_warmup"
    aliases = ("cosine_with_min_lr_schedule_with_warmup",)
    summary = (
        "Linear warmup from 0, then cosine decay to min_lr (or min_lr_rate·lr); not clamped after the end."
    )
    example = "get_cosine_with_min_lr_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000, min_lr_rate=0.1)"
    params = (
        WARMUP_STEPS,
        TRAINING_STEPS,
        COSINE_CYCLES,
        LAST_EPOCH,
        MIN_LR,
        MIN_LR_RATE,
    )

    def check(self, args, ctx, where):
        if ctx.lr0 == 0 and args["min_lr"] is not None:
            raise SpecError.bad_value(
                f"{where}.min_lr",
                args["min_lr"],
                "None when the optimizer's lr is 0 (transformers divides by it)",
            )
        _min_lr_rate(args, ctx, where)

    def factor(self, args, ctx, k):
        r = _min_lr_rate(args, ctx, self.name)
        return _cosine_factor(k, args["num_warmup_steps"], args["num_training_steps"], args["num_cycles"], r)


@register
class CosineWarmupMinLR(_LambdaKind):
    past_end_rises = True
    name = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    aliases = ("cosine_warmup_with_min_lr",)
    summary = (
        "Warmup that does not start at 0 ((k+1)/W, or from warmup_lr_rate), then cosine to min_lr; "
        "progress counted from k−W+1."
    )
    example = (
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate(num_warmup_steps=100, num_training_steps=1000, "
        "min_lr_rate=0.1)"
    )
    params = (
        Param("num_warmup_steps", "int", help="Warmup steps.", source=_NO_CHECK),
        TRAINING_STEPS,
        COSINE_CYCLES,
        LAST_EPOCH,
        MIN_LR,
        MIN_LR_RATE,
        Param(
            "warmup_lr_rate",
            "float",
            None,
            help="Warmup start as a ratio of the lr; None = (k+1)/W.",
            optional=True,
            source=_NO_CHECK,
        ),
    )

    def check(self, args, ctx, where):
        CosineMinLR.check(self, args, ctx, where)

    def factor(self, args, ctx, k):
        r = _min_lr_rate(args, ctx, self.name)
        w, n, c, rw = (
            float(args["num_warmup_steps"]),
            float(args["num_training_steps"]),
            args["num_cycles"],
            args["warmup_lr_rate"],
        )
        if rw is None:
            warm = (k + 1.0) / max(1.0, w)
        else:
            warm = rw + (1.0 - rw) * k / max(1, w - 1)
        progress = (k - w + 1.0) / max(1.0, n - w)
        factor = 0.5 * (1.0 + np.cos(math.pi * c * 2.0 * progress))
        factor = factor * (1 - r) + r
        return np.where(k < w, warm, np.maximum(0, factor))

    def factor_sorted(self, args, ctx, k):
        r = _min_lr_rate(args, ctx, self.name)
        w, n, c, rw = (
            float(args["num_warmup_steps"]),
            float(args["num_training_steps"]),
            args["num_cycles"],
            args["warmup_lr_rate"],
        )
        out = np.empty(k.size)
        iw = int(max(0, min(w, k.size)))
        kw = k[:iw]
        out[:iw] = (kw + 1.0) / max(1.0, w) if rw is None else rw + (1.0 - rw) * kw / max(1, w - 1)
        f = out[iw:]  # the same operations as factor(), in place
        np.subtract(k[iw:], w, out=f)
        f += 1.0
        f /= max(1.0, n - w)
        f *= math.pi * c * 2.0
        np.cos(f, out=f)
        f += 1.0
        f *= 0.5
        f *= 1 - r
        f += r
        np.maximum(f, 0, out=f)
        return out


@register
class WarmupStableDecay(_LambdaKind):
    name = "get_wsd_schedule"
    aliases = ("wsd_schedule",)
    summary = "Warmup, a stable phase at the peak, then a decay over num_decay_steps to min_lr_ratio (WSD)."
    example = "get_wsd_schedule(num_warmup_steps=100, num_decay_steps=200, num_training_steps=1000)"
    params = (
        Param("num_warmup_steps", "int", help="Warmup steps.", source=_NO_CHECK),
        Param(
            "num_decay_steps", "int", help="Steps of the final decay.", source=f"{_NO_CHECK} (max(1, ...))"
        ),
        Param(
            "num_training_steps",
            "int",
            None,
            help="Total steps; the stable phase is the rest.",
            optional=True,
            source="transformers.optimization.get_wsd_schedule: num_training_steps or num_stable_steps is "
            "required (ValueError); no range check",
        ),
        Param(
            "num_stable_steps",
            "int",
            None,
            help="Stable steps (wins over num_training_steps).",
            optional=True,
            source=_NO_CHECK,
        ),
        Param(
            "warmup_type",
            "choice",
            "linear",
            choices=("linear", "cosine", "1-sqrt"),
            help="Warmup shape.",
            source="transformers.optimization.get_wsd_schedule: anything else raises ValueError",
        ),
        Param(
            "decay_type",
            "choice",
            "cosine",
            choices=("linear", "cosine", "1-sqrt"),
            help="Decay shape.",
            source="transformers.optimization.get_wsd_schedule: anything else raises ValueError",
        ),
        Param(
            "min_lr_ratio",
            "float",
            0.0,
            help="Floor as a ratio of the lr (warmup starts there too).",
            source=_NO_CHECK,
        ),
        Param("num_cycles", "float", 0.5, help="Cosine waves of a cosine decay.", source=_NO_CHECK),
        LAST_EPOCH,
    )

    def check(self, args, ctx, where):
        if args["num_training_steps"] is None and args["num_stable_steps"] is None:
            raise SpecError(
                f"{where}.num_training_steps is required: give num_training_steps or num_stable_steps "
                "(transformers raises ValueError)",
                field=f"{where}.num_training_steps",
                value=None,
                allowed="num_training_steps or num_stable_steps",
            )

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint

        yield from super().lints(node, doc)
        w, s, d = self.phases(node.args)
        if s < 0:
            yield Lint(
                "wsd_overlap",
                "warning",
                f"num_training_steps < warmup + decay ({w} + {d}): the stable phase is {s} steps and the decay "
                "starts before the warmup ends",
                f"use num_training_steps ≥ {w + d}",
                node.path,
            )

    @staticmethod
    def phases(args) -> tuple[int, int, int]:
        w, d = args["num_warmup_steps"], args["num_decay_steps"]
        s = args["num_stable_steps"]
        if s is None:
            s = args["num_training_steps"] - w - d
        return w, s, d

    def factor(self, args, ctx, k):
        w, s, d = self.phases(args)
        m, c = args["min_lr_ratio"], args["num_cycles"]
        p = k / float(max(1, w))
        wt = args["warmup_type"]
        if wt == "linear":
            wf = p
        elif wt == "cosine":
            wf = 0.5 * (1.0 - np.cos(math.pi * p))
        else:
            wf = 1.0 - np.sqrt(1.0 - p)
        wf = np.maximum(0.0, wf * (1.0 - m) + m)
        q = (k - w - s) / float(max(1, d))
        dt = args["decay_type"]
        if dt == "linear":
            df = 1.0 - q
        elif dt == "cosine":
            df = 0.5 * (1.0 + np.cos(math.pi * float(c) * 2.0 * q))
        else:
            df = 1.0 - np.sqrt(q)
        df = np.maximum(0.0, df * (1.0 - m) + m)
        return np.select([k < w, k < w + s, k < w + s + d], [wf, 1.0, df], m)

    def factor_sorted(self, args, ctx, k):
        w, s, d = self.phases(args)
        m = args["min_lr_ratio"]
        out = np.empty(k.size)
        # the phases k < w, < w + s, < w + s + d, then the floor: each computed on its own slice only
        cuts = [min(max(x, 0), k.size) for x in (w, w + s, w + s + d)]
        cuts = [cuts[0], max(cuts[0], cuts[1]), max(cuts[0], cuts[1], cuts[2])]
        out[: cuts[0]] = self.factor(args, ctx, k[: cuts[0]])
        out[cuts[0] : cuts[1]] = 1.0
        out[cuts[1] : cuts[2]] = self.factor(args, ctx, k[cuts[1] : cuts[2]])
        out[cuts[2] :] = m
        return out

    def stated_length(self, args, ctx):
        return sum(self.phases(args))

    def markers(self, args, ctx):
        w, s, d = self.phases(args)
        out = [Marker(float(w), "warmup_end", "warmup end")] if w > 0 else []
        out.append(Marker(float(w + s), "milestone", "decay start"))
        out.append(Marker(float(w + s + d), "end", "decay end"))
        return out


def _opt(name: str, typ: str, help: str, **kw) -> Param:
    kw.setdefault(
        "source",
        "transformers.optimization.get_scheduler: passed on as scheduler_specific_kwargs; "
        "the schedule's own checks apply",
    )
    return Param(name, typ, None, help=help, optional=True, **kw)


# get_scheduler's scheduler_specific_kwargs, flattened: (param, the schedules that accept it)
_SPECIFIC = (
    _opt("num_cycles", "float", "cosine/cosine_with_restarts/min_lr/wsd: cosine cycles."),
    _opt("lr_end", "float", "polynomial: final lr."),
    _opt("power", "float", "polynomial: power."),
    _opt("timescale", "int", "inverse_sqrt: timescale.", lo=1, source=_TIMESCALE),
    _opt("min_lr", "float", "cosine_with_min_lr: final lr."),
    _opt("min_lr_rate", "float", "cosine_with_min_lr: final lr ratio."),
    _opt("warmup_lr_rate", "float", "cosine_warmup_with_min_lr: warmup start ratio."),
    _opt("num_decay_steps", "int", "warmup_stable_decay: decay steps."),
    _opt("num_stable_steps", "int", "warmup_stable_decay: stable steps."),
    _opt(
        "warmup_type", "choice", "warmup_stable_decay: warmup shape.", choices=("linear", "cosine", "1-sqrt")
    ),
    _opt("decay_type", "choice", "warmup_stable_decay: decay shape.", choices=("linear", "cosine", "1-sqrt")),
    _opt("min_lr_ratio", "float", "warmup_stable_decay: floor ratio."),
)


@register
class GetScheduler(Kind):
    name = "get_scheduler"
    library = "transformers"
    summary = "transformers' get_scheduler(name, ...): the Trainer's lr_scheduler_type, dispatched by name."
    example = 'get_scheduler("cosine", num_warmup_steps=100, num_training_steps=1000)'
    params = (
        Param(
            "name",
            "choice",
            choices=tuple(SCHEDULER_NAMES),
            help="The schedule (Trainer's lr_scheduler_type).",
            source="transformers.optimization.SchedulerType: any other name raises ValueError",
        ),
        Param(
            "num_warmup_steps",
            "int",
            None,
            help=W_HELP,
            optional=True,
            source="transformers.optimization.get_scheduler: required by every schedule but constant (ValueError)",
        ),
        Param(
            "num_training_steps",
            "int",
            None,
            help=N_HELP,
            optional=True,
            source="transformers.optimization.get_scheduler: required by the decaying schedules (ValueError)",
        ),
        *_SPECIFIC,
    )

    def target(self, args, ctx: Context, where: str = "get_scheduler"):
        """The Bound of the schedule get_scheduler builds, following its argument routing exactly."""
        from lrtui.schedules.catalogue import get_kind

        name = args["name"]
        if name == "reduce_lr_on_plateau":
            raise SpecError.bad_value(
                f"{where}.name",
                name,
                "a fixed schedule: get_scheduler('reduce_lr_on_plateau')"
                " is torch's ReduceLROnPlateau, write ReduceLROnPlateau(...) instead",
            )
        kind = get_kind(SCHEDULER_NAMES[name])
        specific = {p.name: args[p.name] for p in _SPECIFIC if args.get(p.name) is not None}
        w, n = args["num_warmup_steps"], args["num_training_steps"]
        if name == "constant":
            target_args: dict = {}  # get_scheduler passes nothing else (a given warmup is silently ignored)
        else:
            if w is None:
                raise SpecError(
                    f"{where}.num_warmup_steps is required: {name} requires `num_warmup_steps` "
                    "(transformers raises ValueError)",
                    field=f"{where}.num_warmup_steps",
                    value=None,
                    allowed="an integer ≥ 0",
                )
            if name == "constant_with_warmup":
                target_args = {"num_warmup_steps": w}  # scheduler_specific_kwargs are ignored here
            elif name == "inverse_sqrt":
                target_args = {"num_warmup_steps": w, **specific}
            elif name == "warmup_stable_decay":
                target_args = {"num_warmup_steps": w, "num_training_steps": n, **specific}
                if n is None:
                    target_args.pop("num_training_steps")
            else:
                if n is None:
                    raise SpecError(
                        f"{where}.num_training_steps is required: {name} requires `num_training_steps` "
                        "(transformers raises ValueError)",
                        field=f"{where}.num_training_steps",
                        value=None,
                        allowed="an integer ≥ 1",
                    )
                target_args = {"num_warmup_steps": w, "num_training_steps": n, **specific}
        accepted = {p.name for p in kind.params}
        for key in target_args:
            if key not in accepted:
                raise SpecError(
                    f"{where}.{key} is not accepted by get_scheduler({name!r}) (transformers raises "
                    f"TypeError); {kind.name} takes {', '.join(sorted(accepted - {'last_epoch'}))}",
                    field=f"{where}.{key}",
                    value=target_args[key],
                    allowed=", ".join(sorted(accepted - {"last_epoch"})),
                )
        return kind.resolve(Spec(kind.name, target_args), ctx, where)

    closed_in_last_epoch = True

    def check(self, args, ctx, where):
        self.target(args, ctx, where)

    def port_expr(self, bound, port):
        return port.expr(self.target(bound.args, port.ctx))  # the schedule it builds

    def export_expr(self, b, name: str) -> str:
        """get_scheduler("name", optimizer, num_warmup_steps=..., scheduler_specific_kwargs={...})."""
        import json

        from lrtui.schedules.export_portable import py_literal

        a = b.args
        parts = [json.dumps(a["name"]), "optimizer"]
        for key in ("num_warmup_steps", "num_training_steps"):
            if a.get(key) is not None:
                parts.append(f"{key}={a[key]!r}")
        specific = {p.name: a[p.name] for p in _SPECIFIC if a.get(p.name) is not None}
        if specific:
            inner = ", ".join(f"{json.dumps(k)}: {py_literal(v)}" for k, v in specific.items())
            parts.append(f"scheduler_specific_kwargs={{{inner}}}")
        return f"{name}({', '.join(parts)})"

    def child_spans(self, args, start, end, ctx):
        # the schedule it builds, at the same path: that kind's lints apply
        yield "", self.target(args, ctx), start, end

    def holds_flat(self, args):
        return args["name"].startswith("constant")

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint

        a = node.args
        if a["name"] == "constant" and a.get("num_warmup_steps"):
            yield Lint(
                "warmup_ignored",
                "warning",
                f"get_scheduler('constant') ignores num_warmup_steps={a['num_warmup_steps']}: no warmup happens",
                "use get_scheduler('constant_with_warmup', ...)",
                node.path,
            )
        if a["name"] == "constant_with_warmup":
            extra = [
                p for p in ("num_cycles", "lr_end", "power", "timescale", "min_lr", "min_lr_rate") if a.get(p)
            ]
            if extra:
                yield Lint(
                    "kwargs_ignored",
                    "warning",
                    f"get_scheduler('constant_with_warmup') ignores {', '.join(extra)}",
                    "remove them",
                    node.path,
                )

    def values(self, args, ctx, k):
        return self.target(args, ctx).values(ctx, k)

    def stated_length(self, args, ctx):
        return self.target(args, ctx).stated_length(ctx)

    def markers(self, args, ctx):
        return self.target(args, ctx).markers(ctx)


__all__ = ["SCHEDULER_NAMES"]
