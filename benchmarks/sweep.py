"""Seed 001's experiment as one sweep: wall time per concurrency setting and the results table next to the article.

    .venv/bin/python benchmarks/sweep.py                  # GPU: `lrtui sweep --preset seed001` as the article ran it
                                                          # (VGG, CIFAR-10 from --data-dir or synthetic, 30 epochs)
    .venv/bin/python benchmarks/sweep.py --quick          # CPU-sized: the preset's 7 schedules on LeNet,
                                                          # 1024 synthetic images, 2 epochs (minutes on 2 cores)
    options: --repeats K --per-device 1,2 (one sweep per value, side by side) --data-dir DIR (real CIFAR-10)
             --epochs N --runs-dir DIR (default: a temporary directory)

Every sweep goes through the real CLI (`python -m lrtui sweep ...`): the launcher exits, the detached queue
spreads the runs over the devices it finds, and this script polls the group until every run ended. Printed:
device(s), wall time per --per-device value and the ratio to the first, the mean time a run trains (its
start event to its end event; the process also pays the torch import), then the results
table (mean ± std over repeats, ranking, Welch verdicts) with what the article reports per schedule. Data is
the built-in synthetic dataset unless --data-dir holds CIFAR-10: its accuracies are not comparable with the
article's numbers, only the method is.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lrtui.sweep.devices import plan_devices  # noqa: E402
from lrtui.sweep.group import read_group  # noqa: E402
from lrtui.sweep.listing import find_group  # noqa: E402
from lrtui.sweep.queue import group_status  # noqa: E402
from lrtui.sweep.results import compute, load_group, to_text  # noqa: E402


def _recipe(args: argparse.Namespace) -> list[str]:
    if args.quick:
        return ["--dataset", "synthetic", "--model", "lenet", "--epochs", str(args.epochs or 2),
                "--set", "synthetic_train_size=1024", "--set", "synthetic_test_size=256", "--set", "num_threads=1"]  # fmt: skip
    recipe = ["--epochs", str(args.epochs or 30)]
    if args.data_dir:
        return [*recipe, "--data-dir", args.data_dir]
    # CIFAR-10 is not on disk: the same recipe on the synthetic dataset at CIFAR-10's size
    return [
        *recipe,
        "--dataset",
        "synthetic",
        "--set",
        "synthetic_train_size=50000",
        "--set",
        "synthetic_test_size=10000",
    ]


def run_sweep(args: argparse.Namespace, per_device: int, runs_dir: Path) -> tuple[float, object]:
    argv = [sys.executable, "-m", "lrtui", "sweep", "--preset", "seed001", "--repeats", str(args.repeats),
            "--per-device", str(per_device), "--name", f"bench-pd{per_device}", "--runs-dir", str(runs_dir),
            *_recipe(args)]  # fmt: skip
    if args.quick:
        argv += ["--devices", "cpu"]
    t0 = time.perf_counter()
    started = subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    if started.returncode != 0:
        raise SystemExit(started.stderr)
    group = read_group(find_group(f"bench-pd{per_device}", runs_dir))
    while group_status(group).state not in ("finished", "interrupted", "stopped"):
        time.sleep(1.0)
    return time.perf_counter() - t0, group


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CPU-sized (the default without a GPU)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--per-device", default="1,2", help="comma-separated values, one sweep each")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--data-dir")
    parser.add_argument("--runs-dir")
    args = parser.parse_args()
    devices = plan_devices(None, None)
    if devices[0].id == "cpu":
        args.quick = True
    print(
        f"load average {os.getloadavg()[0]:.1f}; devices: " + ", ".join(f"{d.id} ({d.name})" for d in devices)
    )
    runs_dir = Path(args.runs_dir or tempfile.mkdtemp(prefix="lrtui-bench-sweep-"))
    rows = []
    last_group = None
    for per_device in [int(v) for v in args.per_device.split(",")]:
        wall, group = run_sweep(args, per_device, runs_dir)
        data = load_group(group)
        durations = []
        for m in data.members:
            events = m.run.data.events if m.run is not None else []
            ts = [e["t"] for e in events if isinstance(e.get("t"), (int, float))]
            if ts:
                durations.append(max(ts) - min(ts))
        mean_run = sum(durations) / len(durations) if durations else float("nan")
        rows.append((per_device, wall, mean_run, len(group.members), group_status(group).progress.words()))
        last_group = data
    print()
    print(f"{'per device':>10}  {'runs':>4}  {'wall s':>8}  {'vs first':>8}  {'train s':>10}  outcome")
    for per_device, wall, mean_run, n, words in rows:
        print(
            f"{per_device:>10}  {n:>4}  {wall:>8.1f}  {rows[0][1] / wall:>7.2f}x  {mean_run:>10.1f}  {words}"
        )
    print()
    print(to_text(compute(last_group)))
    print(f"runs in {runs_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
