"""The trainer's torch.distributed side: process group, DDP, the control all-reduce, rank timings.

Semantics (docs/distributed.md): `batch_size` is per rank; one optimizer step consumes a global batch of
batch_size x world size; DDP averages the gradients, so a step equals one process's step on the global
batch. Every rank steps the LR schedule once per global step (all ranks hold the same LR).

Control points: every K steps (and at the end of every epoch) all ranks do ONE small all-reduce that
carries the per-step losses since the last control point (-> their mean over ranks, the global batch's
loss), rank 0's grad norms, every rank's stop flag and rank 0's choice of the next K (sized so control
points come about every `log_interval_s`, at most every `log_every_steps` steps). Its copy to the host is
the only host sync of that interval — the same one the single-process trainer makes when it flushes — and
it is where every rank learns, at the same step, that the job stops or diverged.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import time
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from lrtui.runs.distributed import DistEnv


def backend_for(requested: str, device: torch.device) -> str:
    if requested in ("gloo", "nccl"):
        return requested
    return "nccl" if device.type == "cuda" else "gloo"


def rank_device(name: str, env: DistEnv) -> torch.device:
    """A rank's device: its local GPU (LOCAL_RANK) for cuda/auto-with-CUDA, else the CPU."""
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError(f"device = {name!r} is invalid here: CUDA is not available (use 'cpu' with gloo)")
    count = torch.cuda.device_count()
    if env.local_rank >= count:
        raise RuntimeError(
            f"local rank {env.local_rank} has no GPU: this node shows {count} (nproc_per_node must be ≤ {count})"
        )
    torch.cuda.set_device(env.local_rank)
    return torch.device("cuda", env.local_rank)


def init(env: DistEnv, device: torch.device, backend: str, timeout_s: float = 1800.0) -> str:
    """Join the job's process group (env:// from torchrun); returns the backend used."""
    backend = backend_for(backend, device)
    kwargs: dict[str, Any] = {"backend": backend, "timeout": datetime.timedelta(seconds=timeout_s)}
    if device.type == "cuda":
        kwargs["device_id"] = device
    dist.init_process_group(**kwargs)
    return backend


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        with contextlib.suppress(Exception):  # a peer already gone: nothing left to tear down cleanly
            dist.destroy_process_group()


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, gradient_as_bucket_view=True)


@dataclass
class Exchanged:
    losses: list[float]  # mean over ranks, per step since the last control point
    grad_norms: list[float]  # rank 0's (identical on every rank after DDP's all-reduce)
    stop: bool  # some rank asked to stop
    next_k: int  # steps until the next control point
    stop_ranks: int  # how many ranks asked


def exchange(
    losses: list[torch.Tensor],
    grad_norms: list[torch.Tensor],
    *,
    stop: bool,
    next_k: int,
    rank: int,
    world_size: int,
    device: torch.device,
) -> Exchanged:
    """The control all-reduce (one collective, one host copy)."""
    n = len(losses)
    parts = []
    if n:
        parts.append(torch.stack(losses).float().reshape(-1))
        norms = torch.stack(grad_norms).float().reshape(-1)
        parts.append(norms if rank == 0 else torch.zeros_like(norms))
    parts.append(torch.tensor([1.0 if stop else 0.0, float(next_k) if rank == 0 else 0.0], device=device))
    payload = torch.cat([p.to(device) for p in parts])
    dist.all_reduce(payload)
    host = payload.cpu().tolist()
    return Exchanged(
        losses=[v / world_size for v in host[:n]],
        grad_norms=host[n : 2 * n],
        stop=host[2 * n] > 0,
        next_k=max(1, round(host[2 * n + 1])),
        stop_ranks=round(host[2 * n]),
    )


def all_sum(values: list[float | torch.Tensor], device: torch.device) -> list[float]:
    """Sums over ranks of a few numbers (epoch accumulators, evaluation), one collective."""
    t = torch.stack([torch.as_tensor(v, dtype=torch.float64, device=device).reshape(()) for v in values])
    dist.all_reduce(t)
    return t.cpu().tolist()


class RankTimer:
    """Per-step data and own time (data + forward + loss: the part a rank does before DDP's all-reduce
    waits for the others), fed to the rank's heartbeat.

    On the CPU every step is timed with perf_counter. On CUDA work is asynchronous: one step per
    `sample_every` seconds is bracketed with CUDA events, read once they completed (query(), never a
    sync), so timing costs nothing measurable.
    """

    def __init__(self, device: torch.device, sample_every: float = 1.0) -> None:
        self.cuda = device.type == "cuda"
        self.sample_every = sample_every
        self._next = 0.0
        self._pending: tuple[Any, Any, Any] | None = None
        self._active: tuple[Any, Any, Any] | None = None
        self._t0 = self._t1 = 0.0

    def begin(self) -> None:
        if not self.cuda:
            self._t0 = time.perf_counter()
            return
        now = time.monotonic()
        if self._pending is None and self._active is None and now >= self._next:
            self._next = now + self.sample_every
            self._active = tuple(torch.cuda.Event(enable_timing=True) for _ in range(3))  # type: ignore[assignment]
            self._active[0].record()

    def data_done(self) -> None:
        if not self.cuda:
            self._t1 = time.perf_counter()
        elif self._active is not None:
            self._active[1].record()

    def own_done(self) -> tuple[float | None, float | None]:
        """(data time, own time) of this step when known now, else (None, None)."""
        if not self.cuda:
            t2 = time.perf_counter()
            return self._t1 - self._t0, t2 - self._t0
        if self._active is not None:
            self._active[2].record()
            self._pending, self._active = self._active, None
        if self._pending is not None and self._pending[2].query():
            e0, e1, e2 = self._pending
            self._pending = None
            return e0.elapsed_time(e1) / 1000.0, e0.elapsed_time(e2) / 1000.0
        return None, None


def cuda_memory(device: torch.device):
    """The heartbeat's memory probe for a CUDA rank: allocated, peak since the last beat, reserved, total."""
    total = torch.cuda.get_device_properties(device).total_memory

    def probe() -> dict[str, Any]:
        peak = torch.cuda.max_memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        return {
            "mem": torch.cuda.memory_allocated(device),
            "mem_peak": peak,
            "mem_reserved": torch.cuda.memory_reserved(device),
            "mem_total": total,
            "mem_kind": "cuda",
        }

    return probe


def threads_per_rank(env: DistEnv) -> int:
    return max(1, (os.cpu_count() or 1) // max(env.local_world_size, 1))
