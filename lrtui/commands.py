"""A command-palette provider over a plain list of (title, callback, help) entries.

The app's provider (every bound action) and the preview's (presets, kinds) differ only in what they list.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

Command = tuple[str, Callable, str]  # (title, callback, help text)


class ListedCommands(Provider):
    DISCOVER_LIMIT: int | None = None  # how many entries to show before the user types

    def _commands(self) -> list[Command]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands()[: self.DISCOVER_LIMIT]:
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
