"""The trainer for runs of kind "lr_find" (`lrtui find-lr`): the LR range test on a built-in model and dataset.

Same setup as a training run (device, data pipeline, model, optimizer: `Trainer._setup`), same failure
handling (failed / stopped states, the traceback in status.json), same entry point (`python -m
lrtui.training --run-dir DIR`, detached by `lrtui.runs.launch`), and the same sweep loop as
`lrtui.find_lr` (`run_sweep`). Batches come from the device pipeline in training order (the next epoch's
permutation when the sweep is longer than an epoch). No schedule, no evaluation, no checkpoint: a sweep is
minutes long and a stopped sweep is analysed as it stands.

At the end: an "lr_find" event with the suggestions (`lrtui.schedules.lr_suggest.Analysis.to_dict`), the
summary in stdout.log, and `lr_suggestion` / `lr_band` / `lr_reliable` in status.json for run listings.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from lrtui.schedules.lr_suggest import analyze
from lrtui.training.loop import Trainer
from lrtui.training.lr_find import result_message, run_sweep, status_fields


class LrFindTrainer(Trainer):
    def _build_stepper(self):
        return None  # the sweep sets the LR of every step itself

    def _run(self) -> tuple[str, str]:
        c = self.config
        sweep = c.lr_find
        self._setup()
        spe = self.data.steps_per_epoch
        self.logger.event(
            "plan",
            message=f"LR range test {sweep.describe()}: {c.model} on {c.dataset}, {c.optimizer.name}, "
            f"batch {c.batch_size}",
            steps_per_epoch=spe,
            total_steps=sweep.steps,
            amp="bf16" if self.amp else "off",
        )
        self.logger.set_state("running")
        self.say(f"LR range test {sweep.describe()} on {c.model}/{c.dataset}")
        self.model.train()
        pos = self.pos

        def train_step() -> torch.Tensor:
            x, y = self.data.train_batch(pos.step // spe, pos.step % spe, pos.step)
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp):
                loss = F.cross_entropy(self.forward(x).float(), y)
            if c.inject_nan_at_step is not None and pos.step == c.inject_nan_at_step:
                loss = loss * float("nan")  # test aid: a real NaN flows through backward and the update
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            pos.step += 1
            pos.epoch, pos.batch = divmod(pos.step, spe)
            if self.heartbeat is not None:  # a torchrun job: this rank's progress for the rank panel
                self.heartbeat.step(pos.step)
            if c.stop_at_step is not None and pos.step - 1 == c.stop_at_step and not self.stop:
                self.stop.reason = f"stop_at_step={c.stop_at_step}"
            if c.step_delay_s:
                time.sleep(c.step_delay_s)  # test aid
            return loss

        record = run_sweep(self.optimizer, sweep, train_step, logger=self.logger, stop=self.stop)
        self.logger.flush()
        analysis = analyze(record.lrs, record.losses, steps=sweep.steps)
        self.logger.event("lr_find", message=result_message(record.reason, analysis), **analysis.to_dict())
        self.say(record.reason)
        for line in analysis.summary_lines():
            self.say(line)
        self.close_extra = status_fields(analysis)
        return ("stopped" if record.stopped else "finished"), record.reason
