"""Any numbers, any size: the renderer draws what is finite and never raises.

Values near the float limit (an ExponentialLR(gamma=1.1) over 10k steps, --lr 1e308, a logged loss of
1e308), infinities, NaN, subnormals, and every mix of them, in x and in y, linear and log, zoomed or not,
from 1x1 to 400x120 cells. plotext 5 computes with the limits it is given and raised OverflowError on
huge ones; the figure layer hands it scaled coordinates and labels the ticks with the real values.
"""

from __future__ import annotations

import math
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrtui.plotting.figure import Figure, Marker, Series, find_nonfinite, nonfinite_note, render_text

EXAMPLES = int(os.environ.get("LRTUI_HYPOTHESIS_EXAMPLES", "150"))

EDGE = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.2e-308,
    1e-300,
    1e-12,
    0.1,
    1.0,
    7.0,
    1e12,
    1e300,
    1.5e308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    -1e308,
    math.inf,
    -math.inf,
    math.nan,
]
numbers = st.one_of(st.sampled_from(EDGE), st.floats(allow_nan=True, allow_infinity=True))


@st.composite
def series(draw):
    n = draw(st.integers(0, 60))
    kind = draw(st.sampled_from(["steps", "random"]))
    x = (
        np.arange(n, dtype=float)
        if kind == "steps"
        else np.array(draw(st.lists(numbers, min_size=n, max_size=n)))
    )
    y = np.array(draw(st.lists(numbers, min_size=n, max_size=n)), dtype=float)
    return Series(
        x,
        y,
        draw(st.sampled_from(["", "lr", "[/]", "a" * 40])),
        style=draw(st.sampled_from(["line", "scatter"])),
    )


@st.composite
def figures(draw):
    ranges = st.one_of(st.none(), st.tuples(numbers, numbers))
    return Figure(
        series=draw(st.lists(series(), max_size=3)),
        markers=[
            Marker(draw(numbers), draw(st.sampled_from(["", "warmup end", "x" * 30])))
            for _ in range(draw(st.integers(0, 3)))
        ],
        title=draw(st.sampled_from(["", "title"])),
        log_y=draw(st.booleans()),
        log_x=draw(st.booleans()),
        x_range=draw(ranges),
        y_range=draw(ranges),
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(figures(), st.integers(1, 400), st.integers(1, 120), st.booleans())
def test_any_numbers_at_any_size_render_without_error(fig, width, height, monochrome):
    text = render_text(fig, width, height, monochrome=monochrome)
    assert isinstance(text, str)


def test_exponential_growth_to_inf_draws_the_finite_part_with_real_tick_labels():
    # 0.1 * 1.1**k: finite up to step 7,447, inf from 7,448.
    with np.errstate(over="ignore"):
        y = 0.1 * 1.1 ** np.arange(10_000, dtype=float)
    x = np.arange(10_000, dtype=float)
    found = find_nonfinite(x, y)
    assert found is not None and found.x == 7_448 and found.to_end and found.count == 10_000 - 7_448
    text = render_text(
        Figure(series=[Series(x, y)], markers=[Marker(found.x, found.marker_label, "overflow")]),
        100,
        25,
        monochrome=True,
    )
    lines = text.splitlines()
    assert "1.5e307" in text and "1e307" in text  # ticks name the real values
    assert any(" 8k " in line for line in lines)  # the x axis spans all 10k steps
    assert "inf →" in text
    assert found.note("lr") == "lr overflows to inf from step 7,448"


def test_notes_name_the_kind_and_extent_of_non_finite_values():
    x = np.arange(6.0)
    assert (
        nonfinite_note("loss", x, [1, 2, math.nan, math.nan, math.nan, math.nan]) == "loss is NaN from step 2"
    )
    assert (
        nonfinite_note("lr", x, [1, -math.inf, -math.inf, 1, 1, 1], unit="epoch")
        == "lr is -inf at epoch 1 (2 points)"
    )
    assert nonfinite_note("lr", x, [1, 1, 1, 1, 1, math.inf]) == "lr overflows to inf from step 5"
    assert nonfinite_note("lr", x, np.ones(6)) is None
    assert find_nonfinite(x, [1, math.nan, math.inf, 1, 1, 1]).marker_label == "nan"


def test_flat_curve_at_the_float_limit_and_subnormals_draw():
    for value in (1.7976931348623157e308, 5e-324, -1e308):
        for log_y in (False, True):
            fig = Figure(series=[Series(np.arange(50.0), np.full(50, value))], log_y=log_y)
            text = render_text(fig, 80, 20, monochrome=True)
            assert len(text.splitlines()) == 20
