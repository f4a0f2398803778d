"""The trainer entry point.

    python -m lrtui.training --run-dir DIR [--resume | --auto-resume] [--compile]
        train the run in DIR (reads DIR/config.json, appends to DIR/metrics.jsonl); this is what
        lrtui.runs.process.launch starts, detached. --resume continues from DIR/checkpoint.pt;
        --auto-resume resumes when there is one, and exits 0 at once when the run already finished
        (a resubmitted SLURM job). Under torchrun (RANK/WORLD_SIZE set) every rank runs this same
        command: rank 0 writes the run, the others beat into DIR/ranks/ (lrtui/training/ddp.py).
    python -m lrtui.training CONFIG.json|CONFIG.toml [--runs-dir D] [--compile]
        create a new run directory from the config file and train in the foreground.
    A config with "kind": "lr_find" runs an LR range test instead (lrtui/training/lr_find_trainer.py).

Exit status: 0 finished or stopped, 1 failed, 2 bad config or arguments, 3 diverged.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from lrtui.training.config import RUN_FORMAT_KEYS, ConfigError, TrainConfig
from lrtui.training.signals import StopFlag

EXIT_CODES = {"finished": 0, "stopped": 0, "failed": 1, "diverged": 3}


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A config mapping from .json or .toml; errors name the file (hostile files refused, not read)."""
    from lrtui.runs.jsonio import load_config_file

    data, problem = load_config_file(path)
    if problem is not None:
        raise ConfigError([("config file", str(path)[-100:], f"a readable .json or .toml file ({problem})")])
    return data


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lrtui.training", description=__doc__.split("\n\n")[0])
    p.add_argument("config", nargs="?", help="config file (.json or .toml) for a new run")
    p.add_argument("--run-dir", help="train the existing run directory DIR (reads DIR/config.json)")
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its checkpoint")
    p.add_argument(
        "--auto-resume",
        action="store_true",
        help="resume when --run-dir has a checkpoint, do nothing when the run finished, else start it",
    )
    p.add_argument("--runs-dir", help="where a new run directory is created (with CONFIG)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    return p


def main(argv: list[str] | None = None) -> int:
    # Signals first: a SIGTERM that arrives while torch is importing still ends as a clean "stopped".
    from lrtui.runs.distributed import dist_env

    stop = StopFlag(escalate=dist_env() is None).install()
    args = _parser().parse_args(argv)
    if bool(args.run_dir) == bool(args.config):
        print("error: give either CONFIG (a new run) or --run-dir DIR (an existing run)", file=sys.stderr)
        return 2
    if (args.resume or args.auto_resume) and not args.run_dir:
        print("error: --resume and --auto-resume need --run-dir DIR", file=sys.stderr)
        return 2
    if args.auto_resume:
        from lrtui.runs.status import read_status

        if read_status(Path(args.run_dir)).get("state") == "finished":
            print(f"run in {args.run_dir} already finished: nothing to do", flush=True)
            return 0
        args.resume = (Path(args.run_dir) / "checkpoint.pt").is_file()
    from lrtui.runs import RunLogger
    from lrtui.runs.jsonio import read_json_file
    from lrtui.runs.lock import RunLocked
    from lrtui.runs.text import shorten

    if args.run_dir:
        event = "resume" if args.resume else "start"
        try:
            logger = RunLogger.open(args.run_dir, event=event, message=f"trainer pid {os.getpid()} ({event})")
        except FileNotFoundError:
            print(f"error: --run-dir {shorten(repr(args.run_dir), 100)}: no such directory", file=sys.stderr)
            return 2
        except (RunLocked, RuntimeError, OSError) as err:  # the run is left exactly as it was
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            print(f"error: {reason}", file=sys.stderr, flush=True)
            return 2
        raw, problem = read_json_file(Path(args.run_dir) / "config.json")
        try:
            if problem is not None:
                raise ConfigError([("config.json", "(run directory)", f"a readable config ({problem})")])
            config = _config(raw, args)
        except ConfigError as err:
            print(f"error: {err}", file=sys.stderr, flush=True)
            logger.close("failed", error=str(err))
            return 2
    else:
        try:
            raw = read_config_file(args.config)
            config = _config(raw, args)
        except ConfigError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        extra = {k: raw[k] for k in ("name", "notes", "tags") if k in raw}
        logger = RunLogger({**extra, **config.to_dict()}, runs_dir=args.runs_dir, source="lrtui-trainer")
        print(f"run directory: {logger.run_dir}", flush=True)

    if args.resume and not (Path(args.run_dir) / "checkpoint.pt").is_file():
        message = f"cannot resume: no checkpoint.pt in {args.run_dir}"  # said before paying for torch
        print(f"error: {message}", file=sys.stderr, flush=True)
        logger.close("failed", error=message)
        return 1

    if config.kind == "lr_find":
        from lrtui.training.lr_find_trainer import LrFindTrainer as Trainer
    else:
        from lrtui.training.loop import Trainer

    state = Trainer(config, logger, resume=args.resume, stop=stop).run()
    return EXIT_CODES.get(state, 1)


def _config(raw: Any, args) -> TrainConfig:
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k not in RUN_FORMAT_KEYS}  # from_dict ignores them too
    config = TrainConfig.from_dict(raw)
    if args.compile:
        config.compile = True
    return config.resolve()


if __name__ == "__main__":
    raise SystemExit(main())
