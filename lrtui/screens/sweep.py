"""The compare view of a sweep group: per schedule, mean curves with a ±1 std band over the repeats, and the
results table (mean ± std of final/best test accuracy and loss, ranked, gaps within noise marked).

Data is read in a thread worker (every member run, lrtui.sweep.results / curves) and re-read every few seconds
while the group is still running. Keys: m ranks by the next metric, e exports results.csv and results.md into
the group directory, enter compares the highlighted schedule's repeats run by run, r reloads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lrtui.plotting.figure import SERIES_COLORS, Figure, Series
from lrtui.sweep.curves import Band, mean_band
from lrtui.sweep.results import METRIC_KEYS, METRICS, Results, format_diff, is_accuracy
from lrtui.sweep.stats import format_p, noise_note
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.resize_guard import StaleResizeGuard
from lrtui.widgets.runs.model import debiased_ema, epoch_series
from lrtui.widgets.runs.navigation import go_back
from lrtui.widgets.safe_text import plain

RELOAD_S = 5.0
EMA_BETA = 0.98
SHORT_VERDICT = {"best": "best", "no data": "no data", "untested": "untested n<2"}


@dataclass
class ScheduleCurves:
    index: int
    lr: tuple[np.ndarray, np.ndarray]  # from the first repeat with steps (every repeat plans the same LR)
    loss: Band
    acc: Band


@dataclass
class GroupView:
    group: object  # lrtui.sweep.group.Group
    status: object  # lrtui.sweep.queue.GroupStatus
    results: Results
    curves: list[ScheduleCurves]


def load_group_view(group_dir: Path, metric: str, now: float | None = None) -> GroupView:
    """Everything the view draws (thread side)."""
    from lrtui.sweep.group import read_group
    from lrtui.sweep.queue import group_status
    from lrtui.sweep.results import compute, load_group

    group = read_group(group_dir)
    data = load_group(group, now)
    status = group_status(group, now, states=[m.state for m in data.members])
    curves = []
    for index in range(len(group.schedules)):
        runs = [m.run for m in data.members if m.state.member.schedule == index and m.run is not None]
        lr = (np.empty(0), np.empty(0))
        losses, accs = [], []
        for run in runs:
            d = run.data
            steps = np.frombuffer(d.steps, dtype=np.int64).astype(np.float64)
            if steps.size and d.lr and not lr[0].size:
                lr = (steps, np.array(d.lr[0], dtype=np.float64))
            loss = np.array(d.loss, dtype=np.float64)
            if loss.size == steps.size and loss.size:
                losses.append((steps, debiased_ema(loss, EMA_BETA)))
            accs.append(epoch_series(d.epochs, "test_acc"))
        curves.append(ScheduleCurves(index, lr, mean_band(losses), mean_band(accs)))
    return GroupView(group, status, compute(data, metric), curves)


def _dim(color: str) -> str:
    """The band's colour: the normal variant of a bright plotext colour ('cyan+' -> 'cyan')."""
    return color[:-1] if color.endswith("+") else color


def band_series(bands: list[tuple[int, Band]], scale: float = 1.0) -> list[Series]:
    """Band edges (dim, unlabelled) first, then the means (bright, '#n') on top of every band."""
    edges, means = [], []
    for index, band in bands:
        if not len(band):
            continue
        color = SERIES_COLORS[index % len(SERIES_COLORS)]
        style = "line" if len(band) > 1 else "scatter"
        if np.any(band.high > band.low):
            edges.append(Series(band.x, scale * band.low, "", color=_dim(color), style=style))
            edges.append(Series(band.x, scale * band.high, "", color=_dim(color), style=style))
        means.append(Series(band.x, scale * band.mean, f"#{index + 1}", color=color, style=style))
    return edges + means


def _rich_color(plotext_color: str) -> str:
    from lrtui.screens.runs import _rich_color as convert

    return convert(plotext_color)


def _acc_cell(metric: str, summary) -> str:
    """'14.06±2.21' (percent for accuracies, 4 significant digits for losses), '—' without data."""
    if summary.mean is None:
        return "—"
    scale, fmt = (100.0, ".2f") if is_accuracy(metric) else (1.0, ".4g")
    text = format(scale * summary.mean, fmt)
    if summary.std is not None:
        text += "±" + format(scale * summary.std, ".2f" if is_accuracy(metric) else ".2g")
    return text


def _verdict_cell(ranked) -> Text:
    if ranked.verdict == "within noise":
        return Text(f"≈ noise p={format_p(ranked.vs_best.p)}", style="yellow")
    if ranked.verdict == "worse":
        return Text(f"< worse p={format_p(ranked.vs_best.p)}", style="red")
    if ranked.verdict == "best":
        return Text("best", style="bold green")
    return Text(SHORT_VERDICT.get(ranked.verdict, ranked.verdict), style="dim")


