"""Following one run directory: the work the monitor's thread worker does (no Textual here).

`RunFollower.poll()` reads what was appended to metrics.jsonl (complete lines only), re-reads
status.json, and returns an immutable `MonitorSnapshot` when anything changed. Step columns live in
numpy buffers that only grow (doubling): a snapshot holds `buffer[:n]` views, which later appends never
touch, so the UI thread can read a snapshot while the worker keeps reading — no locks, no copies of the
whole history per update. A resumed run that re-logs steps (the reader truncates its columns) or a
replaced file gets fresh buffers instead, so a published snapshot never changes under the UI.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrtui.runs.jsonio import finite_number, unpack
from lrtui.runs.lr_sweep import is_lr_find, sweep_of
from lrtui.runs.paths import METRICS, STDOUT
from lrtui.runs.ranks import JobHealth, RanksTail, ranks_dir
from lrtui.runs.ranks import job_view as ranks_job_view
from lrtui.runs.reader import MetricsTail, RunData, read_config
from lrtui.runs.status import LIVE_STATES, SHOWN_LIVE_STATES, effective_state, read_status
from lrtui.runs.text import clean_name
from lrtui.schedules.lr_suggest import analyze
from lrtui.sources.lrtui_run import epoch_scalars, group_name
from lrtui.sources.series import Column
from lrtui.widgets.runs.device import DeviceProbe, DeviceSample
from lrtui.widgets.runs.inferred import PlanInferrer, reduce_planned, with_groups
from lrtui.widgets.runs.metrics import MetricTracker, MetricView, OutputFollower, OutputView
from lrtui.widgets.runs.model import (
    DEFAULT_EMA_BETA,
    EmaCache,
    Envelope,
    LrCheck,
    Planned,
    Progress,
    check_lr,
    planned_from_config,
    progress_of,
)

XY = tuple  # (x ndarray, y ndarray)
PROGRESSING = (*LIVE_STATES, "degraded")


class _TrackedRunData(RunData):
    """RunData that remembers the lowest index it truncated to (a resume re-logging steps)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.low_water: int | None = None

    def _truncate(self, keep: int) -> None:
        self.low_water = keep if self.low_water is None else min(self.low_water, keep)
        super()._truncate(keep)


def _np(arr: Any, dtype: Any, start: int, stop: int) -> np.ndarray:
    """Copy arr[start:stop] (an array.array) into a new numpy array without holding a buffer export."""
    view = np.frombuffer(arr, dtype=dtype)
    out = view[start:stop].copy()
    del view  # release the export at once: the reader may resize the array.array later
    return out


