"""The Textual application: preview screen first; runs and monitor screens come from lrtui/screens/."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class LrtuiApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "lrtui"

    def __init__(self, spec: str | None = None, runs_dir: str | None = None) -> None:
        super().__init__()
        self.initial_spec = spec
        self.runs_dir = runs_dir

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"lrtui — spec: {self.initial_spec or 'none'}", id="body")
        yield Footer()


def run_app(spec: str | None = None, runs_dir: str | None = None) -> int:
    LrtuiApp(spec=spec, runs_dir=runs_dir).run()
    return 0
