"""The seed article's own schedules (seeds/000), reproduced exactly as written — quirks included.

- `WarmupCosineLR(lr_min, lr_max, warm_up=0, T_max=10, start_ratio=0.1)`: an `_LRScheduler` subclass whose
  get_lr reads its own counter `self.cur` (incremented at every get_lr call, the constructor's included),
  not last_epoch, and returns the same lr for every param group (the optimizer's lr is ignored).
  cur == 0 gives lr_min + (lr_max − lr_min)·start_ratio/warm_up; warm_up == 0 starts at lr_max; past
  T_max the cosine keeps going (it rises back to lr_max at 2·T_max − warm_up).
- `warm_up_cosine_lr_scheduler(epochs=100, warm_up_epochs=5, eta_min=1e-9)`: a LambdaLR with
  λ(k) = eta_min + k/warm_up_epochs for k ≤ warm_up_epochs, else ½(cos(π(k − W)/(epochs − W)) + 1).
  eta_min is *added to the ratio*, so the first lr is base·1e-9 (the article's "first epoch lr is too
  small") and the warmup peak overshoots 1 by eta_min. warm_up_epochs ≤ 0 returns
  CosineAnnealingLR(T_max=epochs, eta_min=eta_min) instead.
"""

from __future__ import annotations

import numpy as np

from lrtui.schedules.catalogue import Bound, Kind, Marker, Values, get_kind, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import (
    arange_view,
    every_step,
    float_arange_view,
    is_float_arange,
)
from lrtui.schedules.params import Param

MAX = 10**15
_SEED_NO_CHECK = "seeds/000 (the article's code): no check"


def warmup_cosine_lr(
    cur: np.ndarray, lr_min: float, lr_max: float, warm_up: int, t_max: int, start_ratio: float
) -> np.ndarray:
    """WarmupCosineLR.get_lr at counter values `cur` (ints), same float operations as the seed's code."""
    cur = np.asarray(cur, dtype=np.int64)
    n = every_step(cur) if cur.ndim == 1 else None
    c = float_arange_view(n) if n is not None else cur.astype(np.float64)
    span = lr_max - lr_min
    with np.errstate(all="ignore"):
        # else-branch for every step, in place: lr_min + (lr_max - lr_min) * 0.5 * (cos((cur - w) / (T - w) * pi) + 1)
        lr = c - warm_up
        lr /= t_max - warm_up
        lr *= np.pi
        np.cos(lr, out=lr)
        lr += 1
        lr *= span * 0.5
        lr += lr_min
        if warm_up < 0:  # `cur <= warm_up` never holds: the cosine branch everywhere
            return lr
        if n is not None:  # cur = 0, 1, ..., n−1: the ramp and step 0 are leading slices
            if warm_up == 0:
                lr[:1] = lr_max
                return lr
            lr[: warm_up + 1] = lr_min + span * c[: warm_up + 1] / warm_up
            lr[:1] = lr_min + span * (0 + start_ratio) / warm_up
            return lr
        if warm_up == 0:
            lr[cur == 0] = lr_max
            return lr
        ramp = (cur >= 0) & (cur <= warm_up)
        lr[ramp] = lr_min + span * c[ramp] / warm_up
        lr[cur == 0] = lr_min + span * (0 + start_ratio) / warm_up
    return lr


def seed_lambda(k: np.ndarray, epochs: int, warm: int, eta_min: float) -> np.ndarray:
    """The seed's `warm_up_with_cosine_lr` lambda, vectorised over k (ints or float epochs)."""
    k = np.asarray(k, dtype=np.float64)
    if is_float_arange(k) and warm >= 0:
        # the shared every-step 0.0..n−1 (float_arange_view): k ≤ warm is the leading slice
        out = np.empty(k.size)
        iw = min(warm + 1, k.size)
        with np.errstate(all="ignore"):
            np.divide(k[:iw], warm, out=out[:iw])
            out[:iw] += eta_min  # eta_min + (k / warm)
            f = out[iw:]
            np.subtract(k[iw:], warm, out=f)  # 0.5 * (cos((k - warm) / (epochs - warm) * pi) + 1)
            f /= epochs - warm
            f *= np.pi
            np.cos(f, out=f)
            f += 1
            f *= 0.5
        return out
    with np.errstate(all="ignore"):
        ramp = eta_min + (k / warm)
        cosine = 0.5 * (np.cos((k - warm) / (epochs - warm) * np.pi) + 1)
    return np.where(k <= warm, ramp, cosine)


