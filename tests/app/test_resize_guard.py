"""A Resize for a size the terminal no longer has is dropped by every lrtui screen (lrtui/widgets/resize_guard.py).

Textual 8 lays a screen out at each Resize it is sent, and the screen then sends itself a Resize of that size:
two stale sizes queued on one screen answered each other for ever under load (the pty burst test in
test_terminal.py caught it). Here the stale Resize is posted to the screen directly, as the app does when the
terminal's size changes again while the screen is still busy."""

from __future__ import annotations

from textual.events import Resize
from textual.geometry import Size

from lrtui.app import LrtuiApp
from lrtui.screens.help import HelpScreen
from lrtui.screens.preview import PreviewScreen
from tests.app.idle import settle
from tests.monitor.helpers import wait_for


async def test_a_stale_resize_does_not_lay_a_screen_out_at_a_size_gone():
    app = LrtuiApp(spec="CosineAnnealingLR(T_max=1000)")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        await settle(pilot)
        for screen in (app.screen, None):
            if screen is None:  # a modal too: the help overlay
                await pilot.press("question_mark")
                await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
                screen = app.screen
                await settle(pilot)
            assert screen.outer_size == Size(100, 30)
            for stale in (Size(160, 48), Size(31, 9), Size(160, 48)):
                screen.post_message(Resize(stale, stale))
            await settle(pilot)
            assert screen.outer_size == Size(100, 30), type(screen).__name__
        # the terminal's real size is still laid out: a resize goes through the app to every screen
        await pilot.resize_terminal(120, 36)
        await wait_for(pilot, lambda: app.screen.outer_size == Size(120, 36), what="the help at 120x36")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview again")
        await wait_for(pilot, lambda: app.screen.outer_size == Size(120, 36), what="the preview at 120x36")


def test_every_lrtui_screen_has_the_guard():
    import importlib
    import pkgutil

    from textual.screen import Screen

    import lrtui
    from lrtui.widgets.resize_guard import StaleResizeGuard

    for module in pkgutil.walk_packages(lrtui.__path__, "lrtui."):
        if module.name.startswith(("lrtui.screens", "lrtui.widgets", "lrtui.app")):
            importlib.import_module(module.name)
    screens, stack = [], [Screen]
    while stack:
        for cls in stack.pop().__subclasses__():
            stack.append(cls)
            if cls.__module__.startswith("lrtui."):
                screens.append(cls)
    assert len(screens) >= 12
    assert [cls.__name__ for cls in screens if not issubclass(cls, StaleResizeGuard)] == []
