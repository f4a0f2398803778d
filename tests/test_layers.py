"""The layers in DESIGN.md hold: the pure layers import neither Textual nor torch."""

import subprocess
import sys

import pytest

PROBE = """
import sys, importlib
for name in {modules!r}:
    importlib.import_module(name)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "torch", "torchvision", "plotext", "textual_plotext"))
print(",".join(heavy))
"""


def _heavy_after_import(*modules: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=list(modules))],
        capture_output=True,
        text=True,
        check=True,
    )
    line = out.stdout.strip()
    return line.split(",") if line else []


@pytest.mark.parametrize(
    "module",
    [
        "lrtui.schedules",
        "lrtui.runs",
        "lrtui.sources",
        "lrtui",
        "lrtui.sweep.stats",
        "lrtui.sweep.plan",
        "lrtui.sweep.group",
        "lrtui.sweep.queue",
        "lrtui.sweep.results",
        "lrtui.sweep.curves",
        "lrtui.sweep.listing",
        "lrtui.sweep.slurm",
        "lrtui.cli_sweep",
        "lrtui.schedules.lr_suggest",
        "lrtui.schedules.smoothing",
        "lrtui.runs.lock",
        "lrtui.runs.identity",
        "lrtui.runs.files",
        "lrtui.runs.text",
        "lrtui.training.dataset_files",
        "lrtui.schedules.export",
        "lrtui.schedules.export_equivalents",
        "lrtui.schedules.infer",
        "lrtui.schedules.infer_families",
        "lrtui.schedules.diagnose",
        "lrtui.doctor",
        "lrtui.runs.ranks",
        "lrtui.runs.distributed",
        "lrtui.cli_distributed",
        "lrtui.widgets.preview.model",  # the preview's view model: numpy only
        "lrtui.widgets.runs.compare",  # what the compare screen draws, and following its runs
    ],
)
def test_pure_layers_import_neither_textual_nor_torch(module):
    assert _heavy_after_import(module) == []


def test_every_source_reader_stays_pure():
    # every format's reader, the CRC/framing/decoding code and the helpers the UI uses
    import pkgutil

    import lrtui.sources

    modules = [f"lrtui.sources.{m.name}" for m in pkgutil.iter_modules(lrtui.sources.__path__)]
    assert len(modules) >= 10
    assert _heavy_after_import(*modules) == []


def test_whole_schedule_catalogue_stays_pure():
    # Loading every kind (and lints/export, when present) must not pull torch or textual either.
    assert _heavy_after_import("lrtui.schedules.kinds", "lrtui.schedules.evaluate") == []
    engine = ("ops", "program", "libm", "torch_rng", "lint", "export", "torch_bridge")
    assert _heavy_after_import(*(f"lrtui.schedules.{m}" for m in engine)) == []


def test_exporting_any_kind_to_torch_stays_pure():
    # export_ports.py (which imports torch) is read as text, never imported
    probe = (
        "import sys; from lrtui.schedules import kinds, parse, Plan; from lrtui.schedules.export import export; "
        "[export(Plan(parse(k.example)), 'torch') for k in kinds() if k.example]; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'torch')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_help_does_not_import_the_app_or_torch():
    probe = (
        "import sys; from lrtui.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'torch')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lr_find_widgets_and_screen_never_import_training_or_torch():
    heavy = _heavy_after_import("lrtui.screens.lr_find_monitor")
    assert not any(m.split(".")[0] == "torch" for m in heavy)
    probe = "import sys, lrtui.screens.lr_find_monitor; print(any(m.startswith('lrtui.training.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_training_never_imports_textual():
    assert "textual" not in {m.split(".")[0] for m in _heavy_after_import("lrtui.training")}


def test_version_and_help_work():
    version = subprocess.run(
        [sys.executable, "-m", "lrtui", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("lrtui ")
    helptext = subprocess.run(
        [sys.executable, "-m", "lrtui", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: lrtui" in helptext.stdout


def test_doctor_on_a_series_stays_pure():
    # the whole doctor path (inference, diagnoses, declared plans) runs without torch or textual
    probe = (
        "import sys, numpy as np; from lrtui.doctor import doctor_series; "
        "r = doctor_series(np.arange(50), [0.1 * 0.9 ** np.arange(50)], "
        "config={'optimizer': {'lr': 0.1}, 'schedule': {'spec': 'ExponentialLR(gamma=0.9)'}}); "
        "assert r.ok, r.text(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'torch')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_integrations_package_imports_no_framework():
    # `import lrtui.integrations` (and the shared helpers) must not pull torch, Lightning or transformers
    assert _heavy_after_import("lrtui.integrations", "lrtui.integrations.common") == []
