"""torch's ReduceLROnPlateau, previewed against a metric series.

torch's `step(metric)` depends on the metric, so a preview needs one: Context.metric (one value per
scheduler step: the k-th `step()` call receives metric[k−1]; past the end of the series the last value
repeats, i.e. the metric has stalled). Without one, a synthetic plateauing curve is used, shaped by the
`preview_*` parameters — these are NOT torch arguments (export and the torch bridge skip them; each has
`extra={"preview_only": True}`):

    metric[i] = preview_end + (preview_start − preview_end)·exp(−i / preview_tau) + preview_noise·N(0, 1)

with N drawn from numpy's default_rng(preview_seed) (the first n draws do not depend on the horizon).

ReduceLROnPlateau has no constructor step: k = 0 is the optimizer's lr. The replay is exact and event
driven instead of a loop over every step: the improvement test (`best`) does not depend on the lr, so
improvements are found first (vectorised when threshold = 0, else a numpy scan from one improvement to the
next), then reductions jump from one to the next with a precomputed "next step with patience+1 bad steps in
a row" table, and stop as soon as no group's lr can change any more (min_lr reached, or the change ≤ eps).
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules.catalogue import Kind, Marker, Values, register
from lrtui.schedules.kinds._torch_common import INT_MAX, check_group_lists, int_steps
from lrtui.schedules.params import Param, per_group

PREVIEW = {"preview_only": True}
MAX_MARKERS = 200


def _preview(name: str, default: object, help: str, **kw) -> Param:
    return Param(
        name,
        kw.pop("type", "float"),
        default,
        help=f"{help} (preview only, not a torch argument)",
        advanced=True,
        extra=PREVIEW,
        source="lrtui: the synthetic metric's shape (not a torch argument)",
        **kw,
    )


@register
class ReduceLROnPlateau(Kind):
    name = "ReduceLROnPlateau"
    library = "torch"
    summary = (
        "Multiply the lr by factor when the metric has not improved for patience steps; previewed on "
        "a metric series (a run's, or a synthetic plateauing curve)."
    )
    example = 'ReduceLROnPlateau(mode="min", factor=0.1, patience=10)'
    params = (
        Param(
            "mode",
            "choice",
            "min",
            help="min: the metric should decrease (a loss); max: increase (accuracy).",
            choices=("min", "max"),
            source="lr_scheduler.ReduceLROnPlateau._init_is_better: anything else raises ValueError",
        ),
        Param(
            "factor",
            "float",
            0.1,
            help="new lr = max(lr × factor, min_lr) (torch requires factor < 1).",
            lo=-math.inf,
            hi=1,
            hi_open=True,
            source="lr_scheduler.ReduceLROnPlateau.__init__: `factor >= 1.0` raises ValueError",
        ),
        Param(
            "patience",
            "int",
            10,
            help="Steps without improvement tolerated; the lr drops on the next one (< 0: at every step).",
            lo=-INT_MAX,
            hi=INT_MAX,
            source="lr_scheduler.ReduceLROnPlateau: no check (num_bad_epochs > patience)",
        ),
        Param(
            "threshold",
            "float",
            1e-4,
            help="Minimum change that counts as an improvement.",
            lo=-math.inf,
            hi=math.inf,
            source="lr_scheduler.ReduceLROnPlateau: no check (≥ 1 with 'rel' never improves: linted)",
        ),
        Param(
            "threshold_mode",
            "choice",
            "rel",
            help="rel: better than best·(1 ∓ threshold); abs: best ∓ threshold.",
            choices=("rel", "abs"),
            source="lr_scheduler.ReduceLROnPlateau._init_is_better: anything else raises ValueError",
        ),
        Param(
            "cooldown",
            "int",
            0,
            help="Steps to wait after a reduction before counting bad steps again.",
            lo=-INT_MAX,
            hi=INT_MAX,
            source="lr_scheduler.ReduceLROnPlateau: no check (≤ 0: no cooldown)",
        ),
        Param(
            "min_lr",
            "float",
            0.0,
            help="Lower bound on the lr (one per param group allowed).",
            lo=-math.inf,
            hi=math.inf,
            per_group=True,
            source="lr_scheduler.ReduceLROnPlateau.__init__: a list needs one per group (ValueError); no range check",
        ),
        Param(
            "eps",
            "float",
            1e-8,
            help="A reduction smaller than eps is skipped.",
            lo=-math.inf,
            hi=math.inf,
            source="lr_scheduler.ReduceLROnPlateau: no check",
        ),
        _preview("preview_start", 2.3, "Synthetic metric at step 0", lo=-1e300, hi=1e300),
        _preview("preview_end", 0.4, "Level the synthetic metric plateaus at", lo=-1e300, hi=1e300),
        _preview(
            "preview_tau",
            30.0,
            "Steps for the synthetic metric to cover 63% of the way",
            lo=0,
            lo_open=True,
            hi=1e300,
        ),
        _preview("preview_noise", 0.02, "Standard deviation of the synthetic metric's noise", lo=0, hi=1e300),
        _preview("preview_seed", 0, "Seed of the synthetic metric's noise", type="int", lo=0, hi=2**63 - 1),
    )

    def check(self, args, ctx, where):
        check_group_lists(self, args, ctx, where)

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint

        a = node.args
        if a["threshold_mode"] == "rel" and a["threshold"] >= 1 and a["mode"] == "min":
            yield Lint(
                "plateau_never_improves",
                "warning",
                f"threshold={a['threshold']:g} with threshold_mode='rel': an improvement must beat "
                "best·(1 − threshold) ≤ 0, so after the first step no metric ever improves and the lr drops "
                "every patience + 1 steps",
                "use a threshold below 1 (e.g. 1e-4), or threshold_mode='abs'",
                node.path,
            )
        if a["patience"] < 0:
            yield Lint(
                "plateau_every_step",
                "warning",
                f"patience={a['patience']} < 0: num_bad_epochs > patience always holds, so the lr is reduced at "
                "every step",
                "use patience ≥ 0",
                node.path,
            )

    def values(self, args, ctx, k):
        ki = _positions(ctx, k)
        n = int(ki.max()) + 1 if ki.size else 1
        lr, _ = _replay(args, ctx, n)
        return Values(lr[:, ki])

    metric_driven = True

    def sets_lr(self, args):
        return False  # it multiplies the current lr (on a plateau), it does not set it

    def holds_flat(self, args):
        return True  # it reduces only on a plateau of the metric

    def leaf(self, bound, ctx, path):
        from lrtui.schedules.program import ReduceOnPlateauLeaf

        return ReduceOnPlateauLeaf(bound, ctx, path)

    def metric_ops(self, args, ctx, calls):
        """The updates of its step(metric) calls number `calls` (consecutive, 0-based): `_reduce_lr` at
        the calls the metric decides (that timing does not depend on the lr), a no-op elsewhere."""
        from lrtui.schedules.ops import Ops

        calls = np.asarray(calls, dtype=np.int64).reshape(-1)
        if calls.size == 0:
            return Ops(0)
        fire = reduce_calls(args, metric_series(args, ctx, int(calls[-1]) + 1))
        fire = fire[(fire >= calls[0]) & (fire <= calls[-1])]
        event = _reduce_event(args, ctx.n_groups)
        return Ops(calls.size, events={int(c - calls[0]): event for c in fire.tolist()})

    def metric_replay(self, args, ctx, calls, x0, out):
        """metric_ops replayed from the groups' lrs x0, fast: the firing calls are found on a growing
        prefix of the metric, and once no group's lr can change any more (`_frozen`) the rest is flat."""
        calls = np.asarray(calls, dtype=np.int64).reshape(-1)
        x = [float(v) for v in np.asarray(x0, dtype=np.float64).reshape(-1)]
        g, n = len(x), calls.size
        if n == 0:
            return
        lo, hi = int(calls[0]), int(calls[-1]) + 1
        factor, eps = args["factor"], args["eps"]
        min_lrs = [float(v) for v in per_group(args["min_lr"], g)]
        pos, length = lo, min(hi, lo + 1024)  # calls lo..pos-1 are in `out`
        while True:
            fires = reduce_calls(args, metric_series(args, ctx, length))
            for c in fires[(fires >= pos) & (fires < length)].tolist():
                out[:, pos - lo : c - lo] = np.asarray(x)[:, None]
                for i in range(g):  # torch's _reduce_lr
                    new = max(x[i] * factor, min_lrs[i])
                    if x[i] - new > eps:
                        x[i] = new
                out[:, c - lo] = x
                pos = c + 1
            if length >= hi or all(_frozen(x[i], factor, min_lrs[i], eps) for i in range(g)):
                break
            length = min(hi, lo + 8 * (length - lo))
        out[:, pos - lo :] = np.asarray(x)[:, None]

    def markers(self, args, ctx):
        events = reductions(args, ctx, max(0, ctx.horizon - 1))
        steps = sorted({step for _, step, _, _ in events})
        return [Marker(float(s), "milestone", f"×{args['factor']:g} (plateau)") for s in steps[:MAX_MARKERS]]


