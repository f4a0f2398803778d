"""Plateau schedules previewed against a metric loaded from a file or from a real run directory."""

import json

import numpy as np
import pytest

from lrtui.runs import RunLogger
from lrtui.schedules import Plan, SpecError, evaluate, load_plan_file, parse
from lrtui.schedules.metric import load_metric_series

SERIES = [2.0, 1.5, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2]


def _plateau(metric):
    plan = Plan(
        parse("ReduceLROnPlateau(patience=2, factor=0.5)"), base_lrs=(0.1,), total_steps=8, metric=metric
    )
    return evaluate(plan).lr[0]


def test_text_csv_json_and_run_sources_agree(tmp_path):
    (tmp_path / "m.txt").write_text("\n".join(map(str, SERIES)) + "\n")
    (tmp_path / "m.csv").write_text("epoch,val_loss\n" + "".join(f"{i},{v}\n" for i, v in enumerate(SERIES)))
    (tmp_path / "m.json").write_text(json.dumps({"metric": SERIES}))
    with RunLogger({"model": "x"}, runs_dir=tmp_path / "runs") as run:
        for epoch, v in enumerate(SERIES):
            run.epoch(epoch, test_loss=v, test_acc=1 - v / 3)
    for source in ("m.txt", "m.csv", "m.json"):
        assert load_metric_series(str(tmp_path / source)) == tuple(SERIES)
    assert load_metric_series(str(run.run_dir)) == tuple(SERIES)
    assert load_metric_series(f"{run.run_dir}:test_acc") == pytest.approx([1 - v / 3 for v in SERIES])
    lr = _plateau(load_metric_series(str(run.run_dir)))
    assert lr[0] == 0.1 and lr[-1] < 0.1  # the plateau after epoch 2 triggers a reduction


def test_plan_file_metric_key(tmp_path):
    (tmp_path / "m.txt").write_text("\n".join(map(str, SERIES)))
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(
        json.dumps(
            {"schedule": "ReduceLROnPlateau(patience=2)", "steps": 8, "metric": str(tmp_path / "m.txt")}
        )
    )
    plan = load_plan_file(plan_file)
    assert plan.metric == tuple(SERIES)
    inline = tmp_path / "inline.json"
    inline.write_text(json.dumps({"schedule": "ReduceLROnPlateau(patience=2)", "steps": 8, "metric": SERIES}))
    np.testing.assert_array_equal(evaluate(load_plan_file(inline)).lr, evaluate(plan).lr)


@pytest.mark.parametrize(
    ("content", "suffix"),
    [("", ".txt"), ("1\nx\n", ".txt"), ("nan\n", ".txt"), ("{bad", ".json"), ('{"metric": "no"}', ".json")],
)
def test_bad_sources_name_the_field(tmp_path, content, suffix):
    f = tmp_path / f"m{suffix}"
    f.write_text(content)
    with pytest.raises(SpecError) as info:
        load_metric_series(str(f))
    assert info.value.field == "metric"


def test_missing_file_and_run_without_the_key(tmp_path):
    with pytest.raises(SpecError, match="metric"):
        load_metric_series(str(tmp_path / "nope.txt"))
    with RunLogger({"model": "x"}, runs_dir=tmp_path) as run:
        run.epoch(0, train_loss=1.0)
    with pytest.raises(SpecError, match="test_loss"):
        load_metric_series(str(run.run_dir))
