"""The monitor of an LR range test (a run of kind "lr_find"): loss vs LR live, suggestions, hand-off.

Same data flow as every run monitor (a thread worker tails the run, a timer redraws what changed); the
follower also recomputes the suggestions (`lrtui.schedules.lr_suggest.analyze`) as steps arrive. Keys:
n picks the next suggestion, o switches the target schedule (OneCycleLR max_lr / warmup + cosine peak), enter
opens the preview on that schedule with the chosen LR as its peak — `t` there launches it, with the launch
form prefilled from this run's model, data and optimizer. -/+ change the smoothing, a goes back to auto.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.widgets import Footer, Static

from lrtui.schedules.lr_suggest import HANDOFF_TARGETS, peak_schedule
from lrtui.schedules.smoothing import EMA_BETAS
from lrtui.screens.monitor import RunMonitorScreen
from lrtui.widgets.runs.follow import RunFollower
from lrtui.widgets.runs.lr_find_panels import LossVsLrPanel, SuggestionsPanel, choice_label, choices
from lrtui.widgets.runs.panels import LrAlarm, LrPanel, ProgressLine, StateLine

DEFAULT_HORIZON = 10_000  # steps of the handed-off schedule when the run says nothing about its training


def handoff_plan(config: dict, peak_lr: float, target: str) -> tuple[Any, str]:
    """(Plan, note) for the preview: `target` schedule peaking at `peak_lr`, sized like the run's training
    (config schedule.total_steps, else epochs × steps_per_epoch, else DEFAULT_HORIZON, said in the note)."""
    from lrtui.schedules import Plan, parse

    config = config if isinstance(config, dict) else {}
    schedule = config.get("schedule") if isinstance(config.get("schedule"), dict) else {}

    def positive(value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None

    spe = positive(schedule.get("steps_per_epoch")) or 1
    total = positive(schedule.get("total_steps"))
    epochs = positive(config.get("epochs"))
    if total is None and epochs and positive(schedule.get("steps_per_epoch")):
        total = epochs * spe
    note = ""
    if total is None:
        total = DEFAULT_HORIZON
        note = (
            f"the run does not say how long the training is: {total:,} steps assumed (set steps in the form)"
        )
    spec, base = peak_schedule(target, peak_lr, total)
    optimizer = config.get("optimizer") if isinstance(config.get("optimizer"), dict) else {}
    name = optimizer.get("name") if optimizer.get("name") in ("sgd", "adam", "adamw") else "sgd"
    momentum = optimizer.get("momentum")
    if name != "sgd":
        betas = optimizer.get("betas")
        momentum = betas[0] if isinstance(betas, (list, tuple)) and betas else 0.9
    if not isinstance(momentum, (int, float)) or isinstance(momentum, bool) or not 0 <= momentum < 1:
        momentum = 0.9
    plan = Plan(
        spec=parse(spec),
        base_lrs=(base,),
        total_steps=total,
        steps_per_epoch=spe,
        stepping="step",
        optimizer=name,
        momentum=float(momentum),
    )
    return plan, note


class LrFindMonitorScreen(RunMonitorScreen):
    """Loss vs LR (log x) with the suggestions marked; the suggestions with their credibility; the sweep."""

    DEFAULT_CSS = """
    LrFindMonitorScreen > #charts {
        grid-size: 2 2; grid-columns: 3fr 2fr; grid-rows: 3fr 2fr; height: 1fr; grid-gutter: 0 1;
    }
    LrFindMonitorScreen #loss-lr { column-span: 2; }
    LrFindMonitorScreen SuggestionsPanel { border-top: solid $primary-darken-2; }
    /* narrow or short terminals: the suggestions get the whole bottom row (the sweep's LR line goes) */
    LrFindMonitorScreen.-narrow LrPanel, LrFindMonitorScreen.-short LrPanel { display: none; }
    LrFindMonitorScreen.-narrow SuggestionsPanel, LrFindMonitorScreen.-short SuggestionsPanel { column-span: 2; }
    LrFindMonitorScreen.-short > #charts { grid-rows: 1fr 1fr; }
    """
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (32, "-tall")]

    HELP_TITLE = "LR range test"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "hand_off",
            "Preview",
            tooltip="Preview the schedule peaking at the chosen LR",
            id="lr_find.hand_off",
        ),
        Binding(
            "n", "next_choice", "Next LR", tooltip="Choose the next suggestion", id="lr_find.next_choice"
        ),
        Binding(
            "o",
            "next_target",
            "Schedule",
            tooltip="OneCycleLR max_lr or warmup + cosine peak",
            id="lr_find.next_target",
        ),
        Binding("a", "auto_smoothing", "Auto smoothing", show=False, id="lr_find.auto_smoothing"),
        # the caption names -/+; the footer keeps its room for the keys above
        Binding("plus,equals_sign", "ema(1)", "Smoother", key_display="+", show=False, id="lr_find.ema_1"),
        Binding("minus", "ema(-1)", "Rougher", show=False, id="lr_find.ema_minus_1"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lr_find_beta: float | None = None  # None: auto (lr_suggest.auto_beta)

    def compose(self) -> ComposeResult:
        yield Static(f"LR range test {self.run_dir.name}", id="monitor-title", markup=False)
        yield StateLine()
        yield ProgressLine()
        yield LrAlarm()
        with Grid(id="charts"):
            yield LossVsLrPanel()
            yield SuggestionsPanel()
            yield LrPanel()
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        lr_panel = self.query_one(LrPanel)
        lr_panel.plot.set_figure(lr_panel.plot.figure.replace(log_y=True))  # an exponential sweep is a line
        self.query_one(LossVsLrPanel).plot.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("warmup_zoom", "next_group"):
            return False  # a sweep has no warmup and one LR line worth showing
        return super().check_action(action, parameters)

    # -- wiring --------------------------------------------------------------------------------------------
    def configure_follower(self, follower: RunFollower) -> None:
        super().configure_follower(follower)
        follower.lr_find_beta = self.lr_find_beta

    def text_panels(self) -> list:
        return [
            self.query_one(StateLine),
            self.query_one(ProgressLine),
            self.query_one(LrAlarm),
            self.query_one(SuggestionsPanel),
        ]

    def _charts(self) -> list:
        if self._chart_panels is None:
            self._chart_panels = [self.query_one(LossVsLrPanel), self.query_one(LrPanel)]
        return self._chart_panels

    def _choose(self, chosen: int | None = None, target: str | None = None) -> None:
        text, chart = self.query_one(SuggestionsPanel), self.query_one(LossVsLrPanel)
        if chosen is not None:
            text.chosen = chart.chosen = chosen
        if target is not None:
            text.target = target
        if self.latest is not None:
            text.show(self.latest)
        self.force_redraw()

    # -- actions -------------------------------------------------------------------------------------------
    def action_next_choice(self) -> None:
        options = choices(self.latest.lr_find if self.latest else None)
        if not options:
            self.notify("no suggestion yet", severity="warning")
            return
        self._choose(chosen=(self.query_one(SuggestionsPanel).chosen + 1) % len(options))

    def action_next_target(self) -> None:
        targets = list(HANDOFF_TARGETS)
        current = self.query_one(SuggestionsPanel).target
        self._choose(target=targets[(targets.index(current) + 1) % len(targets)])

    def action_ema(self, direction: int) -> None:
        analysis = self.latest.lr_find if self.latest else None
        current = self.lr_find_beta if self.lr_find_beta is not None else (analysis.beta if analysis else 0.9)
        betas = list(EMA_BETAS)
        if direction > 0:
            bigger = [b for b in betas if b > current + 1e-9]
            self.lr_find_beta = bigger[0] if bigger else betas[-1]
        else:
            smaller = [b for b in betas if b < current - 1e-9]
            self.lr_find_beta = smaller[-1] if smaller else betas[0]
        self._rebuild_all = True
        self._wake.set()  # the worker recomputes the suggestions; the next tick draws them

    def action_auto_smoothing(self) -> None:
        self.lr_find_beta = None
        self._rebuild_all = True
        self._wake.set()

    def action_hand_off(self) -> None:
        snap = self.latest
        chosen = self.query_one(SuggestionsPanel).current(snap)
        if snap is None or chosen is None:
            self.notify("no suggestion yet: wait for the curve to fill in", severity="warning")
            return
        show = getattr(self.app, "show_in_preview", None)
        if show is None:
            self.notify(
                "the preview is part of the lrtui app: open this run with `lrtui watch RUN`",
                severity="warning",
            )
            return
        target = self.query_one(SuggestionsPanel).target
        try:
            plan, note = handoff_plan(snap.config, chosen.lr, target)
        except Exception as exc:  # a spec the engine rejects must not take the monitor down
            self.notify(f"cannot build the schedule: {exc}", severity="error")
            return
        label = f"{HANDOFF_TARGETS[target]} = {chosen.lr:.3g} ({choice_label(chosen)}, LR find {self.run_dir.name})"
        analysis = snap.lr_find
        lines = [f"{HANDOFF_TARGETS[target]} = {chosen.lr:.3g} from {choice_label(chosen)}; t launches it"]
        if analysis is not None and not analysis.reliable:
            lines.append("the LR range test was NOT reliable (see its warnings)")
        if note:
            lines.append(note)
        self.app.call_later(self._open_preview, show, plan, label, dict(snap.config), "\n".join(lines))

    async def _open_preview(self, show: Any, plan: Any, label: str, config: dict, message: str) -> None:
        app = self.app
        await show(plan, label=label, launch_from=config)
        app.notify(message, title="from the LR range test", timeout=8)
