"""The schedule form, generated from the catalogue's `Param` metadata (never from a second list).

One row per parameter: a typed Input (numbers, lists such as "10, 20", per-group values such as
"0.1, 0.01", formulas), a Select for choices, a Switch for booleans, and for nested schedules a spec
input per child with an "edit" button (or ctrl+e) that opens the child's own form in a modal, plus
add/remove buttons for schedule lists. Advanced parameters fold into a Collapsible.

Every change re-parses the field (`values.parse_field`): an invalid field shows the message under
itself and the form posts `FormInvalid`; a valid form posts `SpecEdited` with the assembled spec.
Cross-field errors found later (by `resolve`) come back through `show_error`.
"""

from __future__ import annotations

import re
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Input, Label, Select, Static, Switch

from lrtui.messages import ChildEditRequested, FieldHint, FormInvalid, SpecEdited
from lrtui.schedules.catalogue import Kind, get_kind
from lrtui.schedules.errors import SpecError
from lrtui.schedules.params import Param
from lrtui.schedules.spec import Spec
from lrtui.widgets.form.values import (
    MISSING,
    default_text,
    field_text,
    parse_child,
    parse_field,
    safe_error,
)
from lrtui.widgets.inputs import TextInput
from lrtui.widgets.safe_text import plain_content

_NONE = "__none__"


