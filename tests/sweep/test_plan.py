"""Planning a sweep: presets, plan files, CLI options, one config contract with `lrtui train`; the group format."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from lrtui.cli import build_parser, main
from lrtui.cli_sweep import build_plan, normalize_argv
from lrtui.schedules.presets import check_tables, get_experiment, get_preset
from lrtui.sweep.group import GroupError, member_dir, progress, read_group
from lrtui.sweep.plan import SweepError, parse_devices
from lrtui.training.config import TrainConfig

from .conftest import RECIPE, make_group


def _plan(*argv: str):
    args = build_parser().parse_args(normalize_argv(["sweep", *argv]))
    return build_plan(args)


def test_seed001_preset_is_the_articles_experiment():
    plan = _plan("--preset", "seed001", "--repeats", "2")
    labels = [s.display for s in plan.schedules]
    assert labels == ["constant", "steplr", "multisteplr", "exponentiallr", "warmup-steplr",
                      "warmup-multisteplr", "warmup-exponentiallr"]  # fmt: skip
    # each schedule with the base LR the article used, stepped per epoch
    assert [s.lr for s in plan.schedules] == [0.01, 0.01, 0.02, 0.04, 0.001, 0.001, 0.001]
    assert {s.stepping for s in plan.schedules} == {"epoch"}
    # the specs are the preview's presets (one source of truth)
    assert plan.schedules[3].spec == get_preset("seed001-exponentiallr").spec == "ExponentialLR(gamma=0.885)"
    c = plan.configs[1]
    assert (c["model"], c["dataset"], c["epochs"], c["batch_size"]) == ("vgg", "cifar10", 30, 128)
    assert c["optimizer"] == {
        **c["optimizer"],
        "name": "sgd",
        "lr": 0.01,
        "momentum": 0.9,
        "weight_decay": 5e-4,
    }
    assert c["schedule"]["steps_per_epoch"] == 390 and c["schedule"]["total_steps"] == 11700
    assert len(plan.configs) == 14 and [c["seed"] for c in plan.configs] == [0] * 7 + [1] * 7  # repeat-major


def test_trainer_defaults_are_still_the_seed001_recipe():
    # TrainConfig's defaults are documented as seed 001's recipe; the experiment states it explicitly:
    # they must not drift apart.
    defaults = TrainConfig().to_dict()
    for key, value in get_experiment("seed001").recipe_dict().items():
        if isinstance(value, dict):
            assert {k: defaults[key][k] for k in value} == value
        else:
            assert defaults[key] == value
    assert check_tables() == []


def test_cli_options_override_the_preset_recipe_and_seed_offsets_repeats():
    plan = _plan("--preset", "seed001", "--dataset", "synthetic", "--model", "lenet", "--epochs", "2",
                 "--seed", "10", "--repeats", "3", "--set", "synthetic_train_size=512")  # fmt: skip
    c = plan.configs[0]
    assert (c["dataset"], c["model"], c["epochs"], c["synthetic_train_size"]) == (
        "synthetic",
        "lenet",
        2,
        512,
    )
    assert sorted({c["seed"] for c in plan.configs}) == [10, 11, 12]
    assert plan.configs[0]["optimizer"]["weight_decay"] == 5e-4  # kept from the preset


def test_schedules_from_options_and_preset_names():
    plan = _plan("--schedule", "StepLR(step_size=1, gamma=0.5)", "--schedule", "seed001-multisteplr",
                 "--lr", "0.05", "--stepping", "step", "--dataset", "synthetic", "--model", "lenet")  # fmt: skip
    first, second = plan.configs[0], plan.configs[1]
    assert first["optimizer"]["lr"] == 0.05 and first["schedule"]["stepping"] == "step"
    assert second["optimizer"]["lr"] == 0.02 and second["schedule"]["stepping"] == "epoch"  # the preset's own
    assert second["schedule"]["spec"] == "MultiStepLR(milestones=[10, 20], gamma=0.5)"
    assert plan.repeats == 3  # the default


def test_plan_file_lists_schedules_with_their_own_settings(tmp_path):
    plan_file = tmp_path / "shootout.toml"
    plan_file.write_text(
        'name = "shootout"\nrepeats = 2\nper_device = 3\n'
        '[recipe]\nmodel = "lenet"\ndataset = "synthetic"\nepochs = 4\n[recipe.optimizer]\nlr = 0.1\n'
        '[[schedules]]\nspec = "CosineAnnealingLR(T_max=4)"\nlabel = "cosine"\n'
        '[[schedules]]\npreset = "seed001-exponentiallr"\nlr = 0.2\n'
        '[[schedules]]\nspec = ""\nlabel = "constant"\n'
    )
    plan = _plan("--plan", str(plan_file), "--epochs", "3")
    assert plan.name == "shootout" and plan.repeats == 2 and plan.per_device == 3
    assert [s.display for s in plan.schedules] == ["cosine", "exponentiallr", "constant"]
    assert [c["optimizer"]["lr"] for c in plan.configs[:3]] == [0.1, 0.2, 0.1]
    assert {c["epochs"] for c in plan.configs} == {3}  # the command line wins over the plan's recipe


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--preset", "seed999"], "--preset 'seed999' is not allowed: one of seed001"),
        (["--repeats", "0", "--schedule", "StepLR(step_size=1)"], "repeats = 0 is not allowed"),
        (["--schedule", "NoSuchLR(step_size=1)", "--dataset", "synthetic", "--model", "lenet"],
         "schedule 1 (NoSuchLR(step_size=1)): schedule.spec"),
        (["--schedule", "StepLR(step_size=0)"], "schedule 1 (StepLR(step_size=0)): schedule.spec = 'StepLR(step_size=0)' "
         "is invalid: a schedule the engine accepts (StepLR.step_size=0 is not allowed: must be a nonzero integer"),
        (["--schedule", "StepLR(step_size=1)", "--epochs", "0"], "epochs = 0 is invalid"),
        ([], "schedules = [] is not allowed"),
        (["--schedule", "StepLR(step_size=1)", "--devices", "0,x"], "devices = '0,x' is not allowed"),
        (["--schedule", "StepLR(step_size=1)", "--device", "cpu", "--devices", "0"], "not allowed with device 'cpu'"),
    ],
)  # fmt: skip
def test_bad_sweeps_are_refused_naming_the_field(argv, message, tmp_path, capsys):
    assert main(["--runs-dir", str(tmp_path), "sweep", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("repeat = 3\n", "--plan key 'repeat' is not allowed: did you mean 'repeats'?"),
        ('[[schedules]]\nspce = "StepLR(step_size=1)"\n', "schedules[0].spce is not allowed"),
        ('[[schedules]]\npreset = "nope"\n', "schedules[0].preset = 'nope' is not allowed"),
        ('schedules = "x"\n', "schedules = 'x' is not allowed"),
        ("[[schedules\n", "is not valid toml"),
    ],
)
def test_bad_plan_files_are_refused(content, message, tmp_path, capsys):
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(content)
    assert main(["--runs-dir", str(tmp_path / "runs"), "sweep", "--plan", str(plan_file)]) == 2
    assert message in capsys.readouterr().err


def test_device_options():
    assert parse_devices("auto") is None and parse_devices("cpu") == "cpu"
    assert parse_devices("0,1") == ["0", "1"] and parse_devices(["GPU-8f3e-11aa"]) == ["GPU-8f3e-11aa"]
    with pytest.raises(SweepError, match="listed twice"):
        parse_devices("1,1")
    plan = _plan("--schedule", "StepLR(step_size=1)", "--device", "cuda:3")
    assert plan.devices == ["3"] and plan.configs[0]["device"] == "cuda"  # the run sees its GPU as cuda:0
    assert _plan("--schedule", "StepLR(step_size=1)", "--device", "cpu").devices == "cpu"


def test_dry_run_prints_members_and_writes_nothing(tmp_path, capsys):
    assert (
        main(["--runs-dir", str(tmp_path), "sweep", "--preset", "seed001", "--repeats", "1", "--dry-run"])
        == 0
    )
    out = capsys.readouterr().out
    assert "7 schedules x 1 repeats = 7 runs" in out and "lr 0.04" in out and "warmup-exponentiallr" in out
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ group format
def test_group_round_trip_and_member_runs(tmp_path):
    group = make_group(tmp_path, ["StepLR(step_size=1)", ""], 2, recipe={**RECIPE, "notes": "n", "x_tool": 1})
    again = read_group(group.dir)
    assert [asdict(m) for m in again.members] == [asdict(m) for m in group.members]
    assert [m.run for m in group.members] == [
        "s0-steplr-r0",
        "s1-constant-r0",
        "s0-steplr-r1",
        "s1-constant-r1",
    ]
    assert progress([]).total == 0
    run_dir = member_dir(group, 2)
    assert member_dir(group, 2) == run_dir  # idempotent
    config = json.loads((run_dir / "config.json").read_text())
    assert config["group"] == {
        "id": group.id,
        "member": 2,
        "schedule": 0,
        "repeat": 1,
        "label": "StepLR(step_size=1)",
    }
    assert (
        config["seed"] == 1
        and config["source"] == "lrtui-sweep"
        and config["notes"] == "n"
        and config["x_tool"] == 1
    )
    TrainConfig.from_dict(config)  # a member's config.json is an ordinary, valid run config


@pytest.mark.parametrize(
    "change",
    [
        lambda g: g["members"][0].update(run="../escape"),
        lambda g: g["members"][1].update(run=g["members"][0]["run"]),
        lambda g: g["members"][0].update(schedule=9),
        lambda g: g.update(kind="other"),
        lambda g: g.update(schedules="x"),
        lambda g: g.update(launcher="ssh"),
        lambda g: g["members"][0].update(index=True),
    ],
)
def test_hostile_group_files_are_refused(tmp_path, change):
    group = make_group(tmp_path, ["StepLR(step_size=1)"], 2)
    doc = json.loads((group.dir / "group.json").read_text())
    change(doc)
    (group.dir / "group.json").write_text(json.dumps(doc))
    with pytest.raises(GroupError, match=r"group\.json is malformed"):
        read_group(group.dir)


def test_group_text_reaches_the_terminal_without_control_characters(tmp_path):
    group = make_group(tmp_path, ["StepLR(step_size=1)"], 1)
    doc = json.loads((group.dir / "group.json").read_text())
    doc["name"] = "\x1b]52;c;aGk=\x07evil\nname"
    doc["schedules"][0]["label"] = "\x1b[2Jwipe\r\nlabel"
    (group.dir / "group.json").write_text(json.dumps(doc))
    again = read_group(group.dir)
    assert again.name == "]52;c;aGk=evil name" and again.schedule_label(0) == "[2Jwipe label"


def test_unreadable_group_json_is_a_one_line_error(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "group.json").write_text("{nope")
    with pytest.raises(GroupError, match="not valid JSON"):
        read_group(tmp_path / "g")
