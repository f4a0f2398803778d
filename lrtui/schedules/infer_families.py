"""Candidate specs per schedule family, from the shape of a logged series (used by `infer`).

Each generator looks at the series' structure (`Obs`: points, runs of equal values, the peak) and yields
the catalogue specs its family would need to draw it, with parameters fitted in closed form and shortened
to the fewest digits the data allow. Generators may propose wrong specs freely: `infer` verifies every
candidate by evaluating it with the engine at the logged steps and keeps only exact ones.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lrtui.schedules.infer import Candidate, Obs
from lrtui.schedules.infer_shapes import (
    CosFit,
    cosine_with,
    fit_cosine,
    fit_exponential,
    fit_inverse_sqrt,
    fit_line,
    fit_power,
    near_int,
    nice,
    rel_residual,
    thinned,
)
from lrtui.schedules.spec import format_value

BIG = 10**9  # total_iters of a ConstantLR that holds to the end of any run
MAX_RESTARTS = 1000


# ------------------------------------------------------------------------------------------- spelling
def call(kind: str, *positional: object, **kwargs: object) -> str:
    parts = [format_value(v) if not isinstance(v, _Raw) else v.text for v in positional]
    for key, value in kwargs.items():
        if value is None:
            continue
        parts.append(f"{key}={value.text if isinstance(value, _Raw) else format_value(value)}")
    return f"{kind}({', '.join(parts)})"


@dataclass(frozen=True)
class _Raw:
    text: str


def raw_list(specs: list[str]) -> _Raw:
    return _Raw("[" + ", ".join(specs) + "]")


_DATA = threading.local()  # the precision of the series being inferred (set by `generate`)


def _rtol(rtol: float) -> float:
    # float32 logs (TensorBoard) carry 6e-8 of rounding: fitted values are only that close to the typed ones
    return max(rtol, 100 * getattr(_DATA, "precision", 0.0))


def snap(x: float, rtol: float = 1e-10) -> float:
    """x shortened to the fewest significant digits within rtol (fitting noise off a typed-in value)."""
    tol = _rtol(rtol)
    return nice(x, lambda r: abs(r - x) <= tol * abs(x))


def snap_ratio(x: float) -> float:
    """A factor in (0, 1]: 1.0 when it is 1 to rounding."""
    return 1.0 if abs(x - 1.0) <= _rtol(1e-9) else snap(x)


def as_int(x: float, rtol: float = 1e-6, atol: float = 1e-3) -> int | None:
    i = near_int(x, rtol, atol)
    return i if i is not None and i >= 0 else None


# ------------------------------------------------------------------------------------------- piecewise constant
def gen_piecewise_constant(obs: Obs) -> Iterator[Candidate]:
    starts = obs.runs[0]
    n = obs.n
    if starts.size > max(1, (n + 1) // 2):
        return  # mostly changing values: not a step schedule
    k, y = obs.k, obs.y
    values = y[starts]
    if starts.size == 1:
        yield Candidate("constant", call("ConstantLR", factor=1.0, total_iters=0), (snap(values[0]),))
        return
    if k[0] != 0:
        return
    yield from _steps_from(k, y, starts, values, phase=0.0, base=float(values[0]), wrap=None)


def _steps_from(
    k: np.ndarray,
    y: np.ndarray,
    starts: np.ndarray,
    values: np.ndarray,
    *,
    phase: float,
    base: float,
    wrap,
) -> Iterator[Candidate]:
    """StepLR / MultiStepLR (decays by a common factor) / ConstantLR / a SequentialLR of ConstantLRs for a
    piecewise constant series whose first run starts at `phase`. `wrap(child) -> (spec, family)` puts the
    child behind a warmup."""
    # a decay that underflows to 0 (tiny gammas over long runs): read the drops before it; the engine
    # underflows the same way when it verifies
    normal = np.flatnonzero(values < 1e-300)
    if normal.size:
        if normal[0] < 2:
            return
        starts, values = starts[: normal[0]], values[: normal[0]]
    changes = [float(k[s] - phase) for s in starts[1:]]
    lows = [float(k[s - 1] - phase) for s in starts[1:]]  # the change happened in (low, change]
    ratios = values[1:] / values[:-1]
    family_of = "step"

    def emit(spec: str, family: str, b: float, library: str = "torch") -> Candidate:
        if wrap is None:
            return Candidate(family, spec, (b,), library)
        wspec, wfamily = wrap(spec, family)
        return Candidate(wfamily, wspec, (b,), library)

    if np.all(ratios < 1):
        log_r = np.log(ratios)
        g_small = float(log_r.max())  # the smallest decay (closest to 1)
        mult = log_r / g_small
        counts = np.rint(mult)
        if np.all(np.abs(mult - counts) <= 1e-6 * np.maximum(counts, 1)) and np.all(counts >= 1):
            gamma = snap(math.exp(float(log_r.sum() / counts.sum())))
            milestones: list[int] = []
            for c, cnt in zip(changes, counts.astype(int)):
                ci = as_int(c)
                if ci is None:
                    return
                milestones += [ci] * int(cnt)
            size = milestones[0]
            if size >= 1 and all(m == (i + 1) * size for i, m in enumerate(milestones)):
                yield emit(call("StepLR", step_size=size, gamma=gamma), family_of, base)
            else:
                # sparse logs: the drops are only bracketed; a StepLR consistent with every bracket
                step = _common_step(lows, changes, counts.astype(int))
                if step is not None:
                    yield emit(call("StepLR", step_size=step, gamma=gamma), family_of, base)
            # (also when a StepLR fits: one drop logged so far says nothing about a second one)
            yield emit(call("MultiStepLR", milestones=milestones, gamma=gamma), "multistep", base)
    if values.size == 2 and ratios[0] > 1:
        # ConstantLR: factor for total_iters steps, then the base
        t = as_int(changes[0])
        if t is not None and t >= 1:
            b = float(values[1])
            yield emit(
                call("ConstantLR", factor=snap_ratio(values[0] / b), total_iters=t), "warmup_constant", b
            )
    # any piecewise constant: a SequentialLR of ConstantLRs (values relative to the largest), only when
    # every level was logged more than once (one sample per level is a sparse log of a curve, not steps)
    sizes = np.diff(np.append(starts, k.size))
    if values.size > 2 and np.any(sizes[1:-1] < 2):
        return
    top = float(values.max())
    children, milestones = [], []
    edges = [0.0, *changes, float(k[-1] - phase) + 1]
    for i, v in enumerate(values):
        length = round(edges[i + 1] - edges[i])
        f = snap_ratio(float(v) / top)
        last = i + 1 == values.size  # the last level holds past the log
        hold = 0 if f == 1.0 else (BIG if last else max(length, 1))
        children.append(call("ConstantLR", factor=f, total_iters=hold))
        if i:
            m = as_int(edges[i])
            if m is None:
                return
            milestones.append(m)
    if len(children) <= 12:
        spec = call("SequentialLR", raw_list(children), milestones=milestones)
        yield emit(spec, "sequential" if wrap is None else "warmup_step", top)


def _common_step(lows: list[float], highs: list[float], counts: np.ndarray) -> int | None:
    """An integer s with lows[j] < m_j·s ≤ highs[j] for the cumulative drop counts m_j, if any."""
    cum = np.cumsum(counts)
    lo, hi = 0.0, math.inf
    for low, high, m in zip(lows, highs, cum):
        lo = max(lo, low / m)
        hi = min(hi, high / m)
    s = math.floor(hi)
    return s if s > lo and s >= 1 else None


# ------------------------------------------------------------------------------------------- exponential
def gen_exponential(obs: Obs) -> Iterator[Candidate]:
    if obs.runs[0].size * 2 <= obs.n:
        return  # mostly repeated values: steps, not a per-step exponential (a gamma of 1 + 1e-9 fits anything)
    fit = fit_exponential(obs.k, obs.y)
    if fit is None or not obs.exact(fit.residual) or abs(fit.gamma - 1) < 1e-12:
        return
    k, y = thinned(obs.k, obs.y)
    gamma = nice(fit.gamma, lambda g: rel_residual(y, fit.amplitude * g**k) <= obs.tol / 10)
    base = snap(float(y[0] / gamma ** k[0]))
    yield Candidate("exponential", call("ExponentialLR", gamma=gamma), (base,))


# ------------------------------------------------------------------------------------------- warmup + decay
@dataclass(frozen=True)
class Warmup:
    """How the series reaches its base: none, linearly from 0 (transformers), or from a factor (torch)."""

    style: str  # "none" | "zero" | "factor" | "seed" (the seed articles' first-step quirk)
    steps: int = 0
    start: float = 0.0  # the LR at step 0 (absolute)
    line_start: float = 0.0  # where the warmup line starts (differs from `start` for "seed")


def _warmups(obs: Obs, base: float, phase: float) -> list[Warmup]:
    """Linear warmups that end at (phase, base), from the points before the peak."""
    k, y, p = obs.k, obs.y, obs.peak
    if p == 0:
        return [Warmup("none")] if k[0] >= phase or phase == 0 else []
    line = fit_line(k[:p], y[:p]) if p >= 2 else None
    quirk = []
    if p >= 3 and k[0] == 0:
        # the seed articles' warmups: a straight line from step 1, step 0 set apart
        line1 = fit_line(k[1 : p + 1], y[1 : p + 1])
        if line1 is not None and line1.residual <= 1e-12 and line1.b > 0 and y[0] != line1.a:
            w = as_int((base - line1.a) / line1.b) or as_int((float(y[p]) - line1.a) / line1.b)
            if w is not None and w >= 1:
                quirk = [Warmup("seed", w, float(y[0]), snap(line1.a, 1e-9))]
    if line is None or not obs.exact(line.residual) or line.b <= 0:
        if quirk:
            return quirk
        if p == 1 and k[0] == 0 and phase > 0:
            line = None
            a, b = float(y[0]), (base - float(y[0])) / phase
        else:
            return []
    else:
        a, b = line.a, line.b
    out = []
    w = as_int(phase)
    if w is None or w < 1:
        return []
    if abs(a) <= _rtol(1e-9) * base and as_int(base / b) == w:
        out.append(Warmup("zero", w, 0.0))
    if a > _rtol(1e-9) * base and as_int((base - a) / b) == w:
        out.append(Warmup("factor", w, snap(a)))
    return out + quirk


@dataclass(frozen=True)
class Decay:
    shape: str  # const | cosine | linear | power | invsqrt | exp | steps | sqrt
    length: float = 0.0  # decay steps (cos: T; line/power: total_iters)
    floor: float = 0.0  # absolute LR at the end (eta_min, lr_end, min ratio × base)
    power: float = 1.0
    timescale: int = 0
    gamma: float = 1.0
    tail: bool = False  # the series holds the floor after the decay
    steps_spec: tuple = ()  # (runs starts, values) of a step decay


def gen_warmup_decay(obs: Obs) -> Iterator[Candidate]:
    k, y = obs.k, obs.y
    starts, ends = obs.runs
    p = obs.peak
    run = int(np.searchsorted(starts, p, side="right")) - 1
    flat_end = int(ends[run])  # first index after the flat top
    # the tail: a final run of equal values below the top
    tail_start = int(starts[-1]) if ends[-1] - starts[-1] >= 2 and starts[-1] > p else None
    d0 = flat_end - 1  # the decay starts at the last point of the flat top
    for base, phase_decay in _bases_and_phases(obs, d0, tail_start):
        warm_phase = float(k[p]) if p > 0 else 0.0
        if p > 0 and base > obs.top * (1 + obs.tol):
            warm_phase = _warm_end(obs, base)
            if warm_phase is None:
                continue
        stable = phase_decay - warm_phase
        if stable < -1e-9:
            continue
        s = as_int(stable)
        if s is None:
            continue
        for warm in _warmups(obs, base, warm_phase):
            for decay in _decays(obs, base, phase_decay, d0, flat_end, tail_start):
                yield from _emit(warm, s, decay, base)
            if warm.style != "none" and p > 0:
                # a staircase after the warmup: its steps count from the warmup's end
                kd, yd = k[p:], y[p:]
                rs = obs.runs[0][obs.runs[0] >= p] - p
                if 1 < rs.size <= max(2, yd.size // 2) and rs[0] == 0:
                    yield from _emit(warm, 0, Decay("steps", steps_spec=(kd, yd, rs, yd[rs])), base)


def gen_sparse_warmup_decay(obs: Obs) -> Iterator[Candidate]:
    """Warmup + decay logged every few steps: the warmup's end lies between the samples around the peak.
    Each integer step there is tried as the end (its base from the warmup line), the decay fitted after."""
    k, y, p = obs.k, obs.y, obs.peak
    n = obs.n
    if p < 2 or p >= n - 3:
        return  # (the log may start past step 0: HF Trainer's first LR is the update at step 1's)
    lo = float(k[p - 1])
    hi = float(k[p + 1])
    if hi - lo <= 2 or hi - lo > 130:
        return  # dense around the peak (handled by gen_warmup_decay), or too coarse to pin the end down
    line = fit_line(k[:p], y[:p])
    if line is None or not obs.exact(line.residual) or line.b <= 0:
        return
    tail_start = int(obs.runs[0][-1]) if obs.runs[1][-1] - obs.runs[0][-1] >= 2 else None
    zero = abs(line.a) <= _rtol(1e-9) * obs.top
    for w in range(int(lo) + 1, int(hi)):
        if w == k[p]:
            continue
        base = snap(line.a + line.b * w, 1e-9)
        if base < obs.top * (1 - 1e-9):
            continue
        warm = Warmup("zero", w, 0.0) if zero else Warmup("factor", w, snap(line.a), snap(line.a))
        first = int(np.searchsorted(k, w, side="left"))
        if first >= n - 2:
            continue
        for tail_point in (True, False):
            for decay in _decays_from(obs, base, float(w), first, tail_start, tail_point):
                yield from _emit(warm, 0, decay, base)


def _warm_end(obs: Obs, base: float) -> float | None:
    p = obs.peak
    if p < 2:
        return None
    line = fit_line(obs.k[:p], obs.y[:p])
    if line is None or line.b <= 0:
        return None
    w = (base - line.a) / line.b
    return float(round(w)) if as_int(w) is not None else None


def _bases_and_phases(obs: Obs, d0: int, tail_start: int | None) -> list[tuple[float, float]]:
    """(base LR, step where the decay starts) pairs: the peak itself, and where the peak was not logged
    (sparse logs, a log starting late) the top of a free cosine / line through the decay."""
    k, y = obs.k, obs.y
    out = [(float(y[obs.peak]), float(k[d0]))]
    end = tail_start + 1 if tail_start is not None else obs.n
    kd, yd = k[d0:end], y[d0:end]
    if kd.size >= 5:
        # the decay's own top, when the peak point belongs to a warmup that overshoots it (the seeds')
        cos = fit_cosine(kd[1:], yd[1:], phase=float(kd[0]))
        if cos is not None and obs.exact(cos.residual):
            top = snap(cos.top, 1e-9)
            if 1e-12 < abs(top - out[0][0]) <= obs.tol * top:
                out.append((top, float(kd[0])))
    if kd.size >= 4 and (k[0] > 0 or _sparse(k)):
        cos = fit_cosine(kd, yd)
        if cos is not None and obs.exact(cos.residual) and cos.phase <= kd[0] + 1e-6:
            ph = as_int(cos.phase, atol=1e-2)
            if ph is not None and ph >= 0:
                out.append((snap(cos.top), float(ph)))
        if obs.peak == 0 and k[0] > 0:
            line = fit_line(kd, yd)
            if line is not None and obs.exact(line.residual):
                out.append((snap(line.a), 0.0))
            ex = fit_exponential(kd, yd)
            if ex is not None and obs.exact(ex.residual):
                out.append((snap(ex.amplitude), 0.0))
    return out


def _sparse(k: np.ndarray) -> bool:
    return k.size > 1 and float(np.min(np.diff(k))) > 1


def _decays(
    obs: Obs, base: float, phase: float, d0: int, flat_end: int, tail_start: int | None
) -> Iterator[Decay]:
    n = obs.n
    if flat_end >= n and abs(float(obs.y[-1]) - base) <= 1e-9 * base:
        if flat_end - d0 >= 1 and n - obs.peak >= 2:  # the top held for a while: the warmup has ended
            yield Decay("const")
        return
    seen: set[Decay] = set()
    # the decay's first point may belong to the warmup instead (the seeds' ramps end on their peak), and
    # on a sparse log the tail's first point need not be where the decay ended
    for first in (d0, d0 + 1):
        for last_in in (True, False):
            for decay in _decays_from(obs, base, phase, first, tail_start, last_in):
                if decay not in seen:
                    seen.add(decay)
                    yield decay


def _decays_from(
    obs: Obs, base: float, phase: float, d0: int, tail_start: int | None, tail_point: bool = True
) -> Iterator[Decay]:
    k, y, tol = obs.k, obs.y, obs.tol
    n = obs.n
    end = (tail_start + 1 if tail_point else tail_start) if tail_start is not None else n
    # fit the first non-increasing stretch only (a cosine's rise past T_max, a restart, a cycle come after;
    # the engine verifies them against the whole series)
    rise = np.flatnonzero(y[d0 + 1 : end] > y[d0 : end - 1] * (1 + 1e-12))
    if rise.size and d0 + 1 + int(rise[0]) - d0 >= 4:
        end = min(end, d0 + 1 + int(rise[0]))
        tail_start = tail_start if tail_start is not None and tail_start < end else None
    kd, yd = k[d0:end], y[d0:end]
    tail = tail_start is not None
    floor_seen = float(y[-1]) if tail else None
    if kd.size < 3:
        return
    starts = obs.runs[0]
    levels = int(np.searchsorted(starts, end) - np.searchsorted(starts, d0, side="right")) + 1
    if 1 < levels <= max(2, kd.size // 4):
        return  # a staircase, not a curve: the step generators say it
    rel = kd - phase
    # cosine from the base at `phase` (over its first part too: torch's recursive cosine drifts over
    # many periods, and the engine reproduces that drift, not the ideal curve)
    part = kd.size
    cos = fit_cosine(kd, yd, phase=phase) if kd.size >= 4 else None
    if (cos is None or cos.residual > 1e-3) and kd.size >= 64:
        part = kd.size // 8
        cos = fit_cosine(kd[:part], yd[:part], phase=phase)
    if cos is not None and cos.residual <= 1e-3:
        T = as_int(cos.half_period, rtol=1e-5, atol=0.05)
        if T is not None and T >= 1:
            exact = cosine_with(kd[:part], yd[:part], float(T), phase)
            if exact is not None and obs.exact(exact.residual) and abs(exact.top - base) <= tol * base:
                eta = _floor_value(exact.bottom, base, floor_seen)
                yield Decay("cosine", T, eta, tail=tail)
    # straight line from the base
    line = fit_line(kd, yd)
    if line is not None and obs.exact(line.residual) and line.b < 0:
        start = line.a + line.b * phase
        if abs(start - base) <= tol * base:
            slope = line.b
            if tail:
                length = (floor_seen - base) / slope
                t = as_int(length, atol=1e-2)
                if t is not None and t >= 1:
                    yield Decay("linear", t, floor_seen, tail=True)
            else:
                t0 = as_int(-base / slope, atol=1e-2)
                if t0 is not None and t0 >= 1:
                    yield Decay("linear", t0, 0.0)
                t = max(1, math.ceil(float(rel[-1])))
                yield Decay("linear", t, snap(base + slope * t, 1e-9), tail=False)
    # power decay to a floor (0, the tail value, transformers' default lr_end)
    floors = [0.0, 1e-7] + ([floor_seen] if floor_seen is not None else [])
    for e in dict.fromkeys(floors):
        if e >= base:
            continue
        length = float(k[tail_start] - phase) if tail and tail_point else None
        pw = fit_power(kd, yd, phase=phase, top=base, end=e, length=length)
        if pw is None or pw.residual > 1e-3:
            continue
        t = as_int(pw.length, rtol=1e-5, atol=0.05)
        if t is None or t < 1:
            continue
        pw = fit_power(kd, yd, phase=phase, top=base, end=e, length=float(t))
        if pw is None:
            continue
        ys, rs = thinned(yd, rel)
        power = nice(
            pw.power,
            lambda q, ys=ys, rs=rs, e=e, t=t: rel_residual(ys, _power(rs, base, e, t, q)) <= tol / 10,
        )
        if obs.exact(rel_residual(ys, _power(rs, base, e, t, power))) and abs(power - 1.0) > 1e-12:
            yield Decay("power", t, e, power=power, tail=tail)
    # inverse square root: y^-2 is a line
    inv = fit_inverse_sqrt(kd, yd)
    if inv is not None and obs.exact(inv.residual):
        ts = as_int(1.0 / (inv.b * base * base), atol=1e-2)
        if ts is not None and ts >= 1:
            yield Decay("invsqrt", timescale=ts)
    # exponential from the base
    ex = fit_exponential(kd, yd)
    if ex is not None and obs.exact(ex.residual) and ex.gamma < 1:
        ys, rs = thinned(yd, rel)
        g = nice(ex.gamma, lambda q: rel_residual(ys, base * q**rs) <= tol / 10)
        yield Decay("exp", gamma=g)
    # 1 − sqrt decay (WSD) to the tail floor, or (not reached yet) to 0 or to where its warmup started
    if floor_seen is not None:
        floors = [floor_seen / base]
    else:
        floors = [0.0] + ([float(y[0]) / base] if k[0] == 0 and 0 < y[0] < base else [])
    for m in floors:
        if tail and tail_point:
            length = float(k[tail_start] - phase)
        else:
            q = (base - yd[-1]) / (base * (1 - m)) if m < 1 else 0
            length = float(rel[-1] / (q * q)) if q > 0 else 0
        d = as_int(length, atol=1e-2)
        if d and d >= 1:
            ys, rs = thinned(yd, rel)
            with np.errstate(invalid="ignore"):
                model = base * (m + (1 - m) * (1 - np.sqrt(np.clip(rs / d, 0, None))))
            if obs.exact(rel_residual(ys, model)):
                yield Decay("sqrt", d, m * base, tail=tail)


def _power(rel: np.ndarray, base: float, end: float, t: int, p: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return end + (base - end) * np.clip(1 - rel / t, 0, None) ** p


def _floor_value(bottom: float, base: float, seen: float | None) -> float:
    if seen is not None and abs(seen - bottom) <= 1e-6 * base:
        return seen
    # a floor is fitted as top − amplitude: its error is relative to the top, not to itself
    atol = _rtol(1e-10) * base
    if abs(bottom) <= max(atol, 1e-12 * base):
        return 0.0
    return nice(bottom, lambda r: abs(r - bottom) <= atol)


def _emit(warm: Warmup, stable: int, decay: Decay, base: float) -> Iterator[Candidate]:
    """Spell (warmup, stable phase, decay) in each library that has it."""
    w = warm.steps
    b = (base,)
    f = snap_ratio(warm.start / base) if warm.style == "factor" else 1.0
    shape_family = {
        "const": "constant",
        "cosine": "cosine",
        "linear": "linear",
        "power": "polynomial",
        "invsqrt": "inverse_sqrt",
        "exp": "exponential",
        "steps": "step",
        "sqrt": "wsd",
    }[decay.shape]
    if decay.shape == "const":
        family = "warmup_constant"
    elif stable > 0 or decay.shape == "sqrt":
        family = "wsd"
    elif warm.style == "none":
        family = shape_family
    else:
        family = "warmup_" + shape_family if shape_family != "wsd" else "wsd"

    def torch_warm(child: str, milestone_extra: list[int] | None = None, children_extra=()) -> str:
        """SequentialLR([LinearLR warmup, (ConstantLR stable), child], milestones) or the child alone."""
        children, milestones = [], []
        if warm.style == "factor":
            children.append(call("LinearLR", start_factor=f, end_factor=1.0, total_iters=w))
            milestones.append(w)
        if stable > 0:
            children.append(call("ConstantLR", factor=1.0, total_iters=0))
            milestones.append(w + stable)
        if not children:
            return child
        children.append(child)
        return call("SequentialLR", raw_list(children), milestones=milestones)

    torch_ok = warm.style != "zero"
    if decay.shape == "const":
        if warm.style == "none":
            return
        if warm.style == "zero":
            yield Candidate(
                family, call("get_constant_schedule_with_warmup", num_warmup_steps=w), b, "transformers"
            )
        else:
            yield Candidate(family, call("LinearLR", start_factor=f, end_factor=1.0, total_iters=w), b)
        return
    if decay.shape == "cosine":
        T, eta = int(decay.length), decay.floor
        if warm.style == "seed":
            if stable == 0 and not decay.tail:
                yield from _seed_cosine(warm, T, eta, base)
            return
        if torch_ok and not decay.tail:
            yield Candidate(family, torch_warm(call("CosineAnnealingLR", T_max=T, eta_min=eta)), b)
        if stable == 0 and warm.style != "factor" and not decay.tail:
            if eta == 0:
                spec = call("get_cosine_schedule_with_warmup", num_warmup_steps=w, num_training_steps=w + T)
            else:
                spec = call(
                    "get_cosine_with_min_lr_schedule_with_warmup",
                    num_warmup_steps=w,
                    num_training_steps=w + T,
                    min_lr_rate=snap(eta / base),
                )
            yield Candidate(family, spec, b, "transformers")
        yield from _wsd(family, warm, stable, T, "cosine", snap(eta / base), base)
        if stable == 0:
            yield Candidate(
                family,
                call(
                    "CosineLRScheduler",
                    t_initial=T,
                    lr_min=eta,
                    warmup_t=w if w else None,
                    warmup_lr_init=warm.start if w else None,
                    warmup_prefix=True if w else None,
                    t_in_epochs=False,
                ),
                b,
                "timm",
            )
        return
    if decay.shape == "linear":
        T, end = int(decay.length), decay.floor
        e = snap_ratio(end / base) if end else 0.0
        if torch_ok:
            yield Candidate(
                family, torch_warm(call("LinearLR", start_factor=1.0, end_factor=e, total_iters=T)), b
            )
        if e == 0 and stable == 0 and warm.style != "factor":
            yield Candidate(
                family,
                call("get_linear_schedule_with_warmup", num_warmup_steps=w, num_training_steps=w + T),
                b,
                "transformers",
            )
        yield from _wsd(family, warm, stable, T, "linear", e, base)
        return
    if decay.shape == "power":
        T, end, pw = int(decay.length), decay.floor, decay.power
        if end == 0 and torch_ok:
            yield Candidate(family, torch_warm(call("PolynomialLR", total_iters=T, power=pw)), b)
        if stable == 0 and warm.style != "factor":
            yield Candidate(
                family,
                call(
                    "get_polynomial_decay_schedule_with_warmup",
                    num_warmup_steps=w,
                    num_training_steps=w + T,
                    lr_end=end,
                    power=pw,
                ),
                b,
                "transformers",
            )
        return
    if decay.shape == "invsqrt":
        if stable == 0 and warm.style != "factor":
            ts = decay.timescale
            default = w if w else 10_000
            yield Candidate(
                family,
                call(
                    "get_inverse_sqrt_schedule", num_warmup_steps=w, timescale=None if ts == default else ts
                ),
                b,
                "transformers",
            )
        return
    if decay.shape == "exp":
        if torch_ok:
            yield Candidate(family, torch_warm(call("ExponentialLR", gamma=decay.gamma)), b)
        return
    if decay.shape == "steps":
        if not torch_ok or (warm.style == "none" and stable == 0):
            return  # plain steps: gen_piecewise_constant
        kd, yd, starts, values = decay.steps_spec
        phase = float(kd[0])

        def wrap(child: str, child_family: str) -> tuple[str, str]:
            return torch_warm(child), family if stable else "warmup_step"

        yield from _steps_from(kd, yd, starts, values, phase=phase, base=base, wrap=wrap)
        return
    if decay.shape == "sqrt":
        yield from _wsd("wsd", warm, stable, int(decay.length), "1-sqrt", snap(decay.floor / base), base)


def _wsd(family: str, warm: Warmup, stable: int, length: int, decay_type: str, ratio: float, base: float):
    """transformers' get_wsd_schedule, whose warmup starts at min_lr_ratio × the base (0 by default)."""
    if warm.style == "none" or abs(warm.start - ratio * base) <= 1e-9 * base:
        yield Candidate(
            family,
            call(
                "get_wsd_schedule",
                num_warmup_steps=warm.steps,
                num_decay_steps=length,
                num_stable_steps=stable,
                decay_type=decay_type,
                min_lr_ratio=ratio,
            ),
            (base,),
            "transformers",
        )


