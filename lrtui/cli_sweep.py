"""`lrtui sweep`: one recipe × several schedules × K seeds, as a group of detached runs.

    lrtui sweep [CONFIG] [train options] --schedule SPEC ... | --plan FILE | --preset seed001  --repeats K
    lrtui sweep status|stop|resume|results GROUP

Starting a sweep validates every member's config (the `lrtui train` contract), writes the group directory
(lrtui/sweep/group.py) and starts its detached queue (lrtui/sweep/queue.py); `--emit-sbatch` writes a SLURM
job array instead. These commands never import torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lrtui.cli_runs import (
    _fail,
    _runs_dir,
    _runs_dir_option,
    add_recipe_options,
    config_data,
    recipe_options_given,
)

ACTIONS = ("start", "status", "stop", "resume", "results")
METRIC_CHOICES = ("final_acc", "best_acc", "final_loss", "best_loss")


def normalize_argv(argv: list[str]) -> list[str]:
    """`lrtui sweep --schedule ...` means `lrtui sweep start --schedule ...` (argparse needs the word)."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in ("--runs-dir", "--spec"):
            i += 2
            continue
        if token.startswith("-"):
            i += 1
            continue
        if token == "sweep":
            rest = argv[i + 1 : i + 2]
            if not rest or rest[0] not in (*ACTIONS, "-h", "--help"):
                return [*argv[: i + 1], "start", *argv[i + 1 :]]
        return argv
    return argv


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    sweep = sub.add_parser(
        "sweep",
        help="compare schedules: one recipe x several schedules x K seeds, queued on this machine's devices",
        description="Schedule shoot-out. `lrtui sweep [start] ...` starts a group of detached runs (a detached "
        "queue spreads them over the GPUs, or the CPU); `status|stop|resume|results GROUP` manage it.",
    )
    actions = sweep.add_subparsers(dest="sweep_action", metavar="ACTION")
    start = actions.add_parser(
        "start",
        help="start a sweep (the default action)",
        description="Start a sweep: every schedule x every seed, as detached runs in one group directory. "
        "Recipe options are those of `lrtui train`; schedules come from --preset, --plan and --schedule.",
    )
    add_recipe_options(start, many_schedules=True)
    start.add_argument(
        "--plan", metavar="FILE", help="a sweep plan (.toml/.json): name, repeats, [recipe], [[schedules]]"
    )
    start.add_argument(
        "--preset",
        metavar="NAME",
        help="an article's whole experiment: seed001 (its schedules, LRs and recipe)",
    )
    start.add_argument("--repeats", type=int, metavar="K", help="seeds per schedule (default 3)")
    start.add_argument("--name", help="the group's name (default: the preset's, else 'sweep')")
    start.add_argument(
        "--per-device",
        type=int,
        metavar="N",
        help="runs at once per GPU (default 1), or on the CPU (default: one per 4 cores, at most 4)",
    )
    start.add_argument("--devices", metavar="LIST", help="auto (default) | cpu | GPU ids such as 0,1")
    start.add_argument(
        "--emit-sbatch", action="store_true", help="print a SLURM job array script instead of queueing"
    )
    start.add_argument(
        "--sbatch-opt",
        action="append",
        default=[],
        metavar="OPTION",
        help="an extra #SBATCH option, e.g. --sbatch-opt=--partition=gpu (repeatable)",
    )
    start.add_argument(
        "--max-parallel", type=int, metavar="N", help="SLURM array tasks running at once (%%N)"
    )
    start.add_argument("--dry-run", action="store_true", help="print the runs it would start; start nothing")
    start.add_argument("--watch", action="store_true", help="open the group's compare view after starting")
    start.set_defaults(handler=cmd_start)
    _runs_dir_option(start)

    for name, helptext, handler in (
        ("status", "a group's state, queue and per-schedule progress", cmd_status),
        ("stop", "stop a group: its queue and every run it started (each checkpoints)", cmd_stop),
        (
            "resume",
            "resume a group: restart its queue (stopped and lost runs resume from checkpoints)",
            cmd_resume,
        ),
        ("results", "the results table: mean ± std per schedule, ranking, noise verdicts", cmd_results),
    ):
        p = actions.add_parser(name, help=helptext, description=helptext)
        p.add_argument("group", metavar="GROUP", help="group id (or a unique prefix of it), path, or 'last'")
        if name == "stop":
            p.add_argument(
                "--wait", type=float, default=0, metavar="SECONDS", help="wait for the runs to stop"
            )
        if name == "resume":
            p.add_argument("--retry-failed", action="store_true", help="also run failed/diverged runs again")
        if name == "results":
            fmt = p.add_mutually_exclusive_group()
            fmt.add_argument("--csv", action="store_true", help="CSV (fractions, one row per schedule)")
            fmt.add_argument("--md", action="store_true", help="Markdown table with the test's footnote")
            fmt.add_argument("--json", action="store_true", help="JSON")
            p.add_argument(
                "--by", choices=METRIC_CHOICES, default="final_acc", help="rank by (default final_acc)"
            )
            p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
        p.set_defaults(handler=handler)
        _runs_dir_option(p)
    sweep.set_defaults(handler=lambda _args: (sweep.print_help(), 2)[1])


