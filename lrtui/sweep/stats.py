"""Statistics for a schedule shoot-out: mean ± std over repeats, 95% intervals, Welch's t-test (stdlib only).

No scipy: Student's t distribution comes from the regularized incomplete beta function, evaluated with the
continued fraction of Numerical Recipes (modified Lentz), which converges in a few dozen terms for every
argument used here. `two_sided_p(t, df) = I_{df/(df+t²)}(df/2, 1/2)`; quantiles invert it by bisection.

The verdict a shoot-out needs is "is schedule B really worse than the best one, or is the gap noise?".
`welch` answers one such question: two-sided Welch's t-test (unequal variances, Welch–Satterthwaite
degrees of freedom). With K repeats per schedule each side has K-1 degrees of freedom, so with K=2 the
test has between 1 and 2: only gaps of many standard deviations register — `noise_note` says so in words.
No correction for multiple comparisons is applied (each schedule is compared with the top one only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

ALPHA = 0.05
_EPS = 1e-15
_TINY = 1e-300


# ------------------------------------------------------------------------------ t distribution
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (Numerical Recipes 6.4, modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]."""
    if not (a > 0 and b > 0) or not 0.0 <= x <= 1.0:
        raise ValueError(f"betainc(a={a}, b={b}, x={x}) is not allowed: need a, b > 0 and 0 <= x <= 1")
    if x in (0.0, 1.0):
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    # The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a).
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` (> 0, not necessarily integer) degrees of freedom."""
    if not df > 0:
        raise ValueError(f"df={df} is not allowed: degrees of freedom must be > 0")
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 0.0
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(q: float, df: float) -> float:
    """The t value with P(T <= t) = q (0 < q < 1), by bisection on `two_sided_p` (exact to ~1e-12)."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"q={q} is not allowed: a probability strictly between 0 and 1")
    if q == 0.5:
        return 0.0
    tail = 2.0 * min(q, 1.0 - q)  # the two-sided p-value of the wanted |t|
    lo, hi = 0.0, 1.0
    while two_sided_p(hi, df) > tail:
        hi *= 2.0
        if hi > 1e12:
            break
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if two_sided_p(mid, df) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    t = 0.5 * (lo + hi)
    return t if q > 0.5 else -t


# ------------------------------------------------------------------------------ summaries and tests
@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation (n-1) and 95% t-interval of some repeats."""

    n: int
    mean: float | None
    std: float | None  # None with fewer than 2 values
    ci_low: float | None
    ci_high: float | None

    @property
    def sem(self) -> float | None:
        return None if self.std is None else self.std / math.sqrt(self.n)


def summarize(values: Sequence[float]) -> Summary:
    """Summary of the finite values among `values` (NaN/inf and None are left out)."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    n = len(xs)
    if n == 0:
        return Summary(0, None, None, None, None)
    mean = math.fsum(xs) / n
    if n == 1:
        return Summary(1, mean, None, None, None)
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    std = math.sqrt(var)
    half = t_quantile(0.975, n - 1) * std / math.sqrt(n)
    return Summary(n, mean, std, mean - half, mean + half)


@dataclass(frozen=True)
class Welch:
    """Welch's two-sample t-test of mean(a) - mean(b)."""

    diff: float
    t: float
    df: float
    p: float


def welch(a: Summary, b: Summary) -> Welch | None:
    """Two-sided Welch's t-test between two summaries; None when either has fewer than 2 values.

    Both standard deviations 0: the means are either identical (p = 1) or different beyond any noise the
    repeats showed (p = 0) — a degenerate but honest answer for deterministic runs.
    """
    if a.std is None or b.std is None or a.mean is None or b.mean is None:
        return None
    diff = a.mean - b.mean
    va, vb = a.std**2 / a.n, b.std**2 / b.n
    se2 = va + vb
    if se2 == 0.0:
        return Welch(diff, math.copysign(math.inf, diff) if diff else 0.0, math.inf, 0.0 if diff else 1.0)
    t = diff / math.sqrt(se2)
    df = se2 * se2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1))
    return Welch(diff, t, df, two_sided_p(t, df))


# ------------------------------------------------------------------------------ ranking
@dataclass(frozen=True)
class Ranked:
    """One entry of a ranking: `vs_best` is Welch's test of (this - best); None for the best itself."""

    rank: int  # 1-based
    key: int  # index of the entry in the input
    summary: Summary
    vs_best: Welch | None
    verdict: str  # "best" | "within noise" | "worse" | "untested" | "no data"
    diff: float | None = None  # mean(this) - mean(best): known whenever both have a mean, tested or not

    @property
    def within_noise(self) -> bool | None:
        return {"within noise": True, "worse": False}.get(self.verdict)


def rank(
    summaries: Sequence[Summary], *, higher_is_better: bool = True, alpha: float = ALPHA
) -> list[Ranked]:
    """Order entries by mean (best first; no data last) and test each against the top one.

    verdict: "within noise" when Welch's p >= alpha (the gap to the best cannot be told from the spread of
    the repeats), "worse" when p < alpha, "untested" when either side has fewer than 2 repeats.
    """
    sign = 1.0 if higher_is_better else -1.0
    order = sorted(
        range(len(summaries)),
        key=lambda i: (summaries[i].mean is None, -sign * (summaries[i].mean or 0.0), i),
    )
    out: list[Ranked] = []
    best = summaries[order[0]] if order else None
    for position, i in enumerate(order, start=1):
        s = summaries[i]
        if s.mean is None:
            out.append(Ranked(position, i, s, None, "no data"))
            continue
        if position == 1:
            out.append(Ranked(position, i, s, None, "best"))
            continue
        test = welch(s, best) if best is not None else None
        if test is None:
            verdict = "untested"
        else:
            verdict = "within noise" if test.p >= alpha else "worse"
        diff = s.mean - best.mean if best is not None and best.mean is not None else None
        out.append(Ranked(position, i, s, test, verdict, diff))
    return out


def format_p(p: float) -> str:
    """A p-value for people: three significant digits ('0.0497', not a rounded '0.05'), '<0.001' below."""
    if math.isnan(p):
        return "nan"
    return "<0.001" if p < 0.001 else f"{p:.3g}"


def noise_note(repeats: Sequence[int], alpha: float = ALPHA, *, short: bool = False) -> str:
    """One honest sentence on what the verdicts can tell with these repeat counts (`short`: for a status line)."""
    usable = [n for n in repeats if n > 0]
    if not usable:
        return "no finished runs yet: nothing to compare."
    k = min(usable)
    if short:
        test = f"vs #1: Welch's t, two-sided, α={alpha:g}"
        if k < 2:
            return f"{test} · fewer than 2 finished repeats: untested"
        if k == 2:
            return f"{test} · K=2: 1 df per mean, only large gaps register"
        return f"{test} · K={k}" + (": few repeats, small gaps stay 'within noise'" if k < 5 else "")
    test = (
        f"Welch's t-test of each schedule against the top one, two-sided, α={alpha:g}, "
        "no multiple-comparison correction"
    )
    if k < 2:
        return (
            f"{test}; some schedules have fewer than 2 finished repeats: those are untested (not noise-free)."
        )
    if k == 2:
        return (
            f"{test}. K=2: each mean rests on 1 degree of freedom (critical |t| 4.3-12.7), so only large gaps "
            "register as real; 'within noise' often just means 'too few repeats to tell'."
        )
    if k < 5:
        return f"{test}. K={k}: few repeats; small gaps stay 'within noise' until more repeats are run."
    return f"{test}. K={k} repeats."
