"""Axis ticks with short labels, for linear axes and for log10 axes that we compute ourselves.

We never use plotext's `yscale("log")`: plotext 5 rewrites the stored data in place on every build, so the
second build takes the log of a log and crashes. Instead the caller plots log10(y) and labels the axis with
`log_decade_ticks`, whose positions are log10 values and whose labels name the real values ("1e-3").
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "LogValues",
    "TickSet",
    "format_compact",
    "format_si",
    "linear_ticks",
    "log_decade_ticks",
    "log_ticks",
    "nice_step",
    "scaled_ticks",
    "to_log10",
    "with_end_tick",
]


class TickSet(NamedTuple):
    """Tick positions (in plot coordinates) and their labels; unpacks as `positions, labels`."""

    positions: list[float]
    labels: list[str]


class LogValues(NamedTuple):
    """log10 of the positive values of an array; `dropped` counts the values left out (<= 0 or non-finite)."""

    values: np.ndarray
    keep: np.ndarray
    dropped: int


def to_log10(y) -> LogValues:
    """log10 of the usable values of `y` for a log axis; nonpositive and non-finite values are dropped."""
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(y) & (y > 0)
    kept = y[keep]
    return LogValues(np.log10(kept), keep, int(y.size - kept.size))


def _plain(value: float, significant: int) -> str:
    rounded = float(f"{value:.{significant}g}")
    return np.format_float_positional(rounded, trim="-")


def _exponent(value: float, significant: int) -> str:
    mantissa, _, exponent = f"{value:.{max(significant - 1, 0)}e}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign = "-" if exponent.startswith("-") else ""
    return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"


def format_compact(value: float, significant: int = 3) -> str:
    """Shortest readable label: '0.1', '2.5', '1e-3', '5e-5', '1000', '1.23e6'.

    Chooses between plain and exponent notation (whichever is shorter; plain on a tie, and plain for
    numbers >= 1 of up to four characters), rounding to `significant` digits so floating noise
    (0.30000000000000004) never shows.
    """
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    plain = _plain(value, significant)
    if abs(value) >= 1 and len(plain) <= 4:  # '1000' reads better than '1e3'
        return plain
    exponent = _exponent(value, significant)
    return plain if len(plain) <= len(exponent) else exponent


def format_si(value: float, significant: int = 3) -> str:
    """Compact label with k/M/G suffixes for large magnitudes: 1200 -> '1.2k', 1e6 -> '1M', 0.5 -> '0.5'."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(float(f"{value:.{significant}g}"))  # 999_999 rounds to 1M, not '1000k'
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale:
            return f"{_plain(value / scale, significant)}{suffix}"
    return format_compact(value, significant)


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest 'nice' step (1, 2, 2.5 or 5 times a power of ten) giving at most `max_ticks` ticks."""
    raw = span / max(max_ticks - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= raw * (1 - 1e-9):
            return factor * power
    return 10.0 * power


def _clean(value: float, step: float) -> float:
    """Snap a tick to its grid so labels and positions carry no floating noise."""
    snapped = round(value / step) * step
    return round(snapped, max(0, 3 - math.floor(math.log10(step))))


def _count(lo: float, hi: float, step: float) -> int:
    """How many multiples of `step` lie in [lo, hi]."""
    return math.floor(hi / step + 1e-9) - math.ceil(lo / step - 1e-9) + 1


def _finer_steps(step: float) -> list[float]:
    """The next nice steps below `step`, largest first (…, 5, 2.5, 2, 1, 0.5, …)."""
    power = 10.0 ** math.floor(math.log10(step) + 1e-9)
    factors = [f * power for f in (5.0, 2.5, 2.0, 1.0)] + [f * power / 10 for f in (5.0, 2.5, 2.0, 1.0)]
    return [s for s in factors if s < step * (1 - 1e-9)]


def linear_ticks(lo: float, hi: float, max_ticks: int = 6, *, si: bool = False) -> TickSet:
    """Nice ticks inside [lo, hi] with compact labels (`si=True` for step axes: '1.2k', '1M').

    Equal limits give one tick; non-finite limits give none. Labels share the precision their step needs,
    so neighbouring ticks never print the same text.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return TickSet([], [])
    lo, hi = min(lo, hi), max(lo, hi)
    span = hi - lo
    # Equal, too close for floats to tell ticks apart, or a span in the subnormals (no nice step has
    # digits left there): one tick. Callers with extreme values draw in scaled units (`scaled_ticks`).
    if span <= 1e-9 * max(abs(lo), abs(hi)) or span < 1e-300:
        return TickSet([float(lo)], [format_si(lo, 6) if si else format_compact(lo, 6)])
    if not math.isfinite(span):  # beyond the float range: the two ends only
        return TickSet([float(lo), float(hi)], [format_compact(lo), format_compact(hi)])
    step = nice_step(hi - lo, max(max_ticks, 2))
    if _count(lo, hi, step) < 2:  # a coarse step can miss the range (8.2..43 at most 2 ticks: 50): refine
        for finer in _finer_steps(step):
            if _count(lo, hi, finer) > max(max_ticks, 2):
                break
            step = finer
            if _count(lo, hi, step) >= 2:
                break
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    positions = [_clean(k * step, step) for k in range(first, last + 1)]
    # Enough significant digits that consecutive ticks differ in their labels.
    biggest = max(abs(positions[0]), abs(positions[-1]), step) if positions else step
    digits = max(1, math.floor(math.log10(biggest)) - math.floor(math.log10(step)) + 2)
    return TickSet(positions, _uniform_labels(positions, digits, si=si))


