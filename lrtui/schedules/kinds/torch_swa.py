"""torch.optim.swa_utils.SWALR: anneal every group's lr to swa_lr, then hold it (stochastic weight averaging).

Read from torch 2.14 `torch/optim/swa_utils.py`. Its get_lr counts `step = _step_count - 1` (0 for the
constructor's step; `max(1, step)` when anneal_epochs == 0) and, each step, *reconstructs* the lr the
anneal started from out of the current one:

    prev_alpha = f(clamp((step - 1) / max(1, anneal_epochs), 0, 1)),  alpha = f(clamp(step / ..., 0, 1))
    prev_lr = swa_lr if prev_alpha == 1 else (lr - prev_alpha * swa_lr) / (1 - prev_alpha)
    lr = swa_lr * alpha + prev_lr * (1 - alpha)          f = (1 - cos(pi * t)) / 2, or t (linear)

so it anneals from whatever lr it finds — the lr another scheduler left at the switch (the SWA pattern,
`SwitchLR([..., SWALR(...)], milestones=[...])`) — and from anneal_epochs on the lr is swa_lr exactly. The
constructor writes swa_lr into every group (`group["swa_lr"]`), which get_lr reads: with two SWALRs on one
optimizer, both use the last one's. The update is data (`ops.Ops`: c = swa·α', q = 1 − α', a = 1 − α,
d = swa·α), replayed exactly.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules.catalogue import Kind, Marker, Values, register
from lrtui.schedules.kinds._torch_common import (
    INT_MAX,
    LAST_EPOCH,
    check_group_lists,
    every_step,
    group_column,
    int_steps,
)
from lrtui.schedules.params import Param, per_group


@register
class SWALR(Kind):
    name = "SWALR"
    library = "torch"
    torch_path = "torch.optim.swa_utils.SWALR"
    summary = (
        "SWA's schedule: anneal every group's lr to swa_lr over anneal_epochs steps (cos or linear), "
        "from whatever lr it finds, then hold swa_lr."
    )
    example = 'SWALR(swa_lr=0.05, anneal_epochs=10, anneal_strategy="cos")'
    params = (
        Param(
            "swa_lr",
            "float",
            help="The lr annealed to and then held (one per param group allowed).",
            lo=-math.inf,
            hi=math.inf,
            per_group=True,
            source="swa_utils.SWALR.__init__: _format_param (a list needs one per group); no range check",
        ),
        Param(
            "anneal_epochs",
            "int",
            10,
            help="Steps of the anneal (0: swa_lr at once, from the constructor on).",
            lo=0,
            hi=INT_MAX,
            source="swa_utils.SWALR.__init__: `not isinstance(anneal_epochs, int) or anneal_epochs < 0` raises ValueError",
        ),
        Param(
            "anneal_strategy",
            "choice",
            "cos",
            help="Shape of the anneal.",
            choices=("cos", "linear"),
            source="swa_utils.SWALR.__init__: anything else raises ValueError",
        ),
        LAST_EPOCH,
    )

    def check(self, args, ctx, where):
        check_group_lists(self, args, ctx, where)

    def leaf(self, bound, ctx, path):
        from lrtui.schedules.program import StepCountLeaf

        return StepCountLeaf(bound, ctx, path)

    def construct(self, args, st, ctx):
        st.fields["swa_lr"] = np.asarray(per_group(args["swa_lr"], ctx.n_groups), dtype=np.float64)

    def bind(self, args, st):
        # get_lr reads group["swa_lr"]: the last SWALR built on the optimizer wrote it
        return {**args, "swa_lr": tuple(float(v) for v in st.fields["swa_lr"])}

    def alphas(self, args, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(prev_alpha, alpha) at get_lr's `step` values s (torch's operations)."""
        a = args["anneal_epochs"]
        s = np.asarray(s, dtype=np.int64)
        if a == 0:
            s = np.maximum(s, 1)
        span = float(max(1, a))
        prev_t = np.clip((s - 1) / span, 0, 1)
        t = np.clip(s / span, 0, 1)
        if args["anneal_strategy"] == "cos":
            return (1 - np.cos(math.pi * prev_t)) / 2, (1 - np.cos(math.pi * t)) / 2
        return prev_t, t

    def step_ops(self, args, ctx, k):
        from lrtui.schedules.ops import Ops

        k = np.asarray(k, dtype=np.int64).reshape(-1)
        g, n = ctx.n_groups, k.size
        swa = group_column(args["swa_lr"], ctx)
        with np.errstate(all="ignore"):
            prev, alpha = self.alphas(args, k)
            held = prev == 1  # _get_initial_lr returns swa_lr: the lr no longer matters
            c = swa * prev[None, :]  # prev_alpha * swa_lr
            q = np.broadcast_to((1 - prev)[None, :], (g, n))
            a = np.broadcast_to((1 - alpha)[None, :], (g, n))
            d = swa * alpha[None, :]  # swa_lr * alpha
            fixed = d + swa * a
        return Ops(n, a=a, c=c, q=q, d=d, fixed=fixed, fixed_at=held)

    def replay(self, args, ctx, k, x0, out):
        """From get_lr's step anneal_epochs + 1 on, prev_alpha is 1 and the lr the same constant at every
        step (swa_lr·α + swa_lr·(1 − α), α = 1): the ops of the anneal only, then that value copied."""
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        cut = int(np.searchsorted(k, max(1, args["anneal_epochs"]) + 1))
        if cut >= k.size - 1 or np.any(np.diff(k[cut:]) < 0):
            return super().replay(args, ctx, k, x0, out)
        if cut:
            super().replay(args, ctx, k[:cut], x0, out[:, :cut])
        out[:, cut:] = self.step_ops(args, ctx, k[cut : cut + 1]).fixed[:, :1]

    def values(self, args, ctx, k):
        from lrtui.schedules.ops import replay

        ki = int_steps(k).reshape(-1)
        every = every_step(ki)
        n = every or (int(ki.max()) + 1 if ki.size else 0)
        lr = np.empty((ctx.n_groups, n))
        if n:
            x0 = np.asarray(ctx.base_lrs, dtype=np.float64)
            lr[:, :1] = replay(self.initial_ops(args, ctx, 0), x0)
            if n > 1:
                self.replay(args, ctx, np.arange(1, n), lr[:, 0], lr[:, 1:])
        return Values(lr if every is not None else lr[:, ki])

    def holds_flat(self, args):
        return True  # swa_lr, held

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint, fmt

        a = node.args
        swalrs = [n for n in doc.nodes if n.kind is self]
        if len(swalrs) > 1 and swalrs[-1] is node:
            yield Lint(
                "swa_lr_shared",
                "warning",
                f"{len(swalrs)} SWALRs on one optimizer: torch stores swa_lr in the optimizer's groups, so every "
                f"one anneals to the last one's swa_lr ({a['swa_lr']})",
                "use one SWALR (its swa_lr may be a list: one value per param group)",
                node.path,
            )
        swa = [float(v) for v in per_group(a["swa_lr"], doc.ctx.n_groups)]
        if doc.plan.stepping == "step" and 0 < a["anneal_epochs"] < 100 and node.parent is not None:
            yield Lint(
                "swa_anneal_in_steps",
                "info",
                f"anneal_epochs={a['anneal_epochs']} counts SWALR's step() calls: stepped every batch here, the "
                f"anneal lasts {a['anneal_epochs']} batches (the SWA recipe steps SWALR once per epoch)",
                "step the plan per epoch (stepping='epoch'), or give anneal_epochs in batches",
                node.path,
            )
        if any(s > lr for s, lr in zip(swa, doc.ctx.base_lrs)) and node.parent is None:
            yield Lint(
                "swa_lr_above_lr",
                "info",
                f"swa_lr={fmt(max(swa))} is above the optimizer's lr: SWALR anneals the lr up to it",
                "SWA usually anneals down to a constant lr below the training lr",
                node.path,
            )

    def markers(self, args, ctx):
        a = args["anneal_epochs"]
        return [Marker(float(a), "end", "swa_lr reached")] if 0 < a < ctx.horizon else []


__all__ = ["SWALR"]
