"""What the compare screen draws for each run, of any format, and following those runs while they train
(no Textual here).

`CompareFollower` reads each run once (an lrtui run directory, or a TensorBoard / Lightning / HF Trainer run
through `lrtui.sources`), then on every `poll()` only what was appended, and returns the new `ComparedRun`s
when something changed (None otherwise): the screen polls it, so curves and the table grow while runs train,
without a manual reload.

Runs logged with different steps per epoch share one axis in epochs: `epoch_x` turns each step into the
fractional epoch it falls in (from the config's steps_per_epoch, else from the logged epoch column). Runs of
other formats say nothing about epochs: they have no epoch axis (`epochs_x` None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lrtui.runs.listing import schedule_spec
from lrtui.runs.reader import Run, read_run
from lrtui.runs.status import LIVE_STATES
from lrtui.widgets.runs.model import debiased_ema, epoch_series


@dataclass
class ComparedRun:
    """What the compare view draws for one run (of any format)."""

    label: str
    run_id: str
    schedule: str | None
    state: str
    steps: np.ndarray  # the LR's steps
    lr: np.ndarray
    loss_ema: np.ndarray
    acc_x: np.ndarray  # epochs (lrtui runs) or steps
    acc_y: np.ndarray
    epochs_done: int | None
    epochs_total: int | None
    images_per_s: float | None
    format: str = "lrtui"
    loss_x: np.ndarray | None = None  # the loss's steps when they differ from the LR's
    acc_steps: np.ndarray | None = None  # the accuracy's steps (lrtui: the epoch records' steps)
    acc_name: str = "test_acc"
    metrics: dict = field(default_factory=dict)  # every scalar by name: (steps, values)
    epochs_x: np.ndarray | None = None  # each LR/loss step in epochs (fractional); None: no epoch axis
    steps_per_epoch: int | None = None

    @property
    def final_acc(self) -> float | None:
        return float(self.acc_y[-1]) if self.acc_y.size else None

    @property
    def best_acc(self) -> float | None:
        return float(np.nanmax(self.acc_y)) if self.acc_y.size and np.isfinite(self.acc_y).any() else None

    @property
    def live(self) -> bool:
        """Still being written: an lrtui run starting/running, another format written to recently."""
        return self.state in LIVE_STATES or self.state == "live"


def _steps_per_epoch(config: dict) -> int | None:
    schedule = config.get("schedule")
    spe = schedule.get("steps_per_epoch") if isinstance(schedule, dict) else None
    return spe if isinstance(spe, int) and not isinstance(spe, bool) and spe > 0 else None


def epoch_x(steps: np.ndarray, epoch: np.ndarray, steps_per_epoch: int | None) -> np.ndarray:
    """Each step's position in epochs: step / steps_per_epoch when the config says it; else the logged
    epoch column, spread evenly over the steps of each whole epoch (epoch 2's steps go 2.0, 2.1, ... when it
    has 10 of them; the last, still growing, epoch is spread by the previous epoch's length)."""
    if steps_per_epoch:
        return steps / steps_per_epoch
    if epoch.size != steps.size or not np.isfinite(epoch).all():
        return np.full(steps.shape, np.nan)
    if not np.array_equal(epoch, np.floor(epoch)):
        return epoch.astype(np.float64)  # already fractional
    out = epoch.astype(np.float64)
    starts = np.flatnonzero(np.r_[True, epoch[1:] != epoch[:-1]])
    ends = np.r_[starts[1:], epoch.size]
    previous = None
    for a, b in zip(starts, ends):
        first = steps[a]
        length = steps[b] - first if b < epoch.size else previous  # the next epoch's first step bounds it
        if length:
            out[a:b] += (steps[a:b] - first) / length
        previous = length
    return out


def compared_lrtui(run: Run, label: str, ema_beta: float = 0.98) -> ComparedRun:
    from lrtui.sources.lrtui_run import epoch_scalars, step_scalars

    data, config = run.data, run.config
    int_steps = np.frombuffer(data.steps, dtype=np.int64).copy()
    steps = int_steps.astype(np.float64)
    epoch = np.frombuffer(data.epoch, dtype=np.float64) if len(data.epoch) else np.empty(0)
    lr = np.array(data.lr[0], dtype=np.float64) if data.lr else np.empty(0)
    loss = np.array(data.loss, dtype=np.float64)
    acc_x, acc_y = epoch_series(data.epochs, "test_acc")
    per_epoch = epoch_scalars(data.epochs)
    ips = None
    for rec in reversed(data.epochs):
        value = rec.get("images_per_s")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ips = float(value)
            break
    metrics = {name: (int_steps, values) for name, values in step_scalars(int_steps, data).items()}
    metrics.update(per_epoch)
    spe = _steps_per_epoch(config)
    return ComparedRun(
        label=label,
        run_id=run.id,
        schedule=schedule_spec(config),
        state=run.state,
        steps=steps,
        lr=lr,
        loss_ema=debiased_ema(loss, ema_beta) if loss.size else loss,
        acc_x=acc_x,
        acc_y=acc_y,
        epochs_done=len(data.epochs),
        epochs_total=config.get("epochs") if isinstance(config.get("epochs"), int) else None,
        images_per_s=ips,
        acc_steps=per_epoch["test_acc"][0].astype(np.float64) if "test_acc" in per_epoch else np.empty(0),
        metrics=metrics,
        epochs_x=epoch_x(steps, epoch, spe),
        steps_per_epoch=spe,
    )


def compared_source(source, label: str, ema_beta: float = 0.98) -> ComparedRun:
    """A run of another format (an `lrtui.sources` Source, already read)."""
    from lrtui.sources import assign_roles
    from lrtui.sources.catalog import pick_metric

    store = source.store
    roles = assign_roles(sorted(store.names()))
    lr = store.get(roles.lr[0]) if roles.lr else None
    loss = store.get(roles.loss) if roles.loss else None
    acc_name = pick_metric([n for n in roles.acc], None) if roles.acc else None
    acc = store.get(acc_name) if acc_name else None
    empty = np.empty(0)
    loss_values = loss.values.copy() if loss is not None else empty
    return ComparedRun(
        label=label,
        run_id=source.name,
        schedule=None,
        state=source.state(),
        steps=lr.steps.astype(np.float64) if lr is not None else empty,
        lr=lr.values.copy() if lr is not None else empty,
        loss_ema=debiased_ema(loss_values, ema_beta) if loss_values.size else loss_values,
        acc_x=acc.steps.astype(np.float64) if acc is not None else empty,
        acc_y=acc.values.copy() if acc is not None else empty,
        epochs_done=None,
        epochs_total=None,
        images_per_s=None,
        format=source.format,
        loss_x=loss.steps.astype(np.float64) if loss is not None else empty,
        acc_steps=acc.steps.astype(np.float64) if acc is not None else empty,
        acc_name=acc_name or "accuracy",
        metrics={name: (s.steps.copy(), s.values.copy()) for name, s in store.series.items()},
    )


class CompareFollower:
    """The compared runs, read once and then followed (series are labelled '#n': legends stay short).

    An entry is an lrtui run directory, or (format, path) for a run of any format (lrtui.sources)."""

    def __init__(self, entries: Sequence, ema_beta: float = 0.98) -> None:
        self.entries = list(entries)
        self.ema_beta = ema_beta
        self._readers: list = []  # a Run (lrtui) or a Source per entry
        self._seen: list[tuple] = []
        self.compared: list[ComparedRun] | None = None

    def _open(self, entry):
        if isinstance(entry, tuple) and entry[0] != "lrtui":
            from lrtui.sources import open_source

            return open_source(Path(entry[1]), entry[0]).read_all()
        return read_run(Path(entry[1] if isinstance(entry, tuple) else entry))

    def poll(self) -> list[ComparedRun] | None:
        """Read what changed; the runs when anything did (always on the first call), else None."""
        if not self._readers:
            self._readers = [self._open(entry) for entry in self.entries]
            self._seen = [self._mark(r) for r in self._readers]
            self.compared = [self._compare(i) for i in range(len(self._readers))]
            return self.compared
        compared = list(self.compared or [])
        changed = False
        for i, reader in enumerate(self._readers):
            if isinstance(reader, Run):
                while reader.refresh():  # in chunks until nothing is left (a big backlog included)
                    pass
            else:
                reader.read_all()
            mark = self._mark(reader)
            if mark != self._seen[i]:
                self._seen[i] = mark
                compared[i] = self._compare(i)
                changed = True
        if not changed:
            return None
        self.compared = compared
        return compared

    @staticmethod
    def _mark(reader) -> tuple:
        if isinstance(reader, Run):
            return (reader.data.version, len(reader.data), len(reader.data.epochs), reader.state)
        return (reader.version, reader.store.version, reader.state())

    def _compare(self, i: int) -> ComparedRun:
        reader, label = self._readers[i], f"#{i + 1}"
        if isinstance(reader, Run):
            return compared_lrtui(reader, label, self.ema_beta)
        return compared_source(reader, label, self.ema_beta)


def load_compared(entries: Sequence, ema_beta: float = 0.98) -> list[ComparedRun]:
    """Read each run fully (thread side)."""
    return CompareFollower(entries, ema_beta).poll() or []


def shared_metrics(runs: list[ComparedRun]) -> list[str]:
    """Metric names every compared run logged (what the third chart can cycle through with m)."""
    if not runs:
        return []
    common = set(runs[0].metrics)
    for r in runs[1:]:
        common &= set(r.metrics)
    return sorted(common)
