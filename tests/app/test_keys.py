"""Every key a screen offers (its footer and its `?` help), pressed with `pilot.press`, does what it says.

The list of keys comes from the screens' BINDINGS (`keys.offered`): a binding added later without a
check here fails `missing_checks`. Screens: preview (plot, picker, nested-schedule keys), help, child
editor, palette, runs, confirm dialogs, compare, monitor (of a live RunLogger run), launch form.
Regression: before the fix `r` was dead on every screen (its binding was appended after Textual had read
the class's BINDINGS).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, TabbedContent

from lrtui.screens.doctor import DoctorScreen
from lrtui.screens.help import HelpScreen
from lrtui.screens.launch import LaunchScreen
from lrtui.screens.monitor import RunMonitorScreen
from lrtui.screens.preview import PreviewScreen
from lrtui.screens.runs import CompareScreen, RunsScreen, shared_metrics
from lrtui.widgets.form.child_editor import ChildEditor
from lrtui.widgets.form.schedule_form import ChildInput
from lrtui.widgets.plot import CurvePlot
from lrtui.widgets.runs.confirm import ConfirmScreen
from lrtui.widgets.runs.export_csv import ExportCsvScreen
from lrtui.widgets.runs.grid import MetricsGrid
from lrtui.widgets.runs.output import OutputPane
from lrtui.widgets.runs.panels import LrPanel
from tests.app.idle import settle
from tests.app.keys import KeysApp, missing_checks, offered, press_all, wait_for
from tests.app.live_run import live_run
from tests.monitor.helpers import copy_fixture

SIZE = (130, 40)


async def _preview(pilot) -> PreviewScreen:
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, PreviewScreen) and app.screen.curve is not None, "preview"
    )
    await wait_for(
        pilot, lambda: bool(app.screen.query("ParamField")), "the form (mounted after the first frame)"
    )
    return app.screen


def _plot(screen) -> CurvePlot:
    return screen.query_one("#plot", CurvePlot)


async def _closes_modal(pilot, modal_type, key: str) -> None:
    await pilot.press(key)
    await wait_for(
        pilot, lambda: isinstance(pilot.app.screen, modal_type), f"{modal_type.__name__} after {key}"
    )
    await pilot.press("escape")
    await wait_for(
        pilot, lambda: not isinstance(pilot.app.screen, modal_type), f"{modal_type.__name__} closed"
    )


# -- the preview -------------------------------------------------------------------------------------------


async def test_every_preview_key_does_what_it_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ctrl+s saves the export under its default (relative) file name
    app = KeysApp(runs_dir=str(copy_fixture(tmp_path)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        plot = _plot(screen)
        tabs = screen.query_one(TabbedContent)

        async def press_toggle(key, read):
            before = read()
            await pilot.press(key)
            await pilot.pause()
            assert read() != before, f"{key} changed nothing"
            await pilot.press(key)  # and back
            await pilot.pause()
            assert read() == before

        async def tab(key, name):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == name and screen.query_one("#sidebar").display

        async def pin(key):
            assert screen.pins == []
            await pilot.press("p")
            assert len(screen.pins) == 1
            await pilot.press("u" if key == "p" else key)  # u unpins the last, U clears them all
            assert screen.pins == []

        async def momentum(key):
            shown, said = screen.show_momentum, len(app.messages)
            await pilot.press(key)
            await pilot.pause()
            assert screen.show_momentum != shown or "does not drive momentum" in " ".join(app.messages[said:])
            if screen.show_momentum != shown:
                await pilot.press(key)

        async def cursor(key):
            # The preview's cursor is an optimizer step (lrtui.widgets.preview): each key's exact move.
            await pilot.press("escape")  # the plot has the focus: its keys move the cursor
            await pilot.press("home")
            assert screen.cursor_step() == 0
            await pilot.press("end")
            last = screen.curve.n - 1
            assert screen.cursor_step() == last
            await pilot.press("home")
            start = {"left": 500, "shift+left": 500, "ctrl+left": 500}.get(key, 0)
            if start:
                await pilot.press("g", *str(start), "enter")
                await wait_for(pilot, lambda: screen.cursor_step() == start, "g to step 500")
            elif key == "left_square_bracket":
                await pilot.press("end")
            await pilot.press(key)
            moved = screen.cursor_step()
            markers = sorted({round(m.step) for m in screen.curve.markers if 0 <= m.step < screen.curve.n})
            column = max(1, round(plot.steps_per_column()))
            expected = {
                "right": 1,
                "left": 499,
                "shift+right": 10,
                "shift+left": 490,
                "ctrl+right": column,
                "ctrl+left": 500 - column,
                "home": 0,
                "end": last,
                "right_square_bracket": next(m for m in markers if m > 0),
                "left_square_bracket": max(m for m in markers if m < last),
            }[key]
            assert moved == expected, f"{key}: cursor at {moved}, expected {expected}"
            assert screen.query_one("#readout").info.step == moved

        async def goto(key):
            await pilot.press("escape", key)
            await wait_for(pilot, lambda: app.screen is not screen, "the go-to prompt")
            await pilot.press(*"123", "enter")
            await wait_for(pilot, lambda: app.screen is screen, "back")
            assert screen.cursor_step() == 123

        async def pick(key):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == "tab-pick" and app.focused is not None and app.focused.id == "picker-filter"
            await pilot.press("escape")
            assert app.focused is plot

        async def picker_filter(key):
            await pilot.press("slash", "down")  # into the picker's list
            await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "picker-list", "list")
            await pilot.press(key)
            assert app.focused.id == "picker-filter"
            await pilot.press("escape")

        async def focus_spec(key):
            spec = screen.query_one("#spec", Input)
            await pilot.press(key)
            assert spec.has_focus and spec.selection.start == 0 and spec.selection.end == len(spec.value)
            await pilot.press("escape")
            assert plot.has_focus

        async def focus_plot(key):
            await pilot.press("ctrl+l")
            await pilot.press(key)
            assert plot.has_focus

        async def copy(key):
            await pilot.press("e")  # the export tab (the panel copies what it shows)
            await pilot.press("escape")
            await pilot.press(key)
            await pilot.pause()
            assert "scheduler" in app.clipboard

        async def save(key):
            await pilot.press(key)
            await wait_for(pilot, lambda: any(tmp_path.glob("*.py")), "the saved export")
            assert "scheduler" in next(tmp_path.glob("*.py")).read_text()
            await pilot.press("escape")

        async def edit_child(key):
            child = screen.query(ChildInput).first()
            child.focus()
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, ChildEditor), "child editor")
            assert app.screen.query_one("#child-spec", Input).value == child.value
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, "back")
            await pilot.press("escape")

        async def launch(key):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, LaunchScreen), "launch form")
            assert app.screen.values()["spec"] == str(screen.plan.spec)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, "back")

        async def runs(key):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.listings, "runs")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, "back")

        checks = {
            "help": lambda key: _closes_modal(pilot, HelpScreen, key),
            "command_palette": lambda key: _closes_modal(pilot, CommandPalette, key),
            "pick": pick,
            "pin": pin,
            "unpin": pin,
            "clear_pins": pin,
            "toggle_log": lambda key: press_toggle(key, lambda: plot.figure.log_y),
            "toggle_x": lambda key: press_toggle(key, lambda: screen.x_unit),
            "toggle_momentum": momentum,
            "zoom": lambda key: press_toggle_cycle(pilot, key, lambda: screen.zoom),
            "show_tab('tab-schedule')": lambda key: tab(key, "tab-schedule"),
            "show_tab('tab-lint')": lambda key: tab(key, "tab-lint"),
            "show_tab('tab-export')": lambda key: tab(key, "tab-export"),
            "copy_export": copy,
            "save_export": save,
            "toggle_sidebar": lambda key: press_toggle(key, lambda: screen.query_one("#sidebar").display),
            "focus_spec": focus_spec,
            "focus_plot": focus_plot,
            **dict.fromkeys(
                (
                    "cursor('units', -1)",
                    "cursor('units', 1)",
                    "cursor('units', -10)",
                    "cursor('units', 10)",
                    "cursor('columns', -1)",
                    "cursor('columns', 1)",
                    "cursor('home', 0)",
                    "cursor('end', 0)",
                    "cursor('marker', -1)",
                    "cursor('marker', 1)",
                ),
                cursor,
            ),
            "goto": goto,
            "edit_child": edit_child,
            "focus_filter": picker_filter,
            "launch": launch,
            "runs": runs,
            "quit": None,  # last, in test_quit_keys_end_the_app
            "quit_key": None,
        }
        pairs = offered(app)
        assert not missing_checks(pairs, checks), "keys without a check"
        assert {"r", "t", "question_mark", "ctrl+p", "ctrl+l", "slash"} <= {k for k, _ in pairs}
        for key, action in pairs:
            if checks[action] is None:
                continue
            await pilot.press("escape")  # start each check from the plot
            await checks[action](key)
            assert app.screen is screen, f"{key} ({action}) left {app.screen!r} open"


def chart_checks(pilot, get_plot) -> dict:
    """Checks for a CurvePlot's keys (cursor and log y) on whatever chart `get_plot()` returns."""

    async def cursor(key):
        plot = get_plot()
        plot.focus()
        await pilot.press("home")
        start = plot.cursor_index
        await pilot.press("end")
        end = plot.cursor_index
        assert start is not None and end is not None and end > start
        await pilot.press(key)
        if key in ("left", "shift+left"):
            assert plot.cursor_index < end
        elif key == "home":
            assert plot.cursor_index == start
        elif key in ("right", "shift+right"):
            await pilot.press("home", key)
            assert plot.cursor_index > start

    async def log(key):
        plot = get_plot()
        plot.focus()
        before = plot.figure.log_y
        await pilot.press(key)
        await wait_for(pilot, lambda: plot.figure.log_y != before, "log y")
        await pilot.press(key)
        await wait_for(pilot, lambda: plot.figure.log_y == before, "linear y")

    actions = (
        "move_cursor(-1)",
        "move_cursor(1)",
        "move_cursor(-10)",
        "move_cursor(10)",
        "cursor_home",
        "cursor_end",
    )
    return {**dict.fromkeys(actions, cursor), "toggle_log": log}


