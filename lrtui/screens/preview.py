"""The preview screen: pick a schedule, edit it (form or spec string), see the exact curve, compare, export.

State lives here; widgets only post messages (lrtui/messages.py). The flow of one edit:

    form field / spec input / settings  ->  _revalidate()  (parse + resolve: instant field errors)
        -> _request_curve()  (throttled: the first edit evaluates at once, edits within EDIT_THROTTLE_S
           of the last evaluation coalesce into one trailing evaluation)
        -> evaluate + lint (in the UI thread up to SYNC_EVAL_STEPS, else in a thread worker; newest wins)
        -> _apply_curve(): plot, readout, lints, export

A rejected edit never replaces the last valid curve: the field shows the message and the plot stays.

What is drawn is the view model's (`lrtui.widgets.preview.model`): the screen holds one frozen `View`
(curve, pins, x unit, zoom, cursor step, ...) in the reactive `view`, replaces it on every change, and one
watcher (`watch_view`) redraws the widgets from it. The cursor is an optimizer step: keys move it by exact
steps (or epochs), columns, to a typed step (`g`) or from marker to marker (`[` `]`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Label, Static, TabbedContent, TabPane

from lrtui.commands import ListedCommands
from lrtui.messages import (
    ChildEditRequested,
    ComparisonPicked,
    CurveReady,
    FieldHint,
    FormInvalid,
    KindPicked,
    PlanSettings,
    PresetPicked,
    SettingsEdited,
    SpecEdited,
    SpecPasteRejected,
)
from lrtui.plotting.figure import Figure
from lrtui.schedules.catalogue import Abandon, Abandoned, get_kind, resolve
from lrtui.schedules.errors import SpecError
from lrtui.schedules.evaluate import Curve, evaluate
from lrtui.schedules.plan import Plan, load_plan_file
from lrtui.schedules.presets import (
    DEFAULT_PRESET,
    comparison_presets,
    comparisons,
    get_comparison,
    get_preset,
    presets,
)
from lrtui.schedules.spec import Spec, parse
from lrtui.widgets.deferred import Deferred
from lrtui.widgets.form.spec_input import SpecInput
from lrtui.widgets.form.values import safe_error
from lrtui.widgets.lint.lint_panel import LintPanel, lint_counts, run_lints
from lrtui.widgets.preview import model
from lrtui.widgets.preview.model import CursorInfo, Pin, View
from lrtui.widgets.preview.preview_plot import PreviewPlot
from lrtui.widgets.readout.readout import CursorReadout, PinLegend, series_color
from lrtui.widgets.resize_guard import StaleResizeGuard

if TYPE_CHECKING:  # imported where they are built, after the first frame (lrtui.widgets.deferred)
    from lrtui.widgets.export.export_panel import ExportPanel
    from lrtui.widgets.form.schedule_form import ScheduleForm
    from lrtui.widgets.form.settings_form import SettingsForm

MAX_PINS = 6
EDIT_THROTTLE_S = 0.08
COMPACT_FOOTER_BELOW = 110  # columns
SYNC_EVAL_STEPS = 2_000_000  # evaluation is fast numpy: in the UI thread up to here, else a worker
# From here a first frame may be a draft (torch's values up to rounding, see schedules.catalogue.Draft) when
# the exact replay is slow; the exact curve follows from a worker and replaces it (the readout waits for it).
DRAFT_FROM_STEPS = 250_000
REFINE_AFTER_S = 0.15  # the exact curve is computed once edits pause this long


def plan_from_settings(spec: Spec, s: PlanSettings) -> Plan:
    return Plan(
        spec=spec,
        base_lrs=s.base_lrs,
        total_steps=s.total_steps,
        steps_per_epoch=s.steps_per_epoch,
        stepping=s.stepping,
        optimizer=s.optimizer,
        momentum=s.momentum,
        metric=s.metric,
    )


def settings_of(plan: Plan) -> PlanSettings:
    from lrtui.schedules.horizon import follows_spec

    return PlanSettings(
        base_lrs=tuple(plan.base_lrs),
        total_steps=plan.total_steps,
        steps_per_epoch=plan.steps_per_epoch,
        stepping=plan.stepping,
        optimizer=plan.optimizer,
        momentum=plan.momentum,
        metric=plan.metric,
        metric_source="(from the plan file)" if plan.metric else "",
        horizon_auto=follows_spec(plan),
    )


def load_initial(spec: str | None) -> tuple[Plan | None, str | None, str]:
    """What the command line asked for: (plan, error, text to show in the spec field).

    `spec` is a spec string or a .toml/.json plan file. A bad one opens the app with the error shown.
    """
    if spec is None:
        preset = get_preset(DEFAULT_PRESET)
        try:
            plan = preset.plan() if preset else None
        except SpecError as exc:
            return None, str(exc), preset.spec if preset else ""
        return plan, None, str(plan.spec) if plan else ""
    if Path(spec).suffix.lower() in (".toml", ".json"):
        try:
            plan = load_plan_file(spec)
        except SpecError as exc:
            return None, str(exc), spec
        return plan, None, str(plan.spec)
    try:
        from lrtui.schedules.horizon import follow_spec

        parsed = parse(spec)
        plan = follow_spec(Plan(spec=parsed))  # the horizon the spec states, as `lrtui plot` draws it
        resolve(parsed, plan.context())
    except SpecError as exc:
        return None, str(exc), spec
    except Exception as exc:
        return None, safe_error(exc), spec
    return plan, None, str(parsed)


class PreviewCommands(ListedCommands):
    """Command palette: load any preset or comparison, or pick any schedule kind."""

    DISCOVER_LIMIT = 12

    def _commands(self):
        screen = self.screen
        if not isinstance(screen, PreviewScreen):
            return []
        from lrtui.schedules.catalogue import kinds

        out = []
        for c in comparisons():
            out.append(
                (
                    f"Load comparison: {c.title}",
                    lambda n=c.name: screen.load_comparison(n),
                    f"pin {len(c.members)} schedules ({c.source})",
                )
            )
        for p in presets():
            out.append((f"Load preset: {p.title}", lambda n=p.name: screen.load_preset(n), p.spec))
        for k in kinds():
            out.append((f"Pick schedule: {k.name}", lambda n=k.name: screen.pick_kind(n), k.summary))
        return out


class FormScroll(VerticalScroll):
    """The scrolling settings + schedule form; catches up with the screen when it mounts (lazily)."""

    async def on_mount(self) -> None:
        screen = self.screen
        if isinstance(screen, PreviewScreen):
            await screen.sync_forms()


# The sidebar's panels are built after the first frame (Deferred): their modules load then, not at startup.


def _form_scroll(settings: PlanSettings, spec: Spec | None) -> FormScroll:
    from lrtui.widgets.form.schedule_form import ScheduleForm
    from lrtui.widgets.form.settings_form import SettingsForm

    return FormScroll(
        SettingsForm(settings, id="settings"),
        ScheduleForm(spec, len(settings.base_lrs), id="form"),
        id="form-scroll",
    )


def _picker() -> Widget:
    from lrtui.widgets.picker.schedule_picker import SchedulePicker

    return SchedulePicker(id="picker")


def _export_panel() -> Widget:
    from lrtui.widgets.export.export_panel import ExportPanel

    return ExportPanel(id="export")


class PreviewScreen(StaleResizeGuard, Screen):
    """Pick, edit, see, compare, explain and export a schedule."""

    COMMANDS: ClassVar[set] = {PreviewCommands}
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"),
        (110, "-normal"),
        (160, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help", id="preview.help", key_display="?"),
        Binding("slash", "pick", "Pick", id="preview.pick", key_display="/"),
        Binding("p", "pin", "Pin", id="preview.pin"),
        # show=False for u and e: at 80 columns the footer then still has room for t Train and r Runs.
        Binding(
            "u", "unpin", "Unpin", id="preview.unpin", show=False, tooltip="Remove the last pinned curve"
        ),
        Binding("U", "clear_pins", "Clear pins", id="preview.clear_pins", show=False),
        Binding("l", "toggle_log", "Log y", id="preview.log"),
        Binding(
            "x",
            "toggle_x",
            "Steps/epochs",
            id="preview.x_unit",
            show=False,
            tooltip="x axis in optimizer steps or in epochs",
        ),
        Binding(
            "m",
            "toggle_momentum",
            "Momentum",
            id="preview.momentum",
            show=False,
            tooltip="Show the momentum (or Adam beta1) the schedule drives",
        ),
        Binding("z", "zoom", "Zoom", id="preview.zoom", tooltip="Zoom: warmup, first 5% of steps, all"),
        Binding("s", "show_tab('tab-schedule')", "Schedule form", id="preview.tab_schedule", show=False),
        Binding("i", "show_tab('tab-lint')", "Lints", id="preview.tab_lint", show=False),
        Binding("e", "show_tab('tab-export')", "Export", id="preview.tab_export", show=False),
        Binding(
            "c",
            "copy_export",
            "Copy export",
            id="preview.copy",
            show=False,
            tooltip="Copy the export panel's text to the clipboard (OSC 52)",
        ),
        Binding("ctrl+s", "save_export", "Save export", id="preview.save", show=False, priority=True),
        Binding(
            "f",
            "toggle_sidebar",
            "Full",
            id="preview.sidebar",
            tooltip="Full-width plot (f again: the form)",
        ),
        Binding(
            "g",
            "goto",
            "Go to",
            id="preview.goto",
            show=False,
            tooltip="Move the cursor to a step, an epoch or a %",
        ),
        # priority: the app runs it before handing on the keys typed after it (see action_focus_spec)
        Binding("ctrl+l", "focus_spec", "Edit spec text", id="preview.focus_spec", show=False, priority=True),
        Binding("escape", "focus_plot", "Focus plot", id="preview.focus_plot", show=False),
    ]

    view: var[View] = var(View, init=False)
    """Everything drawn (the view model's state); replaced, never mutated: `watch_view` redraws."""

    def __init__(self, spec: str | None = None, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if spec is None:  # opened as a mode: the app holds what the command line asked for
            spec = getattr(self.app, "initial_spec", None)
        self.initial_arg = spec
        plan, error, text = load_initial(spec)
        self.plan: Plan | None = plan  # the last valid plan (drawn)
        self.initial_error = error
        self.initial_text = text
        self.spec: Spec | None = plan.spec if plan else None
        self.settings = settings_of(plan) if plan else PlanSettings()
        self.set_reactive(PreviewScreen.view, View(error=error))
        self.generation = 0
        self.drawn_generation = 0
        self._refining: int | None = None  # the generation whose draft is drawn and exact curve pending
        self._refine_timer: Timer | None = None
        self._exact: Abandon | None = None  # stops the exact evaluation running in a worker, if any
        self.last_eval_at = 0.0
        self._eval_timer: Timer | None = None
        self._pending_plan: Plan | None = None
        self.eval_ms = 0.0
        self.hidden_markers = 0
        self._drawn: View | None = None  # the view the plot's figure was last built from
        self._stated_for: Curve | None = None  # the curve _stated was computed for
        self._stated = False
        self._error_shown = False
        self._status = ""
        self._spec_text = text  # what the spec field showed last (edits are changes to it)
        # A run config the launch form starts from (set by an LR range test's hand-off; None: form defaults)
        self.launch_from: dict | None = None

    # -- the view's state, read by tests and the app ---------------------------------------------------

    def _show(self, **changes) -> None:
        self.view = replace(self.view, **changes)

    @property
    def curve(self) -> Curve | None:
        return self.view.curve

    @property
    def pins(self) -> list[Pin]:
        return list(self.view.pins)

    @property
    def pin_label(self) -> str | None:
        return self.view.pin_label

    @property
    def x_unit(self) -> str:
        return self.view.x_unit

    @property
    def zoom(self) -> str:
        return self.view.zoom

    @property
    def show_momentum(self) -> bool:
        return self.view.show_momentum

    @property
    def lints(self) -> list:
        return list(self.view.lints)

    @property
    def error(self) -> str | None:
        return self.view.error

    @property
    def busy(self) -> bool:
        """An edit is waiting for its curve (throttled, or evaluating in a worker)."""
        return (
            self._eval_timer is not None
            or self.drawn_generation < self.generation
            or self._refining == self.generation  # a draft is drawn, the exact curve is on its way
        )

    # -- layout -----------------------------------------------------------------------------------------

    def _preset_breakpoint(self) -> None:
        # Give the screen its breakpoint class before its widgets are styled: Textual sets it on the first
        # resize, and changing a screen class then restyles every widget (a third of the startup time).
        width = self.app.size.width
        for edge, name in sorted(self.HORIZONTAL_BREAKPOINTS, reverse=True):
            if width >= edge:
                self.add_class(name, update=False)
                break

    def compose(self) -> ComposeResult:
        self._preset_breakpoint()
        yield Header(show_clock=False, icon="≋")
        with Horizontal(id="spec-bar"):
            yield Label("spec", id="spec-label")
            yield SpecInput(
                self.initial_text,
                id="spec",
                compact=True,
                placeholder="paste a spec: CosineAnnealingLR(T_max=100) or StepLR(optimizer, 30)",
            )
        yield Static("", id="spec-error", markup=False)
        with Horizontal(id="body"):
            with TabbedContent(id="sidebar", initial="tab-schedule"):
                with TabPane("Schedule", id="tab-schedule"):
                    # The form mounts right after the first frame (the plot is what must show first).
                    yield Deferred(lambda: _form_scroll(self.settings, self.spec))
                    yield Static(
                        "tab moves between fields · esc leaves them · ? help", id="form-hint", markup=False
                    )
                # Hidden tabs mount after the first frame (startup budget); code below tolerates their absence.
                with TabPane("Pick", id="tab-pick"):
                    yield Deferred(_picker)
                with TabPane("Lint", id="tab-lint"):
                    yield Deferred(lambda: LintPanel(id="lint"))
                with TabPane("Export", id="tab-export"):
                    yield Deferred(_export_panel)
            with Vertical(id="main"):
                yield PreviewPlot(id="plot", monochrome=self.app.no_color)
                yield PreviewPlot(id="momentum-plot", monochrome=self.app.no_color)
                yield Static("", id="plot-status", markup=False)
                yield CursorReadout(id="readout")
                yield PinLegend(id="legend")
            with Vertical(id="aside"):
                yield Static("Lints", classes="aside-title")
                yield Deferred(lambda: LintPanel(id="lint-aside"))
        yield Footer(compact=self.app.size.width < COMPACT_FOOTER_BELOW)

    def on_mount(self) -> None:
        self.query_one("#spec", Input).cursor_position = 0  # show the kind name, not the tail
        self.query_one("#momentum-plot").display = False
        self.call_after_refresh(self._fill_new_panels)
        if self.initial_error:
            self._show_spec_error(self.initial_error)
        if self.plan is not None:
            self._evaluate_now(self.plan)
        self.query_one("#plot", PreviewPlot).focus()
        self.call_after_refresh(self._redraw)

    def on_resize(self) -> None:
        # Under 110 columns the footer drops its padding: f (full-width plot), t and r still fit at 80.
        self.query_one(Footer).compact = self.size.width < COMPACT_FOOTER_BELOW
        self.call_after_refresh(self._redraw)
        self.call_after_refresh(self._show_lints)  # the aside appears on wide terminals

    # -- help and commands ---------------------------------------------------------------------------------

    def help_sections(self) -> list[tuple[str, list]]:
        from lrtui.screens.help import app_section
        from lrtui.widgets.form.schedule_form import ChildInput
        from lrtui.widgets.picker.schedule_picker import PickerList

        sections = [
            ("Preview", self.BINDINGS),
            ("Plot", PreviewPlot.BINDINGS),
            ("Nested schedules", ChildInput.BINDINGS),
            ("Picker", PickerList.BINDINGS),
        ]
        return [*sections, app_section(self.app, sections)]

    def action_help(self) -> None:
        from lrtui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.help_sections()))

    # -- loading ------------------------------------------------------------------------------------------

    async def load_plan(self, plan: Plan, *, label: str | None = None) -> None:
        """Show `plan`: settings, spec text, form; evaluate at once."""
        self._show(pin_label=label)
        self.settings = settings_of(plan)
        self.spec = plan.spec
        self._set_spec_text(str(plan.spec))
        await self.sync_forms()
        self._revalidate(now=True)

    def _forms(self) -> tuple[ScheduleForm | None, SettingsForm | None]:
        """The two forms, or None while they have not been mounted yet (they mount after the first frame).
        By id: query_one caches what it finds (a query by type walks the whole screen, on every edit)."""
        return self.query_one_optional("#form"), self.query_one_optional("#settings")  # type: ignore[return-value]

    async def sync_forms(self) -> None:
        """Make the forms show the current spec and settings (after a load, or when they mount)."""
        form, settings_form = self._forms()
        if settings_form is not None and settings_form.settings != self.settings:
            settings_form.load(self.settings)
        if form is not None:
            form.n_groups = len(self.settings.base_lrs)
            if self.spec is not None and form.spec != self.spec:
                await form.load(self.spec)

    async def load_preset(self, name: str) -> bool:
        preset = get_preset(name)
        if preset is None:
            self.notify(f"no preset named {name!r}", severity="error")
            return False
        try:
            plan = preset.plan()
        except SpecError as exc:
            self._show_spec_error(f"preset {name}: {exc}")
            return False
        await self.load_plan(plan, label=preset.title)
        if preset.note:
            self.notify(preset.note, title=preset.title, timeout=6)
        return True

    async def load_comparison(self, name: str) -> bool:
        comparison = get_comparison(name)
        if comparison is None:
            self.notify(f"no comparison named {name!r}", severity="error")
            return False
        pins: list[Pin] = []
        problems = []
        for preset in comparison_presets(comparison):
            try:
                plan = preset.plan()
                pins.append(Pin(preset.title, plan, evaluate(plan)))
            except Exception as exc:
                problems.append(f"{preset.name}: {safe_error(exc)}")
        if not pins:
            self._show_spec_error("; ".join(problems) or "empty comparison")
            return False
        self._show(pins=tuple(pins[:MAX_PINS]))
        await self.load_plan(pins[0].plan, label=pins[0].label)
        if problems:
            self.notify("\n".join(problems), title="not pinned", severity="warning")
        self.notify(comparison.title, title=f"pinned {len(self.pins)}", timeout=4)
        return True

    async def pick_kind(self, name: str) -> None:
        kind = get_kind(name)
        if kind is None:
            return
        try:
            spec = parse(kind.example or f"{kind.name}()")
        except SpecError as exc:
            self._show_spec_error(f"{kind.name}.example: {exc}")
            return
        self._show(pin_label=None)
        self.spec = spec
        self._set_spec_text(str(spec))
        await self.sync_forms()
        self._revalidate(now=True)
        self.query_one(TabbedContent).active = "tab-schedule"

    @on(KindPicked)
    async def _kind_picked(self, event: KindPicked) -> None:
        await self.pick_kind(event.kind)

    @on(PresetPicked)
    async def _preset_picked(self, event: PresetPicked) -> None:
        await self.load_preset(event.preset)

    @on(ComparisonPicked)
    async def _comparison_picked(self, event: ComparisonPicked) -> None:
        await self.load_comparison(event.comparison)

    # -- edits --------------------------------------------------------------------------------------------

    @on(Input.Changed, "#spec")
    async def _spec_typed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == self._spec_text:
            return  # not an edit (the Input reports its initial value when mounted)
        self._spec_text = event.value
        try:
            spec = parse(event.value)
            if get_kind(spec.kind) is None:  # parse() checks names; be safe against a partial catalogue
                raise SpecError(f"unknown schedule {spec.kind!r}", field="spec", value=spec.kind)
        except SpecError as exc:
            self._show_spec_error(str(exc))
            return
        except Exception as exc:
            self._show_spec_error(safe_error(exc))
            return
        self._show(pin_label=None)
        self.spec = spec
        try:
            await self.sync_forms()
        except Exception as exc:  # a form bug on odd input: say so, keep the app and the last curve
            self._show_spec_error(safe_error(exc))
            return
        self._revalidate()

    @on(SpecEdited)
    def _form_edited(self, event: SpecEdited) -> None:
        event.stop()
        self._show(pin_label=None)
        self.spec = event.spec
        if not self.query_one("#spec", Input).has_focus:
            # While the spec field has the focus, its text is what the user is typing: a form event
            # arriving then (one that was in flight) must not overwrite it.
            self._set_spec_text(str(event.spec))
        self._revalidate()

    def _set_spec_text(self, text: str) -> None:
        """Show a spec in the spec field without it counting as an edit."""
        self._spec_text = text
        spec_input = self.query_one("#spec", Input)
        if spec_input.value != text:
            with self.prevent(Input.Changed):
                spec_input.value = text
            if not spec_input.has_focus:
                spec_input.cursor_position = 0  # show the kind name, not the tail

    @on(SettingsEdited)
    def _settings_edited(self, event: SettingsEdited) -> None:
        event.stop()
        self.settings = event.settings
        form, _ = self._forms()
        if form is not None:
            form.n_groups = len(event.settings.base_lrs)
        self._revalidate()

    @on(SpecPasteRejected)
    def _paste_rejected(self, event: SpecPasteRejected) -> None:
        event.stop()
        self.call_after_refresh(self._show_spec_error, event.message)  # after the field's own Changed

    @on(FieldHint)
    def _field_hint(self, event: FieldHint) -> None:
        event.stop()
        self.query_one("#form-hint", Static).update(event.text)

    @on(FormInvalid)
    def _form_invalid(self, event: FormInvalid) -> None:
        event.stop()
        self._show_spec_error(event.message, spec_invalid=False)

    @on(ChildEditRequested)
    def _edit_child(self, event: ChildEditRequested) -> None:
        event.stop()
        form, _ = self._forms()

        def done(text: str | None) -> None:
            if text is not None and form is not None:
                form.set_child_text(event.field_id, text)

        from lrtui.widgets.form.child_editor import ChildEditor, child_label

        label = child_label(event.field_id)
        self.app.push_screen(ChildEditor(label, event.spec_text, len(self.settings.base_lrs)), done)

    def _show_spec_error(
        self, message: str | None, *, spec_invalid: bool = True, from_curve: bool = False
    ) -> None:
        """Show (or clear) the current error: spec bar, lint panels; the last valid curve stays drawn.

        `spec_invalid=False` when a form field holds the bad text (the spec text itself is still valid).
        An error from an edit drops the evaluation of the text before it (pending or running): its curve
        would clear the error while the text is still wrong; `from_curve` for an evaluation's own error.
        """
        if message and not from_curve:
            self._drop_pending_curve()
        self.query_one("#spec", Input).set_class(bool(message) and spec_invalid, "-invalid")
        if message == self.error and self._error_shown:
            return
        self._error_shown = True
        self._show(error=message)
        err = self.query_one("#spec-error", Static)
        err.update(f"✖ {message}" if message else "")
        err.set_class(bool(message), "-shown")
        self._show_lints()
        self._update_status()

    def _revalidate(self, *, now: bool = False) -> None:
        """Cross-check spec + settings (instant), then ask for a curve."""
        if self.spec is None:
            return
        form, settings_form = self._forms()
        try:
            plan = plan_from_settings(self.spec, self.settings)
            resolve(plan.spec, plan.context())
            if self.settings.horizon_auto:
                plan = self._follow_spec(plan)
        except Exception as exc:
            message = safe_error(exc)
            field = getattr(exc, "field", None)
            if form is not None:
                form.clear_errors()
                if not form.show_error(field, message) and settings_form is not None:
                    settings_form.show_error(field, message)
            self._show_spec_error(message)
            return
        if form is not None:
            form.clear_errors()
        self._show_spec_error(None)
        self._request_curve(plan, now=now)

    def _follow_spec(self, plan: Plan) -> Plan:
        """The horizon the spec states (total_steps, T_max, ...), shown in the settings form too."""
        from lrtui.schedules.horizon import follow_spec

        followed = follow_spec(plan)
        if followed.total_steps != self.settings.total_steps:
            self.settings = replace(self.settings, total_steps=followed.total_steps)
            _, settings_form = self._forms()
            if settings_form is not None:
                settings_form.show_horizon(self.settings)
        return followed

    # -- evaluation (throttled, newest wins) --------------------------------------------------------------

    def _request_curve(self, plan: Plan, *, now: bool = False) -> None:
        self._pending_plan = plan
        if self._eval_timer is not None:
            self._eval_timer.stop()
            self._eval_timer = None
        wait = EDIT_THROTTLE_S - (time.monotonic() - self.last_eval_at)
        if now or wait <= 0:
            self._evaluate_now(plan)
        else:
            self._eval_timer = self.set_timer(wait, self._evaluate_pending)

    def _drop_pending_curve(self) -> None:
        """Forget the throttled evaluation and any running one: their spec is no longer the text."""
        if self._eval_timer is not None:
            self._eval_timer.stop()
            self._eval_timer = None
        self._pending_plan = None
        self._abandon_exact()
        self.generation += 1
        self.drawn_generation = self.generation

    def _evaluate_pending(self) -> None:
        self._eval_timer = None
        if self._pending_plan is not None:
            self._evaluate_now(self._pending_plan)

    def _evaluate_now(self, plan: Plan) -> None:
        self._pending_plan = None
        if self._refine_timer is not None:
            self._refine_timer.stop()  # the draft being refined is no longer the newest curve
            self._refine_timer = None
        self._abandon_exact()  # nor is the curve a worker is computing: its result would be dropped
        self.last_eval_at = time.monotonic()
        self.generation += 1
        if plan.total_steps <= SYNC_EVAL_STEPS:
            draft = plan.total_steps >= DRAFT_FROM_STEPS
            ready = CurveReady(self.generation, *compute_curve(plan, draft=draft))
            if ready.curve is not None and ready.curve.draft:
                self._refining = self.generation
                # refine once the edits pause: the exact replay is a Python loop, and in a worker it would
                # hold the GIL while the next edits of a burst are drawn
                self._refine_timer = self.set_timer(
                    REFINE_AFTER_S, partial(self._start_exact, self.generation, plan)
                )
            self._apply(ready)
        else:
            self._start_exact(self.generation, plan)

    def _start_exact(self, generation: int, plan: Plan) -> None:
        self._refine_timer = None
        self._abandon_exact()
        self._exact = Abandon()
        self._evaluate_in_worker(generation, plan, self._exact)

    def _abandon_exact(self) -> None:
        # A worker's Python loop (the exact replay) holds the GIL: left running, it would halve the speed of
        # drawing the edit that made its curve stale.
        if self._exact is not None:
            self._exact.request()
            self._exact = None

    @work(thread=True, exclusive=True, group="curve", exit_on_error=False)
    def _evaluate_in_worker(self, generation: int, plan: Plan, abandon: Abandon) -> None:
        try:
            ready = CurveReady(generation, *compute_curve(plan, abandon=abandon))
        except Abandoned:
            return  # a newer edit is being drawn
        self.post_message(ready)

    @on(CurveReady)
    def _curve_ready(self, event: CurveReady) -> None:
        event.stop()
        self._apply(event)

    def _apply(self, event: CurveReady) -> None:
        if event.generation < self.drawn_generation:
            return  # an older evaluation finished after a newer one: drop it
        if event.curve is None or not event.curve.draft:
            if self._refining == event.generation:
                self._refining = None
        elif self._refining != event.generation:
            return  # a draft whose exact curve is already drawn
        self.drawn_generation = event.generation
        if event.curve is None:
            self._show_spec_error(event.error, from_curve=True)
            return
        self.plan = event.curve.plan
        self.view = replace(self.view.with_curve(event.curve), lints=tuple(event.lints))
        self._show_spec_error(None)  # the banner follows the error (a drawn curve means none)
        self._show_lints()
        label = f"Lint {len(self.lints)}" if self.lints else "Lint"  # short: all four tabs fit 30 columns
        tab = self.query_one(TabbedContent).get_tab(self.query_one("#tab-lint", TabPane))
        if str(tab.label) != label:
            tab.label = label
        self._refresh_export()

    def _refresh_export(self, force: bool = False) -> None:
        # The export text (a TextArea) is only rebuilt while its tab is shown, or on demand.
        export = self._export()
        if export is None:
            return
        if force or (
            self.query_one(TabbedContent).active == "tab-export" and self.query_one("#sidebar").display
        ):
            export.set_plan(self.plan, self.curve)

    def _export(self) -> ExportPanel | None:
        return self.query_one_optional("#export")  # type: ignore[return-value]  (mounted after the first frame)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.set_class(event.pane.id == "tab-export", "-export")  # code reads best at full width
        self.call_after_refresh(self._fill_new_panels)

    def _fill_new_panels(self) -> None:
        self._show_lints()
        self._refresh_export()

    def _show_lints(self) -> None:
        """Update the lint panels that are on screen; hidden ones catch up when shown (saves layout passes)."""
        for panel_id in ("#lint", "#lint-aside"):
            panel = self.query_one_optional(panel_id, LintPanel)
            if panel is not None and all(
                node.display for node in panel.ancestors_with_self if node is not self
            ):
                panel.show(self.lints, error=self.error)

    # -- drawing (from the view model) -------------------------------------------------------------------

    def watch_view(self, old: View, new: View) -> None:
        """The one place that redraws: the figure when what it shows changed, then the cursor and texts."""
        if not self.is_mounted:
            return
        figure_inputs = ("curve", "pins", "x_unit", "zoom", "show_momentum", "pin_label")
        if self._drawn is None or any(getattr(old, f) is not getattr(new, f) for f in figure_inputs):
            self._redraw()
        else:
            self._draw_cursor()
            self.call_after_refresh(self._update_status)

    def _redraw(self) -> None:
        view = self.view
        plot = self.query_one("#plot", PreviewPlot)
        if view.curve is None:
            return
        markers, self.hidden_markers = model.markers(view, plot.size.width)
        plot.set_figure(
            Figure(
                series=model.series(view, series_color),
                markers=markers,
                xlabel="step" if view.x_unit == "steps" else "epoch",
                ylabel="lr",
                log_y=plot.figure.log_y,
                x_range=model.x_range(view),
                label_x_end=True,
            )
        )
        self._drawn = view
        self._redraw_momentum()
        self._draw_cursor()
        self.call_after_refresh(self._update_status)

    def _redraw_momentum(self) -> None:
        view = self.view
        mplot = self.query_one("#momentum-plot", PreviewPlot)
        curve = view.curve
        show = view.show_momentum and curve is not None and curve.momentum is not None
        mplot.display = show
        if show:
            figure = Figure(series=model.momentum_series(view), xlabel="", ylabel=curve.momentum_name)
            mplot.set_figure(figure.replace(x_range=model.x_range(view)))

    def _draw_cursor(self) -> None:
        view = self.view
        x = None if view.cursor is None else view.cursor * model.x_scale(view)
        self.query_one("#plot", PreviewPlot).show_cursor(x)
        self.query_one("#momentum-plot", PreviewPlot).show_cursor(x)
        self.query_one(CursorReadout).show(model.cursor_info(view))
        self.query_one(PinLegend).show(model.legend(view), self.app.no_color)

    def status_text(self) -> str:
        plot = self.query_one("#plot", PreviewPlot)
        info = plot.render_info
        curve = self.view.curve
        return model.status_text(
            self.view,
            canvas_width=None if info is None else info.canvas_width,
            log_y=plot.figure.log_y,
            dropped_nonpositive=0 if info is None else info.dropped_nonpositive,
            hidden_markers=self.hidden_markers,
            horizon_from_spec=self._horizon_from_spec(curve),
            lint_summary=lint_counts(self.lints) if self.lints else "",
        )

    def _horizon_from_spec(self, curve: Curve | None) -> bool:
        """The curve spans the length its spec states (not the 1,000-step default of a spec that states
        none, nor a horizon the user typed). Once per curve: the status line is rebuilt on every cursor move."""
        if curve is None or not self.settings.horizon_auto:
            return False
        if self._stated_for is not curve:
            from lrtui.schedules.horizon import stated_steps

            self._stated_for, self._stated = curve, stated_steps(curve.plan) == curve.n
        return self._stated

    def _update_status(self) -> None:
        text = self.status_text()
        if text != self._status:
            self._status = text
            self.query_one("#plot-status", Static).update(text, layout=False)

    def zoom_label(self) -> str:
        return model.zoom_label(self.view)

    # -- the cursor: an optimizer step -------------------------------------------------------------------------

    def cursor_step(self) -> int | None:
        return self.view.cursor

    def cursor_info(self) -> CursorInfo | None:
        return model.cursor_info(self.view)

    def move_cursor(self, step: int | None) -> None:
        if step is not None and step != self.view.cursor:
            self._show(cursor=step)

    @on(PreviewPlot.CursorRequest)
    def _cursor_key(self, event: PreviewPlot.CursorRequest) -> None:
        event.stop()
        view = self.view
        if event.how == "units":
            self.move_cursor(model.move_by_units(view, event.amount))
        elif event.how == "columns":
            per_column = event.plot.steps_per_column() / model.x_scale(view)
            self.move_cursor(model.move_by_columns(view, event.amount, per_column))
        elif event.how in ("home", "end"):
            lo, hi = model.visible_steps(view)
            self.move_cursor(lo if event.how == "home" else hi)
        elif event.how == "marker":
            step = model.jump_to_marker(view, event.amount)
            if step is None:
                where = "after" if event.amount > 0 else "before"
                self.notify(f"no marker {where} the cursor (markers: warmup end, milestones, restarts, end)")
            self.move_cursor(step)

    @on(PreviewPlot.ClickedAt)
    def _clicked(self, event: PreviewPlot.ClickedAt) -> None:
        event.stop()
        curve = self.view.curve
        if curve is not None:
            lo, hi = model.visible_steps(self.view)
            self.move_cursor(min(max(round(event.x / model.x_scale(self.view)), lo), hi))

    def action_goto(self) -> None:
        view = self.view
        curve = view.curve
        if curve is None:
            self.notify("no curve to move on: the schedule is not valid yet", severity="warning")
            return
        from lrtui.widgets.preview.goto import GotoScreen

        def done(step: int | None) -> None:
            if step is not None:
                if not model.visible_steps(self.view)[0] <= step <= model.visible_steps(self.view)[1]:
                    self._show(zoom="full")  # a step outside the zoom window: show it
                self.move_cursor(step)
                self.query_one("#plot", PreviewPlot).focus()

        last = curve.n - 1 if view.x_unit == "steps" else int((curve.n - 1) / curve.plan.steps_per_epoch)
        self.app.push_screen(
            GotoScreen(lambda text: model.parse_goto(text, self.view), view.x_unit, last), done
        )

    # -- actions ------------------------------------------------------------------------------------------

    def action_pick(self) -> None:
        self.query_one("#sidebar").display = True
        self.query_one(TabbedContent).active = "tab-pick"
        self.call_after_refresh(self._focus_picker)

    def _focus_picker(self) -> None:
        for widget in self.query("#picker-filter"):
            widget.focus()

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#sidebar").display = True
        self.query_one(TabbedContent).active = tab

    def action_focus_plot(self) -> None:
        self.query_one("#plot", PreviewPlot).focus()

    def action_focus_spec(self) -> None:
        spec = self.query_one("#spec", Input)
        # Typing replaces the whole spec, also when the field already had the focus (focusing it again
        # selects nothing, so the text used to be appended to). Keys typed right after ctrl+l (a fast
        # typist, a paste of keys, tmux send-keys) are often already queued: the binding is a priority one
        # and the focus moves now (Screen.set_focus; Widget.focus() defers it), so they reach the spec;
        # the select-all goes into the field's own queue (call_later), behind the keys typed before ctrl+l
        # that it has not handled yet and ahead of those after (selected now, it came before the former).
        self.set_focus(spec)
        spec.call_later(spec.select_all)

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#sidebar")
        if self.has_class("-export"):  # the export fills the screen: f shows the plot, full width
            self.remove_class("-export")
            self.query_one(TabbedContent).active = "tab-schedule"
            sidebar.display = False
        else:
            sidebar.display = not sidebar.display
        self.call_after_refresh(self._redraw)

    def action_pin(self) -> None:
        curve = self.view.curve
        if curve is None:
            self.notify("nothing to pin: the schedule is not valid yet", severity="error")
            return
        if any(p.plan == curve.plan for p in self.view.pins):
            self.notify("this schedule is already pinned")
            return
        if len(self.view.pins) >= MAX_PINS:
            self.notify(f"at most {MAX_PINS} pins: unpin one (u) or clear them (U)", severity="warning")
            return
        label = self.view.pin_label or str(curve.plan.spec)
        self._show(pins=(*self.view.pins, Pin(label, curve.plan, curve)))

    def action_unpin(self) -> None:
        if not self.view.pins:
            self.notify("nothing is pinned (p pins the current schedule)")
            return
        self._show(pins=self.view.pins[:-1])

    def action_clear_pins(self) -> None:
        self._show(pins=())

    def action_toggle_log(self) -> None:
        self.query_one("#plot", PreviewPlot).toggle_log()
        self.call_after_refresh(self._update_status)

    def action_toggle_x(self) -> None:
        self._show(x_unit="epochs" if self.view.x_unit == "steps" else "steps")

    def action_toggle_momentum(self) -> None:
        curve = self.view.curve
        if curve is not None and curve.momentum is None and not self.view.show_momentum:
            self.notify(f"{curve.plan.spec.kind} does not drive momentum", severity="warning")
            return
        self._show(show_momentum=not self.view.show_momentum)

    def action_zoom(self) -> None:
        view = replace(self.view, zoom=model.next_zoom(self.view))
        if view.cursor is not None:  # the cursor stays inside the window
            lo, hi = model.visible_steps(view)
            view = replace(view, cursor=min(max(view.cursor, lo), hi))
        self.view = view

    def _export_panel(self) -> ExportPanel | None:
        panel = self._export()
        if panel is not None:
            panel.set_plan(self.plan, self.curve)
        return panel

    def action_copy_export(self) -> None:
        panel = self._export_panel()
        if panel is not None:
            panel.copy()

    def action_save_export(self) -> None:
        self.action_show_tab("tab-export")
        panel = self._export_panel()
        if panel is not None:
            panel.save()


def compute_curve(
    plan: Plan, *, draft: bool = False, abandon: Abandon | None = None
) -> tuple[Curve | None, list, str | None, str | None]:
    """Evaluate and lint one plan; never raises (a failure becomes the error text) but Abandoned."""
    try:
        curve = evaluate(plan, draft=draft, abandon=abandon)
    except Abandoned:
        raise
    except Exception as exc:
        return None, [], safe_error(exc), getattr(exc, "field", None)
    return curve, run_lints(plan, curve), None, None