class GroupCompareScreen(StaleResizeGuard, Screen):
    """A sweep group: mean ± std curves per schedule and the ranked results table."""

    DEFAULT_CSS = """
    GroupCompareScreen { layout: vertical; }
    GroupCompareScreen > #group-title {
        height: 1; background: $boost; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis;
    }
    GroupCompareScreen > #group-charts { height: 1fr; min-height: 6; }
    GroupCompareScreen .group-chart { width: 1fr; height: 1fr; }
    GroupCompareScreen .group-caption { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    GroupCompareScreen > DataTable { height: auto; max-height: 45%; }
    GroupCompareScreen > #group-detail { height: auto; max-height: 3; color: $text-muted; }
    GroupCompareScreen > #group-note { height: auto; max-height: 3; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="sweep.back"),
        Binding(
            "enter",
            "open_schedule",
            "Repeats",
            tooltip="Compare this schedule's repeats run by run",
            id="sweep.open_schedule",
        ),
        Binding(
            "m",
            "next_metric",
            "Rank by",
            tooltip="Rank by final/best test accuracy or loss",
            id="sweep.next_metric",
        ),
        Binding(
            "e",
            "export",
            "Export",
            tooltip="Write results.csv and results.md into the group directory",
            id="sweep.export",
        ),
        Binding("r", "reload", "Reload", id="sweep.reload"),
    ]

    class Loaded(Message):
        def __init__(self, view: GroupView | None, error: str | None = None) -> None:
            super().__init__()
            self.view = view
            self.error = error

    def __init__(
        self,
        group_dir: str | Path,
        *,
        metric: str = "final_acc",
        reload_s: float = RELOAD_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.group_dir = Path(group_dir)
        self.clock = clock
        self.metric = metric
        self.reload_s = reload_s
        self.view: GroupView | None = None
        self.loads = 0  # completed loads (tests wait on it)
        self.exported: list[Path] = []

    def compose(self) -> ComposeResult:
        yield Static(f"sweep {self.group_dir.name}", id="group-title", markup=False)
        with Horizontal(id="group-charts"):
            for key, caption in (
                ("lr", "LR"),
                ("loss", "loss (EMA, mean ± std)"),
                ("acc", "test accuracy % (mean ± std)"),
            ):
                with Vertical(classes="group-chart"):
                    yield Static(caption, classes="group-caption", markup=False)
                    yield CurvePlot(id=f"group-{key}")
        table: DataTable = DataTable(cursor_type="row", id="group-table")
        yield table
        yield Static("", id="group-detail", markup=False)
        yield Static("", id="group-note", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._columns()
        self.action_reload()
        self.set_interval(self.reload_s, self._reload_if_live, name="group-reload")

    def _columns(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        title = METRICS[self.metric][0]
        for key, label in (
            ("rank", "rank"),
            ("number", "#"),
            ("schedule", "schedule"),
            ("final_acc", "final acc %"),
            ("best_acc", "best acc %"),
            ("diff", f"Δ {title.split()[-1]} vs #1"),
            ("verdict", "vs #1"),
            ("n", "n"),
            ("lr", "lr"),
            ("final_loss", "final loss"),
            ("best_loss", "best loss"),
        ):
            table.add_column(label, key=key)

    # -- loading ---------------------------------------------------------------------------------------
    def action_reload(self) -> None:
        self._load(self.metric)

    def _reload_if_live(self) -> None:
        view = self.view
        if view is None or view.status.state in ("running", "stopping"):
            self._load(self.metric)

    @work(thread=True, exclusive=True, group="group-load", exit_on_error=False)
    def _load(self, metric: str) -> None:
        from lrtui.sweep.group import GroupError

        try:
            view = load_group_view(self.group_dir, metric, self.clock())
        except (GroupError, OSError) as err:
            self.post_message(self.Loaded(None, str(err)))
            return
        self.post_message(self.Loaded(view))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.loads += 1
        if message.view is None:
            self.query_one("#group-title", Static).update(f"sweep {self.group_dir.name}: {message.error}")
            return
        view = self.view = message.view
        curves = view.curves
        self.query_one("#group-lr", CurvePlot).set_figure(
            Figure(
                series=[
                    Series(*c.lr, f"#{c.index + 1}", color=SERIES_COLORS[c.index % len(SERIES_COLORS)])
                    for c in curves
                    if c.lr[0].size
                ],
                ylabel="lr",
            )
        )
        self.query_one("#group-loss", CurvePlot).set_figure(
            Figure(series=band_series([(c.index, c.loss) for c in curves]), ylabel="loss")
        )
        self.query_one("#group-acc", CurvePlot).set_figure(
            Figure(
                series=band_series([(c.index, c.acc) for c in curves], 100.0), xlabel="epoch", ylabel="acc %"
            )
        )
        self._fill_table()
        group, status = view.group, view.status
        self.query_one("#group-title", Static).update(
            f"sweep {group.name} · {len(group.schedules)} schedules × {group.repeats} repeats · {status.state} · "
            f"{status.progress.compact()} · ranked by {METRICS[self.metric][0]}"
        )
        counts = [r.summaries[self.metric].n for r in view.results.schedules]
        self.query_one("#group-note", Static).update(
            "bands ±1 std over repeats · " + noise_note(counts, short=True)
        )
        self._show_detail()

    # -- table -----------------------------------------------------------------------------------------
    def _fill_table(self) -> None:
        view = self.view
        if view is None:
            return
        res = view.results
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        # the schedule column takes what the others leave (~70 cells), so verdicts stay in view at 80 columns
        width = max(10, min(60, self.size.width - 70))
        from lrtui.screens.runs import short_schedule

        for ranked in res.ranking:
            s = res.schedules[ranked.key]
            color = _rich_color(SERIES_COLORS[s.index % len(SERIES_COLORS)])
            table.add_row(
                str(ranked.rank),
                Text(f"━ #{s.index + 1}", style=color),
                plain(short_schedule(s.label, width)),  # a label from the sweep's file: Text, not markup
                _acc_cell("final_acc", s.summaries["final_acc"]),
                _acc_cell("best_acc", s.summaries["best_acc"]),
                format_diff(self.metric, ranked),
                _verdict_cell(ranked),
                f"{s.finished}/{s.runs}",
                "—" if s.lr is None else f"{s.lr:g}",
                _acc_cell("final_loss", s.summaries["final_loss"]),
                _acc_cell("best_loss", s.summaries["best_loss"]),
                key=str(s.index),
            )
        if res.ranking:
            table.move_cursor(row=min(cursor, len(res.ranking) - 1))
        from lrtui.screens.runs import _redraw

        self.call_after_refresh(_redraw, table)

    def on_resize(self) -> None:
        if self.view is not None:
            self._fill_table()

    def current_schedule(self):
        view = self.view
        table = self.query_one(DataTable)
        if view is None or not 0 <= table.cursor_row < len(view.results.ranking):
            return None
        return view.results.schedules[view.results.ranking[table.cursor_row].key]

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_schedule()

    def _show_detail(self) -> None:
        s = self.current_schedule()
        detail = self.query_one("#group-detail", Static)
        if s is None:
            detail.update("")
            return
        parts = [f"#{s.index + 1} {s.spec or 'constant'}"]
        if s.lr is not None:
            parts.append(f"lr {s.lr:g}, {s.stepping or 'epoch'} stepping")
        parts.append(f"{s.finished}/{s.runs} finished" + (f" ({s.state_note()})" if s.state_note() else ""))
        if s.reported:
            parts.append(f"article: {s.reported}")
        detail.update(" · ".join(parts))

    # -- actions ---------------------------------------------------------------------------------------
    def action_back(self) -> None:
        go_back(self)

    def action_next_metric(self) -> None:
        self.metric = METRIC_KEYS[(METRIC_KEYS.index(self.metric) + 1) % len(METRIC_KEYS)]
        self._columns()
        self.notify(f"ranked by {METRICS[self.metric][0]}")
        self._load(self.metric)

    def action_open_schedule(self) -> None:
        s = self.current_schedule()
        view = self.view
        if s is None or view is None:
            return
        group = view.group
        dirs = [
            group.run_dir(m) for m in group.members if m.schedule == s.index and group.run_dir(m).is_dir()
        ]
        if not dirs:
            self.notify(f"#{s.index + 1} has no run yet", severity="warning")
            return
        from lrtui.screens.runs import CompareScreen

        self.app.push_screen(CompareScreen(dirs))

    def action_export(self) -> None:
        if self.view is None:
            return
        self._export(self.view.results)

    @work(thread=True, group="group-export", exit_on_error=False)
    def _export(self, res: Results) -> None:
        from lrtui.sweep.results import export_files

        try:
            paths = export_files(res)
        except OSError as err:
            self.app.call_from_thread(self.notify, f"export failed: {err}", severity="error")
            return
        self.exported = paths
        self.app.call_from_thread(self.notify, "wrote " + " and ".join(str(p) for p in paths))
