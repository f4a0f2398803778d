"""Text from run files is shown as written: never parsed as markup, never sent with its control characters.

A run whose names, spec, status message, error, device event and directory name hold markup (`[/]`,
`[bold]`, `[@click=app.quit]`) and terminal escapes (OSC 52 clipboard write, clear screen, BEL) is
listed, selected, compared, opened, stopped (a notification naming it) and its palette searched; the app
must not crash, must show the brackets literally, and no escape or BEL may be in what it draws.
Regression: DataTable cells and notifications parsed such text as markup (MarkupError, or restyled text).
"""

from __future__ import annotations

import json

from textual.command import CommandPalette

from lrtui.runs import RunLogger
from lrtui.screens.monitor import RunMonitorScreen
from lrtui.screens.runs import CompareScreen, RunsScreen
from tests.app.keys import KeysApp, wait_for

EVIL = "[/]\x1b]52;c;cHduZWQ=\x07\x1b[2J[bold]x[@click=app.quit]y"


def _hostile_run(runs_dir):
    config = {
        "name": f"n{EVIL}",
        "model": f"m{EVIL}",
        "dataset": f"d{EVIL}",
        "device": f"cpu{EVIL}",
        "schedule": {"spec": f"StepLR(step_size=2){EVIL}", "stepping": "epoch", "steps_per_epoch": 4},
        "epochs": 3,
    }
    with RunLogger(config, runs_dir=runs_dir, run_id="run-[bold]x[red]", handle_sigterm=False) as run:
        for step in range(12):
            run.step(step, lr=0.1, loss=1.0 / (step + 1))
        run.epoch(0, test_acc=0.5, test_loss=1.0)
        run.event("device", f"dev{EVIL}", device=f"cpu{EVIL}")
    status = json.loads((run.run_dir / "status.json").read_text())
    status.update(state="failed", error=f"RuntimeError: boom{EVIL}", message=f"msg{EVIL}")
    (run.run_dir / "status.json").write_text(json.dumps(status))
    return run.run_dir


def _drawn(app) -> str:
    return app.export_screenshot()


def _assert_clean(app) -> None:
    svg = _drawn(app)
    for char in ("\x1b", "\x07", "\x9b"):
        assert char not in svg


async def test_hostile_run_text_shows_literally_everywhere(tmp_path):
    runs_dir = tmp_path / "runs"
    run_dir = _hostile_run(runs_dir)
    app = KeysApp(runs_dir=str(runs_dir))
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause(0.5)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.order, "runs")
        runs = app.screen
        await pilot.pause()
        _assert_clean(app)
        cells = [str(cell) for cell in runs.query_one("LazyTable").get_row_at(0)]
        assert any("[/]" in cell and "[bold]" in cell for cell in cells)  # name/model: brackets as written
        assert "[/]" in str(runs.query_one("#runs-detail").render())
        await pilot.press("s")  # failed: "… is failed: nothing to stop", naming the run
        await pilot.pause()
        assert any("run-[bold]x[red]" in message for message in app.messages)
        _assert_clean(app)

        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.runs, "compare")
        await pilot.pause()
        _assert_clean(app)
        row = [str(cell) for cell in app.screen.query_one("DataTable").get_row_at(0)]
        assert "run-[bold]x[red]" in row
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is runs, "back")

        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, RunMonitorScreen) and app.screen.drawn is not None,
            "monitor",
        )
        await pilot.pause(0.3)
        _assert_clean(app)
        title = str(app.screen.query_one("#monitor-title").render())
        assert "[/]" in title and "[bold]" in title and "run-[bold]x[red]" in title
        state = str(app.screen.query_one("#state").render())
        assert "boom[/]" in state
        await pilot.press("question_mark")  # help on the monitor, then the palette over it
        await pilot.press("escape", "ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
        await pilot.press(*"stop")
        await pilot.pause(0.3)
        _assert_clean(app)
        await pilot.press("escape", "escape")
        assert app.is_running and app.crash is None
    assert run_dir.exists()
