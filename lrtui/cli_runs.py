"""`lrtui train | find-lr | runs | stop | resume | watch | delete`: the run lifecycle from the shell.

Training itself happens in a detached `python -m lrtui.training --run-dir DIR` process; these commands
only write and read run directories (lrtui.runs), so they start instantly and never import torch.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import shutil
import sys
import time
from pathlib import Path

from lrtui.runs.text import clean_name, clean_text, shorten


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser(
        "train",
        help="start a detached training run",
        description="Start a detached training run (it survives this shell and SSH disconnects). "
        "Settings come from CONFIG (a .json/.toml run config) and/or the options below; defaults are "
        "the seed 001 recipe: VGG on CIFAR-10, SGD lr 0.01 momentum 0.9 wd 5e-4, batch 128, 30 epochs.",
    )
    add_recipe_options(train)
    train.add_argument(
        "--group",
        metavar="GROUP",
        help="train one member of a sweep group (its config comes from the group; with --member)",
    )
    train.add_argument("--member", type=int, metavar="N", help="the member index in --group (0-based)")
    train.add_argument("--foreground", action="store_true", help="train in this process instead of detaching")
    train.add_argument("--watch", action="store_true", help="open the live monitor after starting")
    add_distributed_options(train)
    train.set_defaults(handler=cmd_train)
    _runs_dir_option(train)

    find_lr = sub.add_parser(
        "find-lr",
        help="start a detached LR range test (suggests the peak LR of a schedule)",
        description="Start a detached LR range test: one batch per step at an LR swept from --start-lr to "
        "--end-lr, stopping early when the loss diverges; suggestions (steepest descent, valley, min/10) come "
        "with their band, the measured noise and whether the curve supports them. Same settings as `lrtui "
        "train` (CONFIG and the options below); the sweep is the config's lr_find block. Watch it live with "
        "`lrtui watch RUN`, then press enter there to preview a schedule peaking at the chosen LR.",
    )
    add_recipe_options(find_lr, lr_find=True)
    add_distributed_options(find_lr, multi_node=False)
    find_lr.add_argument("--foreground", action="store_true", help="run the sweep in this process")
    find_lr.add_argument("--watch", action="store_true", help="open the live monitor after starting")
    find_lr.set_defaults(handler=cmd_train, group=None, member=None)
    _runs_dir_option(find_lr)

    runs = sub.add_parser(
        "runs",
        help="list runs with state, schedule and accuracy (and runs of any format under --scan roots)",
        description="List the runs in the runs dir. With --scan (or [runs] scan in the settings file, "
        f"{_settings_hint()}), also every TensorBoard, Lightning CSVLogger, HF Trainer and lrtui run found "
        "under those folders, with its format, state (live = written to recently), last step and the best "
        "value of a metric.",
    )
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")
    runs.add_argument(
        "--scan",
        action="append",
        default=[],
        metavar="DIR",
        help="also list the runs of any format under DIR (repeatable)",
    )
    runs.add_argument(
        "--metric", metavar="NAME", help="the metric whose best value is listed (name or regex)"
    )
    runs.add_argument("--open", "-i", action="store_true", help="open the interactive runs screen instead")
    runs.set_defaults(handler=cmd_runs)
    _runs_dir_option(runs)

    for name, helptext, handler in (
        (
            "stop",
            "stop a run (SIGTERM: the step finishes, a checkpoint is written, state 'stopped')",
            cmd_stop,
        ),
        ("resume", "resume a stopped run exactly where it stopped", cmd_resume),
        ("watch", "attach the live monitor to a run (live or finished)", cmd_watch),
        ("delete", "delete a run directory (refused while the run is live)", cmd_delete),
    ):
        p = sub.add_parser(name, help=helptext, description=helptext)
        if name == "watch":
            p.description = (
                "Watch a run live: an lrtui run (id, unique prefix, 'last' or its directory), or PATH of any "
                "log: a TensorBoard event file or directory, a Lightning CSVLogger version directory or "
                "metrics.csv, an HF Trainer output directory or trainer_state.json. A folder holding several "
                "runs opens a picker."
            )
            p.add_argument(
                "run", metavar="RUN|PATH", help="an lrtui run reference, or a log file/directory/tree"
            )
            p.add_argument(
                "--log", metavar="FILE", help="the run's console output, shown in the output pane (o)"
            )
            p.add_argument(
                "--format",
                choices=("tensorboard", "lightning", "hf-trainer", "lrtui"),
                help="read PATH as this format (when a folder holds several)",
            )
        else:
            p.add_argument("run", metavar="RUN", help="run id (or a unique prefix) or a run directory path")
        if name == "resume":
            p.add_argument(
                "--nproc",
                "--gpus",
                dest="nproc",
                type=int,
                metavar="N",
                help="resume a torchrun job on N ranks of this node (same global batch: the steps, LR sequence "
                "and data order are unchanged); 1 = one plain process",
            )
        if name == "stop":
            p.add_argument(
                "--wait",
                type=float,
                default=0,
                metavar="SECONDS",
                help="wait up to this long for the run to reach 'stopped'",
            )
        if name == "delete":
            p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        p.set_defaults(handler=handler)
        _runs_dir_option(p)


def add_distributed_options(p: argparse.ArgumentParser, *, multi_node: bool = True) -> None:
    """`lrtui train`'s torchrun layout (lrtui/cli_distributed.py handles them); `lrtui find-lr` takes the
    single-node part (an LR range test is minutes long: no cluster script)."""
    g = p.add_argument_group(
        "distributed (torchrun + DDP; --batch-size is per rank, the global batch is batch size x world size)"
    )
    g.add_argument("--gpus", type=int, metavar="N", help="N ranks on this node, one GPU each (NCCL)")
    g.add_argument(
        "--nproc", type=int, metavar="N", help="N ranks on this node (CPU with gloo unless --device)"
    )
    g.add_argument(
        "--backend", choices=("auto", "gloo", "nccl"), help="process group backend (auto: nccl on GPUs)"
    )
    if not multi_node:
        return
    g.add_argument("--nnodes", type=int, metavar="M", help="nodes in the job (with --rdzv-endpoint)")
    g.add_argument("--node-rank", type=int, metavar="R", help="this node's rank (static rendezvous)")
    g.add_argument("--rdzv-endpoint", metavar="HOST:PORT", help="where the nodes meet (node 0)")
    g.add_argument("--join", metavar="RUN", help="start this node's ranks of a multi-node RUN made on node 0")
    g.add_argument(
        "--emit-sbatch",
        action="store_true",
        help="write the run and print a SLURM script instead of starting it",
    )
    g.add_argument(
        "--sbatch-opt",
        action="append",
        default=[],
        metavar="OPTION",
        help="an extra #SBATCH line (repeatable)",
    )
    g.add_argument(
        "--rdzv-port", type=int, metavar="PORT", help="with --emit-sbatch: the port on the first node (29500)"
    )


def add_recipe_options(
    p: argparse.ArgumentParser, *, many_schedules: bool = False, lr_find: bool = False
) -> None:
    """The run-config options of `lrtui train`, shared with `lrtui sweep` and `lrtui find-lr` (one config
    contract). `lr_find`: the LR range test's options instead of --lr/--schedule/--stepping (the sweep sets
    the LR of every step; its config's epochs size the schedule it hands to the preview)."""
    p.add_argument("config", nargs="?", metavar="CONFIG", help="a run config file (.json or .toml)")
    p.add_argument("--model", help="vgg | lenet | resnet18")
    p.add_argument("--dataset", help="cifar10 | mnist | fashion_mnist | synthetic (offline, built in)")
    p.add_argument("--data-dir", help="an existing dataset copy (torchvision layout) or download target")
    p.add_argument(
        "--epochs",
        type=int,
        help="length of the training the sweep prepares (sizes the schedule it hands to the preview)"
        if lr_find
        else None,
    )
    p.add_argument("--batch-size", type=int)
    p.add_argument("--optimizer", help="sgd | adam | adamw")
    if lr_find:
        _lr_find_options(p)
    else:
        p.add_argument("--lr", type=float, help="base learning rate")
    p.add_argument("--momentum", type=float)
    p.add_argument("--nesterov", action="store_true", default=None)
    p.add_argument("--weight-decay", type=float)
    if lr_find:
        pass
    elif many_schedules:
        p.add_argument(
            "--schedule",
            action="append",
            default=[],
            metavar="SPEC",
            help="a schedule to compare (repeatable): a spec, or a preset name such as seed001-steplr "
            "(brings its own LR and stepping)",
        )
    else:
        p.add_argument(
            "--schedule", metavar="SPEC", help='schedule spec, e.g. "StepLR(step_size=16, gamma=0.2)"'
        )
    if not lr_find:
        p.add_argument("--stepping", help="step | epoch: call scheduler.step() per batch or per epoch")
    p.add_argument("--device", help="auto | cpu | cuda | cuda:N")
    p.add_argument(
        "--seed",
        type=int,
        help="random seed" + (" of the first repeat (repeat r uses seed + r)" if many_schedules else ""),
    )
    p.add_argument("--compile", action="store_true", default=None, help="torch.compile the model (CUDA)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="any other config key, e.g. --set synthetic_train_size=2000 (repeatable)",
    )


