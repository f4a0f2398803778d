"""recursion.replay (the fast blocked scan) against the plain loop that defines it."""

from __future__ import annotations

import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.schedules.recursion import BLOCK, compose, replay, replay_reference

EXAMPLES = int(os.environ.get("LRTUI_HYPOTHESIS_EXAMPLES", 100))


def rel_err(x: np.ndarray, ref: np.ndarray) -> float:
    d = np.abs(x - ref)
    return float(np.max(np.where(d == 0, 0.0, d / np.maximum(np.abs(ref), 1e-300)), initial=0.0))


def random_maps(rng, g: int, n: int, p_reset: float, p_affine: float, spread: float):
    a = rng.uniform(1 - spread, 1 + spread, (g, n))
    b = np.where(rng.random((g, n)) < p_affine, rng.uniform(0, 1e-3, (g, n)), 0.0)
    resets = rng.random((g, n)) < p_reset
    a[resets] = 0.0
    b[resets] = rng.uniform(1e-3, 1.0, resets.sum())
    return a, b


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    g=st.integers(1, 3),
    n=st.one_of(st.integers(0, 3 * BLOCK + 5), st.integers(1000, 20_000)),
    p_reset=st.sampled_from([0.0, 0.001, 0.05, 0.5]),
    p_affine=st.sampled_from([0.0, 0.01, 0.5, 1.0]),
    spread=st.sampled_from([0.0, 0.01, 0.3]),
)
def test_replay_matches_the_loop(seed, g, n, p_reset, p_affine, spread):
    rng = np.random.default_rng(seed)
    a, b = random_maps(rng, g, n, p_reset, p_affine, spread)
    lr0 = rng.uniform(0.01, 1.0, g)
    got = replay(a, b, lr0)
    assert got.shape == (g, n)
    assert rel_err(got, replay_reference(a, b, lr0)) <= 1e-12


def test_pure_products_and_resets_are_bit_exact():
    # torch's chainable schedulers multiply in place: the replay must do the same operations in order
    rng = np.random.default_rng(1)
    a, b = random_maps(rng, 2, 50_000, p_reset=0.001, p_affine=0.0, spread=0.05)
    assert np.array_equal(replay(a, b, [0.1, 0.2]), replay_reference(a, b, [0.1, 0.2]))


def test_long_horizon_million_steps():
    n = 1_000_000
    rng = np.random.default_rng(2)
    a = np.full((1, n), 1 - 1e-6)
    b = np.zeros((1, n))
    b[0, ::3] = 1e-9  # affine everywhere-ish: the blocked scan
    a[0, ::250_000] = 0.0
    b[0, ::250_000] = 0.1
    a[0, 1::7] *= rng.uniform(0.99, 1.01, a[0, 1::7].size)
    assert rel_err(replay(a, b, 0.1), replay_reference(a, b, 0.1)) <= 1e-9


def test_underflow_and_zero_lr_do_not_poison_later_blocks():
    n = 5000
    a = np.full((1, n), 1e-3)  # the lr underflows to 0 within a block ...
    b = np.zeros((1, n))
    a[0, 3000] = 0.0  # ... then an absolute schedule sets it again
    b[0, 3000] = 0.5
    a[0, 3001:] = 0.999
    b[0, 3001::2] = 1e-4
    got, ref = replay(a, b, 1.0), replay_reference(a, b, 1.0)
    assert np.all(np.isfinite(got))
    assert rel_err(got, ref) <= 1e-12


def test_scalar_shapes_and_compose():
    assert replay(np.array([0.5, 0.5]), np.array([0.0, 1.0]), 2.0).tolist() == [[1.0, 1.5]]
    a1, b1 = np.array([2.0]), np.array([1.0])
    a2, b2 = np.array([3.0]), np.array([-1.0])
    a, b = compose((a1, b1), (a2, b2))
    x = 0.7
    assert a[0] * x + b[0] == a2[0] * (a1[0] * x + b1[0]) + b2[0]