def _seed_cosine(warm: Warmup, T: int, eta: float, base: float) -> Iterator[Candidate]:
    """The seed articles' warmup + cosine: a LambdaLR whose ratio adds eta_min (step 0 = base·eta_min), and
    an _LRScheduler subclass with absolute LRs whose step 0 is lr_min + span·start_ratio/warm_up."""
    w = warm.steps
    if abs(warm.line_start) <= 1e-9 * base:
        yield Candidate(
            "warmup_cosine",
            call(
                "warm_up_cosine_lr_scheduler", epochs=w + T, warm_up_epochs=w, eta_min=snap(warm.start / base)
            ),
            (base,),
            "seed",
        )
    lr_min = warm.line_start
    span = base - lr_min
    if span > 0:
        ratio = snap((warm.start - lr_min) * w / span, 1e-8)
        yield Candidate(
            "warmup_cosine",
            call("WarmupCosineLR", lr_min=lr_min, lr_max=base, warm_up=w, T_max=w + T, start_ratio=ratio),
            (base,),
            "seed",
        )


# ------------------------------------------------------------------------------------------- one-cycle
def gen_onecycle(obs: Obs) -> Iterator[Candidate]:
    """OneCycleLR: up from max_lr/div_factor to max_lr by step pct·T − 1 (a fraction of a step in general),
    then down to the floor at T − 1; three-phase: back to the start by 2·(pct·T − 1), then to the floor."""
    k, y, p = obs.k, obs.y, obs.peak
    n = obs.n
    if p < 3 or p >= n - 2 or k[0] != 0:
        return
    for up_end in (p + 1, p):  # the logged peak may already be past the (fractional) turn
        ku, yu = k[:up_end], y[:up_end]
        kd, yd = k[up_end:], y[up_end:]
        if kd.size < 3:
            continue
        # cosine annealing: the rise is half a cosine from its minimum at step 0
        up = fit_cosine(ku, yu) if ku.size >= 4 else None
        if up is not None and up.residual <= 1e-4 and _min_at_zero(up):
            for three in (False, True):
                e1, init, peak = up.half_period, up.bottom, up.top
                start = 2 * e1 if three else e1
                rest = kd > start if three else np.ones(kd.size, bool)
                if rest.sum() < 3:
                    continue
                down = fit_cosine(kd[rest], yd[rest], phase=start)
                if down is None or down.residual > 1e-4:
                    continue
                # with the total known, the turns are exact (pct·T − 1 ...): refit the levels on them
                total = as_int(start + down.half_period + 1, rtol=1e-5, atol=0.05)
                if total is not None and total > 2:
                    pct = _pct(e1, total)
                    e1x = float(pct * total) - 1
                    startx = 2 * e1x if three else e1x
                    upx = cosine_with(ku, yu, e1x, e1x)
                    downx = cosine_with(kd[rest], yd[rest], float(total - 1) - startx, startx)
                    if upx is not None and downx is not None:
                        e1, init, peak, down, start = e1x, upx.bottom, upx.top, downx, startx
                cand = _onecycle(e1, start + down.half_period, peak, init, down.bottom, "cos", three)
                if cand is not None:
                    yield cand
        # linear annealing: two (three) straight lines meeting at the turns
        line_up = fit_line(ku, yu)
        line_down = fit_line(*_first_straight(kd, yd))
        if line_up is None or line_down is None or line_up.b <= 0 or line_down.b >= 0:
            continue
        if not obs.exact(line_up.residual):
            continue
        e1 = (line_down.a - line_up.a) / (line_up.b - line_down.b)
        init, peak = line_up.a, line_up.a + line_up.b * e1
        if obs.exact(line_down.residual):
            floor_step = float(kd[-1])
            # the end: where the line reaches its last value if the log ends on the floor, else unknown
            end = floor_step if _ends_flat(yd) else None
            for end_step in filter(None, (end, float(kd[-1]))):
                floor = line_down.a + line_down.b * end_step
                cand = _onecycle(e1, end_step, peak, init, floor, "linear", False)
                if cand is not None:
                    yield cand
        # three-phase linear: the descent reaches init at 2·e1, then a second slope to the floor
        rest = kd > 2 * e1
        if rest.sum() >= 3:
            line3 = fit_line(kd[rest], yd[rest])
            if line3 is not None and obs.exact(line3.residual) and line3.b < 0:
                end_step = float(kd[-1])
                cand = _onecycle(e1, end_step, peak, init, line3.a + line3.b * end_step, "linear", True)
                if cand is not None:
                    yield cand


