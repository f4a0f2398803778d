"""The monitor's metric grid: one small chart per logged scalar the LR/loss/accuracy panels do not show.

Every metric of the run (`snap.metrics`, in name order so `train/...` and `eval/...` tags group), filtered
by a regex (`/` in the monitor, like W&B's terminal viewer), a page at a time (pgup/pgdn). Each chart has
its own log y (`l`) and its own EMA smoothing (`+`/`-` while it has focus; raw by default), and its
caption gives the last and the best value (max for accuracy-like names, min for losses).
"""

from __future__ import annotations

import re

import numpy as np
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Static

from lrtui.plotting.figure import Figure, Series
from lrtui.plotting.ticks import format_si
from lrtui.widgets.runs.metrics import MetricView
from lrtui.widgets.runs.model import EMA_BETAS, EmaCache, Envelope
from lrtui.widgets.runs.panels import ChartPanel

MIN_CHART_WIDTH = 46  # columns a chart needs to read (ticks + a useful canvas)
MIN_CHART_HEIGHT = 9
MAX_COLS = 4
MAX_ROWS = 4


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if not np.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def compile_filter(pattern: str) -> tuple[re.Pattern | None, str | None]:
    """(regex, None), or (None, the error) for a pattern that is not a valid regex."""
    if not pattern:
        return None, None
    try:
        return re.compile(pattern, re.IGNORECASE), None
    except re.error as err:
        return None, f"not a valid regex: {err}"


