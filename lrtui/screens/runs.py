"""The runs screen (every run and sweep group in the runs dir) and the compare screen (selected runs overlaid).

The list is re-read every ~2 s in a thread worker (`list_runs` and `list_groups` read config/status files);
the rows are data (`LazyTable` draws only those on screen, so 1,000 scanned runs list as fast as 10) and
the cursor stays on its run when they change. Keys: enter open, space select, c compare, s stop (confirm),
r resume, d delete (confirm), x expand a sweep group. A sweep group is one row
with its progress (done/running/queued/failed); enter opens its compare view (lrtui/screens/sweep.py), s/r/d
act on the whole group, x lists its runs under it. Ages use an injectable clock (snapshot tests).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker

from lrtui.app_base import LrtuiBaseApp
from lrtui.plotting.figure import SERIES_COLORS, Figure, Series
from lrtui.runs.listing import RunSummary
from lrtui.runs.paths import CHECKPOINT
from lrtui.runs.status import SHOWN_LIVE_STATES
from lrtui.runs.text import clean_name, cut_left, drop_shared_dirs
from lrtui.sources.base import FORMATS, SHORT_FORMATS
from lrtui.sources.catalog import RunCatalog
from lrtui.sources.roles import metric_goal
from lrtui.widgets.inputs import TextInput
from lrtui.widgets.lazy_table import Column, LazyTable, Row
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.resize_guard import StaleResizeGuard
from lrtui.widgets.runs.compare import ComparedRun, CompareFollower, shared_metrics
from lrtui.widgets.runs.confirm import ConfirmScreen
from lrtui.widgets.runs.model import format_acc, format_age
from lrtui.widgets.runs.navigation import app_runs_dir, go_back
from lrtui.widgets.runs.panels import STATE_STYLE
from lrtui.widgets.safe_text import plain

REFRESH_S = 2.0
DETAIL_REDRAW_S = (
    0.5  # detail batches (a scan's last steps and metrics) re-render the list at most this often
)
COLUMNS = (  # best and last stay in view at 80 columns; src and step follow them
    Column("sel", "✓"),
    Column("state", "state"),
    # a long path (a scanned run's folders) keeps its end, where runs differ, if best/last need the room
    Column("run", "run", squeeze_to=20, cut_from="left"),
    # the schedule takes the width the others leave: whole on a wide terminal, cut at 80 columns
    Column("schedule", "schedule", flex=True, min_width=28),
    Column("best", "best"),  # test accuracy for lrtui runs, else (or when chosen with b) another metric
    Column("last", "last"),
    Column("src", "src"),  # lrtui, sweep, or the format of a run found by a scan (tb, csv, hf)
    Column("step", "step"),
    Column("epochs", "progress"),
    Column("age", "updated"),
    Column("model", "model"),
    Column("dataset", "data"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
IN_VIEW = COLUMN_KEYS.index("last") + 1  # the columns a narrow terminal shows without scrolling
_ID_STAMP = re.compile(r"^\d{8}-\d{6}-")
# Group states (lrtui.sweep.queue.group_status) and queued members, next to the run states.
GROUP_STATE_STYLE = {
    **STATE_STYLE,
    "queued": ("◌", "yellow"),
    "stopping": ("◌", "yellow"),
    "interrupted": ("?", "magenta"),
}


def _redraw(table: DataTable) -> None:  # the compare tables (a few rows each) are DataTables
    # Textual 8.2's DataTable can cache rows rendered before its idle column-width pass (seen on wide
    # terminals: every column cut to its label's width); drop those rows once the widths are known.
    table._clear_caches()
    table.refresh()


def short_id(run_id: str) -> str:
    """'resnet18-a005' from '20251121-104000-resnet18-a005' (the age column tells when)."""
    return _ID_STAMP.sub("", run_id) or run_id


def _home_short(path: Path) -> str:
    """The path with the home directory written as ~ (shorter, and the same on every machine)."""
    if not path.is_absolute():
        return str(path)
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def short_schedule(spec: str | None, width: int | None = 28) -> str:
    """The spec as a table shows it, cut to `width` (None: whole); '—' for none, 'constant' for ''."""
    if spec is None:
        return "—"
    if not spec.strip():
        return "constant"
    return spec if width is None or len(spec) <= width else spec[: width - 1] + "…"


def schedule_kind(spec: str | None) -> str:
    """'StepLR' from 'StepLR(step_size=2, gamma=0.5)'; 'constant' for ''; '—' for none."""
    if spec is None:
        return "—"
    if not spec.strip():
        return "constant"
    return spec.split("(", 1)[0].strip().rsplit(".", 1)[-1] or spec


def _state_row(key: str, state: str, cells: tuple) -> Row:
    """A row whose second cell is the state, in its colour (cells: the others, in column order).
    Row.of strips control characters (names come from files); LazyTable never parses text as markup."""
    symbol, color = GROUP_STATE_STYLE.get(state, ("?", "magenta"))
    return Row.of(key, (cells[0], f"{symbol} {state}", *cells[1:]), ("", color))


def _group_row(key: str, group, now: float, expanded: bool) -> Row:
    """A sweep group's row: its state, name, shape, best accuracy and progress (done/running/queued/...)."""
    age = format_age(now - group.updated) if group.updated is not None else "—"
    cells = (
        " ",
        ("▾ " if expanded else "▸ ") + f"sweep {group.name}",
        # shape and progress in the schedule column too: it stays in view at 80 columns
        f"{len(group.group.schedules)} sched × {group.group.repeats} · {group.progress.compact()}"
        if group.group is not None
        else (group.problem or "unreadable"),
        format_acc(group.best_test_acc),
        "—",
        "sweep",
        "—",
        group.progress.compact() if group.group is not None else "—",
        age,
        group.recipe("model") or "—",
        group.recipe("dataset") or "—",
    )
    return _state_row(key, group.state, cells)


