"""The training loop: model + device pipeline + optimizer + schedule stepper, logging into a run directory.

Per optimizer step k (k = steps done before this update, the schedule's k) it records the LR and momentum
each param group uses for that update (read from `optimizer.param_groups` before `optimizer.step()`),
the loss and the total gradient norm. Loss and grad norm stay on the device and are copied to the host
once per flush (every `log_every_steps` steps or `log_interval_s` seconds) as one columnar
`RunLogger.steps(...)` record: no host sync per step. That flush is also where a non-finite loss is
noticed (state "diverged").

Stop (SIGTERM/SIGINT, or the `stop_at_step` test aid): the current step finishes, records are flushed, a
checkpoint is written atomically (model, optimizer, stepper, step, epoch, batch position, epoch
accumulators, RNG states), state "stopped". Resume rebuilds everything in torch's order (scheduler, then
optimizer.load_state_dict, then scheduler.load_state_dict) and continues the same epoch permutation at the
next batch: the logged (step, lr) sequence equals an uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from lrtui.runs.distributed import dist_env, stop_requested
from lrtui.training import checkpoint as ckpt
from lrtui.training.config import TrainConfig
from lrtui.training.datasets import load_dataset
from lrtui.training.models import build_model
from lrtui.training.pipeline import DevicePipeline
from lrtui.training.signals import StopFlag
from lrtui.training.steplog import StepBuffer


# ------------------------------------------------------------------------------------------- pieces
def select_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device = {name!r} is invalid here: CUDA is not available (use 'auto' or 'cpu')")
    return torch.device(name)


def describe_device(device: torch.device) -> dict[str, Any]:
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return {
            "device": f"{props.name} ({props.total_memory / 2**30:.1f} GiB)",
            "cuda": torch.version.cuda,
            "capability": f"{props.major}.{props.minor}",
            "torch": torch.__version__,
        }
    return {
        "device": "cpu",
        "cpu_count": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }


def build_optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    o = config.optimizer
    if o.name == "sgd":
        return torch.optim.SGD(
            params, lr=o.lr, momentum=o.momentum, nesterov=o.nesterov, weight_decay=o.weight_decay
        )
    cls = torch.optim.Adam if o.name == "adam" else torch.optim.AdamW
    return cls(params, lr=o.lr, betas=tuple(o.betas), eps=o.eps, weight_decay=o.weight_decay)


def group_momentum(group: dict) -> float | None:
    """SGD momentum, or Adam's beta1 (what OneCycleLR/CyclicLR cycle)."""
    if "betas" in group:
        return float(group["betas"][0])
    m = group.get("momentum")
    return None if m is None else float(m)


def build_schedule_stepper(config: TrainConfig, optimizer):
    spec = (config.schedule.spec or "").strip()
    if not spec:
        return None  # constant LR, like the seed's first experiment
    from lrtui.schedules.torch_bridge import build_stepper

    s = config.schedule
    return build_stepper(
        spec, optimizer, stepping=s.stepping, steps_per_epoch=s.steps_per_epoch, total_steps=s.total_steps
    )


# -------------------------------------------------------------------------------------------- trainer
@dataclass
class Position:
    epoch: int = 0  # current epoch
    batch: int = 0  # next batch index within the epoch
    step: int = 0  # optimizer steps done


class Diverged(Exception):
    def __init__(self, message: str, step: int):
        super().__init__(message)
        self.step = step


