"""Panels of an LR range test's monitor: the loss against the LR (log x) with the suggestions marked, and the
suggestions as text — with their band, the measured noise, the verdict and what to do about it.

Both draw `snap.lr_find` (a `lrtui.schedules.lr_suggest.Analysis`, recomputed by the follower's worker as
steps arrive), so what they show is what `lrtui find-lr` prints and `lrtui.find_lr` returns.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.widgets import Static

from lrtui.plotting.figure import Figure, Marker, Series
from lrtui.runs.lr_sweep import sweep_of
from lrtui.schedules.lr_suggest import HANDOFF_TARGETS, Analysis, Suggestion
from lrtui.widgets.runs.follow import MonitorSnapshot
from lrtui.widgets.runs.panels import ChartPanel

# marker kind (colour) and short label per suggestion
MARKS = {
    "steepest": ("warmup_end", "steep"),
    "valley": ("restart", "valley"),
    "minimum": ("milestone", "min/10"),
    "centre": ("end", "centre"),
}
# What `n` cycles through. Steepest first: in tests/training/test_lr_find_proof.py it (and the band centre)
# beat 10x lower and 10x higher LRs in real short trainings, where valley and min/10 were conservative.
CHOICES = ("steepest", "valley", "minimum", "centre")


def choices(analysis: Analysis | None) -> list[Suggestion]:
    """The suggestions one can hand to the preview, in CHOICES order; "centre" is the band's geometric mean."""
    if analysis is None:
        return []
    out = [s for name in CHOICES if name != "centre" and (s := analysis.get(name)) is not None]
    centre = analysis.centre
    if centre is not None and len(out) > 1:
        x = analysis.x[: analysis.smoothed.size]
        j = int(np.clip(np.searchsorted(x, centre), 0, max(x.size - 1, 0))) if x.size else 0
        loss = float(analysis.smoothed[j]) if analysis.smoothed.size else float("nan")
        out.append(Suggestion("centre", centre, j, centre, loss))
    return out


def choice_label(s: Suggestion) -> str:
    return "band centre" if s.name == "centre" else s.label


def _y_range(analysis: Analysis) -> tuple[float, float] | None:
    """Keep the interesting part in view: from below the lowest point to above the start plateau (the blow-up
    at the end would otherwise squash the descent into one row)."""
    lo, hi = analysis.window
    s = analysis.smoothed[lo:hi]
    raw = analysis.losses[lo:hi]
    raw = raw[np.isfinite(raw)]
    if s.size < 2 or raw.size < 2:
        return None
    top = float(np.max(s[: int(np.argmin(s)) + 1]))
    bottom = float(min(np.min(s), np.quantile(raw, 0.02)))
    span = max(top - bottom, 1e-12)
    return bottom - 0.05 * span, top + 0.35 * span


class LossVsLrPanel(ChartPanel):
    """Raw loss (grey) and its smoothing against the LR on a log axis; suggestions as vertical markers."""

    title = "loss vs LR"

    def __init__(self, *, id: str | None = "loss-lr") -> None:
        super().__init__(id=id)
        self.chosen = 0  # index into choices(analysis)

    def key(self, snap: MonitorSnapshot) -> object:
        return (snap.lr_find_version, self.chosen, self.log_y)

    def build(self, snap: MonitorSnapshot) -> None:
        a: Analysis | None = snap.lr_find
        series, markers = [], []
        x_range = y_range = None
        if a is not None and a.losses.size:
            n = min(a.lrs.size, a.losses.size)
            series.append(Series(a.lrs[:n], a.losses[:n], "loss", color="gray"))
            m = a.smoothed.size
            if m:
                series.append(Series(a.x[:m], a.smoothed, f"EMA β={a.beta:.2f}"))
            options = choices(a)
            for i, s in enumerate(options):
                kind, short = MARKS[s.name]
                label = f"{'▶' if i == self.chosen % max(len(options), 1) else ''}{short} {s.lr:.2g}"
                markers.append(Marker(s.lr, label, kind))
            if not self.log_y:
                y_range = _y_range(a)
        sweep, _ = sweep_of(snap.config)
        if sweep is not None:  # the whole sweep from the start: the curve grows into a stable axis
            x_range = (sweep.start_lr, sweep.end_lr)
        self.raw_points = sum(len(s) for s in series)
        self.plot.set_figure(
            Figure(
                series=series,
                markers=markers,
                xlabel="lr",
                ylabel="loss",
                log_x=True,
                log_y=self.log_y,
                x_range=x_range,
                y_range=y_range,
            )
        )
        parts = []
        if a is not None and a.smoothed.size:
            parts.append(f"smoothing β={a.beta:.2f} (-/+, a: auto)")
            if a.cut is not None:
                parts.append(f"loss not finite from step {a.cut}")
        self._extra = " · ".join(parts)


