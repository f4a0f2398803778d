"""torch's CosineAnnealingLR and CosineAnnealingWarmRestarts.

CosineAnnealingLR is chainable: torch updates lr ← r_k·(lr − η) + η with r_k = c_k / c_{k−1},
c_k = 1 + cos(π·k/T_max), except at k ≡ T_max + 1 (mod 2·T_max) where c_{k−1} = 0 and it adds
(base − η)(1 − cos(π/T_max))/2 instead. It is NOT clamped: after T_max it climbs back to the initial lr at
2·T_max, and so on. The product of the ratios telescopes (torch computes the same c_j in the numerator of
one step and the denominator of the next), so the curve is η + (lr_a − η)·c_k / c_a from the last special
step a (a = 0 with lr_a = base for the first half-cycle — torch's closed form). It agrees with torch's loop
to ~1e-15 on the first half-cycle; on the later rising halves torch's own loop amplifies rounding by up to
~(2·T_max/π)², so the agreement there is ~3e-12·(T_max/1000)²·η/base (measured at η/base ≈ 0.5–1: 3e-12 at
T_max=10³, 2e-10 at 10⁴, 4e-8 at 10⁵). With η above the initial lr (η ≫ lr), torch's r·(lr − η) + η
carries ~1e-14·η of rounding noise that no other operation order reproduces: agreement is then to
~1e-12·η absolute. `step_map` gives the recursive update for composites (as A·lr + B, same caveat).

CosineAnnealingWarmRestarts is absolute (reads base_lrs). Per-step stepping follows its integer T_cur/T_i
recursion; fractional stepping (`step(epoch)` with a float epoch, Context.stepping == "fractional") follows
its log-based formula, including its float quirk: T_0=1, T_mult=10 at epoch 111 gives eta_min instead of a
restart, because log(1000, 10) = 2.9999999999999996.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules.catalogue import Kind, Marker, Values, register
from lrtui.schedules.kinds._torch_common import (
    LAST_EPOCH,
    LR_MAX,
    arange_start,
    arange_view,
    bases,
    every_step,
    int_param,
    int_steps,
)
from lrtui.schedules.params import Param

MAX_MARKERS = 200
ETA_HELP = "Minimum lr (the cosine's floor)."


def _cos_c(k: np.ndarray, t_max: int, out: np.ndarray | None = None) -> np.ndarray:
    """1 + cos(π·k/T_max) with torch's operation order: math.pi * k / T_max (into `out` when given)."""
    x = np.multiply(np.pi, np.asarray(k), dtype=np.float64, out=out)
    if x.ndim == 0:
        return 1 + np.cos(x / t_max)
    x /= t_max
    np.cos(x, out=x)
    x += 1
    return x


