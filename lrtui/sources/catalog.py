"""Summaries of many runs of any format for the runs screen, fast first and complete soon after.

`quick(ref)` costs a few stat() calls: the run's newest write time (its state: live within
`live_after_s`) and a signature of its files. `details(refs)` reads the runs whose files changed since
they were last read (the others keep their summary) and yields summaries as they are done: last step,
the best and last value of the chosen metric, the metric names. Readers are kept in an LRU bounded by
the points they hold, so a live run re-read every refresh costs only what it appended.
"""

from __future__ import annotations

import os
import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lrtui.sources.base import LIVE_AFTER_S, Source, regular_file
from lrtui.sources.discover import RunRef
from lrtui.sources.hf import STATE, checkpoint_states
from lrtui.sources.roles import assign_roles, is_eval, metric_goal
from lrtui.sources.tensorboard import MAX_FILES, is_event_file

MAX_POINTS_CACHED = 20_000_000  # points held by cached readers, all runs together


@dataclass(frozen=True)
class SourceSummary:
    """One run of any format as the runs screen lists it."""

    key: str
    ref: RunRef
    state: str  # live | idle | finished (lrtui runs: their own states)
    updated: float | None  # newest write (unix time)
    last_step: int | None = None
    metric: str | None = None  # the metric `best`/`last` are of
    best: float | None = None
    best_step: int | None = None
    last: float | None = None
    metrics: tuple[str, ...] = ()
    model: str | None = None
    problem: str | None = None
    read: bool = False  # details filled in

    @property
    def format(self) -> str:
        return self.ref.format

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def dir(self) -> Path:
        return self.ref.path


def _files(ref: RunRef) -> list[Path]:
    path = ref.path
    if path.is_file():
        return [path]
    if ref.format == "tensorboard":
        try:
            with os.scandir(path) as it:
                names = sorted(e.name for e in it if is_event_file(e.name))[:MAX_FILES]
        except OSError:
            return []
        return [path / n for n in names]
    if ref.format == "lightning":
        return [path / "metrics.csv", path / "hparams.yaml"]
    if ref.format == "hf-trainer":
        return [path / STATE] + [p for _, p in sorted(checkpoint_states(path))[-2:]]
    return [path / "status.json", path / "metrics.jsonl"]


def signature(ref: RunRef) -> tuple[tuple, float | None]:
    """(a signature that changes when the run's files change, the newest mtime)."""
    sig = []
    newest = None
    for f in _files(ref):
        st = regular_file(f)
        if st is None:
            continue
        sig.append((f.name, st.st_ino, st.st_size, st.st_mtime_ns))
        newest = st.st_mtime if newest is None else max(newest, st.st_mtime)
    return tuple(sig), newest


def pick_metric(names: list[str], chosen: str | None) -> str | None:
    """The metric a run's best/last show: `chosen` (a name, else a regex) or, automatically, an eval
    accuracy, any accuracy, an eval loss, the training loss."""
    if chosen:
        if chosen in names:
            return chosen
        try:
            rx = re.compile(chosen, re.IGNORECASE)
        except re.error:
            return None
        found = [n for n in names if rx.search(n)]
        # "loss" means train/loss before eval/loss before train_loss_epoch: whole-name matches first, then
        # matches of the last path component, training before evaluation, shorter names first
        found.sort(
            key=lambda n: (not rx.fullmatch(n), not rx.fullmatch(n.rsplit("/", 1)[-1]), is_eval(n), len(n), n)
        )
        return found[0] if found else None
    roles = assign_roles(names)
    accs = [n for n in roles.acc if is_eval(n)] or roles.acc
    if accs:
        return accs[0]
    if "test_acc" in names:
        return "test_acc"
    losses = [n for n in names if "loss" in n.lower() and is_eval(n)]
    if losses:
        return sorted(losses, key=len)[0]
    return roles.loss