class ChildInput(TextInput):
    """A nested schedule's spec text; ctrl+e opens its form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+e", "edit_child", "Edit child", id="form.edit_child")
    ]

    def action_edit_child(self) -> None:
        self.post_message(ChildEditRequested(self.id or "", self.value))


class ParamField(Vertical):
    """One parameter: label, editor(s), a hint (shown while focused) and an error line."""

    DEFAULT_CSS = """
    ParamField { height: auto; }
    ParamField > .row { height: auto; }
    ParamField .name { width: 18; padding-right: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ParamField .index { width: 5; }
    ParamField .error { color: $text-error; display: none; padding-left: 2; }
    ParamField.-invalid .error { display: block; }
    ParamField .child-row { height: 1; }
    ParamField .child-row Input { width: 1fr; }
    ParamField Button { min-width: 5; }
    """

    def __init__(self, kind: Kind, param: Param, value: object, n_groups: int) -> None:
        super().__init__(classes="param-field", id=f"field-{param.name}")
        self.kind = kind
        self.param = param
        self.value = value  # the spec value (MISSING when not given)
        self.n_groups = n_groups
        self.error: str | None = None

    # -- building --------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        p = self.param
        label = p.name + ("" if not p.required else " *")
        with Horizontal(classes="row"):
            yield Label(label, classes="name")
            if p.type == "schedule_list":
                yield Button(
                    "+ add",
                    id=f"add-{p.name}",
                    compact=True,
                    classes="add-child",
                    tooltip="Add a child schedule",
                )
            else:
                yield self._editor()
        if p.type == "schedule_list":
            children = self.value if isinstance(self.value, list | tuple) else []
            for i, child in enumerate(children):
                yield self._child_row(i, str(child))
        yield Static("", classes="error", markup=False)

    def hint(self) -> str:
        """Help and allowed values (the form shows it for the focused field)."""
        p = self.param
        text = p.help.strip()
        allowed = p.allowed()
        head = f"{p.name}: {text}" if text else p.name
        return f"{head} Allowed: {allowed}."

    def _editor(self) -> Widget:
        p = self.param
        value = self.value
        eid = f"input-{p.name}"
        if p.type == "bool" and not p.optional:
            current = p.default if value is MISSING else value
            return Switch(value=bool(current), id=eid, tooltip=plain_content(p.help) if p.help else None)
        if p.type == "choice":
            options = [(c, c) for c in p.choices]
            if p.optional:
                options.append(("None", _NONE))
            current = p.default if value is MISSING else value
            current = _NONE if current is None else current
            sel_value = current if _is_option(current, [o[1] for o in options]) else Select.NULL
            select = Select(
                options,
                value=sel_value,
                allow_blank=sel_value is Select.NULL,
                id=eid,
                compact=True,
                tooltip=plain_content(p.help) if p.help else None,
            )
            select.last_value = sel_value  # type: ignore[attr-defined]  (a Select reports it when mounted)
            return select
        text = "" if value is MISSING else field_text(p, value)
        cls = ChildInput if p.type == "schedule" else TextInput
        widget = cls(
            text,
            placeholder=default_text(p),
            id=eid,
            compact=True,
            tooltip=plain_content(p.help) if p.help else None,
        )
        widget.last_text = text  # type: ignore[attr-defined]
        if p.type == "schedule":
            return _with_edit_button(widget, p.name)
        return widget

    def _child_row(self, index: int, text: str) -> Horizontal:
        inp = ChildInput(
            text,
            placeholder="a schedule spec, e.g. StepLR(step_size=10)",
            id=f"child-{self.param.name}-{index}",
            compact=True,
            classes="child-input",
        )
        inp.last_text = text  # type: ignore[attr-defined]
        return Horizontal(
            Label(f"  [{index}]", classes="index", markup=False),
            inp,
            Button(
                "edit",
                id=f"edit-{self.param.name}-{index}",
                compact=True,
                classes="edit-child",
                tooltip="Edit this child's parameters (ctrl+e)",
            ),
            Button(
                "✕",
                id=f"del-{self.param.name}-{index}",
                compact=True,
                classes="del-child",
                tooltip="Remove this child",
            ),
            classes="child-row",
        )

    # -- values ----------------------------------------------------------------------------------------

    def child_inputs(self) -> list[ChildInput]:
        return list(self.query(".child-input").results(ChildInput))

    def read(self) -> object:
        """The spec value this field holds now (MISSING to leave it out); raises SpecError when invalid."""
        p = self.param
        where = f"{self.kind.name}.{p.name}"
        if p.type == "bool" and not p.optional:
            value = self.query_one(Switch).value
            return MISSING if (self.value is MISSING and value == p.default) else value
        if p.type == "choice":
            sel = self.query_one(Select).value
            if sel is Select.NULL:
                if p.required:
                    raise SpecError(f"{where} is required: {p.allowed()}", field=where, allowed=p.allowed())
                return MISSING
            value = None if sel == _NONE else sel
            return MISSING if (self.value is MISSING and value == p.default) else value
        if p.type == "schedule_list":
            children = []
            for i, inp in enumerate(self.child_inputs()):
                if not inp.value.strip():
                    raise SpecError(
                        f"{where}[{i}] is empty: {p.allowed()}",
                        field=f"{where}[{i}]",
                        allowed="a schedule spec",
                    )
                children.append(parse_child(inp.value, f"{where}[{i}]"))
            if not children:
                if p.required:
                    raise SpecError(
                        f"{where} needs at least one schedule (press '+ add')",
                        field=where,
                        allowed=p.allowed(),
                    )
                return MISSING
            return children
        return parse_field(p, self.query_one(f"#input-{p.name}", Input).value, self.kind.name, self.n_groups)

    def set_value(self, value: object) -> None:
        """Show a spec value without posting edits (used when the spec text was edited)."""
        p = self.param
        self.value = value
        if p.type == "bool" and not p.optional:
            sw = self.query_one(Switch)
            with sw.prevent(Switch.Changed):
                sw.value = bool(p.default if value is MISSING else value)
            return
        if p.type == "choice":
            sel = self.query_one(Select)
            current = p.default if value is MISSING else value
            current = _NONE if current is None else current
            with sel.prevent(Select.Changed):
                if _is_option(current, [v for _, v in sel._options]):
                    sel.value = current
                    sel.last_value = current  # type: ignore[attr-defined]
            return
        if p.type == "schedule_list":
            return  # the form rebuilds list fields (their row count changes)
        inp = self.query_one(f"#input-{p.name}", Input)
        text = "" if value is MISSING else field_text(p, value)
        if inp.value != text:
            inp.last_text = text  # type: ignore[attr-defined]
            with inp.prevent(Input.Changed):
                inp.value = text

    def show_error(self, message: str | None) -> None:
        if message == self.error:
            return  # no repaint, no layout
        self.error = message
        self.set_class(message is not None, "-invalid")
        self.query_one(".error", Static).update(message or "")


def _with_edit_button(widget: Input, name: str) -> Horizontal:
    return Horizontal(
        widget,
        Button(
            "edit",
            id=f"edit-{name}",
            compact=True,
            classes="edit-child",
            tooltip="Edit this schedule's parameters (ctrl+e)",
        ),
        classes="child-row",
    )


_INDEX = re.compile(r"\[(\d+)\]$")


def _rows(value: object) -> list[str] | None:
    return [str(x) for x in value] if isinstance(value, list | tuple) else None


def _is_option(value: object, options) -> bool:
    """`value in options` for any value a spec may hold (lists are unhashable, so compare one by one)."""
    return any(type(value) is type(v) and value == v for v in options)


class ScheduleForm(Vertical):
    """The form of one schedule kind. `load(spec)` shows a spec; edits post SpecEdited / FormInvalid."""

    DEFAULT_CSS = """
    ScheduleForm { height: auto; }
    ScheduleForm > #form-title { color: $text-accent; text-style: bold; }
    ScheduleForm > #form-summary { color: $text-muted; max-height: 3; }
    ScheduleForm Collapsible { padding: 0; border: none; }
    """

    def __init__(
        self,
        spec: Spec | None = None,
        n_groups: int = 1,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.spec = spec
        self.kind: Kind | None = get_kind(spec.kind) if spec is not None else None
        self.n_groups = n_groups
        self._rebuilding = False

    def compose(self) -> ComposeResult:
        yield from self._widgets()

    def _widgets(self) -> list[Widget]:
        if self.kind is None or self.spec is None:
            return [Static("Pick a schedule (tab Pick) or type a spec above.", id="form-title")]
        kind = self.kind
        args = self._args_by_param(self.spec)
        out: list[Widget] = [
            Static(f"{kind.name}", id="form-title", markup=False),
            Static(kind.summary, id="form-summary", markup=False),
        ]
        basic = [p for p in kind.params if not p.advanced]
        advanced = [p for p in kind.params if p.advanced]
        out += [ParamField(kind, p, args.get(p.name, MISSING), self.n_groups) for p in basic]
        if advanced:
            fields = [ParamField(kind, p, args.get(p.name, MISSING), self.n_groups) for p in advanced]
            given = any(p.name in args for p in advanced)
            out.append(
                Collapsible(*fields, title=f"Advanced ({len(advanced)})", collapsed=not given, id="advanced")
            )
        return out

    def _args_by_param(self, spec: Spec) -> dict[str, object]:
        return dict(spec.args)

    # -- public API -------------------------------------------------------------------------------------

    async def load(self, spec: Spec) -> None:
        """Show `spec`: update the fields in place when the kind and list lengths match, else rebuild."""
        kind = get_kind(spec.kind)
        if kind is None:
            return
        if kind is self.kind and self.spec is not None and self._same_shape(spec):
            self.spec = Spec(kind.name, dict(spec.args))
            for f in self.fields():
                f.set_value(spec.args.get(f.param.name, MISSING))
                f.show_error(None)
            return
        self.spec = Spec(kind.name, dict(spec.args))
        self.kind = kind
        self._rebuilding = True
        try:
            await self.remove_children()
            await self.mount_all(self._widgets())
        finally:
            self._rebuilding = False

    def _same_shape(self, spec: Spec) -> bool:
        assert self.spec is not None
        for p in self.kind.params if self.kind else ():
            if p.type == "schedule_list" and _rows(self.spec.args.get(p.name)) != _rows(
                spec.args.get(p.name)
            ):
                return False  # list fields rebuild: their row count (or row text) changed
        return True

    def fields(self) -> list[ParamField]:
        # Only the current kind's fields: during a rebuild the old ones may still be mounted.
        return [f for f in self.query(ParamField) if f.kind is self.kind]

    def field(self, name: str) -> ParamField | None:
        for f in self.fields():
            if f.param.name == name:
                return f
        return None

    def read_spec(self) -> Spec:
        """The spec the fields hold now; raises SpecError from the first invalid field."""
        assert self.kind is not None
        args: dict[str, object] = {}
        for f in self.fields():
            value = f.read()
            if value is not MISSING:
                args[f.param.name] = value
        return Spec(self.kind.name, args)

    def show_error(self, field_path: str | None, message: str) -> bool:
        """Show a cross-field error on its field ("StepLR.step_size", "SequentialLR.schedulers[1]...").

        Returns False when the error belongs to no field of this form (the caller shows it elsewhere).
        """
        target = self.field_for_path(field_path)
        if target is None:
            return False
        target.show_error(message)
        return True

    def field_for_path(self, field_path: str | None) -> ParamField | None:
        if not field_path or self.kind is None:
            return None
        parts = field_path.split(".")
        names = {self.kind.name, *self.kind.aliases}
        if self.spec is not None:
            names.add(self.spec.kind)
        if len(parts) < 2 or parts[0] not in names:
            return None
        return self.field(_INDEX.sub("", parts[1]))

    def clear_errors(self) -> None:
        for f in self.fields():
            if f.error is not None:
                f.show_error(None)

    # -- events ---------------------------------------------------------------------------------------

    def on_descendant_focus(self, event) -> None:
        field = next((a for a in event.widget.ancestors_with_self if isinstance(a, ParamField)), None)
        if field is not None:
            self.post_message(FieldHint(field.hint()))

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if getattr(event.input, "last_text", None) == event.value:
            return
        event.input.last_text = event.value  # type: ignore[attr-defined]
        self._field_changed(event.input)

    @on(Switch.Changed)
    @on(Select.Changed)
    def _toggle_changed(self, event: Switch.Changed | Select.Changed) -> None:
        event.stop()
        if isinstance(event, Select.Changed):
            if getattr(event.control, "last_value", None) == event.value:
                return  # the value it was built or loaded with (a Select reports it when mounted): no edit
            event.control.last_value = event.value  # type: ignore[attr-defined]
        self._field_changed(event.control)

    def _field_changed(self, widget: Widget) -> None:
        # ancestors_with_self: adding/removing a child passes the ParamField itself
        field = next((a for a in widget.ancestors_with_self if isinstance(a, ParamField)), None)
        if field is None or field.kind is not self.kind or self._rebuilding:
            return  # a stale event from a field of the kind shown before
        try:
            value = field.read()
        except Exception as exc:
            field.show_error(safe_error(exc))
            self.post_message(FormInvalid(f"{field.kind.name}.{field.param.name}", safe_error(exc)))
            return
        field.show_error(None)
        field.value = value
        self.emit()

    def emit(self) -> None:
        """Post the assembled spec (or the first field error)."""
        try:
            spec = self.read_spec()
        except Exception as exc:
            self.post_message(FormInvalid(getattr(exc, "field", None) or "spec", safe_error(exc)))
            return
        self.spec = spec
        self.post_message(SpecEdited(spec))

    @on(Button.Pressed, ".edit-child")
    def _edit_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        name_index = bid.removeprefix("edit-")
        inp_id = f"child-{name_index}" if re.search(r"-\d+$", name_index) else f"input-{name_index}"
        inp = self.query_one(f"#{inp_id}", Input)
        self.post_message(ChildEditRequested(inp_id, inp.value))

    @on(Button.Pressed, ".add-child")
    async def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        name = (event.button.id or "").removeprefix("add-")
        field = self.field(name)
        if field is None:
            return
        index = len(field.child_inputs())
        row = field._child_row(index, "ConstantLR(factor=1.0, total_iters=0)")  # a neutral new child
        await field.mount(row, before=field.query_one(".error"))
        self._follow_items(name, lambda items, p: [*items, p.choices[0]], index)
        self._field_changed(field)
        row.query_one(ChildInput).focus()

    @on(Button.Pressed, ".del-child")
    async def _del_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = (event.button.id or "").removeprefix("del-")
        name, _, index = bid.rpartition("-")
        field = self.field(name)
        if field is None or self.spec is None:
            return
        try:
            children = [c.value for c in field.child_inputs()]
            del children[int(index)]
        except (ValueError, IndexError):
            return
        for row in list(field.query(".child-row")):
            await row.remove()
        for i, text in enumerate(children):
            await field.mount(field._child_row(i, text), before=field.query_one(".error"))
        self._follow_items(
            name, lambda items, p: items[: int(index)] + items[int(index) + 1 :], len(children) + 1
        )
        self._field_changed(field)

    def _follow_items(self, list_name: str, change, old_count: int) -> None:
        """Keep a one-per-item list (Compound's every) in step with the schedule list it describes: a
        child added gets the first choice (the default), a child removed takes its item with it."""
        for f in self.fields():
            items = f.value
            if (
                f.param.per_item_of != list_name
                or not isinstance(items, list | tuple)
                or len(items) != old_count
            ):
                continue
            f.set_value(change(list(items), f.param))
            f.show_error(None)

    def set_child_text(self, input_id: str, text: str) -> None:
        """Put an edited child's spec into its input (posts the edit like typing would)."""
        try:
            inp = self.query_one(f"#{input_id}", Input)
        except Exception:
            return
        inp.value = text
