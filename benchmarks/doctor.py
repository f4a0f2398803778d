"""LR doctor: schedule inference on 1,000,000-step LR series, one per family (target ≤ 1 s each).

    .venv/bin/python benchmarks/doctor.py               # every family at 1M steps
    .venv/bin/python benchmarks/doctor.py --steps 200000 --repeat 3

Each row: a spec evaluated by the engine over N steps (the LR a run logs at every step), then
`infer_schedule(steps, lrs)` on the plain arrays (best of --repeat). Printed side by side with the time of
one engine evaluation of the same curve (what verifying one candidate costs) and `np.cos` over N floats
(the machine's speed in this run). Noise rows must come back "unknown".
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lrtui.schedules import planned_lrs
from lrtui.schedules.infer import infer_schedule

TARGET_S = 1.0


def cases(n: int) -> list[tuple[str, str]]:
    w = n // 100
    return [
        ("constant", "ConstantLR(factor=1.0, total_iters=0)"),
        ("step", f"StepLR(step_size={n // 4}, gamma=0.1)"),
        ("multistep", f"MultiStepLR(milestones=[{n // 3}, {2 * n // 3}], gamma=0.2)"),
        ("exponential", "ExponentialLR(gamma=0.999995)"),
        ("linear", f"LinearLR(start_factor=1.0, end_factor=0.0, total_iters={n})"),
        ("cosine", f"CosineAnnealingLR(T_max={n}, eta_min=1e-06)"),
        ("polynomial", f"PolynomialLR(total_iters={n}, power=2.0)"),
        ("warmup_cosine (transformers)", f"get_cosine_schedule_with_warmup(num_warmup_steps={w}, num_training_steps={n})"),
        ("warmup_cosine (torch)", f"SequentialLR([LinearLR(start_factor=0.01, total_iters={w}), CosineAnnealingLR(T_max={n - w}, eta_min=1e-06)], milestones=[{w}])"),
        ("warmup_linear", f"get_linear_schedule_with_warmup(num_warmup_steps={w}, num_training_steps={n})"),
        ("warmup_inverse_sqrt", f"get_inverse_sqrt_schedule(num_warmup_steps={w})"),
        ("wsd", f"get_wsd_schedule(num_warmup_steps={w}, num_decay_steps={n // 5}, num_training_steps={n})"),
        ("onecycle", f"OneCycleLR(max_lr=0.1, total_steps={n})"),
        ("cyclic", f"CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up={n // 20})"),
        ("warm_restarts", f"CosineAnnealingWarmRestarts(T_0={n // 10}, T_mult=2)"),
    ]  # fmt: skip


def best_of(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of `repeat` runs (and the result)."""
    return best_of_both(fn, repeat)[0], best_of_both.last


def best_of_both(fn, repeat: int) -> tuple[float, float]:
    """(best wall s, best CPU s) of `repeat` runs: on a shared machine the CPU time is the steadier one."""
    wall = cpu = math.inf
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        best_of_both.last = fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu


best_of_both.last = None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    n = args.steps
    steps = np.arange(n)
    x = np.linspace(0, 1, n)
    cos_s, _ = best_of(lambda: np.cos(x), 5)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{n:,} steps; np.cos over {n:,} floats: {cos_s * 1e3:.1f} ms; load average {load:.2f}")
    print(f"{'family':30s} {'infer s':>8s} {'cpu s':>6s} {'1 eval ms':>10s} {'ratio':>7s}  result")
    print("-" * 110)
    worst = worst_cpu = 0.0
    failures = 0
    for family, spec in cases(n):
        y = planned_lrs(spec, (0.1,), total_steps=n)[0]
        eval_s, _ = best_of(lambda spec=spec: planned_lrs(spec, (0.1,), total_steps=n), args.repeat)
        t, cpu = best_of_both(lambda y=y: infer_schedule(steps, y), args.repeat)
        result = best_of_both.last
        worst = max(worst, t)
        worst_cpu = max(worst_cpu, cpu)
        ok = result.ok and result.residual <= 1e-6
        failures += not ok
        shown = f"{result.family}: {result.spec}" if ok else f"FAILED {result.family} {result.note}"
        print(f"{family:30s} {t:8.3f} {cpu:6.3f} {eval_s * 1e3:10.1f} {t / eval_s:6.0f}×  {shown[:74]}")
    rng = np.random.default_rng(0)
    for family, y in (
        ("noise (white)", 0.1 * (1 + 0.01 * rng.standard_normal(n))),
        ("noise (random walk)", 0.1 * np.exp(np.cumsum(1e-3 * rng.standard_normal(n)))),
    ):
        t, cpu = best_of_both(lambda y=y: infer_schedule(steps, y), args.repeat)
        result = best_of_both.last
        worst, worst_cpu = max(worst, t), max(worst_cpu, cpu)
        failures += result.ok
        print(f"{family:30s} {t:8.3f} {cpu:6.3f} {'':>10s} {'':>7s}  {result.family}")
    verdict = "met" if worst <= TARGET_S else "NOT met"
    print(
        f"\nworst inference: {worst:.3f} s wall, {worst_cpu:.3f} s CPU (target ≤ {TARGET_S:.0f} s: {verdict} "
        f"on wall time); failures: {failures}; load average now {os.getloadavg()[0]:.2f}"
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
