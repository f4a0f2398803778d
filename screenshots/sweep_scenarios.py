"""Screenshot scenarios for sweep groups: the runs screen with groups (one expanded) and a group's compare view.

    .venv/bin/python screenshots/sweep_scenarios.py [OUT_DIR]     # SVG + PNG per scenario (screenshots/)

They read the recorded groups in tests/sweep/fixtures/runs (tests/sweep/make_fixture.py; fixed timestamps,
ages against a fixed clock). screenshots/make_screenshots.py imports `SCENARIOS` and `shoot`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from monitor_scenarios import Scenario, fixed_clock, shoot  # noqa: E402, F401  (one shooter for every scenario)
from monitor_scenarios import main as shoot_all  # noqa: E402
from textual.app import App  # noqa: E402

from lrtui.screens.runs import RunsScreen  # noqa: E402
from lrtui.screens.sweep import GroupCompareScreen  # noqa: E402

SWEEP_RUNS = "tests/sweep/fixtures/runs"  # relative: the runs screen shows it in its title
DEMO = "20251121-090000-sweep-demo-f001"
SEED001 = "20251121-120000-sweep-seed001-f002"


def _runs_ready(app: App) -> bool:
    return isinstance(app.screen, RunsScreen) and app.screen.listings > 0


def _group_ready(app: App) -> bool:
    return isinstance(app.screen, GroupCompareScreen) and app.screen.view is not None


def _scenarios() -> list[Scenario]:
    out = []
    for size in ((80, 24), (200, 60)):
        tag = f"{size[0]}x{size[1]}"
        out += [
            Scenario(
                f"sweep-runs-{tag}",
                size,
                lambda: RunsScreen(SWEEP_RUNS, clock=fixed_clock, sample_device=False),
                _runs_ready,
                keys=("x",),  # the newest group (seed001, running) lists its runs
            ),
            Scenario(
                f"sweep-compare-{tag}",
                size,
                lambda: GroupCompareScreen(ROOT / SWEEP_RUNS / DEMO, clock=fixed_clock),
                _group_ready,
            ),
        ]
    return out


SCENARIOS: list[Scenario] = _scenarios()


if __name__ == "__main__":
    raise SystemExit(shoot_all(sys.argv, SCENARIOS))
