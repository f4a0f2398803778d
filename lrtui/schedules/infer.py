"""Schedule inference (the "LR doctor"'s first half): which catalogue spec reproduces a logged LR series?

    from lrtui.schedules.infer import infer_schedule
    result = infer_schedule(steps, lrs)            # plain arrays: any logger, any source
    result.family, result.spec, result.residual, result.confidence

How: the series is cut at its structure (runs of equal values, rising/falling pieces, jumps), each family
proposes the specs its shape implies with parameters fitted in closed form (`infer_shapes`), numbers are
shortened to the fewest digits the data still allow, and every candidate is verified by evaluating it with
the engine at the logged steps. The best exact candidate wins (simplest, the caller's library first); none
exact → "unknown" (a near miss is named in the note but never claimed: noise must not become a family).

Pure numpy, no torch. Per-epoch stepping is found first (a series constant over equal blocks of steps is
inferred per epoch and verified per step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from lrtui.schedules.infer_shapes import (
    EQ_RTOL,
    VERIFY_FLOOR,
    CosFit,
    LineFit,
    cosine_with,
    equal_runs,
    fit_cosine,
    fit_exponential,
    fit_inverse_sqrt,
    fit_line,
    fit_power,
    monotone_pieces,
    near_int,
    nice,
    rel_residual,
)

DEFAULT_TOL = 1e-6  # reproduces the log to 1e-6 relative: exact float64 logs leave ~1e-15, float32 ~1e-7
MIN_POINTS = 4
MAX_PIECES = 256  # a series whose trend changes more often than this is noise, not a schedule
MAX_EVAL_STEPS = 4_000_000  # longer horizons are evaluated at the logged steps only (closed-form kinds)

FAMILIES = {
    "constant": "constant",
    "step": "step decay",
    "multistep": "multi-step decay",
    "exponential": "exponential decay",
    "linear": "linear decay",
    "cosine": "cosine annealing",
    "polynomial": "polynomial decay",
    "inverse_sqrt": "inverse square root",
    "warmup_constant": "linear warmup + constant",
    "warmup_linear": "linear warmup + linear decay",
    "warmup_cosine": "linear warmup + cosine",
    "warmup_polynomial": "linear warmup + polynomial decay",
    "warmup_inverse_sqrt": "linear warmup + inverse square root",
    "warmup_exponential": "linear warmup + exponential decay",
    "warmup_step": "linear warmup + step decay",
    "onecycle": "one-cycle",
    "wsd": "warmup-stable-decay",
    "cyclic": "cyclic (triangular)",
    "warm_restarts": "cosine with warm restarts",
    "sequential": "SequentialLR join",
    "unknown": "unknown",
}
# Ties between exact candidates go to the simplest family, then the shortest spec, then torch.
FAMILY_ORDER = (
    "constant",
    "step",
    "multistep",
    "exponential",
    "linear",
    "cosine",
    "polynomial",
    "inverse_sqrt",
    "warmup_constant",
    "warmup_linear",
    "warmup_cosine",
    "warmup_polynomial",
    "warmup_inverse_sqrt",
    "warmup_exponential",
    "warmup_step",
    "wsd",
    "onecycle",
    "warm_restarts",
    "cyclic",
    "sequential",
)
LIBRARY_ORDER = ("torch", "transformers", "timm", "seed")


@dataclass(frozen=True)
class Candidate:
    family: str
    spec: str
    base_lrs: tuple[float, ...]
    library: str = "torch"
    note: str = ""

    @property
    def complexity(self) -> int:
        # composites and long specs lose ties against a single kind saying the same
        return self.spec.count("(") * 100 + len(self.spec)


@dataclass(frozen=True)
class Inference:
    """What a logged LR series is. `spec` is None when the family is "unknown"."""

    family: str
    spec: str | None = None
    base_lrs: tuple[float, ...] = ()
    stepping: str = "step"
    steps_per_epoch: int = 1
    total_steps: int = 0  # optimizer steps the plan covers (last logged step + 1)
    residual: float = math.inf  # worst relative error of the spec at the logged points
    confidence: float = 0.0
    points: int = 0
    note: str = ""
    alternatives: tuple[tuple[str, str], ...] = ()  # other exact (family, spec)
    library: str = ""

    @property
    def ok(self) -> bool:
        return self.spec is not None

    @property
    def title(self) -> str:
        return FAMILIES.get(self.family, self.family)

    def plan_dict(self) -> dict | None:
        """The plan-file form (`lrtui preview plan.json` opens it)."""
        if self.spec is None:
            return None
        lr: float | list[float] = self.base_lrs[0] if len(self.base_lrs) == 1 else list(self.base_lrs)
        return {
            "schedule": self.spec,
            "lr": lr,
            "steps": max(self.total_steps, 1),
            "steps_per_epoch": self.steps_per_epoch,
            "stepping": self.stepping,
        }

    def plan(self):
        """The engine Plan (lrtui.schedules.plan.Plan), or None."""
        d = self.plan_dict()
        if d is None:
            return None
        from lrtui.schedules.plan import plan_from_dict

        return plan_from_dict(d)

    def summary(self) -> str:
        """One line: family, spec, fit."""
        if self.spec is None:
            return f"unknown schedule ({self.note})" if self.note else "unknown schedule"
        per = f", stepped per epoch ({self.steps_per_epoch} steps)" if self.stepping == "epoch" else ""
        base = ", ".join(format_lr(b) for b in self.base_lrs)
        return (
            f"{self.title}: {self.spec} from base LR {base}{per} — reproduces {self.points:,} logged points "
            f"to {self.residual:.1e} (confidence {self.confidence:.0%})"
        )

    def to_dict(self) -> dict:
        return {
            "family": self.family,
            "title": self.title,
            "spec": self.spec,
            "base_lrs": list(self.base_lrs),
            "stepping": self.stepping,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "residual": self.residual if math.isfinite(self.residual) else None,
            "confidence": round(self.confidence, 3),
            "points": self.points,
            "library": self.library or None,
            "note": self.note,
            "alternatives": [{"family": f, "spec": s} for f, s in self.alternatives],
        }


def format_lr(x: float) -> str:
    return f"{x:.6g}"


# ------------------------------------------------------------------------------------------- the series
@dataclass
class Obs:
    """The cleaned series in schedule-step units, and its structure."""

    k: np.ndarray
    y: np.ndarray
    tol: float
    runs: tuple[np.ndarray, np.ndarray] | None = None  # (starts, ends) of runs of equal values
    peak: int = field(init=False)
    precision: float = field(init=False)
    _pieces: object = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.runs is None:
            self.runs = equal_runs(self.y)
        # a log stored as float32 (TensorBoard) is only that exact; fits and roundings must allow for it
        f32 = bool(np.all(self.y.astype(np.float32).astype(np.float64) == self.y))
        self.precision = 6e-8 if f32 else 1e-16
        self.peak = first_peak(self.y, self.runs[0])

    @property
    def n(self) -> int:
        return int(self.y.size)

    @property
    def pieces(self):
        """Monotone pieces (`infer_shapes.monotone_pieces`), None for a series with hundreds of them."""
        if self._pieces is False:
            self._pieces = monotone_pieces(self.y, limit=MAX_PIECES)
        return self._pieces

    @property
    def noisy(self) -> bool:
        return self.pieces is None

    @property
    def top(self) -> float:
        return float(self.y[self.peak])

    def exact(self, residual: float) -> bool:
        """Whether a fitted shape is good enough to propose (the engine verifies strictly afterwards)."""
        return residual <= max(self.tol, 2000 * self.precision)


def first_peak(y: np.ndarray, run_starts: np.ndarray) -> int:
    """Where the warmup (if any) ends: the start of the run from which the series first decreases, else
    the first point at the maximum. Not simply the maximum: a sparse log may miss the warmup's peak and
    catch a higher point of a cosine rising again (torch's and transformers' are not clamped)."""
    down = np.flatnonzero(y[1:] < y[:-1] * (1 - EQ_RTOL))
    if down.size == 0:
        top = float(y.max())
        return int(np.argmax(y >= top * (1 - 1e-9)))
    i = int(down[0])
    return int(run_starts[np.searchsorted(run_starts, i, side="right") - 1])


def clean(steps, lrs) -> tuple[np.ndarray, np.ndarray]:
    """Finite points sorted by step; for a repeated step the last value wins (a resumed run re-logs)."""
    k = np.asarray(steps, dtype=np.float64).reshape(-1)
    y = np.asarray(lrs, dtype=np.float64).reshape(-1)
    m = min(k.size, y.size)
    k, y = k[:m], y[:m]
    good = np.isfinite(k) & np.isfinite(y)
    k, y = k[good], y[good]
    if k.size and np.any(np.diff(k) <= 0):
        order = np.argsort(k, kind="stable")
        k, y = k[order], y[order]
        last = np.append(k[1:] != k[:-1], True)
        k, y = k[last], y[last]
    return k, y


# ------------------------------------------------------------------------------------------- verification
def evaluate_at(
    spec: str, base_lrs: tuple[float, ...], k: np.ndarray, *, stepping: str = "step", steps_per_epoch: int = 1
) -> np.ndarray | None:
    """The engine's LR of group 0 at optimizer steps k (None when the spec is invalid there)."""
    from lrtui.schedules.errors import SpecError
    from lrtui.schedules.evaluate import evaluate
    from lrtui.schedules.plan import Plan
    from lrtui.schedules.spec import parse

    if k.size == 0 or k[0] < 0:
        return None
    last = int(k[-1])
    try:
        parsed = parse(spec)
        if last < MAX_EVAL_STEPS:
            plan = Plan(
                spec=parsed,
                base_lrs=tuple(base_lrs),
                total_steps=last + 1,
                steps_per_epoch=steps_per_epoch,
                stepping=stepping,
            )
            with np.errstate(all="ignore"):
                lr = evaluate(plan).lr[0]
            return lr[k.astype(np.int64)]
        if stepping != "step" or parsed.kind in ("SequentialLR", "ChainedScheduler"):
            return None
        from lrtui.schedules.catalogue import resolve

        plan = Plan(spec=parsed, base_lrs=tuple(base_lrs), total_steps=min(last + 1, 50_000_000))
        bound = resolve(parsed, plan.context(horizon=last + 1))
        with np.errstate(all="ignore"):
            return bound.values(plan.context(horizon=last + 1), k.astype(np.int64)).lr[0]
    except SpecError:
        return None
    except (ValueError, OverflowError, ZeroDivisionError, MemoryError):
        return None


