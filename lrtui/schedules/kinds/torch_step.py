"""torch's StepLR: the reference example of a kind (metadata + vectorised values + markers).

Its update is multiplicative (lr * gamma at every multiple of step_size), so it is replayed exactly as torch
does it (`MultiplicativeKind`: a left-to-right running product); fractional stepping uses torch's closed form.
"""

from __future__ import annotations

import numpy as np

from lrtui.schedules import libm
from lrtui.schedules.catalogue import Marker, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import ANY, INT_MAX, LAST_EPOCH, MultiplicativeKind, bases
from lrtui.schedules.params import Param


@register
class StepLR(MultiplicativeKind):
    name = "StepLR"
    library = "torch"
    summary = "Multiply the LR by gamma every step_size steps."
    example = "StepLR(step_size=30, gamma=0.1)"
    params = (
        Param(
            "step_size",
            "int",
            help="Period of LR decay, in scheduler steps (a negative one acts as its absolute value).",
            lo=-INT_MAX,
            hi=INT_MAX,
            source="lr_scheduler.StepLR.get_lr: `last_epoch % step_size` (0: ZeroDivisionError at step 1, "
            "refused); no other check",
        ),
        Param(
            "gamma",
            "float",
            0.1,
            help="Multiplicative factor of LR decay.",
            **ANY,
            source="lr_scheduler.StepLR: no check (lr * gamma)",
        ),
        LAST_EPOCH,
    )

    def check(self, args, ctx, where):
        if args["step_size"] == 0:
            raise SpecError.bad_value(
                f"{where}.step_size",
                0,
                "a nonzero integer (torch raises ZeroDivisionError at the first step)",
            )

    def factor(self, args, ctx, k):
        # Recursive form: lr * gamma when k > 0 and k % step_size == 0, else unchanged.
        k = np.asarray(k)
        return np.where((k > 0) & (k % args["step_size"] == 0), args["gamma"], 1.0)

    def change_points(self, args, ctx, n):
        s = abs(args["step_size"])  # k % s == 0 exactly when k % |s| == 0
        return np.arange(s, n, s)

    def closed_form(self, args, ctx, k):
        # gamma > 1 overflows to inf (and gamma < 1 underflows to 0) after enough periods, as in torch.
        with np.errstate(over="ignore", under="ignore"):
            # base_lr * gamma ** (last_epoch // step_size), pow as Python computes it
            return bases(ctx) * libm.powers_of(args["gamma"], np.floor_divide(k, args["step_size"]))

    def markers(self, args, ctx):
        s = abs(args["step_size"])
        return [Marker(float(m), "milestone", f"×{args['gamma']:g}") for m in range(s, ctx.horizon, s)[:200]]
