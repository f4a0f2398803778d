"""Device discovery without torch: NVML / `nvidia-smi -L` / CUDA_VISIBLE_DEVICES, and the CPU fallback.

This machine has no GPU (no NVML driver, no nvidia-smi): the GPU paths are fed a stand-in `nvidia-smi` on
PATH that prints what the real one prints on a 2-GPU box; the real GPU path is not exercised here.
"""

from __future__ import annotations

import os
import stat

from lrtui.sweep.devices import (
    CPU,
    Device,
    child_env,
    default_cpu_slots,
    detect_gpus,
    parse_nvidia_smi_l,
    plan_devices,
)

SMI_L = """GPU 0: NVIDIA H200 (UUID: GPU-6b7c2a51-0f5e-4c3c-9b0c-1d2e3f405060)
GPU 1: NVIDIA H200 (UUID: GPU-7c8d3b62-1a6f-4d4d-8c1d-2e3f40516171)
  MIG 1g.18gb     Device  0: (UUID: MIG-11111111-2222-3333-4444-555555555555)
"""


def _fake_smi(tmp_path, monkeypatch, text: str = SMI_L) -> None:
    tool = tmp_path / "bin" / "nvidia-smi"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\ncat <<'EOF'\n" + text + "EOF\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")


def test_parse_nvidia_smi_list():
    assert parse_nvidia_smi_l(SMI_L) == [("0", "NVIDIA H200"), ("1", "NVIDIA H200")]
    assert parse_nvidia_smi_l("No devices were found\n") == []


def test_gpus_from_nvidia_smi_and_cuda_visible_devices(tmp_path, monkeypatch):
    _fake_smi(tmp_path, monkeypatch)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert detect_gpus() == [("0", "NVIDIA H200"), ("1", "NVIDIA H200")]
    assert detect_gpus({"CUDA_VISIBLE_DEVICES": "1"}) == [("1", "NVIDIA H200")]
    assert detect_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert detect_gpus({"CUDA_VISIBLE_DEVICES": "0,-1,1"}) == [("0", "NVIDIA H200")]  # CUDA stops at -1
    devices = plan_devices(None, 3)
    assert devices == [Device("0", "NVIDIA H200", 3), Device("1", "NVIDIA H200", 3)]
    env = child_env(devices[1], devices, base={"PATH": "/bin"})
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert int(env["OMP_NUM_THREADS"]) == max(1, (os.cpu_count() or 1) // 6)


def test_cpu_fallback_without_any_gpu(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert detect_gpus() == []
    (cpu,) = plan_devices(None, None)
    assert cpu.id == CPU and cpu.slots == default_cpu_slots()
    env = child_env(cpu, [cpu], base={"OMP_NUM_THREADS": "3"})
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["OMP_NUM_THREADS"] == "3"  # the user's setting wins
    assert [default_cpu_slots(n) for n in (1, 2, 8, 16, 64)] == [1, 1, 2, 4, 4]


def test_explicit_devices(tmp_path, monkeypatch):
    _fake_smi(tmp_path, monkeypatch)
    assert [d.id for d in plan_devices(["1"], None)] == ["1"]
    assert plan_devices("cpu", 2)[0] == Device(CPU, plan_devices("cpu", 2)[0].name, 2)