def _canonical(spec: str) -> str | None:
    from lrtui.schedules.errors import SpecError
    from lrtui.schedules.spec import parse

    try:
        return str(parse(spec))
    except SpecError:
        return None


# ------------------------------------------------------------------------------------------- public API
def infer_schedule(
    steps,
    lrs,
    *,
    steps_per_epoch: int | None = None,
    prefer: str | None = None,
    tol: float = DEFAULT_TOL,
) -> Inference:
    """The catalogue spec that reproduces the logged (steps, lr) of one param group, or "unknown".

    steps: optimizer steps done before each logged LR (the schedule's k); any spacing, any order.
    steps_per_epoch: the epoch length when known (lets per-epoch stepping be recognised on sparse logs).
    prefer: a library ("torch", "transformers", "timm") whose spelling wins among equivalent specs.
    """
    k, y = clean(steps, lrs)
    n = int(y.size)
    if n < MIN_POINTS:
        return Inference("unknown", points=n, note=f"{n} logged point(s): too few to tell")
    if np.any(y < 0):
        return Inference("unknown", points=n, note="negative learning rates")
    if float(y.max()) <= 0:
        return Inference("unknown", points=n, note="the LR is 0 everywhere")
    if k[0] < 0:
        return Inference("unknown", points=n, note="negative step numbers")
    if k[-1] >= MAX_EVAL_STEPS:
        # verifying means evaluating the schedule over every step up to the last one: bounded memory first
        return Inference(
            "unknown",
            points=n,
            note=f"steps up to {int(k[-1]):,}: schedules are inferred up to {MAX_EVAL_STEPS:,}",
        )
    runs = equal_runs(y)
    epoch = _per_epoch(k, y, steps_per_epoch, runs)
    if epoch is not None:
        ke, ye, spe = epoch
        inner = _infer_steps(ke, ye, prefer, tol)
        # without a known epoch length, a per-epoch exponential/step decay is a per-step StepLR: say that
        if inner.spec is not None and (steps_per_epoch or inner.family not in ("exponential", "step")):
            total = int(k[-1]) + 1
            model = evaluate_at(inner.spec, inner.base_lrs, k, stepping="epoch", steps_per_epoch=spe)
            res = rel_residual(y, model, VERIFY_FLOOR) if model is not None else math.inf
            if res <= tol:
                return replace(
                    inner, stepping="epoch", steps_per_epoch=spe, total_steps=total, residual=res, points=n
                )
    out = _infer_steps(k, y, prefer, tol, runs)
    if steps_per_epoch and out.stepping == "step":
        out = replace(out, steps_per_epoch=int(steps_per_epoch))
    return out


