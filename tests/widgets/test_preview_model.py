"""The preview's view model: what is drawn and where the cursor goes, from the state alone (no Textual)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lrtui.schedules import Plan, evaluate, parse
from lrtui.widgets.preview import model as m
from lrtui.widgets.preview.model import Pin, View


def _curve(spec: str, **kw):
    return evaluate(Plan(parse(spec), **kw))


WARMUP = "SequentialLR([LinearLR(start_factor=0.1, total_iters=50), CosineAnnealingLR(T_max=950)], milestones=[50])"


def test_the_cursor_moves_by_exact_steps_and_epochs():
    view = View(curve=_curve("StepLR(step_size=30)", total_steps=1_000_000))
    assert m.move_by_units(view, 1) == 0  # the first press puts it on the first step
    view = replace(view, cursor=499)
    assert m.move_by_units(view, 1) == 500 and m.move_by_units(view, -10) == 489
    assert m.move_by_units(replace(view, cursor=999_999), 1) == 999_999  # clamped
    info = m.cursor_info(replace(view, cursor=500))
    assert info.step == 500 and info.lrs == (float(view.curve.lr[0, 500]),)
    epochs = View(curve=_curve("StepLR(step_size=3)", total_steps=1000, steps_per_epoch=40), x_unit="epochs")
    assert m.move_by_units(replace(epochs, cursor=85), 1) == 120  # epoch 2 (step 85) -> epoch 3's start
    assert m.move_by_units(replace(epochs, cursor=85), -1) == 80  # back to this epoch's start first
    assert m.move_by_units(replace(epochs, cursor=80), -1) == 40
    assert m.move_by_units(replace(epochs, cursor=80), 10) == 480


def test_a_column_moves_by_the_steps_a_column_shows():
    view = View(curve=_curve("StepLR(step_size=30)", total_steps=10_000), cursor=100)
    assert m.move_by_columns(view, 1, 104.2) == 204
    assert m.move_by_columns(view, -1, 0.3) == 99  # less than a step per column: still one step


def test_markers_are_jumped_to_in_order_inside_the_zoom():
    view = View(curve=_curve("MultiStepLR(milestones=[100, 300, 600])", total_steps=1000))
    assert m.jump_to_marker(view, 1) == 100
    view = replace(view, cursor=100)
    assert m.jump_to_marker(view, 1) == 300 and m.jump_to_marker(view, -1) is None
    assert m.jump_to_marker(replace(view, cursor=700), -1) == 600
    zoomed = replace(view, zoom="first", cursor=10)  # the first 5% (50 steps): no milestone inside
    assert m.jump_to_marker(zoomed, 1) is None


@pytest.mark.parametrize(
    "text,x_unit,step",
    [
        ("500", "steps", 500),
        ("1,250", "steps", 1250),
        ("step 7", "epochs", 7),
        ("epoch 3", "steps", 120),
        ("e2.5", "steps", 100),
        ("3", "epochs", 120),
        ("50%", "steps", 1000),
        ("100%", "steps", 1999),
    ],
)
def test_go_to_a_typed_step_epoch_or_percentage(text, x_unit, step):
    view = View(curve=_curve("StepLR(step_size=3)", total_steps=2000, steps_per_epoch=40), x_unit=x_unit)
    assert m.parse_goto(text, view) == step


@pytest.mark.parametrize("text", ["", "abc", "-5", "2000", "epoch 51", "1e99"])
def test_go_to_something_outside_says_what_is_allowed(text):
    view = View(curve=_curve("StepLR(step_size=3)", total_steps=2000, steps_per_epoch=40))
    with pytest.raises(ValueError, match="type a step 0–1,999, 'epoch N', or a percentage"):
        m.parse_goto(text, view)


def test_zoom_windows_and_the_status_line_agree_with_the_axis():
    curve = _curve(WARMUP, total_steps=1000)
    view = View(curve=curve)
    assert m.x_range(view) == (0.0, 1000.0) and m.visible_steps(view) == (0, 999)  # the axis ends at n
    assert m.next_zoom(view) == "warmup"
    warm = replace(view, zoom="warmup")
    assert m.x_range(warm) == (0.0, 62.5) and m.visible_steps(warm) == (0, 62)
    text = m.status_text(warm, canvas_width=60)
    assert text.startswith("1,000 steps") and "zoom: warmup, steps 0–62" in text
    full = m.status_text(view, canvas_width=60)
    assert "each column: min–max of 17 steps" in full  # words a user reads, not "decimated"
    assert "decimat" not in full and "→" not in full
    epochs = m.status_text(replace(view, x_unit="epochs"), canvas_width=600)
    assert "x in epochs" in epochs and "each column" not in epochs


def test_series_are_thinned_once_and_keep_real_step_numbers():
    curve = _curve("CosineAnnealingLR(T_max=1000000)", total_steps=1_000_000)
    (series,) = m.series(View(curve=curve), lambda i: None)
    assert len(series) <= m.DRAW_POINTS and series.x[0] == 0 and series.x[-1] == 999_999
    assert np.array_equal(series.y, curve.lr[0, series.x.astype(int)])
    (zoomed,) = m.series(View(curve=curve, zoom="first"), lambda i: None)
    assert zoomed.x[-1] <= 50_001


def test_legend_reads_every_line_at_the_cursor_and_names_the_current_pin():
    a = _curve("StepLR(step_size=10, gamma=0.5)", total_steps=100)
    b = _curve("ExponentialLR(gamma=0.9)", total_steps=100)
    view = View(curve=a, pins=(Pin("steps", a.plan, a), Pin("exp", b.plan, b)), cursor=20)
    entries = m.legend(view)
    assert [e.label for e in entries] == ["current", "pin 2"]
    assert entries[0].detail.startswith("= pin 1 · ") and entries[0].value == a.lr[0, 20]
    assert entries[1].value == b.lr[0, 20]


def test_dense_milestones_are_left_out_and_counted():
    curve = _curve(f"MultiStepLR(milestones={list(range(10, 1000, 10))})", total_steps=1000)
    drawn, hidden = m.markers(View(curve=curve), plot_width=80)
    assert hidden == 99 and all(x.kind != "milestone" for x in drawn)
    drawn, hidden = m.markers(View(curve=curve, zoom="first"), plot_width=80)
    assert hidden == 0 and [x.x for x in drawn] == [10.0, 20.0, 30.0, 40.0, 50.0]


def test_a_new_curve_keeps_the_cursor_on_its_step():
    view = View(curve=_curve("StepLR(step_size=3)", total_steps=1000), cursor=900)
    assert view.with_curve(_curve("StepLR(step_size=3)", total_steps=500)).cursor == 499
    assert replace(view, zoom="warmup").with_curve(view.curve).zoom == "full"  # StepLR has no warmup


def test_an_overflowing_curve_is_marked_and_named_where_it_overflows():
    curve = _curve("ExponentialLR(gamma=1.1)", total_steps=10_000)
    view = View().with_curve(curve)
    assert view.overflow is not None and 7000 < view.overflow.x < 8000
    drawn, _ = m.markers(view, plot_width=80)
    assert [x.x for x in drawn if x.kind == "overflow"] == [view.overflow.x]
    assert f"lr overflows to inf from step {view.overflow.x:,.0f}" in m.status_text(view, canvas_width=60)
    assert View().with_curve(_curve("StepLR(step_size=3)", total_steps=100)).overflow is None