class Trainer:
    """Trains `config` (resolved) and logs into `logger` (a lrtui.runs.RunLogger)."""

    def __init__(
        self,
        config: TrainConfig,
        logger,
        *,
        resume: bool = False,
        stop: StopFlag | None = None,
        out=None,
        log_steps: bool = True,
    ):
        # log_steps=False skips per-step records and the grad norm (benchmarks: "logging off"); divergence
        # is then only noticed from the epoch's train loss.
        self.log_steps = log_steps
        self.config = config if config.schedule.total_steps is not None else config.resolve()
        self.logger = logger
        self.resume = resume
        self.stop = stop if stop is not None else StopFlag()
        self.out = out or sys.stdout
        self.run_dir = Path(logger.run_dir)
        self.checkpoint_path = self.run_dir / ckpt.CHECKPOINT_NAME
        self._warm = False  # has this process run a training step yet (see _train_epoch_part)
        self.close_extra: dict[str, Any] = {}  # more status.json fields for the final state (subclasses)
        # torchrun: this process is one rank of a DDP job (lrtui/training/ddp.py); rank 0 writes the run
        self.dist = dist_env()
        self.rank = self.dist.rank if self.dist else 0
        self.world = self.dist.world_size if self.dist else 1
        self.writer = self.rank == 0
        self.heartbeat = getattr(logger, "heartbeat", None)
        self._agreed_stop = False
        self._k = 1  # steps between control points (distributed; rank 0 resizes it at each one)
        self._since_control = 0
        self._last_control = time.monotonic()
        self._stop_file_checked = 0.0

    def say(self, text: str, every_rank: bool = False) -> None:
        """A line for stdout.log; in a job only rank 0's (all ranks share the file), unless `every_rank`."""
        if self.writer or every_rank:
            prefix = f"[rank {self.rank}] " if self.dist is not None and every_rank else ""
            print(prefix + text, file=self.out, flush=True)

    # --------------------------------------------------------------------------------------- public
    def run(self) -> str:
        """Train to the end, a stop, divergence or an error; returns the final state written.

        RunLogger.close(state) writes the matching finish/stop/diverged/error event and status.json.
        """
        self.pos = Position()
        try:
            return self._run_and_close()
        finally:
            if self.dist is not None:
                from lrtui.training import ddp

                ddp.shutdown()

    def _run_and_close(self) -> str:
        try:
            state, message = self._run()
        except Diverged as d:
            msg = str(d)
            self.say(f"diverged: {msg}")
            self.logger.close("diverged", error=msg, message=msg, diverged_step=d.step)
            return "diverged"
        except KeyboardInterrupt:  # a second Ctrl-C: out now, without a checkpoint at this step
            self._save_pending_records()
            message = "interrupted (second Ctrl-C); a resume restarts from the last checkpoint"
            self.say(message)
            self.logger.close("stopped", message=message)
            raise
        except BaseException as err:  # every failure must reach status.json
            tail = "".join(traceback.format_exception(type(err), err, err.__traceback__))[-4000:]
            self.say(tail, every_rank=True)
            self._save_pending_records()
            message = f"{type(err).__name__}: {err}"[:500]
            ranks = self._ranks_diagnosis()
            if ranks:  # a collective failed because another rank died: name it first
                message = f"{ranks}; here: {message}"[:600]
            self.logger.close("failed", error=tail.rstrip(), message=message)
            return "failed"
        self.logger.close(state, message=message, **self.close_extra)
        return state

    def _ranks_diagnosis(self) -> str:
        """On rank 0 of a job: which other rank died or failed (its heartbeats say so), or ""."""
        if self.dist is None or not self.writer:
            return ""
        from lrtui.runs.ranks import other_ranks_gone

        with contextlib.suppress(Exception):
            return other_ranks_gone(self.run_dir, self.rank)
        return ""

    def _save_pending_records(self) -> None:
        """Write the steps buffered before a failure (best effort: the device itself may be what failed)."""
        buf = getattr(self, "buf", None)
        if buf is None or not len(buf) or self.dist is not None:  # a job's losses need the other ranks
            return
        with contextlib.suppress(Exception):  # the original error is the one to report
            cols, _ = buf.columns()
            buf.clear()
            self.logger.steps(cols)

    # ---------------------------------------------------------------------------------------- setup
    def _setup(self) -> None:
        c = self.config
        if self.resume and not self.checkpoint_path.is_file():  # fail before the expensive setup
            raise FileNotFoundError(f"cannot resume: no {ckpt.CHECKPOINT_NAME} in {self.run_dir}")
        if c.num_threads:
            torch.set_num_threads(c.num_threads)
        if self.dist is not None:
            from lrtui.training import ddp

            self.device = ddp.rank_device(c.device, self.dist)
            launch = c.distributed if isinstance(c.distributed, dict) else {}
            self.backend = ddp.init(self.dist, self.device, launch.get("backend", "auto"))
        else:
            self.device = select_device(c.device)
        cuda = self.device.type == "cuda"
        self.amp = c.amp == "bf16" or (c.amp == "auto" and cuda)
        self.channels_last = cuda if c.channels_last is None else c.channels_last
        if cuda:
            torch.backends.cudnn.benchmark = True  # fixed shapes (drop_last): pick the fastest conv kernels
            torch.set_float32_matmul_precision("high")  # TF32 for the fp32 parts outside autocast
        self.logger.event(
            "device", message=describe_device(self.device)["device"], **describe_device(self.device)
        )

        data = load_dataset(
            c.dataset,
            data_dir=c.data_dir,
            download=c.download,
            verify_checksums=c.verify_checksums,
            synthetic_train_size=c.synthetic_train_size,
            synthetic_test_size=c.synthetic_test_size,
            seed=c.synthetic_seed,
        )
        crop, flip = c.augment_ops()
        global_batch = c.global_batch_size()
        if global_batch % self.world:
            raise ValueError(
                f"world size = {self.world} is invalid for this run: its global batch {global_batch} "
                f"(batch_size x the world size it was started with) must split evenly between the ranks"
            )
        self.batch_per_rank = global_batch // self.world
        self.data = DevicePipeline(
            data.train_x,
            data.train_y,
            data.test_x,
            data.test_y,
            mean=data.mean,
            std=data.std,
            batch_size=self.batch_per_rank,
            device=self.device,
            seed=c.seed,
            crop=crop,
            flip=flip,
            eval_batch_size=c.eval_batch_size,
            channels_last=self.channels_last,
            rank=self.rank,
            world_size=self.world,
        )
        if self.data.steps_per_epoch != c.schedule.steps_per_epoch:
            raise ValueError(
                f"schedule.steps_per_epoch = {c.schedule.steps_per_epoch} is invalid: the {c.dataset} copy "
                f"loaded has {self.data.num_train} training images, so {self.data.steps_per_epoch} steps per "
                f"epoch at global batch {global_batch}"
            )

        torch.manual_seed(c.seed)  # model init
        model = build_model(
            c.model, in_channels=data.channels, image_size=data.image_size, num_classes=data.num_classes
        ).to(self.device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.optimizer = build_optimizer(c, model.parameters())
        # The scheduler is built before the optimizer state is loaded (torch's order; see _load_checkpoint).
        self.stepper = self._build_stepper()
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.pos = Position()
        self.acc = self._new_epoch_acc()
        if self.resume:
            self._load_checkpoint()
        trained = model
        if self.dist is not None:
            from lrtui.training import ddp

            trained = ddp.wrap(model, self.device)  # broadcasts rank 0's weights: every rank starts equal
        self.forward = torch.compile(trained) if c.compile else trained
        # DDP's forward may run collectives (buffer broadcast): ranks evaluate shards of unequal batch
        # counts, so evaluation uses the plain module
        self.eval_forward = self.forward if self.dist is None else model
        self._setup_rank_timing()

    def _setup_rank_timing(self) -> None:
        from lrtui.training.ddp import RankTimer, cuda_memory

        self.timer = RankTimer(self.device) if self.heartbeat is not None else None
        if self.heartbeat is not None:
            self.heartbeat.configure(every=self.config.heartbeat_s, device=str(self.device))
            if self.device.type == "cuda":
                self.heartbeat.memory = cuda_memory(self.device)

    def _build_stepper(self):
        return build_schedule_stepper(self.config, self.optimizer)

    def _new_epoch_acc(self) -> dict[str, Any]:
        zero = torch.zeros((), device=self.device)
        # "untimed": images of steps kept out of images/s (the first step of a process compiles/autotunes)
        return {"loss_sum": zero.clone(), "correct": zero.clone(), "seen": 0, "untimed": 0, "train_time": 0.0}

    # ----------------------------------------------------------------------------------------- loop
    def _run(self) -> tuple[str, str]:
        c = self.config
        self._setup()
        spe, epochs = self.data.steps_per_epoch, c.epochs
        if self.resume:
            # RunLogger.open already wrote the "resume" event; this one says where the checkpoint was.
            self.logger.event(
                "restored",
                message=f"checkpoint at step {self.pos.step} (epoch {self.pos.epoch}, batch {self.pos.batch})",
                epoch=self.pos.epoch,
                batch=self.pos.batch,
                steps_done=self.pos.step,
            )
            self.say(f"resumed at step {self.pos.step} (epoch {self.pos.epoch}, batch {self.pos.batch})")
        layout = {}
        if self.dist is not None:
            layout = {
                "world_size": self.world,
                "batch_per_rank": self.batch_per_rank,
                "global_batch": c.global_batch_size(),
                "backend": self.backend,
            }
            self.say(
                f"on {self.device} ({self.backend}, world size {self.world}): batch {self.batch_per_rank} "
                f"per rank, global batch {c.global_batch_size()}",
                every_rank=True,
            )
        self.logger.event(
            "plan",
            message=f"{c.model} on {c.dataset}, {c.optimizer.name} lr {c.optimizer.lr}, "
            f"schedule {c.schedule.spec or 'constant'} per {c.schedule.stepping}"
            + (
                f", {self.world} ranks x batch {self.batch_per_rank} = global batch {c.global_batch_size()}"
                if self.dist is not None
                else ""
            ),
            steps_per_epoch=spe,
            total_steps=spe * epochs,
            amp="bf16" if self.amp else "off",
            channels_last=self.channels_last,
            compile=c.compile,
            **layout,
        )
        self.logger.set_state("running")
        self.buf = StepBuffer(len(self.optimizer.param_groups))
        self._last_flush = self._last_control = time.monotonic()

        while self.pos.epoch < epochs:
            stopped = self._train_epoch_part()
            if stopped:
                return self._stop()
            self._end_epoch()
            if self._stopping():
                return self._stop()
        self.say("finished")
        return "finished", f"finished {epochs} epochs ({self.pos.step} steps)"

    def _train_epoch_part(self) -> bool:
        """Train the rest of the current epoch; True if a stop was requested (position kept in self.pos)."""
        c = self.config
        self.model.train()
        spe = self.data.steps_per_epoch
        t0 = time.perf_counter()
        stopped = False
        self._phase("train")
        while self.pos.batch < spe and not stopped:
            if self._stopping():
                stopped = True
                break
            self._train_step(c, self.optimizer)
            if not self._warm:
                # The first step of this process pays for torch.compile, cuDNN autotuning and lazy CUDA
                # init (seconds): keep it out of the epoch's images/s, or the monitor's rate and ETA lie.
                self._warm = True
                if self.device.type == "cuda":
                    torch.cuda.synchronize(self.device)
                self.acc["untimed"] += self.batch_per_rank
                t0 = time.perf_counter()
            stopped = self._stopping()
        self._flush()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)  # the time below is real (one sync per epoch)
        self.acc["train_time"] += time.perf_counter() - t0
        return stopped

    def _stopping(self) -> bool:
        """Stop now? One process: its stop flag. A job: only what the ranks agreed at a control point."""
        return self._agreed_stop if self.dist is not None else bool(self.stop)

    def _phase(self, name: str) -> None:
        if self.heartbeat is not None:
            self.heartbeat.phase = name

    def _train_step(self, c: TrainConfig, opt) -> None:
        pos = self.pos
        timer, hb = self.timer, self.heartbeat
        if timer is not None:
            hb.phase = "data"
            timer.begin()
        x, y = self.data.train_batch(pos.epoch, pos.batch, pos.step)
        if timer is not None:
            timer.data_done()
            hb.phase = "forward"
        lrs = [float(g["lr"]) for g in opt.param_groups]  # the LR this update will use
        moms = [group_momentum(g) for g in opt.param_groups]
        with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            out = self.forward(x)
            loss = F.cross_entropy(out.float(), y)
        if c.inject_nan_at_step is not None and pos.step == c.inject_nan_at_step:
            loss = loss * float("nan")  # test aid: a real NaN flows through backward and the update
        if timer is not None:
            data_time, own_time = timer.own_done()
            hb.phase = "backward"  # with DDP: also the gradient all-reduce, where ranks wait for each other
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.log_steps:
            grads = [p.grad for p in self.params if p.grad is not None]
            grad_norm = (
                torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))) if grads else loss * 0
            )
        opt.step()
        if self.stepper is not None:
            self.stepper.on_step_end(pos.step + 1)
        loss_d = loss.detach()
        self.acc["loss_sum"] += loss_d
        self.acc["correct"] += (out.argmax(1) == y).sum()
        self.acc["seen"] += len(y)
        if self.log_steps:
            self.buf.add(pos.step, pos.epoch, lrs, moms, loss_d, grad_norm.detach())
        pos.step += 1
        pos.batch += 1
        if c.step_delay_s:
            time.sleep(c.step_delay_s)  # test aid
        if hb is not None:
            hb.step(pos.step, data_time=data_time, own_time=own_time)
            hb.phase = "train"
        if c.stop_at_step is not None and pos.step - 1 == c.stop_at_step and not self.stop:
            self.stop.reason = f"stop_at_step={c.stop_at_step}"
        now = time.monotonic()
        if self.dist is not None:
            self._since_control += 1
            if self._since_control >= self._k or (self.stop.reason or "").startswith("stop_at_step"):
                self._control(now)
        elif len(self.buf) >= c.log_every_steps or now - self._last_flush >= c.log_interval_s:
            self._flush(now)

    def _control(self, now: float | None = None) -> None:
        """A control point of a job (every rank at the same step): one all-reduce of the losses since the
        last one, the stop flags and the next interval; rank 0 writes the step records (lrtui/training/ddp.py)."""
        from lrtui.training import ddp

        c = self.config
        now = time.monotonic() if now is None else now
        local_stop = bool(self.stop)
        if self.writer and not local_stop and now - self._stop_file_checked >= 1.0:
            self._stop_file_checked = now
            if stop_requested(self.run_dir):  # `lrtui stop` from a host without an agent of this job
                self.stop.reason = "stop.request"
                local_stop = True
        next_k = 0
        if self.writer:  # about one control point per log_interval_s, never more than log_every_steps apart
            step_time = (now - self._last_control) / max(self._since_control, 1)
            next_k = max(1, min(c.log_every_steps, int(c.log_interval_s / step_time) if step_time > 0 else 1))
        self._phase("sync")
        ex = ddp.exchange(
            self.buf.loss,
            self.buf.grad_norm,
            stop=local_stop,
            next_k=next_k,
            rank=self.rank,
            world_size=self.world,
            device=self.device,
        )
        self._phase("train")
        self._k, self._since_control, self._last_control = ex.next_k, 0, now
        self._last_flush = now
        if ex.stop and not self._agreed_stop:
            self._agreed_stop = True
            if not self.stop.reason:
                self.stop.reason = "a stop on another rank"
        if len(self.buf):
            cols, bad = self.buf.columns((ex.losses, ex.grad_norms))
            self.buf.clear()
            if self.writer:
                self.logger.steps(cols)
            if bad is not None:  # every rank sees the same reduced losses: all stop here together
                raise Diverged(
                    f"loss is not finite at step {bad} (epoch {self.pos.epoch}); training stopped", bad
                )
        if self.writer:
            self.logger.flush()

    def _flush(self, now: float | None = None) -> None:
        if self.dist is not None:
            self._control(now)
            return
        now = time.monotonic() if now is None else now
        self._last_flush = now
        if len(self.buf):
            cols, bad = self.buf.columns()
            self.buf.clear()
            self.logger.steps(cols)
            if bad is not None:
                raise Diverged(
                    f"loss is not finite at step {bad} (epoch {self.pos.epoch}); training stopped", bad
                )
        self.logger.flush()  # also refreshes status.json (the logger's heartbeat)

    def _global_acc(self) -> dict[str, Any]:
        """The epoch's accumulators over every rank (a collective in a job): loss_sum is the sum of the
        global batches' mean losses, the rest are plain totals; train_time is this rank's."""
        acc = self.acc
        if self.dist is None:
            return {**acc, "loss_sum": float(acc["loss_sum"]), "correct": int(acc["correct"])}
        from lrtui.training import ddp

        loss_sum, correct, seen, untimed = ddp.all_sum(
            [acc["loss_sum"], acc["correct"], float(acc["seen"]), float(acc["untimed"])], self.device
        )
        return {
            "loss_sum": loss_sum / self.world,
            "correct": round(correct),
            "seen": round(seen),
            "untimed": round(untimed),
            "train_time": acc["train_time"],
        }

    def _end_epoch(self) -> None:
        c, epoch = self.config, self.pos.epoch
        t_eval = time.perf_counter()
        self._phase("eval")
        test_loss, test_acc = self.evaluate()
        eval_time = time.perf_counter() - t_eval
        acc = self._global_acc()
        seen = max(acc["seen"], 1)
        train_loss = float(acc["loss_sum"]) / max(self.data.steps_per_epoch, 1)
        train_acc = float(acc["correct"]) / seen
        timed = acc["seen"] - acc["untimed"]
        images_per_s = timed / acc["train_time"] if acc["train_time"] > 0 and timed > 0 else None
        if self.stepper is not None:
            self.stepper.on_metric(test_loss)  # ReduceLROnPlateau steps on the epoch's test loss
        lrs = [float(g["lr"]) for g in self.optimizer.param_groups]
        self.logger.epoch(
            epoch,
            train_loss=train_loss,
            train_acc=train_acc,
            test_loss=test_loss,
            test_acc=test_acc,
            images_per_s=images_per_s,
            epoch_time=acc["train_time"] + eval_time,
            train_time=acc["train_time"],
            eval_time=eval_time,
            lr=lrs,
        )
        self.say(
            f"epoch {epoch}: [Train] loss {train_loss:.3f} acc {100 * train_acc:.2f}% | [Test] loss "
            f"{test_loss:.3f} acc {100 * test_acc:.2f}% | {images_per_s or 0:.0f} img/s | lr {lrs[0]:.6g}"
        )
        self.pos.epoch += 1
        self.pos.batch = 0
        self.acc = self._new_epoch_acc()
        if not math.isfinite(train_loss):
            raise Diverged(f"train loss is not finite in epoch {epoch}; training stopped", self.pos.step)
        if self.pos.epoch % c.checkpoint_every_epochs == 0 or self.pos.epoch == c.epochs:
            self.save_checkpoint()

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float]:
        """Test loss (mean per image) and accuracy, in large batches; one host sync at the end."""
        model = self.model
        model.eval()
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device, dtype=torch.int64)
        n = 0
        with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            for x, y in self.data.test_batches():
                out = self.eval_forward(x).float()
                loss_sum += F.cross_entropy(out, y, reduction="sum")
                correct += (out.argmax(1) == y).sum()
                n += len(y)
        model.train()
        if self.dist is not None:  # every rank evaluated its shard of the test set
            from lrtui.training import ddp

            total_loss, total_correct, total_n = ddp.all_sum([loss_sum, correct, float(n)], self.device)
            return total_loss / max(total_n, 1), round(total_correct) / max(total_n, 1)
        return float(loss_sum) / max(n, 1), int(correct) / max(n, 1)

    # ----------------------------------------------------------------------------------- checkpoint
    def save_checkpoint(self) -> None:
        """Rank 0 writes one checkpoint (in a job every rank calls this: the accumulators are summed)."""
        self._phase("checkpoint")
        acc = self._global_acc()
        if not self.writer:
            self._phase("train")
            return
        payload = {
            "format": 1,
            "model": self.model.state_dict(),
            # plain(): numpy scalars some schedulers leave in their state would need weights_only=False
            "optimizer": ckpt.plain(self.optimizer.state_dict()),
            "stepper": ckpt.plain(self.stepper.state_dict()) if self.stepper is not None else None,
            "position": {"epoch": self.pos.epoch, "batch": self.pos.batch, "step": self.pos.step},
            "epoch_acc": {
                "loss_sum": float(acc["loss_sum"]),
                "correct": int(acc["correct"]),
                "seen": acc["seen"],
                "untimed": acc["untimed"],
                "train_time": acc["train_time"],
            },
            "seed": self.config.seed,
            "rng": ckpt.rng_states(),
            "config": self.config.to_dict(),
            "layout": {"world_size": self.world, "global_batch": self.config.global_batch_size()},
            "saved": time.time(),
        }
        ckpt.save_atomic(payload, self.checkpoint_path)
        self._phase("train")
        self.logger.event(
            "checkpoint",
            message=f"{self.checkpoint_path.name} at {self.pos.step} steps",
            epoch=self.pos.epoch,
            batch=self.pos.batch,
            steps_done=self.pos.step,
        )

    def _load_checkpoint(self) -> None:
        if not self.checkpoint_path.is_file():
            raise FileNotFoundError(f"cannot resume: no {ckpt.CHECKPOINT_NAME} in {self.run_dir}")
        state = ckpt.load(self.checkpoint_path, self.device)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])  # after the scheduler was built ...
        if self.stepper is not None and state.get("stepper") is not None:
            self.stepper.load_state_dict(state["stepper"])  # ... and the scheduler last (torch's order)
        p = state["position"]
        self.pos = Position(epoch=p["epoch"], batch=p["batch"], step=p["step"])
        a = state.get("epoch_acc") or {}
        saved_batch = (state.get("layout") or {}).get("global_batch")
        if saved_batch is not None and saved_batch != self.config.global_batch_size():
            raise ValueError(
                f"global batch = {self.config.global_batch_size()} is invalid: the checkpoint was trained with "
                f"global batch {saved_batch} (keep it for the same steps and LR sequence)"
            )
        if not self.writer:  # the epoch so far is counted once, on rank 0 (sums over ranks at the end)
            a = {}
        self.acc = self._new_epoch_acc()
        self.acc["loss_sum"] += a.get("loss_sum", 0.0) * self.world  # stored per rank-mean (see save)
        self.acc["correct"] += a.get("correct", 0)
        self.acc["seen"] = a.get("seen", 0)
        self.acc["untimed"] = a.get("untimed", 0)
        self.acc["train_time"] = a.get("train_time", 0.0)
        ckpt.restore_rng_states(state.get("rng", {}))

    def _stop(self) -> tuple[str, str]:
        self.save_checkpoint()
        reason = self.stop.reason or "stop"
        message = f"stopped by {reason} after {self.pos.step} steps (epoch {self.pos.epoch}, batch {self.pos.batch})"
        self.say(f"{message}; checkpoint written")
        return "stopped", message


def train(config: TrainConfig, logger, *, resume: bool = False, stop: StopFlag | None = None) -> str:
    """Run a training to its end in this process; returns the final state ("finished", "stopped", ...)."""
    return Trainer(config, logger, resume=resume, stop=stop).run()
