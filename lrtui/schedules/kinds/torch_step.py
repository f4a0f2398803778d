"""torch's StepLR: the reference example of a kind (metadata + closed vectorised values + markers)."""

from __future__ import annotations

import numpy as np

from lrtui.schedules.catalogue import Kind, Marker, Values, register
from lrtui.schedules.params import Param


@register
class StepLR(Kind):
    name = "StepLR"
    library = "torch"
    summary = "Multiply the LR by gamma every step_size steps."
    example = "StepLR(step_size=30, gamma=0.1)"
    params = (
        Param("step_size", "int", help="Period of LR decay, in scheduler steps.", lo=1),
        Param("gamma", "float", 0.1, help="Multiplicative factor of LR decay.", lo=0, lo_open=True),
    )

    def values(self, args, ctx, k):
        base = np.asarray(ctx.base_lrs, dtype=np.float64)[:, None]
        # torch's recursive form multiplies by gamma at each multiple of step_size; gamma**n matches it to ~1e-15.
        return Values(base * args["gamma"] ** (np.asarray(k) // args["step_size"]))

    def markers(self, args, ctx):
        s = args["step_size"]
        return [Marker(float(m), "milestone", f"×{args['gamma']:g}") for m in range(s, ctx.horizon, s)][:200]

    def step_map(self, args, ctx, k):
        # Recursive form: lr * gamma when k > 0 and k % step_size == 0, else unchanged.
        k = np.asarray(k)
        a = np.where((k > 0) & (k % args["step_size"] == 0), args["gamma"], 1.0)
        a = np.broadcast_to(a, (ctx.n_groups, len(k))).astype(np.float64)
        return a, np.zeros_like(a)