def _first_straight(k: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The leading points of (k, y) that lie on one straight line (a three-phase descent bends once)."""
    if k.size < 4:
        return k, y
    slope = np.diff(y) / np.diff(k)
    bend = np.flatnonzero(np.abs(slope - slope[0]) > 1e-6 * abs(slope[0]))
    stop = int(bend[0]) + 1 if bend.size else k.size
    return (k[:stop], y[:stop]) if stop >= 2 else (k, y)


def _ends_flat(y: np.ndarray) -> bool:
    return False


def _min_at_zero(fit: CosFit) -> bool:
    """Whether the cosine's minimum is at step 0 (its maxima at odd multiples of the half-period)."""
    T = fit.half_period
    off = (fit.phase - T) % (2 * T)
    return min(off, 2 * T - off) <= 1e-3 * T


def _pct(e1: float, total: int) -> float:
    """pct_start, shortened, such that pct·total − 1 is still the fitted end of the rise."""
    return nice((e1 + 1) / total, lambda q: abs(float(q * total) - 1 - e1) <= _rtol(1e-7) * max(e1, 1))


def _onecycle(e1, end_step, peak, init, floor, strategy, three) -> Candidate | None:
    total = as_int(end_step + 1, rtol=1e-5, atol=0.05)
    if total is None or total < 2 or init <= 0 or floor <= 0 or peak <= init:
        return None
    if not (0 < (e1 + 1) / total < 1):
        return None
    pct = _pct(e1, total)
    # the levels are fitted as top ± amplitude: their errors are relative to the peak
    atol = _rtol(1e-10) * peak
    init = nice(init, lambda r: abs(r - init) <= atol)
    floor = nice(floor, lambda r: abs(r - floor) <= atol)
    div = snap(peak / init, 1e-9)
    final = snap(init / floor, 1e-8)
    spec = call(
        "OneCycleLR",
        max_lr=snap(peak, 1e-12),
        total_steps=total,
        pct_start=pct,
        anneal_strategy=None if strategy == "cos" else "linear",
        div_factor=None if div == 25.0 else div,
        final_div_factor=None if final == 1e4 else final,
        three_phase=True if three else None,
    )
    return Candidate("onecycle", spec, (snap(peak / div, 1e-12),))


# ------------------------------------------------------------------------------------------- cyclic
def gen_cyclic(obs: Obs) -> Iterator[Candidate]:
    k, y = obs.k, obs.y
    if k[0] != 0:
        return
    pieces = [pc for pc in obs.pieces if pc.size >= 2]
    # a cycle shows only once the LR rises again (one rise and one fall is a warmup and a decay)
    if len(pieces) < 3 or pieces[0].trend != 1 or pieces[1].trend != -1 or pieces[2].trend != 1:
        return
    first, second = pieces[0], pieces[1]
    base_lr = float(y[0])
    up_line = fit_line(k[first.start : first.end], y[first.start : first.end])
    down_line = fit_line(k[second.start : second.end], y[second.start : second.end])
    if up_line is None or down_line is None or down_line.b >= 0 or up_line.b <= 0:
        return
    # the peak where the two lines meet (sparse logs need not hit it)
    k_peak = (down_line.a - up_line.a) / (up_line.b - down_line.b)
    up = as_int(k_peak, atol=1e-2)
    if up is None or up < 1:
        return
    amp = float(up_line(np.array([float(up)]))[0]) - base_lr
    if amp <= 0:
        return
    down_len = amp / -down_line.b
    down = as_int(down_len, atol=1e-2)
    if down is None:
        return
    max_lr = snap(base_lr + amp, 1e-12)
    base_lr = snap(base_lr, 1e-12)
    down_arg = None if down == up else down

    def cyclic(mode: str | None, top: float, gamma: float | None = None) -> Candidate:
        spec = call(
            "CyclicLR",
            base_lr=base_lr,
            max_lr=top,
            step_size_up=up,
            mode=mode,
            gamma=gamma,
            step_size_down=down_arg,
        )
        return Candidate("cyclic", spec, (base_lr,))

    yield cyclic(None, max_lr)
    yield cyclic("triangular2", max_lr)
    # exp_range: the amplitude shrinks by gamma per step; gamma from the second peak
    peaks = [pc.end - 1 for pc in pieces if pc.trend == 1]
    if len(peaks) >= 2:
        a1, a2 = y[peaks[0]] - base_lr, y[peaks[1]] - base_lr
        if a1 > 0 and a2 > 0:
            gamma = snap((a2 / a1) ** (1.0 / float(k[peaks[1]] - k[peaks[0]])), 1e-9)
            yield cyclic("exp_range", snap(base_lr + a1 / gamma ** float(k[peaks[0]]), 1e-9), gamma)


# ------------------------------------------------------------------------------------------- warm restarts
def gen_warm_restarts(obs: Obs) -> Iterator[Candidate]:
    k, y = obs.k, obs.y
    d = np.diff(y)
    jumps = np.flatnonzero(d > 0)
    if jumps.size == 0:
        return
    # restarts: rises back to (about) the top; everything else decreases
    rises = jumps[(y[jumps + 1] >= 0.5 * obs.top) & (d[jumps] > 0.05 * obs.top)].tolist()
    if len(rises) > MAX_RESTARTS:
        return
    if not rises:
        return
    top = float(y[0]) if k[0] == 0 else obs.top
    # the warmup (transformers hard restarts warm up from 0 first)
    p = obs.peak
    warm = 0
    if p > 0:
        line = fit_line(k[:p], y[:p]) if p >= 2 else None
        if line is None or abs(line.a) > 1e-9 * obs.top:
            return
        w = as_int(obs.top / line.b)
        if w is None:
            return
        warm, top = w, obs.top
        rises = [r for r in rises if r >= p]
        if not rises:
            return
    restarts = [float(k[r + 1]) for r in rises]
    first_len = restarts[0] - warm
    t0 = as_int(first_len)
    if t0 is None or t0 < 1:
        return
    seg = slice(int(np.searchsorted(k, warm)), rises[0] + 1)
    cos = fit_cosine(k[seg], y[seg], phase=float(warm)) if k[seg].size >= 4 else None
    if cos is None:
        return
    eta = _floor_value(cos.bottom, top, None)
    if warm == 0:
        mults = [1]
        if len(restarts) >= 2:
            second = restarts[1] - restarts[0]
            m = as_int(second / t0)
            mults = [m] if m else []
        else:
            # only one restart: the next cycle's length shows in its curvature
            seg2 = slice(rises[0] + 1, obs.n)
            if k[seg2].size >= 4:
                c2 = fit_cosine(k[seg2], y[seg2], phase=restarts[0])
                if c2 is not None:
                    m = as_int(c2.half_period / t0, atol=0.05)
                    mults = [m] if m else [1]
        for mult in mults:
            yield Candidate(
                "warm_restarts",
                call("CosineAnnealingWarmRestarts", T_0=t0, T_mult=mult if mult != 1 else None, eta_min=eta),
                (top,),
            )
    if eta == 0:
        cycles_seen = len(restarts) + 1
        cycle = first_len
        last = float(k[-1])
        for cycles in (cycles_seen, cycles_seen + 1):
            total = as_int(warm + cycles * cycle)
            if total is None:
                continue
            if total <= last and not np.all(y[k >= total] == 0):
                continue
            yield Candidate(
                "warm_restarts",
                call(
                    "get_cosine_with_hard_restarts_schedule_with_warmup",
                    num_warmup_steps=warm,
                    num_training_steps=total,
                    num_cycles=cycles,
                ),
                (top,),
                "transformers",
            )


# ------------------------------------------------------------------------------------------- SequentialLR joins
def gen_sequential(obs: Obs) -> Iterator[Candidate]:
    """A SequentialLR of torch children, one per piece between jumps and trend changes."""
    k, y = obs.k, obs.y
    if k[0] != 0:
        return
    pieces = list(obs.pieces)
    if not 2 <= len(pieces) <= 8:
        return
    top = obs.top
    children: list[str] = []
    milestones: list[int] = []
    for i, pc in enumerate(pieces):
        # a shared boundary point belongs to the later piece (its child starts there at its own k = 0)
        shared = i + 1 < len(pieces) and pieces[i + 1].start < pc.end
        kk, yy = (
            k[pc.start : pc.end - 1 if shared else pc.end],
            y[pc.start : pc.end - 1 if shared else pc.end],
        )
        if kk.size < 2:
            return
        m0 = float(kk[0])
        end_k = float(k[pieces[i + 1].start]) if i + 1 < len(pieces) else float(k[-1]) + 1
        length = as_int(end_k - m0)
        if length is None or length < 1:
            return
        child = _child(obs, kk, yy, m0, top, length, last=i + 1 == len(pieces))
        if child is None:
            return
        children.append(child)
        if i:
            mi = as_int(m0)
            if mi is None:
                return
            milestones.append(mi)
    if len(children) >= 2:
        yield Candidate("sequential", call("SequentialLR", raw_list(children), milestones=milestones), (top,))


def _child(obs: Obs, kk, yy, m0, top, length, last) -> str | None:
    rel = kk - m0
    if np.all(yy == yy[0]):
        f = snap_ratio(float(yy[0]) / top)
        return call("ConstantLR", factor=f, total_iters=0 if f == 1.0 else length + (BIG if last else 0))
    line = fit_line(rel, yy)
    if line is not None and obs.exact(line.residual):
        start = snap_ratio(line.a / top)
        end = line.a + line.b * length
        if 0 < start <= 1 and 0 <= end <= top * (1 + 1e-12):
            return call(
                "LinearLR", start_factor=start, end_factor=snap_ratio(max(end, 0.0) / top), total_iters=length
            )
    if abs(float(yy[0]) - top) <= 1e-9 * top and kk.size >= 4:
        cos = fit_cosine(rel, yy, phase=0.0)
        if cos is not None:
            T = as_int(cos.half_period, rtol=1e-5, atol=0.05)
            if T:
                exact = cosine_with(rel, yy, float(T), 0.0)
                if exact is not None and obs.exact(exact.residual):
                    return call("CosineAnnealingLR", T_max=T, eta_min=_floor_value(exact.bottom, top, None))
        ex = fit_exponential(rel, yy)
        if ex is not None and obs.exact(ex.residual):
            ys, rs = thinned(yy, rel)
            gamma = nice(ex.gamma, lambda g: rel_residual(ys, top * g**rs) <= obs.tol / 10)
            return call("ExponentialLR", gamma=gamma)
    return None


def generate(obs: Obs) -> Iterator[Candidate]:
    """Every generator's candidates for the series (a generator that does not apply yields nothing)."""
    _DATA.precision = obs.precision
    # fits of shapes that do not apply divide by zero, take logs of 0...: expected, and answered by None
    err = np.seterr(all="ignore")
    try:
        # a series whose trend flips hundreds of times is noise: only step schedules could still explain it
        for gen in GENERATORS if not obs.noisy else (gen_piecewise_constant,):
            try:
                yield from gen(obs)
            except (ValueError, ZeroDivisionError, OverflowError, FloatingPointError, np.linalg.LinAlgError):
                continue
    finally:
        _DATA.precision = 0.0
        np.seterr(**err)


GENERATORS = (
    gen_piecewise_constant,
    gen_exponential,
    gen_warmup_decay,
    gen_sparse_warmup_decay,
    gen_onecycle,
    gen_cyclic,
    gen_warm_restarts,
    gen_sequential,
)

__all__ = ["GENERATORS", "CosFit", "call"]