def _positions(ctx, k) -> np.ndarray:
    if ctx.stepping == "fractional":  # every call is one step(metric), whatever the epoch value
        return np.arange(np.asarray(k).size, dtype=np.int64)
    return int_steps(k).reshape(-1)


def synthetic_metric(args, n: int) -> np.ndarray:
    """The preview's plateauing metric series (n values), from the preview_* parameters.

    A prefix of a longer series equals the shorter series (numpy's generator draws sequentially).
    """
    start, end, tau = args["preview_start"], args["preview_end"], args["preview_tau"]
    # exp(-i/tau) only where it can still move `end`: beyond ~750·tau it is 0 (exp underflows).
    live = n if 750.0 * tau >= n else min(n, math.ceil(750.0 * tau) + 1)
    m = np.full(n, float(end))
    with np.errstate(all="ignore"):
        m[:live] = end + (start - end) * np.exp(-np.arange(live, dtype=np.float64) / tau)
        if args["preview_noise"] > 0:
            m = m + args["preview_noise"] * np.random.default_rng(args["preview_seed"]).standard_normal(n)
    return m


def metric_series(args, ctx, n: int) -> np.ndarray:
    """The metric passed to each step() call (n values): Context.metric padded with its last value, or synthetic."""
    if ctx.metric:
        m = np.asarray(ctx.metric, dtype=np.float64).reshape(-1)
        if m.size >= n:
            return m[:n]
        return np.concatenate([m, np.full(n - m.size, m[-1])])
    return synthetic_metric(args, n)


