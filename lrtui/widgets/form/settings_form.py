"""Plan settings: base LR per group, horizon (steps, or epochs × steps per epoch), stepping, optimizer.

Each field is validated by the Plan itself (`lrtui.schedules.plan.validate_plan`), so the messages are
the same as for plan files: they name the field, the value and what is allowed.
"""

from __future__ import annotations

import math

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from lrtui.messages import FieldHint, FormInvalid, PlanSettings, SettingsEdited
from lrtui.schedules.errors import SpecError
from lrtui.schedules.params import Param
from lrtui.schedules.plan import MAX_STEPS, OPTIMIZERS, STEPPINGS
from lrtui.widgets.form.values import _literal
from lrtui.widgets.inputs import TextInput

_STEPPING_HELP = {
    "step": "scheduler.step() after every optimizer step",
    "epoch": "scheduler.step() once per epoch",
    "fractional": "scheduler.step(epoch + i / steps_per_epoch) after every optimizer step",
}
_LR = Param("lr", "float", lo=0, per_group=True)


def format_lrs(lrs: tuple[float, ...]) -> str:
    return ", ".join(repr(float(x)) for x in lrs)


def format_epochs(steps: int, spe: int) -> str:
    e = steps / spe
    return str(int(e)) if e.is_integer() else f"{e:.6g}"


