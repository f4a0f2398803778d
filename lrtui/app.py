"""The Textual application. `lrtui` opens the preview screen; more screens plug in here.

Extension points (for the runs / monitor screens and the launch form):

- `LrtuiApp.MODES`: one entry per top-level screen, a Screen class (or a callable returning a screen)
  that takes no arguments; read what you need from the app (`app.initial_spec`, `app.runs_dir`).
  Its key goes in `LrtuiApp.BINDINGS` with an id (`r` -> `action_runs`: a `switch_mode` that also leads
  back down to the runs list from a monitor opened there). Textual reads a class's BINDINGS once, when
  the class is created: a binding appended later is dead (that is how `r` once did nothing).
  `DEFAULT_MODE` is "preview".
- Modal screens (help, child editor, confirmations) are pushed with `push_screen(screen, callback)`.
- Messages shared between screens and widgets live in `lrtui/messages.py`.
- Command palette: `AppCommands` lists every binding of the active screen and of the app, plus a
  "Switch to: ..." per mode; a screen adds its own entries with `COMMANDS = {ItsProvider}` (see
  `lrtui/screens/preview.py: PreviewCommands`).
- Screens provide `help_sections() -> [(title, bindings)]` for the generated `?` overlay.

Startup never imports torch (`lrtui.training`): the app must paint its first frame well under a second.
Set LRTUI_EXIT_AFTER_FIRST_FRAME=<file> to write the wall-clock time (`time.time()`) of the first frame
written to the terminal that shows the drawn curve to <file>, and exit: benchmarks/app.py measures cold
start with it. The settings/schedule form and the hidden tabs mount right after that frame (lrtui.widgets.deferred, textual Lazy made safe on quit).
"""

from __future__ import annotations

import gc
import os
import sys
import time

# Textual repaints dirty widgets on a timer that starts when something changes, so each edit waits up to a
# whole frame period before the new curve is drawn: 120 fps halves that wait (frames are still only drawn
# when something changed). Must be set before textual is imported; TEXTUAL_FPS in the environment wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from lrtui.app_base import LrtuiBaseApp
from lrtui.commands import ListedCommands
from lrtui.heap import keep_large_arrays
from lrtui.screens.preview import PreviewScreen

DEFAULT_THEME = "textual-dark"


class AppCommands(ListedCommands):
    """Every action that has a binding (active screen + app), and a switch per mode."""

    def _commands(self) -> list[tuple[str, Callable, str]]:
        app = self.app
        screen = self.screen
        out: list[tuple[str, Callable, str]] = []
        seen: set[str] = set()
        for owner, bindings in ((screen, getattr(screen, "BINDINGS", [])), (app, app.BINDINGS)):
            for b in bindings:
                if not isinstance(b, Binding) or not b.description or b.action in seen:
                    continue
                name = b.action.split("(", 1)[0]
                if name == "command_palette" or owner.check_action(name, ()) is False:
                    continue  # the palette itself, and actions this screen does not offer (e.g. Train)
                seen.add(b.action)
                key = app.get_key_display(Binding(b.key.split(",")[0], b.action))
                out.append((b.description, _runner(owner, b.action), f"{b.tooltip or b.description} [{key}]"))
        for mode in app.MODES:
            if mode != app.current_mode:
                out.append(
                    (f"Switch to: {mode}", lambda m=mode: app.switch_mode(m), f"open the {mode} screen")
                )
        return out


def _runner(owner, action: str) -> Callable:
    async def run() -> None:
        await owner.run_action(action)

    return run


def _runs_screen():
    # Imported on first use: the runs/monitor screens are not needed for the first frame.
    from lrtui.screens.runs import RunsScreen

    return RunsScreen()


