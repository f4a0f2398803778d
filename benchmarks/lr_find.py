"""LR range test costs, measured side by side.

    .venv/bin/python benchmarks/lr_find.py

1. `analyze()` (what the monitor's worker recomputes as a live sweep's steps arrive) for sweeps of 100 to
   100,000 steps, and fastai's O(n²) `valley` scan (a verbatim port) against lrtui's O(n log n) equivalent.
2. `find_lr` (per-step loss read for the stop rule, snapshot + restore, RunLogger records) against the same
   number of plain training steps, LeNet on synthetic 3x32x32 images on the CPU, one thread.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lrtui.schedules.lr_suggest import analyze, valley


def fastai_valley(losses: list[float]) -> int:
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def curve(n: int) -> tuple[np.ndarray, np.ndarray]:
    lrs = np.geomspace(1e-7, 10.0, n)
    u = np.log10(lrs)
    loss = 2.3 - 1.2 / (1 + np.exp(-(u + 2) / 0.3)) + 0.05 * np.exp(3 * u)
    return lrs, loss + np.random.default_rng(0).normal(0, 0.1, n)


def analysis_costs() -> None:
    analyze(*curve(100))  # warm-up
    print("steps      analyze()   valley (lrtui)   valley (fastai's scan)   ratio")
    for n in (100, 1_000, 5_000, 20_000, 100_000):
        lrs, loss = curve(n)
        t_all = best_of(lambda lrs=lrs, loss=loss, n=n: analyze(lrs, loss, steps=n))
        t_ours = best_of(lambda loss=loss: valley(loss))
        if n <= 5_000:
            values = loss.tolist()
            t_theirs = best_of(lambda values=values: fastai_valley(values), repeat=1)
            theirs, ratio = f"{t_theirs * 1e3:12.1f} ms", f"{t_theirs / t_ours:7.0f}x"
        else:
            theirs, ratio = "          —   ", "      —"
        print(f"{n:>7,}   {t_all * 1e3:8.1f} ms   {t_ours * 1e3:10.2f} ms   {theirs}          {ratio}")


def sweep_overhead(steps: int = 200) -> None:
    import torch
    import torch.nn.functional as F

    from lrtui import find_lr
    from lrtui.training.datasets import synthetic_dataset
    from lrtui.training.models import build_model

    torch.set_num_threads(1)
    data = synthetic_dataset(4096, 64, seed=0)
    x = (data.train_x.float() / 255 - 0.4) / 0.25
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, data.train_y), batch_size=64, shuffle=True, drop_last=True
    )
    torch.manual_seed(0)
    model = build_model("lenet", in_channels=3, image_size=32)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def plain() -> None:
        it = iter(loader)
        for _ in range(steps):
            try:
                xb, yb = next(it)
            except StopIteration:
                it = iter(loader)
                xb, yb = next(it)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    with tempfile.TemporaryDirectory() as runs:

        def sweep() -> None:
            # end_lr low enough that no run stops early: every repeat does `steps` steps
            find_lr(model, opt, loader, F.cross_entropy, start_lr=1e-5, end_lr=1e-3, steps=steps,
                    runs_dir=runs, verbose=False)  # fmt: skip

        plain()  # warm-up
        t_plain = best_of(plain)
        t_sweep = best_of(sweep)
    print(f"\nLeNet, batch 64, {steps} steps, CPU 1 thread")
    print(f"plain training loop   {t_plain:6.2f} s   ({steps / t_plain:5.0f} steps/s)")
    print(
        f"find_lr (logged)      {t_sweep:6.2f} s   ({steps / t_sweep:5.0f} steps/s)  {t_sweep / t_plain - 1:+.1%}"
    )


if __name__ == "__main__":
    analysis_costs()
    sweep_overhead()