def improvements(args, metric: np.ndarray) -> np.ndarray:
    """better[i]: whether step i's metric improved on the best so far (torch's `_is_better`)."""
    mode, thr, rel = args["mode"], args["threshold"], args["threshold_mode"] == "rel"
    n = metric.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    worse = math.inf if mode == "min" else -math.inf
    if thr == 0:
        # best·1.0 == best and best ∓ 0 == best: an improvement is a strict new record (NaN never is one).
        clean = np.where(np.isnan(metric), worse, metric)
        if mode == "min":
            prev = np.concatenate([[worse], np.minimum.accumulate(clean)[:-1]])
            return metric < prev
        prev = np.concatenate([[worse], np.maximum.accumulate(clean)[:-1]])
        return metric > prev
    better = np.zeros(n, dtype=bool)
    best = worse
    pos = 0
    while pos < n:
        # torch's comparison, with its own float operations: a < best * (1.0 - thr), a < best - thr, ...
        if mode == "min":
            bound = best * (1.0 - thr) if rel else best - thr
        else:
            bound = best * (thr + 1.0) if rel else best + thr
        j = _first_beyond(metric, pos, bound, mode == "min")
        if j is None:
            break
        better[j] = True
        best = float(metric[j])
        pos = j + 1
    return better


def _first_beyond(metric: np.ndarray, pos: int, bound: float, below: bool) -> int | None:
    """The first index ≥ pos whose value is < bound (below) or > bound, scanning in growing chunks."""
    n = metric.size
    size = 16
    while pos < n:
        chunk = metric[pos : pos + size]
        hit = chunk < bound if below else chunk > bound
        if hit.any():
            return pos + int(np.argmax(hit))
        pos += size
        size = min(size * 4, 1 << 20)
    return None


def _replay(args, ctx, n: int) -> tuple[np.ndarray, list[tuple[int, int, float, float]]]:
    """lr (groups, n) at k = 0..n-1, and the effective reductions (group, k, old lr, new lr)."""
    lr0 = [float(x) for x in ctx.base_lrs]
    events = reductions(args, ctx, n - 1)
    out = np.empty((ctx.n_groups, n))
    for i in range(ctx.n_groups):  # piecewise constant between this group's reductions
        ks = [k for gi, k, _, _ in events if gi == i]
        vals = [lr0[i]] + [new for gi, _, _, new in events if gi == i]
        out[i] = np.repeat(np.asarray(vals), np.diff([0, *ks, n]))
    return out, events