async def press_toggle_cycle(pilot, key, read):
    seen = {read()}
    for _ in range(3):
        await pilot.press(key)
        await pilot.pause()
        seen.add(read())
    assert len(seen) > 1, f"{key} changed nothing"
    while read() != "full":
        await pilot.press(key)


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quit_keys_end_the_app(key):
    app = KeysApp()
    async with app.run_test(size=SIZE) as pilot:
        await _preview(pilot)
        await pilot.press(key)
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_help_closes_with_every_key_it_offers():
    app = KeysApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        pairs = [(key, action) for key, action in offered(app) if action not in ("quit", "command_palette")]
        assert {action for _, action in pairs} == {"dismiss"}  # (and the app's ctrl+q, ctrl+p)
        assert {key for key, _ in pairs} == {"escape", "question_mark", "f1", "q"}
        for key, _ in pairs:
            if not isinstance(app.screen, HelpScreen):
                await pilot.press("f1")
                await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
            await pilot.press(key)
            await wait_for(pilot, lambda: app.screen is screen, f"help closed by {key}")


async def test_child_editor_keys_cancel_and_accept():
    app = KeysApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _preview(pilot)
        child = screen.query(ChildInput).first()
        before = child.value
        checks = {"cancel": None, "accept": None, "quit": None, "command_palette": None}
        for key in ("escape", "ctrl+s"):
            child.focus()
            await pilot.press("ctrl+e")
            await wait_for(pilot, lambda: isinstance(app.screen, ChildEditor), "child editor")
            assert not missing_checks(offered(app), checks)
            if key == "ctrl+s":
                spec = app.screen.query_one("#child-spec", Input)
                spec.focus()
                await pilot.press("ctrl+a", "ctrl+k", *"LinearLR(start_factor=0.5, total_iters=500)")
            await pilot.press(key)
            await wait_for(pilot, lambda: app.screen is screen, "editor closed")
            await settle(pilot)
            if key == "escape":
                assert child.value == before
            else:
                assert child.value == "LinearLR(start_factor=0.5, total_iters=500)"
                assert "start_factor=0.5" in screen.query_one("#spec", Input).value


