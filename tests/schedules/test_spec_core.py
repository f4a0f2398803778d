"""The spec parser and plan layer: round trips, pasted code, and rejections that name field/value/allowed."""

import json

import numpy as np
import pytest

from lrtui.schedules import Plan, SpecError, evaluate, load_plan_file, parse, plan_from_dict, planned_lrs
from lrtui.schedules.spec import Spec


@pytest.mark.parametrize(
    "text",
    [
        "StepLR(step_size=30, gamma=0.1)",
        "StepLR(step_size=3)",
        "StepLR(step_size=10, gamma=1e-06)",
    ],
)
def test_canonical_round_trip(text):
    spec = parse(text)
    assert str(spec) == text
    assert parse(str(spec)) == spec


def test_pasted_constructor_call_drops_the_optimizer_and_module_path():
    spec = parse("torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)")
    assert spec == Spec("StepLR", {"step_size": 30, "gamma": 0.1})


def test_positional_arguments_map_to_declared_parameters():
    assert parse("StepLR(optimizer, 16, 0.2)") == Spec("StepLR", {"step_size": 16, "gamma": 0.2})


def test_constant_arithmetic_and_bare_name():
    assert parse("StepLR(step_size=2*5, gamma=1/4)").args == {"step_size": 10, "gamma": 0.25}
    assert parse("StepLR") == Spec("StepLR", {})


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("StepLR(step_size=0)", "StepLR.step_size", "nonzero integer"),
        ("StepLR(step_size=2.5)", "StepLR.step_size", "integer"),
        ("ConstantLR(factor=-0.5)", "ConstantLR.factor", "in [0, 1]"),
        ("StepLR(step_size='x')", "StepLR.step_size", "integer"),
        ("StepLR(step_size=10, colour=1)", "StepLR.colour", "step_size, gamma"),
        ("StepLR(step_size=os.system)", "StepLR.step_size", "not evaluated"),
        ("StepLR(step_size=1, step_size=2)", "StepLR.step_size", "once"),
        ("NoSuchLR(x=1)", "spec", "catalogue"),
        ("StepLR(", "spec", "schedule call"),
        ("1 + 2", "spec", "schedule call"),
        ("StepLR(step_size=10**99999)", "StepLR.step_size", ""),
    ],
)
def test_rejections_name_field_value_and_allowed(text, field, fragment):
    with pytest.raises(SpecError) as info:
        plan = Plan(parse(text))
        evaluate(plan)
    err = info.value
    assert err.field == field
    assert fragment in str(err) or fragment in (err.allowed or "")


def test_missing_required_parameter_is_named():
    with pytest.raises(SpecError, match=r"StepLR.step_size is required"):
        evaluate(Plan(parse("StepLR()")))


def test_unknown_kind_suggests_the_close_name():
    with pytest.raises(SpecError, match="did you mean StepLR"):
        parse("StepLr(step_size=1)")


def test_plan_validation_names_the_field():
    with pytest.raises(SpecError, match="steps_per_epoch"):
        Plan(parse("StepLR(step_size=1)"), steps_per_epoch=0)
    with pytest.raises(SpecError, match="lr"):
        Plan(parse("StepLR(step_size=1)"), base_lrs=(float("nan"),))
    with pytest.raises(SpecError, match="stepping"):
        Plan(parse("StepLR(step_size=1)"), stepping="sometimes")


def test_per_epoch_stepping_holds_each_value_for_an_epoch():
    lr = planned_lrs(
        "StepLR(step_size=2, gamma=0.5)", [1.0], total_steps=10, steps_per_epoch=3, stepping="epoch"
    )
    assert lr.shape == (1, 10)
    np.testing.assert_array_equal(lr[0], [1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5])


def test_markers_are_reported_in_optimizer_steps():
    curve = evaluate(Plan(parse("StepLR(step_size=2)"), total_steps=12, steps_per_epoch=3, stepping="epoch"))
    assert [m.step for m in curve.markers][:1] == [6]


def test_plan_file_round_trip_toml_and_json(tmp_path):
    plan = Plan(
        parse("StepLR(step_size=16, gamma=0.2)"),
        base_lrs=(0.01, 0.001),
        total_steps=30 * 390,
        steps_per_epoch=390,
        stepping="epoch",
    )
    toml = tmp_path / "plan.toml"
    toml.write_text(plan.to_toml())
    assert load_plan_file(toml) == plan
    js = tmp_path / "plan.json"
    js.write_text(plan.to_json())
    assert load_plan_file(js) == plan


def test_plan_file_table_form_and_epochs(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(
        json.dumps(
            {"schedule": {"kind": "StepLR", "step_size": 5}, "epochs": 30, "steps_per_epoch": 10, "lr": 0.1}
        )
    )
    plan = load_plan_file(f)
    assert plan.spec == parse("StepLR(step_size=5)") and plan.total_steps == 300


@pytest.mark.parametrize(
    "content", ["", "schedule = ", "{not json", "lr = 0.1\n", "schedule = 3\n", "x = 1\n"]
)
def test_malformed_plan_files_are_rejected_cleanly(tmp_path, content):
    f = tmp_path / "bad.toml"
    f.write_text(content)
    with pytest.raises(SpecError):
        load_plan_file(f)


def test_plan_from_dict_rejects_unknown_keys():
    with pytest.raises(SpecError, match="colour"):
        plan_from_dict({"schedule": "StepLR(step_size=1)", "colour": "red"})