def reductions(args, ctx, steps: int) -> list[tuple[int, int, float, float]]:
    """The effective lr reductions (group, k, old lr, new lr) over `steps` step(metric) calls.

    Simulated on a growing prefix of the metric (the process is causal): once no group's lr can change
    any more, the rest of the series does not matter, so a long horizon costs what its first reductions do.
    """
    key = (tuple(sorted((k, v) for k, v in args.items())), ctx.base_lrs, id(ctx.metric), steps)
    hit = _CACHE.get("reductions")
    if hit is not None and hit[0] == key and hit[1] is ctx.metric:
        return hit[2]
    length = min(steps, 1024)
    while True:
        events, settled = _simulate(args, ctx, metric_series(args, ctx, length))
        if settled or length >= steps:
            break
        length = min(steps, length * 8)
    _CACHE["reductions"] = (key, ctx.metric, events)
    return events


_CACHE: dict[str, tuple] = {}  # the last replay: evaluate() asks for values, then markers


def _simulate(args, ctx, metric: np.ndarray) -> tuple[list[tuple[int, int, float, float]], bool]:
    """Events over len(metric) calls, and whether every group's lr is settled (can never change again)."""
    g = ctx.n_groups
    steps = metric.size
    events: list[tuple[int, int, float, float]] = []
    p, cooldown = args["patience"], max(args["cooldown"], 0)  # cooldown ≤ 0: never in cooldown
    factor, eps = args["factor"], args["eps"]
    min_lrs = [float(x) for x in per_group(args["min_lr"], g)]
    lrs = [float(x) for x in ctx.base_lrs]
    frozen = [_frozen(lrs[i], factor, min_lrs[i], eps) for i in range(g)]
    if steps == 0 or all(frozen):
        return events, all(frozen)
    better = improvements(args, metric)
    if p < 0:  # num_bad_epochs > patience always: every call reduces (a cooldown cannot stop it)
        p, cooldown = 0, 0
        better = np.zeros_like(better)
    # run[s]: bad calls in a row ending at call s; ready[s]: the first call ≥ s with run ≥ patience + 1.
    idx = np.arange(steps)
    last_good = np.maximum.accumulate(np.where(better, idx, -1))
    run = idx - last_good
    ok_idx = np.where(run >= p + 1, idx, steps) if p + 1 <= steps else np.full(steps, steps)
    ready = np.minimum.accumulate(ok_idx[::-1])[::-1]
    s0 = 0  # the first call at which bad calls count (after a cooldown)
    while not all(frozen):
        first = s0 + p  # counting starts at s0, so patience + 1 bad calls end at s0 + p at the earliest
        if first >= steps:
            break
        s = int(ready[first])
        if s >= steps:
            break
        for i in range(g):  # torch's _reduce_lr
            old = lrs[i]
            new = max(old * factor, min_lrs[i])
            if old - new > eps:
                lrs[i] = new
                events.append((i, s + 1, old, new))
            frozen[i] = _frozen(lrs[i], factor, min_lrs[i], eps)
        s0 = s + cooldown + 1
    return events, all(frozen)


def reduce_calls(args, metric: np.ndarray) -> np.ndarray:
    """The calls (0-based) at which torch's step(metric) calls `_reduce_lr` — whatever the lr is."""
    steps = metric.size
    p, cooldown = args["patience"], max(args["cooldown"], 0)
    if steps == 0:
        return np.zeros(0, dtype=np.int64)
    if p < 0:  # num_bad_epochs > patience always holds: every call reduces
        return np.arange(steps, dtype=np.int64)
    better = improvements(args, metric)
    idx = np.arange(steps)
    last_good = np.maximum.accumulate(np.where(better, idx, -1))
    run = idx - last_good
    ok_idx = np.where(run >= p + 1, idx, steps)
    ready = np.minimum.accumulate(ok_idx[::-1])[::-1]
    out = []
    s0 = 0
    while s0 + p < steps:
        s = int(ready[s0 + p])
        if s >= steps:
            break
        out.append(s)
        s0 = s + cooldown + 1
    return np.asarray(out, dtype=np.int64)


def _reduce_event(args, g: int):
    """torch's _reduce_lr on the groups' lrs (Python floats, as torch computes them)."""
    factor, eps = args["factor"], args["eps"]
    min_lrs = [float(x) for x in per_group(args["min_lr"], g)]

    def event(x: np.ndarray) -> np.ndarray:
        out = x.copy()
        for i in range(g):
            old = float(x[i])
            new = max(old * factor, min_lrs[i])
            if old - new > eps:
                out[i] = new
        return out

    return event


def _frozen(lr: float, factor: float, min_lr: float, eps: float) -> bool:
    """True when a reduction can no longer change this lr (and so never will: the lr stays put)."""
    return not lr - max(lr * factor, min_lr) > eps