class SuggestionsPanel(Static):
    """The suggestions, the chosen one (n), their band, the verdict with its numbers, and the hand-off."""

    DEFAULT_CSS = "SuggestionsPanel { height: 1fr; width: 1fr; padding: 0 1; overflow-y: auto; }"

    def __init__(self, *, id: str | None = "suggestions") -> None:
        super().__init__("", id=id, markup=False)
        self.chosen = 0
        self.target = "onecycle"
        self._key: object = None

    def current(self, snap: MonitorSnapshot | None) -> Suggestion | None:
        options = choices(snap.lr_find if snap is not None else None)
        return options[self.chosen % len(options)] if options else None

    def show(self, snap: MonitorSnapshot) -> None:
        key = (snap.lr_find_version, self.chosen, self.target, snap.state, self.size)
        if key == self._key:
            return
        self._key = key
        self._snap = snap
        self.update(self.text(snap))

    def on_resize(self) -> None:
        if getattr(self, "_snap", None) is not None:
            self.show(self._snap)

    def text(self, snap: MonitorSnapshot) -> Text:
        """Most useful first (a short panel cuts the end): the choices, the verdict, the hand-off, the band,
        then the warnings with their numbers."""
        a: Analysis | None = snap.lr_find
        out = Text()
        if a is None:
            out.append("waiting for the first steps…", style="dim")
            return out
        options = choices(a)
        chosen = self.current(snap)
        height = self.size.height
        if height and height < len(options) + 3 + len(a.warnings):  # short: all choices on one line
            for i, s in enumerate(options):
                out.append(" · " if i else "", style="dim")
                out.append(
                    ("▶ " if s is chosen else "") + f"{MARKS[s.name][1]} {s.lr:.3g}",
                    style="bold" if s is chosen else "",
                )
            out.append("\n" if options else "")
        else:
            for s in options:
                mark = "▶ " if s is chosen else "  "
                out.append(f"{mark}{choice_label(s):<17} {s.lr:9.3g}\n", style="bold" if s is chosen else "")
        if not options and snap.live:  # the verdict on a curve still being drawn would only alarm
            out.append(
                f"sweeping… {a.losses.size} steps so far; suggestions appear once the loss falls", style="dim"
            )
            return out
        out.append(
            ("✔ " if a.reliable else "⚠ ") + a.verdict() + "\n", style="green" if a.reliable else "yellow"
        )
        if chosen is not None:
            other = next(t for t in HANDOFF_TARGETS if t != self.target)
            out.append(f"⏎ preview {HANDOFF_TARGETS[self.target]} = {chosen.lr:.3g}", style="bold cyan")
            out.append(f"  (n next · o {HANDOFF_TARGETS[other]})\n", style="cyan")
        band = a.band
        if band is not None and len(options) > 1:
            out.append(
                f"band {band[0]:.3g} … {band[1]:.3g}: {a.spread_decades:.2f} decades apart\n", style="dim"
            )
        for w in a.warnings:
            out.append(f"⚠ {w}\n", style="yellow")
        out.rstrip()
        return out
