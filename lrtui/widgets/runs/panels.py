"""The run monitor's panels. Each takes a `MonitorSnapshot` in `show(snapshot)` and rebuilds only when
the parts it draws changed (versions), so a timer can call every panel cheaply several times a second.

Charts are `CurvePlot`s (decimation happens at render, min/max per column); each chart's caption says
when it is decimated and whether y is logarithmic (`l` on a focused chart toggles it).
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from lrtui.plotting.figure import Figure, Marker, Series, find_nonfinite
from lrtui.plotting.ticks import format_si
from lrtui.runs.listing import schedule_spec
from lrtui.runs.lr_sweep import is_lr_find, sweep_of
from lrtui.runs.status import this_host
from lrtui.runs.text import clean_text
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.runs.device import describe
from lrtui.widgets.runs.follow import MonitorSnapshot
from lrtui.widgets.runs.model import epoch_series, format_acc, format_duration
from lrtui.widgets.safe_text import plain

STATE_STYLE = {
    "queued": ("◌", "blue"),
    "starting": ("◌", "yellow"),
    "running": ("●", "green"),
    "finished": ("✔", "cyan"),
    "stopped": ("■", "yellow"),
    "failed": ("✖", "red"),
    "diverged": ("✖", "red"),
    "lost": ("?", "magenta"),
    "unknown": ("?", "magenta"),
    "unreadable": ("!", "red"),
    "degraded": ("▲", "yellow"),
    "hung": ("‖", "red"),
    # runs of other formats (lrtui.sources): written to recently, or not
    "live": ("●", "green"),
    "idle": ("○", "grey50"),
}


def _marker(step: float, kind: str, label: str) -> Marker:
    return Marker(step, label, kind if kind in ("warmup_end", "milestone", "restart", "end") else "milestone")


class ChartPanel(Vertical):
    """A caption line over a CurvePlot. Subclasses give `key(snap)` (what the figure depends on) and
    `build(snap)`; the screen calls `show(snap)` only for panels whose key changed (`needs(snap)`)."""

    DEFAULT_CSS = """
    ChartPanel { height: 1fr; width: 1fr; }
    ChartPanel > .caption { height: 1; width: 1fr; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    ChartPanel > CurvePlot { height: 1fr; }
    """

    title = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: object = None  # what the current figure was built from
        self._extra = ""
        self.raw_points = 0  # data points behind the figure (before any envelope reduction)
        self._caption_text = ""
        self.plot = CurvePlot(id=f"{id}-plot" if id else None)
        self.caption = Static("", classes="caption", markup=False)

    def compose(self) -> ComposeResult:
        yield self.caption
        yield self.plot

    def on_mount(self) -> None:
        # the decimation note is known only after the plot renders: follow it
        self.watch(self.plot, "decimation", lambda _value: self.refresh_caption(), init=False)

    @property
    def log_y(self) -> bool:
        return self.plot.figure.log_y

    def key(self, snap: MonitorSnapshot) -> object:
        raise NotImplementedError

    def build(self, snap: MonitorSnapshot) -> None:
        raise NotImplementedError

    def needs(self, snap: MonitorSnapshot) -> bool:
        return self.key(snap) != self._key

    def show(self, snap: MonitorSnapshot) -> None:
        key = self.key(snap)
        if key == self._key:
            return
        self._key = key
        self.build(snap)
        self.refresh_caption()
        # The decimation note depends on the render of the figure just set, which comes with the next
        # refresh; the plot's `decimation` watcher misses it when that text does not change.
        self.call_after_refresh(self.refresh_caption)

    def decimation_text(self, short: bool = False) -> str:
        info = self.plot.render_info
        if info is None:
            return ""
        raw = max(self.raw_points, info.points_in)
        if not info.decimated and raw <= info.points_in:
            return ""
        if short:
            return f"{format_si(raw)} pts→{info.canvas_width} cols"
        return f"decimated: {format_si(raw)} points → {info.canvas_width} columns"

    def caption_text(self, width: int | None = None) -> str:
        """The caption; where `width` is too narrow the decimation note shortens, then goes."""
        parts = [self.title]
        if self._extra:
            parts.append(self._extra)
        if self.log_y:
            parts.append("log y")
        text = ""
        for decimation in (self.decimation_text(), self.decimation_text(short=True), ""):
            text = " · ".join([*parts, decimation] if decimation else parts)
            if not width or len(text) <= width:
                break
        return text

    def on_resize(self) -> None:
        self.refresh_caption()

    def refresh_caption(self) -> None:
        text = self.caption_text(self.caption.size.width)
        if text != self._caption_text:  # an update re-lays out the screen: skip when nothing changed
            self._caption_text = text
            self.caption.update(plain(text), layout=False)  # one fixed line: no re-layout needed


def _count_in(steps: np.ndarray, x_range: tuple[float, float] | None) -> int:
    """How many of the (sorted) steps fall inside the zoom window."""
    if x_range is None:
        return int(steps.size)
    lo = np.searchsorted(steps, x_range[0], side="left")
    hi = np.searchsorted(steps, x_range[1], side="right")
    return int(hi - lo)


class LrPanel(ChartPanel):
    """LR as logged vs the engine's plan, with a warmup zoom and a caption flag when they differ."""

    title = "LR actual/planned"

    def __init__(self, *, id: str | None = "lr") -> None:
        super().__init__(id=id)
        self.warmup_zoom = False
        self.group = 0

    def zoom_range(self, snap: MonitorSnapshot) -> tuple[float, float] | None:
        if not self.warmup_zoom:
            return None
        end = snap.planned.warmup_end
        total = snap.planned.total_steps or (int(snap.steps[-1]) + 1 if snap.n else 0)
        if end is None or end <= 0:
            spe = max(snap.planned.steps_per_epoch, 1)
            end = max(min(total * 0.05, 5 * spe), min(spe, total), 10)
            return (0.0, float(end))
        return (0.0, float(end) * 1.5)

    def key(self, snap: MonitorSnapshot) -> object:
        return (snap.steps_version, id(snap.planned), self.warmup_zoom, self.group, snap.lr_check, self.log_y)

    def build(self, snap: MonitorSnapshot) -> None:
        planned = snap.planned.lr
        groups = max(len(snap.lr), 0 if planned is None else planned.shape[0])
        self.group = min(self.group, max(groups - 1, 0))
        x_range = self.zoom_range(snap)
        series = []
        raw = 0
        inferred = snap.planned.source == "inferred"
        if self.group < len(snap.planned_plot):
            x, y = snap.planned_plot[self.group]
            series.append(Series(x, y, "inferred" if inferred else "planned"))
            if planned is not None:
                n_planned = planned.shape[1]
                raw += (
                    n_planned
                    if x_range is None
                    else max(0, min(n_planned - 1, int(x_range[1])) - max(0, int(np.ceil(x_range[0]))) + 1)
                )
        if self.group < len(snap.lr_plot) and len(snap.lr[self.group]):
            x, y = snap.lr_plot[self.group]
            label = "actual"
            if snap.source_format != "lrtui" and self.group < len(snap.panel_series):
                label = snap.panel_series[self.group].name  # the metric's own name: lr-SGD, learning_rate
            series.append(Series(x, y, label))
            steps = snap.steps
            if snap.source_format != "lrtui" and self.group < len(snap.panel_series):
                steps = snap.panel_series[self.group].steps  # each LR group has its own steps
            raw += _count_in(steps, x_range)
        self.raw_points = raw
        markers = [_marker(*m) for m in snap.planned.markers]
        check = snap.lr_check
        if not check.ok and check.first_step is not None:
            markers.append(Marker(check.first_step, "differs", "milestone"))
        # A logged lr of inf/NaN is not drawn: a red line marks where it starts, the caption says it.
        overflow = find_nonfinite(snap.steps, snap.lr[self.group]) if self.group < len(snap.lr) else None
        if overflow is not None:
            markers.append(Marker(overflow.x, overflow.marker_label, "overflow"))
        self.plot.set_figure(
            Figure(series=series, markers=markers, ylabel="lr", log_y=self.log_y, x_range=x_range)
        )
        # An overflow first: it explains the curve that stops, and a narrow panel cuts the caption's end.
        extra = [overflow.note("lr")] if overflow is not None else []
        if groups > 1:
            extra.append(f"group {self.group + 1}/{groups} (g)")
        if self.warmup_zoom:
            extra.append("warmup zoom (w)")
        if snap.source_format != "lrtui":  # a foreign log declares no plan: the doctor infers one
            self.title = "LR"
        if snap.source_format != "lrtui" and not snap.lr:
            extra.append("no LR logged")
        elif planned is None:
            extra.append(f"no plan: {snap.planned.reason}" if snap.planned.reason else "no plan")
        elif inferred:
            conf = f" {snap.planned.confidence:.0%}" if snap.planned.confidence is not None else ""
            extra.append(f"no plan declared; inferred: {snap.planned.title}{conf} (d: doctor)")
        elif check.ok and check.compared:
            extra.append(f"matches plan ({check.compared:,} steps)")
        elif not check.ok:
            extra.append("⚠ DIFFERS from plan (d: doctor)")
        self._extra = " · ".join(extra)


def _last_finite(values: np.ndarray) -> float | None:
    tail = values[-4096:]
    finite = np.flatnonzero(np.isfinite(tail))
    return float(tail[finite[-1]]) if finite.size else None


class LossPanel(ChartPanel):
    """Loss per step (raw) with a debiased EMA (computed in the worker; β set with -/+)."""

    title = "loss"

    def __init__(self, *, id: str | None = "loss") -> None:
        super().__init__(id=id)

    def key(self, snap: MonitorSnapshot) -> object:
        return (snap.loss_version, self.log_y)

    def build(self, snap: MonitorSnapshot) -> None:
        series = []
        n = int(snap.loss.size)  # foreign runs log the loss at its own steps (not snap.n of them)
        if n and snap.loss_plot is not None:
            series.append(Series(*snap.loss_plot, "loss", color="gray"))
        if n and snap.ema_plot is not None:
            series.append(Series(*snap.ema_plot, f"EMA {snap.ema_beta:g}"))
        self.raw_points = n * len(series)
        self.plot.set_figure(Figure(series=series, ylabel="loss", log_y=self.log_y))
        parts = []
        if snap.source_format != "lrtui":
            loss_names = [m.name for m in snap.panel_series if m.values is snap.loss]
            if loss_names:
                parts.append(loss_names[0])
            elif not n:
                parts.append("no training loss logged")
        # foreign runs log the loss at its own steps (its series in panel_series); lrtui runs at snap.steps
        loss_steps = next((m.steps for m in snap.panel_series if m.values is snap.loss), snap.steps)
        last = _last_finite(snap.loss) if n else None
        overflow = find_nonfinite(loss_steps, snap.loss) if n else None
        if overflow is not None:
            parts.append(overflow.note(""))  # "NaN from step 130": the caption starts with "loss"
        if last is not None and (overflow is None or not overflow.to_end):
            parts.append(f"last {last:.4g}")
        parts.append(f"EMA β={snap.ema_beta:g} (-/+)" if snap.ema_beta > 0 else "no smoothing (+)")
        self._extra = " · ".join(parts)


class AccuracyPanel(ChartPanel):
    """Train and test accuracy per epoch (percent)."""

    title = "accuracy"

    def __init__(self, *, id: str | None = "accuracy") -> None:
        super().__init__(id=id)

    def key(self, snap: MonitorSnapshot) -> object:
        return (snap.epochs_version, self.log_y)

    def build(self, snap: MonitorSnapshot) -> None:
        if snap.source_format != "lrtui":
            self._build_steps(snap)
            return
        series = []
        for name in ("train_acc", "test_acc"):
            xs, ys = epoch_series(list(snap.epochs), name)
            if xs.size:
                style = "line" if xs.size > 1 else "scatter"
                series.append(Series(xs, 100 * ys, name.replace("_acc", ""), style=style))
        self.raw_points = 0
        self.plot.set_figure(Figure(series=series, xlabel="epoch", ylabel="acc %", log_y=self.log_y))
        xs, ys = epoch_series(list(snap.epochs), "test_acc")
        if ys.size:
            best = int(np.argmax(ys))
            self._extra = f"test {format_acc(ys[-1])} (best {format_acc(ys[best])} @ epoch {int(xs[best])})"
        else:
            self._extra = "no epoch finished yet"

    def _build_steps(self, snap: MonitorSnapshot) -> None:
        """Foreign runs: every accuracy-like metric over steps (fractions shown as percent)."""
        series = []
        fractions = all(
            not m.values.size or np.nanmax(np.abs(np.where(np.isfinite(m.values), m.values, 0))) <= 1.0
            for m in snap.acc_series
        )
        scale = 100.0 if fractions else 1.0
        for m in snap.acc_series:
            x, y = m.plot
            series.append(Series(x, scale * np.asarray(y), m.name, style="line" if m.n > 1 else "scatter"))
        self.raw_points = 0
        self.plot.set_figure(
            Figure(series=series, xlabel="step", ylabel="acc %" if fractions else "acc", log_y=self.log_y)
        )
        parts = []
        for m in snap.acc_series[:2]:
            last, best = m.last(), m.best()
            if last is None:
                continue
            text = f"{m.name} {scale * last:.4g}{'%' if fractions else ''}"
            if best is not None:
                text += f" (best {scale * best[0]:.4g} @ {best[1]:,})"
            parts.append(text)
        self._extra = " · ".join(parts) if parts else "no accuracy logged"


class LrAlarm(Static):
    """A full-width alarm when the logged LR differs from the plan, naming the likely mistake."""

    DEFAULT_CSS = """
    LrAlarm { height: auto; max-height: 3; width: 1fr; color: $error; text-style: bold; display: none; }
    LrAlarm.shown { display: block; }
    """

    def __init__(self, *, id: str | None = "lr-alarm", hint: str = "") -> None:
        super().__init__("", id=id, markup=False)
        self._key: object = None
        self.hint = hint  # the key that explains the alarm (the monitor's "d: LR doctor"), said in the alarm

    def show(self, snap: MonitorSnapshot) -> None:
        check = snap.lr_check
        if check == self._key:
            return
        self._key = check
        hint = f" ({self.hint})" if self.hint else ""
        self.update("" if check.ok else "⚠ " + check.message() + hint)
        self.set_class(not check.ok, "shown")


class ProgressLine(Static):
    """A progress bar drawn as text, with epoch/step counters, images/s and the ETA."""

    DEFAULT_CSS = "ProgressLine { height: 1; width: 1fr; }"

    def __init__(self, *, id: str | None = "progress") -> None:
        super().__init__("", id=id, markup=False)
        self._snap: MonitorSnapshot | None = None
        self._plain = ""

    def show(self, snap: MonitorSnapshot) -> None:
        if (
            self._snap is not None
            and (self._snap.steps_version, self._snap.epochs_version, self._snap.state)
            == (snap.steps_version, snap.epochs_version, snap.state)
            and self._snap.progress == snap.progress
        ):
            return
        self._snap = snap
        self._update_text()

    def on_resize(self) -> None:
        if self._snap is not None:
            self._update_text()

    def _update_text(self) -> None:
        text = self.text(self.size.width or 80)
        if text.plain != self._plain:
            self._plain = text.plain
            self.update(text, layout=False)

    def text(self, width: int) -> Text:
        p = self._snap.progress if self._snap else None
        if p is None:
            return Text("")
        parts = []
        if p.total_epochs:
            parts.append(f"epoch {p.epoch or 0}/{p.total_epochs}")
        if p.step is not None:
            parts.append(f"step {p.step:,}" + (f"/{p.total_steps:,}" if p.total_steps else ""))
        if p.images_per_s:
            parts.append(f"{p.images_per_s:,.0f} img/s")
        if p.eta_s is not None:
            parts.append(f"ETA {format_duration(p.eta_s)}")
        counters = "  ".join(parts)
        fraction = p.fraction
        pct = "" if fraction is None else f" {100 * fraction:3.0f}%"
        bar_width = max(0, min(40, width - len(counters) - len(pct) - 2))
        text = Text()
        if fraction is not None and bar_width >= 5:
            filled = round(fraction * bar_width)
            text.append("━" * filled, style="green" if fraction < 1 else "cyan")
            text.append("━" * (bar_width - filled), style="grey30")
            text.append(pct + " ")
        elif pct:
            text.append(pct.strip() + " ")
        text.append(counters)
        return text


class StateLine(Static):
    """The run's state, with the error text when it failed or diverged."""

    DEFAULT_CSS = "StateLine { height: auto; max-height: 4; width: 1fr; }"

    def __init__(self, *, id: str | None = "state") -> None:
        super().__init__("", id=id, markup=False)
        self._key: object = None
        self._text: Text | None = None

    def show(self, snap: MonitorSnapshot) -> None:
        health = snap.ranks
        key = (snap.status_version, snap.state, snap.config_error, snap.skipped, health and health.message)
        if key == self._key:
            return
        self._key = key
        symbol, color = STATE_STYLE.get(snap.state, ("?", "magenta"))
        text = Text()
        text.append(f"{symbol} {snap.state}", style=f"bold {color}")
        status = snap.status
        pid, host = status.get("pid"), status.get("host")
        # Every piece below comes from the run's files: control characters out (clean_text) before display.
        if snap.live and isinstance(pid, int):
            text.append(clean_text(f"  pid {pid}" + (f" on {host}" if host else "")), style="dim")
        message = status.get("message")
        if isinstance(message, str) and message.strip() and snap.state not in ("failed", "diverged"):
            text.append(clean_text(f"  {message.strip().splitlines()[-1]}"), style="dim")
        if health is not None and health.message:  # a job's ranks first: who died, who the others wait for
            rank_style = {"hung": "bold red", "degraded": "bold yellow"}.get(snap.state, f"bold {color}")
            text.append(clean_text(f"  {health.message}"), style=rank_style)
        error = snap.error_text() if snap.state in ("failed", "diverged", "lost", "stopped") else None
        if error:
            lines = error.splitlines()
            shown = lines[-1] if len(lines) > 1 else error
            text.append(clean_text(f"  {shown}"), style=f"bold {color}" if health is None else color)
        if snap.state == "lost":
            text.append("  (no live writer: the process is gone or stopped updating)", style="magenta")
        if snap.config_error:
            text.append(clean_text(f"  config: {snap.config_error}"), style="yellow")
        if snap.skipped:
            text.append(f"  ({snap.skipped} unreadable records skipped)", style="dim")
        if text == self._text:  # status.json is rewritten on every flush; mostly nothing shown changed
            return
        # A new layout (a full-screen recompose) only when the line count may change: the text wraps.
        relayout = self._lines(text) != self._lines(self._text)
        self._text = text
        self.update(text, layout=relayout)

    def _lines(self, text: Text | None) -> int:
        if text is None:
            return -1
        return len(text.wrap(self.app.console, max(self.size.width, 1)))


class DevicePanel(Static):
    """Where the run trains and what the machine is doing (NVML GPU view, else CPU)."""

    DEFAULT_CSS = "DevicePanel { height: 1fr; width: 1fr; padding: 0 1; }"

    def __init__(self, *, id: str | None = "device") -> None:
        super().__init__("", id=id, markup=False)
        self._key: object = None

    def show(self, snap: MonitorSnapshot) -> None:
        run_device = None
        for ev in reversed(snap.events):
            if ev.get("event") == "device":
                run_device = ev.get("device") or ev.get("message")
                break
        if run_device is None:
            device = snap.config.get("device") if isinstance(snap.config, dict) else None
            run_device = device if isinstance(device, str) else "unknown"
            if snap.source_format != "lrtui" and not isinstance(device, str):
                run_device = "(not in the log)"
        key = (run_device, snap.device, snap.state)
        if key == self._key:
            return
        self._key = key
        text = Text()
        text.append("device", style="bold")
        text.append(f"  run on {clean_text(run_device)}\n")
        if snap.device is None:
            text.append("machine sampling off" if not snap.live else "(sampling…)", style="dim")
        else:
            text.append("\n".join(describe(snap.device)), style="")
        host = snap.status.get("host") if isinstance(snap.status, dict) else None
        if isinstance(host, str) and host and host != this_host():
            text.append(
                f"\n(the run is on host {clean_text(host)}; figures above are this machine's)", style="dim"
            )
        self.update(text, layout=False)  # a fixed-size grid cell: new figures never change the layout


def info_lines(snap: MonitorSnapshot) -> str:
    """One line about the run: model, dataset, schedule and id (format and name for foreign logs)."""
    config = snap.config if isinstance(snap.config, dict) else {}
    if snap.source_format != "lrtui":
        parts = [snap.display_name]
        for key in ("model", "architecture"):
            value = config.get(key)
            if isinstance(value, str) and value:
                parts.append(value)
        if config:
            shown = [
                f"{k}={v}"
                for k, v in config.items()
                if k not in ("model", "architecture") and isinstance(v, (int, float, str))
            ][:4]
            if shown:
                parts.append(" ".join(shown))
        return " · ".join(parts)
    parts = []
    for key in ("name", "model", "dataset"):
        value = config.get(key)
        if isinstance(value, str) and value:
            parts.append(value)
    schedule = config.get("schedule")
    spec = schedule_spec(config)
    if is_lr_find(config):  # an LR range test: its sweep, not the schedule of the training it prepares
        sweep, _ = sweep_of(config)
        parts.append(f"LR range test {sweep.describe()}" if sweep else "LR range test")
        parts.append(snap.run_id)
        return " · ".join(parts)
    if isinstance(spec, str):
        parts.append(spec or "constant LR")
    if isinstance(schedule, dict) and schedule.get("stepping") in ("step", "epoch"):
        parts.append(f"per {schedule['stepping']}")
    parts.append(snap.run_id)
    return " · ".join(parts)


__all__ = [
    "AccuracyPanel",
    "ChartPanel",
    "DevicePanel",
    "LossPanel",
    "LrAlarm",
    "LrPanel",
    "ProgressLine",
    "StateLine",
    "info_lines",
]
