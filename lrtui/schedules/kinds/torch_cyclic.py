"""torch's CyclicLR and OneCycleLR: absolute schedules that also drive momentum (SGD) or beta1 (Adam).

Both ignore the optimizer's lr: CyclicLR *overwrites* each group's lr with its base_lr at construction, and
OneCycleLR overwrites `initial_lr` with max_lr / div_factor. So Context.base_lrs plays no part here (it still
sets the number of param groups). With cycle_momentum (the default) both also overwrite the group's
momentum — SGD's `momentum` or Adam's `betas[0]`, per Context.optimizer — silently turning momentum on.

Where torch raises mid-training, a preview shows NaN from that step on, with an "end" marker:
- OneCycleLR raises ValueError on step total_steps + 1 (k > total_steps);
- CyclicLR raises OverflowError once 2.0 ** (cycle − 1) (triangular2) or gamma ** k (exp_range, gamma > 1)
  overflows a float.
Configurations where OneCycleLR divides by zero within its total_steps (a phase of zero length, e.g.
pct_start · total_steps = 1) are refused up front.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from lrtui.schedules import libm
from lrtui.schedules.catalogue import Kind, Marker, Values, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import (
    INT_MAX,
    LAST_EPOCH,
    check_group_lists,
    group_column,
    int_param,
    momentum_name,
    resolve_allowing_lists,
)
from lrtui.schedules.params import Param, per_group

MAX_MARKERS = 200
INF = math.inf


def _lr_param(name: str, help: str, default: object = None) -> Param:
    from lrtui.schedules.params import REQUIRED

    return Param(
        name,
        "float",
        REQUIRED if default is None else default,
        help=help,
        lo=-INF,
        hi=INF,
        per_group=True,
        source="lr_scheduler._format_param: one value, or a list of one per group (ValueError); no range check",
    )


CYCLE_MOMENTUM = Param(
    "cycle_momentum",
    "bool",
    True,
    help="Cycle momentum (SGD) or beta1 (Adam) inversely to the lr.",
    source="lr_scheduler: the optimizer must have momentum or betas (ValueError); SGD and Adam do",
)


def _momentum_param(name: str, default: float, help: str) -> Param:
    return Param(
        name,
        "float",
        default,
        help=help,
        lo=-INF,
        hi=INF,
        per_group=True,
        source="lr_scheduler._format_param: one per group; no range check (momentum ≥ 1 is linted)",
    )


@register
class CyclicLR(Kind):
    name = "CyclicLR"
    library = "torch"
    summary = (
        "Triangular cycles between base_lr and max_lr (Smith 2017); base_lr replaces the optimizer's lr. "
        "Also cycles momentum/beta1 inversely unless cycle_momentum=False."
    )
    example = "CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=2000)"
    drives_momentum = True
    params = (
        _lr_param(
            "base_lr",
            "Lower lr of the cycle. torch writes it into the optimizer at construction: the "
            "optimizer's own lr is ignored.",
        ),
        _lr_param("max_lr", "Upper lr of the cycle (reached only in 'triangular' mode)."),
        int_param(
            "step_size_up",
            2000,
            "Steps from base_lr up to max_lr.",
            lo=-INT_MAX,
            source="lr_scheduler.CyclicLR.__init__: float(step_size_up), no check; the constructor's step "
            "divides by it (0: ZeroDivisionError, refused) and by step_size_up + step_size_down",
        ),
        Param(
            "step_size_down",
            "int",
            None,
            help="Steps from max_lr back down (None = step_size_up).",
            lo=-INT_MAX,
            hi=INT_MAX,
            optional=True,
            source="lr_scheduler.CyclicLR.__init__: float(step_size_down), no check",
        ),
        Param(
            "mode",
            "choice",
            "triangular",
            help="triangular: constant amplitude; triangular2: amplitude halved "
            "each cycle; exp_range: amplitude × gamma**k. Ignored when scale_fn is given.",
            choices=("triangular", "triangular2", "exp_range"),
            source="lr_scheduler.CyclicLR.__init__: another mode raises ValueError unless scale_fn is given",
        ),
        Param(
            "gamma",
            "float",
            1.0,
            help="exp_range's per-step amplitude factor.",
            lo=-INF,
            hi=INF,
            source="lr_scheduler.CyclicLR: no check (gamma ** last_epoch)",
        ),
        Param(
            "scale_fn",
            "formula",
            None,
            help="Custom amplitude scaling, a formula of x (the cycle number or "
            "the step, per scale_mode); overrides mode.",
            optional=True,
            advanced=True,
            source="lr_scheduler.CyclicLR: any callable of one argument",
        ),
        Param(
            "scale_mode",
            "choice",
            "cycle",
            help="What scale_fn receives: the cycle number or the step count. "
            "torch ignores it unless scale_fn is given.",
            choices=("cycle", "iterations"),
            advanced=True,
            source="lr_scheduler.CyclicLR: compared with 'cycle' (anything else counts iterations)",
        ),
        CYCLE_MOMENTUM,
        _momentum_param("base_momentum", 0.8, "Momentum at the lr's peak."),
        _momentum_param("max_momentum", 0.9, "Momentum at base_lr (also set at construction)."),
        LAST_EPOCH,
    )

    def resolve(self, spec, ctx, where=""):
        return resolve_allowing_lists(self, spec, ctx, where, ("scale_fn",))

    def check(self, args, ctx, where):
        check_group_lists(self, args, ctx, where)
        up = args["step_size_up"]
        down = args["step_size_down"] if args["step_size_down"] is not None else up
        if up == 0 or up + down == 0:
            field = "step_size_up" if up == 0 else "step_size_down"
            raise SpecError.bad_value(
                f"{where}.{field}",
                args[field],
                "sizes with step_size_up ≠ 0 and step_size_up + step_size_down ≠ 0 (torch divides by both "
                "in its constructor: ZeroDivisionError)",
            )

    def construct(self, args, st, ctx):
        # before LRScheduler.__init__: the lr becomes base_lr; with cycle_momentum the momentum max_momentum
        g = ctx.n_groups
        st.x = np.asarray(per_group(args["base_lr"], g), dtype=np.float64)
        _construct_momentum(args, st, g)

    def constructor_ops(self, args, ctx, k):
        # The constructor's step runs before `self.base_lrs = base_lrs`: get_lr's base is the group's
        # initial_lr (an earlier scheduler's, or this base_lr).
        from lrtui.schedules.ops import Ops

        v = self.values({**args, "base_lr": tuple(ctx.base_lrs)}, ctx, np.asarray([k]))
        return Ops.set(v.lr, v.momentum if self.drives_momentum_for(args) else None)

    def rebase(self, args, ctx, new_bases):
        """GradualWarmupScheduler sets after_scheduler.base_lrs: CyclicLR's get_lr reads them as base_lr."""
        return {**args, "base_lr": tuple(float(b) for b in new_bases)}, ctx

    def _shape(self, args, kf: np.ndarray):
        """(scale_factor, amplitude scale, raises-mask) at float steps kf, operation by operation as torch."""
        up = float(args["step_size_up"])
        down = float(args["step_size_down"]) if args["step_size_down"] is not None else up
        total = up + down
        ratio = up / total
        one_q = kf / total
        one_q += 1.0  # 1.0 + last_epoch / total_size (torch computes it twice, identically)
        cycle = np.floor(one_q)
        x = one_q
        x -= cycle
        falling = x - 1
        falling /= ratio - 1
        sf = x / ratio  # x / step_ratio if x <= step_ratio else (x - 1) / (step_ratio - 1)
        np.copyto(sf, falling, where=x > ratio)
        fn = args["scale_fn"]
        if fn is not None:
            scale = fn(cycle if args["scale_mode"] == "cycle" else kf)
            raises = None
        elif args["mode"] == "triangular":
            scale = None  # × 1.0 is exact: skipped
            raises = None
        elif args["mode"] == "triangular2":
            scale = 1 / np.ldexp(1.0, (cycle - 1).astype(np.int64))  # 1 / (2.0 ** (cycle - 1)), exactly
            raises = cycle - 1 >= 1024  # 2.0 ** 1024: OverflowError in Python
        else:
            # gamma ** last_epoch as Python computes it (int exponents: a cached table)
            whole = kf.size and (kf >= 0).all() and (kf == np.floor(kf)).all() and kf.max() < 1 << 26
            if whole:
                scale = libm.int_powers(args["gamma"], int(kf.max()) + 1)[kf.astype(np.int64)]
            else:
                scale = libm.powers_of(args["gamma"], kf)
            # a finite float ** int that overflows raises OverflowError in Python; inf ** k is inf, no error
            raises = np.isinf(scale) if math.isfinite(args["gamma"]) else None
        return sf, scale, raises

    def values(self, args, ctx, k):
        kf = np.asarray(k, dtype=np.float64).reshape(-1)
        with np.errstate(all="ignore"):
            sf, scale, raises = self._shape(args, kf)
            lo, hi = group_column(args["base_lr"], ctx), group_column(args["max_lr"], ctx)
            lr = (hi - lo) * sf  # base_height = (max_lr - base_lr) * scale_factor
            if scale is not None:
                lr *= scale
            lr += lo
            mom = None
            if args["cycle_momentum"]:
                bm, mm = group_column(args["base_momentum"], ctx), group_column(args["max_momentum"], ctx)
                height = (mm - bm) * sf
                if scale is not None:
                    height *= scale
                mom = mm - height
            if raises is not None and raises.any():
                lr[:, raises] = np.nan
                if mom is not None:
                    mom[:, raises] = np.nan
        return Values(lr, mom, momentum_name(ctx))

    closed_in_last_epoch = True

    def lints(self, node, doc):
        yield from _momentum_above_one(self, node)

    def markers(self, args, ctx):
        up = args["step_size_up"]
        down = args["step_size_down"] if args["step_size_down"] is not None else up
        total = abs(up + down)
        out = [
            Marker(float(s), "restart", "new cycle") for s in range(total, ctx.horizon, total)[:MAX_MARKERS]
        ]
        first = self._first_overflow(args, total)
        if first is not None and first < ctx.horizon:
            out.append(Marker(float(first), "end", "torch raises OverflowError from here"))
        return out

    def _first_overflow(self, args, total: int) -> int | None:
        """The first step where torch's built-in amplitude scale overflows (OverflowError), if ever."""
        if args["scale_fn"] is not None:
            return None
        if args["mode"] == "triangular2":
            return 1024 * total  # cycle = 1025
        gamma = args["gamma"]
        if args["mode"] != "exp_range" or abs(gamma) <= 1:
            return None
        guess = int(math.log(sys.float_info.max) / math.log(abs(gamma)))
        for k in range(max(0, guess - 3), guess + 5):
            try:
                gamma**k
            except OverflowError:
                return k
        return None  # pragma: no cover - the guess is within a step or two


