"""The `?` help overlay, generated from the bindings themselves (key, description, binding id).

Screens pass `help_sections()`: a list of (title, bindings). Nothing here is written by hand except the
short notes at the bottom, so the help never drifts from what the keys do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NOTES = (
    "Typing goes into the focused field: press esc to leave a field (the plot gets the keys), "
    "tab / shift+tab to move between fields.",
    "ctrl+p opens the command palette: every action, every preset and every schedule kind.",
    "Numbers accept 1e-3, 1/3, inf; lists accept '10, 20'; per-group values accept '0.1, 0.01'; "
    "formulas accept '0.95 ** k' or 'lambda epoch: 0.95 ** epoch'.",
)


def _as_bindings(items: Iterable) -> list[Binding]:
    out = []
    for b in items:
        if isinstance(b, Binding):
            out.append(b)
        elif isinstance(b, tuple):  # ("key", "action", "description") shorthand
            out.append(Binding(*b))
    return out


def help_rows(app, sections: list[tuple[str, Iterable]]) -> list[tuple[str, str, str, str]]:
    """(section, keys, what it does, binding id) for every described binding, in order."""
    out = []
    for title, bindings in sections:
        seen = set()
        for b in _as_bindings(bindings):
            if not b.description or (b.key, b.action) in seen:
                continue
            seen.add((b.key, b.action))
            keys = " ".join(app.get_key_display(Binding(k.strip(), b.action)) for k in b.key.split(","))
            out.append((title, keys, b.tooltip or b.description, b.id or ""))
    return out


def help_table(rows: list[tuple[str, str, str, str]]) -> Table:
    """A table of every binding: keys, what it does, its id (for keymaps), grouped by section."""
    table = Table(box=None, expand=True, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("key", no_wrap=True, style="bold")
    table.add_column("does")
    table.add_column("id", style="dim", no_wrap=True)
    section = None
    for title, keys, does, bid in rows:
        if title != section:
            section = title
            table.add_row(Text(title, style="bold underline"), "", "")
        table.add_row(keys, does, bid)
    return table


class HelpScreen(ModalScreen[None]):
    """Every key binding of the current screen, its widgets and the app."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "dismiss", "Close help", id="help.close")
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 110; height: 90%; border: round $accent;
        background: $surface; padding: 0 1; }
    HelpScreen #help-title { text-style: bold; color: $text-accent; }
    HelpScreen .note { color: $text-muted; }
    """

    def __init__(self, sections: list[tuple[str, Iterable]], title: str = "lrtui keys") -> None:
        super().__init__()
        self.sections = sections
        self.help_title = title
        self.rows: list[tuple[str, str, str, str]] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(f"{self.help_title}  (esc closes)", id="help-title", markup=False)
            self.rows = help_rows(self.app, self.sections)
            yield Static(help_table(self.rows), id="help-table")
            for note in NOTES:
                yield Static(f"• {note}", classes="note", markup=False)
