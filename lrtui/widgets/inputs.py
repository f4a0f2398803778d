"""Input fields whose pasted text is one clean line, and whose keys act in the order they were typed.

Textual's Input keeps only the first line of a paste and keeps control characters: a spec copied from a
script over several lines (`SequentialLR(\\n    [LinearLR(...), ...],\\n    milestones=[5])`) arrived as
`SequentialLR(`, and an escape sequence in the clipboard was echoed to the terminal by the field. Here a
paste's lines are joined with single spaces (indentation dropped) and control characters removed.

Textual's Input inserts a printable key where it receives it but lets a bound key (backspace, arrows,
home/end, ctrl+k) bubble up to the app, which runs the binding later: keys that arrive together (over
SSH, a fast typist, tmux send-keys) were applied out of order — `end, backspace x5, 10000` in the steps
field gave "" or "1100" (Textual issue #6605). The field's own bindings run inline here, in key order.
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

    async def _on_key(self, event: events.Key) -> None:
        # Replaces Input's key handler for the field's own bindings (prevent_default: Textual does not call
        # Input's after this one). The binding map is Textual's private `_bindings` (the merged BINDINGS);
        # should it go, keys take Textual's own path again. tests/app/test_issue10_regressions.py posts
        # keys in a burst and checks the text.
        bindings = getattr(getattr(self, "_bindings", None), "key_to_bindings", None)
        if not event.is_printable and isinstance(bindings, dict):
            for key in event.aliases:
                for binding in bindings.get(key, ()):
                    if not binding.priority and await self.app.run_action(binding.action, self):
                        event.stop()
                        event.prevent_default()
                        return

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
