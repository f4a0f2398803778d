"""A modal that edits one nested schedule (a SequentialLR/ChainedScheduler child, a warmup's inner schedule).

It holds the child's own kind selector, spec input and generated form, synced both ways like the main
screen. ctrl+s (or the OK button) returns the child's spec text; escape cancels.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from lrtui.messages import ChildEditRequested, FormInvalid, SpecEdited
from lrtui.schedules.catalogue import Context, get_kind, kinds, resolve
from lrtui.schedules.errors import SpecError
from lrtui.schedules.spec import Spec, parse
from lrtui.widgets.form.schedule_form import ScheduleForm, safe_error
from lrtui.widgets.inputs import TextInput
from lrtui.widgets.resize_guard import StaleResizeGuard


def child_label(field_id: str) -> str:
    """'child-schedulers-1' -> 'schedulers[1]', 'input-after_scheduler' -> 'after_scheduler'."""
    name = field_id.removeprefix("child-").removeprefix("input-")
    base, _, index = name.rpartition("-")
    return f"{base}[{index}]" if field_id.startswith("child-") and index.isdigit() else name


class ChildEditor(StaleResizeGuard, ModalScreen[str | None]):
    """Edit a nested schedule; dismisses with its spec text, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="child.cancel"),
        Binding("ctrl+s", "accept", "OK", id="child.accept", priority=True),
    ]
    DEFAULT_CSS = """
    ChildEditor { align: center middle; }
    ChildEditor > #child-box { width: 90%; max-width: 100; height: 90%; max-height: 40;
        border: round $accent; background: $surface; padding: 0 1; }
    ChildEditor #child-title { text-style: bold; }
    ChildEditor #child-error { color: $text-error; }
    ChildEditor #child-scroll { height: 1fr; }
    ChildEditor #child-buttons { height: 1; align-horizontal: right; }
    ChildEditor #child-buttons Button { margin-left: 2; }
    """

    def __init__(self, field_label: str, spec_text: str, n_groups: int = 1) -> None:
        super().__init__()
        self.field_label = field_label
        self.n_groups = n_groups
        try:
            self.spec: Spec | None = parse(spec_text)
            if get_kind(self.spec.kind) is None:
                self.spec = None
        except SpecError:
            self.spec = None
        self.initial_text = spec_text

    def compose(self) -> ComposeResult:
        options = [(k.name, k.name) for k in kinds()]
        kind = get_kind(self.spec.kind) if self.spec else None
        with Vertical(id="child-box"):
            yield Static(f"Edit {self.field_label}", id="child-title", markup=False)
            yield Select(
                options,
                value=kind.name if kind else Select.NULL,
                prompt="schedule kind",
                id="child-kind",
                compact=True,
            )
            yield TextInput(
                self.initial_text,
                id="child-spec",
                compact=True,
                placeholder="a schedule spec, e.g. StepLR(step_size=10)",
            )
            yield Static("", id="child-error", markup=False)
            with VerticalScroll(id="child-scroll"):
                yield ScheduleForm(self.spec, self.n_groups, id="child-form")
            with Horizontal(id="child-buttons"):
                yield Button("OK (ctrl+s)", id="child-ok", compact=True, variant="primary")
                yield Button("Cancel (esc)", id="child-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#child-spec", Input).focus()

    def _ctx(self) -> Context:
        return Context(base_lrs=(0.1,) * self.n_groups)

    def _validate(self, spec: Spec) -> str | None:
        try:
            resolve(spec, self._ctx())
        except Exception as exc:
            form = self.query_one(ScheduleForm)
            form.show_error(getattr(exc, "field", None), safe_error(exc))
            return safe_error(exc)
        self.query_one(ScheduleForm).clear_errors()
        return None

    def _show(self, message: str | None) -> None:
        self.query_one("#child-error", Static).update(message or "")

    @on(Input.Changed, "#child-spec")
    async def _spec_typed(self, event: Input.Changed) -> None:
        event.stop()
        try:
            spec = parse(event.value)
        except SpecError as exc:
            self._show(str(exc))
            return
        self.spec = spec
        await self.query_one(ScheduleForm).load(spec)
        kind = get_kind(spec.kind)
        sel = self.query_one("#child-kind", Select)
        if kind is not None and sel.value != kind.name:
            with self.prevent(Select.Changed):
                sel.value = kind.name
        self._show(self._validate(spec))

    @on(Select.Changed, "#child-kind")
    async def _kind_chosen(self, event: Select.Changed) -> None:
        event.stop()
        kind = get_kind(str(event.value)) if event.value is not Select.NULL else None
        if kind is None or (self.spec is not None and get_kind(self.spec.kind) is kind):
            return
        text = kind.example or f"{kind.name}()"
        self.query_one("#child-spec", Input).value = text  # -> _spec_typed

    @on(SpecEdited)
    def _form_edited(self, event: SpecEdited) -> None:
        event.stop()
        self.spec = event.spec
        inp = self.query_one("#child-spec", Input)
        with self.prevent(Input.Changed):
            inp.value = str(event.spec)
        self._show(self._validate(event.spec))

    @on(FormInvalid)
    def _form_invalid(self, event: FormInvalid) -> None:
        event.stop()
        self._show(event.message)

    @on(ChildEditRequested)
    def _nested(self, event: ChildEditRequested) -> None:
        # A grandchild: edit it in another modal stacked on this one.
        event.stop()
        form = self.query_one(ScheduleForm)

        def done(text: str | None) -> None:
            if text is not None:
                form.set_child_text(event.field_id, text)

        label = f"{self.field_label} › {child_label(event.field_id)}"
        self.app.push_screen(ChildEditor(label, event.spec_text, self.n_groups), done)

    @on(Button.Pressed, "#child-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_accept()

    @on(Button.Pressed, "#child-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_accept(self) -> None:
        try:
            spec = parse(self.query_one("#child-spec", Input).value)
        except SpecError as exc:
            self._show(str(exc))
            return
        error = self._validate(spec)
        if error is not None:
            self._show(error)
            return
        self.dismiss(str(spec))

    def action_cancel(self) -> None:
        self.dismiss(None)