@register
class OneCycleLR(Kind):
    name = "OneCycleLR"
    library = "torch"
    summary = (
        "1cycle: warm up from max_lr/div_factor to max_lr, then anneal to a tiny lr by total_steps; "
        "momentum/beta1 cycles inversely. torch raises past total_steps."
    )
    example = "OneCycleLR(max_lr=0.1, total_steps=1000)"
    drives_momentum = True
    params = (
        _lr_param(
            "max_lr",
            "Peak lr. The start is max_lr/div_factor, the end that / final_div_factor; the "
            "optimizer's own lr is ignored.",
        ),
        Param(
            "total_steps",
            "int",
            None,
            help="Steps in the cycle (or give epochs and steps_per_epoch). torch "
            "raises ValueError on step total_steps + 1.",
            lo=1,
            hi=INT_MAX,
            optional=True,
            source="lr_scheduler.OneCycleLR.__init__: `total_steps <= 0 or not int` raises ValueError",
        ),
        Param(
            "epochs",
            "int",
            None,
            help="With steps_per_epoch, sets total_steps = epochs × steps_per_epoch.",
            lo=-INT_MAX,
            hi=INT_MAX,
            optional=True,
            source="lr_scheduler.OneCycleLR.__init__: checked (positive int) only without total_steps",
        ),
        Param(
            "steps_per_epoch",
            "int",
            None,
            help="With epochs, sets total_steps = epochs × steps_per_epoch.",
            lo=-INT_MAX,
            hi=INT_MAX,
            optional=True,
            source="lr_scheduler.OneCycleLR.__init__: checked (positive int) only without total_steps",
        ),
        Param(
            "pct_start",
            "float",
            0.3,
            help="Fraction of the cycle spent increasing the lr.",
            lo=0,
            hi=1,
            source="lr_scheduler.OneCycleLR.__init__: `pct_start < 0 or pct_start > 1` raises ValueError",
        ),
        Param(
            "anneal_strategy",
            "choice",
            "cos",
            help="Shape of each phase.",
            choices=("cos", "linear"),
            source="lr_scheduler.OneCycleLR.__init__: anything else raises ValueError",
        ),
        CYCLE_MOMENTUM,
        _momentum_param("base_momentum", 0.85, "Momentum at the lr's peak."),
        _momentum_param(
            "max_momentum", 0.95, "Momentum at the start and the end (also set at construction)."
        ),
        Param(
            "div_factor",
            "float",
            25.0,
            help="Initial lr = max_lr / div_factor.",
            lo=-INF,
            hi=INF,
            source="lr_scheduler.OneCycleLR.__init__: no check; max_lr / div_factor (0: ZeroDivisionError, refused)",
        ),
        Param(
            "final_div_factor",
            "float",
            1e4,
            help="Final lr = initial lr / final_div_factor.",
            lo=-INF,
            hi=INF,
            source="lr_scheduler.OneCycleLR.__init__: no check; initial_lr / final_div_factor (0: refused)",
        ),
        Param(
            "three_phase",
            "bool",
            False,
            help="Use a third phase: back down to the initial lr symmetrically, "
            "then annihilate to the final lr (fastai's variant is the two-phase default).",
            source="lr_scheduler.OneCycleLR: a flag",
        ),
        LAST_EPOCH,
    )

    def construct(self, args, st, ctx):
        # group['initial_lr'] = max_lr / div_factor (overwritten), max_lr, min_lr; momentum as CyclicLR
        g = ctx.n_groups
        peak = np.asarray(per_group(args["max_lr"], g), dtype=np.float64)
        with np.errstate(all="ignore"):
            st.initial_lr = peak / args["div_factor"]
            st.fields["max_lr"] = peak
            st.fields["min_lr"] = st.initial_lr / args["final_div_factor"]
        _construct_momentum(args, st, g)

    def bind(self, args, st):
        # get_lr reads group["initial_lr"], ["max_lr"], ["min_lr"] (and the momentum keys) at each step:
        # a later OneCycleLR/CyclicLR on the same optimizer overwrote them
        points = {"initial": st.initial_lr, "max": st.fields["max_lr"], "min": st.fields["min_lr"]}
        if args["cycle_momentum"]:
            points["max_m"] = st.fields["max_momentum"]
            points["base_m"] = st.fields["base_momentum"]
        return {**args, "_group": points}

    def check(self, args, ctx, where):
        check_group_lists(self, args, ctx, where)
        for name in ("div_factor", "final_div_factor"):
            if args[name] == 0:
                raise SpecError.bad_value(
                    f"{where}.{name}",
                    0,
                    "nonzero (torch divides by it in its constructor: ZeroDivisionError)",
                )
        if args["total_steps"] is None:
            for name in ("epochs", "steps_per_epoch"):
                if args[name] is not None and args[name] < 1:
                    raise SpecError.bad_value(
                        f"{where}.{name}",
                        args[name],
                        "an integer ≥ 1 (torch raises ValueError without total_steps)",
                    )
        t = _total_steps(args)
        if t is None:
            raise SpecError(
                f"{where}.total_steps is required: give total_steps, or both epochs and steps_per_epoch",
                field=f"{where}.total_steps",
                value=None,
                allowed="an integer ≥ 1, or epochs and steps_per_epoch",
            )
        ends = _phase_ends(args, t)
        k = _first_zero_division(ends, t)
        if k is not None:
            raise SpecError.bad_value(
                f"{where}.pct_start",
                args["pct_start"],
                f"such that no phase has zero length: with {t} total steps torch divides by zero at step {k} "
                "(ZeroDivisionError); change pct_start or total_steps",
            )

    def values(self, args, ctx, k):
        t = _total_steps(args)
        kf = np.asarray(k, dtype=np.float64).reshape(-1)
        order = None
        if kf.size > 1 and not (kf[1:] >= kf[:-1]).all():  # phases are contiguous runs of sorted steps
            order = np.argsort(kf, kind="stable")
            kf = kf[order]
        ends = _phase_ends(args, t)
        starts = [0.0, *ends[:-1]]
        g = ctx.n_groups
        cos = args["anneal_strategy"] == "cos"
        group = args.get("_group")
        with np.errstate(over="ignore", under="ignore"):  # extreme div factors: inf / 0 lrs, as in torch
            if group is not None:
                lr_points = {
                    k: np.asarray(group[k], dtype=np.float64)[:, None] for k in ("initial", "max", "min")
                }
            else:
                peak = group_column(args["max_lr"], ctx)
                initial = peak / args["div_factor"]
                lr_points = {"initial": initial, "max": peak, "min": initial / args["final_div_factor"]}
            lr_table = _phase_table(args, lr_points, _LR_PHASES)
        mom_table = None
        if args["cycle_momentum"]:
            if group is not None:
                mom_points = {
                    "base": np.asarray(group["base_m"], dtype=np.float64)[:, None],
                    "max": np.asarray(group["max_m"], dtype=np.float64)[:, None],
                }
            else:
                mom_points = {
                    "base": group_column(args["base_momentum"], ctx),
                    "max": group_column(args["max_momentum"], ctx),
                }
            mom_table = _phase_table(args, mom_points, _MOM_PHASES)
        # torch picks the first phase with step_num <= end_step (the last phase takes every later step)
        past = int(np.searchsorted(kf, t, side="right"))
        lr = np.empty((g, kf.size))
        lr[:, past:] = np.nan  # torch raises ValueError past total_steps
        mom = None
        if mom_table is not None:
            mom = np.empty((g, kf.size))
            mom[:, past:] = np.nan
        lo = 0
        with np.errstate(all="ignore"):
            for i, (s, e) in enumerate(zip(starts, ends)):
                hi = (
                    past
                    if i == len(ends) - 1
                    else max(lo, min(past, int(np.searchsorted(kf, e, side="right"))))
                )
                if hi > lo:
                    pct = kf[lo:hi] - s
                    pct /= e - s
                    if cos:  # math.cos(math.pi * pct) + 1
                        pct *= np.pi
                        np.cos(pct, out=pct)
                        pct += 1
                    _anneal_phase(lr_table, i, pct, cos, out=lr[:, lo:hi])
                    if mom is not None:
                        _anneal_phase(mom_table, i, pct, cos, out=mom[:, lo:hi])
                lo = hi
        if order is not None:
            inverse = np.empty_like(order)
            inverse[order] = np.arange(order.size)
            lr = lr[:, inverse]
            mom = None if mom is None else mom[:, inverse]
        return Values(lr, mom, momentum_name(ctx))

    closed_in_last_epoch = True

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint, fmt

        total = _total_steps(node.args)
        runs = node.end - node.start
        if doc.plan.stepping == "epoch" and total > 2 * runs:
            yield Lint(
                "onecycle_stepped_per_epoch",
                "error",
                f"OneCycleLR(total_steps={total}) is stepped once per epoch: in {fmt(runs)} epochs it reaches "
                f"step {fmt(runs)} of {total} (it {'never anneals' if runs < total * 0.3 else 'stops mid-way'})",
                f"call scheduler.step() after every batch (stepping='step'), or use total_steps={fmt(runs)}",
                node.path,
            )
        elif total < runs:
            yield Lint(
                "onecycle_past_total",
                "error",
                f"OneCycleLR(total_steps={total}) is stepped {fmt(runs)} times: torch raises ValueError "
                f"('Tried to step {total + 1} times') after step {total}",
                f"use total_steps={fmt(runs)}",
                node.path,
                doc.opt_step(node.start + total),
                explains=("non_finite",),
            )
        elif total > 2 * runs:
            yield Lint(
                "onecycle_too_long",
                "warning",
                f"OneCycleLR(total_steps={total}) but only {fmt(runs)} {doc.unit()} are run: the schedule "
                f"stops at {fmt(100 * runs / total)}% of its cycle",
                f"use total_steps={fmt(runs)}",
                node.path,
            )
        yield from _momentum_above_one(self, node)

    def stated_length(self, args, ctx):
        if args["total_steps"] is not None:
            return int(args["total_steps"])
        if args["epochs"] is not None and args["steps_per_epoch"] is not None:
            return int(args["epochs"]) * int(args["steps_per_epoch"])
        return None

    def markers(self, args, ctx):
        t = _total_steps(args)
        ends = _phase_ends(args, t)
        out = []
        if 0 <= ends[0] < ctx.horizon:
            out.append(Marker(float(ends[0]), "warmup_end", "max_lr"))
        if args["three_phase"] and ends[0] < ends[1] < ctx.horizon:
            out.append(Marker(float(ends[1]), "milestone", "back at the initial lr"))
        if t < ctx.horizon:
            out.append(Marker(float(t), "end", "total_steps: torch raises ValueError past here"))
        return out