@dataclass(frozen=True)
class MonitorSnapshot:
    """Everything the monitor panels draw, as of one poll. Arrays are read-only views; never mutate."""

    run_dir: Path
    config: dict
    config_error: str | None
    status: dict
    state: str
    steps: np.ndarray  # int64 (n,)
    lr: tuple[np.ndarray, ...]  # per param group (n,)
    loss: np.ndarray
    grad_norm: np.ndarray
    epochs: tuple[dict, ...]
    events: tuple[dict, ...]
    planned: Planned
    lr_check: LrCheck
    progress: Progress
    device: DeviceSample | None
    steps_version: int  # bumps when step columns change
    epochs_version: int
    status_version: int
    skipped: int  # malformed lines + unusable records
    data_source: int = 0  # changes when the columns were rebuilt from scratch
    # what the charts draw: raw series when small, else min/max envelopes (spikes kept), built in the worker
    lr_plot: tuple = ()  # per group (x, y)
    planned_plot: tuple = ()  # per group (x, y)
    loss_plot: XY | None = None
    ema_plot: XY | None = None
    ema_beta: float = DEFAULT_EMA_BETA
    loss_version: int = 0  # bumps when the loss chart's data (points or smoothing) changed
    lr_find: Any = None  # runs of kind lr_find: the suggestions (lrtui.schedules.lr_suggest.Analysis)
    lr_find_version: int = 0  # bumps when that analysis was recomputed
    extra: dict = field(default_factory=dict)
    ranks: JobHealth | None = None  # a torchrun job's ranks (heartbeats under ranks/), else None
    ranks_version: int = 0
    # any format (lrtui.sources): where the data came from, every other metric, the console output
    source_format: str = "lrtui"
    title: str = ""  # how a foreign run names itself ("" for lrtui runs: config and id say it)
    metrics: tuple[MetricView, ...] = ()  # the metric grid: every scalar the LR/loss/acc panels do not show
    metrics_version: int = 0
    acc_series: tuple[MetricView, ...] = ()  # accuracies over steps (foreign runs; lrtui runs use epochs)
    output: OutputView | None = None
    # Foreign runs log each metric at its own steps: `steps` then aligns with lr[0] only and the loss has
    # its own x (loss_plot). The raw series behind the panels (LR groups, loss, accuracies), with steps:
    panel_series: tuple[MetricView, ...] = ()

    @property
    def run_id(self) -> str:
        return clean_name(self.run_dir.name)

    @property
    def display_name(self) -> str:
        return self.title or self.run_id

    @property
    def n(self) -> int:
        return int(self.steps.size)

    @property
    def live(self) -> bool:
        return self.state in SHOWN_LIVE_STATES

    def error_text(self) -> str | None:
        """The failure/divergence text: status error, else the last error/diverged event's message."""
        error = self.status.get("error")
        if isinstance(error, str) and error.strip():
            return error.strip()
        for ev in reversed(self.events):
            if ev.get("event") in ("error", "diverged") and str(ev.get("message") or "").strip():
                return str(ev["message"]).strip()
        message = self.status.get("message")
        if self.state in ("failed", "diverged", "lost") and isinstance(message, str) and message.strip():
            return message.strip()
        return None


def _record_last_step(rec: dict) -> int | None:
    step = rec.get("step")
    if isinstance(step, int) and not isinstance(step, bool):
        return step
    try:
        if isinstance(step, dict):
            col = unpack(step)
            return int(col[-1]) if len(col) else None
        if isinstance(step, list) and step and isinstance(step[-1], int):
            return step[-1]
    except (ValueError, TypeError):
        return None
    return None


