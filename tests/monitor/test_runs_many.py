"""The runs screen with hundreds of runs: keys, selection, compare, resizing and details filling in.

The runs are event files written by the real SummaryWriter (one run, copied into 300 directories), next to
the recorded lrtui runs. What is checked is what the list draws: its lines against the screen's model.
"""

from __future__ import annotations

import shutil

import pytest

from lrtui.screens.runs import CompareScreen, RunsScreen, ScannedRun, short_id
from lrtui.widgets.lazy_table import LazyTable

from .helpers import ScreenTestApp, fixed_clock, wait_for

TREE_RUNS = 300
STEPS = 20


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    from torch.utils.tensorboard import SummaryWriter

    root = tmp_path_factory.mktemp("tree")
    seed = root / "_seed"
    writer = SummaryWriter(str(seed))
    for step in range(STEPS):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        writer.add_scalar("eval/accuracy", step / STEPS, step)
    writer.close()
    event_file = next(seed.glob("events.out.tfevents.*"))
    for i in range(TREE_RUNS):
        run = root / "exp" / f"project{i // 50}" / f"run{i:03d}"
        run.mkdir(parents=True)
        shutil.copy(event_file, run / event_file.name)
    shutil.rmtree(seed)
    return root / "exp"


def _app(runs_dir, tree):
    return ScreenTestApp(
        lambda: RunsScreen(
            runs_dir, clock=fixed_clock, sample_device=False, scan_roots=[tree], metric="train/loss"
        )
    )


async def _detailed(pilot, at_least=1) -> RunsScreen:
    await wait_for(
        pilot,
        lambda: isinstance(pilot.app.screen, RunsScreen) and pilot.app.screen.detailed >= at_least,
        what="the runs' details",
    )
    await pilot.pause()
    return pilot.app.screen


def _lines(table: LazyTable) -> list[str]:
    """The list's rows as drawn (the header left out)."""
    return [table.render_line(y).text for y in range(1, table.scrollable_content_region.height)]


def _name(item) -> str:
    return item.name if isinstance(item, ScannedRun) else (item.name or short_id(item.id))


def _assert_shows_the_model(screen: RunsScreen, table: LazyTable) -> None:
    """Each line on screen is the row of the model at that position: its run's name, its selection mark."""
    top = round(table.scroll_y)
    lines = _lines(table)
    keys = screen.order[top : top + len(lines)]
    assert len(keys) == min(len(lines), len(screen.order) - top) and keys
    for line, key in zip(lines, keys):
        item = screen.summaries[key]
        shown_name = table.shown_row(key)[2]
        assert shown_name in line and _name(item).startswith(shown_name.rstrip("…"))
        assert line.startswith(" ✓ " if key in screen.selected else "   ")


async def test_hundreds_of_runs_scroll_select_compare_and_resize(fixture_runs, tree):
    async with _app(fixture_runs, tree).run_test(size=(80, 24)) as pilot:
        screen = await _detailed(pilot)
        table = screen.query_one(LazyTable)
        assert table.row_count == 5 + TREE_RUNS and len(screen.order) == table.row_count
        _assert_shows_the_model(screen, table)
        await pilot.press("end")
        await pilot.pause()
        assert screen.current() is screen.summaries[screen.order[-1]]
        assert screen.current().name.endswith(f"run{TREE_RUNS - 1:03d}")
        assert screen.current().name in _lines(table)[-1]
        _assert_shows_the_model(screen, table)
        # select the last two tree runs (space marks and moves down; at the end it stays)
        await pilot.press("up", "space", "space")
        await pilot.pause()
        picked = set(screen.order[-2:])
        assert screen.selected == picked
        assert sum(line.startswith(" ✓ ") for line in _lines(table)) == 2
        _assert_shows_the_model(screen, table)
        await pilot.press("pageup", "pageup")
        await pilot.pause()
        _assert_shows_the_model(screen, table)
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        _assert_shows_the_model(screen, table)
        assert screen.current().name in "".join(_lines(table))  # the cursor's row stays in view
        await pilot.press("home")
        await pilot.pause()
        a005 = screen.order[0]
        assert (
            "get_cosine_schedule_with_warmup(num_warmup_steps=20, num_training_steps=200)" in _lines(table)[0]
        )
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert table.shown_row(a005)[3].endswith("…")  # cut, so that its best and last stay in view
        # best and last of train/loss (which lrtui's runs do not log) and the source stay in view
        assert _lines(table)[0].split()[-3:] == ["—", "—", "lrtui"], _lines(table)[:3]
        _assert_shows_the_model(screen, table)
        await pilot.press("c")
        await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.runs is not None,
            what="the compare view",
        )
        compare = pilot.app.screen
        assert compare.run_dirs == [screen.summaries[k].dir for k in screen.order[-2:][::-1]]  # oldest first
        assert [r.format for r in compare.runs] == ["tensorboard", "tensorboard"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is screen, what="the runs list again")


