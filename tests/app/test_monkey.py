"""A monkey drives the real app: random keys, random pastes, random terminal sizes, on every screen.

Each example starts the real LrtuiApp (`App.run_test`) at a random size (down to 30x8) on a runs dir
holding recorded runs and a live one (a RunLogger writing from a thread, lr and loss turning 1e308, inf
and NaN after a while), walks to one of the screens (preview, picker, help, palette, child editor, runs,
confirmation, compare, monitor of the live run, its LR doctor, launch form) and then presses keys the
screen offers or any other key, one at a time or in bursts (queued before any is handled, as over SSH),
pastes specs (overflowing, non-finite, huge, malformed, deeply nested, control characters, several lines)
and resizes the terminal. The only acceptable outcome is no exception and an app that
still answers (ctrl+p opens the palette).

Every route gets its share of the examples: CI-sized by default (one per route); LRTUI_MONKEY_EXAMPLES=500
for a long run (LRTUI_MONKEY_STEPS sets the actions per example, LRTUI_MONKEY_LOG a file that records
every example's actions). Processes the keys could start are kept harmless: the launch form starts `true` instead of the
trainer, the runs screen refuses to resume runs without a checkpoint, and SIGTERM (stop on the live run,
whose pid is this process) is ignored while the test runs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual import events
from textual.command import CommandPalette

from lrtui.screens.doctor import DoctorScreen
from lrtui.screens.monitor import RunMonitorScreen
from lrtui.screens.preview import PreviewScreen
from lrtui.screens.runs import CompareScreen, RunsScreen
from tests.app.keys import KEY_NAMES, KeysApp, burst, offered, wait_for
from tests.app.live_run import live_run
from tests.monitor.helpers import copy_fixture

EXAMPLES = int(os.environ.get("LRTUI_MONKEY_EXAMPLES", "10"))  # in all, over the routes below
STEPS = int(os.environ.get("LRTUI_MONKEY_STEPS", "25"))
LOG = os.environ.get("LRTUI_MONKEY_LOG")  # a file: every example's route and actions, to replay one


def _log(text: str) -> None:
    if LOG:  # one file per xdist worker (pytest -n N for long runs)
        with open(LOG + os.environ.get("PYTEST_XDIST_WORKER", ""), "a", encoding="utf-8") as f:
            f.write(text + "\n")


# Keys any screen may get besides the ones it offers (quitting ends an example early: left out).
GENERIC_KEYS = [
    "tab", "shift+tab", "enter", "escape", "up", "down", "left", "right", "home", "end", "pageup",
    "pagedown", "backspace", "delete", "space", "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+s", "ctrl+l",
    "ctrl+p", "ctrl+c", "f1", "question_mark", "slash", "plus", "minus",
]  # fmt: skip
NEVER = {"q", "ctrl+q"}

SPECS = [
    "ExponentialLR(gamma=1.1)",
    "ExponentialLR(gamma=10)",
    "StepLR(step_size=1, gamma=1e308)",
    "StepLR(step_size=30, gamma=inf)",
    "StepLR(step_size=30, gamma=nan)",
    "LambdaLR(lr_lambda='1e308 * k')",
    "LambdaLR(lr_lambda='10 ** k')",
    "LambdaLR(lr_lambda='1 / (k - 5)')",
    "LambdaLR(lr_lambda='0 / 0')",
    "MultiplicativeLR(lr_lambda='1e10')",
    "CosineAnnealingLR(T_max=1e308)",
    "CosineAnnealingLR(T_max=99999999999999999999999999)",
    "OneCycleLR(max_lr=1e308, total_steps=1000)",
    "OneCycleLR(max_lr=0.1, total_steps=1000000000)",
    "CyclicLR(base_lr=1e-300, max_lr=1e300, step_size_up=1)",
    "StepLR(step_size=-1)",
    "StepLR(",
    "StepLR(step_size=30))",
    "lambda epoch: 0.95 ** epoch",
    "lambda k: " + "(" * 300 + "k" + ")" * 300,
    "SequentialLR([" * 60 + "StepLR(3)" + "], milestones=[1])" * 60,
    "[" * 1000 + "]" * 1000,
    "StepLR(step_size=3)\x1b]52;c;cHduZWQ=\x07\x1b[2J",
    "Step\x00LR(step_size=3)\r\u202e",
    "SequentialLR(\n    [LinearLR(start_factor=0.1, total_iters=5),\n     StepLR(step_size=30)],\n    milestones=[5])",
    "[bold]StepLR[/](step_size=3) [/] [link=x]",
    "StepLR(step_size=" + "9" * 5000 + ")",
    "x" * 20_000,
    "get_scheduler('cosine', num_warmup_steps=1e308, num_training_steps=-1)",
]
FIELD_TEXT = [
    "1e308",
    "inf",
    "-inf",
    "nan",
    "0",
    "-1",
    "1e12",
    "10000000000",
    "0.1, 0.01",
    "",
    "[/]",
    "1" * 400,
]

specs = st.one_of(
    st.sampled_from(SPECS),
    st.text(alphabet=string.printable + "\x1b\x07\x00\x9b‮[]/", max_size=80),
    st.builds(lambda a, b: a + b, st.sampled_from(SPECS), st.text(max_size=10)),
)
sizes = st.tuples(st.integers(30, 200), st.integers(8, 60))

ROUTES = [
    "preview", "picker", "help", "palette", "child", "runs", "confirm", "compare", "monitor", "doctor", "launch",
]  # fmt: skip


class MonkeyApp(KeysApp):
    """The real app; its launch form starts `true` rather than a trainer (the form itself is unchanged)."""

    trainer_python = "true"


async def _go(pilot, route: str, live: Path) -> None:
    """Walk to `route` with keys, as a user would."""
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.curve is not None, "preview"
    )
    keys = {
        "preview": [],
        "picker": ["slash"],
        "help": ["question_mark"],
        "palette": ["ctrl+p"],
        "launch": ["t"],
    }
    if route in keys:
        await pilot.press(*keys[route])
        return
    if route == "child":
        await wait_for(pilot, lambda: bool(app.screen.query("ChildInput")), "the form")
        app.screen.query("ChildInput").first().focus()
        await pilot.press("ctrl+e")
        return
    await pilot.press("r")
    await wait_for(
        pilot, lambda: isinstance(app.screen, RunsScreen) and live.name in app.screen.order, "runs"
    )
    runs = app.screen
    table = runs.query_one("LazyTable")
    if route in ("monitor", "doctor"):
        table.move_cursor(row=runs.order.index(live.name))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "monitor")
        if route == "doctor":
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, DoctorScreen), "the LR doctor")
    elif route == "compare":
        for row in range(min(3, len(runs.order))):
            table.move_cursor(row=row)
            await pilot.press("space")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "compare")
    elif route == "confirm":
        table.move_cursor(row=len(runs.order) - 1)
        await pilot.press("d")


async def _act(pilot, data) -> None:
    app = pilot.app
    where = type(app.screen).__name__
    kind = data.draw(
        st.sampled_from(["offered", "offered", "key", "char", "burst", "paste", "resize", "pause"])
    )
    if kind in ("offered", "key"):
        keys = sorted({key for key, _ in offered(app)} - NEVER) if kind == "offered" else []
        key = data.draw(st.sampled_from(keys or GENERIC_KEYS))
        _log(f"  {where}: press {key!r}")
        await pilot.press(key)
    elif kind == "char":
        text = data.draw(
            st.text(alphabet=string.ascii_letters + string.digits + "()[]=,._-*/ '\"", max_size=6)
        )
        _log(f"  {where}: type {text!r}")
        for char in text:
            if char not in NEVER:
                await pilot.press(char)
    elif (
        kind == "burst"
    ):  # keys that arrive together (SSH, tmux, a fast typist): queued before any is handled
        keys = data.draw(st.lists(st.sampled_from([*GENERIC_KEYS, *"abc019(=)."]), min_size=2, max_size=8))
        _log(f"  {where}: burst {keys!r}")
        burst(app, *(KEY_NAMES.get(key, key) for key in keys if key not in NEVER))
        await pilot.pause()
    elif kind == "paste":
        text = data.draw(st.one_of(specs, st.sampled_from(FIELD_TEXT)))
        _log(f"  {where}: paste {text[:200]!r} into {app.focused!r}")
        app.post_message(events.Paste(text))
        await pilot.pause()
    elif kind == "resize":
        size = data.draw(sizes)
        _log(f"  resize {size}")
        await pilot.resize_terminal(*size)
    else:
        await pilot.pause(data.draw(st.sampled_from([0.05, 0.2, 0.5])))


async def _example(tmp: Path, route: str, data) -> None:
    runs_dir = copy_fixture(tmp)
    overflow_at = data.draw(st.sampled_from([None, 50, 300]))
    size = data.draw(sizes)
    _log(f"example: {route} at {size}, live run overflowing at {overflow_at}")
    with live_run(runs_dir, steps=100_000, step_delay=0.005, overflow_at=overflow_at) as live:
        app = MonkeyApp(runs_dir=str(runs_dir))
        async with app.run_test(size=size) as pilot:
            await _go(pilot, route, live)
            for _ in range(data.draw(st.integers(1, STEPS))):
                await _act(pilot, data)
                if not app.is_running:
                    break  # the palette's Quit, typed by the monkey: a clean exit
            if app.is_running:  # still answering
                await pilot.pause()
                await pilot.press("ctrl+p")
                await wait_for(
                    pilot, lambda: isinstance(app.screen, CommandPalette), "the palette (the app answers)"
                )
                await pilot.press("escape")
        assert app.crash is None
        assert app.return_code in (None, 0)


@pytest.fixture
def no_sigterm():
    # Stopping the live run signals its pid, which is this test process: keep running. (Use SIGKILL or
    # SIGINT to end a long run early.)
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    yield
    signal.signal(signal.SIGTERM, previous)


PER_ROUTE = max(1, EXAMPLES // len(ROUTES))


@pytest.mark.parametrize("route", ROUTES)
@settings(
    max_examples=PER_ROUTE,
    deadline=None,
    derandomize=EXAMPLES <= 10,  # CI: the same examples every run; long runs explore
    # Long runs report the first failure as found (LRTUI_MONKEY_LOG has its actions): shrinking is slow.
    phases=[Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if EXAMPLES <= 10 else []),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_monkey_keys_pastes_and_resizes_never_crash_the_app(
    route, data, tmp_path_factory, no_sigterm, monkeypatch
):
    tmp = tmp_path_factory.mktemp("monkey")
    monkeypatch.chdir(tmp)  # exports and screenshots land here
    asyncio.run(_example(tmp, route, data))