_LR_PHASES = {
    False: [("initial", "max"), ("max", "min")],
    True: [("initial", "max"), ("max", "initial"), ("initial", "min")],
}
_MOM_PHASES = {
    False: [("max", "base"), ("base", "max")],
    True: [("max", "base"), ("base", "max"), ("max", "max")],
}


def _momentum_above_one(kind: Kind, node):
    """torch accepts any momentum range (its own tests cycle it between 1 and 22); an optimizer with
    momentum ≥ 1 diverges, and Adam's beta1 ≥ 1 divides by zero in its bias correction."""
    from lrtui.schedules.lint import Lint

    if not kind.drives_momentum_for(node.args):
        return
    values = [*per_group(node.args["base_momentum"], 1), *per_group(node.args["max_momentum"], 1)]
    top = max(float(v) for v in values)
    low = min(float(v) for v in values)
    if top >= 1 or low < 0:
        yield Lint(
            "momentum_out_of_range",
            "error",
            f"{kind.name} drives the momentum/beta1 up to {top:g} (down to {low:g}): momentum ≥ 1 makes SGD "
            "diverge and beta1 ≥ 1 breaks Adam (torch accepts it here, the optimizer would not)",
            "keep base_momentum and max_momentum in [0, 1)",
            node.path,
        )


