"""`Deferred`: Textual's `Lazy` (mount a widget right after the first frame), safe when that frame never comes.

`Lazy` mounts its widget from a `call_after_refresh`. A screen covered before its first frame — `lrtui watch`
pushes the monitor over the preview at once — is not refreshed again until the app quits, and by then nothing
is attached (`is_attached` is False once the app exits), so `Lazy`'s mount raised MountError on quit: the
crash handler turned every `lrtui watch` ... `ctrl+q` into exit status 1. Here the mount is simply dropped
when its parent is no longer (or not) attached: there is nothing left to show it in.
"""

from __future__ import annotations

from textual.lazy import Lazy
from textual.widget import Widget


class Deferred(Lazy):
    def __init__(self, widget: Widget) -> None:
        super().__init__(widget)
        self.widget = widget

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        parent = self.parent
        if not isinstance(parent, Widget):
            return

        async def mount() -> None:
            if not (parent.is_attached and self.is_attached):
                return  # the app is quitting (or the pane went away) before the first frame
            await parent.mount(self.widget, after=self)
            await self.remove()

        self.call_after_refresh(mount)
