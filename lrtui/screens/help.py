"""The `?` help overlay, generated from the bindings themselves (key, description, binding id).

Screens pass `help_sections()`: a list of (title, bindings). Nothing here is written by hand except the
short notes at the bottom, so the help never drifts from what the keys do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lrtui.widgets.resize_guard import StaleResizeGuard

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
        table.add_row(Text(keys), Text(does), Text(bid))  # Text: a str cell is parsed as markup ("[/]")
    return table


def screen_help_sections(app, screen) -> list[tuple[str, list]]:
    """What `?` lists on `screen`: its own `help_sections()` where it has one, else its bindings, those
    of lrtui's widgets around the focus (a chart's cursor keys), then the app's."""
    if hasattr(screen, "help_sections"):
        return screen.help_sections()
    title = getattr(screen, "HELP_TITLE", None) or type(screen).__name__.removesuffix("Screen")
    sections: list[tuple[str, list]] = [(title, offered(screen, getattr(screen, "BINDINGS", [])))]
    focused = app.focused
    for node in focused.ancestors_with_self if focused is not None else ():
        if node is screen:
            break
        own = type(node).__dict__.get("BINDINGS")  # lrtui's own keys, not those inherited from Textual
        if type(node).__module__.startswith("lrtui.") and own:
            sections.append((getattr(node, "HELP_TITLE", None) or type(node).__name__, list(own)))
    sections.append(app_section(app, sections))
    return sections


def offered(screen, bindings: Iterable) -> list[Binding]:
    """The bindings `screen` offers now: those its `check_action` does not turn off (the rank keys on a
    one-process run, stopping a run lrtui did not start), as the footer shows them."""
    kept = []
    for b in _as_bindings(bindings):
        _dest, action, params = parse_action(b.action)
        if screen.check_action(action, params) is not False:
            kept.append(b)
    return kept


def app_section(app, sections: list[tuple[str, Iterable]]) -> tuple[str, list]:
    """The app's keys, less those the sections above bind to something else (on the runs screen `r`
    resumes a run: listing "r Runs" too would be wrong)."""
    taken = {
        key.strip(): b.action
        for _title, bindings in sections
        for b in _as_bindings(bindings)
        for key in b.key.split(",")
    }
    kept = []
    for b in _as_bindings(app.BINDINGS):
        keys = [key.strip() for key in b.key.split(",")]
        if all(taken.get(key, b.action) == b.action for key in keys) and not all(
            key in taken for key in keys
        ):
            kept.append(b)
    return ("App", kept)


class HelpScreen(StaleResizeGuard, ModalScreen[None]):
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
