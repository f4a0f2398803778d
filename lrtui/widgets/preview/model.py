"""What the preview shows, computed from its state (numpy only; no Textual, no torch): the view model of
`PreviewScreen`.

`View` is the screen's whole display state (curve, pins, x unit, zoom, cursor step, ...), frozen; the screen
holds one and replaces it on every change (`dataclasses.replace`), and one watcher redraws from it. The
functions here turn a View into what the widgets draw — series (the zoom window, min/max-decimated once per
curve), markers (too many hide the curve: dense milestones are left out and said so), the x range of a
zoom, the status line, the cursor readout — and move the cursor: by exact optimizer steps (or epochs on the
epoch axis), by plot columns, to a typed step or epoch, from marker to marker.

The cursor is an optimizer step, never a point index: a 1M-step curve is drawn from ~4k points, but the
cursor still lands on step 500 and reads that step's exact LR from the engine's curve.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from lrtui.plotting.decimate import minmax_indices
from lrtui.plotting.figure import Marker, NonFinite, Series, find_nonfinite
from lrtui.schedules.evaluate import Curve
from lrtui.schedules.plan import Plan

MAX_MARKERS = 60
MAX_LABELLED_MARKERS = 12
ZOOMS = ("full", "warmup", "first")
DRAW_POINTS = 4096  # points per series handed to the plot (min/max decimated once per curve)
X_UNITS = ("steps", "epochs")


@dataclass(frozen=True)
class Pin:
    label: str
    plan: Plan
    curve: Curve


@dataclass(frozen=True)
class CursorInfo:
    step: int
    total: int
    epoch: float
    lrs: tuple[float, ...]
    momentum: tuple[float, ...] | None = None
    momentum_name: str = "momentum"
    steps_per_epoch: int = 1


@dataclass(frozen=True)
class LegendEntry:
    label: str
    detail: str
    current: bool = False
    value: float | None = None  # the series' LR at the cursor


@dataclass(frozen=True, eq=False)
class View:
    """Everything the preview draws from. Replace it (dataclasses.replace) to change what is shown."""

    curve: Curve | None = None
    pins: tuple[Pin, ...] = ()
    pin_label: str | None = None  # the loaded preset's title: names the current curve and its pin
    x_unit: str = "steps"  # "steps" | "epochs"
    zoom: str = "full"  # "full" | "warmup" | "first"
    cursor: int | None = None  # the optimizer step under the cursor
    show_momentum: bool = False
    error: str | None = None  # the current edit's error: the drawn curve is the last valid one
    lints: tuple = ()
    overflow: NonFinite | None = None  # where the curve's lr first is inf/NaN (x in steps): set by with_curve

    def with_curve(self, curve: Curve | None) -> View:
        """A new curve: the cursor stays on its step (clamped), the zoom on its kind."""
        cursor = self.cursor
        if curve is not None and cursor is not None:
            cursor = min(max(cursor, 0), curve.n - 1)
        zoom = (
            self.zoom if curve is None or self.zoom != "warmup" or warmup_end(curve) is not None else "full"
        )
        overflow = None if curve is None else curve_overflow(curve)
        return replace(self, curve=curve, cursor=cursor, zoom=zoom, overflow=overflow)


# -- x axis ----------------------------------------------------------------------------------------------


def x_scale(view: View, curve: Curve | None = None) -> float:
    """Plot x per optimizer step (1, or 1/steps_per_epoch when x is in epochs)."""
    curve = curve or view.curve
    if view.x_unit == "steps" or curve is None:
        return 1.0
    return 1.0 / curve.plan.steps_per_epoch


def curve_overflow(curve: Curve) -> NonFinite | None:
    """The first step where some group's lr is inf or NaN (None when every value is finite)."""
    if curve.finite:
        return None
    found = [f for f in (find_nonfinite(curve.steps, lr) for lr in curve.lr) if f is not None]
    return min(found, key=lambda f: f.x) if found else None


def warmup_end(curve: Curve) -> float | None:
    ends = [m.step for m in curve.markers if m.kind == "warmup_end" and m.step > 0]
    return min(ends) if ends else None


