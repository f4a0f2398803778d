"""The engine's transcendental functions give Python's `math` values (what torch's float arithmetic uses).

libm.py calls Python's pow/exp (numpy's differ by an ulp in ~5% of calls); numpy's cos is used directly by
the cosine kinds, so it is checked here on the arguments those kinds form (pi * t / T and the recursion's
pi / T, pi * (t - 1) / T), on the machine that runs the tests.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.schedules import libm


def test_numpy_cos_is_math_cos_on_the_cosine_kinds_arguments():
    args = []
    for t_max in (*range(1, 300), 1000, 1023, 4096, 10_000, 99_999, 1_000_000):
        t = np.arange(0, min(2 * t_max, 5000) + 1, dtype=np.float64)
        args += [math.pi * t / t_max, math.pi * (t - 1) / t_max, np.full(1, math.pi / t_max)]
    x = np.concatenate(args)
    rng = np.random.default_rng(0)
    x = np.concatenate([x, rng.uniform(-50, 50, 200_000)])
    want = np.fromiter(map(math.cos, x.tolist()), dtype=np.float64, count=x.size)
    bad = np.flatnonzero(np.cos(x) != want)
    assert bad.size == 0, f"numpy's cos differs from math.cos at {x[bad[:5]].tolist()}"


def test_pow_and_exp_arrays_are_pythons():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0, 2, 20_000), [0.0, 1.0, 1e-300, 1e300]])
    for p in (0.5, 2.0, 0.9, -1.5, 1 / 3, 300.0):
        want = []
        for v in x.tolist():
            try:
                want.append(v**p)
            except (OverflowError, ZeroDivisionError):
                want.append(math.inf)
        assert libm.pow_array(x, p).tolist() == want
    e = rng.uniform(-800, 800, 20_000)
    assert libm.exp_array(e).tolist() == [math.exp(v) if v < 709.78 else math.inf for v in e.tolist()]
    assert libm.powers_of(0.97, e[:100] / 10).tolist() == [0.97 ** (v / 10) for v in e[:100].tolist()]
    assert libm.int_powers(0.97, 3000).tolist() == [0.97**k for k in range(3000)]
    assert libm.int_powers(1.5, 2000)[-1] == math.inf  # Python raises OverflowError there: inf on the curve
