"""A lint's fix is something to type: every `name=value` it suggests is a valid spec value."""

from __future__ import annotations

import ast
import re

import pytest

from lrtui.schedules import Plan, parse
from lrtui.schedules.lint import lint

CASES = [
    ("OneCycleLR(max_lr=0.1, total_steps=1000)", {"total_steps": 10_000}),
    (
        "OneCycleLR(max_lr=0.1, total_steps=100)",
        {"total_steps": 200 * 100, "steps_per_epoch": 100, "stepping": "epoch"},
    ),
    ("OneCycleLR(max_lr=0.1, total_steps=250000)", {"total_steps": 100_000}),
    (
        "get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000)",
        {"total_steps": 123_456},
    ),
    ("CosineAnnealingLR(T_max=100)", {"total_steps": 30_000}),
    (
        "SequentialLR([LinearLR(start_factor=0.001, total_iters=500), CosineAnnealingLR(T_max=1000)], milestones=[300])",
        {"total_steps": 20_000},
    ),
]
ASSIGNMENT = re.compile(r"\b([A-Za-z_]\w*)=([-+0-9.][^\s,)]*)")


@pytest.mark.parametrize("spec,kw", CASES)
def test_suggested_values_are_valid_spec_values(spec, kw):
    found = lint(Plan(parse(spec), **kw))
    assert found
    for item in found:
        for name, value in ASSIGNMENT.findall(item.fix):
            literal = ast.literal_eval(value)
            assert isinstance(literal, int | float), (item.code, item.fix)
            if "e+" in value or "e-" in value:
                assert not float(literal).is_integer(), (
                    f"{item.code}: {name}={value} should be written in full"
                )


def test_onecycle_fix_is_the_exact_step_count():
    fixes = [x.fix for x in lint(Plan(parse("OneCycleLR(max_lr=0.1, total_steps=1000)"), total_steps=10_000))]
    assert any("total_steps=10000" in f for f in fixes), fixes
