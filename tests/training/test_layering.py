"""lrtui.training never imports Textual; the package itself (and its config) does not even import torch."""

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return set(out.stdout.split())


def test_training_never_imports_textual():
    mods = _modules_after("import lrtui.training.loop, lrtui.training.__main__")
    assert "torch" in mods and not any(m == "textual" or m.startswith("textual.") for m in mods)


def test_config_validation_needs_no_torch():
    mods = _modules_after("from lrtui.training import TrainConfig; TrainConfig.from_dict({}).resolve()")
    assert "torch" not in mods and "textual" not in mods


def test_lrtui_train_checks_before_detaching_without_torch():
    # `lrtui train` validates the spec over the run, estimates memory and looks for the dataset: all torch-free.
    mods = _modules_after(
        "from lrtui.training import TrainConfig\n"
        "c = TrainConfig.from_dict({'dataset': 'mnist', 'model': 'lenet', 'download': False, 'data_dir': '/nonexistent',\n"
        "    'schedule': {'spec': 'StepLR(step_size=3)', 'stepping': 'step'}}).resolve()\n"
        "assert c.preflight()"
    )
    assert "torch" not in mods and "textual" not in mods