# -- runs, confirmations, compare ----------------------------------------------------------------------------


async def _runs(pilot) -> RunsScreen:
    app = pilot.app
    await _preview(pilot)
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.listings > 0, "runs")
    return app.screen


def _row_of(screen: RunsScreen, fragment: str) -> int:
    return next(i for i, run_id in enumerate(screen.order) if fragment in run_id)


async def test_every_runs_screen_key_and_its_dialogs(tmp_path):
    runs_dir = copy_fixture(tmp_path)
    with live_run(runs_dir, steps=100_000, step_delay=0.01) as live:
        app = KeysApp(runs_dir=str(runs_dir))
        async with app.run_test(size=SIZE) as pilot:
            screen = await _runs(pilot)
            await wait_for(pilot, lambda: live.name in screen.order, "the live run listed")

            async def at(fragment):
                screen.query_one("LazyTable").move_cursor(row=_row_of(screen, fragment))
                await pilot.pause()
                return screen.current()

            async def back(key):
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), "the preview")
                await pilot.press("r")
                await wait_for(pilot, lambda: app.screen is screen, "runs again")

            async def open_run(key):
                await at("a001")
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "monitor")
                assert app.screen.run_dir.name.endswith("a001")
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, "runs again")

            async def select(key):
                run = await at("a001")
                await pilot.press(key)
                assert run.id in screen.selected
                await at("a001")
                await pilot.press(key)
                assert run.id not in screen.selected

            async def compare(key):
                for fragment in ("a001", "a002"):
                    await at(fragment)
                    await pilot.press("space")
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "compare")
                compare_screen = app.screen
                await wait_for(pilot, lambda: compare_screen.runs is not None, "runs loaded")
                assert [r.run_id[-4:] for r in compare_screen.runs] == ["a001", "a002"]
                first = compare_screen.runs
                await pilot.pause()
                charts = chart_checks(pilot, lambda: compare_screen.query_one("#compare-lr", CurvePlot))

                async def next_metric(key):  # m: the third chart cycles through the metrics both logged
                    await pilot.press(key)
                    await pilot.pause()
                    assert compare_screen.metric is not None
                    assert compare_screen.metric in compare_screen.query_one("#compare-acc-caption").content
                    for _ in range(len(shared_metrics(compare_screen.runs))):
                        await pilot.press(key)
                    await pilot.pause()
                    assert compare_screen.metric is None  # back to accuracy

                compare_checks = {"back": None, "reload": None, "help": None, "command_palette": None}

                async def compare_x(key):
                    lr = compare_screen.query_one("#compare-lr", CurvePlot)
                    await pilot.press(key)
                    assert compare_screen.x_unit == "epochs" and lr.figure.xlabel == "epoch"
                    await pilot.press(key)
                    assert compare_screen.x_unit == "steps" and lr.figure.xlabel == "step"

                compare_checks["toggle_x"] = compare_x
                compare_checks.update({**charts, "next_metric": next_metric, "quit": None, "quit_key": None})
                pairs = offered(app)
                assert not missing_checks(pairs, compare_checks)
                for key, action in pairs:
                    if compare_checks[action] is not None:
                        await compare_checks[action](key)
                await _closes_modal(pilot, HelpScreen, "question_mark")
                await _closes_modal(pilot, CommandPalette, "ctrl+p")
                await pilot.press("r")  # reload
                await wait_for(pilot, lambda: compare_screen.runs is not first, "reloaded")
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, "runs again")
                screen.selected.clear()

            async def stop(key):
                said = len(app.messages)
                await at("a001")  # finished: nothing to stop
                await pilot.press(key)
                await pilot.pause()
                assert "nothing to stop" in " ".join(app.messages[said:])
                await at(live.name)  # live: asks first; n, y... never y here (it is this test's own pid)
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "stop confirmation")
                assert not missing_checks(offered(app), {"answer(True)": 1, "answer(False)": 1, "quit": 1})
                await pilot.press("n")
                await wait_for(pilot, lambda: app.screen is screen, "dialog closed")
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "stop confirmation")
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, "dialog closed")
                assert (live / "status.json").read_text().count('"running"') == 1

            async def resume(key):
                said = len(app.messages)
                await at("a001")
                await pilot.press(key)
                await pilot.pause()
                assert "nothing to resume" in " ".join(app.messages[said:])

            async def expand(key):
                said = len(app.messages)
                await at("a001")  # a single run: says what x is for (sweep groups have their own tests)
                await pilot.press(key)
                await pilot.pause()
                assert "sweep group" in " ".join(app.messages[said:])

            async def delete(key):
                run = await at("a002")
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "delete confirmation")
                await pilot.press("n")
                await wait_for(pilot, lambda: app.screen is screen, "dialog closed")
                assert run.dir.exists()
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "delete confirmation")
                await pilot.press("y")
                await wait_for(pilot, lambda: not run.dir.exists(), "the run deleted")
                await wait_for(pilot, lambda: run.id not in screen.order, "the list updated")

            async def best_of(key):  # b: which metric the best/last columns show (a name or a regex)
                prompt = screen.query_one("#runs-metric", Input)
                await pilot.press(key)
                await pilot.pause()
                assert prompt.has_class("shown") and prompt.has_focus
                await pilot.press(*"train_loss", "enter")
                await wait_for(pilot, lambda: screen.metric == "train_loss", "the metric chosen")
                assert not prompt.has_class("shown") and "best of train_loss" in str(
                    screen.query_one("#runs-title").content
                )
                await pilot.press(key, "ctrl+u", "enter")  # empty: test accuracy again
                await wait_for(pilot, lambda: screen.metric is None, "test accuracy again")

            table = screen.query_one("LazyTable")

            async def moves(key, expected):  # the list's cursor keys, from the second row
                await at(screen.order[1][-4:])
                await pilot.press(key)
                assert table.cursor_row == expected(len(screen.order)), key
                assert screen.current() is screen.summaries[screen.order[table.cursor_row]]

            async def sideways(key):  # left/right scroll a list wider than the screen (else nothing)
                before = table.scroll_x
                await pilot.press(key)
                await pilot.pause()
                assert table.scroll_x == before or table.max_scroll_x > 0

            checks = {
                "back": back,
                "open": open_run,
                "choose": open_run,
                "cursor_up": lambda key: moves(key, lambda n: 0),
                "cursor_down": lambda key: moves(key, lambda n: 2),
                "page_up": lambda key: moves(key, lambda n: 0),
                "page_down": lambda key: moves(key, lambda n: n - 1),  # the few runs fit on one page
                "first": lambda key: moves(key, lambda n: 0),
                "last": lambda key: moves(key, lambda n: n - 1),
                "scroll_left": sideways,
                "scroll_right": sideways,
                "choose_metric": best_of,
                "toggle_select": select,
                "compare": compare,
                "stop": stop,
                "resume": resume,
                "delete": delete,
                "expand": expand,
                "help": lambda key: _closes_modal(pilot, HelpScreen, key),
                "command_palette": lambda key: _closes_modal(pilot, CommandPalette, key),
                "quit": None,
                "quit_key": None,
            }
            await press_all(app, offered(app), checks, lambda: app.screen is screen)