async def test_details_arriving_later_update_the_rows_on_screen(tree, tmp_path):
    async with _app(tmp_path / "none", tree).run_test(size=(100, 30)) as pilot:
        screen = await _detailed(pilot)
        table = screen.query_one(LazyTable)
        await pilot.press("end")
        await pilot.pause()
        # train/loss = 1/(step+1) over 20 steps: best and last 0.05 (columns: ✓, "● live", run, schedule, ...)
        assert all(line.split()[4:6] == ["0.05", "0.05"] for line in _lines(table)), _lines(table)
        await pilot.press("b", "ctrl+u", *"eval/accuracy", "enter")
        # the same rows fill in with the accuracy read from every run's file: 95.00% at step 19 of 20
        # (waited for, not counted: a listing started before the choice may still end with the old metric)
        await wait_for(
            pilot,
            lambda: all(line.split()[4:8] == ["95.00%", "95.00%", "tb", "19"] for line in _lines(table)),
            what="the accuracy in every row on screen",
        )
        _assert_shows_the_model(screen, table)


async def test_compare_shows_the_part_of_long_foreign_names_that_tells_runs_apart(tree, tmp_path):
    from textual.widgets import DataTable

    event_file = next(tree.glob("project0/run000/events.out.tfevents.*"))
    sweep = tmp_path / "imagenet-resnet50-sweep-2026-12"
    names = ["lr-0.1-warmup-5-cosine-restarts-every-10-epochs/seed-0", "lr-0.1/seed-1", "lr-0.2/seed-0"]
    for name in names:
        (sweep / name).mkdir(parents=True)
        shutil.copy(event_file, sweep / name / event_file.name)
    app = ScreenTestApp(
        lambda: RunsScreen(tmp_path / "none", clock=fixed_clock, sample_device=False, scan_roots=[tmp_path])
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _detailed(pilot)
        assert len(screen.order) == 3
        # the list at 80 columns: the long path keeps its end, and best and last stay in view
        table = screen.query_one(LazyTable)
        long_key = next(k for k in screen.order if "restarts" in screen.summaries[k].name)
        shown = table.shown_row(long_key)[2]
        assert shown.startswith("…") and shown.endswith("-epochs/seed-0") and len(shown) >= 20
        assert all(line.split()[4:6] == ["95.00%", "95.00%"] for line in _lines(table)[:3]), _lines(table)
        await pilot.press("space", "space", "space", "c")
        await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.runs is not None,
            what="the compare view",
        )
        await pilot.pause()
        table = pilot.app.screen.query_one(DataTable)

        def runs_shown() -> list[str]:
            return [str(table.get_row_at(i)[7]) for i in range(table.row_count)]

        # 80 columns: the sweep folder all share is left out, a long name keeps its end, the accuracies
        # and the run column stay in view (formats by their short names)
        shown = runs_shown()
        assert sorted(shown) == sorted(["…/seed-0", "lr-0.1/seed-1", "lr-0.2/seed-0"]), shown
        assert str(table.get_row_at(0)[1]) == "tb" and table.virtual_size.width <= 80
        await pilot.resize_terminal(200, 60)
        await wait_for(pilot, lambda: "…/seed-0" not in runs_shown(), what="the whole names")
        assert sorted(runs_shown()) == sorted(names)
        assert str(table.get_row_at(0)[1]) == "TensorBoard"
