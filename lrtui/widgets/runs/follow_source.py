"""Following a run of any format (`lrtui.sources.Source`): the monitor's worker side for foreign logs.

`SourceFollower.poll()` lets the source read what was appended (byte offsets, bounded work), sorts the
metrics into the panels by name (`assign_roles`: LR series per param group, the training loss,
accuracies; everything else goes to the metric grid) and returns the same immutable `MonitorSnapshot`
the panels draw for lrtui runs. Each metric keeps its own steps: the LR panel draws every LR group on its
own x, the loss its own, and `snap.steps` is the first LR group's steps. A foreign log declares no
schedule: the plan is the one the LR doctor infers from the first LR group (`PlanInferrer`), drawn next
to the LR and checked against it; the rate and ETA come from wall times where the format records them
(TensorBoard), else from when new steps arrived.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from lrtui.runs.status import this_host
from lrtui.sources.base import LIVE_AFTER_S, POLL_BYTES, Source
from lrtui.sources.roles import Roles, assign_roles
from lrtui.widgets.runs.device import DeviceProbe, DeviceSample
from lrtui.widgets.runs.follow import MonitorSnapshot
from lrtui.widgets.runs.inferred import PlanInferrer, reduce_planned, with_groups
from lrtui.widgets.runs.metrics import MetricTracker, MetricView, OutputFollower
from lrtui.widgets.runs.model import (
    DEFAULT_EMA_BETA,
    EmaCache,
    Envelope,
    LrCheck,
    Planned,
    Progress,
    check_lr,
)

_EMPTY_I = np.empty(0, dtype=np.int64)
_EMPTY_F = np.empty(0, dtype=np.float64)
LIVE_STATES = ("live",)


def _positive(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return int(value) if value > 0 else None


class SourceFollower:
    """Incrementally reads one run of any format; `poll()` returns a new snapshot when something changed."""

    RATE_WINDOW_S = 30.0
    DEVICE_EVERY_S = 1.0

    def __init__(
        self,
        source: Source,
        *,
        clock: Any = time.time,
        device: bool = True,
        output_log: str | Path | None = None,
        live_after_s: float = LIVE_AFTER_S,
        max_bytes: int = POLL_BYTES,
    ) -> None:
        self.source = source
        self.clock = clock
        self.live_after_s = live_after_s
        self.max_bytes = max_bytes
        log = Path(output_log) if output_log else source.output_log()
        self._output = OutputFollower(
            log, note="" if log else "no console output: lrtui watch PATH --log FILE"
        )
        self._device = DeviceProbe() if device else None
        self._device_sample: DeviceSample | None = None
        self._device_at = -math.inf
        self._tracker = MetricTracker()
        self._names: list[str] = []
        self._roles = Roles()
        self._views: dict[str, MetricView] = {}
        self._versions = [0, 0, 0]  # steps (LR/loss), accuracies, status
        self._metrics_version = 0
        self._loss_version = 0
        self._ema = EmaCache()
        self._env_ema = Envelope()
        self._ema_key: tuple | None = None
        self._ema_plot = None
        self.ema_beta = DEFAULT_EMA_BETA  # set by the UI thread (a float assignment is atomic)
        self._times: list[tuple[int, float]] = []  # (last step, poll time) when the format has no wall times
        self._status_key: object = None
        self._snapshot: MonitorSnapshot | None = None
        self._no_plan = f"a {source.format_label} log has no schedule spec"
        self._planned = Planned(reason=self._no_plan)
        self._planned_plot: tuple = ()
        self._check = LrCheck()
        from lrtui.doctor import LOG_STEP_OFFSETS

        self._inferrer = PlanInferrer(offsets=LOG_STEP_OFFSETS.get(source.format, (0,)))

    # -- reading ---------------------------------------------------------------------------------------------
    def _refresh_views(self) -> tuple[bool, bool, bool]:
        """Re-view the metrics whose data changed: (LR/loss changed, accuracies changed, grid changed)."""
        store = self.source.store
        names = list(store.series)
        if names != self._names:
            self._names = names
            self._roles = assign_roles(sorted(names))
            self._tracker.forget(set(names))
        changed: set[str] = set()
        for name, series in store.series.items():
            old = self._views.get(name)
            if old is not None and old.version == (series.generation, len(series)):
                continue
            self._views[name] = self._tracker.view(name, series.steps, series.values, series.generation)
            changed.add(name)
        for gone in [n for n in self._views if n not in store.series]:
            del self._views[gone]
            changed.add(gone)
        roles = self._roles
        main = bool(changed & {*roles.lr, *([roles.loss] if roles.loss else [])})
        return main, bool(changed & set(roles.acc)), bool(changed & set(roles.other)) or not self._snapshot

    def _rate(self, views: list[MetricView], now: float) -> float | None:
        """Steps per second over the last ~30 s: from wall times when logged, else from poll times."""
        for view in views:
            series = self.source.store.get(view.name)
            wall = series.wall if series is not None else _EMPTY_F
            if wall.size >= 2 and np.isfinite(wall[-1]):
                t_end = wall[-1]
                start = int(np.searchsorted(wall, t_end - self.RATE_WINDOW_S, side="left"))
                start = min(start, wall.size - 2)
                dt = t_end - wall[start]
                ds = float(series.steps[-1] - series.steps[start])
                if np.isfinite(dt) and dt > 0 and ds > 0:
                    return ds / dt
        if len(self._times) >= 2:
            (s0, t0), (s1, t1) = self._times[0], self._times[-1]
            if t1 > t0 and s1 > s0:
                return (s1 - s0) / (t1 - t0)
        return None

    def _progress(self, last_step: int | None, state: str, now: float) -> Progress:
        meta = self.source.meta
        # Foreign logs log the global step: the number of optimizer steps done (HF: 1..max_steps), so it is
        # the step count itself (lrtui's own step is the 0-based index of the step, hence its + 1).
        step = last_step
        if last_step is not None and (not self._times or self._times[-1][0] != last_step):
            self._times.append((last_step, now))
            while len(self._times) > 2 and now - self._times[1][1] > self.RATE_WINDOW_S:
                self._times.pop(0)
        total = _positive(meta.get("max_steps"))
        total_epochs = _positive(meta.get("num_train_epochs"))
        epoch = None
        epoch_view = self._views.get("epoch") or self._views.get("train/epoch")
        if epoch_view is not None and epoch_view.n:
            last = epoch_view.last()
            epoch = math.floor(last) if last is not None and math.isfinite(last) else None
        main = [self._views[n] for n in (*self._roles.lr[:1], self._roles.loss) if n in self._views]
        rate = self._rate(main, now)
        eta = None
        if state in LIVE_STATES and rate and total and step is not None:
            eta = max(total - step, 0) / rate
        return Progress(step, total, epoch, total_epochs, None, eta)

    def _infer(self, lr_views: list[MetricView]) -> bool:
        """Infer the plan from the first LR group when due (see PlanInferrer); True when it changed."""
        if not lr_views or not self._inferrer.update(
            lr_views[0].steps, lr_views[0].values, self._steps_per_epoch()
        ):
            return False
        lr = lr_views[0]
        planned = self._inferrer.planned(int(lr.steps[-1]) + 1 if lr.n else 1, self._no_plan)
        if planned is None:
            return False
        planned = with_groups(planned, [(v.steps, v.values) for v in lr_views[1:]])
        self._planned = planned
        self._planned_plot = reduce_planned(planned)
        self._check = (
            check_lr(lr.steps, lr.values, planned.lr[0], planned.steps_per_epoch)
            if planned.lr is not None
            else LrCheck()
        )
        return True

    def _steps_per_epoch(self) -> int | None:
        from lrtui.doctor import spe_from_epoch_series

        for name in ("epoch", "train/epoch"):
            view = self._views.get(name)
            if view is not None and view.n:
                return spe_from_epoch_series(view.steps, view.values)
        return None

    # -- the poll -------------------------------------------------------------------------------------------------
    def poll(self) -> MonitorSnapshot | None:
        """Read what is new; a new snapshot when anything changed, else None."""
        prev = self._snapshot
        read = self.source.poll(self.max_bytes)
        main_changed = acc_changed = grid_changed = False
        if read or prev is None:
            main_changed, acc_changed, grid_changed = self._refresh_views()
        roles = self._roles
        lr_views = [self._views[n] for n in roles.lr if n in self._views]
        loss_view = self._views.get(roles.loss) if roles.loss else None
        beta = self.ema_beta
        ema_key = (loss_view.version if loss_view else None, beta)
        if self._infer(lr_views):
            main_changed = True  # the inferred plan changed: the LR panel draws it
        if main_changed or prev is None:
            self._versions[0] += 1
        if ema_key != self._ema_key:
            self._loss_version += 1
            if loss_view is not None and beta > 0 and loss_view.n:
                before = self._ema_key
                if (
                    before is None
                    or before[1] != beta
                    or before[0] is None
                    or before[0][0] != loss_view.version[0]
                ):
                    self._env_ema.reset()
                ema = self._ema.update(loss_view.values, beta, source_id=loss_view.version[0])[: loss_view.n]
                x = loss_view.steps.astype(np.float64)
                self._ema_plot = self._env_ema.update(x, ema)
            else:
                self._ema_plot = None
            self._ema_key = ema_key
        if acc_changed:
            self._versions[1] += 1
        if grid_changed or main_changed:
            self._metrics_version += 1
        now = self.clock()
        state = self.source.state(now, self.live_after_s)
        problems = list(self.source.problems)
        status_key = (state, self.source.skipped, problems[-1] if problems else None)
        if status_key != self._status_key:
            self._status_key = status_key
            self._versions[2] += 1
        device_changed = False
        if self._device is not None and time.monotonic() - self._device_at >= self.DEVICE_EVERY_S:
            self._device_at = time.monotonic()
            self._device_sample = self._device.sample(None)
            device_changed = True
        output = self._output.poll()
        if (
            prev is not None
            and not read
            and not device_changed
            and prev.output is output
            and prev.loss_version == self._loss_version
            and (prev.steps_version, prev.epochs_version, prev.status_version) == tuple(self._versions)
        ):
            return None
        steps = lr_views[0].steps if lr_views else (loss_view.steps if loss_view else _EMPTY_I)
        last_steps = [v.steps[-1] for v in (*lr_views, *([loss_view] if loss_view else [])) if v.n]
        last_step = int(max(last_steps)) if last_steps else self.source.store.last_step
        status = {"state": state, "host": this_host()}
        if problems:
            status["message"] = problems[-1]
        grid = tuple(self._views[n] for n in roles.other if n in self._views)
        acc_views = tuple(self._views[n] for n in roles.acc if n in self._views)
        snap = MonitorSnapshot(
            run_dir=self.source.path,
            config=self.source.config,
            config_error=None,
            status=status,
            state=state,
            steps=steps,
            lr=tuple(v.values for v in lr_views),
            loss=loss_view.values if loss_view else _EMPTY_F,
            grad_norm=_EMPTY_F,
            epochs=(),
            events=(),
            planned=self._planned,
            lr_check=self._check,
            progress=self._progress(last_step, state, now),
            device=self._device_sample,
            steps_version=self._versions[0],
            epochs_version=self._versions[1],
            status_version=self._versions[2],
            skipped=self.source.skipped,
            data_source=0,
            lr_plot=tuple(v.plot for v in lr_views),
            planned_plot=self._planned_plot,
            loss_plot=loss_view.plot if loss_view else None,
            ema_plot=self._ema_plot,
            ema_beta=beta,
            loss_version=self._loss_version,
            source_format=self.source.format,
            title=f"{self.source.format_label} · {self.source.name}",
            metrics=grid,
            metrics_version=self._metrics_version,
            acc_series=acc_views,
            output=output,
            panel_series=(*lr_views, *([loss_view] if loss_view else []), *acc_views),
        )
        self._snapshot = snap
        return snap

    def close(self) -> None:
        if self._device is not None:
            self._device.close()