def summarize(
    source: Source, ref: RunRef, chosen: str | None, now: float, live_after_s: float
) -> SourceSummary:
    store = source.store
    names = sorted(store.names())
    metric = pick_metric(names, chosen)
    best = best_step = last = None
    if metric is not None:
        series = store.get(metric)
        values = series.values
        finite = np.flatnonzero(np.isfinite(values))
        if finite.size:
            last = float(values[finite[-1]])
            goal = metric_goal(metric) or "max"
            pick = values[finite]
            i = int(finite[np.argmax(pick) if goal == "max" else np.argmin(pick)])
            best, best_step = float(values[i]), int(series.steps[i])
    model = source.config.get("model") if isinstance(source.config.get("model"), str) else None
    return SourceSummary(
        key=ref.key,
        ref=ref,
        state=source.state(now, live_after_s),
        updated=source.last_write,
        last_step=store.last_step,
        metric=metric,
        best=best,
        best_step=best_step,
        last=last,
        metrics=tuple(names),
        model=model,
        problem=source.problems[-1] if source.problems else None,
        read=True,
    )


class RunCatalog:
    """Cached summaries (and readers) of runs by key; see the module docstring."""

    def __init__(self, live_after_s: float = LIVE_AFTER_S, max_points: int = MAX_POINTS_CACHED) -> None:
        self.live_after_s = live_after_s
        self.max_points = max_points
        self._sources: OrderedDict[str, Source] = OrderedDict()
        self._points: dict[str, int] = {}  # points each cached reader holds
        self._read: dict[
            str, tuple[tuple, str | None, SourceSummary]
        ] = {}  # key -> (signature, metric, summary)

    def quick(self, ref: RunRef, now: float | None = None) -> SourceSummary:
        now = time.time() if now is None else now
        _, newest = signature(ref)
        cached = self._read.get(ref.key)
        if cached is not None:
            summary = cached[2]
            state = summary.state
            if state in ("live", "idle"):
                state = "live" if newest is not None and now - newest <= self.live_after_s else "idle"
            return replace(summary, state=state, updated=newest or summary.updated)
        live = newest is not None and now - newest <= self.live_after_s
        return SourceSummary(ref.key, ref, "live" if live else "idle", newest)

    def stale(self, ref: RunRef, chosen: str | None) -> bool:
        cached = self._read.get(ref.key)
        return cached is None or cached[0] != signature(ref)[0] or cached[1] != chosen

    def details(
        self, refs: list[RunRef], chosen: str | None = None, now: float | None = None, batch_s: float = 0.25
    ) -> Iterator[list[SourceSummary]]:
        """Read the runs whose files changed; yield their summaries in batches (every ~batch_s)."""
        batch: list[SourceSummary] = []
        t_batch = time.monotonic()
        for ref in refs:
            sig, _ = signature(ref)
            cached = self._read.get(ref.key)
            if cached is not None and cached[0] == sig and cached[1] == chosen:
                continue
            source = self._sources.pop(ref.key, None) or ref.open()
            self._points.pop(ref.key, None)
            try:
                source.read_all()
            except Exception as exc:  # a reader bug must not stop the listing; say so on the row
                summary = replace(self.quick(ref), problem=f"{type(exc).__name__}: {exc}", read=True)
            else:
                summary = summarize(
                    source, ref, chosen, time.time() if now is None else now, self.live_after_s
                )
                self._sources[ref.key] = source
                self._points[ref.key] = source.store.points
                self._trim()
            self._read[ref.key] = (sig, chosen, summary)
            batch.append(summary)
            # Hand the GIL over between runs: a UI thread waiting for it otherwise waits out the whole
            # switch interval (5 ms) at every step of its event loop, and a listing took 0.5 s to show.
            time.sleep(0)
            if time.monotonic() - t_batch >= batch_s:
                yield batch
                batch = []
                t_batch = time.monotonic()
        if batch:
            yield batch

    def _trim(self) -> None:
        total = sum(self._points.values())
        while total > self.max_points and len(self._sources) > 1:
            key, _ = self._sources.popitem(last=False)
            total -= self._points.pop(key, 0)

    def forget(self, keep: set[str]) -> None:
        for key in [k for k in self._read if k not in keep]:
            self._read.pop(key, None)
            self._sources.pop(key, None)
            self._points.pop(key, None)
