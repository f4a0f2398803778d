"""The preview's first frame imports only what it shows (cold-start budget, DESIGN.md: first frame <= 0.6 s).

A subprocess starts the real app headless, as `python -m lrtui [--spec ...]` does (through lrtui.cli), and
records `sys.modules` at the moment the first frame showing the drawn curve is written (the hook
benchmarks/app.py times, LRTUI_EXIT_AFTER_FIRST_FRAME). Screens and layers reached only on a key, the
sidebar panels mounted after that frame (lrtui.widgets.deferred) and anything touching torch must not be
among them. Every name listed is checked to exist, so the list cannot pass by naming modules that do not.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

PROBE = """
import json, sys
from lrtui.app import LrtuiApp

class Probe(LrtuiApp):
    first_frame = None

    def _display(self, screen, renderable):  # where LrtuiApp's own first-frame hook runs
        super()._display(screen, renderable)
        if self._first_frame_done and Probe.first_frame is None:
            Probe.first_frame = sorted(sys.modules)

import lrtui.app
lrtui.app.LrtuiApp = Probe  # what lrtui.cli's handler builds
from lrtui.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "first_frame": Probe.first_frame}))
"""

# Packages (and their submodules) the first frame must not import.
NOT_AT_FIRST_FRAME = (
    "torch",
    "torchvision",
    "lrtui.training",  # imports torch
    "lrtui.sources",  # foreign log readers: the runs screen's
    "lrtui.sweep",
    "lrtui.doctor",
    "lrtui.integrations",
    "lrtui.cli_runs",  # subcommand modules: `lrtui` alone parses without them
    "lrtui.cli_schedules",
    "lrtui.cli_sweep",
    "lrtui.cli_doctor",
    "lrtui.screens.runs",
    "lrtui.screens.monitor",
    "lrtui.screens.doctor",
    "lrtui.screens.sweep",
    "lrtui.screens.launch",
    "lrtui.screens.lr_find_monitor",
    "lrtui.screens.help",
    "lrtui.widgets.runs",  # runs list, compare
    "lrtui.runs.listing",  # lrtui.runs.text is imported; the package's other modules are not
    "lrtui.runs.logger",
    "lrtui.runs.process",
    "lrtui.runs.reader",
    "lrtui.runs.ranks",
    "lrtui.schedules.export",
    "lrtui.schedules.infer",
    "lrtui.schedules.torch_bridge",
    "lrtui.widgets.export",  # the sidebar's panels: built after the first frame
    "lrtui.widgets.picker",
    "lrtui.widgets.form.schedule_form",
    "lrtui.widgets.form.settings_form",
    "lrtui.widgets.form.child_editor",
    "textual.widgets._text_area",  # the export panel's
    "textual.widgets._collapsible",  # the schedule form's
    "textual.widgets._switch",
)


def _first_frame_modules(*argv: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LRTUI_EXIT_AFTER_FIRST_FRAME": os.devnull}
    env.pop("LRTUI_THEME", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 0, out.stderr
    assert result["first_frame"] is not None, "no first frame was written"
    return set(result["first_frame"])


def _under(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


@pytest.mark.parametrize(
    "argv", [(), ("--spec", "CosineAnnealingLR(T_max=1000000, eta_min=1e-6)")], ids=["default", "spec"]
)
def test_first_frame_imports_only_what_it_shows(argv):
    modules = _first_frame_modules(*argv)
    assert "lrtui.screens.preview" in modules and "lrtui.widgets.preview.preview_plot" in modules
    loaded = {package: _under(modules, package) for package in NOT_AT_FIRST_FRAME}
    assert {package: found for package, found in loaded.items() if found} == {}


def test_the_names_checked_are_real_modules():
    # A renamed module must make this fail instead of the check above passing vacuously.
    missing = [
        n for n in NOT_AT_FIRST_FRAME if not n.startswith("torch") and importlib.util.find_spec(n) is None
    ]
    assert missing == []