class MetricChart(ChartPanel):
    """One metric of the grid (the grid assigns `metric`; the chart keeps its own smoothing and log y)."""

    DEFAULT_CSS = """
    MetricChart { height: 1fr; width: 1fr; }
    MetricChart.-empty { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.metric: MetricView | None = None
        self.ema_beta = 0.0
        self._ema = EmaCache()
        self._env = Envelope()
        self._ema_for: tuple | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        return self.metric.name if self.metric is not None else ""

    def key(self, snap: object) -> object:
        m = self.metric
        return (None if m is None else (m.name, m.version), self.ema_beta, self.log_y)

    def set_beta(self, direction: int) -> None:
        betas = list(EMA_BETAS)
        current = min(range(len(betas)), key=lambda i: abs(betas[i] - self.ema_beta))
        self.ema_beta = betas[max(0, min(len(betas) - 1, current + direction))]

    def build(self, snap: object) -> None:
        m = self.metric
        if m is None:
            self.plot.set_figure(Figure())
            self._extra = ""
            return
        series = [
            Series(*m.plot, m.name if self.ema_beta == 0 else "raw", color="gray" if self.ema_beta else None)
        ]
        if self.ema_beta > 0 and m.n:
            key = (m.name, m.version[0], self.ema_beta)
            if key != self._ema_for:
                self._env.reset()
                self._ema_for = key
            ema = self._ema.update(m.values, self.ema_beta, source_id=hash(key))[: m.n]
            series.append(
                Series(*self._env.update(m.steps.astype(np.float64), ema), f"EMA {self.ema_beta:g}")
            )
        self.raw_points = m.n * len(series)
        style = "line" if m.n > 1 else "scatter"
        series = [Series(s.x, s.y, s.label, style=style, color=s.color) for s in series]
        self.plot.set_figure(Figure(series=series, ylabel="", log_y=self.log_y))
        parts = [f"{m.n:,} pts" if m.n != 1 else "1 pt", f"last {_fmt(m.last())}"]
        best = m.best()
        if best is not None:
            parts.append(f"{m.goal} {_fmt(best[0])} @ {format_si(best[1])}")
        parts.append(f"EMA {self.ema_beta:g}" if self.ema_beta else "raw (+ smooths)")
        self._extra = " · ".join(parts)


class MetricsGrid(Vertical):
    """A page of MetricCharts sized to the terminal, over the filtered metrics."""

    DEFAULT_CSS = """
    MetricsGrid { height: 1fr; width: 1fr; }
    MetricsGrid > #grid-status { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    MetricsGrid > #grid-cells { height: 1fr; grid-gutter: 0 1; }
    MetricsGrid > #grid-empty { height: auto; padding: 1 2; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = "metrics") -> None:
        super().__init__(id=id)
        self.pattern = ""
        self.regex: re.Pattern | None = None
        self.filter_error: str | None = None
        self.page = 0
        self.cols = 1
        self.rows = 1
        self.shown: list[MetricView] = []  # every metric that passes the filter (all pages)
        self._metrics: tuple[MetricView, ...] = ()
        self._status = ""
        self.version = -1  # the snapshot metrics_version last shown (the screen compares)

    def compose(self) -> ComposeResult:
        yield Static("", id="grid-status", markup=False)
        yield Grid(id="grid-cells")
        yield Static("", id="grid-empty", markup=False)

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def charts(self) -> list[MetricChart]:
        return list(self.query(MetricChart))

    def on_resize(self) -> None:
        self._layout()

    def _layout(self) -> None:
        width, height = self.size.width, max(self.size.height - 1, 1)
        cols = max(1, min(MAX_COLS, width // MIN_CHART_WIDTH))
        rows = max(1, min(MAX_ROWS, height // MIN_CHART_HEIGHT))
        if (cols, rows) == (self.cols, self.rows) and self.charts():
            return
        first = self.page * self.per_page
        self.cols, self.rows = cols, rows
        self.page = first // self.per_page
        cells = self.query_one("#grid-cells", Grid)
        cells.styles.grid_size_columns = cols
        cells.styles.grid_size_rows = rows
        have = self.charts()
        if len(have) > cols * rows:
            for chart in have[cols * rows :]:
                chart.remove()
        elif len(have) < cols * rows:
            cells.mount_all([MetricChart(id=f"metric-{i}") for i in range(len(have), cols * rows)])
        self.call_after_refresh(self._assign)

    def set_filter(self, pattern: str) -> None:
        self.pattern = pattern
        self.regex, self.filter_error = compile_filter(pattern)
        self.page = 0
        self._assign()

    def turn_page(self, delta: int) -> None:
        pages = max(1, -(-len(self.shown) // max(self.per_page, 1)))
        self.page = max(0, min(pages - 1, self.page + delta))
        self._assign()

    def update_metrics(self, metrics: tuple[MetricView, ...]) -> None:
        self._metrics = metrics
        self._assign()

    def _assign(self) -> None:
        if not self.is_mounted:
            return
        rx = self.regex
        self.shown = [m for m in self._metrics if rx is None or rx.search(m.name)]
        per = max(self.per_page, 1)
        pages = max(1, -(-len(self.shown) // per))
        self.page = min(self.page, pages - 1)
        visible = self.shown[self.page * per : (self.page + 1) * per]
        for i, chart in enumerate(self.charts()):
            metric = visible[i] if i < len(visible) else None
            if metric is None or chart.metric is None or chart.metric.name != metric.name:
                chart.ema_beta = 0.0  # a different metric in this cell: its own settings start fresh
            chart.metric = metric
            chart.set_class(metric is None, "-empty")
        where = f"filter /{self.pattern}/ · " if self.pattern else ""
        if self.filter_error:
            where = f"filter /{self.pattern}/ {self.filter_error} · "
        if self.shown:
            first = self.page * per + 1
            last = first + len(visible) - 1
            status = f"{where}metrics {first}-{last} of {len(self.shown)}"
            if pages > 1:
                status += f" · page {self.page + 1}/{pages} (pgup/pgdn)"
            status += f" · {len(self._metrics)} logged besides the panels · / filters"
        elif self._metrics:
            status = f"{where}no metric matches ({len(self._metrics)} logged) · / changes the filter"
        else:
            status = "no other metrics logged (the LR, loss and accuracy panels show the rest)"
        if status != self._status:  # an update re-lays out: only when the text changed
            self._status = status
            empty = self.query_one("#grid-empty", Static)
            empty.display = not self.shown
            empty.update(status if not self.shown else "")
            self.query_one("#grid-status", Static).update(status)
