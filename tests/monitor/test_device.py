"""The device panel's probe on this machine: NVML when nvidia-ml-py and a GPU are there, else the CPU view."""

from __future__ import annotations

import os

from lrtui.screens.monitor import RunMonitorScreen
from lrtui.widgets.runs.device import DeviceProbe, describe
from lrtui.widgets.runs.panels import DevicePanel

from .helpers import FIXTURE_RUNS, ScreenTestApp, wait_for


def test_probe_reports_gpus_or_cpu_load_memory_and_the_run_process():
    probe = DeviceProbe()
    try:
        probe.sample(os.getpid())
        sum(i * i for i in range(200_000))  # some CPU time for the process figure
        sample = probe.sample(os.getpid())
    finally:
        probe.close()
    lines = "\n".join(describe(sample))
    if sample.kind == "gpu":
        assert sample.gpus and "GPU0" in lines and "util" in lines
    else:
        assert "no GPU visible" in lines
    assert sample.load is not None and "CPU load" in lines
    assert sample.mem_total and "RAM" in lines
    assert sample.process_cpu_percent is not None and sample.process_cpu_percent >= 0
    assert "run process CPU" in lines


async def test_monitor_of_a_live_looking_run_samples_the_machine():
    app = ScreenTestApp(lambda: RunMonitorScreen(FIXTURE_RUNS / "20251121-100000-vgg-a001"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RunMonitorScreen)
                and app.screen.drawn is not None
                and app.screen.drawn.device is not None
            ),
            what="a device sample",
        )
        await pilot.pause(0.2)
        text = str(app.screen.query_one(DevicePanel).content)
        assert "run on cpu" in text and ("CPU load" in text or "GPU0" in text)