@register
class CosineAnnealingLR(Kind):
    name = "CosineAnnealingLR"
    library = "torch"
    summary = (
        "Half a cosine from the initial lr down to eta_min over T_max steps; NOT clamped: it rises again."
    )
    example = "CosineAnnealingLR(T_max=100, eta_min=1e-6)"
    params = (
        int_param(
            "T_max",
            None,
            "Steps of the half cosine (to eta_min). Past T_max torch's lr climbs back up to "
            "the initial lr at 2·T_max.",
            lo=1,
        ),
        Param("eta_min", "float", 0.0, help=ETA_HELP, lo=0, hi=LR_MAX),
        LAST_EPOCH,
    )

    def values(self, args, ctx, k):
        t, eta = args["T_max"], args["eta_min"]
        base = bases(ctx)
        with np.errstate(all="ignore"):
            if ctx.stepping == "fractional":  # step(epoch): torch's closed form at a float epoch
                kf = np.asarray(k, dtype=np.float64).reshape(-1)
                return Values(eta + (base - eta) * _cos_c(kf, t) / 2)
            ki = int_steps(k).reshape(-1)
            n = every_step(ki)
            lr = _chain(ki, n, t, eta, base - eta, base, ctx.n_groups)
            _set_at_zero(lr, ki, n, base)  # the constructor's step keeps the optimizer's lr
            return Values(lr)

    def values_into(self, args, ctx, k, out):
        """values(...).lr written into `out` (groups, len(k)), for every-step integer k."""
        if ctx.stepping == "fractional":
            out[...] = self.values(args, ctx, k).lr
            return
        t, eta = args["T_max"], args["eta_min"]
        base = bases(ctx)
        with np.errstate(all="ignore"):
            ki = int_steps(k).reshape(-1)
            n = every_step(ki)
            lr = _chain(ki, n, t, eta, base - eta, base, ctx.n_groups, out if n is not None else None)
            if lr is not out:
                out[...] = lr
            _set_at_zero(out, ki, n, base)

    def replay_from(self, args, ctx, k, x0, out=None):
        """The recursive curve (step_map's maps) from lr x0 (groups, 1) at counter 0, at the counters k
        (written into `out`, (groups, len(k)), when given)."""
        t, eta = args["T_max"], args["eta_min"]
        with np.errstate(all="ignore"):
            ki = int_steps(k).reshape(-1)
            n = every_step(ki)
            lr = _chain(ki, n, t, eta, x0 - eta, bases(ctx), ctx.n_groups, out)
            if out is not None and lr is not out:
                out[...] = lr
                lr = out
            _set_at_zero(lr, ki, n, x0)
            return lr

    def step_map(self, args, ctx, k):
        t, eta = args["T_max"], args["eta_min"]
        ki = int_steps(k).reshape(-1)
        base = bases(ctx)
        s = arange_start(ki) if ki.size > 1 else None
        with np.errstate(all="ignore"):
            jump = (base - eta) * (1 - math.cos(math.pi / t)) / 2
            if s is None:
                kf = ki.astype(np.float64)
                r = _cos_c(kf, t) / _cos_c(kf - 1, t)
                special = (ki > 0) & ((ki - 1 - t) % (2 * t) == 0)
                # torch: r·(lr − η) + η  ==  r·lr + η·(1 − r)
                a = np.where(ki == 0, 1.0, np.where(special, 1.0, r))
                b = np.where((ki == 0) | special, 0.0, eta * (1 - r))  # 1 − r is exact for r in [½, 2]
                b = np.where(special, jump, b)
                a = np.broadcast_to(a, (ctx.n_groups, ki.size)).astype(np.float64)
                return a, np.broadcast_to(b, (ctx.n_groups, ki.size)).astype(np.float64)
            # Consecutive steps s..s+n−1 (every step, or a composite's range): c once over s−1..s+n−1,
            # r_k = c_k / c_{k−1}; step 0 and the special steps k = T_max + 1 + 2·T_max·j (where c_{k−1} = 0)
            # are slices.
            n = ki.size
            c = _cos_c(np.arange(s - 1, s + n), t)
            r = np.divide(c[1:], c[:-1])
            b = np.zeros(n) if eta == 0 else np.multiply(np.subtract(1.0, r), eta)
            if s == 0:
                r[0] = 1.0
                b[0] = 0.0
            first = t + 1 + 2 * t * max(0, -(-(max(s, 1) - t - 1) // (2 * t)))  # the first special k ≥ s
            r[first - s :: 2 * t] = 1.0
            g = ctx.n_groups
            a2 = r[None, :] if g == 1 else np.repeat(r[None, :], g, axis=0)
            b2 = np.repeat(b[None, :], g, axis=0) if g > 1 else b[None, :]
            b2[:, first - s :: 2 * t] = jump
            return a2, b2

    def stated_length(self, args, ctx):
        return int(args["T_max"])

    def markers(self, args, ctx):
        t = args["T_max"]
        out = (
            [Marker(float(t), "end", "T_max: torch's cosine rises again after this")]
            if t < ctx.horizon
            else []
        )
        out += [
            Marker(float(m), "restart", "back at the initial lr")
            for m in range(2 * t, ctx.horizon, 2 * t)[:MAX_MARKERS]
        ]
        return out


def _set_at_zero(lr: np.ndarray, ki: np.ndarray, n: int | None, value: np.ndarray) -> None:
    """lr[:, j] = value where ki[j] == 0 (just column 0 when ki is every step 0..n−1)."""
    if n is not None:
        lr[:, 0] = value[:, 0]
    else:
        lr[:, ki == 0] = value


def _chain(
    ki: np.ndarray,
    n: int | None,
    t: int,
    eta: float,
    d0: np.ndarray,
    base: np.ndarray,
    g: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """torch's chained cosine lr at the steps ki ≥ 0, from lr = eta + d0 (d0: (groups, 1)) at step 0
    (values at ki == 0 are left to the caller): lr = eta + w·c_k with w = d0/2 on the first half-cycle
    (torch's closed form) and w = (lr_a − eta)/c_a after the special step a = T_max + 1 + 2·T_max·(j − 1)
    of segment j ≥ 1, where lr_a = (the curve's floor, identical in every cycle) + the jump, which torch
    computes from the scheduler's base lrs. Every step: written into `out` when given (rows contiguous)."""
    # One group, every step, into `out`: c is computed in out's own memory and scaled there (no second
    # 8 MB array per 1M steps).
    c = _cos_c(ki, t, out[0] if out is not None and g == 1 and n is not None else None)
    top = int(ki.max()) if ki.size else 0
    segments = 1 + max(0, (top - t - 1) // (2 * t) + 1)
    w = np.empty((g, segments))
    w[:, :1] = d0 / 2
    if segments == 1:  # within the first half-cycle: the closed form
        lr = w * c if g > 1 else np.multiply(c, w[0, 0], out=c)[None, :]
        lr += eta
        return lr
    floor = eta + d0 * _cos_c(np.float64(t), t) / 2
    lr_a = floor + (base - eta) * (1 - math.cos(math.pi / t)) / 2
    # c at the special steps (already computed when every step is evaluated)
    c_a = c[t + 1 :: 2 * t] if n is not None else _cos_c(t + 1 + 2 * t * np.arange(segments - 1), t)
    w[:, 1:] = (lr_a - eta) / c_a
    if n is None:
        lr = w[:, (ki - t - 1) // (2 * t) + 1] * c  # segment of each step (0 up to T_max)
        lr += eta
        return lr
    # Every step: scale each segment's slice in place (whole segments of 2·T_max as one 2-D view).
    if out is not None:
        lr = out
    else:
        lr = c[None, :] if g == 1 else np.empty((g, n))
    full = segments - 2  # segments between the first and the last
    mid = slice(t + 1, t + 1 + 2 * t * full)
    for gi in range(g):
        row = lr[gi]
        np.multiply(c[: t + 1], w[gi, 0], out=row[: t + 1])
        if full:
            np.multiply(c[mid].reshape(full, 2 * t), w[gi, 1:-1, None], out=row[mid].reshape(full, 2 * t))
        np.multiply(c[mid.stop :], w[gi, -1], out=row[mid.stop :])
    lr += eta
    return lr


def _restarts(t0: int, t_mult: int, limit: float, cap: int = 100_000) -> list[int]:
    """Steps at which a new cycle starts (after 0), up to `limit`: T_0, T_0 + T_0·T_mult, ..."""
    if t_mult == 1:
        return list(range(t0, int(limit) + 1, t0)[:cap])
    out, s, ti = [], 0, t0
    while s + ti <= limit and len(out) < cap:
        s += ti
        out.append(s)
        ti *= t_mult
    return out


@register
class CosineAnnealingWarmRestarts(Kind):
    name = "CosineAnnealingWarmRestarts"
    library = "torch"
    summary = "Cosine from the initial lr to eta_min over T_0 steps, then restart; each cycle T_mult× longer."
    example = "CosineAnnealingWarmRestarts(T_0=10, T_mult=2, eta_min=1e-5)"
    params = (
        int_param("T_0", None, "Steps of the first cycle.", lo=1),
        int_param(
            "T_mult", 1, "Each cycle is T_mult times longer than the previous one (an integer ≥ 1).", lo=1
        ),
        Param("eta_min", "float", 0.0, help=ETA_HELP, lo=0, hi=LR_MAX),
        LAST_EPOCH,
    )

    def values(self, args, ctx, k):
        t0, tm, eta = args["T_0"], args["T_mult"], args["eta_min"]
        base = bases(ctx)
        with np.errstate(all="ignore"):
            if ctx.stepping == "fractional":
                t_cur, t_i = _fractional_position(np.asarray(k, dtype=np.float64).reshape(-1), t0, tm)
                return Values(_cawr(base, eta, t_cur, t_i))
            ki = int_steps(k).reshape(-1)
            n = every_step(ki)
            if n is not None and n > 0:
                # Every step from 0, cycle by cycle (T_mult = 1: one cycle, tiled — the values repeat exactly).
                if tm == 1:
                    one = _cawr(base, eta, np.arange(min(t0, n)), float(t0))
                    reps = -(-n // one.shape[1])
                    return Values(
                        np.stack([np.broadcast_to(row, (reps, row.size)).reshape(-1)[:n] for row in one])
                    )
                x = np.empty(n)  # math.pi * T_cur / T_i, cycle by cycle, then one cos over all of it
                for start, length in zip([0, *_restarts(t0, tm, n - 1)], _lengths(t0, tm)):
                    part = x[start : min(n, start + int(length))]
                    np.multiply(np.pi, arange_view(part.size), out=part)
                    part /= length
                return Values(_cawr_from_angle(base, eta, x))
            t_cur, t_i = _integer_position(ki, t0, tm)
            return Values(_cawr(base, eta, t_cur, t_i))

    def markers(self, args, ctx):
        rs = _restarts(args["T_0"], args["T_mult"], ctx.horizon - 1, MAX_MARKERS)
        return [Marker(float(s), "restart", "warm restart") for s in rs]


def _cawr(base: np.ndarray, eta: float, t_cur, t_i) -> np.ndarray:
    """torch: eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2."""
    x = np.multiply(np.pi, t_cur, dtype=np.float64)
    x /= t_i
    return _cawr_from_angle(base, eta, x)


def _cawr_from_angle(base: np.ndarray, eta: float, x: np.ndarray) -> np.ndarray:
    """The same from the angle x = math.pi * T_cur / T_i (overwritten; the result for one group)."""
    np.cos(x, out=x)
    x += 1
    if base.shape[0] == 1 and x.ndim == 1:
        x *= base[0, 0] - eta  # (base_lr - eta_min) * (1 + cos), in place
        x /= 2
        x += eta
        return x[None, :]
    out = (base - eta) * x
    out /= 2
    out += eta
    return out


def _lengths(t0: int, tm: int):
    """T_i of cycle 0, 1, 2, ... as floats (Python ints first: exact, then rounded like torch's division)."""
    i = 0
    while True:
        yield float(t0 * tm**i)
        i += 1


def _integer_position(ki: np.ndarray, t0: int, tm: int) -> tuple[np.ndarray, np.ndarray]:
    """(T_cur, T_i) after k plain step() calls: T_cur += 1; on T_cur ≥ T_i: T_cur -= T_i, T_i *= T_mult."""
    if tm == 1:
        return (ki % t0).astype(np.float64), np.full(ki.shape, float(t0))
    top = int(ki.max()) if ki.size else 0
    starts = [0, *_restarts(t0, tm, top)]
    lengths = [float(t0 * tm**i) for i in range(len(starts))]  # Python ints: exact, then rounded like torch
    cycle = np.searchsorted(np.asarray(starts, dtype=np.int64), ki, side="right") - 1
    t_cur = (ki - np.asarray(starts, dtype=np.int64)[cycle]).astype(np.float64)
    return t_cur, np.asarray(lengths)[cycle]


def _fractional_position(epoch: np.ndarray, t0: int, tm: int) -> tuple[np.ndarray, np.ndarray]:
    """(T_cur, T_i) for step(epoch) with a float epoch, operation by operation as torch computes them."""
    epoch = np.where(np.isfinite(epoch) & (epoch >= 0), epoch, 0.0)
    before = epoch < t0
    if tm == 1:
        return np.where(before, epoch, np.mod(epoch, t0)), np.full(epoch.shape, float(t0))
    # n = int(math.log(epoch / T_0 * (T_mult - 1) + 1, T_mult)); numpy's log may differ from libm's by an
    # ulp, which only matters where the quotient is (nearly) an integer: redo those with math.log.
    x = epoch / t0 * (tm - 1) + 1
    y = np.log(x) / math.log(tm)
    near = np.abs(y - np.round(y)) <= 1e-9 * np.maximum(1.0, np.abs(y))
    near &= ~before
    if near.any():
        idx = np.flatnonzero(near)
        y[idx] = [math.log(v, tm) for v in x[idx].tolist()]
    n = np.where(before, 0, np.trunc(y)).astype(np.int64)
    n = np.maximum(n, 0)
    top = int(n.max()) if n.size else 0
    # T_cur = epoch - T_0 * (T_mult**n - 1) / (T_mult - 1); T_i = T_0 * T_mult**n (Python ints, exact)
    offsets = np.array([t0 * (tm**i - 1) / (tm - 1) for i in range(top + 1)])
    lengths = np.array([float(t0 * tm**i) for i in range(top + 1)])
    t_cur = np.where(before, epoch, epoch - offsets[n])
    t_i = np.where(before, float(t0), lengths[n])
    return t_cur, t_i
