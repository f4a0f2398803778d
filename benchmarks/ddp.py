"""Distributed training: multi-GPU throughput through the real `lrtui train --gpus N`, and what watching the
ranks costs (reading N heartbeat files).

    .venv/bin/python benchmarks/ddp.py throughput             # a GPU machine: world sizes 1, 2, 4, ... up to
                                                              # the GPUs it has, same per-GPU batch
    .venv/bin/python benchmarks/ddp.py throughput --cpu 2     # the same machinery on the CPU (gloo; on a
                                                              # small machine the figures say little)
    .venv/bin/python benchmarks/ddp.py poll                   # heartbeat files of 8 ... 1024 ranks
    options: --model resnet18 --dataset synthetic --batch-size 256 --train-size 50000 --epochs 2
             --worlds 1,2,4,8 --data-dir DIR (cifar10: an existing copy)

throughput: each world size trains the same recipe as a detached job (a plain process for 1, torchrun
with DDP above), per-GPU batch fixed (weak scaling: the global batch grows with the world size, as with
`--gpus N`); images/s is the last epoch's (the first pays for cuDNN autotuning and compile), scaling
efficiency = images/s / (W x images/s at W=1). Side by side in one run, so the machine state is the same.

poll: N ranks x one hour of 5 s beats (720 records each, written by the real RankHeartbeat), then the
monitor's reader (`RanksTail`): the first read (a reattach: it reads only each file's tail), a poll where
nothing changed, a poll after every rank beat once, and `assess` (the rows and the job's health). The
monitor polls at most once a second; docs/distributed.md turns these figures into a shared-filesystem
estimate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# ------------------------------------------------------------------------------------------- throughput
def _gpus() -> int:
    from lrtui.sweep.devices import detect_gpus

    return len(detect_gpus())


def _run_one(runs: Path, world: int, args: argparse.Namespace, cpu: bool) -> dict:
    from lrtui.runs import create_run_dir, launch, read_run, wait_state
    from lrtui.runs.distributed import LaunchSpec, launch_job
    from lrtui.training.config import TrainConfig

    raw = {
        "model": args.model,
        "dataset": args.dataset,
        "data_dir": args.data_dir,
        "download": False,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "device": "cpu" if cpu else "cuda",
        "synthetic_train_size": args.train_size,
        "synthetic_test_size": 2000,
        "optimizer": {"lr": 0.05},
        "schedule": {"spec": "CosineAnnealingLR(T_max=1000)", "stepping": "step"},
    }
    spec = None
    if world > 1:
        spec = LaunchSpec(nproc_per_node=world, backend="gloo" if cpu else "nccl")
        raw["distributed"] = spec.to_dict()
    config = TrainConfig.from_dict(raw).resolve().to_dict()
    run = create_run_dir(config, runs_dir=runs, source="lrtui-trainer")
    env = dict(os.environ)
    if cpu:  # one thread per rank: OpenMP threads spinning on an oversubscribed CPU distort everything
        env["OMP_NUM_THREADS"] = "1"
    t0 = time.perf_counter()
    if spec is None:
        launch(run, env=env)
    else:
        launch_job(run, spec, env=env)
    state = wait_state(run, ("finished", "failed", "diverged", "stopped", "lost"), timeout=args.timeout)
    wall = time.perf_counter() - t0
    data = read_run(run)
    if state != "finished":
        tail = (
            (run / "stdout.log").read_text(errors="replace")[-1500:] if (run / "stdout.log").exists() else ""
        )
        raise SystemExit(f"world size {world}: the run ended {state}\n{tail}")
    last = data.data.epochs[-1]
    return {
        "world": world,
        "images_per_s": last.get("images_per_s"),
        "wall_s": wall,
        "epoch_s": last.get("train_time"),
    }


def throughput(args: argparse.Namespace) -> None:
    gpus = _gpus()
    cpu = args.cpu is not None
    if not cpu and gpus == 0:
        print("no GPU on this machine (NVML / nvidia-smi): nothing to measure; --cpu N runs the same jobs on "
              "the CPU with gloo (the figures then say little about GPUs)")  # fmt: skip
        return
    top = args.cpu if cpu else gpus
    worlds = (
        [int(w) for w in args.worlds.split(",")] if args.worlds else [w for w in (1, 2, 4, 8, 16) if w <= top]
    )
    from lrtui.training.loop import describe_device  # noqa: F401  (fail early without torch)

    where = f"CPU, {os.cpu_count()} cores" if cpu else f"{gpus} GPU(s)"
    print(f"{args.model} on {args.dataset}, batch {args.batch_size} per rank, {args.epochs} epochs, {where}")
    runs = Path(tempfile.mkdtemp(prefix="lrtui-ddp-bench-"))
    try:
        rows = [_run_one(runs, w, args, cpu) for w in worlds]
    finally:
        shutil.rmtree(runs, ignore_errors=True)
    base = rows[0]["images_per_s"] or 0.0
    print(
        f"{'ranks':>5}  {'global batch':>12}  {'images/s':>10}  {'speed-up':>8}  {'efficiency':>10}  {'wall s':>7}"
    )
    for r in rows:
        ips = r["images_per_s"] or 0.0
        speed = ips / base if base else float("nan")
        print(
            f"{r['world']:>5}  {args.batch_size * r['world']:>12}  {ips:>10,.0f}  {speed:>7.2f}x  "
            f"{speed / r['world']:>9.0%}  {r['wall_s']:>7.1f}"
        )


# -------------------------------------------------------------------------------------------------- poll
def _write_ranks(run: Path, n: int, beats: int) -> None:
    from lrtui.runs.ranks import RankHeartbeat

    t0 = 1_800_000_000.0
    for rank in range(n):
        clock = [t0]
        hb = RankHeartbeat(
            run, rank=rank, world_size=n, every=5.0, clock=lambda c=clock: c[0], thread=False,
            memory=lambda: {"mem": 3.1e10, "mem_peak": 3.3e10, "mem_total": 8.5e10, "mem_kind": "cuda"},
        )  # fmt: skip
        for b in range(beats):
            clock[0] = t0 + 5.0 * b
            hb.step(b * 70, data_time=0.003, own_time=0.041)
            hb.beat()
        hb._closed = True  # a live job: no exit record


def _timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def poll(args: argparse.Namespace) -> None:
    from lrtui.runs.ranks import RankHeartbeat, RanksTail, assess

    base = Path(tempfile.mkdtemp(prefix="lrtui-ranks-bench-", dir=args.dir))
    print(f"heartbeat files in {base} ({args.beats} beats each = {args.beats * 5 / 3600:.1f} h at 5 s)")
    print(
        f"{'ranks':>6}  {'file KiB':>8}  {'first read':>10}  {'idle poll':>9}  {'all beat':>9}  {'assess':>7}  per rank"
    )
    try:
        for n in [int(x) for x in args.ranks.split(",")]:
            run = base / f"job{n}"
            run.mkdir()
            _write_ranks(run, n, args.beats)
            size = (run / "ranks" / "0.jsonl").stat().st_size / 1024
            first = _timed(lambda run=run: RanksTail(run).poll(), repeat=3)
            tail = RanksTail(run)
            tail.poll()
            idle = _timed(tail.poll)
            writers = [
                RankHeartbeat(run, rank=r, world_size=n, every=5.0, thread=False) for r in range(n)
            ]  # reopened files: one more beat each between two polls, as a live job's

            def grown_poll(writers=writers, tail=tail) -> float:
                for w in writers:
                    w.beat()
                t = time.perf_counter()
                tail.poll()
                return time.perf_counter() - t

            grown = statistics.median(grown_poll() for _ in range(5))
            ranks = tail.poll()
            judge = _timed(lambda ranks=ranks: assess(ranks, live=True, alive=lambda *_: True))
            print(
                f"{n:>6}  {size:>8.0f}  {first * 1e3:>8.1f}ms  {idle * 1e3:>7.2f}ms  {grown * 1e3:>7.2f}ms  "
                f"{judge * 1e3:>5.2f}ms  {idle / n * 1e6:.1f} µs idle, {grown / n * 1e6:.1f} µs grown"
            )
            for w in writers:
                w._closed = True
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps({"python": sys.version.split()[0], "cpus": os.cpu_count()}))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--model", default="resnet18")
    t.add_argument("--dataset", default="synthetic")
    t.add_argument("--data-dir")
    t.add_argument("--batch-size", type=int, default=256)
    t.add_argument("--train-size", type=int, default=50_000)
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--worlds", help="comma-separated world sizes (default 1, 2, 4, ... up to the GPUs)")
    t.add_argument("--cpu", type=int, metavar="N", help="run on the CPU with gloo, world sizes up to N")
    t.add_argument("--timeout", type=float, default=3600.0)
    q = sub.add_parser("poll")
    q.add_argument("--ranks", default="8,64,256,1024")
    q.add_argument("--beats", type=int, default=720)
    q.add_argument("--dir", help="where to write the files (e.g. an NFS mount to measure it)")
    args = p.parse_args(argv)
    (throughput if args.what == "throughput" else poll)(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
