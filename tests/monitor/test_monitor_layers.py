"""The run screens and widgets never import lrtui.training or torch (the app starts fast; DESIGN.md layers)."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import sys, importlib\n"
    "for name in ('lrtui.screens.monitor', 'lrtui.screens.runs', 'lrtui.screens.launch',"
    " 'lrtui.screens.launch_choices', 'lrtui.widgets.runs.panels', 'lrtui.widgets.runs.model'):\n"
    "    importlib.import_module(name)\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision')"
    " or m.startswith('lrtui.training')))\n"
)


def test_run_screens_import_neither_torch_nor_the_trainer():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_model_layer_is_textual_free():
    probe = (
        "import sys, lrtui.widgets.runs.model, lrtui.widgets.runs.follow; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
