"""torch's CosineAnnealingLR and CosineAnnealingWarmRestarts.

CosineAnnealingLR is chainable: at step k torch updates lr ← r_k·(lr − η) + η with
r_k = c_k / c_{k−1}, c_k = 1 + cos(π·k/T_max), except at k ≡ T_max + 1 (mod 2·T_max) (the "restart" steps,
where c_{k−1} = 0) where it adds the jump (base − η)(1 − cos(π/T_max))/2. It is NOT clamped: after T_max it
climbs back to the initial lr at 2·T_max, and so on. The curve is that recursion, replayed exactly
(`_exact_row`, bit for bit torch's loop — the recursion amplifies rounding on the rising halves, so no
closed form reproduces it): between restart steps it is a running product of u = lr − η (computed by
np.multiply.accumulate, row by row, all rows at once), where rounding lr = u + η back and forth changes u
(rare unless η is comparable to the lr) the row is continued from the corrected value; the rows' start
values are solved by iterating to the fixed point (each row's start depends only weakly on the one before).
Fractional stepping (`step(epoch)`) uses torch's closed form.

CosineAnnealingWarmRestarts is absolute (reads base_lrs). Per-step stepping follows its integer T_cur/T_i
recursion; fractional stepping (`step(epoch)` with a float epoch, Context.stepping == "fractional") follows
its log-based formula, including its float quirk: T_0=1, T_mult=10 at epoch 111 gives eta_min instead of a
restart, because log(1000, 10) = 2.9999999999999996.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules.catalogue import Abandon, Draft, Kind, Marker, Values, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import (
    INT_MAX,
    LAST_EPOCH,
    arange_from,
    arange_view,
    bases,
    every_step,
    float_arange_view,
    int_param,
    int_steps,
)
from lrtui.schedules.params import Param

MAX_MARKERS = 200


def _eta_min(source: str) -> Param:
    return Param(
        "eta_min",
        "float",
        0.0,
        help="Minimum lr (the cosine's floor).",
        lo=-math.inf,
        hi=math.inf,
        source=source,
    )


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
            "the initial lr at 2·T_max. A negative T_max acts as its absolute value (cos is even).",
            lo=-INT_MAX,
            source="lr_scheduler.CosineAnnealingLR: no check; 0 divides by zero at the first step (refused)",
        ),
        _eta_min("lr_scheduler.CosineAnnealingLR: no check"),
        LAST_EPOCH,
    )

    def check(self, args, ctx, where):
        if args["T_max"] == 0:
            raise SpecError.bad_value(
                f"{where}.T_max", 0, "a nonzero integer (torch divides by T_max: ZeroDivisionError at step 1)"
            )

    def closed_form(self, args, ctx, k):
        # torch's _get_closed_form_lr: eta_min + (base_lr - eta_min) * (1 + cos(pi * k / T_max)) / 2
        t, eta = abs(args["T_max"]), args["eta_min"]
        return eta + (bases(ctx) - eta) * _cos_c(np.asarray(k, dtype=np.float64), t) / 2

    def values(self, args, ctx, k):
        with np.errstate(all="ignore"):
            if ctx.stepping == "fractional":  # step(epoch): torch's closed form at a float epoch
                kf = np.asarray(k, dtype=np.float64).reshape(-1)
                return Values(self.closed_form(args, ctx, kf))
            ki = int_steps(k).reshape(-1)
            n = every_step(ki)
            m = n if n is not None else (int(ki.max()) + 1 if ki.size else 0)
            base = bases(ctx)
            lr = np.empty((ctx.n_groups, m))
            if m:
                lr[:, 0] = base[:, 0]  # the constructor's step keeps the optimizer's lr
                if m > 1:
                    self.replay(args, ctx, arange_from(1, m - 1), base[:, 0], lr[:, 1:])
            return Values(lr if n is not None else lr[:, ki])

    def initial_ops(self, args, ctx, k):
        from lrtui.schedules.ops import Ops

        return Ops(1)  # `if self._is_initial`: the lr is kept (at any last_epoch)

    def step_ops(self, args, ctx, k):
        """ratio · (lr − η) + η, or lr + jump at the restart steps (k = 0: a step() outside the
        constructor, which torch computes like any other)."""
        from lrtui.schedules.ops import Ops

        t, eta = abs(args["T_max"]), args["eta_min"]
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        g = ctx.n_groups
        with np.errstate(all="ignore"):
            r, sp = _ratios(k, t)
            special = np.zeros(k.size, dtype=bool)
            special[sp] = True
            a = np.where(special, 1.0, r)[None, :]
            jump = _jump(bases(ctx), eta, t)
            d = np.where(special[None, :], jump, eta if eta else 0.0)
            c = None if eta == 0 else np.where(special, 0.0, eta)[None, :]
        return Ops(k.size, a=a, c=c, d=np.broadcast_to(d, (g, k.size)))

    def replay(self, args, ctx, k, x0, out):
        t, eta = abs(args["T_max"]), args["eta_min"]
        k = np.asarray(k, dtype=np.int64).reshape(-1)
        with np.errstate(all="ignore"):
            r, sp = _ratios(k, t, ctx.abandon)
            jump = _jump(bases(ctx), eta, t)[:, 0]
            x0 = np.broadcast_to(np.asarray(x0, dtype=np.float64).reshape(-1), (ctx.n_groups,))
            for gi in range(ctx.n_groups):
                _exact_row(r, sp, float(x0[gi]), float(eta), float(jump[gi]), out[gi], ctx.draft, ctx.abandon)

    def lints(self, node, doc):
        """T_max ≠ the steps the cosine runs (total − warmup inside a SequentialLR): rises again or stops early."""
        from lrtui.schedules.lint import Lint, fmt

        parent = node.parent
        if parent is not None and not parent.kind.children_in_turn:
            return  # stepped together with others: its length is theirs too
        t_max = abs(node.args["T_max"])
        runs = int(node.end - node.start)
        if runs <= 0 or t_max == runs:
            return
        if runs > t_max:
            up_at = node.start + t_max
            yield Lint(
                "cosine_rises_after_t_max",
                "warning",
                f"CosineAnnealingLR(T_max={t_max}) runs for {runs} {doc.unit()}: after {fmt(up_at)} torch's lr "
                f"climbs back up (to the initial lr at {fmt(node.start + 2 * t_max)}); it is not clamped",
                f"use T_max={runs} (the {doc.unit()} it runs), or CosineAnnealingWarmRestarts for intended "
                "restarts",
                node.path,
                doc.opt_step(up_at),
            )
            return
        down = 100 * (1 - math.cos(math.pi * runs / t_max)) / 2
        if parent is not None and node.start > 0:
            yield Lint(
                "t_max_ignores_warmup",
                "warning",
                f"T_max={t_max} but warmup is {fmt(node.start)} of {fmt(node.end)} {doc.unit()}: the cosine runs "
                f"{runs} and stops {fmt(down)}% of the way down",
                f"use T_max={runs}",
                node.path,
                doc.opt_step(node.end),
            )
        else:
            yield Lint(
                "cosine_cut_short",
                "info",
                f"CosineAnnealingLR(T_max={t_max}) only runs {runs} {doc.unit()} here: it ends {fmt(down)}% of "
                "the way down to eta_min",
                f"use T_max={runs} to finish the decay within the run",
                node.path,
            )

    def stated_length(self, args, ctx):
        return abs(int(args["T_max"]))  # torch's period is |T_max| (a negative T_max runs the same cosine)

    def markers(self, args, ctx):
        t = abs(args["T_max"])
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


def _ratios(k: np.ndarray, t: int, abandon: Abandon | None = None) -> tuple[np.ndarray, np.ndarray]:
    """r_k = (1 + cos(π·k/T)) / (1 + cos(π·(k−1)/T)) for consecutive k (torch's operations), and the
    indices (into k) of the restart steps k ≡ T + 1 (mod 2T) (Python's modulo: right for k = 0, T = 1)."""
    if k.size == 0:
        return np.empty(0), np.zeros(0, dtype=np.int64)
    k0, n = int(k[0]), k.size
    if k0 >= 1:  # the shared float 0..N view: no int-to-float conversion pass
        ks = float_arange_view(k0 + n)[k0 - 1 :]
    else:
        ks = np.arange(k0 - 1, k0 + n, dtype=np.float64)
    r = np.empty(n)
    buf = np.empty(min(n, _CHUNK) + 1)  # c over a chunk, in cache
    for a in range(0, n, _CHUNK):
        if abandon is not None:
            abandon.check()
        b = min(n, a + _CHUNK)
        c = _cos_c(ks[a : b + 1], t, out=buf[: b - a + 1])
        np.divide(c[1:], c[:-1], out=r[a:b])
    first = k0 + (t + 1 - k0) % (2 * t)  # the first restart step ≥ k0
    return r, np.arange(first - k0, n, 2 * t, dtype=np.int64)


def _jump(base: np.ndarray, eta: float, t: int) -> np.ndarray:
    """(base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2, per group (groups, 1)."""
    return (base - eta) * (1 - math.cos(math.pi / t)) / 2


_WINDOW = 48  # positions looped in Python after a rounding correction (they come in clusters)
_CHUNK = 1 << 15  # values per block of rows in _rows (256 KB: in cache)
_PY_CHUNK = 1 << 12  # steps of the Python loop between checks of an Abandon (~0.5 ms)


def _exact_row(
    r: np.ndarray,
    sp: np.ndarray,
    x0: float,
    eta: float,
    jump: float,
    out: np.ndarray,
    draft: Draft | None = None,
    abandon: Abandon | None = None,
) -> None:
    """torch's loop for one group from lr x0: out[i] = x + jump at the special positions sp (increasing),
    else r[i]·(x − η) + η. With a `draft` the rounding corrections (a Python loop where they are dense: a
    rising half with η ≠ 0, ~0.1 µs a step) are skipped and the draft marked taken; that loop checks
    `abandon` every _PY_CHUNK steps.

    u = x − η evolves as a product between special steps (rounding x = u + η and back is exact unless
    η matters at u's precision: those positions are corrected and their row continued). Rows start at
    the special steps; their start values are solved as a fixed point (then checked exactly)."""
    n = r.size
    if n == 0:
        return
    starts, ends = _RowStarts(sp), _RowEnds(sp, n)  # row j's positions (no 100,000-item lists)
    f = np.empty(n + 1)  # f[0] = u before position 0; f[1 + i] = u after position i (rows fill their part)
    f[0] = x0 - eta
    x = out
    x_sp = np.empty(sp.size)  # lr at each special step

    def row(j: int) -> None:
        """Row j: positions starts[j]..ends[j]-1 (row 0 from x0; row j ≥ 1 from its special step)."""
        s, e = starts[j], ends[j]
        if j == 0:
            seg = f[0 : 1 + e]
            seg[1:] = r[:e]
        else:
            seg = f[1 + s : 1 + e]
            seg[1:] = r[s + 1 : e]
            seg[0] = x_sp[j - 1] - eta
        np.multiply.accumulate(seg, out=seg)
        _finish(j, s, e)

    def _finish(j: int, s: int, e: int) -> None:
        lo = s if j == 0 else s + 1  # positions computed by u = r·u
        if e > lo:
            np.add(f[1 + lo : 1 + e], eta, out=x[lo:e])
            if eta != 0.0:
                if draft is None:
                    _fix_rounding(lo, e)
                else:
                    draft.taken = True
        if j > 0:
            x[s] = x_sp[j - 1]

    def _fix_rounding(lo: int, e: int) -> None:
        """Where x − η ≠ u (η matters at u's precision), torch's next u is x − η. Such positions cluster
        where lr − η is small (near the cosine's floor): loop a window from the first one in Python,
        continue the product vectorised from there, check again."""
        window = _WINDOW
        while lo < e:
            if abandon is not None:
                abandon.check()
            bad = np.flatnonzero((x[lo:e] - eta) != f[1 + lo : 1 + e])
            if bad.size == 0:
                return
            i = lo + int(bad[0])
            # corrections right after a window: they are dense here (η near the lr): longer windows
            window = 2 * window if i < lo + window else _WINDOW
            stop = min(e, i + 1 + window)
            _python(i, stop)
            if stop < e:
                seg = f[stop : 1 + e]  # from u at stop - 1
                seg[1:] = r[stop:e]
                np.multiply.accumulate(seg, out=seg)
                np.add(f[1 + stop : 1 + e], eta, out=x[stop:e])
            lo = stop

    def _python(i: int, stop: int) -> None:
        """Positions i+1..stop-1 from the exact x[i], torch's loop."""
        u = float(x[i] - eta)
        f[1 + i] = u
        xs, us = [], []
        for a in range(i + 1, stop, _PY_CHUNK):
            if abandon is not None:
                abandon.check()
            for ri in r[a : min(stop, a + _PY_CHUNK)].tolist():
                xi = ri * u + eta
                u = xi - eta
                xs.append(xi)
                us.append(u)
        if xs:
            x[i + 1 : stop] = xs
            f[2 + i : 1 + stop] = us

    nrows = sp.size + 1
    # row 0 is exact (it starts from x0); every special step's value needs the row before it
    row(0)
    if sp.size == 0:
        return
    # guesses: the cosine's floor is η (c = 0 there, mostly exactly); the first special follows row 0
    x_sp[:] = eta + jump
    x_sp[0] = (x[sp[0] - 1] if sp[0] > 0 else x0) + jump
    if eta != 0.0:
        _guess_starts(sp, r, x_sp, eta, jump)
    todo = np.arange(1, nrows)
    for _ in range(8):  # fixed-point iterations over the rows' start values
        _rows(todo, row, starts, ends, sp, f, r, x_sp, eta, x, _finish)
        prev = np.where(sp > 0, x[np.maximum(sp - 1, 0)], x0)
        new = prev + jump
        changed = np.flatnonzero(new != x_sp)
        if changed.size == 0:
            return
        x_sp[changed] = new[changed]
        todo = changed + 1  # rows starting at those specials
    # still moving: the rows from the first unsettled one, in order
    for j in range(int(todo[0]), nrows):
        if abandon is not None and j % 1024 == 0:
            abandon.check()
        p = sp[j - 1]
        x_sp[j - 1] = (x[p - 1] if p > 0 else x0) + jump
        row(j)


class _RowStarts:
    """starts[j]: row j's first position (0, then the special steps)."""

    def __init__(self, sp: np.ndarray):
        self.sp = sp

    def __getitem__(self, j: int) -> int:
        return 0 if j == 0 else int(self.sp[j - 1])


class _RowEnds:
    """ends[j]: one past row j's last position (the next special step, or n for the last row)."""

    def __init__(self, sp: np.ndarray, n: int):
        self.sp, self.n = sp, n

    def __getitem__(self, j: int) -> int:
        return int(self.sp[j]) if j < self.sp.size else self.n


def _guess_starts(sp, r, x_sp, eta: float, jump: float) -> None:
    """Better guesses of the rows' start values where η ≠ 0 (the floor is η + a tiny u, not η): each full
    row's running product from the current guess, its end + jump. A row's end hardly depends on its
    start's last bits, so the next (exact) pass mostly finds them right; only products, no rounding checks."""
    if sp.size < 10:
        return
    period = int(sp[1] - sp[0])
    p0, cnt = int(sp[0]), sp.size - 1  # rows 1..cnt run from sp[j-1] to sp[j] - 1
    rows_per = max(1, _CHUNK // period)
    u = np.empty((min(rows_per, cnt), period))
    for c0 in range(0, cnt, rows_per):
        m = min(rows_per, cnt - c0)
        q0 = p0 + c0 * period
        blk = u[:m]
        blk[:] = r[q0 : q0 + m * period].reshape(m, period)
        blk[:, 0] = x_sp[c0 : c0 + m] - eta
        _accumulate_rows(blk)
        x_sp[c0 + 1 : c0 + m + 1] = (blk[:, -1] + eta) + jump


def _accumulate_rows(blk: np.ndarray) -> None:
    """np.multiply.accumulate(blk, axis=1, out=blk): the same products in the same order. Short rows (a
    small T_max: 100,000 rows of 10 at 1M steps) go column by column, a few long vector multiplies
    instead of one tiny accumulate per row."""
    if blk.shape[1] > 64:
        np.multiply.accumulate(blk, axis=1, out=blk)
        return
    for c in range(1, blk.shape[1]):
        np.multiply(blk[:, c - 1], blk[:, c], out=blk[:, c])


def _rows(todo, row, starts, ends, sp, f, r, x_sp, eta, x, finish) -> None:
    """Recompute rows `todo` (≥ 1, increasing); a consecutive run of full-length rows (2·T_max steps,
    the usual case) at once as one 2-D running product."""
    if todo.size == 0:
        return
    period = int(sp[1] - sp[0]) if sp.size > 1 else 0
    full = todo[todo < sp.size] if period else todo[:0]  # rows between two specials
    if full.size > 8 and full[-1] - full[0] + 1 == full.size:
        # chunks of rows through small scratch buffers: they stay in cache, and the full-size arrays are
        # written once (a fresh 8 MB temporary costs more in page faults than the arithmetic)
        p0, cnt = int(sp[full[0] - 1]), full.size
        rows_per = max(1, _CHUNK // period)
        u = np.empty((min(rows_per, cnt), period))
        back = np.empty_like(u)
        bad = np.empty(u.shape, dtype=bool)
        fix = []
        for c0 in range(0, cnt, rows_per):
            m = min(rows_per, cnt - c0)
            q0, starts0 = p0 + c0 * period, x_sp[full[c0 : c0 + m] - 1]
            blk = u[:m]
            blk[:] = r[q0 : q0 + m * period].reshape(m, period)
            blk[:, 0] = starts0 - eta
            _accumulate_rows(blk)
            xv = x[q0 : q0 + m * period].reshape(m, period)
            np.add(blk, eta, out=xv)
            xv[:, 0] = starts0
            if eta != 0.0:  # x − η ≠ u: torch's next u differs there (those rows are redone exactly)
                np.subtract(xv, eta, out=back[:m])
                np.not_equal(back[:m], blk, out=bad[:m])
                bad[:m, 0] = False
                fix += (full[c0 : c0 + m][bad[:m].any(axis=1)]).tolist()
        for j in fix:
            row(j)
        rest = todo[todo >= sp.size]
    else:
        rest = todo
    for j in rest.tolist():
        row(j)


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
        int_param(
            "T_0",
            None,
            "Steps of the first cycle.",
            lo=1,
            source="lr_scheduler.CosineAnnealingWarmRestarts.__init__: `T_0 <= 0 or not int` raises ValueError",
        ),
        int_param(
            "T_mult",
            1,
            "Each cycle is T_mult times longer than the previous one (an integer ≥ 1).",
            lo=1,
            source="lr_scheduler.CosineAnnealingWarmRestarts.__init__: `T_mult < 1 or not int` raises ValueError",
        ),
        _eta_min("lr_scheduler.CosineAnnealingWarmRestarts.__init__: only a type check (float or int)"),
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

    def next_counter(self, last_epoch):
        # step(): `if epoch is None and self.last_epoch < 0: epoch = 0` (after SequentialLR's undo)
        return 0 if last_epoch < 0 else last_epoch + 1

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
