"""Saving what the monitor shows as CSV: a small dialog that asks where (enter saves, escape cancels).

The series are full resolution (every logged point, not what the charts decimate to); the file is
written by `lrtui.sources.export.write_csv` (atomic replace) in a thread worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from lrtui.sources.export import write_csv
from lrtui.sources.lrtui_run import epoch_scalars, group_name
from lrtui.widgets.inputs import TextInput
from lrtui.widgets.resize_guard import StaleResizeGuard
from lrtui.widgets.runs.follow import MonitorSnapshot


def shown_series(snap: MonitorSnapshot, view: str, grid: list | None = None) -> dict:
    """{name: (steps, values)} of what a view shows: the panels' series, or the (filtered) grid metrics."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if view == "metrics":
        for m in grid or []:
            out[m.name] = (m.steps, m.values)
        return out
    if snap.source_format == "lrtui":
        for g, values in enumerate(snap.lr):
            out[group_name("lr", g)] = (snap.steps, values)
        out["loss"] = (snap.steps, snap.loss)
        accs = epoch_scalars(snap.epochs)
        for name in ("train_acc", "test_acc"):
            if name in accs:
                out[name] = accs[name]
        return out
    for m in snap.panel_series:
        out[m.name] = (m.steps, m.values)
    return out


class ExportCsvScreen(StaleResizeGuard, ModalScreen[Path | None]):
    """Asks for a path and writes the CSV; dismisses with the path written (None when cancelled)."""

    DEFAULT_CSS = """
    ExportCsvScreen { align: center middle; }
    ExportCsvScreen > Vertical {
        width: 80%; max-width: 100; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    ExportCsvScreen #export-error { color: $error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, series: dict, default_path: Path, what: str) -> None:
        super().__init__()
        self.series = series
        self.default_path = default_path
        self.what = what

    def compose(self) -> ComposeResult:
        points = sum(int(np.size(v[1])) for v in self.series.values())
        with Vertical():
            yield Static(
                f"Save {self.what} as CSV: {len(self.series)} series, {points:,} points, full resolution "
                "(enter saves, escape cancels)",
                markup=False,
            )
            yield TextInput(str(self.default_path), id="export-path")
            yield Static("", id="export-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self._error("PATH is empty: type where the CSV goes")
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self._error(f"PATH={text!r} is a directory: give a file name")
            return
        if not path.parent.is_dir():
            self._error(f"PATH={text!r}: the folder {path.parent} does not exist")
            return
        self._write(path)

    def _error(self, text: str) -> None:
        self.query_one("#export-error", Static).update(text)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _write(self, path: Path) -> None:
        try:
            rows = write_csv(path, self.series)
        except OSError as exc:
            self.app.call_from_thread(self._error, f"cannot write {path}: {exc.strerror or exc}")
            return
        self.app.call_from_thread(self.app.notify, f"saved {rows:,} rows to {path}")
        self.app.call_from_thread(self.dismiss, path)