LR_FIND_OPTIONS = ("start_lr", "end_lr", "steps", "mode", "diverge", "smooth")


def _lr_find_options(p: argparse.ArgumentParser) -> None:
    from lrtui.runs.lr_sweep import MODES, Sweep

    d = Sweep()
    p.add_argument("--start-lr", type=float, help=f"first LR of the sweep (default {d.start_lr:g})")
    p.add_argument("--end-lr", type=float, help=f"last LR of the sweep (default {d.end_lr:g})")
    p.add_argument("--steps", type=int, help=f"sweep length in optimizer steps (default {d.steps})")
    p.add_argument("--mode", help=f"{' | '.join(MODES)}: LR spacing (default {d.mode})")
    p.add_argument(
        "--diverge",
        type=float,
        metavar="K",
        help=f"stop when the smoothed loss exceeds K x the best (default {d.diverge:g})",
    )
    p.add_argument(
        "--smooth", type=float, metavar="BETA", help=f"EMA beta of that check (default {d.smooth:g})"
    )
    p.set_defaults(lr_find=True)


RECIPE_OPTIONS = (
    "model",
    "dataset",
    "data_dir",
    "epochs",
    "batch_size",
    "optimizer",
    "lr",
    "momentum",
    "nesterov",
    "weight_decay",
    "stepping",
    "device",
    "seed",
    "compile",
)


