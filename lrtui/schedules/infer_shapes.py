"""The shapes a logged LR series is made of, fitted exactly (pure numpy; used by `infer`).

A series is a set of points (k, y): k = the scheduler's step count (float64, increasing, not
necessarily contiguous: many loggers write every N steps), y = the LR there. This module finds its
structure — runs of equal values, monotone pieces, jumps — and fits the primitive curves schedules are
built from, in closed form where one exists:

- line       y = a + b·k                      (least squares)
- exponential y = A·g^k                       (a line through log y)
- inverse sqrt y = (a + b·k)^(-1/2)           (a line through y^-2)
- cosine arc  y = c + A·cos(π(k − φ)/T)       (T from the three-term recurrence of a sampled cosine,
                                               polished by variable projection; then c, A, φ linear)
- power       y = e + A·(1 − (k − φ)/T)^p      (p linear in log space for each T; T by golden search)

Every fit reports its worst relative residual over the points, so callers accept a shape only when it
reproduces the data to the tolerance (exact data leaves ~1e-15; float32 logs ~1e-7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EQ_RTOL = 1e-12  # two logged values are the same LR (float64 from param_groups; float32 logs compare exactly)
FIT_POINTS = 4096  # at most this many points go into a fit (evenly spread, ends kept); verification sees all


# ------------------------------------------------------------------------------------------- helpers
VERIFY_FLOOR = 1e-9  # values below this fraction of the series' peak are compared absolutely (cosine bottoms)
FIT_FLOOR = (
    1e-4  # ... and in the fits, which only propose (their parameters carry rounding; float32 logs more)
)


def rel_residual(y: np.ndarray, model: np.ndarray, floor_ratio: float = FIT_FLOOR) -> float:
    """Worst |y − model| relative to |y|; below floor_ratio × the peak |y| the error is taken relative to
    that floor (a value of 1e-18 at the bottom of a cosine is "0", not something to match to 1e-6)."""
    if y.size == 0:
        return 0.0
    scale = float(np.max(np.abs(y)))
    floor = max(scale * floor_ratio, 1e-300)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(y - model) / np.maximum(np.abs(y), floor)
    if not np.all(np.isfinite(err)):
        return math.inf
    return float(err.max())


def thin(n: int, limit: int = FIT_POINTS) -> np.ndarray:
    """Indices 0..n−1 thinned to about `limit`, evenly by a constant stride (regular grids stay regular),
    always with the last index."""
    if n <= limit:
        return np.arange(n)
    stride = -(-n // limit)
    idx = np.arange(0, n, stride)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return idx


def thinned(*arrays: np.ndarray, limit: int = FIT_POINTS) -> tuple[np.ndarray, ...]:
    """The arrays at `thin` indices: what fits and their residuals look at (verification sees all)."""
    n = arrays[0].size
    if n <= limit:
        return arrays
    idx = thin(n, limit)
    return tuple(a[idx] for a in arrays)


def nice(x: float, ok, max_digits: int = 15) -> float:
    """The shortest decimal rounding of x (fewest significant digits) for which ok(value) holds; x itself
    when none does. Turns 0.95000000000000007 back into 0.95 when the data allow it."""
    if not math.isfinite(x) or x == 0:
        return x
    for digits in range(1, max_digits + 1):
        r = float(f"{x:.{digits}g}")
        if ok(r):
            return r
    return x


def near_int(x: float, rtol: float = 1e-6, atol: float = 1e-3) -> int | None:
    """round(x) when x is that close to an integer, else None."""
    if not math.isfinite(x):
        return None
    r = round(x)
    return int(r) if abs(x - r) <= max(atol, rtol * abs(x)) else None


# ------------------------------------------------------------------------------------------- structure
def equal_runs(y: np.ndarray, rtol: float = EQ_RTOL) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the maximal runs of equal consecutive values (end exclusive)."""
    n = y.size
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    same = np.abs(np.diff(y)) <= rtol * np.maximum(np.abs(y[1:]), np.abs(y[:-1]))
    change = np.flatnonzero(~same) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    ends = np.concatenate([change, [n]]).astype(np.int64)
    return starts, ends


@dataclass(frozen=True)
class Piece:
    """Points [start, end) of the series (end exclusive) and their trend: +1 rising, −1 falling, 0 flat."""

    start: int
    end: int
    trend: int

    @property
    def size(self) -> int:
        return self.end - self.start


