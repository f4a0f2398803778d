"""`lrtui plot | lint | export`: schedules in the terminal, without the app.

    lrtui plot "CosineAnnealingLR(T_max=95)" --steps 100 --lr 0.1
    lrtui plot plan.toml --compare "StepLR(step_size=30)" --log
    lrtui plot "OneCycleLR(max_lr=0.1, total_steps=1000)" --csv > lr.csv
    lrtui plot --list
    pbpaste | lrtui plot -      # pasted code: `scheduler = OneCycleLR(optimizer, ...)`, several lines, >>> prompts
    lrtui lint "SequentialLR([LinearLR(total_iters=5), CosineAnnealingLR(T_max=100)], milestones=[5])"
    lrtui export "get_cosine_schedule_with_warmup(100, 1000)" --to transformers

SPEC is a spec string or a path to a .toml/.json plan file. A bad spec exits with status 2 and one line
naming the field and what is allowed; `lint` exits 1 when any lint is an error.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import replace
from pathlib import Path

EXIT_BAD_SPEC = 2
PLOT_WIDTHS = (20, 1000)  # columns: narrower leaves no room for the y tick labels and a curve
PLOT_HEIGHTS = (6, 500)  # rows: the frame, the x ticks and the axis labels take five


def add_subcommands(sub) -> None:
    """Register plot, lint and export on lrtui's argparse subparsers."""
    plot = sub.add_parser(
        "plot",
        help="draw a schedule's exact LR curve in the terminal",
        description="Draw the LR the optimizer will hold at every step, exactly.",
    )
    plot.add_argument(
        "spec",
        nargs="?",
        metavar="SPEC",
        help="a spec such as 'StepLR(step_size=30)', pasted code, a plan file, or - for standard input",
    )
    _plan_options(plot)
    plot.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="SPEC",
        help="another schedule to draw on the same axes (repeatable)",
    )
    plot.add_argument("--log", action="store_true", help="log-scale y axis")
    plot.add_argument(
        "--width", type=int, default=None, help="plot width in columns (default: the terminal's)"
    )
    plot.add_argument("--height", type=int, default=None, help="plot height in rows (default: 25)")
    out = plot.add_mutually_exclusive_group()
    out.add_argument(
        "--csv",
        action="store_true",
        help="print step,lr[,lr_g1...][,momentum] rows (and a SPEC:lr column per --compare) and nothing else",
    )
    out.add_argument("--json", action="store_true", help="print the curve, markers and plan as JSON")
    plot.add_argument("--list", action="store_true", help="list every schedule, grouped by library")
    plot.set_defaults(handler=cmd_plot)

    lint = sub.add_parser(
        "lint",
        help="check a schedule for common mistakes (exit 1 on errors)",
        description="The schedule doctor: common mistakes, each with a concrete fix.",
    )
    lint.add_argument("spec", metavar="SPEC")
    _plan_options(lint)
    lint.set_defaults(handler=cmd_lint)

    export = sub.add_parser(
        "export",
        help="print runnable Python that reproduces the curve",
        description="Print a script that builds the optimizer and scheduler with the real "
        "library and shows where scheduler.step() goes.",
    )
    export.add_argument("spec", metavar="SPEC")
    export.add_argument(
        "--to",
        choices=("torch", "transformers", "timm"),
        default=None,
        help="target library (default: the schedule's own)",
    )
    _plan_options(export)
    export.set_defaults(handler=cmd_export)


def _plan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lr",
        action="append",
        default=None,
        metavar="LR",
        help="initial lr; repeat it or give a comma list for several param groups (default 0.1)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="optimizer steps to show (default: the length the spec states, e.g. total_steps, else 1000)",
    )
    p.add_argument("--epochs", type=int, default=None, help="epochs to show (with --steps-per-epoch)")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="optimizer steps per epoch (default 1)")
    p.add_argument(
        "--stepping",
        choices=("step", "epoch", "fractional"),
        default=None,
        help="when scheduler.step() is called: every optimizer step, every epoch, or with fractional epochs",
    )
    p.add_argument(
        "--optimizer",
        choices=("sgd", "adam", "adamw"),
        default=None,
        help="which momentum cyclic schedules drive (default sgd)",
    )
    p.add_argument(
        "--momentum", type=float, default=None, help="the optimizer's momentum / beta1 (default 0.9)"
    )
    p.add_argument(
        "--metric",
        metavar="SOURCE",
        default=None,
        help="metric series for plateau schedules, one value per scheduler step: a run directory "
        "(its epochs' test_loss; RUN_DIR:test_acc for another key), a .json list, or a text/CSV file",
    )


# -- building the plan ---------------------------------------------------------------------------------