def recipe_options_given(args: argparse.Namespace) -> list[str]:
    """The recipe options present on the command line (for commands that take their config elsewhere)."""
    given = [
        f"--{name.replace('_', '-')}" for name in RECIPE_OPTIONS if getattr(args, name, None) is not None
    ]
    if getattr(args, "config", None):
        given.insert(0, "CONFIG")
    if getattr(args, "schedule", None):
        given.append("--schedule")
    if getattr(args, "set", None):
        given.append("--set")
    return given


def _runs_dir_option(p: argparse.ArgumentParser) -> None:
    # Also accepted after the subcommand; SUPPRESS keeps `lrtui --runs-dir D runs` working too.
    p.add_argument("--runs-dir", metavar="DIR", default=argparse.SUPPRESS, help="where runs live")


def _runs_dir(args: argparse.Namespace) -> Path:
    from lrtui.runs import default_runs_dir

    return Path(args.runs_dir).expanduser() if args.runs_dir else default_runs_dir()


def _fail(message: str) -> int:
    print(f"lrtui: {message}", file=sys.stderr)
    return 2


def _config_error(field: str, value: object, allowed: str) -> Exception:
    from lrtui.training.config import ConfigError

    return ConfigError([(field, value, allowed)])


def _table(data: dict, key: str, what: str) -> dict:
    """data[key] as a dict to merge options into ("schedule" may be a bare spec string)."""
    value = data.get(key)
    if value is None:
        return {}
    if key == "schedule" and isinstance(value, str):
        return {"spec": value}
    if not isinstance(value, dict):
        raise _config_error(key, value, f"a table of {what}")
    return dict(value)


