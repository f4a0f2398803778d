"""A small test App that shows one of the run screens, and waits that poll real state (no sleeps-as-asserts)."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.screen import Screen

FIXTURE_RUNS = Path(__file__).resolve().parent / "fixtures" / "runs"
T0 = 1_763_719_200.0
FIXED_NOW = T0 + 3 * 3600.0  # same as make_fixture.FIXED_NOW


def fixed_clock() -> float:
    return FIXED_NOW


def copy_fixture(dest: Path) -> Path:
    """A private copy of the recorded runs (tests may delete or add runs)."""
    target = dest / "runs"
    shutil.copytree(FIXTURE_RUNS, target)
    return target


class ScreenTestApp(App):
    """Pushes `make_screen()` on mount; nothing else."""

    def __init__(self, make_screen: Callable[[], Screen]) -> None:
        super().__init__()
        self.make_screen = make_screen

    def on_mount(self) -> None:
        self.push_screen(self.make_screen())


async def wait_for(
    pilot, predicate: Callable[[], bool], timeout: float = 20.0, what: str = "condition"
) -> None:
    """Let the app run until `predicate()` holds (checked between frames); fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)
    await pilot.pause()


def run_async(coro):
    return asyncio.run(coro)


FOREIGN = Path(__file__).resolve().parent / "fixtures" / "foreign"


def copy_foreign(dest: Path) -> Path:
    """A copy of the foreign-format fixture runs with every file's mtime at T0 (stable live/idle states)."""
    import os

    target = dest / "foreign"
    shutil.copytree(FOREIGN, target)
    for path in [target, *target.rglob("*")]:
        os.utime(path, (T0, T0))
    return target
