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
