"""Which devices a sweep's queue spreads runs over, found without importing torch (stdlib only).

GPUs are found, in order, through NVML (the nvidia-ml-py package, when installed and a driver answers),
then `nvidia-smi -L`; a CUDA_VISIBLE_DEVICES already set in the environment limits the choice to the
devices it lists. Each run gets one GPU through CUDA_VISIBLE_DEVICES, with CUDA_DEVICE_ORDER=PCI_BUS_ID so
that index N is the GPU that nvidia-smi calls N (CUDA's own default order is "fastest first").
Without a GPU the queue runs on the CPU: `per_device` runs at once (default: one per 4 cores, at most 4),
each with OMP_NUM_THREADS = cores // runs so they do not oversubscribe the machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

CPU = "cpu"
_SMI_LINE = re.compile(r"^GPU (\d+): (.+?)(?: \(UUID: ([^)]+)\))?\s*$")


@dataclass(frozen=True)
class Device:
    id: str  # CUDA_VISIBLE_DEVICES value ("0", "GPU-<uuid>") or "cpu"
    name: str
    slots: int  # runs at once on this device

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "slots": self.slots}


def _nvml_gpus() -> list[tuple[str, str]] | None:
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # no driver / no library: NVMLError and friends
        return None
    try:
        out = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i))
            out.append((str(i), name.decode() if isinstance(name, bytes) else str(name)))
        return out
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def parse_nvidia_smi_l(text: str) -> list[tuple[str, str]]:
    """(index, name) pairs from `nvidia-smi -L` ("GPU 0: NVIDIA H200 (UUID: GPU-...)"); MIG lines are skipped."""
    out = []
    for line in text.splitlines():
        m = _SMI_LINE.match(line.strip())
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def _smi_gpus() -> list[tuple[str, str]] | None:
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return None
    try:
        done = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return parse_nvidia_smi_l(done.stdout)


def detect_gpus(env: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(CUDA_VISIBLE_DEVICES id, name) of the GPUs runs may use; [] when there are none."""
    env = os.environ if env is None else env
    found = _nvml_gpus()
    if found is None:
        found = _smi_gpus() or []
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return found
    names = dict(found)
    ids = [v.strip() for v in visible.split(",") if v.strip()]
    out = []
    for v in ids:
        if v.startswith("-"):  # CUDA stops at the first invalid id; "-1" hides every GPU
            break
        out.append((v, names.get(v, f"GPU {v}")))
    return out


def default_cpu_slots(cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return max(1, min(4, cores // 4))


def plan_devices(devices: list[str] | str | None, per_device: int | None) -> list[Device]:
    """The queue's devices: the given GPU ids, "cpu", or what detect_gpus finds (CPU when nothing)."""
    if devices == CPU:
        gpus: list[tuple[str, str]] = []
    elif isinstance(devices, list) and devices:
        names = dict(detect_gpus())
        gpus = [(d, names.get(d, f"GPU {d}")) for d in devices]
    else:
        gpus = detect_gpus()
    if not gpus:
        return [Device(CPU, f"CPU ({os.cpu_count() or 1} cores)", per_device or default_cpu_slots())]
    return [Device(i, name, per_device or 1) for i, name in gpus]


def child_env(device: Device, devices: list[Device], base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a run placed on `device`: its GPU only, and a fair share of CPU threads."""
    env = dict(os.environ if base is None else base)
    if device.id == CPU:
        env["CUDA_VISIBLE_DEVICES"] = ""  # a CPU slot trains on the CPU even where a GPU exists
    else:
        env["CUDA_VISIBLE_DEVICES"] = device.id
        env.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
    slots = sum(d.slots for d in devices)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // max(1, slots))))
    return env
