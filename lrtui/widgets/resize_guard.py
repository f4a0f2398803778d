"""Screens drop a Resize for a size the terminal no longer has.

Textual 8 lays a screen out at the size of each Resize it is sent, and a screen laid out at a new size sends
itself another Resize of that size. Two Resizes of different sizes queued on one screen (a burst of them on a
loaded machine: the app posts each new size while the screen is still laying out the last) then answer each
other for ever: 160x48, 120x36, 160x48, ... at full CPU, the app deaf to keys (seen in a pty under load; the
burst test in tests/app/test_terminal.py). The app's own size is always the newest the terminal reported, so
a Resize that disagrees with it is stale: dropping it breaks the loop, and the newest size is laid out when
its Resize arrives.
"""

from __future__ import annotations

from textual import events


class StaleResizeGuard:
    """Mixin for screens (before `Screen`/`ModalScreen` in the bases): ignore a Resize that is not the
    app's current size, before any handler sees it."""

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Resize) and event.size != self.app.size:
            return
        await super().on_event(event)
