"""The per-rank view of a torchrun job: one row per rank from its heartbeats (lrtui.runs.ranks).

A summary line (world size, hosts, median step and own time, the ranks to look at) over a table: rank,
state, step, own time (data + forward: what a rank does alone), step time, last heartbeat age, memory,
phase, host, data time, note. The straggler's own time is yellow, stalled and dead ranks red. `K` orders
the rows by rank or worst first (the ranks the job's state blames, then by severity: with 64+ ranks the
ones to look at come first); the table scrolls. What is wrong is said in full by the monitor's state line.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from lrtui.runs.ranks import JobHealth, RankRow
from lrtui.widgets.runs.model import format_duration

ORDERS = ("rank", "worst")
ROW_STYLE = {
    "ok": ("●", ""),
    "straggler": ("▲", "yellow"),
    "slow": ("▲", "yellow"),
    "stalled": ("‖", "bold red"),
    "dead": ("✖", "bold red"),
    "failed": ("✖", "red"),
    "silent": ("?", "bold magenta"),
    "missing": ("◌", "magenta"),
    "exited": ("✔", "dim"),
}
SEVERITY = {
    "dead": 0,
    "failed": 1,
    "silent": 2,
    "missing": 3,
    "stalled": 4,
    "straggler": 5,
    "slow": 5,
    "ok": 6,
    "exited": 7,
}


def format_seconds(value: float | None) -> str:
    """'850µs', '12ms', '1.3s', '2m05s'; '—' when unknown."""
    if value is None or not math.isfinite(value) or value < 0:
        return "—"
    if value < 1e-3:
        return f"{value * 1e6:.0f}µs"
    if value < 1.0:
        return f"{value * 1e3:.0f}ms"
    if value < 60.0:
        return f"{value:.1f}s"
    return f"{int(value // 60)}m{int(value % 60):02d}s"


def format_bytes(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    for unit, size in (("T", 2**40), ("G", 2**30), ("M", 2**20), ("K", 2**10)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}B"


def memory_text(row: RankRow) -> str:
    if row.mem is None:
        return "—"
    if row.mem_total:
        return f"{format_bytes(row.mem)}/{format_bytes(row.mem_total)}"
    return format_bytes(row.mem)


def summary_text(health: JobHealth) -> Text:
    """The line over the table: the job's shape (the state line above the charts says what is wrong)."""
    text = Text()
    world = health.world_size or len(health.rows)
    text.append(f"{world} ranks", style="bold")
    if health.hosts:
        text.append(f" · {len(health.hosts)} host{'s' if len(health.hosts) > 1 else ''}")
    if health.median_step_time:
        text.append(f" · {format_seconds(health.median_step_time)}/step")
    if health.median_own_time:
        text.append(f" · own {format_seconds(health.median_own_time)}")
    if health.culprits:
        style = {"hung": "bold red", "degraded": "bold yellow"}.get(health.state, "bold yellow")
        text.append(f" · look at {_ranks(health.culprits)}", style=style)
    elif health.straggler is not None:
        text.append(f" · straggler {health.straggler}", style="yellow")
    return text


def _ranks(ranks: tuple[int, ...]) -> str:
    from lrtui.runs.ranks import rank_ranges

    return ("rank " if len(ranks) == 1 else "ranks ") + rank_ranges(list(ranks))


def ordered(rows: tuple[RankRow, ...], order: str, culprits: tuple[int, ...] = ()) -> list[RankRow]:
    """By rank, or worst first: the ranks the job's state blames, then by severity and own time."""
    if order == "worst":
        blame = {rank: i for i, rank in enumerate(culprits)}
        return sorted(
            rows,
            key=lambda r: (
                blame.get(r.rank, len(blame)),
                SEVERITY.get(r.state, 6),
                -(r.own_time or 0.0),
                r.rank,
            ),
        )
    return sorted(rows, key=lambda r: r.rank)


def row_cells(row: RankRow, hosts: int, straggler: int | None = None) -> list[Text]:
    symbol, style = ROW_STYLE.get(row.state, ("?", "magenta"))
    slow = "yellow" if row.rank == straggler else ""
    label = {"ok": "ok", "straggler": "straggler"}.get(row.state, row.state)
    cells = [
        Text(str(row.rank), style="bold" if row.state != "ok" else ""),
        Text(f"{symbol} {label}", style=style),
        Text("—" if row.step is None else f"{row.step:,}"),
        Text(format_seconds(row.own_time), style=slow),
        Text(format_seconds(row.step_time)),
        Text(format_duration(row.beat_age)),
        Text(memory_text(row)),
        Text(row.phase or "—"),
        Text(format_seconds(row.data_time)),
        Text(row.note, style=style or "dim"),
    ]
    if hosts > 1:
        cells.insert(8, Text(row.host or "?"))
    return cells


class RanksPanel(Vertical):
    """Summary + table of a job's ranks; `show(snapshot)` redraws when the ranks changed."""

    DEFAULT_CSS = """
    RanksPanel { height: 1fr; width: 1fr; }
    RanksPanel > #ranks-summary { height: auto; max-height: 3; width: 1fr; padding: 0 1; }
    RanksPanel > DataTable { height: 1fr; width: 1fr; }
    """

    def __init__(self, *, id: str | None = "ranks", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.order = "rank"
        self.health: JobHealth | None = None
        self._key: object = None
        self.summary = Static("", id="ranks-summary", markup=False)
        self.table = DataTable(id="ranks-table", cursor_type="row", zebra_stripes=False, cell_padding=1)

    def compose(self) -> ComposeResult:
        yield self.summary
        yield self.table

    def show(self, health: JobHealth | None) -> None:
        key = (health, self.order)
        if key == self._key:
            return
        self._key = key
        self.health = health
        if health is None:
            self.summary.update(Text("not a distributed run: no ranks/ heartbeats", style="dim"))
            self.table.clear(columns=True)
            return
        self.summary.update(summary_text(health))
        hosts = len(health.hosts)
        # most telling first: a quarter of an 80-column screen shows rank, state, step, own time
        columns = ["rank", "state", "step", "own", "t/step", "beat", "mem", "phase", "data", "note"]
        if hosts > 1:
            columns.insert(8, "host")
        if [str(c.label) for c in self.table.columns.values()] != columns:
            self.table.clear(columns=True)
            self.table.add_columns(*columns)
        cursor = self.table.cursor_row
        self.table.clear()
        for row in ordered(health.rows, self.order, health.culprits):
            self.table.add_row(*row_cells(row, hosts, health.straggler), key=str(row.rank))
        if self.table.row_count:
            self.table.move_cursor(row=min(cursor, self.table.row_count - 1), animate=False)

    def cycle_order(self) -> str:
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        if self.health is not None:
            self.show(self.health)
        return self.order

    def rows_text(self) -> list[str]:
        """The table as plain text lines (tests and screenshots read it)."""
        out = []
        for row_key in self.table.rows:
            out.append("  ".join(str(c) for c in self.table.get_row(row_key)))
        return out
