"""`Deferred`: build and mount a widget right after the first frame (Textual's `Lazy`, with two differences).

It takes a factory instead of a widget: the widget's class (and its module, and the Textual widgets that
module imports: TextArea, Select, Collapsible, ...) is only imported when the widget is built, after the first
frame, so the startup imports only what the first frame shows (`tests/app/test_startup_imports.py`).

A screen covered before its first frame — `lrtui watch` pushes the monitor over the preview at once — is not
refreshed again until the app quits, and by then nothing is attached (`is_attached` is False once the app
exits), so `Lazy`'s mount raised MountError on quit: the crash handler turned every `lrtui watch` ...
`ctrl+q` into exit status 1. Here the mount is simply dropped when its parent is no longer (or not)
attached: there is nothing left to show it in.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


class Deferred(Widget):
    DEFAULT_CSS = """
    Deferred {
        display: none;
    }
    """

    def __init__(self, make: Callable[[], Widget]) -> None:
        super().__init__()
        self._make = make

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        parent = self.parent
        if not isinstance(parent, Widget):
            return

        async def mount() -> None:
            if not (parent.is_attached and self.is_attached):
                return  # the app is quitting (or the pane went away) before the first frame
            await parent.mount(self._make(), after=self)
            await self.remove()

        self.call_after_refresh(mount)
