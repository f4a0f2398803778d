"""The C library's pow and exp over arrays: the values torch's Python float arithmetic computes.

numpy's own vectorised pow and exp are not the C library's: they differ from `x ** p` / `math.exp(x)` by an
ulp in about 5% of calls. Where torch (or a ported library) calls those, the engine calls them too, on the
distinct values only, so its curves stay bit for bit torch's. It costs ~80 ns a value, so only the values a
curve needs are computed, and the longest exponent tables are cached (editing another parameter of a
CyclicLR(mode='exp_range') does not recompute gamma ** k).
"""

from __future__ import annotations

import functools
import math

import numpy as np


def pow_array(x: np.ndarray, p: float) -> np.ndarray:
    """x ** p elementwise, as Python floats compute it (inf where Python raises OverflowError)."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1).tolist()
    return np.fromiter(map(_pow(float(p)), flat), dtype=np.float64, count=len(flat)).reshape(x.shape)


def _pow(p: float):
    def f(v: float) -> float:
        try:
            return v**p
        except OverflowError:
            return math.inf
        except ZeroDivisionError:  # 0.0 ** negative: Python raises; the curve shows inf
            return math.inf

    return f


def powers_of(base: float, exps: np.ndarray) -> np.ndarray:
    """base ** e elementwise for float exponents (Python's float ** float)."""
    e = np.asarray(exps, dtype=np.float64)
    flat = e.reshape(-1).tolist()
    b = float(base)

    def f(v: float) -> float:
        try:
            return b**v
        except (OverflowError, ZeroDivisionError):
            return math.inf

    return np.fromiter(map(f, flat), dtype=np.float64, count=len(flat)).reshape(e.shape)


def int_powers(base: float, n: int) -> np.ndarray:
    """base ** k for k = 0..n-1 with int k (`gamma ** last_epoch`), read-only; cached by base."""
    table = _table(float(base), _bucket(n))
    return table[:n]


def _bucket(n: int) -> int:
    return 1 << max(10, (max(n, 1) - 1).bit_length())


@functools.lru_cache(maxsize=4)
def _table(base: float, n: int) -> np.ndarray:
    out = np.empty(n)
    filled = 0
    try:
        for v in map(base.__pow__, range(n)):
            out[filled] = v
            filled += 1
    except OverflowError:  # |base| > 1: Python raises from here on; the curve shows inf
        out[filled:] = math.inf
    out.flags.writeable = False
    return out


def exp_array(x: np.ndarray) -> np.ndarray:
    """math.exp elementwise (inf where it overflows)."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1).tolist()
    return np.fromiter(map(_exp, flat), dtype=np.float64, count=len(flat)).reshape(x.shape)


def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


__all__ = ["exp_array", "int_powers", "pow_array", "powers_of"]