def infer_groups(steps, lrs_per_group, **options) -> list[Inference]:
    """`infer_schedule` for each param group; groups that are a constant multiple of group 0 reuse its spec
    with their own base LR (what one scheduler over several groups gives)."""
    groups = [np.asarray(g, dtype=np.float64) for g in lrs_per_group]
    if not groups:
        return []
    first = infer_schedule(steps, groups[0], **options)
    out = [first]
    k0, y0 = clean(steps, groups[0])
    for g in groups[1:]:
        kg, yg = clean(steps, g)
        scaled = None
        if first.spec is not None and kg.size == k0.size and np.array_equal(kg, k0):
            nz = np.abs(y0) > 0
            if nz.any():
                ratio = float(np.median(yg[nz] / y0[nz]))
                if ratio > 0 and rel_residual(yg, y0 * ratio) <= first_tol(options):
                    base = tuple(_snap_base(b * ratio, yg) for b in first.base_lrs)
                    model = evaluate_at(
                        first.spec, base, kg, stepping=first.stepping, steps_per_epoch=first.steps_per_epoch
                    )
                    if model is not None and rel_residual(yg, model) <= first_tol(options):
                        scaled = replace(first, base_lrs=base, residual=rel_residual(yg, model))
        out.append(scaled or infer_schedule(steps, g, **options))
    return out


