"""ReduceLROnPlateau in the preview: the metric comes from a file or a real run directory."""

from __future__ import annotations

import numpy as np

from lrtui.runs import RunLogger
from lrtui.schedules import Plan, evaluate, parse
from tests.app.conftest import set_input, settle

SERIES = [2.0, 1.5, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2]


async def test_metric_from_a_run_directory_and_garbage_paths(make_app, tmp_path):
    with RunLogger({"model": "x"}, runs_dir=tmp_path) as run:
        for epoch, v in enumerate(SERIES):
            run.epoch(epoch, test_loss=v)
    app = make_app("ReduceLROnPlateau(patience=2, factor=0.5)")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settle(pilot)
        screen = await set_input(pilot, "#set-steps", "10")
        synthetic = screen.curve
        screen = await set_input(pilot, "#set-metric", str(run.run_dir))
        want = evaluate(
            Plan(
                parse("ReduceLROnPlateau(patience=2, factor=0.5)"),
                base_lrs=screen.curve.plan.base_lrs,
                total_steps=10,
                metric=tuple(SERIES),
            )
        )
        np.testing.assert_array_equal(screen.curve.lr, want.lr)
        good = screen.curve
        screen = await set_input(pilot, "#set-metric", str(tmp_path / "missing.csv"))
        assert screen.error and "metric" in screen.error
        assert screen.curve is good  # the last valid curve stays
        screen = await set_input(pilot, "#set-metric", "")
        np.testing.assert_array_equal(screen.curve.lr, synthetic.lr)