def _diff_labels(y: np.ndarray, rtol: float) -> tuple[np.ndarray, np.ndarray]:
    """Per difference y[i] → y[i+1] (of a non-negative series): its sign (−1, 0, +1) and whether it is a
    jump (more than 8× both neighbouring differences, in a direction)."""
    d = np.diff(y)
    tiny = np.maximum(y[1:], y[:-1])
    tiny *= rtol
    sign = (d > tiny).astype(np.int8)
    sign -= d < -tiny
    ad = np.abs(d, out=d)
    jump = np.zeros(ad.size, dtype=bool)
    if y.size >= 4:
        near = np.zeros(ad.size)
        near[1:] = ad[:-1]
        np.maximum(near[:-1], ad[1:], out=near[:-1])
        near *= 8
        jump = ad > near
        jump &= sign != 0
    return sign, jump


def _repeats(gaps: np.ndarray, max_period: int = 4) -> bool:
    """Whether the distances between trend changes repeat with a short period: restarts or cycles every few
    steps over a long run flip the trend hundreds of times, yet are a schedule, not noise. The last two gaps
    may differ (a cycle cut short, an amplitude that fell below the flat tolerance)."""
    body = gaps[:-2]
    return any(body.size > 4 * p and np.array_equal(body[p:], body[:-p]) for p in range(1, max_period + 1))


def monotone_pieces(y: np.ndarray, rtol: float = EQ_RTOL, limit: int | None = None) -> list[Piece] | None:
    """Split the series where its trend changes (rising / falling / flat) or where it jumps.

    Neighbouring pieces share their boundary point (the peak of a warmup is also the start of its decay);
    a jump — a difference more than 8× both neighbouring ones: a restart, a SequentialLR hand-over, a
    step decay — belongs to neither piece, so the points on its two sides start/end different pieces.
    None when there are more than `limit` pieces that do not repeat (noise, not a schedule).
    """
    n = y.size
    if n < 2:
        return [Piece(0, n, 0)]
    sign, jump = _diff_labels(y, rtol)
    label = np.where(jump, 9, sign).astype(np.int8)
    change = np.flatnonzero(label[1:] != label[:-1]) + 1
    if limit is not None and change.size >= limit and not _repeats(np.diff(change)):
        return None
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [label.size]])
    pieces = [Piece(int(a), int(b) + 1, int(label[a])) for a, b in zip(starts, ends) if label[a] != 9]
    return pieces or [Piece(0, n, 0)]


def jump_indices(y: np.ndarray, rtol: float = EQ_RTOL) -> np.ndarray:
    """Indices i where y[i] → y[i+1] is a jump (see `monotone_pieces`)."""
    if y.size < 4:
        return np.empty(0, np.int64)
    return np.flatnonzero(_diff_labels(y, rtol)[1])


# ------------------------------------------------------------------------------------------- linear fits
@dataclass(frozen=True)
class LineFit:
    a: float  # y = a + b·k
    b: float
    residual: float

    def __call__(self, k: np.ndarray) -> np.ndarray:
        return self.a + self.b * k


