"""App benchmarks: cold start to the first painted frame, and edit-to-redrawn-curve latency.

    .venv/bin/python benchmarks/app.py              # everything (takes ~1 minute)
    .venv/bin/python benchmarks/app.py --quick      # fewer repetitions

Cold start: `python -m lrtui` runs in a subprocess on a pseudo-terminal (80x24) with
LRTUI_EXIT_AFTER_FIRST_FRAME=<file>; the app writes the wall-clock time of its first painted frame there
and exits. We report (that time - the moment the subprocess was spawned), next to a minimal Textual app
(the floor for any Textual app on this machine) and `python -c "import torch"` timed the same way, in the
same run, as a ratio. Budget: first frame <= 0.6 s (DESIGN.md). lrtui's modules are byte-compiled first, as
`pip install` does: with PYTHONDONTWRITEBYTECODE=1 (set in this project's shells) a source tree without
__pycache__ would compile every module it imports from source at every start (~0.1-0.2 s here), which an
installed lrtui never does; the run says how many modules it compiled.

Edit latency: the real app under `run_test` (headless, 120x40). For each horizon (10k/100k/1M steps) we
type a new value into a field (as a keystroke-driven Input.Changed would) and measure until the plot's
render() has finished drawing the new curve (the widget's render is wrapped to timestamp it). Edits are
spaced past the edit throttle (80 ms) so each one is drawn on its own. Budget: p95 <= 50 ms at 1M.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MINIMAL_APP = """
import os, time
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        with open(os.environ["LRTUI_EXIT_AFTER_FIRST_FRAME"], "w") as f:
            f.write(f"{time.time():.6f}\\n")
        self.exit()
Minimal().run()
"""


def _run_on_pty(argv: list[str], env_extra: dict[str, str], size=(80, 24), timeout=60.0) -> float:
    """Spawn argv on a pty; return seconds from spawn to the time written in the first-frame file."""
    fd, stamp = tempfile.mkstemp(prefix="lrtui-first-frame-")
    os.close(fd)
    os.unlink(stamp)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = dict(os.environ, LRTUI_EXIT_AFTER_FIRST_FRAME=stamp, TERM="xterm-256color", **env_extra)
    env.pop("NO_COLOR", None)
    t0 = time.time()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, cwd=ROOT)
    os.close(slave)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                os.read(master, 1 << 16)  # drain the terminal output so the app never blocks on writing
            except OSError:
                break
        proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    try:
        return float(Path(stamp).read_text()) - t0
    finally:
        Path(stamp).unlink(missing_ok=True)


def _timed_process(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t0


def byte_compile() -> int:
    """Write lrtui's missing or stale __pycache__ files (as pip does at install); the number written."""
    import compileall
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):  # compileall names each file it compiles
        compileall.compile_dir(ROOT / "lrtui", quiet=0)
    return out.getvalue().count("Compiling ")


def cold_start(repeats: int) -> dict[str, list[float]]:
    py = sys.executable
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(MINIMAL_APP)
        minimal = f.name
    try:
        results = {"lrtui": [], "minimal textual app": [], "import torch": []}
        _run_on_pty([py, "-m", "lrtui"], {})  # warm the OS file cache once: we measure a cold interpreter
        for _ in range(repeats):
            results["lrtui"].append(_run_on_pty([py, "-m", "lrtui"], {}))
            results["minimal textual app"].append(_run_on_pty([py, minimal], {}))
        for _ in range(max(2, repeats // 2)):
            results["import torch"].append(_timed_process([py, "-c", "import torch"]))
        return results
    finally:
        os.unlink(minimal)


def check_no_torch_at_start() -> bool:
    code = "import sys, lrtui.app, lrtui.cli; sys.exit(1 if 'torch' in sys.modules else 0)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


async def edit_latency(steps: int, edits: int) -> list[float]:
    from lrtui.app import LrtuiApp  # first: it sets the app's frame rate before textual is imported

    # isort: split
    from textual.widgets import Input

    from tests.app.idle import settle

    app = LrtuiApp(spec=f"CosineAnnealingLR(T_max={steps // 2}, eta_min=1e-06)")
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#set-steps", Input).value = str(steps)
        await settle(pilot)
        plot = screen.query_one("#plot")
        rendered: list[tuple[float, int]] = []
        original_render = plot.render

        def timed_render():
            result = original_render()
            rendered.append((time.perf_counter(), screen.drawn_generation))
            return result

        plot.render = timed_render
        field = screen.query_one("#input-T_max", Input)
        for i in range(edits):
            await asyncio.sleep(0.1)  # past the edit throttle: each edit is drawn on its own
            target_generation = screen.drawn_generation + 1
            t0 = time.perf_counter()
            field.value = str(steps // 2 + 1 + i % 7)
            while True:
                await asyncio.sleep(0.001)
                done = [t for t, gen in rendered if t >= t0 and gen >= target_generation]
                if done:
                    latencies.append(done[0] - t0)
                    break
                if time.perf_counter() - t0 > 10:
                    raise RuntimeError("the plot did not redraw within 10 s")
    return latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="lrtui app benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    repeats, edits = (3, 15) if args.quick else (7, 40)

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (timings scale with load)")
    print(f"torch imported at app start: {'no' if check_no_torch_at_start() else 'YES (bug)'}")
    print(f"lrtui modules byte-compiled before timing (as an install does): {byte_compile()}")
    print()
    results = cold_start(repeats)
    torch_median = statistics.median(results["import torch"])
    print(f"Cold start to first painted frame (80x24, {repeats} runs; median / min)")
    print(f"  {'what':28} {'median':>9} {'min':>9} {'vs import torch':>16}")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"  {name:28} {med:8.3f}s {min(values):8.3f}s {med / torch_median:15.2f}x")
    lr = statistics.median(results["lrtui"])
    print(
        f"  budget 0.6 s: {'met' if lr <= 0.6 else 'NOT met'} (lrtui median {lr:.3f} s; "
        f"the minimal Textual app alone takes {statistics.median(results['minimal textual app']):.3f} s here)"
    )
    print()
    print(f"Edit -> redrawn curve latency (real app, run_test 120x40, {edits} edits each)")
    print(f"  {'steps':>10} {'p50':>9} {'p95':>9} {'max':>9}")
    p95_1m = None
    for steps in (10_000, 100_000, 1_000_000):
        lat = asyncio.run(edit_latency(steps, edits))
        p50, p95 = pct(lat, 0.5), pct(lat, 0.95)
        if steps == 1_000_000:
            p95_1m = p95
        print(f"  {steps:>10,} {p50 * 1e3:7.1f}ms {p95 * 1e3:7.1f}ms {max(lat) * 1e3:7.1f}ms")
    print(f"  budget p95 <= 50 ms at 1M: {'met' if p95_1m is not None and p95_1m <= 0.05 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
