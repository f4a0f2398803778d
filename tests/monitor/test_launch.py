"""The launch form: its torch-free choices and rules agree with the trainer's TrainConfig; bad values are
named under their field; nothing launches until every field is valid."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static

from lrtui.screens.launch import LaunchScreen
from lrtui.screens.launch_choices import (
    DATASETS,
    DEFAULTS,
    MODELS,
    OPTIMIZERS,
    STEPPINGS,
    SYNTHETIC_TRAIN_SIZE,
    validate_form,
)
from lrtui.training import config as trainer_config

from .helpers import ScreenTestApp, wait_for

SPEC = "get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=11700)"


def test_choice_lists_match_the_trainer():
    assert list(MODELS) == list(trainer_config.MODEL_INFO)
    assert list(DATASETS) == list(trainer_config.DATASETS)
    for name, info in trainer_config.DATASETS.items():
        mine = DATASETS[name]
        assert (mine.channels, mine.size, mine.train_size) == (info.channels, info.size, info.train_size)
    for name, info in trainer_config.MODEL_INFO.items():
        assert (MODELS[name].channels, MODELS[name].exact_size) == (info.channels, info.exact_size)
    assert OPTIMIZERS == trainer_config.OPTIMIZERS
    assert STEPPINGS == trainer_config.STEPPINGS
    assert trainer_config.TrainConfig().synthetic_train_size == SYNTHETIC_TRAIN_SIZE


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("dataset", list(DATASETS))
@pytest.mark.parametrize("batch", ["1", "128", "999"])
def test_accepted_forms_are_accepted_by_the_trainer_with_the_same_step_counts(model, dataset, batch):
    values = {
        **DEFAULTS,
        "model": model,
        "dataset": dataset,
        "batch_size": batch,
        "spec": "StepLR(step_size=3)",
        "synthetic_train_size": "1000",
    }
    config, errors, derived = validate_form(values)
    try:
        trainer = trainer_config.TrainConfig.from_dict(config or {**values}).resolve() if config else None
        trainer_error = None
    except trainer_config.ConfigError as err:
        trainer, trainer_error = None, err
    if config is None:
        assert trainer_error is not None or trainer is None
        assert set(errors) <= {"model", "batch_size"}
        return
    assert trainer_error is None
    assert (
        trainer.schedule.steps_per_epoch
        == config["schedule"]["steps_per_epoch"]
        == derived["steps_per_epoch"]
    )
    assert trainer.schedule.total_steps == config["schedule"]["total_steps"]


@pytest.mark.parametrize(
    "field, value, allowed",
    [
        ("lr", "0", "a number in (0, 1e+06]"),
        ("lr", "fast", "a number in (0, 1e+06]"),
        ("momentum", "1", "a number in [0, 1)"),
        ("epochs", "0", "an integer in [1, 100,000]"),
        ("batch_size", "12.5", "an integer in [1, 1,000,000]"),
        ("device", "gpu", "'auto', 'cpu', 'cuda' or 'cuda:N'"),
        ("betas", "0.9", "two numbers in [0, 1)"),
        ("spec", "StepLR(step_size=0)", "a schedule the engine accepts"),
        ("spec", "NoSuchLR()", "a schedule the engine accepts"),
        ("model", "vgg", "a model that takes 1x28x28 images (mnist)"),
    ],
)
def test_each_rejection_names_field_value_and_what_is_allowed(field, value, allowed):
    values = {**DEFAULTS, field: value}
    if field == "model":
        values["dataset"] = "mnist"
    config, errors, _ = validate_form(values)
    assert config is None
    assert errors[field].startswith(f"{field} = {value!r} is invalid: ")
    assert allowed in errors[field]


def test_batch_larger_than_the_dataset_is_rejected_like_the_trainer_does():
    values = {**DEFAULTS, "dataset": "synthetic", "synthetic_train_size": "100", "batch_size": "101"}
    _config, errors, _ = validate_form(values)
    assert "at most the training set size 100" in errors["batch_size"]


def _app(tmp_path, **kw):
    return ScreenTestApp(lambda: LaunchScreen(SPEC, [0.1], 390, "step", tmp_path / "runs", **kw))


async def test_form_is_prefilled_from_the_preview_and_shows_the_step_counts(tmp_path):
    async with _app(tmp_path).run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert screen.query_one("#field-spec", Input).value == SPEC
        assert screen.query_one("#field-lr", Input).value == "0.1"
        assert screen.query_one("#field-stepping", Select).value == "step"
        derived = str(screen.query_one("#launch-derived", Static).content)
        assert "steps/epoch 390 = 50,000 train images // batch 128" in derived
        assert "total 11,700 optimizer steps" in derived
        screen.set_value("dataset", "synthetic")
        await pilot.pause()
        assert "steps/epoch 78 = 10,000" in str(screen.query_one("#launch-derived", Static).content)
        assert not screen.query_one("#row-synthetic_train_size").has_class("hidden")


async def test_bad_fields_show_messages_and_block_the_launch(tmp_path):
    async with _app(tmp_path).run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        screen.set_value("epochs", "-3")
        screen.set_value("device", "tpu")
        await pilot.pause()
        error = screen.query_one("#error-epochs", Static)
        assert error.has_class("shown") and "epochs = '-3' is invalid: an integer in [1, 100,000]" in str(
            error.content
        )
        assert "device = 'tpu' is invalid" in str(screen.query_one("#error-device", Static).content)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: screen.query_one("#field-epochs").has_focus, what="focus on the first bad field"
        )
        assert not (tmp_path / "runs").exists()
        assert isinstance(pilot.app.screen, LaunchScreen)
        screen.set_value("epochs", "3")
        screen.set_value("device", "cpu")
        await pilot.pause()
        assert not screen.errors


async def test_escape_cancels(tmp_path):
    async with _app(tmp_path).run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, LaunchScreen)


# -- the trainer's own contract: what `lrtui train` refuses before detaching, the form refuses too ---------------

HUGE = "10000000"  # synthetic images: ~29 GiB of uint8 arrays, which the trainer loads whole


def test_a_dataset_too_big_for_memory_is_refused_with_lrtui_trains_message(tmp_path, monkeypatch, capsys):
    from lrtui.cli import main

    monkeypatch.setenv(trainer_config.MEMORY_LIMIT_ENV, "2GiB")
    values = {**DEFAULTS, "model": "lenet", "dataset": "synthetic", "synthetic_train_size": HUGE}
    config, errors, _ = validate_form(values)
    assert config is None and set(errors) == {"synthetic_train_size"}
    form_says = errors["synthetic_train_size"]
    assert form_says.startswith(f"synthetic_train_size = '{HUGE}' is invalid: a dataset that fits in memory")
    code = main(
        ["train", *("--dataset", "synthetic", "--model", "lenet", "--set", f"synthetic_train_size={HUGE}"),
         "--runs-dir", str(tmp_path / "runs")]
    )  # fmt: skip
    cli_says = capsys.readouterr().err
    assert code == 2
    assert form_says.split(" is invalid: ", 1)[1] in cli_says  # the same check, the same words


async def test_typing_a_dataset_too_big_shows_it_under_the_field_and_blocks_the_launch(tmp_path, monkeypatch):
    monkeypatch.setenv(trainer_config.MEMORY_LIMIT_ENV, "2GiB")
    async with _app(tmp_path).run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        screen.set_value("model", "lenet")
        screen.set_value("dataset", "synthetic")
        await pilot.pause()
        screen.query_one("#field-synthetic_train_size", Input).focus()
        await pilot.press("end", *["backspace"] * 8, *HUGE)
        await pilot.pause()
        error = screen.query_one("#error-synthetic_train_size", Static)
        assert error.has_class("shown"), screen.errors
        assert "a dataset that fits in memory: this one needs about" in str(error.content)
        assert "the limit $LRTUI_MEMORY_LIMIT is 2.0 GiB" in str(error.content)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LaunchScreen) and not (tmp_path / "runs").exists()
        await pilot.press(*["backspace"] * 4)  # 1,000 images fit: the message goes
        await pilot.pause()
        assert not error.has_class("shown") and not screen.errors


async def test_launch_checks_the_dataset_on_disk_as_lrtui_train_does(tmp_path):
    # A launch carrying download = false (handed over from an LR range test's config) of a dataset that is
    # not in data_dir: `lrtui train` refuses it before detaching; the form did launch a run that failed.
    empty = tmp_path / "no-data-here"
    empty.mkdir()
    app = _app(tmp_path, extra_config={"download": False})
    async with app.run_test(size=(100, 36)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        screen.set_value("model", "lenet")
        screen.set_value("dataset", "mnist")
        screen.query_one("#field-data_dir", Input).focus()
        await pilot.press(*str(empty))
        await pilot.pause()
        assert not screen.errors
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "dataset" in screen.errors, what="the dataset refused")
        message = str(screen.query_one("#error-dataset", Static).content)
        assert message.startswith("dataset = 'mnist' is invalid: a dataset on disk: missing ")
        assert "(and download = false)" in message
        assert "not launched: dataset = 'mnist'" in str(screen.query_one("#launch-status", Static).content)
        assert isinstance(pilot.app.screen, LaunchScreen)
        assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
