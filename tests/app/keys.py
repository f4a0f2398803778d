"""Helpers for tests that press keys the way a user does: the app, the offered bindings, waits.

`offered(app)` is what a user is offered on the current screen: every binding the footer shows and every
binding the `?` help lists (generated from the screens' and widgets' BINDINGS). Key tests check that each
offered action has a check, so a new binding is covered the day it is added.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.binding import Binding

from lrtui.app import LrtuiApp
from lrtui.screens.help import screen_help_sections
from tests.monitor.helpers import wait_for as monitor_wait_for

KEY_NAMES = {
    "(": "left_parenthesis",
    ")": "right_parenthesis",
    "=": "equals_sign",
    ".": "full_stop",
    "_": "underscore",
    "/": "slash",
    " ": "space",
}


def burst(app, *keys: str, text: str = "") -> None:
    """Keys as a terminal delivers a fast typist's (or tmux send-keys'): all queued before any is handled.
    (pilot.press waits for each key to be handled, which hides that race.) `keys` are key names
    ("ctrl+l", "slash", "o"), `text` is typed after them character by character."""
    for key in keys:
        char = next((c for c, name in KEY_NAMES.items() if name == key), key if len(key) == 1 else None)
        app.post_message(events.Key(key, char))
    for char in text:
        app.post_message(events.Key(char if char.isalnum() else KEY_NAMES.get(char, char), char))


class KeysApp(LrtuiApp):
    """The real app, remembering the notifications it showed (what a key said when it did nothing else)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.messages: list[str] = []

    def notify(self, message, **kwargs) -> None:
        self.messages.append(str(message))
        super().notify(message, **kwargs)


def _bindings(items) -> list[Binding]:
    out = []
    for b in items:
        if isinstance(b, Binding):
            out.append(b)
        elif isinstance(b, tuple):
            out.append(Binding(*b))
    return out


def offered(app) -> list[tuple[str, str]]:
    """(key, action) of every binding the footer shows or the `?` help lists on the current screen."""
    pairs: dict[tuple[str, str], None] = {}
    active = app.screen.active_bindings
    for binding in active.values():
        if binding.binding.show:
            pairs[(binding.binding.key, binding.binding.action)] = None
    if not any(binding.binding.action == "help" for binding in active.values()):
        return list(pairs)  # no `?` here (a dialog, the help itself)
    for _title, bindings in screen_help_sections(app, app.screen):
        for b in _bindings(bindings):
            if not b.description:
                continue
            if b.action in ("runs", "help", "launch", "quit_key") and app.check_action(b.action, ()) is False:
                continue  # an app action this screen does not offer (hidden from its footer too)
            for key in b.key.split(","):
                pairs[(key.strip(), b.action)] = None
    return list(pairs)


def missing_checks(pairs: list[tuple[str, str]], checks: dict[str, Callable]) -> list[str]:
    return sorted({f"{action} ({key})" for key, action in pairs if action not in checks})


async def wait_for(pilot, predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    await monitor_wait_for(pilot, predicate, timeout=timeout, what=what)


async def press_all(app, pairs: list[tuple[str, str]], checks: dict, stays: Callable[[], bool]) -> None:
    """Run the check of every offered (key, action); each must leave the app on its screen (`stays`)."""
    assert not missing_checks(pairs, checks), "keys without a check"
    for key, action in pairs:
        if checks[action] is not None:
            await checks[action](key)
            assert stays(), f"{key} ({action}) left {app.screen!r} open"
