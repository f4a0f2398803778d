"""Screenshot scenarios for the run monitor, the runs screen, the compare view and the launch form.

    .venv/bin/python screenshots/monitor_scenarios.py [OUT_DIR]     # SVG + PNG (rsvg-convert) per scenario,
                                                                    # into screenshots/ by default

Each `Scenario` builds a small App showing one screen on the recorded runs in
tests/monitor/fixtures/runs (fixed timestamps; ages use a fixed clock) and says when it is ready to shoot.
screenshots/make_screenshots.py can import `SCENARIOS` and `shoot(scenario, out_dir)`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from make_screenshots import to_png  # noqa: E402  (one PNG conversion for every scenario)
from textual.app import App  # noqa: E402
from textual.screen import Screen  # noqa: E402

from lrtui.screens.launch import LaunchScreen  # noqa: E402
from lrtui.screens.lr_find_monitor import LrFindMonitorScreen  # noqa: E402
from lrtui.screens.monitor import RunMonitorScreen  # noqa: E402
from lrtui.screens.runs import CompareScreen, RunsScreen  # noqa: E402

FIXTURE_RUNS = ROOT / "tests" / "monitor" / "fixtures" / "runs"
FIXTURE_LR_FIND = ROOT / "tests" / "monitor" / "fixtures" / "lr_find" / "20251121-110000-lenet-f001"
DDP_RUN = (
    ROOT / "tests" / "monitor" / "fixtures" / "ddp" / "20251121-110000-resnet18-d008"
)  # make_ddp_fixture.py
FIXED_NOW = 1_763_719_200.0 + 3 * 3600.0  # tests/monitor/make_fixture.py FIXED_NOW
A001, A002, A003, A004, A005 = (
    sorted(p.name for p in FIXTURE_RUNS.iterdir()) if FIXTURE_RUNS.is_dir() else [""] * 5
)


def fixed_clock() -> float:
    return FIXED_NOW


class ShotApp(App):
    TITLE = "lrtui"

    def __init__(self, make_screen: Callable[[], Screen]) -> None:
        super().__init__()
        self.make_screen = make_screen

    def on_mount(self) -> None:
        self.push_screen(self.make_screen())


@dataclass(frozen=True)
class Scenario:
    name: str
    size: tuple[int, int]
    make_screen: Callable[[], Screen]
    ready: Callable[[App], bool]  # polled until true, then the screenshot is taken
    keys: tuple[str, ...] = ()  # pressed once ready (then ready is polled again)
    settle: float = 0.0  # extra seconds once ready (the footer recomposes after late binding refreshes)

    def app(self) -> App:
        return ShotApp(self.make_screen)


def _monitor(run: str) -> Callable[[], Screen]:
    return lambda: RunMonitorScreen(FIXTURE_RUNS / run, clock=fixed_clock, sample_device=False)


def _monitor_ready(app: App) -> bool:
    screen = app.screen
    return (
        isinstance(screen, RunMonitorScreen)
        and screen.drawn is not None
        and not any(chart.needs(screen.drawn) for chart in screen._charts())
    )


def _lr_find_ready(app: App) -> bool:
    return (
        _monitor_ready(app)
        and isinstance(app.screen, LrFindMonitorScreen)
        and app.screen.drawn.lr_find is not None
    )


def _ranks_ready(app: App) -> bool:
    screen = app.screen
    return _monitor_ready(app) and screen.side == "ranks" and screen.drawn.ranks is not None


def _runs_ready(app: App) -> bool:
    return isinstance(app.screen, RunsScreen) and app.screen.listings > 0


def _compare_ready(app: App) -> bool:
    return isinstance(app.screen, CompareScreen) and app.screen.runs is not None


def _launch_ready(app: App) -> bool:
    return isinstance(app.screen, LaunchScreen)


# Foreign-format runs (tests/monitor/fixtures/foreign, written by the real writers): a copy whose files are
# all dated T0, so states and ages against the fixed clock do not depend on when the repository was checked
# out; screens get paths relative to the copy's parent (stable titles).
_FOREIGN_PARENT: Path | None = None


def _foreign_parent() -> Path:
    global _FOREIGN_PARENT
    if _FOREIGN_PARENT is None:
        import os
        import shutil
        import tempfile

        parent = Path(tempfile.mkdtemp(prefix="lrtui-shots-"))
        shutil.copytree(ROOT / "tests" / "monitor" / "fixtures" / "foreign", parent / "foreign")
        shutil.copytree(FIXTURE_RUNS, parent / "runs")
        t0 = FIXED_NOW - 3 * 3600.0
        for path in [parent, *parent.rglob("*")]:
            os.utime(path, (t0, t0))
        _FOREIGN_PARENT = parent
    return _FOREIGN_PARENT


def _in_foreign(make: Callable[[], Screen]) -> Callable[[], Screen]:
    def made() -> Screen:
        import os

        os.chdir(_foreign_parent())
        return make()

    return made


def _in_root(make: Callable[[], Screen]) -> Callable[[], Screen]:
    def made() -> Screen:
        import os

        os.chdir(ROOT)
        return make()

    return made


def _tb_monitor() -> Screen:
    return RunMonitorScreen(
        "foreign/tb/hf-bert-glue",
        source_format="tensorboard",
        clock=fixed_clock,
        sample_device=False,
        output_log="foreign/train.log",
    )


def _output_ready(app: App) -> bool:
    if not _monitor_ready(app):
        return False
    pane = app.screen.query_one("#output")
    return not pane.has_class("shown") or (pane.view is not None and pane.view.total > 0)


def _scanned_ready(app: App) -> bool:
    return isinstance(app.screen, RunsScreen) and app.screen.detailed > 0


def _foreign_scenarios(size: tuple[int, int]) -> list[Scenario]:
    tag = f"{size[0]}x{size[1]}"
    return [
        Scenario(f"monitor-tensorboard-{tag}", size, _in_foreign(_tb_monitor), _monitor_ready),
        Scenario(f"monitor-metrics-grid-{tag}", size, _in_foreign(_tb_monitor), _monitor_ready, keys=("m",)),
        Scenario(f"monitor-output-pane-{tag}", size, _in_foreign(_tb_monitor), _output_ready, keys=("o",)),
        Scenario(
            f"runs-scan-{tag}",
            size,
            _in_foreign(
                lambda: RunsScreen(
                    "runs", clock=fixed_clock, sample_device=False, scan_roots=["foreign"], live_after_s=60
                )
            ),
            _scanned_ready,
        ),
        Scenario(
            f"compare-formats-{tag}",
            size,
            _in_foreign(
                lambda: CompareScreen(
                    [
                        f"runs/{A001}",
                        ("hf-trainer", "foreign/hf_out"),
                        ("lightning", "foreign/lightning_logs/version_0"),
                    ]
                )
            ),
            _compare_ready,
        ),
    ]


def _scenarios() -> list[Scenario]:
    out = []
    for size in ((80, 24), (200, 60)):
        tag = f"{size[0]}x{size[1]}"
        out += [
            Scenario(f"monitor-finished-{tag}", size, _monitor(A001), _monitor_ready),
            Scenario(f"monitor-lr-alarm-diverged-{tag}", size, _monitor(A003), _monitor_ready),
            Scenario(f"monitor-warmup-zoom-{tag}", size, _monitor(A001), _monitor_ready, keys=("w",)),
            Scenario(f"monitor-failed-user-run-{tag}", size, _monitor(A004), _monitor_ready),
            Scenario(
                f"lr-find-finished-{tag}",
                size,
                lambda: LrFindMonitorScreen(FIXTURE_LR_FIND, clock=fixed_clock, sample_device=False),
                _lr_find_ready,
                settle=1.0,
            ),
            Scenario(
                f"monitor-ranks-hung-{tag}",
                size,
                lambda: RunMonitorScreen(DDP_RUN, clock=fixed_clock, sample_device=False),
                _ranks_ready,
                keys=("o",),  # worst first: the rank the others wait for leads
            ),
            Scenario(
                f"runs-{tag}",
                size,
                _in_root(
                    lambda: RunsScreen("tests/monitor/fixtures/runs", clock=fixed_clock, sample_device=False)
                ),
                _runs_ready,
            ),
            Scenario(
                f"compare-{tag}",
                size,
                lambda: CompareScreen([FIXTURE_RUNS / r for r in (A001, A002, A003)]),
                _compare_ready,
            ),
            Scenario(
                f"launch-{tag}",
                size,
                lambda: LaunchScreen(
                    "OneCycleLR(max_lr=0.1, total_steps=11700)", [0.004], 390, "step", "runs-not-created"
                ),
                _launch_ready,
            ),
        ]
        out += _foreign_scenarios(size)
    return out


SCENARIOS: list[Scenario] = _scenarios()


async def _wait(pilot, app: App, ready: Callable[[App], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready(app):
        if time.monotonic() > deadline:
            raise TimeoutError("scenario never became ready")
        await pilot.pause(0.05)
    await pilot.pause(0.2)


async def shoot_svg(scenario: Scenario, out_dir: Path) -> Path:
    """Run the scenario headless and save `<name>.svg` in out_dir."""
    app = scenario.app()
    out_dir.mkdir(parents=True, exist_ok=True)
    async with app.run_test(size=scenario.size) as pilot:
        await _wait(pilot, app, scenario.ready)
        if scenario.keys:
            await pilot.press(*scenario.keys)
            await pilot.pause(0.3)
            await _wait(pilot, app, scenario.ready)
        if scenario.settle:
            await pilot.pause(scenario.settle)
            await _wait(pilot, app, scenario.ready)
        return Path(app.save_screenshot(filename=f"{scenario.name}.svg", path=str(out_dir)))


def shoot(scenario: Scenario, out_dir: Path) -> tuple[Path, Path | None]:
    svg = asyncio.run(shoot_svg(scenario, out_dir))
    return svg, to_png(svg)


def main(argv: list[str], scenarios: list[Scenario] | None = None) -> int:
    """Shoot `scenarios` (default: this module's) into argv[1] or screenshots/; sweep_scenarios.py reuses it."""
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "screenshots"  # next to make_screenshots.py's files
    import os

    os.chdir(ROOT)  # the runs scenario shows a relative runs dir
    for scenario in SCENARIOS if scenarios is None else scenarios:
        svg, png = shoot(scenario, out_dir)
        print(f"{scenario.name}: {png or svg}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