def build_plan(spec_text: str, args: argparse.Namespace):
    """A Plan from SPEC (string or plan file) and the command-line options. Raises SpecError."""
    from lrtui.schedules import Plan, SpecError, load_plan_file, parse
    from lrtui.schedules.horizon import follow_spec, follows_spec

    if spec_text == "-":  # pasted code on stdin: `pbpaste | lrtui plot -`
        spec_text = read_stdin_spec()
    text = spec_text.strip()
    from_file = text.lower().endswith((".toml", ".json"))  # a spec string always ends with ")" or a name
    plan = load_plan_file(Path(text)) if from_file else Plan(spec=parse(text))
    before = plan
    changes: dict = {}
    if args.lr:
        lrs = []
        for item in args.lr:
            for part in str(item).split(","):
                part = part.strip()
                try:
                    lrs.append(float(part))
                except ValueError:
                    raise SpecError.bad_value("--lr", part, "a number, or a comma list of numbers") from None
        changes["base_lrs"] = tuple(lrs)
    spe = args.steps_per_epoch if args.steps_per_epoch is not None else None
    if spe is not None:
        changes["steps_per_epoch"] = spe
    if args.steps is not None:
        changes["total_steps"] = args.steps
    elif args.epochs is not None:
        changes["total_steps"] = args.epochs * (spe or plan.steps_per_epoch)
    if args.stepping is not None:
        changes["stepping"] = args.stepping
    if args.optimizer is not None:
        changes["optimizer"] = args.optimizer
    if args.momentum is not None:
        changes["momentum"] = args.momentum
    if args.metric is not None:
        from lrtui.schedules.metric import load_metric_series

        changes["metric"] = load_metric_series(args.metric)
    plan = replace(plan, **changes) if changes else plan
    if args.steps is None and args.epochs is None and (not from_file or follows_spec(before)):
        plan = follow_spec(
            plan
        )  # the horizon the spec states (after --steps-per-epoch/--stepping), as in the app
    return plan


def read_stdin_spec() -> str:
    """The spec (or pasted code) on standard input, bounded."""
    from lrtui.schedules import SpecError
    from lrtui.schedules.spec import MAX_SPEC_CHARS

    text = sys.stdin.read(MAX_SPEC_CHARS * 4 + 1)
    if len(text) > MAX_SPEC_CHARS * 4:
        raise SpecError.bad_value("spec", "-", f"at most {MAX_SPEC_CHARS} characters on standard input")
    return text


def _out(text: str) -> None:
    """Write to stdout (a closed pipe, `lrtui plot --csv ... | head`, is handled once for every command
    in `lrtui.cli.main`)."""
    sys.stdout.write(text)


def _fail(exc) -> int:
    print(f"lrtui: {exc}", file=sys.stderr)
    return EXIT_BAD_SPEC


# -- plot ------------------------------------------------------------------------------------------------


def cmd_plot(args: argparse.Namespace) -> int:
    from lrtui.schedules import SpecError, evaluate
    from lrtui.schedules.export import curve_csv, curve_json

    if args.list:
        _out(catalogue_text() + "\n")
        return 0
    if not args.spec:
        print("lrtui plot: give a SPEC (e.g. 'StepLR(step_size=30)') or --list", file=sys.stderr)
        return EXIT_BAD_SPEC
    try:
        plan = build_plan(args.spec, args)
        curve = evaluate(plan)
        others = []
        for text in args.compare:
            other = replace(
                build_plan(text, args),
                base_lrs=plan.base_lrs,
                total_steps=plan.total_steps,
                steps_per_epoch=plan.steps_per_epoch,
                stepping=plan.stepping,
                optimizer=plan.optimizer,
                momentum=plan.momentum,
            )
            others.append((text, evaluate(other)))
    except SpecError as exc:
        return _fail(exc)
    if args.csv:
        _out(curve_csv(curve, others))
        return 0
    if args.json:
        _out(curve_json(curve, others))
        return 0
    for flag, value, (lo, hi) in (
        ("--width", args.width, PLOT_WIDTHS),
        ("--height", args.height, PLOT_HEIGHTS),
    ):
        if value is not None and not lo <= value <= hi:
            print(f"lrtui plot: {flag} {value} is out of range: allowed {lo} to {hi}", file=sys.stderr)
            return EXIT_BAD_SPEC
    width = args.width or max(40, min(shutil.get_terminal_size((100, 30)).columns, 200))
    height = args.height or 25
    from lrtui.schedules.lint import lint

    lines = [draw(curve, others, width=width, height=height, log=args.log), summary(curve, lint(plan, curve))]
    lines += [f"  vs {text}: {summary(other, None)}" for text, other in others]
    _out("\n".join(lines) + "\n")
    return 0