class RunFollower:
    """Incrementally reads one run directory; `poll()` returns a new snapshot when something changed."""

    RATE_WINDOW_S = 30.0
    DEVICE_EVERY_S = 1.0
    RANKS_EVERY_S = 1.0  # heartbeats come every few seconds; on a shared filesystem each poll costs opens
    LR_RECHECK_S = 1.0

    def __init__(
        self,
        run_dir: str | Path,
        *,
        clock: Any = time.time,
        device: bool = True,
        output_log: str | Path | None = None,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.clock = clock
        self._output = OutputFollower(Path(output_log) if output_log else self.run_dir / STDOUT)
        self._metrics = MetricTracker()
        self._metrics_version = 0
        self._metrics_view: tuple[MetricView, ...] = ()
        self._finite: set[str] = set()  # step columns known to hold a value (all-NaN columns are not shown)
        self.config, self.config_error = read_config(self.run_dir)
        self.tail = MetricsTail(self.run_dir / METRICS)
        self.data = _TrackedRunData()
        self._device = DeviceProbe() if device else None
        self._device_sample: DeviceSample | None = None
        self._device_at = -math.inf
        self._cols: dict[str, Any] = {}
        self._groups = 0
        self._source = 0
        self._planned = Planned(reason="not evaluated yet")
        self._planned_groups = -1
        self._planned_horizon = 0
        self._check = LrCheck()
        self._checked_n = 0
        self._check_at = -math.inf
        self._times: list[tuple[int, float]] = []
        self._status: dict = {}
        self._status_raw: Any = None
        self._versions = [0, 0, 0]  # steps, epochs, status
        self._epochs_seen = -1
        self._snapshot: MonitorSnapshot | None = None
        self._ranks_tail = RanksTail(self.run_dir)
        self._ranks: JobHealth | None = None
        self._ranks_at = -math.inf
        self._ranks_version = 0
        self.ema_beta = DEFAULT_EMA_BETA  # set by the UI thread (a float assignment is atomic)
        self._ema = EmaCache()
        self._ema_beta_done: float | None = None
        self._loss_version = 0
        self._env_loss = Envelope()
        self._env_ema = Envelope()
        self._env_lr: list[Envelope] = []
        self._planned_plot: tuple = ()
        # LR range tests: suggestions recomputed whenever steps arrive or the smoothing changes.
        self.sweep = sweep_of(self.config)[0]
        self.lr_find_beta: float | None = None  # set by the UI thread; None = auto (lr_suggest.auto_beta)
        self._lr_find: Any = None
        self._lr_find_key: Any = None
        self._lr_find_version = 0
        self._lr_find_at = -math.inf  # when, and how long, the last analysis took (throttle)
        self._lr_find_cost = 0.0
        self._declared_reason = ""  # why the config gives no plan (then the schedule is inferred)
        self._inferrer = PlanInferrer()
        self._reset_columns()

    # -- columns --------------------------------------------------------------------------------------
    def _reset_columns(self) -> None:
        cap = max(1024, 2 * len(self.data))
        self._cols = {
            "steps": Column(np.int64, cap),
            "x": Column(np.float64, cap),  # the steps as float64 plot x, kept so polls never convert all
            "loss": Column(np.float64, cap),
            "grad_norm": Column(np.float64, cap),
            "epoch": Column(np.float64, cap),
            "lr": [Column(np.float64, cap) for _ in self.data.lr],
            "momentum": [Column(np.float64, cap) for _ in self.data.momentum],
            "extra": {},  # extra step columns by name, created when first seen
        }
        self._groups = len(self.data.lr)
        self._finite = set()
        self._source += 1
        self._env_lr = [Envelope() for _ in self.data.lr]
        for env in (getattr(self, "_env_loss", None), getattr(self, "_env_ema", None)):
            if env is not None:
                env.reset()
        self._checked_n = 0
        self._check = LrCheck()

    def _sync_columns(self) -> bool:
        data = self.data
        n_have = self._cols["steps"].n
        rebuilt = data.low_water is not None and data.low_water < n_have
        if (
            rebuilt
            or len(data) < n_have
            or len(data.lr) != self._groups
            or len(data.momentum) != len(self._cols["momentum"])
        ):
            self._reset_columns()
            n_have = 0
        data.low_water = None
        n = len(data)
        if n == n_have:
            return rebuilt
        new_steps = _np(data.steps, np.int64, n_have, n)
        self._cols["steps"].extend(new_steps)
        self._cols["x"].extend(new_steps.astype(np.float64))
        self._cols["loss"].extend(_np(data.loss, np.float64, n_have, n))
        self._cols["grad_norm"].extend(_np(data.grad_norm, np.float64, n_have, n))
        self._cols["epoch"].extend(_np(data.epoch, np.float64, n_have, n))
        for col, arr in zip(self._cols["lr"], data.lr):
            col.extend(_np(arr, np.float64, n_have, n))
        for col, arr in zip(self._cols["momentum"], data.momentum):
            col.extend(_np(arr, np.float64, n_have, n))
        extra = self._cols["extra"]
        for key, arr in data.extra.items():
            if key not in extra:  # a column that appears later: its earlier rows (nan) come in full
                extra[key] = Column(np.float64, max(1024, 2 * n))
                extra[key].extend(_np(arr, np.float64, 0, n_have))
            extra[key].extend(_np(arr, np.float64, n_have, n))
        return True

    def _metric_views(self, steps: np.ndarray) -> tuple[MetricView, ...]:
        """The grid: per-step columns the panels do not draw, then the epoch records' numbers."""
        x = self._cols["x"].view()
        columns = [("grad_norm", self._cols["grad_norm"]), ("epoch", self._cols["epoch"])]
        columns += [(group_name("momentum", g), c) for g, c in enumerate(self._cols["momentum"])]
        columns += [(clean_name(k), c) for k, c in sorted(self._cols["extra"].items())]
        views = []
        for name, col in columns:
            values = col.view()
            if name not in self._finite:
                if not np.isfinite(values).any():
                    continue
                self._finite.add(name)
            views.append(self._metrics.view(name, steps, values, self._source, x=x))
        per_epoch = epoch_scalars(self.data.epochs)
        for name in sorted(per_epoch):
            if name in ("train_acc", "test_acc"):  # the accuracy panel draws those
                continue
            s, v = per_epoch[name]
            views.append(self._metrics.view(f"epoch/{name}", s, v, (self._source, len(self.data.epochs))))
        return tuple(views)

    # -- derived --------------------------------------------------------------------------------------
    def _update_planned(self, steps: np.ndarray) -> bool:
        groups = max(self._groups, 1)
        last = int(steps[-1]) + 1 if steps.size else 0
        schedule = self.config.get("schedule") if isinstance(self.config.get("schedule"), dict) else {}
        has_total = (
            is_lr_find(self.config)  # the plan is the sweep: its length is known
            or isinstance(schedule.get("total_steps"), int)
            or (
                isinstance(schedule.get("steps_per_epoch"), int)
                and isinstance(self.config.get("epochs"), int)
            )
        )
        horizon = 0
        if not has_total:  # a user's run without a horizon: plan past the data, re-planned when outgrown
            horizon = 1 << max(10, (last - 1).bit_length()) if last else 1024
        if groups == self._planned_groups and horizon <= self._planned_horizon:
            return self._maybe_infer(steps)
        self._planned = planned_from_config(self.config, logged_groups=groups, fallback_total=horizon or None)
        self._declared_reason = self._planned.reason
        self._planned_plot = reduce_planned(self._planned)
        if self._planned.lr is None:
            self._maybe_infer(steps, replanned=True)
        self._planned_groups, self._planned_horizon = groups, horizon
        self._checked_n = 0
        self._check = LrCheck()
        return True

    def _maybe_infer(self, steps: np.ndarray, replanned: bool = False) -> bool:
        """No declared plan: infer one from the logged LR (every run gets a plan); `replanned`: the plan was
        just recomputed from the config (re-draw the last inference over the new horizon). Returns whether
        the plan changed."""
        if (self._planned.lr is not None and self._planned.source == "declared") or not self._cols["lr"]:
            return False
        schedule = self.config.get("schedule") if isinstance(self.config.get("schedule"), dict) else {}
        spe = schedule.get("steps_per_epoch")
        fresh = self._inferrer.update(
            steps, self._cols["lr"][0].view(), spe if isinstance(spe, int) else None
        )
        planned = (
            self._inferrer.planned(int(steps[-1]) + 1 if steps.size else 1, self._declared_reason)
            if fresh or replanned
            else None
        )
        if planned is None:
            return False
        others = [(steps, col.view()) for col in self._cols["lr"][1:]]
        planned = with_groups(planned, others)
        self._planned = planned
        self._planned_plot = reduce_planned(planned)
        self._checked_n = 0
        self._check = LrCheck()
        return True

    def _update_check(self, steps: np.ndarray, force: bool) -> None:
        planned = self._planned.lr
        if planned is None or not self._cols["lr"]:
            self._check = LrCheck()
            return
        lr0 = self._cols["lr"][0].view()
        n = steps.size
        now = time.monotonic()
        if self._check.ok and self._checked_n and not force:
            # incremental: only the new points, while everything so far agreed
            new = check_lr(
                steps[self._checked_n :], lr0[self._checked_n :], planned[0], self._planned.steps_per_epoch
            )
            if new.ok:
                self._check = LrCheck(compared=self._check.compared + new.compared)
                self._checked_n = n
                return
        elif not force and not self._check.ok and now - self._check_at < self.LR_RECHECK_S:
            return
        resumes = tuple(self.data.resumed_at)
        self._check = check_lr(steps, lr0, planned[0], self._planned.steps_per_epoch, resumes)
        self._checked_n = n
        self._check_at = now

    def _note_times(self, records: list[dict], initial: bool) -> None:
        """(last step, t) of step batches, for the step rate; the initial read walks back ~30 s only."""
        batch = [  # a "t" that is not a finite number (a hostile or broken writer) is no time at all
            r for r in records if r.get("kind") in ("step", "steps") and finite_number(r.get("t")) is not None
        ]
        if initial:
            picked = []
            for rec in reversed(batch[-64:]):  # enough flushes for a rate; never walk a huge history
                if picked and picked[0][1] - rec["t"] > self.RATE_WINDOW_S:
                    break
                step = _record_last_step(rec)
                if step is not None:
                    picked.insert(0, (step, float(rec["t"])))
            self._times = picked
            return
        if batch:
            step = _record_last_step(batch[-1])
            if step is not None:
                self._times.append((step, float(batch[-1]["t"])))
        if self._times:
            t_end = self._times[-1][1]
            while len(self._times) > 2 and t_end - self._times[1][1] > self.RATE_WINDOW_S:
                self._times.pop(0)

    # -- the poll ---------------------------------------------------------------------------------------
    def poll(self) -> MonitorSnapshot | None:
        """Read new records and status; a new snapshot when anything changed, else None."""
        initial = self._snapshot is None
        resets = self.tail.resets
        records = self.tail.read_new()
        if self.tail.resets != resets:
            self.data.clear()
            self.data.low_water = 0
        if records:
            self.data.ingest(records)
            self._note_times(records, initial)
            if any(r.get("kind") == "event" and r.get("event") == "plan" for r in records):
                # RunLogger declared the plan after the start (log_optimizer(scheduler=...)): re-read it
                self.config, self.config_error = read_config(self.run_dir)
                self._planned_groups = -1
        steps_changed = self._sync_columns()
        steps = self._cols["steps"].view()
        planned_changed = self._update_planned(steps)
        beta = self.ema_beta
        if steps_changed or beta != self._ema_beta_done:
            self._loss_version += 1
            self._ema_beta_done = beta
        if steps_changed or planned_changed:
            self._versions[0] += 1
            self._update_check(steps, force=planned_changed)
        elif not self._check.ok:
            self._update_check(steps, force=False)
        epochs_changed = len(self.data.epochs) != self._epochs_seen
        if epochs_changed or records:
            if epochs_changed:
                self._versions[1] += 1
            self._epochs_seen = len(self.data.epochs)
        if steps_changed or epochs_changed or self._snapshot is None:
            self._metrics_view = self._metric_views(steps)
            self._metrics_version += 1
        output = self._output.poll()
        raw = read_status(self.run_dir)
        now = self.clock()
        state = (
            effective_state(raw, now) if raw else ("unknown" if not records and not steps.size else "running")
        )
        state = self._job_state(raw, state, now)
        if raw != self._status_raw or (self._snapshot is not None and state != self._snapshot.state):
            self._status_raw = raw
            self._versions[2] += 1
        device_changed = False
        if self._device is not None and time.monotonic() - self._device_at >= self.DEVICE_EVERY_S:
            self._device_at = time.monotonic()
            pid = raw.get("pid") if state in SHOWN_LIVE_STATES else None
            self._device_sample = self._device.sample(
                pid if isinstance(pid, int) else None, self._rank_pids()
            )
            device_changed = True
        lr_find_changed = self._update_lr_find()
        prev = self._snapshot
        if (
            prev is not None
            and not lr_find_changed
            and not records
            and not device_changed
            and not steps_changed
            and prev.loss_version == self._loss_version
            and (prev.steps_version, prev.epochs_version, prev.status_version) == tuple(self._versions)
            and prev.ranks_version == self._ranks_version
            and prev.output is output
        ):
            return None
        if prev is None or prev.loss_version != self._loss_version or prev.steps_version != self._versions[0]:
            x = self._cols["x"].view()
            loss = self._cols["loss"].view()
            lr_plot = tuple(env.update(x, col.view()) for env, col in zip(self._env_lr, self._cols["lr"]))
            loss_plot = self._env_loss.update(x, loss)
            if beta > 0:
                if prev is not None and prev.ema_beta != beta:
                    self._env_ema.reset()
                ema = self._ema.update(loss, beta, source_id=self._source)[: steps.size]
                ema_plot = self._env_ema.update(x, ema)
            else:
                ema_plot = None
        else:
            lr_plot, loss_plot, ema_plot = prev.lr_plot, prev.loss_plot, prev.ema_plot
        snap = MonitorSnapshot(
            run_dir=self.run_dir,
            config=self.config,
            config_error=self.config_error,
            status=raw,
            state=state,
            steps=steps,
            lr=tuple(c.view() for c in self._cols["lr"]),
            loss=self._cols["loss"].view(),
            grad_norm=self._cols["grad_norm"].view(),
            epochs=tuple(self.data.epochs),
            events=tuple(self.data.events),
            planned=self._planned,
            lr_check=self._check,
            # a hung job is not progressing: no ETA
            progress=progress_of(steps, self._times, self.data.epochs, self.config, state in PROGRESSING),
            device=self._device_sample,
            steps_version=self._versions[0],
            epochs_version=self._versions[1],
            status_version=self._versions[2],
            skipped=self.tail.skipped + self.data.skipped,
            data_source=self._source,
            lr_plot=lr_plot,
            planned_plot=self._planned_plot,
            loss_plot=loss_plot,
            ema_plot=ema_plot,
            ema_beta=beta,
            loss_version=self._loss_version,
            lr_find=self._lr_find,
            lr_find_version=self._lr_find_version,
            ranks=self._ranks,
            ranks_version=self._ranks_version,
            metrics=self._metrics_view,
            metrics_version=self._metrics_version,
            output=output,
        )
        self._snapshot = snap
        return snap

    def _update_lr_find(self) -> bool:
        """Recompute an LR range test's suggestions when its points or the smoothing changed."""
        if self.sweep is None:
            return False
        key = (self._source, self._cols["steps"].n, self.lr_find_beta)
        if key == self._lr_find_key:
            return False
        # A long live sweep: recompute at most every 4x what the last analysis cost (the next poll catches up).
        same_beta = self._lr_find_key is not None and key[2] == self._lr_find_key[2]
        if same_beta and time.monotonic() - self._lr_find_at < 4 * self._lr_find_cost:
            return False
        self._lr_find_key = key
        start = time.monotonic()
        lrs = self._cols["lr"][0].view() if self._cols["lr"] else np.empty(0)
        loss = self._cols["loss"].view()
        self._lr_find = analyze(lrs, loss, steps=self.sweep.steps, beta=self.lr_find_beta)
        self._lr_find_at = time.monotonic()
        self._lr_find_cost = self._lr_find_at - start
        self._lr_find_version += 1
        return True

    def _rank_pids(self) -> dict[int, int]:
        """{pid: rank} of the job's live ranks on this host (the device panel names them per GPU)."""
        health = self._ranks
        if health is None:
            return {}
        from lrtui.runs.status import this_host

        host = this_host()
        return {
            r.pid: r.rank
            for r in health.rows
            if r.pid is not None and r.host == host and r.state not in ("dead", "exited")
        }

    def _job_state(self, raw: dict, state: str, now: float) -> str:
        """A torchrun job's ranks, read at most every RANKS_EVERY_S; a running job may show degraded/hung."""
        if time.monotonic() - self._ranks_at >= self.RANKS_EVERY_S:
            self._ranks_at = time.monotonic()
            if self._ranks is not None or ranks_dir(self.run_dir).is_dir() or raw.get("world_size"):
                _shown, health = ranks_job_view(self.run_dir, raw, now=now, tail=self._ranks_tail)
                if health != self._ranks:
                    self._ranks = health
                    self._ranks_version += 1
        health = self._ranks
        if state == "running" and health is not None and health.state in ("degraded", "hung"):
            return health.state
        return state

    def close(self) -> None:
        if self._device is not None:
            self._device.close()
