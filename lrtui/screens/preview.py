"""The preview screen: pick a schedule, edit it (form or spec string), see the exact curve, compare, export.

State lives here; widgets only post messages (lrtui/messages.py). The flow of one edit:

    form field / spec input / settings  ->  _revalidate()  (parse + resolve: instant field errors)
        -> _request_curve()  (throttled: the first edit evaluates at once, edits within EDIT_THROTTLE_S
           of the last evaluation coalesce into one trailing evaluation)
        -> evaluate + lint (in the UI thread up to SYNC_EVAL_STEPS, else in a thread worker; newest wins)
        -> _apply_curve(): plot, readout, lints, export

A rejected edit never replaces the last valid curve: the field shows the message and the plot stays.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.lazy import Lazy
from textual.screen import Screen
from textual.timer import Timer
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
from lrtui.plotting.decimate import minmax_indices
from lrtui.plotting.figure import Figure, Marker, NonFinite, Series, find_nonfinite
from lrtui.schedules.catalogue import get_kind, resolve
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
from lrtui.widgets.export.export_panel import ExportPanel
from lrtui.widgets.form.child_editor import ChildEditor, child_label
from lrtui.widgets.form.schedule_form import ChildInput, ScheduleForm, safe_error
from lrtui.widgets.form.settings_form import SettingsForm
from lrtui.widgets.form.spec_input import SpecInput
from lrtui.widgets.lint.lint_panel import LintPanel, lint_counts, run_lints
from lrtui.widgets.picker.schedule_picker import SchedulePicker
from lrtui.widgets.plot.curve_plot import CurvePlot
from lrtui.widgets.readout.readout import CursorInfo, CursorReadout, LegendEntry, PinLegend, series_color

MAX_PINS = 6
EDIT_THROTTLE_S = 0.08
SYNC_EVAL_STEPS = 2_000_000  # evaluation is fast numpy: in the UI thread up to here, else a worker
MAX_MARKERS = 60
MAX_LABELLED_MARKERS = 12
ZOOMS = ("full", "warmup", "first")
DRAW_POINTS = 4096  # points per series handed to the plot (min/max decimated once per curve)


@dataclass
class Pin:
    label: str
    plan: Plan
    curve: Curve


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


def marker_kind(kind: str) -> str:
    return kind if kind in ("warmup_end", "milestone", "restart", "end") else "milestone"


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


class PreviewScreen(Screen):
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
        Binding("f", "toggle_sidebar", "Full-width plot", id="preview.sidebar", show=False),
        # priority: the app runs it before handing on the keys typed after it (see action_focus_spec)
        Binding("ctrl+l", "focus_spec", "Edit spec text", id="preview.focus_spec", show=False, priority=True),
        Binding("escape", "focus_plot", "Focus plot", id="preview.focus_plot", show=False),
    ]

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
        self.curve: Curve | None = None
        self.lints: list = []
        self.error: str | None = error
        self.pins: list[Pin] = []
        self.pin_label: str | None = None  # title of the loaded preset, used when pinning
        self.x_unit = "steps"
        self.show_momentum = False
        self.zoom = "full"
        self.generation = 0
        self.drawn_generation = 0
        self.last_eval_at = 0.0
        self._eval_timer: Timer | None = None
        self._pending_plan: Plan | None = None
        self.eval_ms = 0.0
        self.hidden_markers = 0
        self.overflow: NonFinite | None = None  # where the lr first is inf/NaN (x in steps)
        self.last_cursor_step: int | None = None
        self._error_shown = False
        self._status = ""
        self._spec_text = text  # what the spec field showed last (edits are changes to it)
        # A run config the launch form starts from (set by an LR range test's hand-off; None: form defaults)
        self.launch_from: dict | None = None

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
                    yield Lazy(
                        FormScroll(
                            SettingsForm(self.settings, id="settings"),
                            ScheduleForm(self.spec, len(self.settings.base_lrs), id="form"),
                            id="form-scroll",
                        )
                    )
                    yield Static(
                        "tab moves between fields · esc leaves them · ? help", id="form-hint", markup=False
                    )
                # Hidden tabs mount after the first frame (startup budget); code below tolerates their absence.
                with TabPane("Pick", id="tab-pick"):
                    yield Lazy(SchedulePicker(id="picker"))
                with TabPane("Lint", id="tab-lint"):
                    yield Lazy(LintPanel(id="lint"))
                with TabPane("Export", id="tab-export"):
                    yield Lazy(ExportPanel(id="export"))
            with Vertical(id="main"):
                yield CurvePlot(id="plot", monochrome=self.app.no_color)
                yield CurvePlot(id="momentum-plot", monochrome=self.app.no_color)
                yield Static("", id="plot-status", markup=False)
                yield CursorReadout(id="readout")
                yield PinLegend(id="legend")
            with Vertical(id="aside"):
                yield Static("Lints", classes="aside-title")
                yield Lazy(LintPanel(id="lint-aside"))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#spec", Input).cursor_position = 0  # show the kind name, not the tail
        self.query_one("#momentum-plot").display = False
        self.call_after_refresh(self._fill_new_panels)
        if self.initial_error:
            self._show_spec_error(self.initial_error)
        if self.plan is not None:
            self._evaluate_now(self.plan)
        self.query_one("#plot", CurvePlot).focus()
        self.call_after_refresh(self._redraw)

    def on_resize(self) -> None:
        self.call_after_refresh(self._redraw)
        self.call_after_refresh(self._show_lints)  # the aside appears on wide terminals

    # -- help and commands ---------------------------------------------------------------------------------

    def help_sections(self) -> list[tuple[str, list]]:
        from lrtui.screens.help import app_section
        from lrtui.widgets.picker.schedule_picker import PickerList

        sections = [
            ("Preview", self.BINDINGS),
            ("Plot", CurvePlot.BINDINGS),
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
        self.pin_label = label
        self.settings = settings_of(plan)
        self.spec = plan.spec
        self._set_spec_text(str(plan.spec))
        await self.sync_forms()
        self._revalidate(now=True)

    def _forms(self) -> tuple[ScheduleForm | None, SettingsForm | None]:
        """The two forms, or None while they have not been mounted yet (they mount after the first frame)."""
        return next(iter(self.query(ScheduleForm)), None), next(iter(self.query(SettingsForm)), None)

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
        self.pins = pins[:MAX_PINS]
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
        self.pin_label = None
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
        self.pin_label = None
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
        self.pin_label = None
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
        self.error = message
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
        self.generation += 1
        self.drawn_generation = self.generation

    def _evaluate_pending(self) -> None:
        self._eval_timer = None
        if self._pending_plan is not None:
            self._evaluate_now(self._pending_plan)

    def _evaluate_now(self, plan: Plan) -> None:
        self._pending_plan = None
        self.last_eval_at = time.monotonic()
        self.generation += 1
        if plan.total_steps <= SYNC_EVAL_STEPS:
            self._apply(CurveReady(self.generation, *compute_curve(plan)))
        else:
            self._evaluate_in_worker(self.generation, plan)

    @work(thread=True, exclusive=True, group="curve", exit_on_error=False)
    def _evaluate_in_worker(self, generation: int, plan: Plan) -> None:
        self.post_message(CurveReady(generation, *compute_curve(plan)))

    @on(CurveReady)
    def _curve_ready(self, event: CurveReady) -> None:
        event.stop()
        self._apply(event)

    def _apply(self, event: CurveReady) -> None:
        if event.generation < self.drawn_generation:
            return  # an older evaluation finished after a newer one: drop it
        self.drawn_generation = event.generation
        if event.curve is None:
            self._show_spec_error(event.error, from_curve=True)
            return
        self.curve = event.curve
        self.plan = event.curve.plan
        self.overflow = curve_overflow(event.curve)
        self.lints = event.lints
        self._show_spec_error(None)  # the banner follows the error (a drawn curve means none)
        self._show_lints()
        label = f"Lint ({len(self.lints)})" if self.lints else "Lint"
        tab = self.query_one(TabbedContent).get_tab(self.query_one("#tab-lint", TabPane))
        if str(tab.label) != label:
            tab.label = label
        self._refresh_export()
        self._redraw()

    def _refresh_export(self, force: bool = False) -> None:
        # The export text (a TextArea) is only rebuilt while its tab is shown, or on demand.
        tabs = self.query_one(TabbedContent)
        for export in self.query(ExportPanel):
            if force or (tabs.active == "tab-export" and self.query_one("#sidebar").display):
                export.set_plan(self.plan, self.curve)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.call_after_refresh(self._fill_new_panels)

    def _fill_new_panels(self) -> None:
        self._show_lints()
        self._refresh_export()

    def _show_lints(self) -> None:
        """Update the lint panels that are on screen; hidden ones catch up when shown (saves layout passes)."""
        for panel in self.query(LintPanel):
            if all(node.display for node in panel.ancestors_with_self if node is not self):
                panel.show(self.lints, error=self.error)

    # -- drawing ------------------------------------------------------------------------------------------

    def _scale(self, curve: Curve) -> float:
        """Plot x per optimizer step (1, or 1/steps_per_epoch when x is in epochs)."""
        return 1.0 if self.x_unit == "steps" else 1.0 / curve.plan.steps_per_epoch

    def _thin(self, curve: Curve, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) to hand to the plot: the zoom window, min/max-decimated to DRAW_POINTS at most.

        The plot decimates again to its column count at every render (cursor moves included); doing the
        heavy 1M -> 4k pass once per curve keeps renders cheap. x values are real step numbers, so the
        cursor maps back to the exact engine value (`cursor_info`).
        """
        scale = self._scale(curve)
        lo, hi = 0, curve.n
        window = self._x_range()
        if window is not None:
            lo = max(0, math.floor(window[0] / scale) - 1)
            hi = min(curve.n, math.ceil(window[1] / scale) + 2)
        part = y[lo:hi]
        idx = minmax_indices(part, DRAW_POINTS // 2) if part.size > DRAW_POINTS else np.arange(part.size)
        return (idx + lo) * scale, part[idx]

    def _series(self, build: bool = True) -> tuple[list[Series], list[LegendEntry], list[tuple[Curve, int]]]:
        """Series to draw (current groups first, then pins), their legend entries and (curve, group)."""
        series: list[Series] = []
        legend: list[LegendEntry] = []
        sources: list[tuple[Curve, int]] = []
        curve = self.curve
        if curve is None:
            return series, legend, sources
        current_pin = next((i for i, p in enumerate(self.pins) if p.plan == curve.plan), None)
        name = self.pin_label or str(curve.plan.spec)
        groups = curve.lr.shape[0]
        for g in range(groups):
            if build:
                series.append(Series(*self._thin(curve, curve.lr[g]), color=series_color(len(sources))))
            suffix = f" lr[{g}]" if groups > 1 else ""
            pin_note = f"= pin {current_pin + 1} · " if current_pin is not None else ""
            legend.append(LegendEntry(f"current{suffix}", f"{pin_note}{name}", current=True))
            sources.append((curve, g))
        for i, pin in enumerate(self.pins):
            if i == current_pin:
                continue
            if build:
                series.append(
                    Series(*self._thin(pin.curve, pin.curve.lr[0]), color=series_color(len(sources)))
                )
            legend.append(LegendEntry(f"pin {i + 1}", pin.label))
            sources.append((pin.curve, 0))
        return series, legend, sources

    def _markers(self) -> list[Marker]:
        """Warmup end, milestones, restarts and the nominal end, in the plot's x unit.

        Too many lines hide the curve: past one line per ~6 columns, milestones and restarts are left
        out (the status line says how many) and labels go once there are more than a dozen.
        """
        curve = self.curve
        self.hidden_markers = 0
        if curve is None:
            return []
        scale = 1.0 if self.x_unit == "steps" else 1.0 / curve.plan.steps_per_epoch
        lo, hi = self._x_range() or (0.0, curve.n * scale)
        found = [m for m in curve.markers if lo <= m.step * scale <= hi]
        room = max(3, (self.query_one("#plot", CurvePlot).size.width - 10) // 6)
        if len(found) > room:
            dense = [m for m in found if m.kind in ("milestone", "restart")]
            self.hidden_markers = len(dense)
            found = [m for m in found if m.kind not in ("milestone", "restart")]
        found = found[:MAX_MARKERS]
        label = len(found) <= MAX_LABELLED_MARKERS
        out = [Marker(m.step * scale, m.label if label else "", marker_kind(m.kind)) for m in found]
        if self.overflow is not None and lo <= self.overflow.x * scale <= hi:
            out.append(Marker(self.overflow.x * scale, self.overflow.marker_label, "overflow"))
        return out

    def _x_range(self) -> tuple[float, float] | None:
        curve = self.curve
        if curve is None:
            return None
        scale = 1.0 if self.x_unit == "steps" else 1.0 / curve.plan.steps_per_epoch
        if self.zoom == "full":
            # An lr that overflows is not drawn past that step: the axis still spans every step.
            return None if self.overflow is None else (0.0, (curve.n - 1) * scale)
        if self.zoom == "warmup":
            end = warmup_end(curve)
            if end is None:
                return None
            return (0.0, min(curve.n - 1, max(end * 1.25, end + 2)) * scale)
        n = max(10, curve.n // 20)
        return (0.0, min(curve.n - 1, n) * scale)

    def _redraw(self) -> None:
        plot = self.query_one("#plot", CurvePlot)
        series, _, _ = self._series()
        if not series:
            return
        xlabel = "step" if self.x_unit == "steps" else "epoch"
        figure = Figure(
            series=series,
            markers=self._markers(),
            xlabel=xlabel,
            ylabel="lr",
            log_y=plot.figure.log_y,
            x_range=self._x_range(),
        )
        cursor_step = self.last_cursor_step  # read in the old figure's units, before it is replaced
        plot.set_figure(figure)
        if cursor_step is not None:  # keep the cursor on the same step (point indices change with the data)
            plot.move_cursor_to_x(cursor_step * self._scale(self.curve))
        self._redraw_momentum()
        self.call_after_refresh(self._update_status)
        self._update_readout()

    def _redraw_momentum(self) -> None:
        mplot = self.query_one("#momentum-plot", CurvePlot)
        curve = self.curve
        show = self.show_momentum and curve is not None and curve.momentum is not None
        mplot.display = show
        if not show:
            return
        series = [Series(*self._thin(curve, curve.momentum[g])) for g in range(curve.momentum.shape[0])]
        mplot.set_figure(
            Figure(series=series, xlabel="", ylabel=curve.momentum_name, x_range=self._x_range())
        )
        step = self.cursor_step()
        if step is not None:
            mplot.move_cursor_to_x(step * self._scale(curve))

    def status_text(self) -> str:
        curve = self.curve
        if curve is None:
            return "no valid schedule yet"
        plot = self.query_one("#plot", CurvePlot)
        info = plot.render_info
        # An overflow comes first: it explains a curve that stops, and a narrow terminal cuts the line's end.
        parts = [self.overflow.note("lr")] if self.overflow is not None else []
        n = curve.n
        shown = n if self.zoom == "full" else self._zoom_steps()
        if info is not None and info.canvas_width and shown > 2 * info.canvas_width:
            parts.append(f"{shown:,} steps → {info.canvas_width} columns (min/max)")
        else:
            parts.append(f"{n:,} steps")
        plan = curve.plan
        if plan.steps_per_epoch > 1 or plan.stepping != "step":
            parts.append(f"{plan.epochs:.6g} epochs × {plan.steps_per_epoch:,}")
        parts.append(f"stepped per {plan.stepping}" if plan.stepping != "fractional" else "fractional epochs")
        parts.append(f"x: {self.x_unit}")
        if plot.figure.log_y:
            parts.append("log y")
            if info is not None and info.dropped_nonpositive:
                parts.append(f"{info.dropped_nonpositive:,} values ≤ 0 not shown")
        if self.zoom != "full":
            parts.append(f"zoom: {self.zoom_label()}")
        if self.hidden_markers:
            parts.append(f"{self.hidden_markers} milestones too dense to draw (z zooms)")
        if self.pins:
            parts.append(f"{len(self.pins)} pinned")
        if self.lints:
            parts.append(lint_counts(self.lints))
        if self.error:
            parts.append("showing the last valid curve")
        return " · ".join(parts)

    def zoom_label(self) -> str:
        curve = self.curve
        if self.zoom == "warmup":
            return "warmup"
        if curve is None:
            return self.zoom
        return f"first {max(10, curve.n // 20):,} steps"

    def _update_status(self) -> None:
        text = self.status_text()
        if text != self._status:
            self._status = text
            self.query_one("#plot-status", Static).update(text, layout=False)

    def _zoom_steps(self) -> int:
        window = self._x_range()
        if window is None or self.curve is None:
            return self.curve.n if self.curve is not None else 0
        return int((window[1] - window[0]) / self._scale(self.curve)) + 1

    @on(CurvePlot.CursorMoved, "#plot")
    def _cursor_moved(self, event: CurvePlot.CursorMoved) -> None:
        event.stop()
        self._update_readout()
        mplot = self.query_one("#momentum-plot", CurvePlot)
        if mplot.display:
            mplot.move_cursor_to_x(event.x)

    @on(CurvePlot.CursorMoved, "#momentum-plot")
    def _momentum_cursor_moved(self, event: CurvePlot.CursorMoved) -> None:
        event.stop()
        self.query_one("#plot", CurvePlot).move_cursor_to_x(event.x)

    def cursor_step(self) -> int | None:
        """The optimizer step under the cursor (the plot's points carry real step numbers as x)."""
        plot = self.query_one("#plot", CurvePlot)
        curve = self.curve
        if curve is None or plot.cursor_index is None or not plot.figure.series:
            return None
        x = plot.figure.series[0].x
        if not 0 <= plot.cursor_index < x.size:
            return None
        return min(max(round(float(x[plot.cursor_index]) / self._scale(curve)), 0), curve.n - 1)

    def cursor_info(self) -> CursorInfo | None:
        curve = self.curve
        step = self.cursor_step()
        if curve is None or step is None:
            return None
        mom = None if curve.momentum is None else tuple(float(v) for v in curve.momentum[:, step])
        return CursorInfo(
            step=step,
            total=curve.n,
            epoch=step / curve.plan.steps_per_epoch,
            lrs=tuple(float(v) for v in curve.lr[:, step]),
            momentum=mom,
            momentum_name=curve.momentum_name,
        )

    def _update_readout(self) -> None:
        info = self.cursor_info()
        self.last_cursor_step = None if info is None else info.step
        self.query_one(CursorReadout).show(info)
        _, legend, sources = self._series(build=False)
        if info is not None and len(legend) > 1:
            # Each legend line also reads its curve at the cursor's step (pins at the same epoch when x is epochs).
            epoch = info.epoch
            for i, (curve, g) in enumerate(sources):
                if self.x_unit == "steps":
                    idx = info.step
                else:
                    idx = round(epoch * curve.plan.steps_per_epoch)
                idx = min(max(idx, 0), curve.n - 1)
                legend[i] = replace(legend[i], value=float(curve.lr[g, idx]))
        self.query_one(PinLegend).show(legend, self.app.no_color)

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
        self.query_one("#plot", CurvePlot).focus()

    def action_focus_spec(self) -> None:
        spec = self.query_one("#spec", Input)
        # Typing replaces the whole spec, also when the field already had the focus (focusing it again
        # selects nothing, so the text used to be appended to). Keys typed right after ctrl+l (a fast
        # typist, a paste of keys, tmux send-keys) are often already queued: the binding is a priority one
        # and the focus moves now (Screen.set_focus; Widget.focus() defers it), so they reach the spec.
        self.set_focus(spec)
        spec.select_all()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#sidebar")
        sidebar.display = not sidebar.display
        self.call_after_refresh(self._update_status)

    def action_pin(self) -> None:
        if self.curve is None:
            self.notify("nothing to pin: the schedule is not valid yet", severity="error")
            return
        if any(p.plan == self.curve.plan for p in self.pins):
            self.notify("this schedule is already pinned")
            return
        if len(self.pins) >= MAX_PINS:
            self.notify(f"at most {MAX_PINS} pins: unpin one (u) or clear them (U)", severity="warning")
            return
        label = self.pin_label or str(self.curve.plan.spec)
        self.pins.append(Pin(label, self.curve.plan, self.curve))
        self._redraw()

    def action_unpin(self) -> None:
        if not self.pins:
            self.notify("nothing is pinned (p pins the current schedule)")
            return
        self.pins.pop()
        self._redraw()

    def action_clear_pins(self) -> None:
        self.pins.clear()
        self._redraw()

    def action_toggle_log(self) -> None:
        self.query_one("#plot", CurvePlot).toggle_log()
        self.call_after_refresh(self._update_status)

    def action_toggle_x(self) -> None:
        self.x_unit = "epochs" if self.x_unit == "steps" else "steps"
        self._redraw()

    def action_toggle_momentum(self) -> None:
        if self.curve is not None and self.curve.momentum is None and not self.show_momentum:
            self.notify(f"{self.curve.plan.spec.kind} does not drive momentum", severity="warning")
            return
        self.show_momentum = not self.show_momentum
        self._redraw()

    def action_zoom(self) -> None:
        order = list(ZOOMS)
        nxt = order[(order.index(self.zoom) + 1) % len(order)]
        if nxt == "warmup" and (self.curve is None or warmup_end(self.curve) is None):
            nxt = "first"
        self.zoom = nxt
        self._redraw()

    def _export_panel(self) -> ExportPanel | None:
        panel = next(iter(self.query(ExportPanel)), None)
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

    # -- tests and benchmarks ---------------------------------------------------------------------------

    async def settle(self) -> None:
        """Run any pending evaluation now and wait for workers (tests/benchmarks call this)."""
        if self._eval_timer is not None:
            self._eval_timer.stop()
            self._eval_timer = None
            self._evaluate_pending()
        await self.app.workers.wait_for_complete()


def curve_overflow(curve: Curve) -> NonFinite | None:
    """The first step where some group's lr is inf or NaN (None when every value is finite)."""
    found = [f for f in (find_nonfinite(curve.steps, lr) for lr in curve.lr) if f is not None]
    return min(found, key=lambda f: f.x) if found else None


def warmup_end(curve: Curve) -> float | None:
    ends = [m.step for m in curve.markers if m.kind == "warmup_end" and m.step > 0]
    return min(ends) if ends else None


def compute_curve(plan: Plan) -> tuple[Curve | None, list, str | None, str | None]:
    """Evaluate and lint one plan; never raises (a failure becomes the error text)."""
    try:
        curve = evaluate(plan)
    except Exception as exc:
        return None, [], safe_error(exc), getattr(exc, "field", None)
    return curve, run_lints(plan, curve), None, None
