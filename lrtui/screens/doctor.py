"""The LR doctor view of one run: the logged LR against its plan (declared, else inferred), the schedule the
log follows, what went wrong with evidence and fixes, and the resume checks (`lrtui.doctor`).

Opened with `d` from the run monitor, on a run of any format the monitor reads (`lrtui.sources`). The report is computed in a thread worker (a million-step run takes
about a second); `r` computes it again (a live run grows), `g` shows the next param group, `o` opens the
plan in the preview (the declared one, else the inferred one), escape goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from lrtui.plotting.figure import Figure, Marker, Series
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.resize_guard import StaleResizeGuard


@dataclass
class DoctorResult:
    report: object  # lrtui.doctor.DoctorReport
    steps: np.ndarray
    lrs: list[np.ndarray]


class DoctorScreen(StaleResizeGuard, Screen):
    DEFAULT_CSS = """
    DoctorScreen { layout: vertical; }
    DoctorScreen > #doctor-title {
        height: 1; width: 1fr; background: $boost; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis;
    }
    DoctorScreen > #doctor-verdict { height: auto; max-height: 3; width: 1fr; text-style: bold; padding: 0 1; }
    DoctorScreen > #doctor-verdict.bad { color: $error; }
    DoctorScreen > #doctor-verdict.good { color: $success; }
    DoctorScreen > #doctor-plot { height: 1fr; min-height: 6; }
    /* the report takes the lines it needs (scrolling past 60%), the plot the rest */
    DoctorScreen > #doctor-body { height: auto; max-height: 60%; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding(
            "o",
            "open_preview('inferred')",
            "Open in preview",
            tooltip="The schedule the LR followed, in the preview",
        ),
        Binding(
            "p",
            "open_preview('declared')",
            "Plan in preview",
            tooltip="The run's declared plan, in the preview",
        ),
        Binding("r", "rerun", "Re-run", tooltip="Diagnose again (a live run has logged more since)"),
        Binding("g", "next_group", "Group", show=False),
    ]

    class Ready(Message):
        def __init__(self, result: DoctorResult | None, error: str | None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(self, run_dir: str | Path, source_format: str | None = None) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.source_format = source_format or "lrtui"  # an lrtui.sources format: any log the monitor reads
        self.result: DoctorResult | None = None
        self.group = 0
        self.runs = 0  # diagnoses finished (tests wait on it)

    def compose(self) -> ComposeResult:
        yield Static(f"LR doctor · run {self.run_dir.name}", id="doctor-title", markup=False)
        yield Static(f"diagnosing {self.run_dir.name}…", id="doctor-verdict", markup=False)
        yield CurvePlot(id="doctor-plot")
        with VerticalScroll(id="doctor-body"):
            yield Static("", id="doctor-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#doctor-body").focus()
        self._diagnose()

    # -- the worker ------------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="doctor", exit_on_error=False)
    def _diagnose(self) -> None:
        from lrtui.doctor import doctor_path

        try:
            report, steps, lrs = doctor_path(self.run_dir, self.source_format)
            self.post_message(self.Ready(DoctorResult(report, steps, lrs), None))
        except Exception as exc:  # a bug or an odd file: say so on the screen, never crash the app
            self.post_message(self.Ready(None, f"{type(exc).__name__}: {exc}"))

    @on(Ready)
    def _ready(self, event: Ready) -> None:
        self.runs += 1
        verdict = self.query_one("#doctor-verdict", Static)
        if event.result is None:
            verdict.update(f"could not diagnose {self.run_dir.name}: {event.error}")
            verdict.set_class(True, "bad")
            return
        self.result = event.result
        report = event.result.report
        verdict.update(report.verdict())
        verdict.set_class(not report.ok or report.plan is None, "bad")
        verdict.set_class(report.ok and report.plan is not None, "good")
        self.query_one("#doctor-text", Static).update(self._body(report))
        self._draw()

    # -- drawing -----------------------------------------------------------------------------------------------
    def _body(self, report) -> Table:
        """The report as a two-column grid (label, text): wrapped lines keep their indent."""
        from lrtui.runs.text import clean_text

        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(ratio=1)

        def row(label: str, value: str, style: str = "") -> None:
            grid.add_row(label, Text(clean_text(value), style=style))

        # what went wrong first (evidence and fix are what an 80x24 terminal shows), then the facts
        for i, f in enumerate(report.findings):
            if i:
                grid.add_row("", "")
            bad = f.severity == "error"
            grid.add_row(
                Text("✗" if bad else "·", style="bold red" if bad else "yellow"),
                Text(clean_text(f.line()), style="bold red" if bad else "yellow"),
            )
            row("evidence", f.evidence)
            row("fix", f.fix, "cyan")
        if report.resumes and report.findings:
            grid.add_row("", "")
        for r in report.resumes:
            grid.add_row(
                Text("✓" if r.ok else "✗", style="green" if r.ok else "bold red"),
                Text(clean_text(r.line()[2:])),
            )
            if not r.ok:
                row("load order", r.order)
        if report.findings or report.resumes:
            grid.add_row("", "")
        row(
            "logged",
            f"{report.points:,} LR points" + (f", {report.groups} param groups" if report.groups > 1 else ""),
        )
        if report.plan is not None:
            plan = report.plan
            per = f", stepped per {plan.stepping}" if plan.stepping != "step" else ""
            spe = f", {plan.steps_per_epoch} steps/epoch" if plan.steps_per_epoch > 1 else ""
            base = ", ".join(f"{b:.6g}" for b in plan.base_lrs)
            row("plan", f"({report.plan_source}) {plan.spec or 'constant'} from base LR {base}{per}{spe}")
        elif report.no_plan_reason:
            row("plan", f"none: {report.no_plan_reason}", "yellow")
        for g, inf in enumerate(report.inferences):
            row("inferred" if g == 0 else f"group {g}", inf.summary())
        for note in report.notes:
            row("note", note, "dim")
        inf = report.inferred
        keys = []
        if inf is not None and inf.ok:
            keys.append(("o", "open the inferred schedule (what the LR followed) in the preview"))
        if report.plan_source == "declared" and report.plan is not None and report.plan.spec:
            keys.append(("p", "open the declared plan in the preview"))
        if keys:
            grid.add_row("", "")
        for key, what in keys:
            grid.add_row(key, Text(what, style="dim"))
        return grid

    def _draw(self) -> None:
        result = self.result
        if result is None:
            return
        report = result.report
        groups = max(len(result.lrs), 1)
        self.group %= groups
        series = []
        plan = report.plan
        x = result.steps.astype(np.float64)
        if plan is not None and self.group < plan.lr.shape[0]:
            n = min(plan.lr.shape[1], int(x[-1]) + 1 if x.size else plan.lr.shape[1])
            label = "planned" if report.plan_source == "declared" else "inferred"
            series.append(Series(np.arange(n, dtype=np.float64), plan.lr[self.group][:n], label))
        if self.group < len(result.lrs) and x.size:
            series.append(Series(x, result.lrs[self.group], "logged"))
        markers = []
        for f in report.findings:
            if f.group == self.group and f.first_step is not None and f.severity == "error":
                markers.append(Marker(f.first_step, f.kind.replace("_", " ")[:14], "milestone"))
        marked = {m.x for m in markers}
        for r in report.resumes:
            if float(r.step) not in marked:  # a finding at the resume already marks it
                markers.append(Marker(r.step, "resume", "restart"))
        title = f"group {self.group + 1}/{groups} (g)" if groups > 1 else ""
        self.query_one(CurvePlot).set_figure(
            Figure(series=series, markers=markers[:20], title=title, ylabel="lr")
        )

    # -- actions -----------------------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_rerun(self) -> None:
        self.query_one("#doctor-verdict", Static).update(f"diagnosing {self.run_dir.name} again…")
        self._diagnose()

    def action_next_group(self) -> None:
        self.group += 1
        self._draw()

    async def action_open_preview(self, which: str = "inferred") -> None:
        report = self.result.report if self.result is not None else None
        plan = report.preview_plan(prefer=which) if report is not None else None
        if plan is None:
            why = (
                "the diagnosis is still running"
                if report is None
                else "no schedule: nothing was declared or inferred"
            )
            self.notify(f"nothing to open in the preview: {why}", severity="warning")
            return
        opener = getattr(self.app, "open_in_preview", None)
        if opener is None:
            self.notify("this app has no preview screen", severity="warning")
            return
        from lrtui.runs.reader import read_config

        inferred = report.inferred
        what = "inferred" if inferred is not None and plan["schedule"] == inferred.spec else "plan"
        config = None
        if self.source_format == "lrtui":  # `t` in the preview then launches with the run's setup
            config, _problem = read_config(self.run_dir)
        await opener(plan, label=f"run {self.run_dir.name} ({what})", launch_from=config or None)