# ------------------------------------------------------------------------------------------ start
def build_plan(args: argparse.Namespace):
    """The SweepPlan of a `lrtui sweep start` command line (validated); SweepError/ValueError on bad input."""
    from lrtui.cli_runs import merge_config
    from lrtui.sweep.plan import (
        SweepError,
        SweepPlan,
        experiment,
        parse_devices,
        positive_int,
        read_plan_file,
        schedule_from_option,
        schedule_from_table,
    )

    recipe: dict = {}
    schedules = []
    name = None
    repeats = None
    per_device = None
    devices = None
    if args.preset:
        recipe, schedules = experiment(args.preset)
        name = args.preset
    if args.plan:
        plan = read_plan_file(args.plan)
        if "preset" in plan and not args.preset:
            recipe, schedules = experiment(str(plan["preset"]))
            name = str(plan["preset"])
        recipe = merge_config(recipe, plan.get("recipe", {}))
        schedules += [
            schedule_from_table(v, f"schedules[{i}]") for i, v in enumerate(plan.get("schedules", []))
        ]
        name = plan.get("name", name)
        repeats = plan.get("repeats")
        per_device = plan.get("per_device")
        devices = plan.get("devices")
    schedules += [schedule_from_option(s) for s in args.schedule]
    data = config_data(args, recipe, schedule=False)
    spec = (data.get("schedule") or {}).get("spec") if isinstance(data.get("schedule"), dict) else None
    if isinstance(data.get("schedule"), str):
        spec, data["schedule"] = data["schedule"], {}
    if spec is not None:
        if schedules:
            raise SweepError(
                f"schedule.spec = {spec!r} in the recipe is not allowed with --schedule/--plan/--preset: "
                "a sweep's schedules are listed there"
            )
        from lrtui.sweep.plan import ScheduleEntry

        schedules = [ScheduleEntry(spec)]
        del data["schedule"]["spec"]
    seed = data.pop("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SweepError(f"seed = {seed!r} is not allowed: an integer ≥ 0 (repeat r trains with seed + r)")
    repeats = positive_int(args.repeats if args.repeats is not None else (repeats or 3), "repeats", 1000)
    if args.per_device is not None or per_device is not None:
        per_device = positive_int(
            args.per_device if args.per_device is not None else per_device, "per_device", 256
        )
    devices = parse_devices(args.devices if args.devices is not None else devices)
    device = data.get("device")
    if device == "cpu":
        if isinstance(devices, list):
            raise SweepError(f"--devices {args.devices!r} is not allowed with device 'cpu'")
        devices = "cpu"
    elif isinstance(device, str) and device.startswith("cuda:") and device[5:].isdigit():
        if devices is None:
            devices = [device[5:]]
        data["device"] = "cuda"  # each run sees only its own GPU, as cuda:0
    name = args.name or name or "sweep"
    if not isinstance(name, str) or not name.strip():
        raise SweepError(f"name = {name!r} is not allowed: a short name for the group")
    if args.lr is not None and any(s.lr is not None for s in schedules):
        own = [s.display for s in schedules if s.lr is not None]
        print(
            f"lrtui: note: --lr {args.lr:g} applies only to schedules without their own LR (not {', '.join(own[:3])}"
            + (", ..." if len(own) > 3 else "")
            + ")",
            file=sys.stderr,
        )
    plan = SweepPlan(name.strip(), data, schedules, repeats, seed, args.preset, per_device, devices)
    return plan.validate()


def cmd_start(args: argparse.Namespace) -> int:
    from lrtui.sweep.group import SBATCH_FILE, create_group
    from lrtui.sweep.plan import SweepError
    from lrtui.training.config import ConfigError

    try:
        plan = build_plan(args)
        if args.max_parallel is not None and args.max_parallel < 1:
            raise SweepError(f"--max-parallel {args.max_parallel} is not allowed: an integer ≥ 1")
        if args.sbatch_opt and not args.emit_sbatch:
            raise SweepError("--sbatch-opt is only allowed with --emit-sbatch")
        if args.emit_sbatch:
            from lrtui.sweep.slurm import check_sbatch_option

            for option in args.sbatch_opt:
                check_sbatch_option(option)
    except (SweepError, ConfigError, ValueError) as exc:
        return _fail(str(exc))
    n = len(plan.configs)
    shape = f"{len(plan.schedules)} schedules x {plan.repeats} repeats = {n} runs"
    if args.dry_run:
        print(f"sweep {plan.name}: {shape} (dry run: nothing started)")
        for index, s, _r in plan.members():
            c = plan.configs[index]
            print(
                f"  {index:>3}  seed {c['seed']:<4} lr {c['optimizer']['lr']:<8g} {c['schedule']['stepping']:<5} "
                f"{plan.schedules[s].display}"
            )
        return 0
    runs_dir = _runs_dir(args)
    group = create_group(plan, runs_dir, launcher="slurm" if args.emit_sbatch else "queue")
    if args.emit_sbatch:
        from lrtui.sweep.slurm import sbatch_script

        script = sbatch_script(
            group,
            runs_dir=str(runs_dir.resolve()),
            max_parallel=args.max_parallel,
            options=args.sbatch_opt,
            gpus_per_task=None if plan.devices == "cpu" else 1,
        )
        (group.dir / SBATCH_FILE).write_text(script)
        sys.stdout.write(script)
        print(
            f"lrtui: wrote group {group.id} ({shape}) and {group.dir / SBATCH_FILE}; submit with "
            f"`sbatch {group.dir / SBATCH_FILE}`",
            file=sys.stderr,
        )
        return 0
    from lrtui.sweep.devices import plan_devices
    from lrtui.sweep.queue import spawn_queue

    try:
        pid = spawn_queue(group.dir)
    except RuntimeError as exc:
        return _fail(f"group {group.id} was written but its queue did not start: {exc}")
    devices = ", ".join(f"{d.id} x{d.slots}" for d in plan_devices(group.devices, group.per_device))
    print(f"started sweep {group.id}: {shape}, queue pid {pid} on {devices}")
    print(f"  group dir: {group.dir}")
    print(f"  progress: lrtui runs    results: lrtui sweep results {group.id}    stop: lrtui stop {group.id}")
    if args.watch:
        return _watch_group(group.dir, args)
    return 0


# ------------------------------------------------------------------------------------------ manage
def _group_dir(args: argparse.Namespace, *, read_only: bool = False) -> Path:
    """The group GROUP names (run-reference rules); `read_only` (status, results) also takes a path elsewhere."""
    from lrtui.sweep.listing import find_group

    return find_group(args.group, _runs_dir(args), read_only=read_only)


def cmd_status(args: argparse.Namespace) -> int:
    from lrtui.sweep.group import GroupError, read_queue_state
    from lrtui.sweep.listing import summarize_group
    from lrtui.sweep.results import schedule_lines

    try:
        g = summarize_group(_group_dir(args, read_only=True))
    except (ValueError, GroupError) as exc:
        return _fail(str(exc))
    if g.group is None:
        return _fail(g.problem or "unreadable group")
    print(f"{g.id}  {g.state}  {g.shape} repeats  {g.progress.words()}")
    print(f"  {g.status.message}")
    queue = read_queue_state(g.dir)
    if queue.get("devices"):
        print(
            "  devices: "
            + ", ".join(
                f"{d.get('id')} x{d.get('slots')} ({d.get('name')})"
                for d in queue["devices"]
                if isinstance(d, dict)
            )
        )
    for line in schedule_lines(g.group, g.states):
        print("  " + line)
    return 0


def stop_group_dir(group_dir: Path, wait: float) -> int:
    from lrtui.sweep.group import GroupError
    from lrtui.sweep.queue import stop_group

    try:
        print(stop_group(group_dir, wait))
    except (GroupError, LookupError) as exc:
        return _fail(str(exc))
    return 0


def resume_group_dir(group_dir: Path, retry_failed: bool = False) -> int:
    from lrtui.sweep.group import GroupError
    from lrtui.sweep.queue import resume_group

    try:
        pid = resume_group(group_dir, retry_failed=retry_failed)
    except (GroupError, RuntimeError) as exc:
        return _fail(str(exc))
    print(
        f"resumed group {group_dir.name}: queue pid {pid} (stopped and lost runs resume from their checkpoints)"
    )
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    try:
        group_dir = _group_dir(args)
    except ValueError as exc:
        return _fail(str(exc))
    return stop_group_dir(group_dir, args.wait)


def cmd_resume(args: argparse.Namespace) -> int:
    try:
        group_dir = _group_dir(args)
    except ValueError as exc:
        return _fail(str(exc))
    return resume_group_dir(group_dir, args.retry_failed)


def cmd_results(args: argparse.Namespace) -> int:
    from lrtui.sweep.group import GroupError, read_group
    from lrtui.sweep.results import compute, load_group, to_csv, to_json, to_markdown, to_text

    try:
        group = read_group(_group_dir(args, read_only=True))
    except (ValueError, GroupError) as exc:
        return _fail(str(exc))
    res = compute(load_group(group), args.by)
    if args.csv:
        text = to_csv(res)
    elif args.md:
        text = to_markdown(res)
    elif args.json:
        text = to_json(res)
    else:
        text = to_text(res)
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as exc:
            return _fail(f"--output {args.output!r} cannot be written: {exc.strerror or exc}")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


# ------------------------------------------------------------------------------------------ from lrtui train/runs
def train_member(args: argparse.Namespace) -> int:
    """`lrtui train --group GROUP --member N`: train one member (what each SLURM array task runs)."""
    from lrtui.runs import launch
    from lrtui.runs.paths import CHECKPOINT
    from lrtui.sweep.group import LIVE, GroupError, member_dir, member_states, read_group
    from lrtui.sweep.listing import find_group
    from lrtui.training.config import ConfigError

    if args.group is None or args.member is None:
        return _fail("--group and --member go together: --group GROUP --member N")
    given = recipe_options_given(args)
    if given:
        return _fail(f"{', '.join(given)} not allowed with --group: a member's config comes from its group")
    try:
        group = read_group(find_group(args.group, _runs_dir(args)))
    except (ValueError, GroupError) as exc:
        return _fail(str(exc))
    if not 0 <= args.member < len(group.members):
        return _fail(
            f"--member {args.member} is not allowed: group {group.id} has members 0..{len(group.members) - 1}"
        )
    state = member_states(group)[args.member].state
    member = group.members[args.member]
    if state == "finished":
        print(f"member {args.member} ({member.run}) of {group.id} already finished")
        return 0
    if state in LIVE:
        return _fail(f"member {args.member} ({member.run}) of {group.id} is already {state}")
    try:
        run_dir = member_dir(group, args.member)
    except (ConfigError, ValueError, OSError) as exc:
        return _fail(f"member {args.member} of {group.id}: {exc}")
    resume = (run_dir / CHECKPOINT).is_file()
    if args.foreground:
        from lrtui.training.__main__ import main as train_main

        return train_main(["--run-dir", str(run_dir)] + (["--resume"] if resume else []))
    pid = launch(run_dir, resume=resume)
    print(
        f"{'resumed' if resume else 'started'} member {args.member} ({member.run}) of {group.id} (pid {pid})"
    )
    return 0


def group_table_lines(runs_dir: Path) -> list[tuple[tuple[str, ...], list[str]]]:
    """(row cells, schedule lines) per group for `lrtui runs` (cells as cmd_runs prints them)."""
    from lrtui.sweep.listing import list_groups
    from lrtui.sweep.results import schedule_lines

    out = []
    for g in list_groups(runs_dir):
        if g.group is None:
            out.append(((g.id, "unknown", "?", "-", "-", "-", "-", g.problem or ""), []))
            continue
        best = g.best_test_acc
        out.append(
            (
                (
                    g.id,
                    g.state,
                    f"{g.recipe('model') or '?'}/{g.recipe('dataset') or '?'}",
                    g.progress.compact(),
                    "-",
                    "-" if best is None else f"{100 * best:.1f}%",
                    g.created,
                    f"sweep {g.name}: {g.shape} repeats · {g.status.message}",
                ),
                schedule_lines(g.group, g.states),
            )
        )
    return out


def groups_json(runs_dir: Path) -> list[dict]:
    from lrtui.sweep.listing import list_groups
    from lrtui.sweep.results import schedule_lines

    out = []
    for g in list_groups(runs_dir):
        entry = {"id": g.id, "dir": str(g.dir), "kind": "sweep", "state": g.state, "problem": g.problem}
        if g.group is not None:
            p = g.progress
            entry.update(
                name=g.name,
                schedules=len(g.group.schedules),
                repeats=g.group.repeats,
                progress={
                    "total": p.total,
                    "done": p.done,
                    "running": p.running,
                    "queued": p.queued,
                    "stopped": p.stopped,
                    "failed": p.failed,
                    "lost": p.lost,
                },
                summary=schedule_lines(g.group, g.states),
                runs=[s.member.run for s in g.states],
                created=g.created,
            )
        out.append(entry)
    return out


def _watch_group(group_dir: Path, args: argparse.Namespace) -> int:
    from lrtui.app import run_app

    return run_app(watch=str(group_dir), runs_dir=args.runs_dir)