def draw(curve, others=(), *, width: int, height: int, log: bool = False) -> str:
    """The chart as text, via the plotting layer (plotext under the hood)."""
    from lrtui.plotting.figure import Figure, Marker, Series, find_nonfinite, render_text

    x = curve.steps
    series = []
    for g in range(curve.lr.shape[0]):
        label = str(curve.plan.spec) if g == 0 else f"group {g}"
        series.append(Series(x, curve.lr[g], label=_short(label) if (others or g) else ""))
    for text, other in others:
        series.append(Series(other.steps, other.lr[0], label=_short(text)))
    markers = [Marker(m.step, m.label or m.kind, m.kind) for m in curve.markers if m.step < curve.n][:40]
    # Where a curve leaves the float range it is not drawn: a red line marks where (the summary says it).
    for s in series:
        found = find_nonfinite(s.x, s.y)
        if found is not None:
            markers.append(Marker(found.x, found.marker_label, "overflow"))
    fig = Figure(
        series=series,
        markers=markers,
        title=_short(str(curve.plan.spec), 90),
        log_y=log,
        xlabel="step",
        ylabel="lr",
        x_range=(0.0, float(curve.n)),  # steps 0..n-1 of n: the axis ends at n, like the summary says
        label_x_end=True,
    )
    # Colour only for a terminal (and never with NO_COLOR): piped output stays plain text.
    return render_text(fig, width, height, monochrome=True if not sys.stdout.isatty() else None)


def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def summary(curve, lints) -> str:
    """start, peak (and where), end, warmup end, lint counts — one line."""
    import numpy as np

    lr = curve.lr[0]
    if lr.size == 0:
        return "empty curve"
    finite = np.isfinite(lr)
    peak_i = int(np.nanargmax(np.where(finite, lr, -np.inf))) if finite.any() else 0
    parts = [f"start {_num(lr[0])}", f"peak {_num(lr[peak_i])} at step {peak_i}", f"end {_num(lr[-1])}"]
    warm = [m.step for m in curve.markers if m.kind == "warmup_end"]
    if warm:
        parts.append(f"warmup end {_num(warm[0])}")
    parts.append(f"{curve.n} steps")
    from lrtui.plotting.figure import nonfinite_note

    for g in range(curve.lr.shape[0]):
        note = nonfinite_note("lr" if curve.lr.shape[0] == 1 else f"lr[{g}]", curve.steps, curve.lr[g])
        if note:
            parts.append(note)
    if lints is not None:
        counts = {s: sum(1 for x in lints if x.severity == s) for s in ("error", "warning", "info")}
        detail = ", ".join(f"{c} {s}{'s' if c != 1 else ''}" for s, c in counts.items() if c)
        parts.append(f"lints: {detail or 'none'}" + (" (lrtui lint SPEC)" if lints else ""))
    return " · ".join(parts)


def _num(x: float) -> str:
    return f"{x:.4g}"


def catalogue_text() -> str:
    from lrtui.schedules.catalogue import LIBRARIES, kinds

    by_lib: dict[str, list] = {}
    for kind in kinds():
        by_lib.setdefault(kind.library, []).append(kind)
    lines = []
    for lib, title in LIBRARIES.items():
        if lib not in by_lib:
            continue
        lines.append(f"{lib} ({title})")
        for kind in sorted(by_lib[lib], key=lambda k: k.name):
            if len(kind.name) <= 28:
                lines.append(f"  {kind.name:<28} {kind.summary}")
            else:
                lines.append(f"  {kind.name}")
                lines.append(f"  {'':<28} {kind.summary}")
            if kind.example:
                lines.append(f"  {'':<28} e.g. {kind.example}")
        lines.append("")
    return "\n".join(lines).rstrip()


# -- lint / export -----------------------------------------------------------------------------------------


def cmd_lint(args: argparse.Namespace) -> int:
    from lrtui.schedules import SpecError
    from lrtui.schedules.lint import lint

    try:
        plan = build_plan(args.spec, args)
    except SpecError as exc:
        return _fail(exc)
    found = lint(plan)
    if found and found[0].code == "invalid":
        return _fail(found[0].message)
    lines = [] if found else ["no problems found"]
    for item in found:
        where = f" [{item.path}]" if item.path else ""
        lines += [f"{item.severity}: {item.code}{where}: {item.message}", f"    fix: {item.fix}"]
    _out("\n".join(lines) + "\n")
    return 1 if any(x.severity == "error" for x in found) else 0


def cmd_export(args: argparse.Namespace) -> int:
    from lrtui.schedules import SpecError, resolve
    from lrtui.schedules.export import export

    try:
        plan = build_plan(args.spec, args)
        to = args.to
        if to is None:
            lib = resolve(plan.spec, plan.context()).kind.library
            to = lib if lib in ("torch", "transformers", "timm") else "torch"
        text = export(plan, to)
    except SpecError as exc:
        return _fail(exc)
    _out(text)
    return 0


__all__ = [
    "add_subcommands",
    "build_plan",
    "catalogue_text",
    "cmd_export",
    "cmd_lint",
    "cmd_plot",
    "draw",
    "summary",
]