# -- the monitor of a live run -------------------------------------------------------------------------------


async def test_every_monitor_key_on_a_live_run(tmp_path):
    runs_dir = tmp_path / "runs"
    with live_run(runs_dir, steps=100_000, step_delay=0.01) as live:
        app = KeysApp(runs_dir=str(runs_dir))
        async with app.run_test(size=SIZE) as pilot:
            runs = await _runs(pilot)
            await wait_for(pilot, lambda: runs.order == [live.name], "the live run listed")
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: isinstance(app.screen, RunMonitorScreen) and app.screen.drawn is not None,
                "monitor drawn",
            )
            screen = app.screen
            lr = screen.query_one(LrPanel)
            await wait_for(pilot, lambda: lr.plot.figure.series and screen.latest.n > 50, "lr drawn")
            assert "? Help" in "".join(str(k) for k in offered(app)) or ("question_mark", "help") in offered(
                app
            )
            # `?` lists what the footer offers: a one-process run has no rank keys; lrtui's own run can be stopped
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
            ids = [row[3] for row in app.screen.rows]
            assert "monitor.stop" in ids and "monitor.toggle_ranks" not in ids, ids
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, "help closed")

            async def back(key):
                await pilot.press(key)
                await wait_for(pilot, lambda: app.screen is runs, "the runs list")
                await pilot.press("enter")
                await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "monitor again")

            async def warmup(key):
                lr = current().query_one(LrPanel)
                await pilot.press(key)
                await wait_for(pilot, lambda: lr.warmup_zoom and lr.plot.figure.x_range is not None, "zoom")
                await pilot.press(key)
                await wait_for(pilot, lambda: not lr.warmup_zoom and lr.plot.figure.x_range is None, "unzoom")

            async def ema(key):
                beta = current().ema_beta
                await pilot.press(key)
                await pilot.pause()
                assert current().ema_beta != beta
                await pilot.press("minus" if key in ("plus", "equals_sign") else "plus")
                assert current().ema_beta == beta

            async def group(key):
                panel = current().query_one(LrPanel)
                await pilot.press(key)
                await wait_for(pilot, lambda: panel.group == 1, "group 2")
                await pilot.press(key)
                await wait_for(pilot, lambda: panel.group == 0, "group 1")

            async def stop(key):
                await pilot.press(key)  # live: a confirmation first (answered no: it is this test's pid)
                await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "stop confirmation")
                await pilot.press("n")
                await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "dialog closed")

            async def runs_key(key):
                await pilot.press(key)
                await wait_for(pilot, lambda: app.screen is runs, "the runs list (r from its monitor)")
                await pilot.press("enter")
                await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "monitor again")

            async def doctor(key):
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, DoctorScreen), "the LR doctor")
                await pilot.press("escape")
                await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "monitor again")

            async def ranks_only(key):  # k / K: a torchrun job's rank panel; this run has one process
                await pilot.press(key)
                await pilot.pause()
                assert not current().has_ranks and current().side == "device"

            async def metrics(key):  # m: every other logged metric, a chart each
                await pilot.press(key)
                await wait_for(pilot, lambda: current().view == "metrics", "the metric grid")
                assert current().query_one(MetricsGrid).display
                await pilot.press(key)
                await wait_for(pilot, lambda: current().view == "panels", "the panels again")

            async def filter_(key):  # /: the metric grid, filtered as the pattern is typed
                grid = current().query_one(MetricsGrid)
                await pilot.press(key, *"loss")
                await wait_for(pilot, lambda: grid.pattern == "loss", "the filter typed")
                assert current().view == "metrics" and current().prompt_mode == "filter"
                await pilot.press("escape")  # restores the filter it had
                await wait_for(
                    pilot, lambda: current().prompt_mode is None and grid.pattern == "", "restored"
                )
                await pilot.press("m")
                await wait_for(pilot, lambda: current().view == "panels", "the panels again")

            async def output(key):  # o: the run's console output (stdout.log) in a pane
                pane = current().query_one(OutputPane)
                await pilot.press(key)
                await wait_for(pilot, lambda: pane.display and pane.view is not None, "the output pane")
                await pilot.press(key)
                await wait_for(pilot, lambda: not pane.display, "the pane closed")

            async def search_next(key):  # n/N: the next/previous line matching the output search
                pane = current().query_one(OutputPane)
                await pilot.press("o")
                await wait_for(pilot, lambda: pane.display and pane.log_widget.has_focus, "the output pane")
                await pilot.press("slash", *"step", "enter")
                await wait_for(pilot, lambda: current().search_pattern == "step", "the search")
                await pilot.press(key)
                await pilot.pause()
                assert pane.display and current().search_pattern == "step"
                await pilot.press("o")
                await wait_for(pilot, lambda: not pane.display, "the pane closed")

            async def page(key):  # pgup/pgdn: pages of the metric grid (one page here: it stays)
                grid = current().query_one(MetricsGrid)
                await pilot.press("m")
                await wait_for(pilot, lambda: current().view == "metrics", "the metric grid")
                await pilot.press(key)
                await pilot.pause()
                assert grid.page == 0
                await pilot.press("m")
                await wait_for(pilot, lambda: current().view == "panels", "the panels again")

            async def export(key):  # ctrl+s: save what is shown, every point, as CSV (escape cancels)
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, ExportCsvScreen), "the export dialog")
                await pilot.press("escape")
                await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "monitor again")

            def current() -> RunMonitorScreen:
                return app.screen

            checks = {
                "back": back,
                "warmup_zoom": warmup,
                "ema(1)": ema,
                "ema(-1)": ema,
                "next_group": group,
                "stop_run": stop,
                "doctor": doctor,
                "toggle_ranks": ranks_only,
                "rank_order": ranks_only,
                "toggle_metrics": metrics,
                "slash": filter_,
                "toggle_output": output,
                "search_next(1)": search_next,
                "search_next(-1)": search_next,
                "page(1)": page,
                "page(-1)": page,
                "export_csv": export,
                **chart_checks(pilot, lambda: current().query_one(LrPanel).plot),
                "runs": runs_key,
                "help": lambda key: _closes_modal(pilot, HelpScreen, key),
                "command_palette": lambda key: _closes_modal(pilot, CommandPalette, key),
                "quit": None,
                "quit_key": None,
            }
            assert ("r", "runs") in offered(app)
            await press_all(app, offered(app), checks, lambda: isinstance(app.screen, RunMonitorScreen))


