"""The lint panel: what lrtui.schedules.lint says about the current plan (severity, message, fix)."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

_ICONS = {"error": ("✖", "bold red"), "warning": ("▲", "yellow"), "info": ("●", "cyan")}
_ORDER = {"error": 0, "warning": 1, "info": 2}


def run_lints(plan, curve=None) -> list:
    """lint(plan, curve), or [] when the lint module is absent; a failing linter becomes one error entry."""
    try:
        from lrtui.schedules.lint import lint
    except ImportError:
        return []
    try:
        return list(lint(plan, curve))
    except Exception as exc:
        from types import SimpleNamespace

        return [
            SimpleNamespace(
                code="lint-crashed",
                severity="error",
                message=f"the linter failed on this plan ({type(exc).__name__}: {exc})",
                fix="report this; the curve itself is still exact",
            )
        ]


def lint_text(lints: list, *, error: str | None = None, monochrome: bool = False) -> Text:
    """The panel's text: the spec error first (if any), then lints by severity."""
    out = Text()
    if error:
        out.append("✖ ", style="" if monochrome else "bold red")
        out.append("invalid: ", style="bold")
        out.append(error + "\n")
        out.append("  the plot keeps the last valid curve\n", style="dim")
    if not lints and not error:
        out.append("✔ no lints: nothing suspicious in this schedule", style="" if monochrome else "green")
        return out
    for item in sorted(lints, key=lambda x: _ORDER.get(getattr(x, "severity", "info"), 3)):
        severity = getattr(item, "severity", "info")
        icon, style = _ICONS.get(severity, ("•", ""))
        out.append(f"{icon} ", style="" if monochrome else style)
        out.append(f"{severity} ", style="bold")
        out.append(f"[{getattr(item, 'code', '?')}]\n", style="dim")
        out.append(f"  {getattr(item, 'message', '')}\n")
        fix = getattr(item, "fix", "")
        if fix:
            out.append("  fix: ", style="bold")
            out.append(f"{fix}\n")
    return out


def lint_counts(lints: list) -> str:
    counts = {
        s: sum(1 for x in lints if getattr(x, "severity", "") == s) for s in ("error", "warning", "info")
    }
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    return ", ".join(parts) if parts else "no lints"


class LintPanel(VerticalScroll):
    """Shows lints for the current plan; `show(lints, error=...)`."""

    DEFAULT_CSS = """
    LintPanel { height: 1fr; }
    LintPanel > Static { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lints: list = []
        self.error: str | None = None
        self._shown = False

    def compose(self):
        yield Static(lint_text([]), classes="lint-body")

    def on_mount(self) -> None:
        # Mounted lazily (after the first frame): catch up with what the screen already knows.
        screen = self.screen
        if hasattr(screen, "lints"):
            self.show(screen.lints, error=getattr(screen, "error", None))

    def show(self, lints: list, *, error: str | None = None) -> None:
        if self.is_mounted and list(lints) == self.lints and error == self.error and self._shown:
            return
        self._shown = True
        self.lints = list(lints)
        self.error = error
        self.query_one(".lint-body", Static).update(
            lint_text(self.lints, error=error, monochrome=getattr(self.app, "no_color", False))
        )
