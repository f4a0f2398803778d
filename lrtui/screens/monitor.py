"""The live run monitor: one run directory, live or finished, lrtui's trainer or a user's RunLogger.

Never blocks on I/O: a thread worker tails metrics.jsonl and status.json (`RunFollower.poll`), keeps the
newest immutable snapshot and posts one `SnapshotReady` message at a time (further updates coalesce into
the pending one). A timer (8 Hz) redraws only the panels whose data changed, and only when new data arrived.
Leaving the screen (or quitting the app) never touches the run's process.

Wiring: `open_run_monitor(app, run_dir)` pushes it; `watch_main(run, runs_dir)` is `lrtui watch RUN`.
"""

from __future__ import annotations

import gc
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from lrtui.app_base import LrtuiBaseApp
from lrtui.runs.listing import find_run
from lrtui.runs.text import clean_name
from lrtui.sources.base import LIVE_AFTER_S
from lrtui.widgets.inputs import TextInput
from lrtui.widgets.resize_guard import StaleResizeGuard
from lrtui.widgets.runs.confirm import ConfirmScreen
from lrtui.widgets.runs.export_csv import ExportCsvScreen, shown_series
from lrtui.widgets.runs.follow import MonitorSnapshot, RunFollower
from lrtui.widgets.runs.follow_source import SourceFollower
from lrtui.widgets.runs.grid import MetricChart, MetricsGrid
from lrtui.widgets.runs.metrics import OutputView
from lrtui.widgets.runs.model import DEFAULT_EMA_BETA, EMA_BETAS
from lrtui.widgets.runs.navigation import go_back
from lrtui.widgets.runs.output import OutputPane
from lrtui.widgets.runs.panels import (
    AccuracyPanel,
    DevicePanel,
    LossPanel,
    LrAlarm,
    LrPanel,
    ProgressLine,
    StateLine,
    info_lines,
)
from lrtui.widgets.runs.ranks_panel import RanksPanel
from lrtui.widgets.safe_text import plain

REDRAW_HZ = 8.0
POLL_IDLE_S = 0.25  # how often the worker looks for new data when none came last time
POLL_BUSY_S = 0.1  # ... and when data is flowing (redraws are at most 8 Hz anyway)