def _queued_member_summary(group, state) -> RunSummary:
    """A placeholder summary for a member whose run has not started (no directory yet)."""
    g = group.group
    spec = g.schedules[state.member.schedule].get("spec")
    return RunSummary(
        id=state.member.run,
        dir=g.run_dir(state.member),
        state="queued",
        model=group.recipe("model"),
        dataset=group.recipe("dataset"),
        schedule=spec if isinstance(spec, str) else None,
    )


def format_metric(metric: str | None, value: float | None) -> str:
    """An accuracy-like fraction as a percentage (as lrtui shows test accuracy), anything else as a number."""
    if value is None or not np.isfinite(value):
        return "—" if value is None else str(value)
    if metric is not None and metric_goal(metric) == "max" and "acc" in metric.lower() and 0 <= value <= 1:
        return format_acc(value)
    return f"{value:.4g}"


def _row(
    key: str, summary, now: float, selected: bool, member: bool = False, ranked: tuple | None = None
) -> Row:
    """An lrtui run's row; `ranked` = (metric, best, last) when a metric other than test accuracy was chosen."""
    epochs = "—"
    if summary.kind != "lr_find" and (summary.epochs_done is not None or summary.epochs_total is not None):
        done = "—" if summary.epochs_done is None else str(summary.epochs_done)
        epochs = done + (f"/{summary.epochs_total}" if summary.epochs_total is not None else "")
    age = format_age(now - summary.updated) if summary.updated is not None else "—"
    if ranked is None:
        best, last = format_acc(summary.best_test_acc), format_acc(summary.last_test_acc)
    else:
        best, last = format_metric(ranked[0], ranked[1]), format_metric(ranked[0], ranked[2])
    cells = (
        "✓" if selected else " ",
        ("  └ " if member else "") + (summary.name or short_id(summary.id)),
        summary.lr_find_label or short_schedule(summary.schedule, None),  # cut to the column's width
        best,
        last,
        "lrtui",
        f"{summary.step:,}" if summary.step is not None else "—",
        epochs,
        age,
        summary.model or "—",
        summary.dataset or "—",
    )
    return _state_row(key, summary.state, cells)