def _apply_set(data: dict, pair: str) -> None:
    """One --set KEY=JSON (dotted keys reach into tables: --set optimizer.lr=0.1)."""
    from lrtui.runs.jsonio import MAX_DEPTH, nesting_depth

    key, sep, raw = pair.partition("=")
    parts = key.split(".")
    if not sep or not all(p.strip() for p in parts):
        raise _config_error("--set", shorten(pair, 60), "KEY=JSON, e.g. --set epochs=3")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _config_error(key, shorten(raw, 40), f"JSON nested at most {MAX_DEPTH} levels") from None
    except ValueError:
        value = raw  # a bare string such as --set dataset=synthetic
    if nesting_depth(value) > MAX_DEPTH:
        raise _config_error(key, shorten(raw, 40), f"JSON nested at most {MAX_DEPTH} levels")
    target = data
    for depth, part in enumerate(parts[:-1]):
        child = target.setdefault(part, {})
        if part == "schedule" and isinstance(child, str):
            child = target[part] = {"spec": child}
        if not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise _config_error(where, child, f"a table to set {key} in (it is not one)")
        target = child
    target[parts[-1]] = value


def merge_config(base: dict, over: dict) -> dict:
    """`over` on top of `base`; the optimizer and schedule tables merge key by key."""
    out = dict(base)
    for key, value in over.items():
        if key in ("optimizer", "schedule") and isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def build_train_config(args: argparse.Namespace, distributed=None) -> dict:
    """Merge CONFIG file, options and --set pairs into one config dict, validated by TrainConfig.

    `distributed`: a LaunchSpec from the torchrun options (its layout goes into the config).
    Raises ConfigError (only) with a one-line message: the field, the value, what is allowed.
    """
    from lrtui.training.config import TrainConfig

    data = config_data(args)
    if distributed is not None:
        from lrtui.cli_distributed import apply_layout

        data = apply_layout(data, distributed, gpus=getattr(args, "gpus", None) is not None)
    config = TrainConfig.from_dict(data).resolve()
    return config.to_dict()


def config_data(args: argparse.Namespace, base: dict | None = None, *, schedule: bool = True) -> dict:
    """CONFIG file, then options, then --set pairs, on top of `base` (unvalidated: TrainConfig checks it).

    `schedule=False` leaves --schedule out (`lrtui sweep` takes several and places them itself).
    The CONFIG file is read as hostile input (jsonio.load_config_file); errors are ConfigError only.
    """
    from lrtui.runs.jsonio import load_config_file

    data: dict = copy.deepcopy(base or {})
    if args.config:
        file_data, problem = load_config_file(args.config)
        shown = shorten(args.config, 100)
        if problem is not None:
            raise _config_error("CONFIG", shown, f"a readable .json or .toml run config ({problem})")
        if not isinstance(file_data, dict):
            raise _config_error("CONFIG", shown, "a file holding a table of config keys")
        data = merge_config(data, file_data)
    top = {
        "model": args.model,
        "dataset": args.dataset,
        "data_dir": args.data_dir,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "device": args.device,
        "seed": args.seed,
        "compile": args.compile,
    }
    data.update({k: v for k, v in top.items() if v is not None})
    opt = _table(data, "optimizer", "name, lr, momentum, nesterov, weight_decay, betas, eps")
    for key, value in (
        ("name", args.optimizer),
        ("lr", getattr(args, "lr", None)),
        ("momentum", args.momentum),
        ("nesterov", args.nesterov),
        ("weight_decay", args.weight_decay),
    ):
        if value is not None:
            opt[key] = value
    if opt:
        data["optimizer"] = opt
    sched = _table(data, "schedule", "spec, stepping (or a spec string)")
    if schedule and getattr(args, "schedule", None) is not None:
        sched["spec"] = args.schedule
    if getattr(args, "stepping", None) is not None:
        sched["stepping"] = args.stepping
    if sched:
        data["schedule"] = sched
    if getattr(args, "lr_find", False):  # `lrtui find-lr`: an LR range test of this recipe
        data["kind"] = "lr_find"
        block = data.get("lr_find")
        block = dict(block) if isinstance(block, dict) else ({} if block is None else block)
        if isinstance(block, dict):
            block.update({k: getattr(args, k) for k in LR_FIND_OPTIONS if getattr(args, k, None) is not None})
        data["lr_find"] = block
    for pair in args.set:
        _apply_set(data, pair)
    return data