class SettingsForm(Vertical):
    """Base LR, steps / epochs / steps per epoch, stepping, optimizer and momentum."""

    DEFAULT_CSS = """
    SettingsForm { height: auto; }
    SettingsForm .row { height: 1; }
    SettingsForm .name { width: 18; padding-right: 1; }
    SettingsForm .error { color: $text-error; display: none; padding-left: 2; }
    SettingsForm .error.-shown { display: block; }
    SettingsForm .setting { height: auto; }
    """

    def __init__(self, settings: PlanSettings, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings = settings
        self.hints: dict[str, str] = {}
        self.shown_error: tuple[str | None, str | None] = (None, None)

    def compose(self) -> ComposeResult:
        s = self.settings
        yield from self._row(
            "lr",
            "base lr",
            TextInput(format_lrs(s.base_lrs), id="set-lr", compact=True),
            "Initial LR of each param group: 0.1, or 0.1, 0.01 for two groups.",
        )
        yield from self._row(
            "steps",
            "steps",
            TextInput(str(s.total_steps), id="set-steps", compact=True, placeholder="auto"),
            f"Optimizer steps to show (1 to {MAX_STEPS:,}); empty: the length the spec states "
            "(total_steps, T_max, ...), which then follows the spec.",
        )
        yield from self._row(
            "epochs",
            "epochs",
            TextInput(format_epochs(s.total_steps, s.steps_per_epoch), id="set-epochs", compact=True),
            "Sets steps = epochs × steps/epoch.",
        )
        yield from self._row(
            "steps_per_epoch",
            "steps/epoch",
            TextInput(str(s.steps_per_epoch), id="set-spe", compact=True),
            "Optimizer steps per epoch (batches per epoch).",
        )
        yield from self._row(
            "stepping",
            "stepping",
            Select(
                [(k, k) for k in STEPPINGS],
                value=s.stepping,
                allow_blank=False,
                id="set-stepping",
                compact=True,
            ),
            "; ".join(f"{k}: {v}" for k, v in _STEPPING_HELP.items()),
        )
        yield from self._row(
            "optimizer",
            "optimizer",
            Select(
                [(k, k) for k in OPTIMIZERS],
                value=s.optimizer,
                allow_blank=False,
                id="set-optimizer",
                compact=True,
            ),
            "Which momentum a cyclic schedule drives (SGD momentum, Adam beta1).",
        )
        mom = "" if s.momentum is None else repr(float(s.momentum))
        yield from self._row(
            "momentum",
            "momentum",
            TextInput(mom, id="set-momentum", compact=True, placeholder="none"),
            "SGD momentum or Adam beta1 before the schedule touches it; empty for none.",
        )
        yield from self._row(
            "metric",
            "metric",
            TextInput(s.metric_source, id="set-metric", compact=True, placeholder="synthetic"),
            "Plateau schedules: the metric per scheduler step, from a run directory (its test_loss; "
            "RUN:test_acc for another key) or a .json/.txt/.csv file; empty for the synthetic curve.",
        )

    def _row(self, key: str, label: str, editor, hint: str):
        self.hints[editor.id] = f"{label}: {hint}"
        yield Vertical(
            Horizontal(Label(label, classes="name"), editor, classes="row"),
            Static("", classes="error", id=f"err-{key}", markup=False),
            classes="setting",
        )

    def on_descendant_focus(self, event) -> None:
        for node in event.widget.ancestors_with_self:
            if node.id in self.hints:
                self.post_message(FieldHint(self.hints[node.id]))
                return

    # -- reading -----------------------------------------------------------------------------------------

    def _text(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    def read(self, *, horizon_set: bool | None = None) -> PlanSettings:
        """Valid settings from the fields; raises SpecError naming the first bad field.

        horizon_set: the user just set steps/epochs (True), emptied them (False: follow the spec again), or
        None (another field: keep following or not)."""
        lrs = self._read_lrs()
        spe = self._read_int("steps_per_epoch", self._text("set-spe"), 1, 10_000_000)
        auto = self.settings.horizon_auto if horizon_set is None else not horizon_set
        if not self._text("set-steps") and auto:
            steps = self.settings.total_steps  # "auto": the screen puts the spec's length here
        else:
            steps = self._read_int("steps", self._text("set-steps"), 1, MAX_STEPS)
        stepping = self.query_one("#set-stepping", Select).value
        optimizer = self.query_one("#set-optimizer", Select).value
        mom_text = self._text("set-momentum")
        momentum = None
        if mom_text and mom_text != "None":
            momentum = self._read_float("momentum", mom_text)
            if not 0 <= momentum < 1:
                raise SpecError.bad_value("momentum", mom_text, "a number in [0, 1)")
        source, metric = self._read_metric()
        return PlanSettings(
            base_lrs=lrs,
            total_steps=steps,
            steps_per_epoch=spe,
            stepping=str(stepping),
            optimizer=str(optimizer),
            momentum=momentum,
            metric_source=source,
            metric=metric,
            horizon_auto=auto,
        )

    def _read_metric(self) -> tuple[str, tuple[float, ...] | None]:
        source = self._text("set-metric")
        if source == self.settings.metric_source:  # unchanged (also a plan file's inline series)
            return source, self.settings.metric
        if not source:
            return "", None
        from lrtui.schedules.metric import load_metric_series

        return source, load_metric_series(source)

    def _read_lrs(self) -> tuple[float, ...]:
        text = self._text("set-lr")
        if not text:
            raise SpecError(
                "lr is required: a number ≥ 0, or one per param group (0.1, 0.01)",
                field="lr",
                allowed="a number ≥ 0",
            )
        body = text if text.startswith("[") else f"[{text}]"
        value = _literal(body, "lr", _LR)
        if not isinstance(value, list) or not value:
            raise SpecError.bad_value("lr", text, _LR.allowed())
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise SpecError.bad_value("lr", text, "finite numbers ≥ 0, one per param group")
            out.append(float(v))
        if len(out) > 64:
            raise SpecError.bad_value("lr", text, "at most 64 param groups")
        return tuple(out)

    def _read_float(self, name: str, text: str) -> float:
        value = _literal(text, name, Param(name, "float"))
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise SpecError.bad_value(name, text, "a finite number")
        return float(value)

    def _read_int(self, name: str, text: str, lo: int, hi: int) -> int:
        allowed = f"an integer in [{lo}, {hi:,}]"
        if not text:
            raise SpecError(f"{name} is required: {allowed}", field=name, allowed=allowed)
        value = _literal(text.replace("_", ""), name, Param(name, "int"))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise SpecError.bad_value(name, text, allowed)
        return value

    # -- showing -------------------------------------------------------------------------------------------

    def load(self, settings: PlanSettings) -> None:
        """Show settings without posting edits."""
        self.settings = settings
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#set-lr", Input).value = format_lrs(settings.base_lrs)
            self.query_one("#set-steps", Input).value = str(settings.total_steps)
            self.query_one("#set-epochs", Input).value = format_epochs(
                settings.total_steps, settings.steps_per_epoch
            )
            self.query_one("#set-spe", Input).value = str(settings.steps_per_epoch)
            self.query_one("#set-stepping", Select).value = settings.stepping
            self.query_one("#set-optimizer", Select).value = settings.optimizer
            mom = "" if settings.momentum is None else repr(float(settings.momentum))
            self.query_one("#set-momentum", Input).value = mom
            self.query_one("#set-metric", Input).value = settings.metric_source
        self._show_errors(None, None)

    def show_horizon(self, settings: PlanSettings) -> None:
        """The horizon the spec states, in steps and epochs — except in a field being typed in (emptied to
        follow the spec again, it keeps showing "auto")."""
        for wid in ("set-steps", "set-epochs"):
            field = self.query_one(f"#{wid}", Input)
            if field.has_focus and field.value.strip():
                # A horizon is being typed: this one was computed for the field's earlier, emptied text
                # (keys that arrive together are handled before the preview answers); the steps typed
                # since then decide, and their epochs are already shown.
                return
        self.settings = settings
        with self.prevent(Input.Changed):
            for wid, text in (
                ("set-steps", str(settings.total_steps)),
                ("set-epochs", format_epochs(settings.total_steps, settings.steps_per_epoch)),
            ):
                field = self.query_one(f"#{wid}", Input)
                if not field.has_focus:
                    field.value = text

    def show_error(self, field: str | None, message: str) -> bool:
        key = {
            "lr": "lr",
            "steps": "steps",
            "epochs": "epochs",
            "steps_per_epoch": "steps_per_epoch",
            "stepping": "stepping",
            "optimizer": "optimizer",
            "momentum": "momentum",
            "metric": "metric",
        }.get((field or "").split("[")[0])
        if key is None:
            return False
        self._show_errors(key, message)
        return True

    def _show_errors(self, key: str | None, message: str | None) -> None:
        if (key, message) == self.shown_error:
            return
        self.shown_error = (key, message)
        for err in self.query(".error").results(Static):
            shown = key is not None and err.id == f"err-{key}"
            err.set_class(shown, "-shown")
            err.update(message if shown and message else "")

    # -- events ---------------------------------------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id == "set-epochs":
            self._epochs_changed(event.value)
            return
        if event.input.id in ("set-steps", "set-spe"):
            self._sync_epochs()
        horizon = None
        if event.input.id == "set-steps" and event.value.strip() != str(self.settings.total_steps):
            horizon = bool(event.value.strip())  # typed: the user's horizon; emptied: the spec's again
        self._emit(horizon_set=horizon)

    @on(Select.Changed)
    def _selected(self, event: Select.Changed) -> None:
        event.stop()
        self._emit()

    def _epochs_changed(self, text: str) -> None:
        if not text.strip():  # emptied: follow the spec's length again
            self._emit(horizon_set=False)
            return
        unchanged = text.strip() == format_epochs(self.settings.total_steps, self.settings.steps_per_epoch)
        try:
            spe = self._read_int("steps_per_epoch", self._text("set-spe"), 1, 10_000_000)
            epochs = self._read_float("epochs", text.strip() or "''")
            steps = round(epochs * spe)
            if not 1 <= steps <= MAX_STEPS:
                raise SpecError.bad_value("epochs", text, f"epochs × steps/epoch in [1, {MAX_STEPS:,}]")
        except SpecError as exc:
            self._show_errors("epochs", str(exc))
            self.post_message(FormInvalid("epochs", str(exc)))
            return
        with self.prevent(Input.Changed):
            self.query_one("#set-steps", Input).value = str(steps)
        self._emit(horizon_set=None if unchanged else True)  # the field's first report is no choice

    def _sync_epochs(self) -> None:
        try:
            spe = self._read_int("steps_per_epoch", self._text("set-spe"), 1, 10_000_000)
            steps = self._read_int("steps", self._text("set-steps"), 1, MAX_STEPS)
        except SpecError:
            return
        with self.prevent(Input.Changed):
            self.query_one("#set-epochs", Input).value = format_epochs(steps, spe)

    def _emit(self, *, horizon_set: bool | None = None) -> None:
        try:
            settings = self.read(horizon_set=horizon_set)
        except SpecError as exc:
            self._show_errors(exc.field, str(exc))
            self.post_message(FormInvalid(exc.field or "settings", str(exc)))
            return
        self._show_errors(None, None)
        self.settings = settings
        self.post_message(SettingsEdited(settings))
