"""Curve engine vs. stepping the real scheduler: every kind of the catalogue at 1,000,000 steps.

    .venv/bin/python benchmarks/curves.py            # torch timed on 20k steps, extrapolated linearly
    .venv/bin/python benchmarks/curves.py --full     # torch stepped the full 1M steps (slow)
    .venv/bin/python benchmarks/curves.py --kinds CyclicLR,OneCycleLR --steps 200000

For each kind its `example` spec is evaluated with `evaluate()` (best of --repeat runs, after one warm-up)
on one param group. The reference is the scheduler a training script would step: torch kinds (composites
included) are the genuine torch.optim.lr_scheduler classes, built by `lrtui.schedules.torch_bridge` when it
exists (else a minimal builder here, torch kinds only); other kinds (transformers, timm, seed, warmup) are
stepped through the bridge's torch equivalent ("bridge" in the table: a port, or an LRScheduler reading
our curve, whose per-step cost is that of any LambdaLR). The torch loop calls `scheduler.step()` and reads
`optimizer.param_groups[0]["lr"]` each step (no optimizer.step(): only the scheduler's cost is counted).
Targets (DESIGN.md): ≤ 20 ms per 1M-step curve and ≥ 50× faster than torch.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lrtui.schedules import Plan, SpecError, evaluate, kinds, parse, resolve

TARGET_MS = 20.0
TARGET_RATIO = 50.0


def time_lrtui(plan: Plan, repeat: int) -> float:
    evaluate(plan)  # warm-up (imports, caches)
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        evaluate(plan)
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def _bridge():
    if importlib.util.find_spec("lrtui.schedules.torch_bridge") is None:
        return None
    from lrtui.schedules import torch_bridge

    return getattr(torch_bridge, "build_scheduler", None)


def _minimal_torch_builder(spec, optimizer, total_steps):
    """Fallback when the bridge is missing: torch kinds only (no nested schedules)."""
    import inspect

    import torch.optim.lr_scheduler as lrs

    from lrtui.schedules.formula import Formula

    plan = Plan(spec=spec, base_lrs=(float(optimizer.param_groups[0]["lr"]),), total_steps=total_steps)
    bound = resolve(spec, plan.context())
    cls = getattr(lrs, bound.kind.name)
    accepted = inspect.signature(cls.__init__).parameters

    def conv(v):
        if isinstance(v, Formula):
            return eval(v.python_source, {"math": math})
        if isinstance(v, tuple):
            return [conv(x) for x in v]
        return v

    return cls(optimizer, **{k: conv(v) for k, v in bound.args.items() if k in accepted})


def time_torch(kind, spec, steps: int, metric: np.ndarray | None) -> tuple[float | None, str]:
    """ms to step the real scheduler `steps` times (None if it cannot be built), and a note."""
    import torch

    build = _bridge()
    if build is None and kind.library != "torch":
        return None, "no torch equivalent (torch_bridge missing)"
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if build is not None:
                sched = build(spec, opt, total_steps=steps)
            else:
                sched = _minimal_torch_builder(spec, opt, steps)
        except (SpecError, TypeError, ValueError) as exc:
            return None, f"not built: {exc}"[:60]
        group = opt.param_groups[0]
        out = []
        done = steps - 1
        t = time.perf_counter()
        try:
            if kind.loop_pattern:  # the loop's code: each step, then the epoch end (1 step per epoch)
                for k in range(steps - 1):
                    sched.step(float(metric[k]))
                    sched.epoch_end(float(metric[k]))
                    out.append(group["lr"])
            elif kind.metric_driven:
                for k in range(steps - 1):
                    sched.step(float(metric[k]))
                    out.append(group["lr"])
            else:
                for _ in range(steps - 1):
                    sched.step()
                    out.append(group["lr"])
        except Exception as exc:  # e.g. OneCycleLR past total_steps: time per completed step
            done = len(out)
            note = f"raised {type(exc).__name__} at step {done + 1}; per-step time extrapolated"
            elapsed = time.perf_counter() - t
            return (elapsed / max(done, 1)) * (steps - 1) * 1e3, note
        elapsed = time.perf_counter() - t
    origin = "torch" if kind.library == "torch" else "bridge"
    return elapsed * 1e3 * (steps - 1) / done, origin


def _metric(spec, plan: Plan, steps: int) -> np.ndarray:
    """The synthetic series the preview uses for the (first) ReduceLROnPlateau of a spec, else a flat one."""
    from lrtui.schedules.kinds.torch_plateau import synthetic_metric

    bound = resolve(spec, plan.context())
    todo = [bound]
    while todo:
        b = todo.pop(0)
        if b.kind.name == "ReduceLROnPlateau":
            return synthetic_metric(b.args, steps)
        todo += list(b.args.get("schedulers") or ())
    return np.ones(steps)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--torch-steps", type=int, default=20_000, help="torch steps timed (then extrapolated)")
    ap.add_argument("--full", action="store_true", help="step torch the full --steps (no extrapolation)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--kinds", default="", help="comma-separated kind names (default: all)")
    args = ap.parse_args(argv)

    wanted = {k for k in args.kinds.split(",") if k}
    torch_steps = args.steps if args.full else min(args.torch_steps, args.steps)
    a = np.arange(1_000_000, dtype=np.float64)
    calib = math.inf
    for _ in range(5):  # a yardstick for this machine: libm's cos is the floor of every cosine curve
        t = time.perf_counter()
        np.cos(a)
        calib = min(calib, (time.perf_counter() - t) * 1e3)
    print(
        f"curve engine vs real scheduler, {args.steps:,} steps, 1 param group; lrtui: best of {args.repeat}; "
        f"torch: {'full run' if args.full else f'{torch_steps:,} steps timed, extrapolated linearly to {args.steps:,}'}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; np.cos over 1M floats: {calib:.1f} ms"
    )
    print()
    header = f"{'kind':52s} {'library':12s} {'lrtui ms':>9s} {'torch ms':>10s} {'ratio':>8s}  note"
    print(header)
    print("-" * len(header))
    rows = []
    for kind in kinds():
        if wanted and kind.name not in wanted:
            continue
        if not kind.example:
            print(f"{kind.name:52s} {kind.library:12s} {'skipped (no example)':>29s}")
            continue
        try:
            spec = parse(kind.example)
            plan = Plan(spec=spec, base_lrs=(0.1,), total_steps=args.steps)
            ours = time_lrtui(plan, args.repeat)
        except SpecError as exc:
            print(f"{kind.name:52s} {kind.library:12s} skipped (example rejected: {exc})")
            continue
        metric = None
        if kind.metric_driven or kind.loop_pattern:
            metric = _metric(spec, plan, args.steps)
        theirs, note = time_torch(kind, spec, torch_steps, metric)
        if theirs is not None and not args.full:
            theirs *= (args.steps - 1) / max(torch_steps - 1, 1)
        ratio = None if theirs is None else theirs / ours
        rows.append((kind.name, ours, ratio))
        flag = " *" if ours > TARGET_MS or (ratio is not None and ratio < TARGET_RATIO) else ""
        print(
            f"{kind.name:52s} {kind.library:12s} {ours:9.2f} "
            f"{'—' if theirs is None else f'{theirs:10.0f}':>10s} "
            f"{'—' if ratio is None else f'{ratio:7.0f}×':>8s}  {note}{flag}"
        )
    print()
    if rows:
        slowest = max(rows, key=lambda r: r[1])
        print(f"slowest lrtui curve: {slowest[0]} {slowest[1]:.2f} ms (target ≤ {TARGET_MS:g} ms)")
        ratios = [r for r in rows if r[2] is not None]
        if ratios:
            worst = min(ratios, key=lambda r: r[2])
            print(f"worst ratio: {worst[0]} {worst[2]:.0f}× (target ≥ {TARGET_RATIO:g}×)")
        print("* = misses a target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
