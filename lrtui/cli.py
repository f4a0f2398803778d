"""`lrtui` command line. With no subcommand it opens the app; subcommands work without it.

Subcommand groups live next to the layer they drive and register themselves here through
`add_subcommands(subparsers)`: lrtui/cli_schedules.py (plot, lint, export) and lrtui/cli_runs.py
(train, runs, stop, resume, watch), lrtui/cli_sweep.py (sweep). Heavy imports (textual, torch) happen only inside the handlers.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from lrtui import __version__

# Modules that contribute subcommands; a module that is absent simply adds nothing.
SUBCOMMAND_MODULES = ("lrtui.cli_schedules", "lrtui.cli_runs", "lrtui.cli_sweep", "lrtui.cli_doctor")


def build_parser(*, subcommands: bool = True) -> argparse.ArgumentParser:
    """The command line's parser; without `subcommands`, only the app's own options (no module imported)."""
    parser = argparse.ArgumentParser(
        prog="lrtui",
        description="Preview any learning-rate schedule exactly, and train and watch runs live, in the terminal. "
        "With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"lrtui {__version__}")
    parser.add_argument("--spec", metavar="SPEC", help="open the preview on this schedule spec or plan file")
    parser.add_argument(
        "--runs-dir",
        metavar="DIR",
        help="where runs live (default: $LRTUI_RUNS_DIR or ~/.local/share/lrtui/runs)",
    )
    parser.add_argument(
        "--scan",
        action="append",
        default=[],
        metavar="DIR",
        help="the runs screen (r) also lists runs of any format under DIR (repeatable; default: the "
        "settings file's [runs] scan)",
    )
    parser.set_defaults(handler=_open_app)
    if not subcommands:
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    preview = sub.add_parser(
        "preview",
        help="open the app's preview on a spec or plan file",
        description="Open the app's preview screen on SPEC (a spec string or a .toml/.json plan).",
    )
    preview.add_argument("spec", metavar="SPEC")
    preview.set_defaults(handler=_open_app)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.add_subcommands(sub)
    return parser


def _open_app(args: argparse.Namespace) -> int:
    from lrtui.app import run_app

    return run_app(spec=getattr(args, "spec", None), runs_dir=args.runs_dir, scan_roots=args.scan or None)


# What a shell reports for a command killed by SIGPIPE (`yes | head`): 128 + 13. Python ignores SIGPIPE, so a
# write to a closed pipe raises BrokenPipeError instead; lrtui ends the way Unix tools do, quietly.
EXIT_CLOSED_PIPE = 141


def main(argv: list[str] | None = None) -> int:
    """Run one lrtui command; its exit status. Output into a pipe closed early (`| head`) ends it quietly."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # buffered output meets a closed pipe here, not in the interpreter's exit
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_CLOSED_PIPE
    return status


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush does not raise (and print) again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no stdout file descriptor (embedded, tests): nothing left to flush
        pass


def _app_args(argv: list[str]) -> argparse.Namespace | None:
    """`lrtui` with only the app's options (the common case): parsed without importing the subcommand
    modules, which the app's cold start does not need. None when argv names a command or asks for help."""
    if any(a in ("-h", "--help") for a in argv):
        return None  # the help lists the commands
    parser = build_parser(subcommands=False)
    parser.exit_on_error = False  # a bad option: the full parser reports it (with the commands' usage)
    try:
        args, rest = parser.parse_known_args(argv)
    except argparse.ArgumentError:
        return None
    return None if rest else args


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _app_args(argv)
    if args is not None:
        return _run(args)
    parser = build_parser()
    for name in SUBCOMMAND_MODULES:  # a module may name its default sub-action (`lrtui sweep ...` = start)
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "normalize_argv"):
            argv = module.normalize_argv(argv)
    return _run(parser.parse_args(argv))


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:
        raise  # the reader left: not a bug (main ends quietly)
    except Exception as exc:  # a bug: one line and a log file, never a traceback on the terminal
        from lrtui.crash import report_exception

        return report_exception(exc)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
