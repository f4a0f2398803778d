"""The launch form: the previewed schedule plus model, data, optimizer and run length -> a detached run.

Prefilled from the preview (spec, base LR, stepping); every field is validated as you type and a bad
value shows a message under its field naming the value and what is allowed. Launch (ctrl+s or the
button) writes the run's config.json (schedule block with spec, stepping, steps_per_epoch, total_steps
computed from the dataset size and batch size with drop_last), starts the trainer detached through
lrtui.runs.process.launch (in a thread: never blocks the UI), and replaces this screen with the run's
monitor. ctrl+f starts an LR range test of the same settings instead (kind "lr_find"); its monitor hands the
chosen LR back to the preview as the schedule's peak.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from lrtui.runs.lr_sweep import Sweep
from lrtui.screens.launch_choices import DATASETS, DEFAULTS, MODELS, OPTIMIZERS, STEPPINGS, validate_form
from lrtui.widgets.inputs import TextInput
from lrtui.widgets.resize_guard import StaleResizeGuard
from lrtui.widgets.runs.navigation import app_runs_dir, go_back

# (field id, label, kind, help); kind "select" fields take their options from launch_choices.
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("spec", "schedule", "input", ""),  # the spec from the preview ('' = constant LR): the widest field
    ("stepping", "stepping", "select", "scheduler.step() per optimizer step or per epoch"),
    ("model", "model", "select", ""),
    ("dataset", "dataset", "select", ""),
    ("synthetic_train_size", "train images", "input", "size of the synthetic training set"),
    ("data_dir", "data dir", "input", "existing copy / download target ('' = cache)"),
    ("optimizer", "optimizer", "select", ""),
    ("lr", "base LR", "input", "optimizer lr (the schedule scales it)"),
    ("momentum", "momentum", "input", "SGD only"),
    ("nesterov", "nesterov", "select", "SGD only"),
    ("weight_decay", "weight decay", "input", ""),
    ("betas", "betas", "input", "Adam/AdamW only"),
    ("epochs", "epochs", "input", ""),
    ("batch_size", "batch size", "input", ""),
    ("seed", "seed", "input", ""),
    ("device", "device", "input", "auto, cpu, cuda, cuda:N"),
    ("name", "name", "input", "optional label for the runs list"),
)
SELECT_OPTIONS: dict[str, list[tuple[str, str]]] = {
    "stepping": [(s, s) for s in STEPPINGS],
    "model": [(f"{m.name} — {m.label}", m.name) for m in MODELS.values()],
    "dataset": [(f"{d.name} — {d.label}", d.name) for d in DATASETS.values()],
    "optimizer": [(o, o) for o in OPTIMIZERS],
    "nesterov": [("no", "no"), ("yes", "yes")],
}
SGD_ONLY = ("momentum", "nesterov")
ADAM_ONLY = ("betas",)


def _fmt_float(value: float) -> str:
    return f"{value:.10g}"


class LaunchScreen(StaleResizeGuard, Screen):
    """Launch a training run of the previewed schedule."""

    DEFAULT_CSS = """
    LaunchScreen { layout: vertical; }
    LaunchScreen > #launch-title { height: 1; background: $boost; text-style: bold; }
    LaunchScreen > #launch-form { height: auto; max-height: 75vh; max-width: 130; padding: 0 1; }
    LaunchScreen .field-row { height: 1; }
    LaunchScreen .field-label { width: 14; color: $text-muted; }
    LaunchScreen .field-row Input, LaunchScreen .field-row Select { width: 1fr; }
    LaunchScreen .field-help { width: 36; color: $text-disabled; padding-left: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    LaunchScreen .field-error { height: auto; color: $error; padding-left: 14; display: none; }
    LaunchScreen .field-error.shown { display: block; }
    LaunchScreen .field-row.hidden { display: none; }
    LaunchScreen > #launch-derived { height: auto; max-width: 130; padding: 1 1 0 1; color: $accent; }
    LaunchScreen > #launch-actions { height: 1; padding: 0 1; }
    LaunchScreen #launch-actions Button { margin-right: 2; }
    LaunchScreen > #launch-status { height: auto; padding: 0 1; }
    """

    HELP_TITLE = "Launch form"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="launch.cancel"),
        Binding("ctrl+s", "launch", "Launch", priority=True, id="launch.launch"),
        Binding(
            "ctrl+f",
            "launch('lr_find')",
            "Find LR first",
            priority=True,
            id="launch.find_lr",
            tooltip="An LR range test with these settings; its monitor hands the LR back to the preview",
        ),
    ]

    class Launched(Message):
        def __init__(
            self, run_dir: Path | None, error: str | None = None, errors: dict[str, str] | None = None
        ) -> None:
            super().__init__()
            self.run_dir = run_dir
            self.error = error
            self.errors = errors or {}  # {field: message}: the trainer's checks refused the config

    def __init__(
        self,
        plan_spec: Any = "",
        base_lrs: Sequence[float] | None = None,
        steps_per_epoch: int | None = None,
        stepping: str = "step",
        runs_dir: str | Path | None = None,
        *,
        defaults: dict[str, Any] | None = None,
        python: str = sys.executable,
        monitor_options: dict | None = None,
        extra_config: dict | None = None,
    ) -> None:
        super().__init__()
        self._given_runs_dir = runs_dir
        self.runs_dir = Path(runs_dir).expanduser() if runs_dir is not None else Path()  # set on mount
        self.preview_steps_per_epoch = steps_per_epoch
        self.preview_stepping = stepping
        self.python = python
        self.monitor_options = monitor_options or {}
        # trainer keys the form does not show (e.g. num_threads, log_every_steps), passed through as given
        self.extra_config = dict(extra_config or {})
        values = dict(DEFAULTS)
        values["spec"] = "" if plan_spec is None else str(plan_spec)
        if base_lrs:
            values["lr"] = _fmt_float(float(base_lrs[0]))
        values["stepping"] = stepping if stepping in STEPPINGS else "step"
        for key, value in (defaults or {}).items():
            values[key] = str(value)
        self.initial = values
        self.base_lrs = tuple(float(x) for x in base_lrs) if base_lrs else ()
        self.errors: dict[str, str] = {}
        self.derived: dict[str, Any] = {}
        self.launched_run: Path | None = None
        self._launching = False

    # -- layout -----------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("launch a training run", id="launch-title", markup=False)
        with VerticalScroll(id="launch-form"):
            for field, label, kind, help_text in FIELDS:
                with Horizontal(classes="field-row", id=f"row-{field}"):
                    yield Label(label, classes="field-label")
                    if kind == "select":
                        yield Select(
                            SELECT_OPTIONS[field],
                            value=self.initial[field],
                            allow_blank=False,
                            compact=True,
                            id=f"field-{field}",
                        )
                    else:
                        yield TextInput(
                            self.initial[field], compact=True, id=f"field-{field}", select_on_focus=False
                        )
                    if help_text:
                        yield Label(help_text, classes="field-help")
                yield Static("", classes="field-error", id=f"error-{field}", markup=False)
        yield Static("", id="launch-derived", markup=False)
        with Horizontal(id="launch-actions"):
            yield Button("Launch (ctrl+s)", variant="success", id="launch-go", compact=True)
            yield Button("Find LR first (ctrl+f)", id="launch-find-lr", compact=True)
            yield Button("Cancel (esc)", id="launch-cancel", compact=True)
        yield Static("", id="launch-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.runs_dir = app_runs_dir(self, self._given_runs_dir)
        self.query_one("#field-model").focus()
        self._revalidate()

    # -- values and validation --------------------------------------------------------------------------
    def values(self) -> dict[str, str]:
        out = {}
        for field, _label, _kind, _help in FIELDS:
            widget = self.query_one(f"#field-{field}")
            value = widget.value
            out[field] = "" if value is Select.BLANK else str(value)
        return out

    def set_value(self, field: str, value: Any) -> None:
        """Set one field (tests and callers that prefill more than the constructor does)."""
        self.query_one(f"#field-{field}").value = str(value)

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._revalidate()

    def _revalidate(self) -> None:
        values = self.values()
        _config, errors, derived = validate_form(values)
        self.derived = derived
        self._show_errors(errors)
        optimizer = values.get("optimizer")
        self.query_one("#row-synthetic_train_size").set_class(values.get("dataset") != "synthetic", "hidden")
        for field in SGD_ONLY:
            self.query_one(f"#row-{field}").set_class(optimizer != "sgd", "hidden")
        for field in ADAM_ONLY:
            self.query_one(f"#row-{field}").set_class(optimizer == "sgd", "hidden")
        self.query_one("#launch-derived", Static).update(self._derived_text(values))

    def _focus_first(self, errors: dict[str, str]) -> None:
        shown = {field for field, *_ in FIELDS}
        fields = [f for f in errors if f in shown]  # not every trainer field is in the form
        if fields:
            self.query_one(f"#field-{fields[0]}").focus()

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field; one about a field the form does not show goes in the summary."""
        self.errors = errors
        for field, *_ in FIELDS:
            box = self.query_one(f"#error-{field}", Static)
            message = errors.get(field, "")
            box.update(message)
            box.set_class(bool(message), "shown")
        self.query_one("#launch-derived", Static).update(self._derived_text(self.values()))

    def _derived_text(self, values: dict[str, str]) -> str:
        d = self.derived
        if "steps_per_epoch" not in d:
            return "steps per epoch: — (fix the fields above)"
        text = (
            f"steps/epoch {d['steps_per_epoch']:,} = {d['train_size']:,} train images // batch "
            f"{values.get('batch_size')} (last partial batch dropped)"
        )
        if "total_steps" in d:
            text += f" · total {d['total_steps']:,} optimizer steps"
        preview = self.preview_steps_per_epoch
        if preview and preview != d["steps_per_epoch"] and values.get("stepping") == "step":
            text += (
                f"\nnote: the preview used {preview:,} steps/epoch; lengths given in steps in the spec "
                "(T_max, total_steps, warmup) keep their values"
            )
        if self.preview_stepping not in STEPPINGS:
            text += (
                f"\nnote: the preview steps {self.preview_stepping}; the trainer steps per step or per epoch"
            )
        if self.errors:
            text += f"\n{len(self.errors)} field(s) need fixing before launch"
            shown = {field for field, *_ in FIELDS}
            text += "".join(f"\n{message}" for field, message in self.errors.items() if field not in shown)
        return text

    # -- actions -----------------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "launch-go":
            self.action_launch()
        elif event.button.id == "launch-find-lr":
            self.action_launch("lr_find")
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        go_back(self)

    def action_launch(self, kind: str = "train") -> None:
        """Start the run — or, with kind "lr_find", an LR range test of the same settings (the sweep's
        defaults; `lrtui find-lr` takes the same config with other bounds)."""
        if self._launching:
            return
        config, errors, _ = validate_form(self.values())
        if config is None:
            self._revalidate()
            self._focus_first(errors)
            self.notify(
                f"{len(errors)} field(s) need fixing: {next(iter(errors.values()))}", severity="error"
            )
            return
        config = {**self.extra_config, **config}
        if kind == "lr_find":
            config.update(kind="lr_find", lr_find=Sweep().to_dict())
        self._launching = True
        self.query_one("#launch-status", Static).update(
            "checking the dataset and starting the LR range test…"
            if kind == "lr_find"
            else "checking the dataset and starting the trainer…"
        )
        self._start(config, self.values())

    @work(thread=True, exit_on_error=False, group="launch")
    def _start(self, config: dict, values: dict[str, str]) -> None:
        from lrtui.runs.logger import create_run_dir
        from lrtui.runs.process import launch
        from lrtui.screens.launch_choices import trainer_errors

        # What `lrtui train` checks before detaching, on the config as it will be written (carried keys
        # included): a dataset not on disk nor downloadable, or too big for memory, refuses here, no run made.
        errors = trainer_errors(config, values, preflight=True)
        if errors:
            self.post_message(self.Launched(None, next(iter(errors.values())), errors))
            return
        try:
            run_dir = create_run_dir(config, runs_dir=self.runs_dir, source="lrtui-trainer")
            launch(run_dir, python=self.python)
        except Exception as exc:  # a full disk, a bad runs dir: say it, keep the form
            self.post_message(self.Launched(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Launched(run_dir))

    @on(Launched)
    def _launched(self, message: Launched) -> None:
        self._launching = False
        if message.errors:
            self._show_errors(message.errors)
            self._focus_first(message.errors)
            self.query_one("#launch-status", Static).update(f"not launched: {message.error}")
            self.notify(f"not launched: {message.error}", severity="error")
            return
        if message.run_dir is None:
            self.query_one("#launch-status", Static).update(f"launch failed: {message.error}")
            self.notify(f"launch failed: {message.error}", severity="error")
            return
        from lrtui.screens.monitor import monitor_screen

        self.launched_run = message.run_dir
        self.app.switch_screen(monitor_screen(message.run_dir, **self.monitor_options))
