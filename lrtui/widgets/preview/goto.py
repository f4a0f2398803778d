"""`g` in the preview: type where the cursor goes — a step, `epoch N`, or a percentage of the curve.

The text is checked by the view model (`model.parse_goto`) while typing: a bad one says what is allowed and
enter keeps the prompt open; escape leaves it. Dismisses with the step (an int) or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from lrtui.widgets.resize_guard import StaleResizeGuard


class GotoScreen(StaleResizeGuard, ModalScreen[int | None]):
    DEFAULT_CSS = """
    GotoScreen { align: center middle; }
    GotoScreen > Vertical {
        width: 50; max-width: 95%; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    GotoScreen #goto-hint { color: $text-muted; }
    GotoScreen #goto-hint.-error { color: $text-error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, parse: Callable[[str], int], unit: str, last: int) -> None:
        super().__init__()
        self.parse = parse
        self.unit = unit
        self.last = last

    def compose(self) -> ComposeResult:
        example = "epoch 3" if self.unit == "steps" else "step 500"
        with Vertical():
            yield Static(f"Go to a {self.unit[:-1]} (0–{self.last:,}), {example} or 50%", markup=False)
            yield Input(id="goto-input", compact=True, placeholder=f"a {self.unit[:-1]}")
            yield Static("enter goes · esc cancels", id="goto-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        hint = self.query_one("#goto-hint", Static)
        try:
            step = self.parse(event.value) if event.value.strip() else None
        except ValueError as exc:
            hint.update(str(exc))
            hint.add_class("-error")
            return
        hint.update(
            "enter goes · esc cancels" if step is None else f"step {step:,} · enter goes · esc cancels"
        )
        hint.remove_class("-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            step = self.parse(event.value)
        except ValueError as exc:
            hint = self.query_one("#goto-hint", Static)
            hint.update(str(exc))
            hint.add_class("-error")
            return
        self.dismiss(step)

    def action_cancel(self) -> None:
        self.dismiss(None)