# -- the launch form: a real (tiny) run is launched, watched and stopped -------------------------------------


async def test_launch_form_keys_launch_a_real_run_and_escape_cancels(tmp_path):
    runs_dir = tmp_path / "runs"
    app = KeysApp(spec="StepLR(step_size=2, gamma=0.5)", runs_dir=str(runs_dir))
    async with app.run_test(size=SIZE) as pilot:
        preview = await _preview(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, LaunchScreen), "launch form")
        assert not missing_checks(
            offered(app),
            {"cancel": 1, "launch": 1, "launch('lr_find')": 1, "help": 1, "command_palette": 1, "quit": 1},
        )
        assert not {"runs", "quit_key"} & {action for _, action in offered(app)}  # a form: letters type
        await _closes_modal(pilot, HelpScreen, "f1")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is preview, "cancelled")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, LaunchScreen), "launch form")
        form = app.screen
        for field, value in {
            "dataset": "synthetic",
            "synthetic_train_size": "256",
            "model": "lenet",
            "epochs": "1",
            "batch_size": "64",
            "device": "cpu",
        }.items():
            widget = form.query_one(f"#field-{field}")
            if isinstance(widget, Input):
                widget.focus()
                await pilot.press("ctrl+a", "ctrl+k", *value)
            else:
                widget.value = value
            await pilot.pause()
        assert not form.errors, form.errors
        # ctrl+f (an LR range test first) and ctrl+s check every field before anything starts
        epochs = form.query_one("#field-epochs", Input)
        epochs.focus()
        await pilot.press("ctrl+a", "ctrl+k", "x")
        for key in ("ctrl+f", "ctrl+s"):
            said = len(app.messages)
            await pilot.press(key)
            await pilot.pause()
            assert "need fixing" in " ".join(app.messages[said:]) and app.screen is form
        await pilot.press("ctrl+a", "ctrl+k", "1")
        await pilot.pause()
        assert not form.errors, form.errors
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "the new run's monitor", 60)
        monitor = app.screen
        await wait_for(
            pilot, lambda: monitor.latest is not None and monitor.latest.state == "finished", "done", 180
        )
        run_dir = Path(monitor.run_dir)
        assert run_dir.parent == runs_dir and (run_dir / "metrics.jsonl").stat().st_size > 0