def _get_lr_note(kind: Kind, node):
    from lrtui.schedules.lint import Lint

    yield Lint(
        "get_lr_vs_get_last_lr",
        "info",
        "read the lr with scheduler.get_last_lr() (or optimizer.param_groups[g]['lr']); get_lr() "
        "recomputes the update and is wrong outside step()",
        "use get_last_lr()",
        node.path,
    )


@register
class WarmupCosineLR(Kind):
    name = "WarmupCosineLR"
    library = "seed"
    summary = (
        "The seed article's _LRScheduler subclass: linear warmup from lr_min (start_ratio at step 0) "
        "to lr_max over warm_up steps, then a cosine to lr_min at T_max (absolute lrs; the "
        "optimizer's lr is ignored; not clamped past T_max)."
    )
    example = "WarmupCosineLR(lr_min=1e-9, lr_max=1e-3, warm_up=5, T_max=100, start_ratio=0.1)"
    params = (
        Param(
            "lr_min", "float", help="Lowest lr (start of warmup, end of the cosine).", source=_SEED_NO_CHECK
        ),
        Param("lr_max", "float", help="Peak lr, reached at warm_up.", source=_SEED_NO_CHECK),
        Param(
            "warm_up",
            "int",
            0,
            help="Warmup steps (0 = none: start at lr_max; < 0: no warmup either).",
            lo=-MAX,
            hi=MAX,
            source=_SEED_NO_CHECK,
        ),
        Param(
            "T_max",
            "int",
            10,
            help="Step at which the cosine reaches lr_min (counted from 0, warmup included).",
            lo=-MAX,
            hi=MAX,
            source=f"{_SEED_NO_CHECK}; get_lr divides by T_max - warm_up (equal: ZeroDivisionError, refused)",
        ),
        Param(
            "start_ratio",
            "float",
            0.1,
            help="Step 0's lr is lr_min + (lr_max − lr_min)·start_ratio/warm_up (0 = lr_min).",
            source=_SEED_NO_CHECK,
        ),
    )

    def port_expr(self, bound, port):
        return port.call(port.need("WarmupCosineLR"), "optimizer", port.kwargs(bound))

    def lints(self, node, doc):
        yield from _get_lr_note(self, node)

    def leaf(self, bound, ctx, path):
        from lrtui.schedules.program import CallCountLeaf

        return CallCountLeaf(bound, ctx, path)  # get_lr reads self.cur, its own call count

    def check(self, args, ctx, where):
        if args["T_max"] == args["warm_up"]:
            raise SpecError.bad_value(
                f"{where}.T_max",
                args["T_max"],
                "different from warm_up (the seed's get_lr divides by T_max − warm_up)",
            )

    def values(self, args, ctx, k):
        ka = np.asarray(k).reshape(-1)
        n = every_step(ka) if ka.dtype.kind in "iu" and ctx.stepping != "fractional" else None
        if n is not None:
            cur = arange_view(n)
        else:
            kf = ka.astype(np.float64)
            if ctx.stepping == "fractional":  # step(epoch) still calls get_lr once per call: cur = call count
                kf = kf * ctx.steps_per_epoch
            cur = np.rint(np.maximum(kf, 0)).astype(np.int64)
        lr = warmup_cosine_lr(
            cur, args["lr_min"], args["lr_max"], args["warm_up"], args["T_max"], args["start_ratio"]
        )
        if ctx.n_groups == 1:
            return Values(lr[None, :])
        return Values(np.broadcast_to(lr, (ctx.n_groups, cur.size)).copy())

    def stated_length(self, args, ctx):
        return int(args["T_max"])

    def markers(self, args, ctx):
        out = []
        if args["warm_up"] > 0:
            out.append(Marker(float(args["warm_up"]), "warmup_end", "warmup end (lr_max)"))
        out.append(Marker(float(args["T_max"]), "end", "T_max (lr_min); the cosine rises again after"))
        return out


