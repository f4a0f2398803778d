"""Text from data shown exactly as it is: never parsed as markup, never carrying control characters.

Run ids, config values, specs, error messages, metric names and binding descriptions are data. Textual
and Rich parse plain `str` as markup in many places (Static by default, DataTable cells, Rich table cells,
command-palette entries, notifications), where `[/]` raises MarkupError and `[bold]` silently restyles;
and neither strips the escape character, so `\\x1b]52;...` from a config.json would reach the terminal.

Use `plain` (a Rich Text) or `plain_content` (a Textual Content) for anything built from data; where an
API accepts only a markup string (the palette's help line), `markup_literal`.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from lrtui.runs.text import clean_text

__all__ = ["markup_literal", "plain", "plain_content"]


def plain(value: object, style: str = "", *, newlines: bool = False) -> Text:
    """`value` as literal Rich Text (control characters stripped; one line unless `newlines`)."""
    return Text(clean_text(value, newlines=newlines), style=style)


def plain_content(value: object, *, newlines: bool = False) -> Content:
    """`value` as literal Textual Content (control characters stripped; one line unless `newlines`)."""
    return Content(clean_text(value, newlines=newlines))


def markup_literal(value: object, *, newlines: bool = False) -> str:
    """`value` as Textual content markup that renders as exactly the cleaned text.

    Content markup opens a tag at every `[` not preceded by a backslash and turns `\\[` back into `[`
    in text, so escaping every `[` is enough (`tests/widgets/test_safe_text.py` checks it on any text).
    """
    return clean_text(value, newlines=newlines).replace("[", "\\[")
