"""Listing the runs in a runs directory: one summary per run, newest first, fast and tolerant.

A summary reads config.json and status.json only. RunLogger keeps epochs_done / last_test_acc /
best_test_acc in status.json; for runs written by other tools that lack them, the last 64 KiB of
metrics.jsonl are scanned for epoch records (so best_test_acc is then the best of those epochs).
"""

from __future__ import annotations

import calendar
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrtui.runs.paths import CONFIG, METRICS, STATUS, default_runs_dir
from lrtui.runs.reader import read_config
from lrtui.runs.status import effective_state, read_status
from lrtui.runs.text import clean_json, clean_name

TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class RunSummary:
    id: str
    dir: Path
    state: str  # effective state: "lost" is derived, "unknown" when status.json is unusable
    name: str | None
    model: str | None
    dataset: str | None
    schedule: str | None  # the schedule spec string
    epochs_done: int | None
    epochs_total: int | None
    last_test_acc: float | None
    best_test_acc: float | None
    created: float | None  # unix time
    updated: float | None  # unix time of the last status update
    age: float | None  # seconds since `updated`
    error: str | None  # status error text (failed runs)
    problem: str | None  # why config/status could not be read, if so
    kind: str = "train"  # config "kind": "train", or "lr_find" (an LR range test)
    lr_suggestion: float | None = None  # lr_find runs: the suggested LR kept in status.json

    @property
    def lr_find_label(self) -> str | None:
        """What an LR range test found, for the schedule column of run lists (None for other runs)."""
        if self.kind != "lr_find":
            return None
        if self.lr_suggestion is not None:
            return f"LR find → {self.lr_suggestion:.3g}"
        return "LR find" + (" (running)" if self.state in ("starting", "running") else "")


def _parse_iso(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S"):
        try:
            return float(calendar.timegm(time.strptime(text, fmt)))
        except ValueError:
            continue
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def schedule_spec(config: dict) -> str | None:
    """The schedule spec string of a run config (`"schedule": {"spec": ...}` or a bare spec string)."""
    schedule = config.get("schedule")
    if isinstance(schedule, dict):
        return _text(schedule.get("spec"))
    return _text(schedule)


def tail_epoch_records(path: Path, max_bytes: int = TAIL_BYTES) -> list[dict]:
    """The epoch records among the last `max_bytes` of a metrics file (complete lines only)."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            start = max(0, size - max_bytes)
            f.seek(start)
            data = f.read(size - start)
    except OSError:
        return []
    lines = data.split(b"\n")
    if start > 0:
        lines = lines[1:]  # first line is probably cut
    lines = lines[:-1]  # the last piece is partial or empty
    out = []
    for line in lines:
        if b'"epoch"' not in line or b'"kind":"epoch"' not in line.replace(b" ", b""):
            continue
        try:
            rec = clean_json(json.loads(line))
        except (ValueError, UnicodeDecodeError, RecursionError):
            continue
        if isinstance(rec, dict) and rec.get("kind") == "epoch":
            out.append(rec)
    return out


def summarize_run(run_dir: Path, now: float | None = None) -> RunSummary | None:
    """One run's summary, or None when the directory is not a run (no config.json or status.json)."""
    run_dir = Path(run_dir)
    if not ((run_dir / CONFIG).exists() or (run_dir / STATUS).exists()):
        return None
    now = time.time() if now is None else now
    config, config_problem = read_config(run_dir)
    status = read_status(run_dir)
    problems = [p for p in (config_problem, status.get("problem")) if p]
    epochs_done = _int(status.get("epochs_done"))
    last_acc = _num(status.get("last_test_acc"))
    best_acc = _num(status.get("best_test_acc"))
    if epochs_done is None and last_acc is None:
        records = tail_epoch_records(run_dir / METRICS)
        if records:
            last = records[-1]
            ep = _int(last.get("epoch"))
            epochs_done = ep + 1 if ep is not None else None
            last_acc = _num(last.get("test_acc"))
            accs = [a for a in (_num(r.get("test_acc")) for r in records) if a is not None]
            best_acc = max(accs) if accs else None
    created = _parse_iso(config.get("created")) or _num(status.get("started"))
    if created is None:
        try:
            created = run_dir.stat().st_mtime
        except OSError:
            created = None
    updated = _num(status.get("updated"))
    return RunSummary(
        id=clean_name(run_dir.name),
        dir=run_dir,
        state=effective_state(status, now) if status else "unknown",
        name=_text(config.get("name")),
        model=_text(config.get("model")),
        dataset=_text(config.get("dataset")),
        schedule=schedule_spec(config),
        epochs_done=epochs_done,
        epochs_total=_int(config.get("epochs")),
        last_test_acc=last_acc,
        best_test_acc=best_acc,
        created=created,
        updated=updated,
        age=(now - updated) if updated is not None else None,
        error=_text(status.get("error")),
        problem="; ".join(problems) or None,
        kind=config.get("kind") if isinstance(config.get("kind"), str) else "train",
        lr_suggestion=_num(status.get("lr_suggestion")),
    )


def list_runs(runs_dir: str | Path | None = None, now: float | None = None) -> list[RunSummary]:
    """Summaries of every run under `runs_dir` (default: default_runs_dir()), newest first.

    Hidden entries, plain files and directories without config.json/status.json are skipped; a
    missing runs dir is an empty list.
    """
    root = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()
    now = time.time() if now is None else now
    try:
        entries = [e for e in os.scandir(root) if not e.name.startswith(".") and e.is_dir()]
    except OSError:
        return []
    summaries = []
    for entry in entries:
        try:
            summary = summarize_run(Path(entry.path), now)
        except OSError:
            continue
        if summary is not None:
            summaries.append(summary)
    summaries.sort(key=lambda s: (s.created or 0.0, s.id), reverse=True)
    return summaries


def find_run(run: str, runs_dir: str | Path | None = None) -> Path:
    """A run directory from a path, an id, a unique id prefix/substring, or "last" (the newest run).

    Raises ValueError naming the value and what is allowed.
    """
    path = Path(run).expanduser()
    if path.is_dir():
        return path
    root = Path(runs_dir).expanduser() if runs_dir else default_runs_dir()
    if (root / run).is_dir():
        return root / run
    try:
        runs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    except OSError:
        raise ValueError(f"RUN={run!r} is not a directory and the runs dir {root} cannot be read") from None
    if run in ("last", "latest") and runs:
        listed = list_runs(root)
        if listed:
            return listed[0].dir
    matches = [d for d in runs if d.name.startswith(run)] or [d for d in runs if run in d.name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        some = ", ".join(clean_name(d.name) for d in runs[-5:]) or "none"
        raise ValueError(
            f"RUN={run!r} is not a run directory or a run id in {root} (runs there: {some}; "
            "or 'last' for the newest)"
        )
    raise ValueError(
        f"RUN={run!r} matches {len(matches)} runs in {root}: "
        + ", ".join(clean_name(d.name) for d in matches[:5])
        + "; give more of the id"
    )