def _construct_momentum(args, st, g: int) -> None:
    """CyclicLR/OneCycleLR's constructors with cycle_momentum: the groups get max_momentum and
    base_momentum, and the momentum (or beta1) starts at max_momentum."""
    if args["cycle_momentum"]:
        st.fields["max_momentum"] = np.asarray(per_group(args["max_momentum"], g), dtype=np.float64)
        st.fields["base_momentum"] = np.asarray(per_group(args["base_momentum"], g), dtype=np.float64)
        if st.momentum is not None:
            st.momentum = st.fields["max_momentum"].copy()
            st.drives_momentum = True


def _total_steps(args) -> int | None:
    if args["total_steps"] is not None:
        return args["total_steps"]
    if args["epochs"] is not None and args["steps_per_epoch"] is not None:
        return args["epochs"] * args["steps_per_epoch"]
    return None


def _phase_ends(args, t: int) -> list[float]:
    pct = args["pct_start"]
    if args["three_phase"]:
        return [float(pct * t) - 1, float(2 * pct * t) - 2, t - 1]
    return [float(pct * t) - 1, t - 1]


def _phase_table(args, points: dict, phases: dict) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) values per phase: arrays (groups, phases)."""
    rows = phases[args["three_phase"]]
    start = np.concatenate([points[a] for a, _ in rows], axis=1)
    end = np.concatenate([points[b] for _, b in rows], axis=1)
    return start, end


def _anneal_phase(table, i: int, shape: np.ndarray, cos: bool, out: np.ndarray) -> None:
    start, end = table[0][:, i : i + 1], table[1][:, i : i + 1]
    if cos:  # end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        np.multiply((start - end) / 2.0, shape, out=out)
        out += end
    else:  # (end - start) * pct + start
        np.multiply(end - start, shape, out=out)
        out += start


def _first_zero_division(ends: list[float], t: int) -> int | None:
    """The first step in [0, total_steps] where torch's phase length (end − start) is zero, if any."""
    seen = -INF
    for i, end in enumerate(ends):
        start = 0.0 if i == 0 else ends[i - 1]
        upper = INF if i == len(ends) - 1 else end  # the last phase takes every later step
        kmin = 0 if seen == -INF else max(0, math.floor(seen) + 1)
        kmax = t if upper == INF else min(t, math.floor(upper))
        if kmin <= kmax and end - start == 0:
            return kmin
        seen = max(seen, end)
    return None
