"""The LR range test for your own model: `lrtui.find_lr(model, optimizer, data, loss_fn)`.

    from lrtui import find_lr

    result = find_lr(model, optimizer, train_loader, torch.nn.functional.cross_entropy)
    print(result.summary())          # suggestions, their band, noise, and whether to trust them
    lr = result.suggested_lr         # the steepest descent; result.analysis has the others

Each step trains one batch at the sweep's LR (exponential or linear between `start_lr` and `end_lr`,
`lrtui.runs.lr_sweep.Sweep`), and the sweep stops early when the loss stops being finite or its smoothed
value exceeds `diverge` × the best so far. Every step's LR and loss go to a run directory of kind "lr_find"
(watch it live: `lrtui watch last`). Afterwards — also after an exception or Ctrl-C — the model, the
optimizer, the GradScaler and the RNGs are exactly as they were: every parameter, buffer and gradient bit
for bit, the optimizer's state dict (step counters included), each module's train/eval flag, the torch
(CPU and CUDA), Python and NumPy RNG states, and the generators of a DataLoader passed as `data`.

Under torch.distributed (one process per rank, e.g. torchrun + DDP) every rank runs the same sweep in lock
step: the loss (and a stop request) is all-reduced each step, so all ranks see the same mean loss, stop at
the same step, and get the same suggestions; only rank 0 writes the run directory.

`run_sweep` is the loop shared with lrtui's own trainer (`lrtui find-lr`), so both log the same records.
"""

from __future__ import annotations

import contextlib
import copy
import random
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from lrtui.runs.lr_sweep import KIND, DivergenceWatch, Sweep
from lrtui.schedules.lr_suggest import Analysis, analyze

__all__ = ["LrFindResult", "SweepRecord", "find_lr", "run_sweep"]


