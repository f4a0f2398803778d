"""What the machine is doing: GPU utilisation and memory through NVML when it is importable
(nvidia-ml-py, a dependency of lrtui), else CPU load and memory from os.getloadavg and /proc.

Sampled in the monitor's thread worker (NVML calls and /proc reads are I/O), never on the UI thread.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GpuSample:
    index: int
    name: str
    util_percent: float | None
    mem_used: float  # bytes
    mem_total: float
    process_mem: float | None = None  # the run's own process on this GPU, when NVML reports it
    ranks: tuple[int, ...] = ()  # ranks of a torchrun job found on this GPU (by their pids)


@dataclass(frozen=True)
class DeviceSample:
    kind: str  # "gpu" | "cpu"
    gpus: tuple[GpuSample, ...] = ()
    load: tuple[float, float, float] | None = None
    cpus: int = 1
    mem_used: float | None = None
    mem_total: float | None = None
    process_cpu_percent: float | None = None  # the run's process (this host), summed over cores
    process_rss: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _gib(n: float | None) -> str:
    return "—" if n is None else f"{n / 2**30:.1f} GiB"


def describe(sample: DeviceSample | None) -> list[str]:
    """Lines for the device panel."""
    if sample is None:
        return ["(sampling…)"]
    lines: list[str] = []
    compact = len(sample.gpus) > 2  # an 8-GPU node: one line per GPU
    for gpu in sample.gpus:
        util = "—" if gpu.util_percent is None else f"{gpu.util_percent:.0f}%"
        ranks = (
            f"  rank{'s' if len(gpu.ranks) > 1 else ''} {','.join(map(str, gpu.ranks))}" if gpu.ranks else ""
        )
        if compact:
            used = "—" if gpu.mem_used is None else f"{gpu.mem_used / 2**30:.1f}"
            lines.append(f"GPU{gpu.index} {util:>4} {used}/{_gib(gpu.mem_total)}{ranks}  {gpu.name}")
            continue
        lines.append(f"GPU{gpu.index} {gpu.name}")
        lines.append(f"  util {util}  mem {_gib(gpu.mem_used)} / {_gib(gpu.mem_total)}{ranks}")
        if gpu.process_mem is not None:
            lines.append(f"  run uses {_gib(gpu.process_mem)}")
    if sample.load is not None:
        l1, l5, _ = sample.load
        lines.append(f"CPU load {l1:.2f} (5m {l5:.2f}) on {sample.cpus} cores")
    if sample.mem_total:
        lines.append(f"RAM {_gib(sample.mem_used)} / {_gib(sample.mem_total)}")
    if sample.process_cpu_percent is not None:
        rss = f", RSS {_gib(sample.process_rss)}" if sample.process_rss is not None else ""
        lines.append(f"run process CPU {sample.process_cpu_percent:.0f}%{rss}")
    lines.extend(sample.notes)
    return lines


def _meminfo() -> tuple[float | None, float | None]:
    try:
        with open("/proc/meminfo", "rb") as f:
            fields = {}
            for line in f:
                key, _, rest = line.partition(b":")
                fields[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return None, None
    total = fields.get(b"MemTotal")
    avail = fields.get(b"MemAvailable")
    if total is None or avail is None:
        return None, total
    return float(total - avail), float(total)


def _proc_times(pid: int) -> tuple[float, float | None] | None:
    """(cpu seconds used by pid, RSS bytes) from /proc; None when unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        return cpu, float(rss)
    except (OSError, ValueError, IndexError):
        return None


class DeviceProbe:
    """Samples NVML (if importable and initialisable) or the CPU; keeps NVML open between samples."""

    def __init__(self, nvml: Any = None) -> None:
        """`nvml`: the pynvml module (default: imported here; a stand-in with its API in tests)."""
        self._nvml: Any = None
        self._nvml_failed = ""
        self._last_proc: tuple[int, float, float] | None = None  # pid, monotonic time, cpu seconds
        try:
            if nvml is None:
                import pynvml as nvml  # nvidia-ml-py

            nvml.nvmlInit()
            self._nvml = nvml
        except ModuleNotFoundError:  # fall back to the CPU view, saying how to get the GPU one
            self._nvml_failed = "nvidia-ml-py is not installed: pip install nvidia-ml-py"
        except Exception as exc:  # no driver, no GPU
            self._nvml_failed = f"NVML unavailable: {type(exc).__name__}"

    def close(self) -> None:
        if self._nvml is not None:
            with contextlib.suppress(Exception):
                self._nvml.nvmlShutdown()
            self._nvml = None

    def _gpus(self, pid: int | None, rank_pids: dict[int, int] | None = None) -> tuple[GpuSample, ...]:
        nv = self._nvml
        out = []
        try:
            count = nv.nvmlDeviceGetCount()
        except Exception:
            return ()
        for i in range(count):
            try:
                handle = nv.nvmlDeviceGetHandleByIndex(i)
                name = nv.nvmlDeviceGetName(handle)
                name = name.decode() if isinstance(name, bytes) else str(name)
                try:
                    util: float | None = float(nv.nvmlDeviceGetUtilizationRates(handle).gpu)
                except Exception:
                    util = None
                mem = nv.nvmlDeviceGetMemoryInfo(handle)
                proc_mem = None
                ranks: list[int] = []
                if pid is not None or rank_pids:
                    try:
                        for proc in nv.nvmlDeviceGetComputeRunningProcesses(handle):
                            if proc.pid == pid and proc.usedGpuMemory is not None:
                                proc_mem = float(proc.usedGpuMemory)
                            if rank_pids and proc.pid in rank_pids:
                                ranks.append(rank_pids[proc.pid])
                    except Exception:
                        pass
                out.append(
                    GpuSample(
                        i, name, util, float(mem.used), float(mem.total), proc_mem, tuple(sorted(ranks))
                    )
                )
            except Exception:
                continue
        return tuple(out)

    def sample(self, pid: int | None = None, rank_pids: dict[int, int] | None = None) -> DeviceSample:
        """This machine now; `pid` is the run's process, `rank_pids` {pid: rank} a job's ranks on this host."""
        gpus = self._gpus(pid, rank_pids) if self._nvml is not None else ()
        try:
            load: tuple[float, float, float] | None = os.getloadavg()
        except OSError:
            load = None
        used, total = _meminfo()
        cpu_pct = rss = None
        if pid is not None:
            times = _proc_times(pid)
            if times is not None:
                now = time.monotonic()
                cpu, rss = times
                if self._last_proc is not None and self._last_proc[0] == pid and now > self._last_proc[1]:
                    cpu_pct = 100.0 * (cpu - self._last_proc[2]) / (now - self._last_proc[1])
                self._last_proc = (pid, now, cpu)
        notes = ()
        if not gpus:
            notes = ("no GPU visible (" + (self._nvml_failed or "NVML found no device") + ")",)
        return DeviceSample(
            kind="gpu" if gpus else "cpu",
            gpus=gpus,
            load=load,
            cpus=os.cpu_count() or 1,
            mem_used=used,
            mem_total=total,
            process_cpu_percent=cpu_pct,
            process_rss=rss,
            notes=notes,
        )