def cmd_train(args: argparse.Namespace) -> int:
    """Validate everything that can be validated here, then create the run and detach the trainer.

    Anything that would make the trainer fail seconds later (a bad spec, a dataset that does not fit in
    memory or cannot be found) is said now, with exit status 2 and no run created.
    """
    from lrtui.runs import create_run_dir, launch
    from lrtui.training.config import ConfigError, TrainConfig

    if args.group is not None or args.member is not None:
        from lrtui.cli_sweep import train_member

        return train_member(args)
    from lrtui import cli_distributed as dist_cli

    if getattr(args, "join", None):
        return dist_cli.join(args)
    try:
        spec = dist_cli.launch_spec(args)
        config = build_train_config(args, distributed=spec)
        # a SLURM job runs elsewhere: this machine's memory and disks say nothing about its nodes
        emit = spec is not None and getattr(args, "emit_sbatch", False)
        problems = [] if emit else TrainConfig.from_dict(config).preflight()
    except (ConfigError, ValueError) as exc:
        return _fail(str(exc))
    if problems:
        return _fail(str(ConfigError(problems)))
    try:
        root = _usable_runs_dir(args)
        run_dir = create_run_dir(config, runs_dir=root, source="lrtui-trainer")
    except (OSError, ValueError) as exc:
        return _fail(f"cannot create a run in {clean_text(_runs_dir(args))}: {_os_reason(exc)}")
    if spec is not None:
        return dist_cli.start(args, config, spec, run_dir)
    if args.foreground:
        from lrtui.training.__main__ import main as train_main

        return train_main(["--run-dir", str(run_dir)])
    try:
        pid = launch(run_dir)
    except (OSError, RuntimeError) as exc:  # a full disk, a vanished python: the new run is removed
        shutil.rmtree(run_dir, ignore_errors=True)
        return _fail(f"cannot start the trainer: {_os_reason(exc)}")
    what = "LR range test" if config.get("kind") == "lr_find" else "run"
    print(f"started {what} {clean_name(run_dir.name)} (pid {pid}) in {clean_text(run_dir)}")
    print(f"  watch: lrtui watch {clean_name(run_dir.name)}    stop: lrtui stop {clean_name(run_dir.name)}")
    if args.watch:
        return _watch(run_dir, args)
    return 0


