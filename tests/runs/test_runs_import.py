"""lrtui.runs is stdlib only, and `import lrtui` stays light while `from lrtui import RunLogger` works."""

import json
import subprocess
import sys

CODE = """
import json, sys
import {module}
{extra}
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'torch', 'textual', 'plotext'))
print(json.dumps({{"heavy": heavy, "runs": 'lrtui.runs' in sys.modules}}))
"""


def probe(module: str, extra: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(module=module, extra=extra)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_runs_package_imports_no_heavy_modules() -> None:
    assert probe("lrtui.runs")["heavy"] == []
    assert probe("lrtui.runs.lr_sweep")["heavy"] == []  # the LR range test's run contract: stdlib too


def test_lrtui_import_is_light_and_runlogger_is_lazy() -> None:
    assert probe("lrtui") == {"heavy": [], "runs": False}
    assert probe("lrtui", "from lrtui import RunLogger, optimizer_lrs") == {"heavy": [], "runs": True}