# ----------------------------------------------------------------------------------------- the loop
@dataclass
class SweepRecord:
    """What a sweep did: the LR (group 0) and the loss (all-reduced mean under DDP) of every step run."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    reason: str = "completed"  # "completed" | "diverged: ..." | "stopped: ..." | "data ran out: ..."
    stopped: bool = False  # a stop request (SIGTERM / flag), not divergence

    @property
    def steps_done(self) -> int:
        return len(self.losses)


def _dist() -> tuple[Any, int, int]:
    """(torch.distributed or None, rank, world size)."""
    dist = getattr(torch, "distributed", None)
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist, dist.get_rank(), dist.get_world_size()
    return None, 0, 1


def _set_lr(optimizer: torch.optim.Optimizer, lr: float, ratios: list[float]) -> list[float]:
    """Group 0 gets `lr`; other groups keep their ratio to group 0 (discriminative LRs survive the sweep)."""
    out = []
    for group, ratio in zip(optimizer.param_groups, ratios):
        value = lr * ratio
        if isinstance(group["lr"], torch.Tensor):  # capturable/fused optimizers keep lr as a tensor
            group["lr"].fill_(value)
        else:
            group["lr"] = value
        out.append(value)
    return out


def run_sweep(
    optimizer: torch.optim.Optimizer,
    sweep: Sweep,
    train_step: Callable[[], torch.Tensor | None],
    *,
    logger: Any = None,
    stop: Any = None,
    first_step: int = 0,
) -> SweepRecord:
    """Run the sweep: for each step set the LR, call `train_step()` (one optimizer update; returns the
    loss tensor, or None when the data ran out), check divergence, log. `stop`: anything truthy when a
    stop was requested (a StopFlag). Distributed: the loss and the stop request are all-reduced."""
    dist, rank, world = _dist()
    base = [float(g["lr"]) for g in optimizer.param_groups]
    ratios = [b / base[0] if base[0] > 0 else 1.0 for b in base]
    watch = DivergenceWatch(sweep.diverge, sweep.smooth)
    record = SweepRecord()
    for i in range(sweep.steps):
        lr = sweep.lr_at(i)
        lrs = _set_lr(optimizer, lr, ratios)
        loss = train_step()
        if loss is None:
            record.reason = f"data ran out after {i} steps"
            break
        stopping = 1.0 if stop else 0.0
        if dist is not None:
            both = torch.stack(
                [loss.detach().float().reshape(()), loss.new_tensor(stopping, dtype=torch.float32)]
            )
            dist.all_reduce(both)  # sum over ranks: mean loss, and "anyone asked to stop"
            value, stopping = float(both[0]) / world, float(both[1])
        else:
            value = float(loss.detach().float())
        record.lrs.append(lr)
        record.losses.append(value)
        done = watch.update(value)
        if logger is not None and (rank == 0 or not getattr(logger, "is_writer", True)):
            # rank 0 writes the step; another rank's RunLogger (under torchrun) only beats with it
            logger.step(first_step + i, lr=lrs, loss=value, smooth_loss=watch.smoothed)
        if done:
            record.reason = f"diverged at step {i}: {watch.reason}"
            break
        if stopping > 0:
            record.stopped = True
            record.reason = (
                f"stopped after {i + 1} steps ({getattr(stop, 'reason', None) or 'stop requested'})"
            )
            break
    return record


# ------------------------------------------------------------------------------------ exact restore
_MISSING = object()


def _buffer_owner(model: torch.nn.Module, name: str) -> tuple[torch.nn.Module, str]:
    *path, leaf = name.split(".")
    module = model
    for part in path:
        module = getattr(module, part)
    return module, leaf


def _loader_generators(data: Any) -> list[torch.Generator]:
    """The torch.Generators a DataLoader (and its samplers) draw from, so their states can be put back."""
    found: list[torch.Generator] = []
    for obj in (
        data,
        getattr(data, "sampler", None),
        getattr(data, "batch_sampler", None),
        getattr(getattr(data, "batch_sampler", None), "sampler", None),
    ):
        gen = getattr(obj, "generator", None)
        if isinstance(gen, torch.Generator) and all(gen is not g for g in found):
            found.append(gen)
    return found


class Snapshot:
    """Everything an LR range test changes, captured before it and put back bit for bit after it."""

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        scaler: Any = None,
        data: Any = None,
        offload: bool = False,
    ) -> None:
        def keep(t: torch.Tensor) -> torch.Tensor:
            return t.detach().to("cpu", copy=True) if offload else t.detach().clone()

        self.model, self.optimizer, self.scaler = model, optimizer, scaler
        seen: set[int] = set()
        self.params: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]] = []
        for p in model.parameters():  # by identity: the optimizer holds these very tensors
            if id(p) not in seen:
                seen.add(id(p))
                self.params.append((p, keep(p), None if p.grad is None else keep(p.grad)))
        self.buffers = [
            (name, b, keep(b)) for name, b in model.named_buffers(remove_duplicate=False) if b is not None
        ]
        self.modes = [(m, m.training) for m in model.modules()]
        self.optimizer_state = copy.deepcopy(optimizer.state_dict())
        # Plain attributes torch keeps on the optimizer outside its state dict (e.g. `_opt_called`, which an
        # attached LR scheduler uses to warn about stepping order): restored too, and new ones removed.
        self.optimizer_attrs = {k: v for k, v in vars(optimizer).items() if _plain(v)}
        self.scaler_state = copy.deepcopy(scaler.state_dict()) if scaler is not None else None
        self.scaler_lazy = scaler is not None and getattr(scaler, "_scale", _MISSING) is None
        self.rng_torch = torch.get_rng_state()
        self.rng_cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        self.rng_python = random.getstate()
        numpy = sys.modules.get("numpy")
        self.rng_numpy = numpy.random.get_state() if numpy is not None else None
        self.generators = [(g, g.get_state()) for g in _loader_generators(data)]

    def restore(self) -> None:
        with torch.no_grad():
            for p, value, grad in self.params:
                p.copy_(value)
                if grad is None:
                    p.grad = None
                elif p.grad is None or p.grad.shape != grad.shape:
                    p.grad = grad.to(p.device, copy=True)
                else:
                    p.grad.copy_(grad)
            for name, original, value in self.buffers:
                owner, leaf = _buffer_owner(self.model, name)
                if getattr(owner, leaf, None) is not original:  # a module re-bound its buffer: put ours back
                    owner._buffers[leaf] = original
                original.copy_(value)
        for module, training in self.modes:
            module.training = training
        self.optimizer.load_state_dict(self.optimizer_state)
        attrs = vars(self.optimizer)
        for key in [k for k, v in attrs.items() if _plain(v) and k not in self.optimizer_attrs]:
            del attrs[key]
        attrs.update(self.optimizer_attrs)
        if self.scaler is not None:
            self.scaler.load_state_dict(self.scaler_state)
            if self.scaler_lazy:  # GradScaler makes its scale tensor on first use: make it lazy again
                self.scaler._scale = None
                self.scaler._growth_tracker = None
        torch.set_rng_state(self.rng_torch)
        if self.rng_cuda is not None:
            torch.cuda.set_rng_state_all(self.rng_cuda)
        random.setstate(self.rng_python)
        if self.rng_numpy is not None:
            sys.modules["numpy"].random.set_state(self.rng_numpy)
        for gen, state in self.generators:
            gen.set_state(state)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


# --------------------------------------------------------------------------------------------- the API
@dataclass
class LrFindResult:
    """The outcome of `find_lr`: the curve, the suggestions with their credibility, the run directory."""

    lrs: list[float]
    losses: list[float]
    reason: str
    analysis: Analysis
    sweep: Sweep
    run_dir: Path | None = None

    @property
    def suggested_lr(self) -> float | None:
        """The steepest descent (docs/lr-find.md says why this one); `analysis` has valley, min/10, the band."""
        s = self.analysis.get("steepest")
        return None if s is None else s.lr

    @property
    def reliable(self) -> bool:
        return self.analysis.reliable

    def summary(self) -> str:
        head = f"LR range test {self.sweep.describe()}: {len(self.losses)} steps, {self.reason}"
        where = [f"run: {self.run_dir}  (lrtui watch {self.run_dir.name})"] if self.run_dir else []
        return "\n".join([head, *self.analysis.summary_lines(), *where])

    def __str__(self) -> str:
        return self.summary()


def _to_device(obj: Any, device: torch.device) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


def _default_step(loss_fn: Callable) -> Callable[[torch.nn.Module, Any], torch.Tensor]:
    def step(model: torch.nn.Module, batch: Any) -> torch.Tensor:
        if not isinstance(batch, (list, tuple)) or len(batch) < 2:
            raise ValueError(
                f"a batch of type {type(batch).__name__} is not allowed without step_fn: expected "
                "(inputs, targets, ...) — or pass step_fn=lambda model, batch: <loss tensor>"
            )
        return loss_fn(model(batch[0]), batch[1])

    return step


class _Batches:
    """Batches from an iterable (started again when exhausted, like torch-lr-finder) or a callable."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self._it: Any = None
        if not callable(data) and not isinstance(data, Iterable):
            raise ValueError(
                f"data={type(data).__name__} is not allowed: expected an iterable of batches (a DataLoader) "
                "or a callable returning a batch"
            )

    def next(self) -> Any:
        if callable(self.data) and not isinstance(self.data, Iterable):
            return self.data()
        if self._it is None:
            self._it = iter(self.data)
        try:
            return next(self._it)
        except StopIteration:
            if self._it is self.data:  # a one-shot iterator: nothing to start again
                raise
            self._it = iter(self.data)
            return next(self._it)


