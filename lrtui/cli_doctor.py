"""`lrtui doctor RUN|PATH`: which schedule a run's LR follows, and what went wrong (see lrtui/doctor.py).

Exit status: 0 = the LR is what was planned (or, with no plan, a schedule was recognised), 1 = problems
found (or nothing recognised), 2 = bad input. `--json` prints the whole report as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    helptext = "infer a run's LR schedule and diagnose it against its plan (the LR doctor)"
    p = sub.add_parser(
        "doctor",
        help=helptext,
        description=helptext + ". RUN is a run id, a unique prefix of one, 'last', or a run directory; PATH "
        "may also be a log of another format (a TensorBoard event file or folder, a Lightning CSVLogger folder, an HF Trainer output folder) or any CSV/TSV file with a step column and lr columns. Without a declared plan (or with "
        "--spec) the schedule is inferred from the log.",
    )
    p.add_argument("run", metavar="RUN|PATH")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--spec", metavar="SPEC", help="the plan to check against (overrides the run's config)")
    p.add_argument("--lr", metavar="LR", help="base LR(s) of that plan, comma-separated per group")
    p.add_argument("--stepping", choices=("step", "epoch"), help="how the plan is stepped (default: step)")
    p.add_argument("--steps-per-epoch", type=int, metavar="N", help="optimizer steps per epoch")
    p.add_argument("--runs-dir", metavar="DIR", default=argparse.SUPPRESS, help="where runs live")
    p.set_defaults(handler=cmd_doctor)


def _fail(message: str) -> int:
    from lrtui.runs.text import clean_text

    print(f"lrtui doctor: {clean_text(message)}", file=sys.stderr)
    return 2


def _plan_config(args: argparse.Namespace, config: dict | None) -> tuple[dict | None, str | None]:
    """The config to check against: the run's, with --spec/--lr/--stepping/--steps-per-epoch on top."""
    if args.steps_per_epoch is not None and args.steps_per_epoch < 1:
        return None, f"--steps-per-epoch={args.steps_per_epoch} is not allowed: must be an integer ≥ 1"
    if args.spec is None and args.lr is None and args.stepping is None:
        return config, None
    config = dict(config or {})
    schedule = config.get("schedule")
    schedule = (
        dict(schedule)
        if isinstance(schedule, dict)
        else ({"spec": schedule} if isinstance(schedule, str) else {})
    )
    if args.spec is not None:
        from lrtui.schedules import Context, SpecError, parse, resolve

        try:
            parsed = parse(args.spec)
            resolve(parsed, Context())  # the catalogue's bounds, named field by field
            schedule["spec"] = str(parsed)
        except SpecError as exc:
            return None, str(exc)
        schedule.pop("total_steps", None)
    if args.stepping:
        schedule["stepping"] = args.stepping
    if args.steps_per_epoch:
        schedule["steps_per_epoch"] = args.steps_per_epoch
    if args.lr is not None:
        try:
            lrs = [float(x) for x in args.lr.split(",") if x.strip()]
        except ValueError:
            return None, f"--lr={args.lr!r} is not allowed: a number, or numbers separated by commas"
        if not lrs or any(not (x > 0) or x != x or x == float("inf") for x in lrs):
            return None, f"--lr={args.lr!r} is not allowed: positive finite numbers"
        config["optimizer"] = {**(config.get("optimizer") or {}), "lr": lrs[0] if len(lrs) == 1 else lrs}
    if "spec" not in schedule:
        return None, "--lr/--stepping need a plan: give --spec SPEC (or a run whose config has a schedule)"
    config["schedule"] = schedule
    return config, None


def cmd_doctor(args: argparse.Namespace) -> int:
    from lrtui.doctor import doctor_path, doctor_series, read_series_file
    from lrtui.runs.listing import find_run
    from lrtui.runs.reader import read_config
    from lrtui.sources import detect
    from lrtui.sources.discover import format_of_file

    target = Path(args.run).expanduser()
    run_dir, problem = None, None
    if not target.is_file():  # run references first (ids, prefixes, 'last'), as lrtui watch reads them
        try:
            run_dir = find_run(args.run, getattr(args, "runs_dir", None), read_only=True)  # it only reads
        except ValueError as exc:
            problem = str(exc)
    if run_dir is None and (not args.run.strip() or target.is_symlink() or not target.exists()):
        return _fail(problem or f"RUN={args.run!r} does not exist")
    path = run_dir if run_dir is not None else target
    if path.is_file() and format_of_file(path) is None:  # any CSV of steps and LRs (`lrtui plot --csv`)
        try:
            steps, lrs = read_series_file(path)
        except ValueError as exc:
            return _fail(str(exc))
        config, problem = _plan_config(args, None)
        if problem:
            return _fail(problem)
        report = doctor_series(
            steps, lrs, config=config, steps_per_epoch=args.steps_per_epoch, source=str(path)
        )
    else:  # an lrtui run, or a log of any format lrtui.sources reads (TensorBoard, Lightning, HF Trainer)
        try:
            refs = detect(path)
        except ValueError as exc:
            return _fail(f"{exc}; or a CSV file with step and lr columns")
        if len({r.path for r in refs}) > 1:
            shown = ", ".join(f"{r.path} ({r.format})" for r in refs[:6])
            more = f" and {len(refs) - 6} more" if len(refs) > 6 else ""
            return _fail(f"{path} holds {len(refs)} runs: {shown}{more}; name one")
        ref = refs[0]  # one folder in two formats (Lightning with two loggers) is one run
        base = read_config(ref.path)[0] if ref.format == "lrtui" else None
        config, problem = _plan_config(args, base)
        if problem:
            return _fail(problem)
        overrides = config is not base
        report = doctor_path(
            ref.path, ref.format, config=config if overrides else None, steps_per_epoch=args.steps_per_epoch
        )[0]
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, allow_nan=False, default=str))
    else:
        from lrtui.runs.text import clean_text

        print(clean_text(report.text(), newlines=True))
    if report.points == 0:
        return 1
    if report.plan is None:
        return 1
    return 0 if report.ok else 1