@register
class WarmUpCosineLambda(Kind):
    name = "warm_up_cosine_lr_scheduler"
    library = "seed"
    summary = (
        "The seed article's LambdaLR: λ = eta_min + k/warm_up_epochs during warmup (so the first lr is "
        "≈0 and the peak overshoots by eta_min), then a half cosine to 0 at epochs; "
        "warm_up_epochs ≤ 0 gives CosineAnnealingLR(T_max=epochs, eta_min=eta_min)."
    )
    example = "warm_up_cosine_lr_scheduler(epochs=100, warm_up_epochs=5, eta_min=1e-9)"
    aliases = ("WarmUpCosineLambda",)
    params = (
        Param(
            "epochs",
            "int",
            100,
            help="Total epochs: the cosine reaches 0 here.",
            lo=-MAX,
            hi=MAX,
            source=f"{_SEED_NO_CHECK}; the lambda divides by epochs - warm_up_epochs, CosineAnnealingLR by "
            "T_max=epochs (0 there: refused)",
        ),
        Param(
            "warm_up_epochs",
            "int",
            5,
            help="Warmup epochs (≤ 0: plain CosineAnnealingLR).",
            lo=-MAX,
            hi=MAX,
            source=_SEED_NO_CHECK,
        ),
        Param(
            "eta_min",
            "float",
            1e-9,
            help="Added to the warmup ratio (λ(0) = eta_min); CosineAnnealingLR's "
            "eta_min when there is no warmup.",
            source=_SEED_NO_CHECK,
        ),
    )

    def port_expr(self, bound, port):
        a = bound.args
        if a["warm_up_epochs"] <= 0:  # the article's function returns a plain CosineAnnealingLR then
            return port.call(
                f"{port.torch}.CosineAnnealingLR",
                "optimizer",
                f"T_max={a['epochs']!r}, eta_min={port.literal(a['eta_min'])}",
            )
        seed = port.call(
            port.need("SeedLambda"), port.kwargs(bound, ("epochs", "warm_up_epochs", "eta_min"), every=True)
        )
        return port.call(f"{port.torch}.LambdaLR", "optimizer", f"lr_lambda={seed}")

    def check(self, args, ctx, where):
        if args["warm_up_epochs"] <= 0 and args["epochs"] == 0:
            raise SpecError.bad_value(
                f"{where}.epochs",
                0,
                "nonzero: without warmup it is CosineAnnealingLR(T_max=epochs), which divides by it",
            )
        if args["warm_up_epochs"] > 0 and args["epochs"] == args["warm_up_epochs"]:
            raise SpecError.bad_value(
                f"{where}.epochs",
                args["epochs"],
                "different from warm_up_epochs (the lambda divides by epochs − warm_up_epochs)",
            )

    def torch_equivalent(self, args) -> Bound | None:
        """The torch scheduler this function returns when it is not a LambdaLR (warm_up_epochs ≤ 0)."""
        if args["warm_up_epochs"] > 0:
            return None
        from lrtui.schedules.spec import Spec

        kind = get_kind("CosineAnnealingLR")
        cargs = {"T_max": args["epochs"], "eta_min": args["eta_min"], "last_epoch": -1}
        cargs = {p.name: cargs.get(p.name, p.default) for p in kind.params}
        return Bound(
            kind, cargs, Spec("CosineAnnealingLR", {"T_max": args["epochs"], "eta_min": args["eta_min"]})
        )

    def values(self, args, ctx, k):
        eq = self.torch_equivalent(args)
        if eq is not None:
            return eq.values(ctx, k)
        ka = np.asarray(k).reshape(-1)
        n = every_step(ka) if ka.dtype.kind in "iu" else None
        kf = float_arange_view(n) if n is not None else ka.astype(np.float64)
        base = np.asarray(ctx.base_lrs, dtype=np.float64)[:, None]
        lam = seed_lambda(kf, args["epochs"], args["warm_up_epochs"], args["eta_min"])
        with np.errstate(all="ignore"):
            if base.shape[0] == 1:
                return Values(np.multiply(lam, base[0, 0], out=lam)[None, :])  # base_lr * lmbda(last_epoch)
            return Values(base * lam[None, :])  # LambdaLR: base_lr * lmbda(last_epoch)

    def lints(self, node, doc):
        yield from _get_lr_note(self, node)

    def sets_lr(self, args):
        return self.torch_equivalent(args) is None  # a LambdaLR, unless it is a CosineAnnealingLR

    def leaf(self, bound, ctx, path):
        eq = self.torch_equivalent(bound.args)
        if eq is not None:  # the function returns a CosineAnnealingLR: it behaves as one
            return eq.kind.leaf(eq, ctx, path)
        return super().leaf(bound, ctx, path)

    def stated_length(self, args, ctx):
        return int(args["epochs"])

    def markers(self, args, ctx):
        eq = self.torch_equivalent(args)
        if eq is not None:
            return eq.markers(ctx)
        return [
            Marker(float(args["warm_up_epochs"]), "warmup_end", "warmup end (λ = 1 + eta_min)"),
            Marker(float(args["epochs"]), "end", "epochs (λ = 0); rises again after"),
        ]


__all__ = ["WarmUpCosineLambda", "WarmupCosineLR", "seed_lambda", "warmup_cosine_lr"]