def _usable_runs_dir(args: argparse.Namespace) -> Path:
    """The runs dir, created (0700) if missing; ValueError when the path is something else."""
    from lrtui.runs.paths import make_private_dir

    root = _runs_dir(args)
    if root.exists() and not root.is_dir():
        raise ValueError("it is not a directory (--runs-dir or $LRTUI_RUNS_DIR names a file)")
    make_private_dir(root, parents=True)
    return root


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return shorten(exc, 200)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def cmd_runs(args: argparse.Namespace) -> int:
    from lrtui.cli_sweep import group_table_lines, groups_json
    from lrtui.runs import list_runs
    from lrtui.sources.settings import load_settings

    settings = load_settings()
    for problem in settings.problems:
        print(f"lrtui: {problem}", file=sys.stderr)
    roots = [Path(r).expanduser() for r in args.scan] or settings.scan
    for root in args.scan:
        if not Path(root).expanduser().is_dir():
            return _fail(f"--scan {root!r} is not a directory")
    metric = args.metric or settings.metric
    if args.open:
        from lrtui.screens.runs import RunsApp

        RunsApp(_runs_dir(args), scan_roots=roots, metric=metric, live_after_s=settings.live_after_s).run()
        return 0
    runs = list_runs(_runs_dir(args))
    found = _scanned(roots, metric, settings.live_after_s) if roots else []
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "dir": str(r.dir),
                        "state": r.state,
                        "model": r.model,
                        "dataset": r.dataset,
                        "schedule": r.schedule,
                        "kind": r.kind,
                        "lr_suggestion": r.lr_suggestion,
                        "epochs_done": r.epochs_done,
                        "epochs_total": r.epochs_total,
                        "last_test_acc": r.last_test_acc,
                        "best_test_acc": r.best_test_acc,
                        "created": r.created,
                        "updated": r.updated,
                        "problem": r.problem,
                        "format": "lrtui",
                        "step": r.step,
                    }
                    for r in runs
                ]
                + groups_json(_runs_dir(args))
                + [
                    {
                        "format": s.format,
                        "name": s.name,
                        "dir": str(s.dir),
                        "state": s.state,
                        "step": s.last_step,
                        "metric": s.metric,
                        "best": s.best,
                        "best_step": s.best_step,
                        "last": s.last,
                        "updated": s.updated,
                        "metrics": list(s.metrics),
                    }
                    for s in found
                ],
                indent=2,
            )
        )
        return 0
    groups = group_table_lines(_runs_dir(args))
    if not runs and not groups and not found:
        where = f"in {clean_text(_runs_dir(args))}"
        if roots:
            where += f" or under {', '.join(clean_text(r) for r in roots)}"
        print(f"no runs {where} (start one with `lrtui train` or from the app, or scan logs with --scan DIR)")
        return 0
    if found:
        _print_found(found, metric)
        if not runs and not groups:
            return 0
        print()
    now = time.time()
    # (created, row, lines under it): runs and sweep groups interleaved, newest first
    entries = []
    for r in runs:
        epochs = f"{r.epochs_done if r.epochs_done is not None else '-'}/{r.epochs_total or '-'}"
        if r.kind == "lr_find":
            epochs = "-"  # a sweep has steps, not epochs (its config's epochs size the training it prepares)
        row = (
            r.id,
            r.state,
            f"{r.model or '?'}/{r.dataset or '?'}",
            epochs,
            _pct(r.last_test_acc),
            _pct(r.best_test_acc),
            _age(None if r.created is None else now - r.created),
            f"({r.problem})"[:100]
            if r.state == "unreadable"
            else (r.lr_find_label or r.schedule or "constant")[:60],
        )
        entries.append((r.created or 0.0, row, []))
    for cells, lines in groups:
        created = cells[6]
        row = (*cells[:6], _age(None if created is None else now - created), cells[7])
        entries.append((created or 0.0, row, lines))
    entries.sort(key=lambda e: e[0], reverse=True)
    rows = [("ID", "STATE", "MODEL/DATA", "EPOCH", "LAST", "BEST", "AGE", "SCHEDULE")] + [
        e[1] for e in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]

    def line(row: tuple) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths)) + "  " + row[-1]

    print(line(rows[0]))
    for _created, row, lines in entries:
        print(line(row))
        for text in lines:
            print("    " + text)
    return 0


def _scanned(roots: list[Path], metric: str | None, live_after_s: float) -> list:
    """Summaries of every run of any format under the roots (read in full: this is a one-shot listing)."""
    from lrtui.sources import scan
    from lrtui.sources.catalog import RunCatalog

    result = scan(roots)
    for problem in result.problems:
        print(f"lrtui: scan: {problem}", file=sys.stderr)
    catalog = RunCatalog(live_after_s=live_after_s)
    summaries = {}
    for batch in catalog.details(result.runs, metric):
        for s in batch:
            summaries[s.key] = s
    return [summaries.get(ref.key) or catalog.quick(ref) for ref in result.runs]


