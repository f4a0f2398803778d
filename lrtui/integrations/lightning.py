"""A Lightning `Callback` that writes an lrtui run directory — plan included — from any `Trainer.fit`.

    from lrtui.integrations.lightning import LrtuiCallback
    trainer = lightning.Trainer(max_epochs=10, callbacks=[LrtuiCallback()])   # runs go to $LRTUI_RUNS_DIR

The plan comes from the Trainer's first LR scheduler config: the live scheduler object (read exactly by
`lrtui.schedules.describe`) and Lightning's own stepping of it — `interval: "step"` steps it after every
optimizer step (every `frequency` optimizer steps: the plan holds each value that long), `interval: "epoch"`
at the end of every (`frequency`-th) epoch. Gradient accumulation counts optimizer steps, as the logged
step does. Only the global-zero rank writes. `pip install lrtui[lightning]` (works with `pytorch_lightning`
too).
"""

from __future__ import annotations

import math
import traceback
from pathlib import Path
from typing import Any

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # pragma: no cover - the standalone package
    try:
        from pytorch_lightning.callbacks import Callback
    except ImportError as exc:
        raise ImportError(
            "lrtui.integrations.lightning needs Lightning: pip install lrtui[lightning]"
        ) from exc

from lrtui.integrations.common import epoch_metrics, optimizer_config, scalar
from lrtui.runs.logger import RunLogger, with_schedule


class LrtuiCallback(Callback):
    """Writes the run (config with the plan, LR of every group at every optimizer step, loss, epoch metrics,
    final state) on the global-zero rank."""

    def __init__(
        self,
        runs_dir: str | Path | None = None,
        *,
        name: str | None = None,
        config: dict | None = None,
        loss_every_n_steps: int = 1,
    ) -> None:
        if (
            isinstance(loss_every_n_steps, bool)
            or not isinstance(loss_every_n_steps, int)
            or loss_every_n_steps < 1
        ):
            raise ValueError(f"loss_every_n_steps={loss_every_n_steps!r} is not allowed: an integer ≥ 1")
        self.runs_dir = runs_dir
        self.name = name
        self.extra_config = dict(config or {})
        self.loss_every_n_steps = loss_every_n_steps
        self.run: RunLogger | None = None
        self._step: int | None = None
        self._lrs: list[float] = []
        self._moms: list[float] | None = None
        self._logged = False

    # -- the plan ----------------------------------------------------------------------------------------
    def run_config(self, trainer: Any, pl_module: Any) -> dict:
        """The config.json of the run: model, epochs, optimizer, and the plan with Lightning's stepping."""
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        config: dict[str, Any] = {"model": type(pl_module).__name__, "integration": "lightning"}
        if self.name:
            config["name"] = self.name
        if isinstance(trainer.max_epochs, int) and trainer.max_epochs > 0:
            config["epochs"] = trainer.max_epochs
        if optimizer is not None:
            config["optimizer"] = optimizer_config(optimizer)
        spe = self._optimizer_steps_per_epoch(trainer)
        total = scalar(trainer.estimated_stepping_batches)
        total_steps = int(total) if total is not None and total.is_integer() and total > 0 else None
        schedulers = list(getattr(trainer, "lr_scheduler_configs", []) or [])
        if schedulers:
            sc = schedulers[0]
            frequency = int(getattr(sc, "frequency", 1) or 1)
            if sc.interval == "step":
                # Lightning steps it after a batch whose (index + 1) is a multiple of `frequency` and that
                # ends an accumulation window, the batch index restarting every epoch: one scheduler step per
                # lcm(accumulate, frequency) batches = a hold of that many optimizer steps, exact when the
                # epoch's batches are a multiple of it
                accumulate = max(int(getattr(trainer, "accumulate_grad_batches", 1) or 1), 1)
                every = math.lcm(accumulate, frequency)
                hold = every // accumulate
                stepping, hold = ("step", spe) if hold == 1 else ("epoch", hold)
                batches = scalar(trainer.num_training_batches)
                exact = every == accumulate or (batches is not None and int(batches) % every == 0)
            else:
                stepping, hold = "epoch", (spe * frequency if spe else None)
                exact = spe is not None
            config = with_schedule(config, sc.scheduler, stepping, hold, total_steps)
            schedule = config["schedule"]
            schedule.update(interval=sc.interval, frequency=frequency)
            if len(schedulers) > 1:
                schedule["note"] = f"{len(schedulers)} schedulers: the plan is the first one's"
            if not exact and schedule.get("exact"):
                schedule.update(
                    exact=False,
                    reason=f"stepped every {frequency} batches, which does not divide the epoch "
                    f"({spe} optimizer steps): the schedule will be inferred from the logged LR",
                )
                schedule.pop("spec", None)
        elif optimizer is not None:
            config["schedule"] = {
                "spec": "",
                "stepping": "step",
                **({"total_steps": total_steps} if total_steps else {}),
                **({"steps_per_epoch": spe} if spe else {}),
            }  # no scheduler: a constant LR is the plan
        config.update(self.extra_config)
        return config

    @staticmethod
    def _optimizer_steps_per_epoch(trainer: Any) -> int | None:
        batches = scalar(trainer.num_training_batches)
        if batches is None or not batches > 0:
            return None
        accumulate = max(int(getattr(trainer, "accumulate_grad_batches", 1) or 1), 1)
        return math.ceil(int(batches) / accumulate)

    # -- hooks ---------------------------------------------------------------------------------------------
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.is_global_zero or self.run is not None:
            return
        self.run = RunLogger(self.run_config(trainer, pl_module), runs_dir=self.runs_dir)
        self.run.event("device", str(pl_module.device), device=str(pl_module.device))

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if self.run is None or not trainer.optimizers:
            return
        # the LR this optimizer step uses, read before it (the first batch of an accumulation window)
        if self._step != trainer.global_step:
            groups = trainer.optimizers[0].param_groups
            self._step = trainer.global_step
            self._lrs = [float(g["lr"]) for g in groups]
            moms = [g.get("momentum", (g.get("betas") or (None,))[0]) for g in groups]
            self._moms = [float(m) for m in moms] if all(m is not None for m in moms) else None
            self._logged = False

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.run is None or self._step is None or trainer.global_step <= self._step or self._logged:
            return
        self._logged = True
        loss = None
        if self._step % self.loss_every_n_steps == 0:
            value = outputs.get("loss") if isinstance(outputs, dict) else outputs
            loss = scalar(value.detach() if hasattr(value, "detach") else value)
        self.run.step(self._step, lr=self._lrs, momentum=self._moms, loss=loss, epoch=trainer.current_epoch)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.run is not None:
            self.run.epoch(int(trainer.current_epoch), **epoch_metrics(trainer.callback_metrics))

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        if self.run is not None:
            self.run.close("finished")

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        if self.run is None or self.run.closed:
            return
        if isinstance(exception, KeyboardInterrupt):
            self.run.close("stopped", message="interrupted (KeyboardInterrupt)")
            return
        text = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
        self.run.close("failed", "\n".join(text.rstrip().splitlines()[-20:]))

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        if self.run is not None and not self.run.closed:
            self.run.close("finished")