def _snap_base(x: float, y: np.ndarray) -> float:
    """A group's base LR (a ratio times group 0's) shortened to the value typed in: within float32's
    rounding when the log is float32 (TensorBoard), else within float64's. The result is verified after."""
    tol = 1e-6 if np.array_equal(y.astype(np.float32).astype(np.float64), y) else 1e-10
    return nice(x, lambda r: abs(r - x) <= tol * abs(x))


def first_tol(options: dict) -> float:
    return float(options.get("tol", DEFAULT_TOL))


# ------------------------------------------------------------------------------------------- per epoch
def _per_epoch(
    k: np.ndarray, y: np.ndarray, hint: int | None, runs: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(epochs, one LR per epoch, steps per epoch) when the series is constant over epochs and changes at
    epoch boundaries often enough to say it is stepped per epoch."""
    if k.size < 8 or k[0] != 0 or not np.all(k == np.round(k)):
        return None
    starts = runs[0]
    if starts.size < 3 or starts.size > y.size // 2:
        return None
    change_steps = k[starts[1:]].astype(np.int64)
    dense = bool(np.all(np.diff(k) == 1))
    if hint and hint > 1:
        spe = int(hint)
        ep = (k // spe).astype(np.int64)
        # constant within each epoch, and the changes at epoch starts
        first_of_epoch = np.append(True, ep[1:] != ep[:-1])
        if np.any(y[~first_of_epoch] != y[np.flatnonzero(~first_of_epoch) - 1]):
            return None
        if np.any(change_steps % spe):
            return None
    else:
        if not dense:
            return None
        spe = int(np.gcd.reduce(change_steps))
        if spe < 2:
            return None
        boundaries = int(k[-1]) // spe
        if boundaries < 2 or change_steps.size < 0.5 * boundaries:
            return None  # changes at few epoch starts: a StepLR per step says it as well
    ep = (k // spe).astype(np.int64)
    keep = np.append(True, ep[1:] != ep[:-1])
    return ep[keep].astype(np.float64), y[keep], spe


# ------------------------------------------------------------------------------------------- the search
def _infer_steps(
    k: np.ndarray, y: np.ndarray, prefer: str | None, tol: float, runs: tuple | None = None
) -> Inference:
    obs = Obs(k, y, tol, runs)
    n = obs.n
    total = int(k[-1]) + 1
    # every proposal first (cheap: fits on ≤ 4096 points), then verification in rank order — the engine
    # evaluates the whole horizon, so the first exact candidate ends the search
    pending: dict[str, Candidate] = {}
    rtol = max(1e-12, 20 * obs.precision)
    for cand in _candidates(obs):
        spec = _canonical(cand.spec)
        if spec is None or spec in pending:
            continue
        # a base LR read off the curve carries the schedule's rounding (0.1/0.1·0.1 = 0.10000000000000002)
        bases = tuple(nice(b, lambda r, b=b: abs(r - b) <= rtol * abs(b)) for b in cand.base_lrs)
        pending[spec] = replace(cand, spec=spec, base_lrs=bases)
    ranked = sorted(pending.values(), key=lambda c: _rank(c, prefer))
    best: Candidate | None = None
    res = math.inf
    near: tuple[Candidate, float] | None = None
    alternatives: list[Candidate] = []
    differing: list[str] = []
    sample = _sample(obs) if n > 8 * FIT_SAMPLE else None
    ks, ys = (k[sample], y[sample]) if sample is not None else (None, None)
    for cand in ranked:
        if best is not None and (len(alternatives) >= 5 or len(differing) >= 3):
            break
        if best is not None and cand.family in (best.family, "sequential") and len(alternatives) >= 2:
            continue  # other spellings of the same shape add nothing once two are listed
        if ks is not None and _rejected_on(ks, ys, cand):
            continue  # far off on a few thousand points: no need to evaluate every step
        model = evaluate_at(cand.spec, cand.base_lrs, k)
        r = rel_residual(y, model, VERIFY_FLOOR) if model is not None else math.inf
        if r > tol:
            if near is None or r < near[1]:
                near = (cand, r)
            continue
        if best is None:
            best, res = cand, r
            continue
        alternatives.append(cand)
        # another exact candidate that says something different about the steps not logged yet: the data
        # do not tell them apart (a spelling of the same curve in another library is no ambiguity)
        label = FAMILIES[cand.family]
        other = cand.family not in (best.family, "sequential") and label not in differing
        if other and not _same_future(best, cand, k):
            differing.append(label)
    if best is None:
        note = "no catalogue schedule reproduces it"
        if near is not None and near[1] < 0.05:
            note += f" (closest: {FAMILIES[near[0].family]}, off by {near[1]:.1e})"
        return Inference("unknown", points=n, total_steps=total, note=note)
    confidence = 0.99 if res <= 1e-9 else 0.9
    if differing:
        confidence -= 0.3
    params = max(1, best.spec.count("=") + len(best.base_lrs))
    if n < 3 * params:
        confidence *= 0.6  # barely more points than parameters
    note = best.note
    if differing:
        note = (note + "; " if note else "") + "also fits, with another future: " + ", ".join(differing)
    return Inference(
        best.family,
        best.spec,
        best.base_lrs,
        total_steps=total,
        residual=res,
        confidence=max(confidence, 0.05),
        points=n,
        note=note,
        alternatives=tuple((c.family, c.spec) for c in alternatives),
        library=best.library,
    )


FIT_SAMPLE = 4096


def _sample(obs: Obs) -> np.ndarray:
    """Indices of a few thousand points spread over the series, with every run start (steps, restarts)."""
    idx = np.unique(
        np.concatenate([np.linspace(0, obs.n - 1, FIT_SAMPLE).astype(np.int64), obs.runs[0][:FIT_SAMPLE]])
    )
    return idx


def _rejected_on(ks: np.ndarray, ys: np.ndarray, cand: Candidate) -> bool:
    """Whether a single-kind candidate is clearly wrong at the sampled points (its closed form: cheap).
    Loose on purpose (1e-3): the full evaluation decides at the tolerance; this only skips the hopeless."""
    if cand.spec.startswith(("SequentialLR", "ChainedScheduler")):
        return False
    model = _values_at(cand, ks)
    return model is not None and rel_residual(ys, model, VERIFY_FLOOR) > 1e-3


def _values_at(cand: Candidate, k: np.ndarray) -> np.ndarray | None:
    """The candidate's LR at steps k: straight from its kind's vectorised values() for a single kind (no
    need to evaluate every step before), else the engine over the whole horizon."""
    from lrtui.schedules.catalogue import resolve
    from lrtui.schedules.errors import SpecError
    from lrtui.schedules.plan import Plan
    from lrtui.schedules.spec import parse

    if k.size == 0:
        return None
    try:
        spec = parse(cand.spec)
        if spec.kind not in ("SequentialLR", "ChainedScheduler"):
            plan = Plan(spec=spec, base_lrs=cand.base_lrs, total_steps=min(int(k[-1]) + 1, MAX_EVAL_STEPS))
            ctx = plan.context()
            with np.errstate(all="ignore"):
                return resolve(spec, ctx).values(ctx, k.astype(np.int64)).lr[0]
    except (SpecError, ValueError, OverflowError, ZeroDivisionError):
        return None
    return evaluate_at(cand.spec, cand.base_lrs, k)


def _rank(cand: Candidate, prefer: str | None) -> tuple:
    lib = LIBRARY_ORDER.index(cand.library) if cand.library in LIBRARY_ORDER else len(LIBRARY_ORDER)
    order = FAMILY_ORDER.index(cand.family) if cand.family in FAMILY_ORDER else len(FAMILY_ORDER)
    # the libraries people train with first; timm's and the seeds' own classes only when nothing else says it
    niche = 1 if cand.library in ("timm", "seed") else 0
    return (0 if prefer and cand.library == prefer else 1, order, niche, cand.complexity, lib)


def _same_future(a: Candidate, b: Candidate, k: np.ndarray) -> bool:
    """Whether two candidates agree on the steps after the log (as far again as the log, ≤ 100k steps)."""
    last = float(k[-1])
    ahead = np.unique(np.linspace(last + 1, last + max(min(last, 100_000), 100), 4096).round())
    pa = _values_at(a, ahead)
    pb = _values_at(b, ahead)
    if pa is None or pb is None:
        return False
    return rel_residual(pa, pb, VERIFY_FLOOR) <= DEFAULT_TOL


def _candidates(obs: Obs):
    from lrtui.schedules.infer_families import generate

    yield from generate(obs)


__all__ = [
    "DEFAULT_TOL",
    "EQ_RTOL",
    "FAMILIES",
    "Candidate",
    "CosFit",
    "Inference",
    "LineFit",
    "Obs",
    "clean",
    "cosine_with",
    "evaluate_at",
    "fit_cosine",
    "fit_exponential",
    "fit_inverse_sqrt",
    "fit_line",
    "fit_power",
    "infer_groups",
    "infer_schedule",
    "monotone_pieces",
    "near_int",
    "nice",
]