def _print_found(found: list, metric: str | None) -> None:
    from lrtui.sources.base import SHORT_FORMATS

    now = time.time()
    best_label = f"BEST {metric}" if metric else "BEST (metric)"
    rows = [("FORMAT", "STATE", "RUN", "STEP", best_label, "LAST", "AGE")]
    for s in found:
        best = "-" if s.best is None else f"{s.best:.4g} ({s.metric})" if not metric else f"{s.best:.4g}"
        rows.append(
            (
                SHORT_FORMATS.get(s.format, s.format),
                s.state,
                s.name,
                "-" if s.last_step is None else f"{s.last_step:,}",
                best,
                "-" if s.last is None else f"{s.last:.4g}",
                _age(None if s.updated is None else now - s.updated),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _group_or_none(run_dir: Path) -> Path | None:
    from lrtui.sweep.group import is_group_dir

    return run_dir if is_group_dir(run_dir) else None


def _resolve(args: argparse.Namespace, *, read_only: bool = False) -> Path:
    """A run directory, or a sweep group directory (commands that take RUN also act on a whole group).

    Either is a real directory directly in the runs dir (lrtui.runs.listing.find_run); `read_only`
    (watch) also accepts an explicit path elsewhere.
    """
    from lrtui.runs.listing import find_run, list_runs
    from lrtui.sweep.listing import list_groups

    if args.run in ("last", "latest"):  # the newest run or group
        newest = [(r.created or 0.0, r.dir) for r in list_runs(_runs_dir(args)) if not r.dir.is_symlink()][:1]
        newest += [(g.created or 0.0, g.dir) for g in list_groups(_runs_dir(args))[:1]]
        if newest:
            return max(newest, key=lambda e: e[0])[1]
    try:
        return find_run(args.run, _runs_dir(args), read_only=read_only)
    except ValueError as exc:
        raise LookupError(str(exc)) from None


def cmd_stop(args: argparse.Namespace) -> int:
    from lrtui.runs import read_status, stop, wait_state
    from lrtui.runs.process import StopRefused

    if not 0 <= args.wait <= 86_400:  # nan fails this too
        return _fail(f"--wait {args.wait!r} is not allowed: seconds in [0, 86400]")
    try:
        run_dir = _resolve(args)
        if _group_or_none(run_dir):
            from lrtui.cli_sweep import stop_group_dir

            return stop_group_dir(run_dir, args.wait)
        from lrtui.runs.distributed import is_job

        if is_job(read_status(run_dir)):  # a torchrun job: its agent, verified (lrtui.runs.distributed)
            from lrtui.cli_distributed import stop as stop_job_cli

            return stop_job_cli(run_dir, args.wait)
        signalled = stop(run_dir)
    except (LookupError, StopRefused) as exc:
        return _fail(str(exc))
    name = clean_name(run_dir.name)
    if not signalled:
        return _fail(f"run {name} is not running on this host (nothing to stop)")
    print(f"sent SIGTERM to run {name}: it finishes the step, writes a checkpoint and stops")
    if args.wait:
        try:
            state = wait_state(run_dir, ("stopped", "finished", "failed", "diverged", "lost"), args.wait)
        except TimeoutError:
            return _fail(
                f"run {name} has not stopped within --wait {args.wait:g} s (it stops after its current step; "
                f"`lrtui runs` shows when)"
            )
        print(f"run {name} is {state}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    try:
        run_dir = _resolve(args)
        if _group_or_none(run_dir):
            from lrtui.cli_sweep import resume_group_dir

            return resume_group_dir(run_dir)
        if not (run_dir / "checkpoint.pt").is_file():
            return _fail(f"run {clean_name(run_dir.name)} has no checkpoint.pt to resume from")
        from lrtui.runs.distributed import resume_run

        pid, what = resume_run(run_dir, args.nproc)  # a torchrun job on its layout, or on --nproc ranks
    except (LookupError, RuntimeError, OSError, ValueError) as exc:  # RunLocked is a RuntimeError
        return _fail(str(exc) if not isinstance(exc, OSError) else f"cannot resume: {_os_reason(exc)}")
    if what == "1 process":
        print(f"resumed run {clean_name(run_dir.name)} (pid {pid})")
    else:
        print(f"resumed run {clean_name(run_dir.name)} on {what}")
    return 0


def _describe_contents(run_dir: Path) -> str:
    """ "12 files, 3.4 MB" of a run directory (symlinks counted, never followed)."""
    files, size = 0, 0
    for base, dirs, names in os.walk(run_dir, followlinks=False):
        for name in names + [d for d in dirs if os.path.islink(os.path.join(base, d))]:
            files += 1
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(base, name)).st_size
    return f"{files} file{'s' if files != 1 else ''}, {size / 1e6:.1f} MB"


def cmd_delete(args: argparse.Namespace) -> int:
    from lrtui.runs import delete_run

    try:
        run_dir = _resolve(args)
    except LookupError as exc:
        return _fail(str(exc))
    kind = "sweep group" if _group_or_none(run_dir) else "run"
    what = f"{kind} {clean_name(run_dir.name)}: {clean_text(run_dir)} ({_describe_contents(run_dir)})"
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail(f"refusing to delete {what} without --yes when not interactive")
        if input(f"delete {what}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("kept")
            return 1
    try:
        if kind == "run":
            delete_run(run_dir)
        else:
            from lrtui.sweep.queue import delete_group

            delete_group(run_dir)
    except (RuntimeError, OSError, ValueError) as exc:
        return _fail(str(exc) if not isinstance(exc, OSError) or not exc.strerror else _os_reason(exc))
    print(f"deleted {what}")
    return 0


def _settings_hint() -> str:
    return "$XDG_CONFIG_HOME/lrtui/config.toml"


def cmd_watch(args: argparse.Namespace) -> int:
    """An lrtui run or sweep group (any reference find_run takes, a path elsewhere too), or the PATH of a
    log of another format: a file, a run directory, or a tree of runs (then a picker)."""
    log = getattr(args, "log", None)
    if log is not None and not Path(log).expanduser().is_file():
        return _fail(
            f"--log {clean_text(log)!r} is not a file (give the run's console output, e.g. train.log)"
        )
    try:
        run_dir = _resolve(args, read_only=True)  # looking changes nothing: a path elsewhere is fine
    except LookupError as exc:
        # Not a run reference. An existing file or folder (not a link, as for references) may still be a
        # log of another format: an event file, metrics.csv, trainer_state.json, or a tree of runs.
        path = Path(args.run).expanduser() if args.run.strip() else None
        if path is None or path.is_symlink() or not path.exists():
            return _fail(str(exc))
        return _watch_path(path, args)
    in_runs_dir = run_dir.parent.resolve() == _runs_dir(args).expanduser().resolve()
    if _group_or_none(run_dir) or in_runs_dir:  # a sweep group's compare view, or an lrtui run
        return _watch(run_dir, args)
    return _watch_path(run_dir, args)  # a folder elsewhere: an lrtui run, or logs of another format


def _watch_path(path: Path, args: argparse.Namespace) -> int:
    from lrtui.sources import detect

    try:
        refs = detect(path)
    except ValueError as exc:
        return _fail(str(exc))
    fmt = getattr(args, "format", None)
    if fmt:
        if all(r.format != fmt for r in refs):
            found = ", ".join(sorted({r.format for r in refs}))
            return _fail(f"--format {fmt} is not what {clean_text(path)!r} holds (found: {found})")
        refs = [r for r in refs if r.format == fmt]
    if len(refs) > 1:
        return _pick(path, refs, args)
    ref = refs[0]
    return _watch(ref.path, args, source_format=None if ref.format == "lrtui" else ref.format)


def _pick(root: Path, refs: list, args: argparse.Namespace) -> int:
    """Several runs under PATH: the runs screen on that tree (enter opens one)."""
    from lrtui.screens.runs import RunsApp

    if all(r.format == "lrtui" for r in refs) and all(r.path.parent == refs[0].path.parent for r in refs):
        RunsApp(refs[0].path.parent).run()  # a runs dir: the usual runs screen
        return 0
    RunsApp(None, scan_roots=[root], include_runs_dir=False).run()
    return 0


def _watch(run_dir: Path, args: argparse.Namespace, source_format: str | None = None) -> int:
    from lrtui.app import run_app

    options = {}
    if source_format:
        options["source_format"] = source_format
    if getattr(args, "log", None):
        options["output_log"] = str(Path(args.log).expanduser())
    return run_app(watch=str(run_dir), runs_dir=args.runs_dir, watch_options=options)