@dataclass(frozen=True)
class ScannedRun:
    """A run of any format found under a scan root (lrtui.sources.catalog.SourceSummary, as listed)."""

    key: str  # "format:path"
    dir: Path
    format: str
    state: str
    name: str
    step: int | None = None
    metric: str | None = None  # what best/last are of
    best: float | None = None
    last: float | None = None
    updated: float | None = None
    model: str | None = None
    problem: str | None = None
    metrics: tuple[str, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return self.key

    @classmethod
    def of(cls, s) -> ScannedRun:
        return cls(
            key=s.key,
            dir=s.dir,
            format=s.format,
            state=s.state,
            name=s.name,
            step=s.last_step,
            metric=s.metric,
            best=s.best,
            last=s.last,
            updated=s.updated,
            model=s.model,
            problem=s.problem,
            metrics=s.metrics,
        )


def _scanned_row(run: ScannedRun, now: float, selected: bool) -> Row:
    age = format_age(now - run.updated) if run.updated is not None else "—"
    cells = (
        "✓" if selected else " ",
        run.name,
        "—",
        format_metric(run.metric, run.best),
        format_metric(run.metric, run.last),
        SHORT_FORMATS.get(run.format, run.format),
        f"{run.step:,}" if run.step is not None else "—",
        "—",
        age,
        run.model or "—",
        "—",
    )
    return _state_row(run.key, run.state, cells)


class RunsScreen(StaleResizeGuard, Screen):
    """Every run and sweep group in `runs_dir`, newest first, then the runs of any format the scan roots hold."""

    DEFAULT_CSS = """
    RunsScreen { layout: vertical; }
    RunsScreen > #runs-title {
        height: 1; background: $boost; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis;
    }
    RunsScreen > #runs-metric { display: none; height: 3; }
    RunsScreen > #runs-metric.shown { display: block; }
    RunsScreen > LazyTable { height: 1fr; }
    RunsScreen > LazyTable.empty { height: 1; }  /* the header, the hint right under it */
    RunsScreen > #runs-empty { height: auto; padding: 1 2; color: $text-muted; display: none; }
    RunsScreen > #runs-empty.shown { display: block; }
    RunsScreen > #runs-detail { height: auto; max-height: 3; color: $text-muted; }
    """

    HELP_TITLE = "Runs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="runs.back"),
        Binding("enter", "open", "Open", id="runs.open", tooltip="Open the run's live monitor"),
        Binding("space", "toggle_select", "Select", id="runs.select", tooltip="Select for comparison"),
        Binding("c", "compare", "Compare", id="runs.compare", tooltip="Compare the selected runs"),
        Binding(  # priority: the keys typed right after b (fast, or by tmux) reach the prompt
            "b",
            "choose_metric",
            "Best of…",
            id="runs.best_of",
            tooltip="Which metric the best/last columns show",
            priority=True,
        ),
        Binding("s", "stop", "Stop", id="runs.stop", tooltip="Stop the run (asks first)"),
        Binding(
            "r", "resume", "Resume", id="runs.resume", tooltip="Resume a stopped run from its checkpoint"
        ),
        Binding("d", "delete", "Delete", id="runs.delete", tooltip="Delete the run's directory (asks first)"),
        Binding("x", "expand", "Expand", id="runs.expand", tooltip="Show or hide the runs of a sweep group"),
    ]

    class Listed(Message):
        def __init__(
            self,
            summaries: list,
            now: float,
            groups: list | None = None,
            scanned: list | None = None,
            notes: list[str] | None = None,
        ) -> None:
            super().__init__()
            self.summaries = summaries
            self.now = now
            self.groups = groups or []
            self.scanned = scanned or []  # ScannedRun, in scan order
            self.notes = notes or []

    class Detailed(Message):
        """Runs whose files were read (last step, best/last of the metric), a batch at a time."""

        def __init__(self, rows: list, final: bool) -> None:
            super().__init__()
            self.rows = rows  # lrtui.sources.catalog.SourceSummary
            self.final = final

    def __init__(
        self,
        runs_dir: str | Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        refresh_s: float = REFRESH_S,
        sample_device: bool = True,
        quit_on_back: bool = False,
        scan_roots: Sequence[str | Path] | None = None,
        include_runs_dir: bool = True,
        metric: str | None = None,
        live_after_s: float | None = None,
    ) -> None:
        super().__init__()
        self.quit_on_back = quit_on_back
        self._given_runs_dir = runs_dir
        self.runs_dir = Path(runs_dir).expanduser() if runs_dir is not None else Path()  # set in compose
        self.clock = clock
        self.refresh_s = refresh_s
        self.sample_device = sample_device
        self.summaries: dict[str, object] = {}  # row key -> RunSummary (runs, group members) or GroupSummary
        self.order: list[str] = []
        self.selected: set[str] = set()
        self.expanded: set[str] = set()  # ids of the sweep groups whose runs are listed under them
        self._listed_message: RunsScreen.Listed | None = None
        self._listed_at = 0.0  # when the rows were last rendered (detail batches are coalesced)
        self._shown = threading.Event()  # set once a listing is on screen: the details wait for it
        self._details_pending = False
        self.listings = 0  # completed listings (tests wait on it)
        # runs of any format (lrtui.sources): roots to scan, the metric best/last show, what was read
        self._given_roots = scan_roots
        self.scan_roots: list[Path] = []
        self.include_runs_dir = include_runs_dir
        self.metric = metric
        self.live_after_s = live_after_s
        self.ranked: dict[
            Path, tuple
        ] = {}  # lrtui run dir -> (metric, best, last, metric names) when b chose
        self.detailed = 0  # completed detail passes (tests and the benchmark wait on it)
        self.scan_notes: list[str] = []
        self._catalog: RunCatalog | None = None
        self._listing: Worker | None = None  # the listing pass running or last run (its details included)

    def compose(self) -> ComposeResult:
        from lrtui.sources.settings import load_settings, settings_path

        self.runs_dir = app_runs_dir(self, self._given_runs_dir)  # as a mode: the app's --runs-dir
        settings = load_settings()
        roots = self._given_roots
        if roots is None:  # the app's --scan roots, else the settings file's
            roots = getattr(self.app, "scan_roots", None) or settings.scan
        self.scan_roots = [Path(r).expanduser() for r in roots]
        if self.metric is None:
            self.metric = settings.metric
        if self.live_after_s is None:
            self.live_after_s = settings.live_after_s
        self.scan_notes = list(settings.problems)
        self._catalog = RunCatalog(live_after_s=self.live_after_s)
        yield Static(self._title(), id="runs-title", markup=False)
        yield LazyTable(COLUMNS, in_view=IN_VIEW, id="runs-table")
        where = f"in {self.runs_dir}" if self.include_runs_dir else ""
        if self.scan_roots:
            where += (" or " if where else "under ") + ", ".join(_home_short(r) for r in self.scan_roots)
        yield Static(self._empty_hint(where, settings_path()), id="runs-empty", markup=False)
        yield Static("", id="runs-detail", markup=False)
        yield TextInput(id="runs-metric")
        yield Footer()

    @staticmethod
    def _empty_hint(where: str, settings_file: Path) -> str:
        """What an empty list says: where it looked, and the three ways to get runs listed here."""
        return (
            f"No runs {where} yet. To list runs here:\n"
            " • launch one: t in the preview (lrtui), or lrtui train --schedule SPEC\n"
            " • log one from your own training script with lrtui.RunLogger\n"
            " • TensorBoard, Lightning or HF Trainer logs: lrtui runs -i --scan DIR, or\n"
            '   for every start, [runs] scan = ["DIR"] in the settings file,\n'
            f"   {_home_short(settings_file)}"
        )

    def _title(self) -> str:
        parts = []
        if self.include_runs_dir:
            parts.append(f"runs in {_home_short(self.runs_dir)}")
        if self.scan_roots:
            parts.append("scanning " + ", ".join(_home_short(r) for r in self.scan_roots))
        parts.append(f"best of {self.metric} (b)" if self.metric else "best: test acc / auto metric (b)")
        return " · ".join(parts)

    def on_mount(self) -> None:
        self.query_one(LazyTable).focus()
        for note in self.scan_notes:
            self.notify(note, severity="warning", timeout=10)
        self.refresh_list()
        self.set_interval(self.refresh_s, self._tick, name="runs-refresh")

    def _tick(self) -> None:
        # A pass still reading a big tree's files is left to finish: restarting it every refresh_s walked
        # and stat-ed the whole tree again each time (10,000 runs took 48 s to fill in instead of ~15 s).
        # Asked for (a metric chosen, a run stopped or deleted), a new pass still replaces a running one.
        if self._listing is not None and not self._listing.is_finished:
            return
        self.refresh_list()

    # -- listing (thread) ---------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="runs-list", exit_on_error=False)
    def refresh_list(self) -> None:
        try:
            self._refresh_list()
        except Exception as exc:  # a bug or an odd tree must not silently stop the listing: say it
            self.app.call_from_thread(
                self.notify, f"listing runs failed: {type(exc).__name__}: {exc}", severity="error"
            )

    def _refresh_list(self) -> None:
        from textual.worker import get_current_worker

        from lrtui.runs.listing import list_runs
        from lrtui.sources import RunRef, scan
        from lrtui.sweep.listing import list_groups

        worker = get_current_worker()
        self._listing = worker
        now = self.clock()
        summaries = list_runs(self.runs_dir, now=now) if self.include_runs_dir else []
        groups = list_groups(self.runs_dir, now=now) if self.include_runs_dir else []
        catalog = self._catalog
        refs = []
        notes: list[str] = []
        if self.scan_roots and catalog is not None:
            found = scan(self.scan_roots)
            notes = found.problems
            listed = {s.dir.resolve() for s in summaries}
            for g in groups:  # a sweep group's runs are listed under it
                listed.add(g.dir.resolve())
            for ref in found.runs:
                if ref.format == "lrtui" and (
                    ref.path.resolve() in listed or ref.path.parent.resolve() in listed
                ):
                    continue
                refs.append(ref)
            catalog.forget({ref.key for ref in refs} | {f"lrtui:{s.dir}" for s in summaries})
        scanned = [ScannedRun.of(catalog.quick(ref, now)) for ref in refs] if catalog is not None else []
        self._shown.clear()
        self.post_message(self.Listed(summaries, now, groups, scanned, notes))
        if catalog is None:
            return
        # Reading the runs' files competes with the UI thread for the GIL: let the list show first.
        self._shown.wait(timeout=2.0)
        # details: scanned runs always (their best/last/step come from their files); the runs dir's lrtui
        # runs only when a metric other than test accuracy was chosen
        todo = list(refs)
        if self.metric and self.metric != "test_acc":
            todo += [RunRef("lrtui", s.dir) for s in summaries]
        for batch in catalog.details(todo, self.metric):
            if worker.is_cancelled:
                return
            self.post_message(self.Detailed(batch, final=False))
        self.post_message(self.Detailed([], final=True))

    def _rows(self, message: Listed) -> list[tuple[object, Row]]:
        """(summary, row): runs and groups newest first, an expanded group's runs under it."""
        now = message.now
        top = [(s.created or 0.0, s.id, s) for s in message.summaries]
        top += [(g.created or 0.0, g.id, g) for g in message.groups]
        top.sort(key=lambda e: (e[0], e[1]), reverse=True)
        rows = []
        for _created, key, item in top:
            if isinstance(item, RunSummary):
                rows.append((item, _row(key, item, now, key in self.selected, ranked=self._ranked(item))))
                continue
            expanded = key in self.expanded
            rows.append((item, _group_row(key, item, now, expanded)))
            if expanded:
                for state in item.states:
                    # no directory yet, or made but never launched: a "queued" placeholder row
                    member = state.summary if state.state != "queued" else _queued_member_summary(item, state)
                    mkey = f"{key}/{state.member.run}"
                    rows.append((member, _row(mkey, member, now, mkey in self.selected, member=True)))
        for run in message.scanned:  # runs of any format under the scan roots, after the runs dir's
            rows.append((run, _scanned_row(run, now, run.key in self.selected)))
        return rows

    def _ranked(self, summary: RunSummary) -> tuple | None:
        """(metric, best, last) of an lrtui run for a chosen metric other than test accuracy."""
        if not self.metric or self.metric == "test_acc":
            return None
        return self.ranked.get(summary.dir, (None, None, None))[:3]

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        self._listed_message = message
        rows = self._rows(message)
        self.summaries = {row.key: item for item, row in rows}
        self.selected &= {
            row.key
            for item, row in rows
            if isinstance(item, ScannedRun) or (isinstance(item, RunSummary) and item.state != "queued")
        }
        # Rows are data: the table measures their text and draws only the rows on screen (the cursor
        # stays on its key), so a listing of 1,000 runs costs what building their strings does.
        self.query_one(LazyTable).set_rows([row for _item, row in rows])
        self.order = [row.key for _item, row in rows]
        self._listed_at = time.monotonic()
        self.query_one("#runs-empty").set_class(not self.order, "shown")
        self.query_one(LazyTable).set_class(not self.order, "empty")
        for note in message.notes:
            if note not in self.scan_notes:
                self.scan_notes.append(note)
                self.notify(f"scan: {note}", severity="warning", timeout=10)
        self.listings += 1
        self.call_after_refresh(self._shown.set)
        self._show_detail()

    @on(Detailed)
    def _detailed(self, message: Detailed) -> None:
        listed = self._listed_message
        position = {r.key: i for i, r in enumerate(listed.scanned)} if listed is not None else {}
        for s in message.rows:
            if (
                s.key.startswith("lrtui:")
                and listed is not None
                and any(r.dir == s.dir for r in listed.summaries)
            ):
                self.ranked[s.dir] = (s.metric, s.best, s.last, s.metrics)  # a runs-dir lrtui run, ranked
            elif listed is not None and s.key in position:
                listed.scanned[position[s.key]] = ScannedRun.of(s)
        # Batches come fast for a big tree: re-render (every row's cells) at most every DETAIL_REDRAW_S,
        # and once more with the last batch, so the list stays responsive while it fills in.
        self._details_pending |= listed is not None and bool(message.rows)
        due = time.monotonic() - self._listed_at >= DETAIL_REDRAW_S
        if self._details_pending and listed is not None and (message.final or due):
            self._details_pending = False
            self._listed(listed)  # re-render in place (the order does not change)
            self.listings -= 1
        if message.final:
            self.detailed += 1
        self._show_detail()

    @on(LazyTable.Chosen, "#runs-table")
    def _chosen(self, event: LazyTable.Chosen) -> None:
        event.stop()
        self.action_open()

    @on(LazyTable.Highlighted, "#runs-table")
    def _highlighted(self, _event: LazyTable.Highlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        s = self.current()
        detail = self.query_one("#runs-detail", Static)
        if s is None:
            detail.update("")
            return
        if isinstance(s, ScannedRun):
            parts = [f"{FORMATS.get(s.format, s.format)} run", _home_short(s.dir)]
            if s.metric:
                parts.append(f"best/last of {s.metric}")
            elif s.metrics:
                parts.append(f"no metric matches {self.metric!r}" if self.metric else "no metric to rank by")
            if s.problem:
                parts.append(s.problem)
            if self.selected:
                parts.append(f"{len(self.selected)} selected (c compares)")
            detail.update(" · ".join(parts))
            return
        if not isinstance(s, RunSummary):  # a sweep group
            parts = [s.id]
            if s.status is not None:
                parts += [f"{s.progress.total} runs: {s.progress.words()}", s.status.message]
            elif s.problem:
                parts.append(s.problem)
            parts.append(
                "enter compares its schedules · x "
                + ("hides" if s.id in self.expanded else "lists")
                + " its runs"
            )
            detail.update(" · ".join(parts))
            return
        parts = [s.id, s.schedule if s.schedule is not None else "no schedule spec"]
        if s.error:
            parts.append(s.error.strip().splitlines()[-1])
        if s.problem:
            parts.append(s.problem)
        if self.selected:
            parts.append(f"{len(self.selected)} selected (c compares)")
        detail.update(plain(" · ".join(parts)))

    # -- helpers ---------------------------------------------------------------------------------------------
    def current(self):
        key = self._current_key()
        return None if key is None else self.summaries.get(key)

    def _is_group(self, item) -> bool:
        return item is not None and not isinstance(item, (RunSummary, ScannedRun))

    def _not_lrtuis(self, s, what: str) -> bool:
        """A scanned run of another format: lrtui did not start it and does not control it (says so)."""
        if not isinstance(s, ScannedRun) or s.format == "lrtui":
            return False
        self.notify(
            f"{s.name} is a {FORMATS.get(s.format, s.format)} run lrtui did not start: it cannot {what} it",
            severity="warning",
        )
        return True

    def _refresh_row(self, run_id: str) -> None:
        table = self.query_one(LazyTable)
        row = table.row(run_id)
        if row is not None:  # the mark in the first column, the rest as listed
            mark = "✓" if run_id in self.selected else " "
            table.replace_row(Row(run_id, (mark, *row.cells[1:]), row.styles))
        self._show_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose_metric" and isinstance(self.focused, Input):
            return False  # b typed into the prompt
        return super().check_action(action, parameters)

    # -- actions ---------------------------------------------------------------------------------------------
    def action_back(self) -> None:
        if self.query_one("#runs-metric", Input).has_class("shown"):
            self._close_metric_prompt()
            return
        go_back(self, self.quit_on_back)

    def action_choose_metric(self) -> None:
        prompt = self.query_one("#runs-metric", Input)
        listed = self._listed_message
        names = sorted(
            {m for r in (listed.scanned if listed else []) for m in r.metrics}
            | {m for v in self.ranked.values() for m in v[3]}
        )
        some = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
        prompt.placeholder = (
            f"best of which metric? a name or regex, empty = auto ({some or 'test_acc, ...'})"
        )
        prompt.value = self.metric or ""
        prompt.add_class("shown")
        self.set_focus(prompt)  # now, not deferred: the keys typed right after b reach the prompt

    def _close_metric_prompt(self) -> None:
        self.query_one("#runs-metric", Input).remove_class("shown")
        self.set_focus(self.query_one(LazyTable))

    @on(Input.Submitted, "#runs-metric")
    def _metric_chosen(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            try:
                re.compile(text)
            except re.error as err:
                self.notify(f"metric={text!r} is not a name or a valid regex: {err}", severity="error")
                return
        self.metric = text or None
        self.ranked.clear()
        self._close_metric_prompt()
        self.query_one("#runs-title", Static).update(self._title())
        self.refresh_list()

    def action_open(self) -> None:
        s = self.current()
        if self._is_group(s):
            self._open_group(s)
            return
        if s is not None and s.state == "queued":
            self.notify(f"{s.id} has not started yet", severity="warning")
            return
        if s is not None:
            from lrtui.screens.monitor import open_run_monitor

            options: dict = {"clock": self.clock, "sample_device": self.sample_device}
            if isinstance(s, ScannedRun) and s.format != "lrtui":
                options.update(source_format=s.format, live_after_s=self.live_after_s)
            open_run_monitor(self.app, s.dir, **options)

    def _open_group(self, group) -> None:
        if group.group is None:
            self.notify(f"{group.id}: {group.problem}", severity="error")
            return
        from lrtui.screens.sweep import GroupCompareScreen

        self.app.push_screen(GroupCompareScreen(group.dir, clock=self.clock))

    def action_expand(self) -> None:
        key = self._current_key()
        if key is None:
            return
        group_id = key.split("/", 1)[0]  # on a member row: its group
        if not self._is_group(self.summaries.get(group_id)):
            self.notify("x lists the runs of a sweep group (this is a single run)", severity="warning")
            return
        self.expanded ^= {group_id}
        if self._listed_message is not None:
            self._listed(self._listed_message)
            self.query_one(LazyTable).move_cursor(row=self.order.index(group_id))

    def _current_key(self) -> str | None:
        return self.query_one(LazyTable).cursor_key

    def action_toggle_select(self) -> None:
        s = self.current()
        key = self._current_key()
        if s is None or key is None:
            return
        if self._is_group(s):
            self.notify(
                "enter compares a sweep's schedules; x lists its runs to select them", severity="warning"
            )
            return
        if s.state == "queued":
            return
        self.selected ^= {key}
        self._refresh_row(key)
        table = self.query_one(LazyTable)
        if table.cursor_row < len(self.order) - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_compare(self) -> None:
        # oldest first: "#1" is the first run of the experiment
        picked = [self.summaries[i] for i in reversed(self.order) if i in self.selected]
        if not picked:
            s = self.current()
            if self._is_group(s):
                self._open_group(s)
                return
            picked = [s] if s is not None and s.state != "queued" else []
        # runs of other formats go as (format, dir): the compare view reads them through lrtui.sources
        chosen = [
            (r.format, r.dir) if isinstance(r, ScannedRun) and r.format != "lrtui" else r.dir for r in picked
        ]
        if not chosen:
            self.notify("select runs with space, then c", severity="warning")
            return
        self.app.push_screen(CompareScreen(chosen))

    def action_stop(self) -> None:
        s = self.current()
        if s is None or self._not_lrtuis(s, "stop"):
            return
        if self._is_group(s):
            self._stop_group(s)
            return
        if s.state not in SHOWN_LIVE_STATES:
            self.notify(f"{s.id} is {s.state}: nothing to stop", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._control("stop", s.dir)

        self.app.push_screen(
            ConfirmScreen(
                f"Stop run {s.id}?\nIt gets SIGTERM, saves a checkpoint and ends "
                "'stopped'; resume it later with r."
            ),
            answered,
        )

    def _stop_group(self, g) -> None:
        if g.state not in ("running", "stopping"):
            self.notify(f"sweep {g.name} is {g.state}: nothing to stop", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._control("stop_group", g.dir)

        self.app.push_screen(
            ConfirmScreen(
                f"Stop sweep {g.name}?\nIts queue stops starting runs; its {g.progress.running} running run(s) get "
                "SIGTERM, save a checkpoint and end 'stopped'. Resume the whole group later with r."
            ),
            answered,
        )

    def action_resume(self) -> None:
        s = self.current()
        if s is None or self._not_lrtuis(s, "resume"):
            return
        if self._is_group(s):
            if s.state in ("running", "stopping") and s.status.queue_pid is not None:
                self.notify(f"sweep {s.name} is already {s.state}", severity="warning")
            elif s.progress.pending == 0:
                self.notify(f"sweep {s.name}: every run ended, nothing to resume", severity="warning")
            else:
                self._control("resume_group", s.dir)
            return
        if s.state in SHOWN_LIVE_STATES:
            self.notify(f"{s.id} is already {s.state}", severity="warning")
            return
        if s.state == "finished":
            self.notify(f"{s.id} finished: nothing to resume", severity="warning")
            return
        if not (s.dir / CHECKPOINT).is_file():  # as `lrtui resume`: no trainer started just to fail
            self.notify(f"{s.id} has no {CHECKPOINT} to resume from", severity="warning")
            return
        self._control("resume", s.dir)

    def action_delete(self) -> None:
        s = self.current()
        if s is None or self._not_lrtuis(s, "delete"):
            return
        if s.state in (*SHOWN_LIVE_STATES, "stopping"):
            self.notify(f"{s.id} is {s.state}: stop it before deleting", severity="warning")
            return
        if self._is_group(s):

            def answered_group(yes: bool | None) -> None:
                if yes:
                    self._control("delete_group", s.dir)

            self.app.push_screen(
                ConfirmScreen(
                    f"Delete sweep {s.name} and all its {s.progress.total} runs?\n{s.dir}", yes="Delete"
                ),
                answered_group,
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._control("delete", s.dir)

        self.app.push_screen(
            ConfirmScreen(f"Delete run {s.id} and all its files?\n{s.dir}", yes="Delete"), answered
        )

    @work(thread=True, group="runs-control", exit_on_error=False)
    def _control(self, what: str, run_dir: Path) -> None:
        from lrtui.runs import process
        from lrtui.sweep import queue

        try:
            if what == "stop_group":
                message = queue.stop_group(run_dir)
            elif what == "resume_group":
                pid = queue.resume_group(run_dir)
                message = f"resumed sweep {clean_name(run_dir.name)}: queue pid {pid}"
            elif what == "delete_group":
                queue.delete_group(run_dir)
                message = f"deleted sweep {clean_name(run_dir.name)}"
            elif what == "stop":
                signalled = process.stop(run_dir)
                message = (
                    f"stop requested for {clean_name(run_dir.name)}"
                    if signalled
                    else f"{clean_name(run_dir.name)}: no live process here"
                )
            elif what == "resume":
                from lrtui.runs.distributed import resume_run

                _pid, started = resume_run(run_dir)  # a torchrun job resumes on its own layout
                message = f"resumed {clean_name(run_dir.name)} on {started}"
            else:
                process.delete_run(run_dir)
                message = f"deleted {clean_name(run_dir.name)}"
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"{what} failed: {exc}", severity="error")
            return
        self.app.call_from_thread(self.notify, message)
        self.refresh_list()


# ---------------------------------------------------------------------------------------------- compare
_PLOTEXT_TO_RICH = {
    "cyan+": "bright_cyan",
    "orange+": "orange1",
    "green+": "bright_green",
    "magenta+": "bright_magenta",
    "blue+": "bright_blue",
    "red+": "bright_red",
}


def _rich_color(plotext_color: str) -> str:
    """The Rich colour of a plotext series colour, so the table's '#n' matches the chart lines."""
    return _PLOTEXT_TO_RICH.get(plotext_color, plotext_color.rstrip("+"))


class CompareScreen(StaleResizeGuard, Screen):
    """Selected runs, of any formats, overlaid: LR, loss (EMA) and accuracy (or any shared metric: m).

    Live: every `reload_s` a thread worker reads what the runs appended (`CompareFollower`), so a run still
    training grows on screen. `x` puts the LR and loss on one epoch axis (runs with different steps per
    epoch line up by epoch) or back on optimizer steps.
    """

    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen > #compare-title {
        height: 1; background: $boost; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis;
    }
    CompareScreen > #compare-charts { height: 1fr; }
    CompareScreen .compare-chart { width: 1fr; height: 1fr; }
    CompareScreen .compare-caption { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    CompareScreen > DataTable { height: auto; max-height: 40%; }
    """

    HELP_TITLE = "Compare"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="compare.back"),
        Binding(
            "x",
            "toggle_x",
            "Steps/epochs",
            id="compare.x",
            tooltip="LR and loss over optimizer steps, or over epochs (runs with different steps/epoch align)",
        ),
        Binding("r", "reload", "Reload", id="compare.reload", tooltip="Read every run again from its files"),
        Binding(
            "m",
            "next_metric",
            "Metric",
            id="compare.metric",
            tooltip="Third chart: accuracy, then each metric all runs logged",
        ),
    ]

    class Loaded(Message):
        def __init__(self, runs: list[ComparedRun]) -> None:
            super().__init__()
            self.runs = runs

    def __init__(self, run_dirs: Sequence, *, reload_s: float = REFRESH_S) -> None:
        """`run_dirs`: lrtui run directories, or (format, path) pairs for runs of any format."""
        super().__init__()
        self.entries = [d if isinstance(d, tuple) else Path(d) for d in run_dirs]
        self.run_dirs = [Path(d[1]) if isinstance(d, tuple) else Path(d) for d in run_dirs]
        self.reload_s = reload_s
        self.runs: list[ComparedRun] | None = None
        self.metric: str | None = None  # None: accuracy; else a shared metric's name
        self.x_unit = "steps"
        self.loads = 0  # updates drawn (tests wait on it)
        self._follower = CompareFollower(self.entries)

    def compose(self) -> ComposeResult:
        yield Static(f"compare {len(self.run_dirs)} runs", id="compare-title", markup=False)
        with Horizontal(id="compare-charts"):
            for key, caption in (("lr", "LR"), ("loss", "loss (EMA 0.98)"), ("acc", "test accuracy %")):
                with Vertical(classes="compare-chart"):
                    yield Static(
                        caption, id=f"compare-{key}-caption", classes="compare-caption", markup=False
                    )
                    yield CurvePlot(id=f"compare-{key}")
        table: DataTable = DataTable(cursor_type="row", id="compare-table")
        for label in ("#", "schedule", "final acc", "best acc", "epochs", "img/s", "state", "run"):
            table.add_column(label)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self._poll()
        self.set_interval(self.reload_s, self._poll, name="compare-follow")

    def action_back(self) -> None:
        go_back(self)

    def action_reload(self) -> None:
        self._follower = CompareFollower(self.entries)
        self._poll()

    def action_toggle_x(self) -> None:
        self.x_unit = "epochs" if self.x_unit == "steps" else "steps"
        self._draw()

    @work(thread=True, exclusive=True, group="compare-load", exit_on_error=False)
    def _poll(self) -> None:
        runs = self._follower.poll()
        if runs is not None:
            self.post_message(self.Loaded(runs))

    @property
    def mixed(self) -> bool:
        """Runs of other formats among them: every chart is over steps."""
        return any(r.format != "lrtui" for r in self.runs or [])

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.runs = message.runs
        self.loads += 1
        self._draw()

    def _draw(self) -> None:
        runs = self.runs
        if runs is None:
            return
        epochs = self.x_unit == "epochs"
        # On the epoch axis, runs that say nothing about epochs (other formats) are left out (the title says).
        shown = [r for r in runs if not epochs or r.epochs_x is not None]

        def x(r: ComparedRun) -> np.ndarray:
            return r.epochs_x if epochs else r.steps

        xlabel = "epoch" if epochs else "step"
        self.query_one("#compare-lr", CurvePlot).set_figure(
            Figure(
                series=[Series(x(r), r.lr, r.label) for r in shown if r.lr.size], xlabel=xlabel, ylabel="lr"
            )
        )
        self.query_one("#compare-loss", CurvePlot).set_figure(
            Figure(
                series=[
                    Series(x(r) if epochs or r.loss_x is None else r.loss_x, r.loss_ema, r.label)
                    for r in shown
                    if r.loss_ema.size
                ],
                xlabel=xlabel,
                ylabel="loss",
            )
        )
        self._third_chart()
        self._fill_table()
        live = sum(r.live for r in runs)
        self.query_one("#compare-title", Static).update(
            f"compare {len(runs)} runs"
            + (f" · {live} training (updates live)" if live else "")
            + f" · x: {self.x_unit}"
            + (f" ({len(runs) - len(shown)} without epochs not shown)" if len(shown) < len(runs) else "")
            + f" · best {'acc' if self.mixed else 'test acc'} {format_acc(self.best_acc)}"
            + (" · m: any shared metric" if shared_metrics(runs) else "")
        )

    def _third_chart(self) -> None:
        runs = self.runs or []
        plot = self.query_one("#compare-acc", CurvePlot)
        caption = self.query_one("#compare-acc-caption", Static)
        if self.metric is None:
            series = []
            for r in runs:
                x = r.acc_steps if self.mixed and r.acc_steps is not None else r.acc_x
                if x.size:
                    series.append(
                        Series(x, 100 * r.acc_y, r.label, style="line" if x.size > 1 else "scatter")
                    )
            plot.set_figure(Figure(series=series, xlabel="step" if self.mixed else "epoch", ylabel="acc %"))
            caption.update("accuracy % (over steps)" if self.mixed else "test accuracy %")
            return
        series = []
        for r in runs:
            steps, values = r.metrics[self.metric]
            style = "line" if np.size(steps) > 1 else "scatter"
            series.append(Series(np.asarray(steps, dtype=np.float64), values, r.label, style=style))
        plot.set_figure(Figure(series=series, xlabel="step", ylabel=""))
        caption.update(f"{self.metric} (m: next shared metric)")

    def action_next_metric(self) -> None:
        names = shared_metrics(self.runs or [])
        if not names:
            self.notify("the compared runs share no metric name besides the charts shown", severity="warning")
            return
        order = [None, *names]
        self.metric = order[(order.index(self.metric) + 1) % len(order)] if self.metric in order else None
        self._third_chart()

    @property
    def best_acc(self) -> float | None:
        """The best test accuracy among the compared runs (None before they load, or if none has one)."""
        return max((r.best_acc for r in self.runs or [] if r.best_acc is not None), default=None)

    def on_resize(self) -> None:
        if self.runs is not None:
            self._fill_table()

    def _fitted_ids_and_schedules(self, runs: list[ComparedRun]) -> tuple[list[str], list[str]]:
        """The run and schedule cells, cut to share what the other columns leave (~51 cells with their
        padding, plus the state): at 80 columns the accuracies stay in view, and each run shows the part
        of its name that tells it from the others (no timestamp, no folders they all share, the end of a
        long path); on a wide terminal the whole spec and name show."""
        ids = drop_shared_dirs([short_id(r.run_id) for r in runs])
        room = self.size.width - 51 - max((len(r.state) for r in runs), default=5)
        names = [
            short_schedule(r.schedule, None) if r.format == "lrtui" else FORMATS.get(r.format, r.format)
            for r in runs
        ]
        id_natural = max(map(len, ids), default=3)
        # a spec cut shorter than 16 says little; format names are short
        floor = 16 if any(r.format == "lrtui" for r in runs) else len("schedule")

        def widths(names: list[str]) -> tuple[int, int]:
            wanted = max(len("schedule"), *map(len, names))  # the column is never narrower than its label
            if id_natural + wanted <= room:
                return id_natural, room - id_natural
            id_width = min(id_natural, max(12, room - min(wanted, floor)))
            return id_width, max(floor, room - id_width)

        id_width, schedule_width = widths(names)
        if any(r.format != "lrtui" and len(n) > schedule_width for r, n in zip(runs, names)):
            names = [  # formats by their short names where the long ones do not fit
                n if r.format == "lrtui" or len(n) <= schedule_width else SHORT_FORMATS.get(r.format, n)
                for r, n in zip(runs, names)
            ]
            id_width, schedule_width = widths(names)
        schedules = [
            short_schedule(n, schedule_width) if r.format == "lrtui" else n for r, n in zip(runs, names)
        ]
        return [cut_left(i, id_width) for i in ids], schedules

    def _fill_table(self) -> None:
        runs = self.runs or []
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        best = self.best_acc
        ids, schedules = self._fitted_ids_and_schedules(runs)
        for number, (r, run_id, schedule) in enumerate(zip(runs, ids, schedules), start=1):
            color = _rich_color(SERIES_COLORS[(number - 1) % len(SERIES_COLORS)])
            best_cell = Text(
                format_acc(r.best_acc), style="bold green" if best is not None and r.best_acc == best else ""
            )
            epochs = (
                "—"
                if r.epochs_done is None
                else f"{r.epochs_done}" + (f"/{r.epochs_total}" if r.epochs_total else "")
            )
            table.add_row(
                Text(f"━━ #{number}", style=color),
                plain(schedule),
                plain(format_acc(r.final_acc)),
                best_cell,
                plain(epochs),
                plain(f"{r.images_per_s:,.0f}" if r.images_per_s else "—"),
                plain(r.state),
                plain(run_id),
            )
        if runs:
            table.move_cursor(row=min(cursor, len(runs) - 1))
        self.call_after_refresh(_redraw, table)


class RunsApp(LrtuiBaseApp):
    """`lrtui runs` interactive: the runs screen alone; escape or q quits (runs keep going)."""

    TITLE = "lrtui runs"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(self, runs_dir: str | Path | None = None, **options: object) -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.options = options  # scan_roots, include_runs_dir, metric, live_after_s

    def on_mount(self) -> None:
        self.push_screen(RunsScreen(self.runs_dir, quit_on_back=True, **self.options))  # type: ignore[arg-type]


def runs_main(runs_dir: str | Path | None = None) -> int:
    """Entry point for an interactive `lrtui runs` (the runs screen on its own)."""
    return RunsApp(runs_dir).run_reporting()
