"""`lrtui train --gpus N | --nproc N [--nnodes M --rdzv-endpoint H:P] [--emit-sbatch]`, `lrtui train --join`,
`lrtui resume RUN --nproc N`, and `lrtui stop` of a torchrun job (never imports torch).

The job is torchrun's (lrtui/runs/distributed.py); these commands write the run directory, start the
detached agent of this node (or print a SLURM script), and stop or resume it. docs/distributed.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from lrtui.cli_runs import _fail, _runs_dir
from lrtui.runs.distributed import DEFAULT_PORT, DistError, LaunchSpec
from lrtui.runs.text import clean_name, clean_text

SBATCH_FILE = "train.sbatch"
OPTIONS = ("gpus", "nproc", "backend", "nnodes", "node_rank", "rdzv_endpoint")


def _given(args: argparse.Namespace) -> list[str]:
    return [f"--{o.replace('_', '-')}" for o in OPTIONS if getattr(args, o, None) is not None]


def launch_spec(args: argparse.Namespace) -> LaunchSpec | None:
    """The job layout from the options, or None when none was given (one plain process)."""
    for name in (*OPTIONS, "rdzv_port", "join"):  # `lrtui find-lr` has the single-node options only
        if not hasattr(args, name):
            setattr(args, name, None)
    for name in ("emit_sbatch", "sbatch_opt"):
        if not hasattr(args, name):
            setattr(args, name, [] if name == "sbatch_opt" else False)
    given = _given(args)
    if not given:
        if args.emit_sbatch or args.sbatch_opt or args.rdzv_port is not None:
            raise ValueError("--emit-sbatch needs a layout: --gpus N or --nproc N (per node), and --nnodes M")
        return None
    if args.gpus is not None and args.nproc is not None:
        raise ValueError(f"--gpus {args.gpus} and --nproc {args.nproc} are not allowed together: pick one")
    if args.foreground and args.emit_sbatch:
        raise ValueError("--foreground and --emit-sbatch are not allowed together")
    if (args.sbatch_opt or args.rdzv_port is not None) and not args.emit_sbatch:
        raise ValueError("--sbatch-opt and --rdzv-port are only allowed with --emit-sbatch")
    if args.rdzv_port is not None and not 1 <= args.rdzv_port <= 65535:
        raise ValueError(f"--rdzv-port {args.rdzv_port} is not allowed: a TCP port in [1, 65535]")
    for name in ("gpus", "nproc", "nnodes"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name} {value} is not allowed: an integer ≥ 1")
    nproc = args.gpus if args.gpus is not None else (args.nproc or 1)
    backend = args.backend or ("nccl" if args.gpus is not None else "auto")
    spec = LaunchSpec(
        nproc_per_node=nproc,
        nnodes=args.nnodes or 1,
        node_rank=args.node_rank,
        rdzv_endpoint=args.rdzv_endpoint,
        backend=backend,
    )
    try:
        spec.validate()
    except DistError as err:
        flag = "--" + err.field.split(".", 1)[-1].replace("_", "-").replace("nproc-per-node", "nproc")
        raise ValueError(f"{flag} {err.value} is not allowed: {err.allowed}") from None
    if args.emit_sbatch:
        if args.rdzv_endpoint or args.node_rank is not None:
            raise ValueError(
                "--rdzv-endpoint and --node-rank are not allowed with --emit-sbatch: the script "
                "meets at the allocation's first node"
            )
        return spec
    if spec.nnodes > 1 and spec.rdzv_endpoint is None:
        raise ValueError(
            f"--rdzv-endpoint is needed with --nnodes {spec.nnodes}: HOST:PORT of node 0, "
            "e.g. node001:29500 (or --emit-sbatch on a SLURM cluster)"
        )
    if args.gpus is not None:
        from lrtui.sweep.devices import detect_gpus

        found = len(detect_gpus())
        if found < args.gpus:
            raise ValueError(
                f"--gpus {args.gpus} is not allowed: this node shows {found} GPU(s) (NVML / nvidia-smi); "
                "on a CPU use --nproc N --backend gloo"
            )
    return spec


def apply_layout(data: dict, spec: LaunchSpec, *, gpus: bool) -> dict:
    """The config with the job's layout; the device follows it unless given (--gpus: cuda, --nproc: cpu)."""
    out = dict(data)
    out["distributed"] = spec.to_dict()
    if "device" not in out:
        out["device"] = "cuda" if gpus or spec.backend == "nccl" else "cpu"
    return out


