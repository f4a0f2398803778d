"""Ticks: decade ticks for log10 axes, nice linear ticks, compact labels."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrtui.plotting.ticks import (
    format_compact,
    format_si,
    linear_ticks,
    log_decade_ticks,
    to_log10,
    with_end_tick,
)


def test_wide_log_range_gets_decade_labels():
    positions, labels = log_decade_ticks(1e-9, 1.0)
    assert 2 <= len(positions) <= 7
    assert all(float(p).is_integer() for p in positions)  # whole decades only
    assert labels[-1] == "1"
    assert "1e-4" in labels or "1e-6" in labels
    assert all(-9 <= p <= 0 for p in positions)
    assert positions == sorted(positions)


def test_sub_decade_log_range_gets_intermediate_ticks():
    positions, labels = log_decade_ticks(1e-4, 1e-3)
    assert labels == ["1e-4", "2e-4", "5e-4", "1e-3"]
    np.testing.assert_allclose(positions, np.log10([1e-4, 2e-4, 5e-4, 1e-3]))


def test_very_narrow_log_range_still_gets_several_ticks():
    positions, labels = log_decade_ticks(0.09, 0.11)
    assert len(positions) >= 3
    assert "0.1" in labels
    values = [10**p for p in positions]
    assert all(0.09 - 1e-12 <= v <= 0.11 + 1e-12 for v in values)
    assert len(set(labels)) == len(labels)


def test_equal_limits_give_one_tick():
    assert log_decade_ticks(0.1, 0.1) == ([-1.0], ["0.1"])
    assert linear_ticks(5.0, 5.0) == ([5.0], ["5"])


def test_nonpositive_or_non_finite_log_limits_give_no_ticks():
    assert log_decade_ticks(0.0, 1.0) == ([], [])
    assert log_decade_ticks(-1.0, -0.5) == ([], [])
    assert log_decade_ticks(math.nan, 1.0) == ([], [])
    assert linear_ticks(math.inf, 1.0) == ([], [])


def test_to_log10_drops_and_counts_unusable_values():
    logs = to_log10([1.0, 0.0, -3.0, math.nan, 100.0, math.inf])
    assert logs.values.tolist() == [0.0, 2.0]
    assert logs.dropped == 4
    assert logs.keep.tolist() == [True, False, False, False, True, False]


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0.0, 1.0, ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        (0.0, 5e-5, ["0", "1e-5", "2e-5", "3e-5", "4e-5", "5e-5"]),
        (0.0, 1e-3, ["0", "2e-4", "4e-4", "6e-4", "8e-4", "1e-3"]),
    ],
)
def test_linear_labels_are_compact(lo, hi, expected):
    assert linear_ticks(lo, hi).labels == expected


def test_step_axis_uses_si_suffixes():
    assert linear_ticks(0, 1_000_000, si=True).labels == ["0", "200k", "400k", "600k", "800k", "1M"]
    assert linear_ticks(0, 12_345, si=True).labels == ["0", "2.5k", "5k", "7.5k", "10k"]
    assert format_si(1200) == "1.2k"
    assert format_si(999_999) == "1M"
    assert format_si(42) == "42"


def test_format_compact():
    assert format_compact(1e-3) == "1e-3"
    assert format_compact(5e-05) == "5e-5"
    assert format_compact(0.1) == "0.1"
    assert format_compact(0.30000000000000004) == "0.3"
    assert format_compact(1000) == "1000"
    assert format_compact(0) == "0"
    assert format_compact(math.nan) == "nan"


@settings(max_examples=80, deadline=None)
@given(
    lo=st.floats(-1e12, 1e12, allow_nan=False),
    span=st.floats(1e-9, 1e12, allow_nan=False),
)
def test_linear_ticks_are_inside_sorted_and_distinct(lo, span):
    hi = lo + span
    if hi == lo:
        return
    positions, labels = linear_ticks(lo, hi)
    assert 1 <= len(positions) <= 7
    tolerance = 1e-9 * max(abs(lo), abs(hi), span)
    assert all(lo - tolerance <= p <= hi + tolerance for p in positions)
    assert positions == sorted(positions)
    assert len(set(labels)) == len(labels)


@settings(max_examples=80, deadline=None)
@given(lo_exp=st.floats(-30, 5), span_exp=st.floats(1e-4, 30))
def test_log_ticks_are_inside_and_distinct(lo_exp, span_exp):
    ymin, ymax = 10.0**lo_exp, 10.0 ** (lo_exp + span_exp)
    positions, labels = log_decade_ticks(ymin, ymax)
    assert 1 <= len(positions) <= 9
    assert all(math.log10(ymin) - 1e-6 <= p <= math.log10(ymax) + 1e-6 for p in positions)
    assert len(set(labels)) == len(labels)


def test_the_x_axis_end_is_labelled_in_full_when_it_fits():
    ticks = linear_ticks(0, 1173, max_ticks=5, si=True)
    assert ticks.positions[-1] < 1173
    ended = with_end_tick(ticks, 0, 1173, 60)
    assert ended.positions[-1] == 1173 and ended.labels[-1] == "1173"  # not '1.17k': the step count exactly
    assert ended.positions[:-1] == ticks.positions
    # too close to the last tick for both labels to fit: left as it was
    assert with_end_tick(ticks, 0, 1173, 12) == ticks
    # an end that already has its tick gets no second one
    round_end = linear_ticks(0, 1000, max_ticks=5, si=True)
    assert with_end_tick(round_end, 0, 1000, 60) == round_end