# -- the LR doctor (d on a run's monitor) ---------------------------------------------------------------------


async def test_every_doctor_key(tmp_path):
    from tests.monitor.test_doctor_screen import _per_epoch_run

    runs_dir = tmp_path / "runs"
    run_dir = _per_epoch_run(runs_dir)  # a run stepped once per epoch although its plan steps per step
    app = KeysApp(runs_dir=str(runs_dir))
    async with app.run_test(size=SIZE) as pilot:
        await _runs(pilot)

        async def to_doctor() -> DoctorScreen:
            if not isinstance(app.screen, RunsScreen):
                await pilot.press("r")  # the runs mode kept its screens: runs, monitor, doctor
                await wait_for(pilot, lambda: isinstance(app.screen, (RunsScreen, DoctorScreen)), "runs")
                if isinstance(app.screen, DoctorScreen):
                    return app.screen
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: isinstance(app.screen, RunMonitorScreen) and app.screen.drawn is not None,
                "the monitor",
            )
            await pilot.press("d")
            await wait_for(
                pilot, lambda: isinstance(app.screen, DoctorScreen) and app.screen.runs > 0, "a diagnosis"
            )
            return app.screen

        doctor = await to_doctor()

        async def back(key):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, RunMonitorScreen), "the monitor again")
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, DoctorScreen), "the doctor again")

        async def open_preview(key):
            # o: the schedule the LR followed (inferred); p: the plan the run declared
            want = current().result.report.inferred.spec if key == "o" else None
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, PreviewScreen), "the preview")
            preview = app.screen
            if want is not None:
                await wait_for(pilot, lambda: str(preview.plan.spec) == want, "the inferred schedule")
            else:
                await wait_for(pilot, lambda: str(preview.plan.spec).startswith("SequentialLR"), "the plan")
                assert preview.plan.base_lrs == (0.1,) and preview.plan.steps_per_epoch == 20
            await to_doctor()

        async def rerun(key):
            before = current().runs
            await pilot.press(key)
            await wait_for(pilot, lambda: current().runs > before, "a second diagnosis")

        async def group(key):
            await pilot.press(key)  # one group: stays on it, still drawn
            await pilot.pause()
            assert current().group >= 0

        def current() -> DoctorScreen:
            return app.screen

        checks = {
            "back": back,
            "open_preview('inferred')": open_preview,
            "open_preview('declared')": open_preview,
            "rerun": rerun,
            "next_group": group,
            "help": lambda key: _closes_modal(pilot, HelpScreen, key),
            "command_palette": lambda key: _closes_modal(pilot, CommandPalette, key),
            "quit": None,
            "quit_key": None,
        }
        assert doctor.run_dir == run_dir
        await press_all(app, offered(app), checks, lambda: isinstance(app.screen, DoctorScreen))