def find_lr(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Any,
    loss_fn: Callable | None = None,
    *,
    start_lr: float = Sweep.start_lr,
    end_lr: float = Sweep.end_lr,
    steps: int = Sweep.steps,
    mode: str = Sweep.mode,
    diverge: float = Sweep.diverge,
    smooth: float = Sweep.smooth,
    step_fn: Callable[[torch.nn.Module, Any], torch.Tensor] | None = None,
    scaler: Any = None,
    autocast: torch.dtype | None = None,
    clip_grad_norm: float | None = None,
    device: torch.device | str | None = None,
    log: bool = True,
    runs_dir: str | Path | None = None,
    name: str | None = None,
    config: dict | None = None,
    offload: bool = False,
    verbose: bool = True,
) -> LrFindResult:
    """Run an LR range test on your model and put everything back afterwards.

    data: a DataLoader / any iterable of batches (re-iterated when exhausted) or a callable returning one.
    loss_fn(model(batch[0]), batch[1]) is the loss, unless `step_fn(model, batch) -> loss` is given.
    scaler: a torch.amp.GradScaler (its state is restored too); autocast: e.g. torch.bfloat16.
    log: write a run directory of kind "lr_find" (rank 0 only) into `runs_dir` (default: lrtui's).
    offload: keep the snapshot on the CPU (saves accelerator memory for big models).
    Returns an LrFindResult (`.summary()`, `.suggested_lr`, `.analysis`).
    """
    sweep = Sweep(start_lr=start_lr, end_lr=end_lr, steps=steps, mode=mode, diverge=diverge, smooth=smooth)
    sweep.validate(prefix="")
    if step_fn is None:
        if loss_fn is None:
            raise ValueError("loss_fn=None is not allowed without step_fn: pass a loss function or a step_fn")
        step_fn = _default_step(loss_fn)
    batches = _Batches(data)
    params = [p for p in model.parameters()]
    if not params:
        raise ValueError("model has no parameters: nothing to train")
    dev = torch.device(device) if device is not None else params[0].device
    _dist_mod, rank, world = _dist()

    logger = None
    from lrtui.runs.distributed import dist_env

    # under torchrun every rank makes the RunLogger: one run, rank 0 writes it, every rank beats in ranks/
    if log and (rank == 0 or dist_env() is not None):
        from lrtui.runs.logger import RunLogger

        run_config = {
            "kind": KIND,
            "name": name or f"lr_find {type(model).__name__}",
            "model": type(model).__name__,
            "optimizer": {
                "name": type(optimizer).__name__.lower(),
                "lr": float(optimizer.param_groups[0]["lr"]),
            },
            "lr_find": sweep.to_dict(),
            "world_size": world,
            **(config or {}),
        }
        logger = RunLogger(run_config, runs_dir=runs_dir, source="lrtui.find_lr")

    snapshot = Snapshot(model, optimizer, scaler, data, offload=offload)
    record: SweepRecord | None = None
    try:
        model.train()

        def train_step() -> torch.Tensor | None:
            try:
                batch = _to_device(batches.next(), dev)
            except StopIteration:
                return None
            cast = (
                torch.autocast(dev.type, dtype=autocast) if autocast is not None else contextlib.nullcontext()
            )
            with cast:
                loss = step_fn(model, batch)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                if clip_grad_norm is not None:
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(params, clip_grad_norm)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                if clip_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(params, clip_grad_norm)
                optimizer.step()
            return loss

        record = run_sweep(optimizer, sweep, train_step, logger=logger)
        analysis = analyze(record.lrs, record.losses, steps=sweep.steps)
    except BaseException as err:
        snapshot.restore()
        if logger is not None:
            if isinstance(err, KeyboardInterrupt):
                logger.close("stopped", message="interrupted (KeyboardInterrupt); the model was restored")
            else:
                with contextlib.suppress(Exception):
                    logger.__exit__(type(err), err, err.__traceback__)
        raise
    snapshot.restore()
    run_dir = None
    if logger is not None:
        logger.event("lr_find", message=result_message(record.reason, analysis), **analysis.to_dict())
        logger.close("finished", message=record.reason, **status_fields(analysis))
        run_dir = logger.run_dir
    result = LrFindResult(record.lrs, record.losses, record.reason, analysis, sweep, run_dir)
    if verbose and rank == 0:
        print(result.summary(), flush=True)
    return result


def result_message(reason: str, analysis: Analysis) -> str:
    """The "lr_find" event's message: how the sweep ended and what it suggests."""
    steep = analysis.get("steepest")
    return f"{reason}; suggested " + (
        f"{steep.lr:.3g} (steepest descent)" if steep else "nothing (see warnings)"
    )


def status_fields(analysis: Analysis) -> dict[str, Any]:
    """What status.json keeps about the result, so run listings need not read metrics.jsonl."""
    steep = analysis.get("steepest")
    return {
        "lr_suggestion": None if steep is None else steep.lr,
        "lr_band": list(analysis.band) if analysis.band else None,
        "lr_reliable": analysis.reliable,
    }