def start(args: argparse.Namespace, config: dict, spec: LaunchSpec, run_dir: Path) -> int:
    """Start the job on the run `lrtui train` just made (or write its SLURM script)."""
    import shutil

    from lrtui.runs.distributed import launch_job, trainer_command

    runs_dir = _runs_dir(args)
    name = clean_name(run_dir.name)
    layout = f"{spec.nnodes} node(s) x {spec.nproc_per_node} rank(s) = world size {spec.world_size}"
    if args.emit_sbatch:
        return _emit_sbatch(args, run_dir, spec, layout)
    if args.foreground:
        cmd = trainer_command(run_dir.resolve(), spec)
        from lrtui.runs.distributed import job_env

        return subprocess.call(cmd, cwd=run_dir, env=job_env(spec))
    try:
        pid = launch_job(run_dir, spec)
    except (RuntimeError, OSError) as exc:  # a vanished python, a full disk: the new run is removed
        shutil.rmtree(run_dir, ignore_errors=True)
        return _fail(f"cannot start the torchrun job: {exc}")
    print(f"started run {name}: torchrun agent pid {pid}, {layout} in {clean_text(run_dir)}")
    if spec.nnodes > 1:
        rank = "" if spec.node_rank is None else " --node-rank R"
        print(
            f"  on each other node (runs dir on shared storage): lrtui train --join {name}{rank} "
            f"--runs-dir {clean_text(runs_dir)}"
        )
    print(f"  watch: lrtui watch {name}    stop: lrtui stop {name}")
    if args.watch:
        from lrtui.cli_runs import _watch

        return _watch(run_dir, args)
    return 0


def _emit_sbatch(args: argparse.Namespace, run_dir: Path, spec: LaunchSpec, layout: str) -> int:
    from lrtui.runs.jsonio import write_json_atomic
    from lrtui.runs.paths import STATUS
    from lrtui.runs.status import read_status
    from lrtui.sweep.slurm import training_sbatch

    try:
        script = training_sbatch(
            run_dir,
            spec,
            options=list(args.sbatch_opt),
            gpus=args.gpus is not None or spec.backend == "nccl",
            port=args.rdzv_port or DEFAULT_PORT,
        )
    except ValueError as exc:
        import shutil

        shutil.rmtree(run_dir, ignore_errors=True)  # nothing half-made is left behind
        return _fail(str(exc))
    path = run_dir / SBATCH_FILE
    path.write_text(script)
    status = {k: v for k, v in read_status(run_dir).items() if k != "problem"}
    status.update(state="queued", message=f"waiting for its SLURM job: sbatch {path}", updated=time.time())
    status["world_size"] = spec.world_size
    write_json_atomic(run_dir / STATUS, status)
    sys.stdout.write(script)
    print(
        f"lrtui: wrote run {clean_name(run_dir.name)} ({layout}) and {path}; submit with `sbatch {path}`, "
        f"follow with `lrtui watch {clean_name(run_dir.name)}` on any node that sees {clean_text(run_dir.parent)}",
        file=sys.stderr,
    )
    return 0


def join(args: argparse.Namespace) -> int:
    """`lrtui train --join RUN [--node-rank R]`: this node's agent for a multi-node run made on node 0."""
    from lrtui.cli_runs import _resolve, recipe_options_given
    from lrtui.runs.distributed import launch_job
    from lrtui.runs.reader import read_config

    given = [g for g in recipe_options_given(args) + _given(args) if g != "--node-rank"]
    if given:
        return _fail(
            f"{', '.join(given)} not allowed with --join: the run's config decides (only --node-rank)"
        )
    try:
        run_dir = _resolve(argparse.Namespace(run=args.join, runs_dir=args.runs_dir))
    except LookupError as exc:
        return _fail(str(exc))
    config, problem = read_config(run_dir)
    try:
        if problem:
            raise ValueError(problem)
        spec = LaunchSpec.from_dict(config.get("distributed"))
    except (DistError, ValueError) as exc:
        return _fail(f"run {clean_name(run_dir.name)} is not a multi-node job: {exc}")
    if spec.nnodes < 2:
        return _fail(f"run {clean_name(run_dir.name)} runs on one node: nothing to join")
    if spec.node_rank is not None and args.node_rank is None:
        return _fail(
            f"--node-rank is needed: run {clean_name(run_dir.name)} uses static rendezvous (ranks 1..)"
        )
    if args.node_rank is not None and not 0 < args.node_rank < spec.nnodes:
        return _fail(f"--node-rank {args.node_rank} is not allowed: an integer in [1, {spec.nnodes - 1}]")
    pid = launch_job(run_dir, spec, node_rank=args.node_rank, join=True)
    print(f"joined run {clean_name(run_dir.name)}: torchrun agent pid {pid} on this node")
    return 0


def stop(run_dir: Path, wait: float) -> int:
    from lrtui.runs.distributed import settle_stop, stop_job

    outcome = stop_job(run_dir)
    if not outcome.signalled and not outcome.requested:
        return _fail(outcome.message)
    print(outcome.message)
    if wait:
        state = settle_stop(run_dir, outcome.signalled, wait)
        print(f"run {clean_name(run_dir.name)} is {state}")
    return 0
