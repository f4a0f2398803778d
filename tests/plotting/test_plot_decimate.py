"""Min/max decimation keeps every extreme, in x order, and never trips over NaN/inf or tiny inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lrtui.plotting.decimate import minmax, minmax_indices, minmax_shared


def test_short_input_is_returned_as_is():
    x = np.arange(10.0)
    y = x**2
    xd, yd, decimated = minmax(x, y, n_buckets=5)
    assert not decimated
    np.testing.assert_array_equal(xd, x)
    np.testing.assert_array_equal(yd, y)


def test_spikes_survive_and_order_is_kept():
    n = 100_000
    x = np.arange(n, dtype=float)
    y = np.cos(x / 7000.0)
    y[12_345] = 50.0  # one-step spike up
    y[67_891] = -50.0  # one-step spike down
    xd, yd, decimated = minmax(x, y, n_buckets=100)
    assert decimated
    assert len(xd) <= 2 * 100 + 2
    assert 12_345.0 in xd and 67_891.0 in xd
    assert yd.max() == 50.0 and yd.min() == -50.0
    assert np.all(np.diff(xd) > 0)  # strictly increasing: bucket order, no duplicates
    # Every kept point is a real data point.
    np.testing.assert_array_equal(yd, y[xd.astype(int)])


def test_each_bucket_contributes_its_min_and_max():
    rng = np.random.default_rng(0)
    n, buckets = 10_007, 50  # uneven bucket sizes on purpose
    y = rng.normal(size=n)
    idx = minmax_indices(y, buckets)
    base, extra = divmod(n, buckets)
    sizes = [base + 1] * extra + [base] * (buckets - extra)
    start = 0
    kept = set(idx.tolist())
    for size in sizes:
        chunk = y[start : start + size]
        assert start + int(chunk.argmin()) in kept
        assert start + int(chunk.argmax()) in kept
        start += size
    assert {0, n - 1} <= kept  # the ends are always kept


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_skipped(bad):
    n = 5_000
    x = np.arange(n, dtype=float)
    y = np.sin(x / 100.0)
    y[::7] = bad
    y[:300] = bad  # whole buckets with nothing usable
    x[11] = np.nan
    xd, yd, decimated = minmax(x, y, n_buckets=40)
    assert decimated
    assert np.isfinite(xd).all() and np.isfinite(yd).all()
    finite = np.isfinite(y) & np.isfinite(x)
    assert yd.max() == y[finite].max() and yd.min() == y[finite].min()


def test_all_non_finite_and_empty_and_single_point():
    xd, yd, decimated = minmax(np.arange(10_000.0), np.full(10_000, np.nan), 10)
    assert xd.size == 0 and yd.size == 0 and not decimated
    xd, yd, decimated = minmax([], [], 10)
    assert xd.size == 0 and not decimated
    xd, yd, decimated = minmax([3.0], [4.0], 10)
    assert xd.tolist() == [3.0] and yd.tolist() == [4.0] and not decimated
    assert minmax_indices([], 3).size == 0


def test_mismatched_lengths_and_bad_bucket_count_are_clear_errors():
    with pytest.raises(ValueError, match="same length"):
        minmax([1, 2, 3], [1, 2], 4)
    with pytest.raises(ValueError, match="n_buckets"):
        minmax_indices([1.0, 2.0], 0)


def test_shared_x_keeps_each_series_extremes():
    n = 20_000
    x = np.arange(n, dtype=float)
    a = np.zeros(n)
    b = np.zeros(n)
    a[1_000] = 1.0
    b[15_000] = -1.0
    b[2] = np.nan
    xd, (ad, bd), decimated = minmax_shared(x, [a, b], n_buckets=30)
    assert decimated
    assert 1_000.0 in xd and 15_000.0 in xd
    assert ad.max() == 1.0 and np.nanmin(bd) == -1.0
    assert len(xd) == len(ad) == len(bd)
    assert np.all(np.diff(xd) > 0)


@settings(max_examples=60, deadline=None)
@given(
    y=arrays(
        np.float64, st.integers(0, 400), elements=st.floats(allow_nan=True, allow_infinity=True, width=64)
    ),
    buckets=st.integers(1, 50),
)
def test_fuzzed_input_never_crashes_and_keeps_extremes(y, buckets):
    x = np.arange(y.size, dtype=float)
    xd, yd, decimated = minmax(x, y, buckets)
    finite = np.isfinite(y)
    assert np.isfinite(yd).all()
    assert np.all(np.diff(xd) > 0)
    if finite.any():
        assert yd.max() == y[finite].max() and yd.min() == y[finite].min()
    assert decimated == (int(finite.sum()) > 2 * buckets)
