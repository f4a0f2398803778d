"""A command-palette provider over a plain list of (title, callback, help) entries.

The app's provider (every bound action) and the preview's (presets, kinds) differ only in what they list.

Titles and help texts are data (binding descriptions, key names such as `[/]`, preset specs such as
`SequentialLR(schedulers=[LinearLR(...)])`), never markup: titles go to the palette as `Content`
(highlighted here, not by `Matcher.highlight`, which parses its argument as markup) and help texts,
which Textual always parses as markup, are escaped with `markup_literal`.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from lrtui.widgets.safe_text import markup_literal, plain_content

Command = tuple[str, Callable, str]  # (title, callback, help text)


def highlighted(matcher: Matcher, text: str) -> Content:
    """`text` as plain Content with the characters the fuzzy query matched styled."""
    content = plain_content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, content.plain)
    if not score:
        return content
    for offset in offsets:
        if not content.plain[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class ListedCommands(Provider):
    DISCOVER_LIMIT: int | None = None  # how many entries to show before the user types

    def _commands(self) -> list[Command]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands()[: self.DISCOVER_LIMIT]:
            yield DiscoveryHit(plain_content(text), callback, text=text, help=markup_literal(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score, highlighted(matcher, text), callback, text=text, help=markup_literal(help_text)
                )