def first_steps(curve: Curve) -> int:
    """The steps the 'first' zoom shows: 5% of the curve, at least 10."""
    return max(10, curve.n // 20)


def x_range(view: View) -> tuple[float, float] | None:
    """The zoom window in plot x. The whole curve spans [0, n) steps: the axis ends at n, the number of
    steps the status line gives (the last step drawn is n − 1)."""
    curve = view.curve
    if curve is None:
        return None
    scale = x_scale(view)
    if view.zoom == "full":
        return (0.0, curve.n * scale)
    if view.zoom == "warmup":
        end = warmup_end(curve)
        if end is None:
            return None
        return (0.0, min(curve.n - 1, max(end * 1.25, end + 2)) * scale)
    return (0.0, min(curve.n - 1, first_steps(curve)) * scale)


def visible_steps(view: View) -> tuple[int, int]:
    """First and last optimizer step inside the zoom window."""
    curve = view.curve
    if curve is None:
        return 0, 0
    window = x_range(view)
    if window is None or view.zoom == "full":
        return 0, curve.n - 1
    scale = x_scale(view)
    return max(0, math.ceil(window[0] / scale - 1e-9)), min(curve.n - 1, math.floor(window[1] / scale + 1e-9))


def next_zoom(view: View) -> str:
    order = list(ZOOMS)
    nxt = order[(order.index(view.zoom) + 1) % len(order)]
    if nxt == "warmup" and (view.curve is None or warmup_end(view.curve) is None):
        nxt = "first"
    return nxt


def zoom_label(view: View) -> str:
    curve = view.curve
    if view.zoom == "warmup":
        return "warmup"
    if curve is None:
        return view.zoom
    return f"first {first_steps(curve):,} steps"


# -- series and legend -------------------------------------------------------------------------------------


def thin(view: View, curve: Curve, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) to hand to the plot: the zoom window, min/max-decimated to DRAW_POINTS at most.

    The plot decimates again to its column count at every render; doing the heavy 1M -> 4k pass once per
    curve keeps renders cheap. x values are real step numbers (× the x scale)."""
    scale = x_scale(view, curve)
    lo, hi = 0, curve.n
    window = x_range(view)
    if window is not None:
        lo = max(0, math.floor(window[0] / scale) - 1)
        hi = min(curve.n, math.ceil(window[1] / scale) + 2)
    part = y[lo:hi]
    idx = minmax_indices(part, DRAW_POINTS // 2) if part.size > DRAW_POINTS else np.arange(part.size)
    return (idx + lo) * scale, part[idx]


def _current_pin(view: View) -> int | None:
    curve = view.curve
    return next((i for i, p in enumerate(view.pins) if curve is not None and p.plan == curve.plan), None)


def sources(view: View) -> list[tuple[Curve, int]]:
    """(curve, param group) of every drawn line: the current curve's groups first, then the other pins."""
    curve = view.curve
    if curve is None:
        return []
    current = _current_pin(view)
    out = [(curve, g) for g in range(curve.lr.shape[0])]
    out += [(p.curve, 0) for i, p in enumerate(view.pins) if i != current]
    return out


def series(view: View, colors) -> list[Series]:
    """The lines to draw, in `sources` order; colors(i) gives line i's colour."""
    return [Series(*thin(view, c, c.lr[g]), color=colors(i)) for i, (c, g) in enumerate(sources(view))]


def momentum_series(view: View) -> list[Series]:
    curve = view.curve
    if curve is None or curve.momentum is None:
        return []
    return [Series(*thin(view, curve, curve.momentum[g])) for g in range(curve.momentum.shape[0])]


def legend(view: View) -> list[LegendEntry]:
    """One entry per drawn line (current groups, then pins), each with its LR at the cursor."""
    curve = view.curve
    if curve is None:
        return []
    current = _current_pin(view)
    name = view.pin_label or str(curve.plan.spec)
    groups = curve.lr.shape[0]
    entries: list[LegendEntry] = []
    for g in range(groups):
        suffix = f" lr[{g}]" if groups > 1 else ""
        note = f"= pin {current + 1} · " if current is not None else ""
        entries.append(LegendEntry(f"current{suffix}", f"{note}{name}", current=True))
    entries += [LegendEntry(f"pin {i + 1}", p.label) for i, p in enumerate(view.pins) if i != current]
    info = cursor_info(view)
    if info is None or len(entries) < 2:
        return entries
    for i, (c, g) in enumerate(sources(view)):
        # pins are read at the same step, or at the same epoch when x is in epochs
        idx = info.step if view.x_unit == "steps" else round(info.epoch * c.plan.steps_per_epoch)
        entries[i] = replace(entries[i], value=float(c.lr[g, min(max(idx, 0), c.n - 1)]))
    return entries


# -- markers -----------------------------------------------------------------------------------------------


def marker_kind(kind: str) -> str:
    return kind if kind in ("warmup_end", "milestone", "restart", "end") else "milestone"


def markers(view: View, plot_width: int) -> tuple[list[Marker], int]:
    """Warmup end, milestones, restarts and the nominal end in the plot's x unit, and how many milestones
    were left out: past one line per ~6 columns they would hide the curve (labels go past a dozen)."""
    curve = view.curve
    if curve is None:
        return [], 0
    scale = x_scale(view)
    lo, hi = x_range(view) or (0.0, curve.n * scale)
    found = [m for m in curve.markers if lo <= m.step * scale <= hi]
    hidden = 0
    room = max(3, (plot_width - 10) // 6)
    if len(found) > room:
        dense = [m for m in found if m.kind in ("milestone", "restart")]
        hidden = len(dense)
        found = [m for m in found if m.kind not in ("milestone", "restart")]
    found = found[:MAX_MARKERS]
    label = len(found) <= MAX_LABELLED_MARKERS
    out = [Marker(m.step * scale, m.label if label else "", marker_kind(m.kind)) for m in found]
    overflow = view.overflow
    if overflow is not None and lo <= overflow.x * scale <= hi:  # where the lr stops being drawable
        out.append(Marker(overflow.x * scale, overflow.marker_label, "overflow"))
    return out, hidden


def marker_steps(curve: Curve) -> list[int]:
    """The optimizer steps of the curve's markers (warmup end, milestones, restarts, end) inside it."""
    steps = {min(max(round(m.step), 0), curve.n - 1) for m in curve.markers if math.isfinite(m.step)}
    return sorted(steps)


# -- the cursor ----------------------------------------------------------------------------------------------


def cursor_info(view: View) -> CursorInfo | None:
    curve, step = view.curve, view.cursor
    if curve is None or curve.draft or step is None or not 0 <= step < curve.n:
        return None  # (a draft's digits are not torch's: the readout waits for the exact curve)
    mom = None if curve.momentum is None else tuple(float(v) for v in curve.momentum[:, step])
    return CursorInfo(
        step=step,
        total=curve.n,
        epoch=step / curve.plan.steps_per_epoch,
        lrs=tuple(float(v) for v in curve.lr[:, step]),
        momentum=mom,
        momentum_name=curve.momentum_name,
        steps_per_epoch=curve.plan.steps_per_epoch,
    )


def unit_steps(view: View) -> int:
    """Optimizer steps in one cursor step: 1, or an epoch on the epoch axis."""
    curve = view.curve
    return curve.plan.steps_per_epoch if view.x_unit == "epochs" and curve is not None else 1


def _clamp(view: View, step: int) -> int:
    lo, hi = visible_steps(view)
    return min(max(step, lo), hi)


def _start(view: View, forward: bool) -> int | None:
    """The cursor's step, or where a first move puts it (the window's first or last step)."""
    if view.curve is None:
        return None
    if view.cursor is not None:
        return view.cursor
    lo, hi = visible_steps(view)
    return lo if forward else hi


def move_by_units(view: View, units: int) -> int | None:
    """The step `units` steps (or epochs on the epoch axis) from the cursor, inside the zoom window.
    On the epoch axis the cursor moves from epoch start to epoch start."""
    start = _start(view, units > 0)
    if start is None:
        return None
    if view.cursor is None:
        return start
    size = unit_steps(view)
    if size == 1:
        return _clamp(view, start + units)
    base = (start // size) * size
    if units < 0 and start != base:  # back to this epoch's start first
        units += 1
    return _clamp(view, base + units * size)


def move_by_columns(view: View, columns: int, steps_per_column: float) -> int | None:
    """The step `columns` plot columns from the cursor (at least one step)."""
    start = _start(view, columns > 0)
    if start is None:
        return None
    if view.cursor is None:
        return start
    delta = round(columns * steps_per_column) or (1 if columns > 0 else -1)
    return _clamp(view, start + delta)


def jump_to_marker(view: View, direction: int) -> int | None:
    """The next marker's step after the cursor (direction 1) or before it (-1); None if there is none."""
    curve = view.curve
    if curve is None:
        return None
    here = view.cursor if view.cursor is not None else (-1 if direction > 0 else curve.n)
    lo, hi = visible_steps(view)
    steps = [s for s in marker_steps(curve) if lo <= s <= hi]
    ahead = [s for s in steps if s > here] if direction > 0 else [s for s in steps if s < here]
    if not ahead:
        return None
    return ahead[0] if direction > 0 else ahead[-1]


_GOTO = re.compile(r"^\s*(?:(step|s|epoch|e|ep)\s*)?([-+]?[\d_,]*\.?\d+(?:e[-+]?\d+)?)\s*(%)?\s*$", re.I)


def parse_goto(text: str, view: View) -> int:
    """The step the user typed: `500`, `1,250`, `step 500`, `epoch 3` (`e3`), `12.5%`; a bare number is in the
    x axis's unit (epochs on the epoch axis). Raises ValueError with a message naming what is allowed."""
    curve = view.curve
    if curve is None:
        raise ValueError("no curve to move on")
    allowed = f"a step 0–{curve.n - 1:,}, 'epoch N', or a percentage such as 50%"
    m = _GOTO.match(text or "")
    if m is None:
        raise ValueError(f"go to {text.strip()!r}: not understood; type {allowed}")
    unit, number, percent = m.group(1), float(m.group(2).replace("_", "").replace(",", "")), m.group(3)
    spe = curve.plan.steps_per_epoch
    if percent:
        step = number / 100 * (curve.n - 1)
    elif (unit or "").lower().startswith("e") or (unit is None and view.x_unit == "epochs"):
        step = number * spe
    else:
        step = number
    if not math.isfinite(step) or not 0 <= round(step) <= curve.n - 1:
        raise ValueError(f"go to {text.strip()!r}: outside the curve; type {allowed}")
    return round(step)


# -- the status line -------------------------------------------------------------------------------------------


def status_text(
    view: View,
    *,
    canvas_width: int | None = None,
    log_y: bool = False,
    dropped_nonpositive: int = 0,
    hidden_markers: int = 0,
    horizon_from_spec: bool = False,
    lint_summary: str = "",
) -> str:
    """The line under the plot: what is drawn (steps, epochs, stepping, how dense), in words."""
    curve = view.curve
    if curve is None:
        return "no valid schedule yet"
    lo, hi = visible_steps(view)
    shown = hi - lo + 1
    # An overflow comes first: it explains a curve that stops, and a narrow terminal cuts the line's end.
    parts = [view.overflow.note("lr")] if view.overflow is not None else []
    parts.append(f"{curve.n:,} steps" + (" (from the spec)" if horizon_from_spec else ""))
    plan = curve.plan
    if plan.steps_per_epoch > 1 or plan.stepping != "step":
        parts.append(f"{plan.epochs:.6g} epochs × {plan.steps_per_epoch:,}")
    parts.append(f"stepped per {plan.stepping}" if plan.stepping != "fractional" else "fractional epochs")
    if view.zoom != "full":
        parts.append(f"zoom: {zoom_label(view)}, steps {lo:,}–{hi:,}")
    if canvas_width and shown > 2 * canvas_width:
        parts.append(f"each column: min–max of {shown / canvas_width:,.0f} steps")
    if view.x_unit == "epochs":
        parts.append("x in epochs")
    if log_y:
        parts.append("log y")
        if dropped_nonpositive:
            parts.append(f"{dropped_nonpositive:,} values ≤ 0 not shown")
    if hidden_markers:
        parts.append(f"{hidden_markers} milestones too dense to draw (z zooms)")
    if view.pins:
        parts.append(f"{len(view.pins)} pinned")
    if lint_summary:
        parts.append(lint_summary)
    if view.error:
        parts.append("showing the last valid curve")
    return " · ".join(parts)


__all__ = [
    "DRAW_POINTS",
    "MAX_MARKERS",
    "ZOOMS",
    "CursorInfo",
    "LegendEntry",
    "Pin",
    "View",
    "cursor_info",
    "jump_to_marker",
    "legend",
    "markers",
    "move_by_columns",
    "move_by_units",
    "parse_goto",
    "series",
    "status_text",
    "thin",
    "visible_steps",
    "x_range",
    "x_scale",
]
