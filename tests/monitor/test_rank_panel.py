"""The monitor's per-rank view on a recorded torchrun job (tests/monitor/fixtures/ddp, written by the real
RunLogger and RankHeartbeat: make_ddp_fixture.py), and the device panel listing every GPU of a node through
NVML (a stand-in module with NVML's API: no GPU here)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from lrtui.screens.monitor import RunMonitorScreen
from lrtui.widgets.runs.device import DeviceProbe, describe
from lrtui.widgets.runs.panels import DevicePanel, StateLine
from lrtui.widgets.runs.ranks_panel import RanksPanel

from .helpers import FIXTURE_RUNS, ScreenTestApp, fixed_clock, wait_for

DDP_RUN = Path(__file__).resolve().parent / "fixtures" / "ddp" / "20251121-110000-resnet18-d008"


def _monitor(run: Path) -> ScreenTestApp:
    return ScreenTestApp(lambda: RunMonitorScreen(run, clock=fixed_clock, sample_device=False))


async def test_rank_panel_shows_every_rank_names_the_hang_and_keys_order_and_switch_it():
    app = _monitor(DDP_RUN)
    async with app.run_test(size=(160, 44)) as pilot:
        screen = app.screen
        await wait_for(
            pilot, lambda: screen.drawn is not None and screen.drawn.ranks is not None, what="ranks"
        )
        await pilot.pause(0.2)
        panel = screen.query_one(RanksPanel)
        assert screen.side == "ranks" and panel.display and not screen.query_one(DevicePanel).display
        assert screen.drawn.state == "hung"
        state = str(screen.query_one(StateLine).content)
        assert "rank 6 behind at step 1313 (others at 1314)" in state and "straggler: rank 5" in state
        rows = panel.rows_text()
        assert [r.split()[0] for r in rows] == [str(r) for r in range(8)]  # one row per rank, by rank
        assert "gpu-node-2" in rows[6] and "1,313" in rows[6] and "data" in rows[6]
        assert "look at rank 6" in str(panel.summary.content)
        await pilot.press("K")  # worst first: the rank the others wait for, then the rest
        await wait_for(pilot, lambda: panel.order == "worst", what="the worst-first order")
        assert panel.rows_text()[0].startswith("6 ")
        assert panel.rows_text()[1].startswith("5 ")  # the straggler's own time ranks it next
        await pilot.press("k")  # the machine's device panel instead
        await wait_for(pilot, lambda: screen.side == "device", what="the device panel")
        assert screen.query_one(DevicePanel).display and not panel.display
        await pilot.press("K")  # ordering brings the ranks back, by rank again
        await wait_for(pilot, lambda: screen.side == "ranks" and panel.order == "rank", what="rank order")
        assert panel.rows_text()[0].startswith("0 ")


async def test_a_single_process_run_has_no_rank_keys():
    app = _monitor(FIXTURE_RUNS / "20251121-100000-vgg-a001")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.drawn is not None, what="a snapshot")
        assert screen.drawn.ranks is None and screen.side == "device"
        await pilot.press("k")  # not offered (footer) and not acting
        await pilot.pause(0.1)
        assert screen.side == "device" and not screen.query_one(RanksPanel).display


class _FakeNvml:
    """NVML's Python API (nvidia-ml-py) for an 8-GPU node where ranks 0-7 each hold one GPU."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids

    def nvmlInit(self) -> None:
        pass

    def nvmlShutdown(self) -> None:
        pass

    def nvmlDeviceGetCount(self) -> int:
        return 8

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        return i

    def nvmlDeviceGetName(self, h: int) -> bytes:
        return b"NVIDIA H200"

    def nvmlDeviceGetUtilizationRates(self, h: int):
        if h == 7:
            raise RuntimeError("NVMLError_NotSupported")  # one GPU without the figure: shown as —
        return SimpleNamespace(gpu=90 + h)

    def nvmlDeviceGetMemoryInfo(self, h: int):
        return SimpleNamespace(used=(40 + h) * 2**30, total=141 * 2**30)

    def nvmlDeviceGetComputeRunningProcesses(self, h: int):
        return [SimpleNamespace(pid=self.pids[h], usedGpuMemory=(39 + h) * 2**30)]


def test_device_panel_lists_every_gpu_of_the_node_with_its_rank():
    pids = [5000 + i for i in range(8)]
    probe = DeviceProbe(nvml=_FakeNvml(pids))
    sample = probe.sample(pids[0], rank_pids={pid: rank for rank, pid in enumerate(pids)})
    probe.close()
    lines = describe(sample)
    gpu_lines = [line for line in lines if line.startswith("GPU")]
    assert len(gpu_lines) == 8 and sample.kind == "gpu"
    assert gpu_lines[3] == "GPU3  93% 43.0/141.0 GiB  rank 3  NVIDIA H200"
    assert gpu_lines[7].startswith("GPU7    — 47.0/141.0 GiB  rank 7")
    assert not any("no GPU visible" in line for line in lines)


def test_device_probe_without_a_driver_falls_back_to_the_cpu_view():
    class NoDriver:
        def nvmlInit(self) -> None:
            raise RuntimeError("NVMLError_LibraryNotFound")

    sample = DeviceProbe(nvml=NoDriver()).sample()
    assert sample.kind == "cpu" and "NVML unavailable" in describe(sample)[-1]
