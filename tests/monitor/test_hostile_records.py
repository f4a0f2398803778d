"""One bad record in metrics.jsonl is skipped and counted; the monitor draws everything else (issue 10,
bug 13: an `"epoch": NaN` record used to blank the whole monitor after a toast)."""

from __future__ import annotations

import shutil

from lrtui.screens.monitor import RunMonitorScreen
from lrtui.widgets.runs.panels import AccuracyPanel, LossPanel, LrPanel, ProgressLine, StateLine

from .helpers import FIXTURE_RUNS, ScreenTestApp, fixed_clock, wait_for

BAD_RECORDS = [
    '{"kind":"epoch","epoch":NaN,"test_acc":0.99}',  # Python's json writes NaN; the reader parses it
    '{"kind":"epoch","epoch":Infinity}',
    '{"kind":"epoch","epoch":"last","test_acc":"high"}',
    '{"kind":"epoch","epoch":2,"test_acc":[1],"images_per_s":"fast"}',
    '{"kind":"event","event":["stop"],"message":5}',
    '{"kind":"event","event":"note","step":"x"}',
    '{"kind":"steps","step":{"range":[100,268435556]},"lr":0.1}',
    '{"kind":"steps","step":[900],"lr":[[0.1]],"t":NaN}',
]


def _plain(widget) -> str:
    return str(widget.render()) if not hasattr(widget, "content") else str(widget.content)


async def test_bad_records_are_skipped_and_the_rest_is_drawn(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURE_RUNS / "20251121-100000-vgg-a001", run)
    with open(run / "metrics.jsonl", "a") as f:
        f.write("\n".join(BAD_RECORDS) + "\n")
    app = ScreenTestApp(lambda: RunMonitorScreen(run, clock=fixed_clock, sample_device=False))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, RunMonitorScreen) and app.screen.drawn is not None,
            what="first redraw",
        )
        await pilot.pause()
        screen = app.screen
        assert screen.worker_error is None
        assert "test 77.85%" in _plain(screen.query_one(AccuracyPanel).caption)  # the good epochs
        assert "99" not in _plain(screen.query_one(AccuracyPanel).caption)  # not the NaN epoch's
        assert "epoch 5/5" in _plain(screen.query_one(ProgressLine))
        assert [s.label for s in screen.query_one(LrPanel).plot.figure.series] == ["planned", "actual"]
        assert screen.query_one(LossPanel).plot.figure.series
        state = _plain(screen.query_one(StateLine))
        assert "finished" in state and f"({len(BAD_RECORDS) - 1} unreadable records skipped)" in state
        await pilot.press("q")  # the screen still answers keys
