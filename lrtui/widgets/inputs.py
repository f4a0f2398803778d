"""Input fields whose pasted text is one clean line.

Textual's Input keeps only the first line of a paste and keeps control characters: a spec copied from a
script over several lines (`SequentialLR(\\n    [LinearLR(...), ...],\\n    milestones=[5])`) arrived as
`SequentialLR(`, and an escape sequence in the clipboard was echoed to the terminal by the field. Here a
paste's lines are joined with single spaces (indentation dropped) and control characters removed.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from lrtui.runs.text import clean_text

__all__ = ["TextInput", "paste_line"]


def paste_line(text: str) -> str:
    """Pasted text as one line: lines stripped and joined with a space, control characters removed."""
    lines = [clean_text(line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return " ".join(line for line in lines if line)


class TextInput(Input):
    """An Input for lrtui's fields (see the module docstring)."""

    def validate_value(self, value: str) -> str:
        # Every way text gets in (paste, a spec from the command line, a value set from a file) is cleaned.
        return clean_text(value)

    def _on_paste(self, event: events.Paste) -> None:
        # Replaces Input's own paste handler (prevent_default stops Textual calling it after this one).
        event.prevent_default()
        event.stop()
        line = paste_line(event.text)
        if not line:
            return
        if self.selection.is_empty:
            self.insert_text_at_cursor(line)
        else:
            self.replace(line, *self.selection)
