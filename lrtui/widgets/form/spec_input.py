"""The spec field. A terminal pastes a block of code as one bracketed paste; a one-line Input would keep only
its first line. Here a paste that parses as a schedule — several lines, `>>>` prompts, `scheduler = ...`,
names defined above the call — becomes its spec, written out in full. Any other paste falls through to
TextInput's: one clean line inserted at the cursor."""

from __future__ import annotations

from textual import events

from lrtui.messages import SpecPasteRejected
from lrtui.widgets.inputs import TextInput


class SpecInput(TextInput):
    def on_paste(self, event: events.Paste) -> None:
        from lrtui.schedules.errors import SpecError
        from lrtui.schedules.spec import parse

        text = event.text
        multiline = "\n" in text.strip()
        try:
            spec = parse(text)
        except SpecError as exc:
            if not multiline:
                return  # TextInput's paste: insert at the cursor (part of a spec being typed)
            event.prevent_default()
            self.value = " ".join(line.strip() for line in text.splitlines() if line.strip())
            self.cursor_position = 0
            self.post_message(SpecPasteRejected(str(exc)))
            return
        if not multiline and not self._replaced_by_a_whole_spec():
            return
        event.prevent_default()  # the spec replaces what was there
        self.value = str(spec)
        self.cursor_position = len(self.value)

    def _replaced_by_a_whole_spec(self) -> bool:
        """A pasted spec replaces the field when it is empty, all selected, or itself a whole valid spec
        (pasting into it could only break it); into a spec being composed, it is inserted."""
        from lrtui.schedules.errors import SpecError
        from lrtui.schedules.spec import parse

        if not self.value.strip() or (self.selection.start, self.selection.end) in (
            (0, len(self.value)),
            (len(self.value), 0),
        ):
            return True
        try:
            parse(self.value)
        except SpecError:
            return False
        return True