class LrtuiApp(LrtuiBaseApp):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses elsewhere still find it
    TITLE = "lrtui"
    SUB_TITLE = "learning-rate schedules, exactly"
    MODES: ClassVar[dict] = {"preview": PreviewScreen, "runs": _runs_screen}
    DEFAULT_MODE = "preview"
    COMMANDS: ClassVar[set] = LrtuiBaseApp.COMMANDS | {AppCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit_key", "Quit", id="app.quit", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit_ctrl", priority=True),
        # show=False: the footer already shows the palette key on its right edge (no duplicate entry)
        Binding("ctrl+p", "command_palette", "Commands", id="app.command_palette", priority=True, show=False),
        Binding("t", "launch", "Train", id="app.launch", tooltip="Launch a training run with this schedule"),
        Binding(
            "r", "runs", "Runs", id="app.mode_runs", tooltip="Every run: open, stop, resume, delete, compare"
        ),
        # Every screen's keys (the preview has its own, richer help on the same keys).
        Binding("question_mark,f1", "help", "Help", id="app.help", key_display="?"),
    ]

    trainer_python = sys.executable  # the interpreter the launch form starts trainers with

    def __init__(
        self,
        spec: str | None = None,
        runs_dir: str | None = None,
        *,
        theme: str | None = None,
        watch: str | None = None,
        watch_options: dict | None = None,
        scan_roots: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.initial_spec = spec
        self.runs_dir = runs_dir
        self.watch_dir = watch  # `lrtui watch RUN`: open this run's monitor over the preview
        self.watch_options = watch_options or {}  # source_format / output_log for `lrtui watch PATH`
        # `lrtui --scan DIR`: the runs screen scans these (else the settings file's roots)
        self.scan_roots = scan_roots or None
        self.theme = theme or os.environ.get("LRTUI_THEME") or DEFAULT_THEME
        self._first_frame_file = os.environ.get("LRTUI_EXIT_AFTER_FIRST_FRAME")
        self._first_frame_done = False

    def _display(self, screen, renderable) -> None:
        # Benchmark hook (LRTUI_EXIT_AFTER_FIRST_FRAME): after the first frame that shows the drawn curve has
        # been written to the terminal, record the time and exit. Textual's private `_display` is the one
        # place where a frame is written; the hook is inert without the env var.
        super()._display(screen, renderable)
        if not self._first_frame_file or renderable is None or self._first_frame_done:
            return
        plot = next(iter(screen.query("#plot")), None) if isinstance(screen, PreviewScreen) else None
        if plot is not None and getattr(plot, "render_info", None) is not None:
            self._first_frame_done = True
            with open(self._first_frame_file, "w") as f:
                f.write(f"{time.time():.6f}\n")
            self.call_later(self.exit)

    def on_mount(self) -> None:
        # What exists after the first frame (the modules, the stylesheet, the screen's widgets: ~100k objects)
        # lives as long as the app: kept out of the garbage collector's full passes, which otherwise scanned
        # it all every few hundred edits or frames (20-50 ms, a visible hitch at the p95 of edits).
        self.call_after_refresh(gc.freeze)  # undone on unmount (tests run many apps in one process)
        self.call_after_refresh(keep_large_arrays)  # each edit's curve reuses heap pages (lrtui.heap)
        if self.watch_dir:
            from lrtui.sweep.group import is_group_dir

            if is_group_dir(self.watch_dir):  # `lrtui watch GROUP`: the sweep's compare view
                from lrtui.screens.sweep import GroupCompareScreen

                self.push_screen(GroupCompareScreen(self.watch_dir))
                return
            from lrtui.screens.monitor import open_run_monitor

            open_run_monitor(self, self.watch_dir, **self.watch_options)

    def on_unmount(self) -> None:
        gc.unfreeze()  # what the app held is garbage now: collectable again

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `t` trains the schedule being previewed: only offered (and shown in the footer) on the preview.
        if action == "launch" and self.preview is None:
            return False
        # A dialog (help, confirmation, child editor) is answered or closed first: no mode switch under it.
        if action in ("switch_mode", "runs", "help") and isinstance(self.screen, ModalScreen):
            return False
        # The launch form is all fields (a letter is typing, or picks an option): of the app's keys it
        # offers only ctrl+q, ctrl+p and ?, besides its own escape and ctrl+s.
        launch = sys.modules.get("lrtui.screens.launch")  # not imported yet: the form was never opened
        if (
            action in ("runs", "quit_key")
            and launch is not None
            and isinstance(self.screen, launch.LaunchScreen)
        ):
            return False
        return super().check_action(action, parameters)

    async def action_quit_key(self) -> None:
        """`q`: quit (ctrl+q quits from anywhere; q only where a letter is not typing into a form)."""
        await self.action_quit()

    def action_help(self) -> None:
        """The keys of the current screen, of lrtui's widgets around the focus, and of the app."""
        from lrtui.screens.help import HelpScreen, screen_help_sections

        self.push_screen(HelpScreen(screen_help_sections(self, self.screen)))

    def action_runs(self) -> None:
        """The runs screen: switch to its mode, or back down to it (from a monitor opened there)."""
        if self.current_mode != "runs":
            self.switch_mode("runs")
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_launch(self) -> None:
        """Open the launch form prefilled with the preview's current (last valid) schedule."""
        preview = self.preview
        plan = preview.plan if preview is not None else None
        if plan is None:
            self.notify(
                "No valid schedule to train yet: fix the highlighted field first.", severity="warning"
            )
            return
        from lrtui.screens.launch import LaunchScreen
        from lrtui.screens.launch_choices import launch_prefill

        # After an LR range test's hand-off the form starts from that run's model, data and optimizer.
        defaults, extra = launch_prefill(preview.launch_from)
        self.push_screen(
            LaunchScreen(
                str(plan.spec),
                plan.base_lrs,
                plan.steps_per_epoch,
                plan.stepping,
                self.runs_dir,
                defaults=defaults,
                extra_config=extra,
                python=self.trainer_python,
            )
        )

    async def show_in_preview(self, plan, *, label: str, launch_from: dict | None = None) -> None:
        """Bring the preview forward showing `plan` (an LR range test's hand-off); `t` then launches it,
        with the launch form prefilled from `launch_from` (a run config)."""
        if self.current_mode != "preview":
            await self.switch_mode("preview")
        while not isinstance(self.screen, PreviewScreen) and len(self.screen_stack) > 1:
            await self.pop_screen()
        preview = self.preview
        if preview is None:  # pragma: no cover - the preview is always the preview mode's base screen
            return
        preview.launch_from = launch_from
        await preview.load_plan(plan, label=label)

    async def open_in_preview(self, plan: dict, *, label: str, launch_from: dict | None = None) -> bool:
        """`show_in_preview` for a plan in its file form (schedule, lr, steps, ...): the LR doctor's `o`/`p`.
        A bad plan is a notification, never an exception."""
        from lrtui.schedules import SpecError, plan_from_dict

        try:
            parsed = plan_from_dict(plan)
        except SpecError as exc:
            self.notify(f"cannot open that schedule: {exc}", severity="error")
            return False
        await self.show_in_preview(parsed, label=label, launch_from=launch_from)
        self.notify(str(parsed.spec), title=label, timeout=5)
        return True

    @property
    def preview(self) -> PreviewScreen | None:
        screen = self.screen
        return screen if isinstance(screen, PreviewScreen) else None


def run_app(
    spec: str | None = None,
    runs_dir: str | None = None,
    watch: str | None = None,
    watch_options: dict | None = None,
    scan_roots: list[str] | None = None,
) -> int:
    """Run the app; quitting it never stops a training run (runs are detached processes)."""
    return LrtuiApp(
        spec=spec, runs_dir=runs_dir, watch=watch, watch_options=watch_options, scan_roots=scan_roots
    ).run_reporting()