def _uniform_labels(values: list[float], digits: int, *, si: bool) -> list[str]:
    """Labels in one notation for the whole axis (all plain or all exponent), whichever is narrower."""
    plain = [_plain(v, digits) if v != 0 else "0" for v in values]
    exponent = [_exponent(v, digits) if v != 0 else "0" for v in values]
    if si:  # step axes: suffixes for thousands and up, plain below
        plain = [format_si(v, digits) if abs(v) >= 1000 else label for v, label in zip(values, plain)]
    widest = max(map(len, plain), default=0)
    return plain if widest <= max(map(len, exponent), default=0) + 1 else exponent


def _in_range(positions: list[float], lo: float, hi: float) -> list[float]:
    tolerance = 1e-9 * max(1.0, hi - lo)
    return [p for p in positions if lo - tolerance <= p <= hi + tolerance]


def log_decade_ticks(ymin: float, ymax: float, max_ticks: int = 7) -> TickSet:
    """Ticks for an axis that shows log10(y), for positive y in [ymin, ymax].

    Positions are log10 values; labels are the real values ('1e-3', '0.1', '2e-4'). Whole decades first
    (thinned to every k-th decade when there are too many); a range spanning less than about a decade also
    gets 2x and 5x ticks, then every 1..9x; a range too narrow even for those (0.09..0.11) gets nice linear
    ticks mapped to log10. Nonpositive or non-finite limits are not a log range: they yield no ticks (use
    `to_log10` first, which drops such values and counts them).
    """
    if not (math.isfinite(ymin) and math.isfinite(ymax)) or ymin <= 0 or ymax <= 0:
        return TickSet([], [])
    ymin, ymax = min(ymin, ymax), max(ymin, ymax)
    lo, hi = math.log10(ymin), math.log10(ymax)
    if hi == lo:
        return TickSet([lo], [format_compact(ymin)])
    # Decades a float can hold (10.0**309 raises OverflowError; below 1e-323 is zero).
    first, last = max(math.floor(lo), -323), min(math.ceil(hi), 308)
    decades = list(range(first, last + 1))
    stride = max(1, math.ceil(len(decades) / max_ticks))
    chosen = [d for d in decades if d % stride == 0]
    values = [10.0**d for d in chosen if lo - 1e-9 <= d <= hi + 1e-9]
    if len(values) < 3 and stride == 1:
        for multipliers in ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
            candidates = [m * 10.0**d for d in decades for m in multipliers]
            denser = [v for v in candidates if ymin * (1 - 1e-9) <= v <= ymax * (1 + 1e-9)]
            if len(denser) > max_ticks + 2:  # 1..9x over more than a decade: too crowded, keep the last
                break
            values = denser
            if len(values) >= 3:
                break
    if len(values) < 3 and stride == 1:
        linear = linear_ticks(ymin, ymax, max_ticks=5)
        pairs = [(p, label) for p, label in zip(*linear) if p > 0]
        if len(pairs) > len(values):
            return TickSet([math.log10(p) for p, _ in pairs], [label for _, label in pairs])
    values = sorted(set(values))
    return TickSet([math.log10(v) for v in values], [format_compact(v, 3) for v in values])


# Just inside log10 of the largest and of the smallest positive float (10.0 ** x raises OverflowError
# past the first; log10(max float) itself rounds up past it).
_LOG10_MAX = 308.25
_LOG10_MIN = -323.3


def log_ticks(lo: float, hi: float, max_ticks: int = 7) -> TickSet:
    """`log_decade_ticks` for an axis given by its log10 limits (any finite ones: clamped to floats)."""
    lo = min(max(lo, _LOG10_MIN), _LOG10_MAX)
    hi = min(max(hi, _LOG10_MIN), _LOG10_MAX)
    return log_decade_ticks(10.0**lo, 10.0**hi, max_ticks=max_ticks)


def scaled_ticks(ticks: TickSet, exp: int) -> TickSet:
    """Ticks computed on values / 10**exp, relabelled with the real values ('1.5e308', '2e-320').

    The labels are exact decimal arithmetic, so a tick beyond the float range still gets its name.
    Positions stay in the scaled units (they are plot coordinates).
    """
    if exp == 0 or not ticks.positions:
        return ticks
    from decimal import Decimal

    positions = ticks.positions
    nonzero = [abs(p) for p in positions if p != 0]
    step = min(
        (abs(b - a) for a, b in itertools.pairwise(positions) if b != a), default=max(nonzero, default=1.0)
    )
    biggest = max(nonzero, default=step)
    digits = max(1, math.floor(math.log10(biggest)) - math.floor(math.log10(step)) + 1)
    labels = []
    for p in positions:
        if p == 0:
            labels.append("0")
            continue
        mantissa, _, exponent = f"{Decimal(repr(p)).scaleb(exp):.{digits - 1}e}".partition("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        labels.append(f"{mantissa}e{int(exponent)}")
    return TickSet(list(positions), labels)


def with_end_tick(ticks: TickSet, lo: float, hi: float, columns: int) -> TickSet:
    """The ticks plus one at the axis end `hi` (an x axis that stops at 1,173 says so), when its label fits
    after the last tick's with a gap; integer ends are labelled in full ('1173', not '1.17k')."""
    if not ticks.positions or columns < 2 or not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return ticks
    last = ticks.positions[-1]
    if abs(hi - last) <= 1e-9 * max(1.0, abs(hi)):
        return ticks  # the end already has its tick
    label = f"{int(hi):,}".replace(",", "") if float(hi).is_integer() and abs(hi) < 1e6 else format_si(hi, 4)
    per_column = (hi - lo) / (columns - 1)
    gap = (hi - last) / per_column  # columns between the last tick and the end
    if gap < (len(ticks.labels[-1]) + len(label)) / 2 + 2:
        return ticks
    return TickSet([*ticks.positions, float(hi)], [*ticks.labels, label])
