"""Helpers for driving the real app headless (run_test + Pilot)."""

from __future__ import annotations

import pytest

from lrtui.app import LrtuiApp
from lrtui.screens.preview import PreviewScreen
from tests.app.idle import settle

__all__ = ["set_input", "settle"]


async def set_input(pilot, selector: str, text: str) -> PreviewScreen:
    """Replace an Input's text the way typing does (posts Input.Changed), then settle."""
    from textual.widgets import Input

    screen = pilot.app.screen
    widget = screen.query_one(selector, Input)
    widget.value = text
    return await settle(pilot)


@pytest.fixture
def make_app():
    def make(spec: str | None = None) -> LrtuiApp:
        return LrtuiApp(spec=spec)

    return make
