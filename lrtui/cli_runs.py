"""`lrtui train | runs | stop | resume | watch | delete`: the run lifecycle from the shell.

Training itself happens in a detached `python -m lrtui.training --run-dir DIR` process; these commands
only write and read run directories (lrtui.runs), so they start instantly and never import torch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lrtui.runs.text import clean_name, clean_text


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser(
        "train",
        help="start a detached training run",
        description="Start a detached training run (it survives this shell and SSH disconnects). "
        "Settings come from CONFIG (a .json/.toml run config) and/or the options below; defaults are "
        "the seed 001 recipe: VGG on CIFAR-10, SGD lr 0.01 momentum 0.9 wd 5e-4, batch 128, 30 epochs.",
    )
    train.add_argument("config", nargs="?", metavar="CONFIG", help="a run config file (.json or .toml)")
    train.add_argument("--model", help="vgg | lenet | resnet18")
    train.add_argument("--dataset", help="cifar10 | mnist | fashion_mnist | synthetic (offline, built in)")
    train.add_argument("--data-dir", help="an existing dataset copy (torchvision layout) or download target")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--optimizer", help="sgd | adam | adamw")
    train.add_argument("--lr", type=float, help="base learning rate")
    train.add_argument("--momentum", type=float)
    train.add_argument("--nesterov", action="store_true", default=None)
    train.add_argument("--weight-decay", type=float)
    train.add_argument(
        "--schedule", metavar="SPEC", help='schedule spec, e.g. "StepLR(step_size=16, gamma=0.2)"'
    )
    train.add_argument("--stepping", help="step | epoch: call scheduler.step() per batch or per epoch")
    train.add_argument("--device", help="auto | cpu | cuda | cuda:N")
    train.add_argument("--seed", type=int)
    train.add_argument("--compile", action="store_true", default=None, help="torch.compile the model (CUDA)")
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="any other config key, e.g. --set synthetic_train_size=2000 (repeatable)",
    )
    train.add_argument("--foreground", action="store_true", help="train in this process instead of detaching")
    train.add_argument("--watch", action="store_true", help="open the live monitor after starting")
    train.set_defaults(handler=cmd_train)
    _runs_dir_option(train)

    runs = sub.add_parser("runs", help="list runs with state, schedule and accuracy")
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")
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
        p.add_argument("run", metavar="RUN", help="run id (or a unique prefix) or a run directory path")
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


def _runs_dir_option(p: argparse.ArgumentParser) -> None:
    # Also accepted after the subcommand; SUPPRESS keeps `lrtui --runs-dir D runs` working too.
    p.add_argument("--runs-dir", metavar="DIR", default=argparse.SUPPRESS, help="where runs live")


def _runs_dir(args: argparse.Namespace) -> Path:
    from lrtui.runs import default_runs_dir

    return Path(args.runs_dir).expanduser() if args.runs_dir else default_runs_dir()


def _fail(message: str) -> int:
    print(f"lrtui: {message}", file=sys.stderr)
    return 2


def _load_config_file(path: str) -> dict:
    p = Path(path)
    raw = p.read_bytes()
    if p.suffix.lower() == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        return tomllib.loads(raw.decode("utf-8"))
    return json.loads(raw)


def build_train_config(args: argparse.Namespace) -> dict:
    """Merge CONFIG file, options and --set pairs into one config dict, validated by TrainConfig."""
    from lrtui.training.config import TrainConfig

    data: dict = {}
    if args.config:
        try:
            data = _load_config_file(args.config)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"CONFIG={args.config!r} cannot be read: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(f"CONFIG={args.config!r} must hold a table of config keys")
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
    opt = dict(data.get("optimizer") or {})
    for key, value in (
        ("name", args.optimizer),
        ("lr", args.lr),
        ("momentum", args.momentum),
        ("nesterov", args.nesterov),
        ("weight_decay", args.weight_decay),
    ):
        if value is not None:
            opt[key] = value
    if opt:
        data["optimizer"] = opt
    sched = dict(data.get("schedule") or {})
    if args.schedule is not None:
        sched["spec"] = args.schedule
    if args.stepping is not None:
        sched["stepping"] = args.stepping
    if sched:
        data["schedule"] = sched
    for pair in args.set:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--set {pair!r} is not allowed: use KEY=JSON, e.g. --set epochs=3")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw  # a bare string such as --set dataset=synthetic
        target = data
        *parents, leaf = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    config = TrainConfig.from_dict(data).resolve()
    return config.to_dict()


def cmd_train(args: argparse.Namespace) -> int:
    from lrtui.runs import create_run_dir, launch
    from lrtui.training.config import ConfigError

    try:
        config = build_train_config(args)
    except (ConfigError, ValueError) as exc:
        return _fail(str(exc))
    run_dir = create_run_dir(config, runs_dir=_runs_dir(args), source="lrtui-trainer")
    if args.foreground:
        from lrtui.training.__main__ import main as train_main

        return train_main(["--run-dir", str(run_dir)])
    pid = launch(run_dir)
    print(f"started run {clean_name(run_dir.name)} (pid {pid}) in {clean_text(run_dir)}")
    print(f"  watch: lrtui watch {clean_name(run_dir.name)}    stop: lrtui stop {clean_name(run_dir.name)}")
    if args.watch:
        return _watch(run_dir, args)
    return 0


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
    from lrtui.runs import list_runs

    runs = list_runs(_runs_dir(args))
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
                        "epochs_done": r.epochs_done,
                        "epochs_total": r.epochs_total,
                        "last_test_acc": r.last_test_acc,
                        "best_test_acc": r.best_test_acc,
                        "created": r.created,
                        "updated": r.updated,
                    }
                    for r in runs
                ],
                indent=2,
            )
        )
        return 0
    if not runs:
        print(f"no runs in {_runs_dir(args)} (start one with `lrtui train` or from the app)")
        return 0
    now = time.time()
    rows = [("ID", "STATE", "MODEL/DATA", "EPOCH", "LAST", "BEST", "AGE", "SCHEDULE")]
    for r in runs:
        epochs = f"{r.epochs_done if r.epochs_done is not None else '-'}/{r.epochs_total or '-'}"
        rows.append(
            (
                r.id,
                r.state,
                f"{r.model or '?'}/{r.dataset or '?'}",
                epochs,
                _pct(r.last_test_acc),
                _pct(r.best_test_acc),
                _age(None if r.created is None else now - r.created),
                (r.schedule or "constant")[:60],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths)) + "  " + row[-1])
    return 0


def _resolve(args: argparse.Namespace) -> Path:
    from lrtui.runs.listing import find_run

    try:
        return find_run(args.run, _runs_dir(args))
    except ValueError as exc:
        raise LookupError(str(exc)) from None


def cmd_stop(args: argparse.Namespace) -> int:
    from lrtui.runs import stop, wait_state

    try:
        run_dir = _resolve(args)
    except LookupError as exc:
        return _fail(str(exc))
    if not stop(run_dir):
        return _fail(f"run {clean_name(run_dir.name)} is not running on this host (nothing to stop)")
    print(
        f"sent SIGTERM to run {clean_name(run_dir.name)}: it finishes the step, writes a checkpoint and stops"
    )
    if args.wait:
        state = wait_state(run_dir, ("stopped", "finished", "failed", "diverged", "lost"), args.wait)
        print(f"run {clean_name(run_dir.name)} is {state}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from lrtui.runs import launch

    try:
        run_dir = _resolve(args)
        if not (run_dir / "checkpoint.pt").is_file():
            return _fail(f"run {clean_name(run_dir.name)} has no checkpoint.pt to resume from")
        pid = launch(run_dir, resume=True)
    except (LookupError, RuntimeError, FileNotFoundError) as exc:
        return _fail(str(exc))
    print(f"resumed run {clean_name(run_dir.name)} (pid {pid})")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from lrtui.runs import delete_run

    try:
        run_dir = _resolve(args)
    except LookupError as exc:
        return _fail(str(exc))
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail("refusing to delete without --yes when not interactive")
        if input(f"delete run {clean_name(run_dir.name)} and all its files? [y/N] ").strip().lower() not in (
            "y",
            "yes",
        ):
            print("kept")
            return 1
    try:
        delete_run(run_dir)
    except (RuntimeError, OSError) as exc:
        return _fail(str(exc))
    print(f"deleted run {clean_name(run_dir.name)}")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    try:
        run_dir = _resolve(args)
    except LookupError as exc:
        return _fail(str(exc))
    return _watch(run_dir, args)


def _watch(run_dir: Path, args: argparse.Namespace) -> int:
    from lrtui.app import run_app

    return run_app(watch=str(run_dir), runs_dir=args.runs_dir)
