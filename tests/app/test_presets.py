"""Every preset parses, evaluates and lints clean (except the quirks it documents on purpose)."""

from __future__ import annotations

import numpy as np
import pytest

from lrtui.schedules import evaluate, parse
from lrtui.schedules.lint import lint
from lrtui.schedules.presets import (
    CIFAR10_STEPS_PER_EPOCH,
    check_tables,
    comparison_presets,
    comparisons,
    get_comparison,
    get_preset,
    presets,
)


def test_tables_are_consistent():
    assert check_tables() == []


@pytest.mark.parametrize("preset", presets(), ids=lambda p: p.name)
def test_preset_parses_evaluates_and_lints_as_documented(preset):
    assert str(parse(preset.spec)) == preset.spec  # written in canonical form: round-trips exactly
    plan = preset.plan()
    curve = evaluate(plan)
    assert curve.n == preset.steps and np.isfinite(curve.lr).all()
    found = lint(plan, curve)
    unexpected = [
        x for x in found if x.severity in ("error", "warning") and x.code not in preset.expected_lints
    ]
    assert unexpected == [], unexpected
    codes = {x.code for x in found}
    missing = [c for c in preset.expected_lints if c not in codes]
    assert missing == [], f"{preset.name} documents lints that no longer fire: {missing}"
    if preset.expected_lints:
        assert preset.note, "an intentional lint is explained in the preset's note"


def test_each_seed_comparison_is_one_preset_away():
    s001 = [p.spec for p in comparison_presets(get_comparison("seed001"))]
    assert s001[:3] == [
        "StepLR(step_size=16, gamma=0.2)",
        "MultiStepLR(milestones=[10, 20], gamma=0.5)",
        "ExponentialLR(gamma=0.885)",
    ]
    assert all(s.startswith("GradualWarmupScheduler(multiplier=40, total_epoch=5, ") for s in s001[3:])
    assert all(p.lr == 0.001 for p in comparison_presets(get_comparison("seed001"))[3:])
    s004 = comparison_presets(get_comparison("seed004"))
    assert len(s004) == 6 and all(p.lr == 1.0 and p.steps == 100 for p in s004)
    s002 = comparison_presets(get_comparison("seed002"))
    assert len(s002) == 5 and all(p.lr == 5e-5 and p.steps == 3000 for p in s002)
    s000 = comparison_presets(get_comparison("seed000"))
    assert [p.lr for p in s000] == [0.01, 0.01, 1e-4, 1e-4]
    assert all(p.steps == 100 and p.stepping == "epoch" for p in s000)
    for c in comparisons():
        assert 1 <= len(c.members) <= 6


def test_seed_001_runs_are_30_cifar10_epochs_stepped_per_epoch():
    p = get_preset("seed001-steplr")
    assert (p.steps, p.steps_per_epoch, p.stepping) == (30 * 390, 390, "epoch")
    assert CIFAR10_STEPS_PER_EPOCH == 390
    lr = evaluate(p.plan()).lr[0]
    assert lr[16 * 390 - 1] == 0.01 and abs(lr[16 * 390] - 0.002) < 1e-15


def test_modern_defaults_are_present():
    for name in ("warmup-cosine", "warmup-cosine-torch", "wsd", "onecycle", "inverse-sqrt"):
        assert get_preset(name) is not None
