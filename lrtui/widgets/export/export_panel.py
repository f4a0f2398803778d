"""The export panel: the plan as a spec string, torch code (any schedule), transformers/timm code (where that
library can express it), a TOML plan file, or the curve as CSV. Copy to the clipboard (OSC 52) or save to a file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static, TextArea

from lrtui.messages import ExportSaved
from lrtui.widgets.inputs import TextInput

DEFAULT_PATHS = {
    "spec": "./lrtui-schedule.txt",
    "torch": "./lrtui-schedule.py",
    "transformers": "./lrtui-schedule.py",
    "timm": "./lrtui-schedule.py",
    "toml": "./lrtui-schedule.toml",
    "csv": "./lrtui-schedule.csv",
}
FORMAT_LABELS = {
    "spec": "spec string",
    "torch": "torch code",
    "transformers": "transformers code",
    "timm": "timm code",
    "toml": "plan (TOML)",
    "csv": "curve (CSV)",
}
CSV_PREVIEW_ROWS = 40
MAX_CLIPBOARD_BYTES = 1_000_000  # terminals drop larger OSC 52 payloads


CODE_TARGETS = ("torch", "transformers", "timm")


def formats_for(plan) -> list[str]:
    """Export formats offered for a plan: code for each library that can express it, spec, TOML, CSV."""
    if plan is None:
        return ["spec", "toml", "csv"]
    from lrtui.schedules.export import export

    code = []
    for target in CODE_TARGETS:
        try:
            export(plan, to=target)
        except Exception:
            continue
        code.append(target)
    return [*code, "spec", "toml", "csv"]


def export_text(fmt: str, plan, curve, *, preview: bool = False) -> str:
    """The exported text (the CSV head only when `preview`). Raises SpecError/ImportError on failure."""
    if fmt == "spec":
        return str(plan.spec) + "\n"
    if fmt == "toml":
        return plan.to_toml()
    if fmt == "csv":
        from lrtui.schedules.export import curve_csv

        if preview and curve.n > CSV_PREVIEW_ROWS:
            head = dataclasses.replace(
                curve,
                lr=curve.lr[:, :CSV_PREVIEW_ROWS],
                momentum=None if curve.momentum is None else curve.momentum[:, :CSV_PREVIEW_ROWS],
            )
            return (
                curve_csv(head).rstrip("\n")
                + f"\n… {curve.n - CSV_PREVIEW_ROWS:,} more rows in the saved file\n"
            )
        return curve_csv(curve)
    from lrtui.schedules.export import export

    return export(plan, to=fmt)


class ExportPanel(Vertical):
    """Format selector, a read-only view of the text, a path input, copy and save buttons."""

    DEFAULT_CSS = """
    ExportPanel { height: 1fr; }
    ExportPanel #export-text { height: 1fr; }
    ExportPanel .row { height: 1; }
    ExportPanel #export-path { width: 1fr; }
    ExportPanel Button { margin-left: 1; }
    ExportPanel #export-status { color: $text-muted; height: auto; }
    ExportPanel #export-status.-error { color: $text-error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan = None
        self.curve = None
        self.format = "torch"
        self._path_edited = False

    def compose(self) -> ComposeResult:
        yield Select(
            [(FORMAT_LABELS[f], f) for f in (*CODE_TARGETS, "spec", "toml", "csv")],
            value="torch",
            allow_blank=False,
            id="export-format",
            compact=True,
        )
        yield TextArea("", read_only=True, id="export-text", compact=True, soft_wrap=False)
        with Horizontal(classes="row"):
            yield TextInput(
                DEFAULT_PATHS["torch"], id="export-path", compact=True, placeholder="file to save to"
            )
            yield Button("copy", id="export-copy", compact=True, tooltip="Copy to the clipboard (OSC 52)")
            yield Button("save", id="export-save", compact=True, tooltip="Save to the file (ctrl+s)")
        yield Static("", id="export-status", markup=False)

    def set_plan(self, plan, curve) -> None:
        self.plan, self.curve = plan, curve
        fmts = formats_for(plan)
        sel = self.query_one("#export-format", Select)
        if [v for _, v in sel._options] != fmts:
            with self.prevent(Select.Changed):
                sel.set_options([(FORMAT_LABELS[f], f) for f in fmts])
                if self.format not in fmts:
                    self.format = fmts[0]
                    self._default_path()
                sel.value = self.format
        self.refresh_text()

    def refresh_text(self) -> None:
        area = self.query_one("#export-text", TextArea)
        if self.plan is None:
            area.text = "(no valid schedule yet)"
            return
        try:
            text = export_text(self.format, self.plan, self.curve, preview=True)
        except Exception as exc:
            text = f"cannot export as {FORMAT_LABELS[self.format]}: {exc}"
        area.text = text

    def select_format(self, fmt: str) -> None:
        self.query_one("#export-format", Select).value = fmt

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.format = str(event.value)
        self._default_path()
        self.refresh_text()

    def _default_path(self) -> None:
        # Follow the format's default file name until the user types a path of their own.
        if not self._path_edited:
            path = self.query_one("#export-path", Input)
            with self.prevent(Input.Changed):
                path.value = DEFAULT_PATHS[self.format]

    @on(Input.Changed, "#export-path")
    def _path_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._path_edited = event.value.strip() not in ("", *DEFAULT_PATHS.values())

    def _status(self, text: str, error: bool = False) -> None:
        st = self.query_one("#export-status", Static)
        st.update(text)
        st.set_class(error, "-error")

    def full_text(self) -> str | None:
        if self.plan is None:
            self._status("nothing to export: the schedule is not valid yet", error=True)
            return None
        try:
            return export_text(self.format, self.plan, self.curve)
        except Exception as exc:
            self._status(f"cannot export: {exc}", error=True)
            return None

    @on(Button.Pressed, "#export-copy")
    def _copy_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.copy()

    @on(Button.Pressed, "#export-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save()

    def copy(self) -> bool:
        text = self.full_text()
        if text is None:
            return False
        size = len(text.encode())
        if size > MAX_CLIPBOARD_BYTES:
            self._status(
                f"{size:,} bytes is too much for a terminal clipboard: save it to a file", error=True
            )
            return False
        self.app.copy_to_clipboard(text)
        self._status(f"copied {FORMAT_LABELS[self.format]} ({size:,} bytes) to the clipboard (OSC 52)")
        return True

    def save(self) -> Path | None:
        text = self.full_text()
        if text is None:
            return None
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self._status("path is empty: type a file name", error=True)
            return None
        path = Path(raw).expanduser()
        try:
            existed = path.exists()
            if path.is_dir():
                raise IsADirectoryError(f"{path} is a directory")
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self._status(f"cannot save to {path}: {exc.strerror or exc}", error=True)
            return None
        self._status(f"{'replaced' if existed else 'saved'} {path} ({len(text.encode()):,} bytes)")
        self.post_message(ExportSaved(str(path)))
        return path
