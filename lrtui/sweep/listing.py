"""Sweep groups in a runs dir, summarized for `lrtui runs` and the runs screen (status files only; stdlib)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from lrtui.runs.listing import RunSummary
from lrtui.runs.paths import default_runs_dir
from lrtui.sweep.group import GROUP_FILE, Group, GroupError, MemberState, Progress, member_states, read_group
from lrtui.sweep.queue import GroupStatus, group_status


@dataclass(frozen=True)
class GroupSummary:
    id: str
    dir: Path
    group: Group | None  # None when group.json cannot be used (problem says why)
    status: GroupStatus | None
    states: list[MemberState] = field(default_factory=list)
    created: float | None = None
    updated: float | None = None
    problem: str | None = None

    @property
    def state(self) -> str:
        return self.status.state if self.status is not None else "unknown"

    @property
    def progress(self) -> Progress:
        return self.status.progress if self.status is not None else Progress(total=0)

    @property
    def name(self) -> str:
        return self.group.name if self.group is not None else self.id

    @property
    def members(self) -> list[RunSummary]:
        return [s.summary for s in self.states if s.summary is not None]

    @property
    def best_test_acc(self) -> float | None:
        accs = [m.best_test_acc for m in self.members if m.best_test_acc is not None]
        return max(accs) if accs else None

    def recipe(self, key: str) -> str | None:
        value = self.group.recipe.get(key) if self.group is not None else None
        return value if isinstance(value, str) else None

    @property
    def shape(self) -> str:
        """'3 schedules × 2' (schedules × repeats)."""
        if self.group is None:
            return "—"
        n = len(self.group.schedules)
        return f"{n} schedule{'s' if n != 1 else ''} × {self.group.repeats}"


def summarize_group(group_dir: Path, now: float | None = None) -> GroupSummary:
    now = time.time() if now is None else now
    try:
        group = read_group(group_dir)
    except GroupError as err:
        try:
            mtime = group_dir.stat().st_mtime
        except OSError:
            mtime = None
        return GroupSummary(group_dir.name, group_dir, None, None, created=mtime, problem=str(err))
    states = member_states(group, now)
    status = group_status(group, now, states)
    updates = [s.summary.updated for s in states if s.summary is not None and s.summary.updated is not None]
    return GroupSummary(
        id=group.id,
        dir=group_dir,
        group=group,
        status=status,
        states=states,
        created=group.created,
        updated=max(updates) if updates else group.created,
    )


def list_groups(runs_dir: str | Path | None = None, now: float | None = None) -> list[GroupSummary]:
    """Every sweep group directly under `runs_dir`, newest first."""
    root = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()
    now = time.time() if now is None else now
    try:
        entries = [e for e in os.scandir(root) if not e.name.startswith(".") and e.is_dir()]
    except OSError:
        return []
    out = []
    for entry in entries:
        path = Path(entry.path)
        if (path / GROUP_FILE).is_file():
            out.append(summarize_group(path, now))
    out.sort(key=lambda g: (g.created or 0.0, g.id), reverse=True)
    return out


def find_group(ref: str, runs_dir: str | Path | None = None) -> Path:
    """A group directory from a path, an id, a unique part of an id, or "last"; ValueError naming `ref` otherwise.

    Like run references, ids are looked up in the runs dir only (a path must name a group directory).
    """
    root = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()
    path = Path(ref).expanduser()
    if (path / GROUP_FILE).is_file():
        return path
    try:
        names = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        raise ValueError(
            f"GROUP={ref!r} is not a group directory and the runs dir {root} cannot be read"
        ) from None
    groups = [n for n in names if (root / n / GROUP_FILE).is_file()]
    if ref in ("last", "latest") and groups:
        return list_groups(root)[0].dir
    if ref in groups:
        return root / ref
    matches = [n for n in groups if n.startswith(ref)] or [n for n in groups if ref in n]
    if len(matches) == 1:
        return root / matches[0]
    if (root / ref).is_dir() or (ref in names):
        raise ValueError(
            f"GROUP={ref!r} is not allowed: {root / ref} is a run, not a sweep group (no {GROUP_FILE})"
        )
    if matches:
        raise ValueError(
            f"GROUP={ref!r} matches {len(matches)} groups in {root}: {', '.join(matches[:5])}; give more of the id"
        )
    some = ", ".join(groups[-5:]) or "none yet"
    raise ValueError(
        f"GROUP={ref!r} is not a sweep group in {root} (groups there: {some}; or 'last' for the newest)"
    )