def _lstsq_line(k: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    """z ≈ a + b·k by least squares, centred for conditioning."""
    if k.size == 1:
        return float(z[0]), 0.0
    km = float(k.mean())
    zm = float(z.mean())
    dk = k - km
    den = float(dk @ dk)
    b = float(dk @ (z - zm)) / den if den > 0 else 0.0
    return zm - b * km, b


def fit_line(k: np.ndarray, y: np.ndarray) -> LineFit | None:
    if k.size < 2:
        return None
    k, y = thinned(k, y)
    a, b = _lstsq_line(k, y)
    # polish through the ends: exact data should then be reproduced to rounding
    if k.size >= 2 and k[-1] != k[0]:
        b2 = (y[-1] - y[0]) / (k[-1] - k[0])
        a2 = y[0] - b2 * k[0]
        r1 = rel_residual(y, a + b * k)
        r2 = rel_residual(y, a2 + b2 * k)
        if r2 <= r1:
            return LineFit(float(a2), float(b2), r2)
        return LineFit(a, b, r1)
    return LineFit(a, b, rel_residual(y, a + b * k))


@dataclass(frozen=True)
class ExpFit:
    amplitude: float  # y = A·g^k
    gamma: float
    residual: float

    def __call__(self, k: np.ndarray) -> np.ndarray:
        return self.amplitude * self.gamma**k


def fit_exponential(k: np.ndarray, y: np.ndarray) -> ExpFit | None:
    if k.size < 3 or np.any(y <= 0):
        return None
    k, y = thinned(k, y)
    la, lb = _lstsq_line(k, np.log(y))
    g = math.exp(lb)
    amp = math.exp(la)
    return ExpFit(amp, g, rel_residual(y, amp * g**k))


@dataclass(frozen=True)
class InvSqrtFit:
    a: float  # y = (a + b·k)^(-1/2)
    b: float
    residual: float

    def __call__(self, k: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 / np.sqrt(self.a + self.b * k)


def fit_inverse_sqrt(k: np.ndarray, y: np.ndarray) -> InvSqrtFit | None:
    if k.size < 3 or np.any(y <= 0):
        return None
    k, y = thinned(k, y)
    a, b = _lstsq_line(k, y**-2.0)
    if b <= 0:
        return None
    fit = InvSqrtFit(a, b, 0.0)
    return InvSqrtFit(a, b, rel_residual(y, fit(k)))


# ------------------------------------------------------------------------------------------- cosine arcs
@dataclass(frozen=True)
class CosFit:
    """y = c + A·cos(π(k − φ)/T): a cosine with half-period T, its maximum c + A at k = φ (A ≥ 0)."""

    c: float
    amplitude: float
    phase: float
    half_period: float
    residual: float

    def __call__(self, k: np.ndarray) -> np.ndarray:
        return self.c + self.amplitude * np.cos(math.pi * (k - self.phase) / self.half_period)

    @property
    def top(self) -> float:
        return self.c + self.amplitude

    @property
    def bottom(self) -> float:
        return self.c - self.amplitude


def _regular_stride(k: np.ndarray) -> float | None:
    """The common spacing of k when it is a regular grid, else None."""
    if k.size < 3:
        return None
    d = np.diff(k)
    h = float(d[0])
    return h if h > 0 and np.all(np.abs(d - h) <= 1e-9 * h) else None


def _regular_part(k: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """k, y without a last point whose gap breaks an otherwise regular grid (thin() keeps the last one)."""
    if k.size >= 4 and _regular_stride(k) is None and _regular_stride(k[:-1]) is not None:
        return k[:-1], y[:-1]
    return k, y


def _period_from_recurrence(k: np.ndarray, y: np.ndarray) -> float | None:
    """Half-period T of a cosine sampled on a regular grid, from y[i+m] − 2y[i] + y[i−m] = −4sin²(θ/2)(y[i] − c).

    Two passes: the stride m is first a sixteenth of the piece, then matched to the estimate (θ ≈ 0.3
    rad where the piece allows), so the second difference is far above rounding.
    """
    k, y = _regular_part(k, y)
    h = _regular_stride(k)
    n = k.size
    if h is None or n < 5:
        return None
    m = max(1, (n - 1) // 16)
    estimate = None
    for _pass in range(2):
        if 2 * m >= n:
            m = (n - 1) // 2
        if m < 1:
            return estimate
        i = np.arange(m, n - m)
        if i.size > FIT_POINTS:
            i = i[thin(i.size)]
        d2 = y[i + m] - 2 * y[i] + y[i - m]
        s, _ = _lstsq_slope(y[i], d2)
        if not (-4.0 < s < 0.0):
            return estimate
        theta = 2.0 * math.asin(math.sqrt(-s / 4.0))
        if theta <= 0:
            return estimate
        estimate = math.pi * h * m / theta
        want = max(1, round(0.3 * estimate / (math.pi * h)))
        if want == m:
            break
        m = want
    return estimate


def _lstsq_slope(x: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    a, b = _lstsq_line(x, z)
    return b, a


def _cos_basis_fit(k: np.ndarray, y: np.ndarray, T: float) -> tuple[float, float, float, float]:
    """Least squares y ≈ c + a·cos(πk/T) + b·sin(πk/T); returns (c, A, φ, sum of squares)."""
    k0 = float(k[0])
    w = math.pi / T
    cs = np.cos(w * (k - k0))
    sn = np.sin(w * (k - k0))
    basis = np.stack([np.ones_like(k), cs, sn], axis=1)
    coef = _solve(basis, y)
    c, a, b = (float(v) for v in coef)
    amp = math.hypot(a, b)
    phase = k0 + math.atan2(b, a) / w  # a·cos + b·sin = A·cos(w(k − k0) − ψ)
    res = y - basis @ coef
    return c, amp, phase, float(res @ res)


def _solve(basis: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares through the normal equations (a few columns: far cheaper than lstsq per call),
    falling back to lstsq when they are singular."""
    gram = basis.T @ basis
    try:
        return np.linalg.solve(gram, basis.T @ y)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(basis, y, rcond=None)[0]


def _golden(f, lo: float, hi: float, iters: int = 80) -> float:
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    x1, x2 = b - g * (b - a), a + g * (b - a)
    f1, f2 = f(x1), f(x2)
    for _ in range(iters):
        if f1 <= f2:
            b, x2, f2 = x2, x1, f1
            x1 = b - g * (b - a)
            f1 = f(x1)
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + g * (b - a)
            f2 = f(x2)
        if b - a <= 1e-11 * max(abs(a), 1.0):
            break
    return (a + b) / 2


def fit_cosine(k: np.ndarray, y: np.ndarray, *, phase: float | None = None) -> CosFit | None:
    """A cosine arc through the points; `phase` fixes where its maximum is (e.g. the warmup's end)."""
    if k.size < 4:
        return None
    k, y = thinned(k, y)
    kk, yy = k, y
    scale = float(np.max(np.abs(yy))) or 1.0
    yn = yy / scale
    span = float(kk[-1] - kk[0])
    if span <= 0:
        return None

    def sse(T: float) -> float:
        if phase is None:
            return _cos_basis_fit(kk, yn, T)[3]
        return _fixed_phase_fit(kk, yn, T, phase)[2]

    guess = _period_from_recurrence(kk, yn)
    if guess is None or not math.isfinite(guess) or guess <= 0:
        if _regular_stride(_regular_part(kk, yn)[0]) is not None and kk.size >= 5:
            return None  # sampled regularly and no sinusoid in the recurrence: not a cosine arc
        # irregular samples: coarse log grid over plausible half-periods, then golden refinement
        grid = np.geomspace(max(span / 8, 1e-9), span * 1e4, 64)
        vals = [sse(float(t)) for t in grid]
        j = int(np.argmin(vals))
        lo, hi = float(grid[max(j - 1, 0)]), float(grid[min(j + 1, grid.size - 1)])
    else:
        lo, hi = guess * 0.98, guess * 1.02
    T = _golden(sse, lo, hi)
    # edge of the bracket: widen once (a poor first guess)
    if abs(T - lo) < 1e-6 * T or abs(T - hi) < 1e-6 * T:
        T = _golden(sse, max(lo / 4, 1e-9), hi * 4)
    return cosine_with(k, y, T, phase)


def _fixed_phase_fit(k: np.ndarray, y: np.ndarray, T: float, phase: float) -> tuple[float, float, float]:
    """Least squares y ≈ c + A·cos(π(k − φ)/T) with φ fixed: (c, A, sum of squares)."""
    cs = np.cos(math.pi * (k - phase) / T)
    basis = np.stack([np.ones_like(k), cs], axis=1)
    coef = _solve(basis, y)
    res = y - basis @ coef
    return float(coef[0]), float(coef[1]), float(res @ res)


def cosine_with(k: np.ndarray, y: np.ndarray, T: float, phase: float | None = None) -> CosFit | None:
    """The best cosine arc of half-period T (and maximum at `phase` when given), with its residual."""
    if not (math.isfinite(T) and T > 0):
        return None
    k, y = thinned(k, y)
    if phase is None:
        c, amp, ph, _ = _cos_basis_fit(k, y, T)
    else:
        c, amp, _ = _fixed_phase_fit(k, y, T, phase)
        ph = phase
        if amp < 0:  # the maximum is half a period away
            amp, ph = -amp, phase + T
    fit = CosFit(c, amp, ph, T, 0.0)
    return CosFit(c, amp, ph, T, rel_residual(y, fit(k)))


# ------------------------------------------------------------------------------------------- power decays
@dataclass(frozen=True)
class PowerFit:
    """y = e + A·(1 − (k − φ)/T)^p for φ ≤ k ≤ φ + T."""

    end: float
    amplitude: float
    phase: float
    length: float
    power: float
    residual: float

    def __call__(self, k: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            x = np.clip(1.0 - (k - self.phase) / self.length, 0.0, None)
            return self.end + self.amplitude * x**self.power


def fit_power(
    k: np.ndarray, y: np.ndarray, *, phase: float, top: float, end: float = 0.0, length: float | None = None
) -> PowerFit | None:
    """A power decay from `top` at k = φ towards `end`; the length T is searched unless given."""
    amp = top - end
    if k.size < 3 or amp <= 0:
        return None
    k, y = thinned(k, y)
    kk, yy = k, y
    keep = (yy - end > amp * 1e-12) & (kk > phase)
    kk, yy = kk[keep], yy[keep]
    if kk.size < 2:
        return None
    z = np.log((yy - end) / amp)

    def power_for(T: float) -> tuple[float, float]:
        x = np.log1p(-(kk - phase) / T)
        den = float(x @ x)
        p = float(x @ z) / den if den > 0 else 0.0
        r = z - p * x
        return p, float(r @ r)

    last = float(kk[-1] - phase)
    if length is None:
        grid = last * (1.0 + np.geomspace(1e-6, 1e4, 60))
        vals = [power_for(float(t))[1] for t in grid]
        j = int(np.argmin(vals))
        lo, hi = float(grid[max(j - 1, 0)]), float(grid[min(j + 1, grid.size - 1)])
        length = _golden(lambda t: power_for(t)[1], lo, hi)
    p, _ = power_for(length)
    if not (math.isfinite(p) and p > 0):
        return None
    fit = PowerFit(end, amp, phase, length, p, 0.0)
    return PowerFit(end, amp, phase, length, p, rel_residual(y, fit(k)))
