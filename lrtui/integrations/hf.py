"""An HF `TrainerCallback` that writes an lrtui run directory — plan included — from `transformers.Trainer`.

    from lrtui.integrations.hf import LrtuiTrainerCallback
    trainer = transformers.Trainer(model, args, train_dataset=..., callbacks=[LrtuiTrainerCallback()])

The plan is the Trainer's live `lr_scheduler` (read exactly by `lrtui.schedules.describe`: transformers'
schedules are recognised by their LambdaLR function), stepped once per optimizer step as the Trainer does
— except after an optimizer step that accelerate skipped (AMP overflow), which the LR then shows and the
doctor names. The LR of every param group is read just before each optimizer step (`on_pre_optimizer_step`)
under `state.global_step`; the loss and grad norm come from the Trainer's own logs (every `logging_steps`),
eval metrics become epoch records. Only the world-process-zero writes. `pip install lrtui[hf]`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

try:
    from transformers import TrainerCallback
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError("lrtui.integrations.hf needs transformers: pip install lrtui[hf]") from exc

from lrtui.integrations.common import epoch_metrics, optimizer_config, scalar
from lrtui.runs.logger import RunLogger, with_schedule


class LrtuiTrainerCallback(TrainerCallback):
    """Writes the run (config with the plan, LR per group per optimizer step, loss, eval metrics, state)."""

    def __init__(
        self, runs_dir: str | Path | None = None, *, name: str | None = None, config: dict | None = None
    ):
        self.runs_dir = runs_dir
        self.name = name
        self.extra_config = dict(config or {})
        self.run: RunLogger | None = None
        self._pending: dict[str, Any] | None = None  # the last step, written once its loss may be known
        self._last_metrics: dict[str, float] = {}

    # -- the plan ----------------------------------------------------------------------------------------
    def run_config(
        self, args: Any, state: Any, model: Any, optimizer: Any, lr_scheduler: Any, loader: Any
    ) -> dict:
        config: dict[str, Any] = {
            "model": type(model).__name__ if model is not None else "model",
            "integration": "hf",
        }
        if self.name or getattr(args, "run_name", None):
            config["name"] = self.name or str(args.run_name)
        epochs = scalar(getattr(args, "num_train_epochs", None))
        if epochs is not None and epochs.is_integer() and epochs > 0:
            config["epochs"] = int(epochs)
        batch = getattr(args, "per_device_train_batch_size", None)
        if isinstance(batch, int):
            config["batch_size"] = batch
        if optimizer is not None:
            config["optimizer"] = optimizer_config(optimizer)
        total = int(state.max_steps) if getattr(state, "max_steps", 0) else None
        spe = None
        try:
            accumulate = max(int(getattr(args, "gradient_accumulation_steps", 1) or 1), 1)
            spe = math.ceil(len(loader) / accumulate) if loader is not None else None
        except TypeError:  # an iterable dataset has no length
            spe = None
        if lr_scheduler is not None:
            # the Trainer steps it after every optimizer step (not after one accelerate skipped)
            config = with_schedule(config, lr_scheduler, "step", spe, total)
        config.update(self.extra_config)
        return config

    # -- hooks ---------------------------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, optimizer=None, lr_scheduler=None, **kwargs):
        if not state.is_world_process_zero or self.run is not None:
            return
        loader = kwargs.get("train_dataloader")
        self.run = RunLogger(
            self.run_config(args, state, model, optimizer, lr_scheduler, loader), runs_dir=self.runs_dir
        )
        device = getattr(args, "device", None)
        if device is not None:
            self.run.event("device", str(device), device=str(device))

    def on_pre_optimizer_step(self, args, state, control, optimizer=None, **kwargs):
        if self.run is None or optimizer is None:
            return
        self._write_pending()
        groups = optimizer.param_groups
        moms = [g.get("momentum", (g.get("betas") or (None,))[0]) for g in groups]
        self._pending = {
            "step": int(state.global_step),
            "lr": [float(g["lr"]) for g in groups],
            "momentum": [float(m) for m in moms] if all(m is not None for m in moms) else None,
            "epoch": int(state.epoch) if state.epoch is not None else None,
        }

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.run is None or not logs:
            return
        if self._pending is not None:
            loss, grad = scalar(logs.get("loss")), scalar(logs.get("grad_norm"))
            if loss is not None:
                self._pending["loss"] = loss
            if grad is not None:
                self._pending["grad_norm"] = grad
        self._last_metrics.update({k: v for k, v in epoch_metrics(logs).items() if k != "learning_rate"})

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.run is None:
            return
        self._write_pending()
        self.run.epoch(self._epoch_index(state), **self._metrics())

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if self.run is None or not metrics:
            return
        self._write_pending()
        self._last_metrics.update(epoch_metrics(metrics))
        self.run.epoch(self._epoch_index(state), **self._metrics())  # newest record of an epoch wins

    def on_train_end(self, args, state, control, **kwargs):
        if self.run is None or self.run.closed:
            return
        self._write_pending()
        self.run.close("finished")

    # -- helpers -----------------------------------------------------------------------------------------
    def _write_pending(self) -> None:
        p, self._pending = self._pending, None
        if p is not None and self.run is not None:
            step = p.pop("step")
            self.run.step(step, **p)

    def _metrics(self) -> dict[str, float]:
        keep = {"train_loss": "loss"}
        out = dict(self._last_metrics)
        for ours, theirs in keep.items():
            if ours not in out and theirs in out:
                out[ours] = out[theirs]
        return {k: v for k, v in out.items() if k not in ("epoch", "loss", "grad_norm")}

    @staticmethod
    def _epoch_index(state: Any) -> int:
        epoch = scalar(getattr(state, "epoch", None))
        return max(0, math.ceil(epoch) - 1) if epoch is not None else 0