class RunMonitorScreen(StaleResizeGuard, Screen):
    """Panels: LR actual vs planned (+ mismatch alarm), loss + EMA, accuracy, progress, device, state."""

    DEFAULT_CSS = """
    RunMonitorScreen { layout: vertical; }
    RunMonitorScreen > #monitor-title {
        height: 1; width: 1fr; background: $boost; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis;
    }
    RunMonitorScreen > #charts {
        grid-size: 2 2; grid-columns: 1fr 1fr; grid-rows: 1fr 1fr; height: 1fr; grid-gutter: 0 1;
    }
    RunMonitorScreen #side { border-top: solid $primary-darken-2; height: 1fr; width: 1fr; }
    RunMonitorScreen #side > .hidden { display: none; }
    RunMonitorScreen > MetricsGrid { display: none; }
    RunMonitorScreen.-metrics > MetricsGrid { display: block; }
    RunMonitorScreen.-metrics > #charts { display: none; }
    RunMonitorScreen > #prompt { display: none; height: 3; }
    RunMonitorScreen > #prompt.shown { display: block; }
    /* the output pane on a short terminal: LR and loss keep the room, accuracy and device step aside */
    RunMonitorScreen.-short-output > #charts { grid-size: 2 1; grid-rows: 1fr; }
    RunMonitorScreen.-short-output AccuracyPanel, RunMonitorScreen.-short-output #side { display: none; }
    """

    HELP_TITLE = "Monitor"
    # Footer order is priority order: what cuts off on a narrow terminal matters least.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="monitor.back"),
        Binding("s", "stop_run", "Stop run", id="monitor.stop", tooltip="Stop the run (asks first)"),
        Binding(
            "d",
            "doctor",
            "LR doctor",
            id="monitor.doctor",
            tooltip="Which schedule the LR follows, and what went wrong",
        ),
        # k shows the ranks of a torchrun job (offered for those only: check_action), K orders them
        Binding("k", "toggle_ranks", "Ranks/device", id="monitor.toggle_ranks"),
        Binding("K", "rank_order", "Rank order", show=False, id="monitor.rank_order"),
        Binding(
            "m",
            "toggle_metrics",
            "Metrics",
            id="monitor.metrics",
            tooltip="Every other logged metric, a chart each",
        ),
        # o and / are priority bindings: they run before the keys queued behind them are handed on, so
        # `o/text` or `/text` typed fast (or sent by tmux) reach the prompt (off while it has the focus)
        Binding(
            "o",
            "toggle_output",
            "Output",
            id="monitor.output",
            tooltip="The run's console output",
            priority=True,
        ),
        Binding(
            "slash",
            "slash",
            "Filter",
            key_display="/",
            id="monitor.filter",
            tooltip="Filter metrics (search in the output pane)",
            priority=True,
        ),
        Binding(
            "plus,equals_sign",
            "ema(1)",
            "Smooth",
            key_display="+/-",
            id="monitor.smoother",
            tooltip="Smoother (+) or rougher (-)",
        ),
        Binding("minus", "ema(-1)", "Rougher", show=False, id="monitor.rougher"),
        Binding("w", "warmup_zoom", "Warmup zoom", id="monitor.warmup_zoom"),
        Binding(
            "ctrl+s",
            "export_csv",
            "CSV",
            id="monitor.export_csv",
            tooltip="Save what is shown, every point, as CSV",
        ),
        Binding("g", "next_group", "LR group", show=False, id="monitor.next_group"),
        Binding("n", "search_next(1)", "Next match", show=False, id="monitor.next_match"),
        Binding("N", "search_next(-1)", "Previous match", show=False, id="monitor.previous_match"),
        Binding("pagedown,right_square_bracket", "page(1)", "Next page", show=False, id="monitor.next_page"),
        Binding(
            "pageup,left_square_bracket", "page(-1)", "Previous page", show=False, id="monitor.previous_page"
        ),
    ]

    class SnapshotReady(Message):
        """New data is waiting in `screen.latest` (one message at a time; later updates coalesce)."""

    def __init__(
        self,
        run_dir: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        sample_device: bool = True,
        redraw_hz: float = REDRAW_HZ,
        ema_beta: float = DEFAULT_EMA_BETA,
        quit_on_back: bool = False,
        source_format: str | None = None,
        output_log: str | Path | None = None,
        live_after_s: float = LIVE_AFTER_S,
    ) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.source_format = source_format  # None or "lrtui": an lrtui run dir; else an lrtui.sources format
        self.output_log = Path(output_log).expanduser() if output_log else None
        self.live_after_s = live_after_s
        self.view = "panels"  # or "metrics" (m)
        self.prompt_mode: str | None = None  # "filter" | "search" while the bottom input is open
        self._prompt_before = ""
        self.search_pattern = ""
        self.clock = clock
        self.sample_device = sample_device
        self.redraw_hz = redraw_hz
        self.quit_on_back = quit_on_back
        self.latest: MonitorSnapshot | None = None
        self.drawn: MonitorSnapshot | None = None
        self.redraws = 0  # panel rebuild passes (tests and the benchmark read it)
        self.redraw_started_at = 0.0  # perf_counter() when the last rebuild pass began (benchmark)
        self.redraw_started_cpu = 0.0  # thread_time() of the UI thread then (benchmark)
        self._title_text = ""
        self._shown_error: str | None = None
        self.worker_error: str | None = None
        self._pending = False
        self._stop = threading.Event()
        self._wake = threading.Event()  # a key changed what the worker computes: poll now
        self.ema_beta = ema_beta
        self._rebuild_all = False
        self._next_chart = 0
        self._chart_panels: list | None = None
        self.side = "device"  # what the bottom-right cell shows: "device" or "ranks" (k)
        self._side_chosen = False  # the user pressed k: no more automatic switching
        self.has_ranks = False  # the run is a torchrun job (it has rank heartbeats)
        self.on_redraw: Callable[[MonitorSnapshot], None] | None = None  # benchmark hook

    # -- layout ---------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(f"run {clean_name(self.run_dir.name)}", id="monitor-title", markup=False)
        yield StateLine()
        yield ProgressLine()
        yield LrAlarm(hint="d: LR doctor")
        with Grid(id="charts"):
            yield LrPanel()
            yield LossPanel()
            yield AccuracyPanel()
            with Vertical(id="side"):
                yield DevicePanel()
                yield RanksPanel(classes="hidden")
        yield MetricsGrid()
        yield OutputPane()
        yield TextInput(id="prompt")
        yield Footer()

    def on_mount(self) -> None:
        # Move everything alive now (app, widgets, styles, modules) out of the cyclic GC's reach: while a run
        # is tailed, plot builds allocate heavily and full collections rescanning the app cost 50-90 ms frames.
        gc.freeze()
        self.query_one(LrPanel).plot.focus()
        self.set_interval(1.0 / self.redraw_hz, self._redraw, name="monitor-redraw")
        self._follow()

    def on_unmount(self) -> None:
        self._stop.set()
        self._wake.set()
        gc.unfreeze()  # hand the frozen objects back to the collector (garbage among them is freed again)

    # -- data flow: worker -> message -> timer -----------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="run-monitor", name="run-tail")
    def _follow(self) -> None:
        worker = get_current_worker()
        try:
            follower = self._make_follower()
        except Exception as exc:  # unreadable directory: say so, never crash
            self.worker_error = f"cannot read {self.run_dir}: {type(exc).__name__}: {exc}"
            self._post_snapshot()
            return
        busy = False
        try:
            while not worker.is_cancelled and not self._stop.is_set():
                self.configure_follower(follower)
                try:
                    snap = follower.poll()
                except Exception as exc:  # a bug or an odd file must not kill the tail; retry later
                    self.worker_error = f"{type(exc).__name__}: {exc}"
                    self._post_snapshot()
                    snap = None
                if snap is not None:
                    busy = self.latest is None or snap.steps_version != self.latest.steps_version
                    self.latest = snap
                    self._post_snapshot()
                else:
                    busy = False
                self._wake.wait(POLL_BUSY_S if busy else POLL_IDLE_S)
                self._wake.clear()
        finally:
            follower.close()

    def configure_follower(self, follower: RunFollower | SourceFollower) -> None:
        """Hand the UI's settings to the worker's follower (called from the worker before each poll)."""
        follower.ema_beta = self.ema_beta

    def _make_follower(self) -> RunFollower | SourceFollower:
        if self.source_format in (None, "lrtui"):
            return RunFollower(
                self.run_dir, clock=self.clock, device=self.sample_device, output_log=self.output_log
            )
        from lrtui.sources import open_source

        return SourceFollower(
            open_source(self.run_dir, self.source_format),
            clock=self.clock,
            device=self.sample_device,
            output_log=self.output_log,
            live_after_s=self.live_after_s,
        )

    def _post_snapshot(self) -> None:
        # Called from the worker thread: one message in flight at most; the handler picks up the newest.
        if not self._pending:
            self._pending = True
            self.post_message(self.SnapshotReady())

    @on(SnapshotReady)
    def _snapshot_ready(self) -> None:
        self._pending = False
        if self.worker_error and self.worker_error != self._shown_error:
            self._shown_error = self.worker_error  # the tail keeps retrying; say what went wrong once
            self.notify(
                f"reading {clean_name(self.run_dir.name)}: {self.worker_error}", severity="error", timeout=10
            )
        if self.drawn is None:
            self._redraw()  # first data: draw at once (reattach time), later updates wait for the timer

    def _redraw(self) -> None:
        """Timer tick: text panels when a new snapshot arrived, then the charts whose data changed.

        While a run is being tailed at most one chart is rebuilt per tick (round robin), so a frame costs
        one plot build, not three; the first draw and key presses rebuild every dirty chart at once.
        """
        snap = self.latest
        if snap is None:
            return
        self.redraw_started_at = time.perf_counter()
        self.redraw_started_cpu = time.thread_time()
        first = self.drawn is None
        if snap is not self.drawn:
            if self.drawn is None or snap.live != self.drawn.live:
                self.refresh_bindings()  # s (stop) is offered while the run is live
            self.drawn = snap
            title = info_lines(snap)
            if title != self._title_text:  # Static.update re-lays out: only when the text changed
                self._title_text = title
                self.query_one("#monitor-title", Static).update(plain(title), layout=False)
            for panel in self.text_panels():
                panel.show(snap)
            self._show_ranks(snap)
            grid = self._widget(MetricsGrid)
            if grid is not None and self.view == "metrics" and grid.version != snap.metrics_version:
                grid.version = snap.metrics_version  # (hidden: no work)
                grid.update_metrics(snap.metrics)
            pane = self._widget(OutputPane)
            if pane is not None and pane.has_class("shown"):
                pane.show(snap.output)
        charts = self._charts()
        if not charts:
            return
        dirty = [charts[(self._next_chart + i) % len(charts)] for i in range(len(charts))]
        dirty = [chart for chart in dirty if chart.needs(snap)]
        if not dirty:
            return
        limit = len(dirty) if (first or self._rebuild_all) else 1
        self._rebuild_all = False
        for chart in dirty[:limit]:
            chart.show(snap)
            self._next_chart = (charts.index(chart) + 1) % len(charts)
        self.redraws += 1
        if self.on_redraw is not None:
            self.on_redraw(snap)

    def text_panels(self) -> list:
        """The panels redrawn whenever a new snapshot arrives (each skips work when its part is unchanged)."""
        return [
            self.query_one(StateLine),
            self.query_one(ProgressLine),
            self.query_one(LrAlarm),
            self.query_one(DevicePanel),
        ]

    def _charts(self) -> list:
        """The charts of the current view (the panels, or the grid's charts that hold a metric)."""
        if self.view == "metrics":
            return [chart for chart in self.query_one(MetricsGrid).charts() if chart.metric is not None]
        if self._chart_panels is None:
            self._chart_panels = [
                self.query_one(LrPanel),
                self.query_one(LossPanel),
                self.query_one(AccuracyPanel),
            ]
        return self._chart_panels

    def force_redraw(self) -> None:
        """Rebuild every chart that changed, now (after a key changed what the panels show)."""
        self._rebuild_all = True
        self._redraw()

    # -- actions ---------------------------------------------------------------------------------------
    def action_back(self) -> None:
        go_back(self, self.quit_on_back)

    def action_warmup_zoom(self) -> None:
        panel = self.query_one(LrPanel)
        panel.warmup_zoom = not panel.warmup_zoom
        self.force_redraw()

    def action_next_group(self) -> None:
        panel = self.query_one(LrPanel)
        groups = len(self.latest.lr) if self.latest else 1
        panel.group = (panel.group + 1) % max(groups, 1)
        self.force_redraw()

    def ranks_panel(self) -> RanksPanel | None:
        """The rank panel, when this screen's layout has one (the LR-find monitor's has not)."""
        found = self.query(RanksPanel)
        return found.first() if found else None

    def _show_ranks(self, snap: MonitorSnapshot) -> None:
        panel = self.ranks_panel()
        if panel is None:
            return
        if snap.ranks is not None and not self.has_ranks:
            self.has_ranks = True
            self.refresh_bindings()  # k appears in the footer (K orders the ranks)
            if self.side == "device" and not self._side_chosen:
                self._set_side("ranks")  # a torchrun job: its ranks are what to watch
        panel.show(snap.ranks)

    def _set_side(self, side: str) -> None:
        self.side = side
        self.query_one(DevicePanel).set_class(side != "device", "hidden")
        self.query_one(RanksPanel).set_class(side != "ranks", "hidden")

    def action_toggle_ranks(self) -> None:
        self._side_chosen = True
        self._set_side("ranks" if self.side == "device" else "device")

    def action_rank_order(self) -> None:
        if self.side != "ranks":
            self._set_side("ranks")
            self._side_chosen = True
        order = self.query_one(RanksPanel).cycle_order()
        self.notify(f"ranks ordered by {'rank' if order == 'rank' else 'worst first'}", timeout=2)

    def _focused_metric_chart(self) -> MetricChart | None:
        node = self.focused
        while node is not None and not isinstance(node, MetricChart):
            node = node.parent
        return node

    def action_ema(self, direction: int) -> None:
        chart = self._focused_metric_chart()
        if chart is not None:  # a grid chart: its own smoothing
            chart.set_beta(direction)
            self.force_redraw()
            return
        betas = list(EMA_BETAS)
        current = min(range(len(betas)), key=lambda i: abs(betas[i] - self.ema_beta))
        self.ema_beta = betas[max(0, min(len(betas) - 1, current + direction))]
        self._rebuild_all = True
        self._wake.set()  # the worker recomputes the EMA; the next tick draws it

    def action_doctor(self) -> None:
        from lrtui.screens.doctor import DoctorScreen

        self.app.push_screen(DoctorScreen(self.run_dir, self.source_format))

    # -- metric grid, filter, output pane, export ----------------------------------------------------------
    _VIEW_ACTIONS = ("toggle_metrics", "slash", "toggle_output", "search_next", "page")

    def _widget(self, kind: type) -> object | None:
        """The screen's widget of that type, None when a subclass composes without it (the LR-find monitor)."""
        return next(iter(self.query(kind)), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_ranks", "rank_order"):
            return self.has_ranks  # only a torchrun job has ranks to show
        if action == "stop_run":  # lrtui stops the runs it started, while they run
            return self.source_format in (None, "lrtui") and (self.latest is None or self.latest.live)
        if action in self._VIEW_ACTIONS and self._widget(MetricsGrid) is None:
            return False
        if action in ("slash", "toggle_output") and isinstance(self.focused, Input):
            return False  # typed into the prompt: a pattern may hold / or o
        return super().check_action(action, parameters)

    def action_toggle_metrics(self) -> None:
        self.view = "metrics" if self.view == "panels" else "panels"
        self.set_class(self.view == "metrics", "-metrics")
        self._rebuild_all = True
        grid = self.query_one(MetricsGrid)
        if self.view == "metrics" and self.latest is not None and grid.version != self.latest.metrics_version:
            grid.version = self.latest.metrics_version
            grid.update_metrics(self.latest.metrics)
        if self.view == "metrics":
            self.call_after_refresh(self._focus_first_metric)
        else:
            self.query_one(LrPanel).plot.focus()
        self.call_after_refresh(self.force_redraw)

    def _focus_first_metric(self) -> None:
        if self.prompt_mode is not None:  # `/` from the panels: the filter prompt keeps the focus
            return
        charts = [c for c in self.query_one(MetricsGrid).charts() if c.metric is not None]
        if charts:
            charts[0].plot.focus()

    def _output_focused(self) -> bool:
        node = self.focused
        while node is not None:
            if isinstance(node, OutputPane):
                return True
            node = node.parent
        return False

    def action_slash(self) -> None:
        """`/`: search the output when it has focus, else filter the metric grid (shown at once)."""
        if self._output_focused():
            self._open_prompt("search", self.search_pattern)
            return
        if self.view != "metrics":
            self.action_toggle_metrics()
        self._open_prompt("filter", self.query_one(MetricsGrid).pattern)

    def _open_prompt(self, mode: str, value: str) -> None:
        prompt = self.query_one("#prompt", Input)
        self.prompt_mode = mode
        self._prompt_before = value
        prompt.placeholder = (
            "filter metrics: a regex (enter keeps it, escape restores)"
            if mode == "filter"
            else "search the output: a regex or text (enter searches, n/N next/previous)"
        )
        prompt.value = value
        prompt.add_class("shown")
        # now, not deferred (Widget.focus): keys typed right after `/` (a fast typist, tmux send-keys) are
        # often queued already and must reach the prompt, not the chart's or the screen's bindings
        self.set_focus(prompt)

    def _close_prompt(self) -> None:
        prompt = self.query_one("#prompt", Input)
        prompt.remove_class("shown")
        mode, self.prompt_mode = self.prompt_mode, None
        if mode == "search":
            self.set_focus(self.query_one(OutputPane).log_widget)
        elif self.view == "metrics":
            self._focus_first_metric()

    @on(Input.Changed, "#prompt")
    def _prompt_changed(self, event: Input.Changed) -> None:
        if self.prompt_mode == "filter":  # the grid follows the typing
            self.query_one(MetricsGrid).set_filter(event.value)
            self.force_redraw()

    @on(Input.Submitted, "#prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        if self.prompt_mode == "search":
            self.search_pattern = event.value
            pane = self.query_one(OutputPane)
            if pane.search(event.value) is None and event.value:
                self.notify(f"/{event.value}/: no line of the output matches", severity="warning")
        self._close_prompt()

    def on_key(self, event) -> None:
        if event.key == "escape" and self.prompt_mode is not None:
            event.stop()
            event.prevent_default()
            if self.prompt_mode == "filter":
                self.query_one(MetricsGrid).set_filter(self._prompt_before)
                self.force_redraw()
            self._close_prompt()

    def action_search_next(self, direction: int) -> None:
        pane = self.query_one(OutputPane)
        if not pane.has_class("shown") or not self.search_pattern:
            return
        pane.search(self.search_pattern, backwards=direction < 0, again=True)

    def action_page(self, delta: int) -> None:
        if self.view == "metrics":
            self.query_one(MetricsGrid).turn_page(delta)
            self.force_redraw()

    SHORT_OUTPUT_ROWS = 40  # below this terminal height the output pane leaves one row of charts

    def on_resize(self) -> None:
        self._fit_output()

    def _fit_output(self) -> None:
        pane = self._widget(OutputPane)
        shown = pane is not None and pane.has_class("shown")
        self.set_class(shown and self.size.height < self.SHORT_OUTPUT_ROWS, "-short-output")

    def action_toggle_output(self) -> None:
        pane = self.query_one(OutputPane)
        shown = not pane.has_class("shown")
        pane.set_class(shown, "shown")
        self._fit_output()
        if shown:
            pane.show(self.latest.output if self.latest is not None else None)
            if pane.view is None:  # before the first poll: say where the output will come from
                path = self.output_log or self._default_output_log()
                pane.show(
                    OutputView(path, note="" if path else "no console output: lrtui watch PATH --log FILE")
                )
            self.set_focus(pane.log_widget)  # now: a `/` queued behind `o` searches the output
        elif self._output_focused() or self.focused is None:
            self.query_one(LrPanel).plot.focus()

    def _default_output_log(self) -> Path | None:
        return self.run_dir / "stdout.log" if self.source_format in (None, "lrtui") else None

    def action_export_csv(self) -> None:
        snap = self.latest
        if snap is None:
            self.notify("nothing to save yet", severity="warning")
            return
        grid = self._widget(MetricsGrid)
        series = shown_series(snap, self.view, grid.shown if grid is not None else [])
        series = {k: v for k, v in series.items() if np.size(v[1])}
        if not series:
            self.notify("nothing to save: no series shown", severity="warning")
            return
        what = "the filtered metrics" if self.view == "metrics" else "the LR, loss and accuracy series"
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", snap.display_name).strip("_")[:60] or "run"
        default = Path.cwd() / f"{name}-{'metrics' if self.view == 'metrics' else 'panels'}.csv"
        self.app.push_screen(ExportCsvScreen(series, default, what))

    def action_stop_run(self) -> None:
        snap = self.latest
        if snap is not None and snap.source_format != "lrtui":
            self.notify(
                f"lrtui did not start this {snap.source_format} run: it cannot stop it", severity="warning"
            )
            return
        if snap is None or not snap.live:
            self.notify("the run is not running", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._stop_worker_run()

        name = clean_name(self.run_dir.name)
        world = snap.ranks.world_size if snap.ranks is not None else None
        question = (
            f"Stop job {name} ({world} ranks)? (SIGTERM to its torchrun agent: every rank finishes its step, "
            "rank 0 saves one checkpoint)"
            if world and world > 1
            else f"Stop run {name}? (SIGTERM; it saves a checkpoint)"
        )
        self.app.push_screen(ConfirmScreen(question), answered)

    @work(thread=True, exit_on_error=False, group="run-control")
    def _stop_worker_run(self) -> None:
        from lrtui.runs import read_status
        from lrtui.runs.distributed import is_job, stop_job
        from lrtui.runs.process import stop

        try:
            if is_job(read_status(self.run_dir)):  # its agent (verified), or stop.request from a login node
                outcome = stop_job(self.run_dir)
                signalled, done = outcome.signalled or outcome.requested, outcome.message
            else:
                signalled, done = stop(self.run_dir), "stop requested (SIGTERM)"
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"stop failed: {exc}", severity="error")
            return
        self.app.call_from_thread(self.notify, done if signalled else "no live process on this host to stop")


def monitor_screen(run_dir: str | Path, **options: object) -> RunMonitorScreen:
    """The monitor for `run_dir`: the LR range test's (loss vs LR, suggestions) for runs of kind lr_find."""
    from lrtui.runs.lr_sweep import is_lr_find
    from lrtui.runs.reader import read_config

    if is_lr_find(read_config(run_dir)[0]):  # config.json is small and size-capped: fine to read here
        from lrtui.screens.lr_find_monitor import LrFindMonitorScreen

        return LrFindMonitorScreen(run_dir, **options)  # type: ignore[arg-type]
    return RunMonitorScreen(run_dir, **options)  # type: ignore[arg-type]


def open_run_monitor(app: App, run_dir: str | Path, **options: object) -> RunMonitorScreen:
    """Push the monitor for `run_dir` onto `app` (escape pops it). Returns the screen."""
    screen = monitor_screen(run_dir, **options)
    app.push_screen(screen)
    return screen


# --------------------------------------------------------------------------------------- lrtui watch RUN
# One resolver for the CLI and the app lives in the pure run layer; watching is read-only, so an explicit
# path to a run directory outside the runs dir is accepted too.
def resolve_run(run: str, runs_dir: str | Path | None = None) -> Path:
    return find_run(run, runs_dir, read_only=True)


class WatchApp(LrtuiBaseApp):
    """`lrtui watch RUN`: the monitor alone; escape or q quits (the run keeps going)."""

    TITLE = "lrtui watch"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(self, run_dir: str | Path, **options: object) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.options = options

    def on_mount(self) -> None:
        self.push_screen(monitor_screen(self.run_dir, quit_on_back=True, **self.options))


def watch_main(run: str, runs_dir: str | Path | None = None) -> int:
    """Entry point of `lrtui watch RUN` (RUN = run id, id prefix, path, or 'last'); returns an exit code."""
    import sys

    try:
        run_dir = resolve_run(run, runs_dir)
    except ValueError as err:
        print(f"lrtui watch: {err}", file=sys.stderr)
        return 2
    return WatchApp(run_dir).run_reporting()
