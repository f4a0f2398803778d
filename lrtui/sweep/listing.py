"""Sweep groups in a runs dir, summarized for `lrtui runs` and the runs screen (status files only; stdlib)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from lrtui.runs.listing import RunSummary
from lrtui.runs.paths import default_runs_dir
from lrtui.runs.references import RefKind, resolve_ref
from lrtui.runs.text import clean_text, shorten
from lrtui.sweep.group import (
    GROUP_FILE,
    Group,
    GroupError,
    MemberState,
    Progress,
    is_group_dir,
    member_states,
    read_group,
)
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
        # A symlink is not followed (as for runs): a group's directory is in the runs dir.
        entries = [
            e for e in os.scandir(root) if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)
        ]
    except OSError:
        return []
    out = []
    for entry in entries:
        path = Path(entry.path)
        if is_group_dir(path):
            out.append(summarize_group(path, now))
    out.sort(key=lambda g: (g.created or 0.0, g.id), reverse=True)
    return out


GROUP = RefKind(
    "GROUP",
    "sweep group",
    "groups",
    "a group id, a unique prefix of one, a group directory path, 'last', or the name of one group",
    accepts=is_group_dir,
    not_one=f"it is a run, not a sweep group (no {GROUP_FILE})",
)


def find_group(ref: str, runs_dir: str | Path | None = None, *, read_only: bool = False) -> Path:
    """The group directory `ref` names, by the rules of run references (lrtui.runs.references): a real
    directory with a group.json directly in the runs dir, by its id, a unique prefix of one (never a
    substring), "last", or a path resolving to one; else by its name (`--name`) if one group has it.
    `read_only` (status, results) also accepts a group directory elsewhere. ValueError naming `ref`, and
    the candidates when it is ambiguous, otherwise."""
    root = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()

    def newest() -> Path | None:
        groups = list_groups(root)
        return groups[0].dir if groups else None

    try:
        return resolve_ref(ref, root, GROUP, newest=newest, read_only=read_only)
    except ValueError:
        if not isinstance(ref, str) or not ref.strip() or "/" in ref or ref in (".", ".."):
            raise
        # The name the group was started with (`--name demo`, shown by `lrtui runs`), when it is no id
        # or prefix: exactly, and only if one group has it.
        named = [g for g in list_groups(root) if g.group is not None and g.group.name == ref]
        if len(named) == 1:
            return named[0].dir
        if not named:
            raise
        raise ValueError(
            f"GROUP={shorten(repr(ref), 100)} is the name of {len(named)} groups in {clean_text(root)}: "
            + ", ".join(g.id for g in named[:5])
            + "; give the id (or a unique prefix of it)"
        ) from None
