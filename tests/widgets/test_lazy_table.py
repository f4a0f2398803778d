"""LazyTable: rows as data, only the rows on screen drawn; keys, clicks, widths and updates as a user sees them.

What is checked is what the table draws (`render_line`, the lines the compositor writes), for a table of
10,000 rows driven by key presses and clicks in a real (headless) app.
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from lrtui.widgets.lazy_table import Column, LazyTable, Row, cut

COLUMNS = (
    Column("name", "name"),
    Column("spec", "spec", flex=True, min_width=12),
    Column("value", "value"),
)
N = 10_000
LONG = "CosineAnnealingLR(T_max=100000, eta_min=0.0001) then LinearLR(start_factor=0.5, total_iters=500)"


def make_rows(n: int = N) -> list[Row]:
    return [
        Row(f"k{i}", (f"run-{i:05d}", LONG if i % 3 == 0 else "StepLR", f"{i / 7:.3f}"), ("", "", "green"))
        for i in range(n)
    ]


class TableApp(App):
    def __init__(self, rows: list[Row]) -> None:
        super().__init__()
        self.rows = rows
        self.chosen: list[str] = []
        self.highlighted: list[str] = []

    def compose(self) -> ComposeResult:
        yield LazyTable(COLUMNS, id="table")

    def on_mount(self) -> None:
        table = self.query_one(LazyTable)
        table.set_rows(self.rows)
        table.focus()

    def on_lazy_table_chosen(self, event: LazyTable.Chosen) -> None:
        self.chosen.append(event.key)

    def on_lazy_table_highlighted(self, event: LazyTable.Highlighted) -> None:
        self.highlighted.append(event.key)


def shown(table: LazyTable) -> list[str]:
    """The table's lines as drawn (the header first)."""
    return [table.render_line(y).text for y in range(table.size.height)]


def shown_names(table: LazyTable) -> list[str]:
    return [line.split()[0] for line in shown(table)[1:] if line.strip()]


def expected_names(table: LazyTable) -> list[str]:
    """The rows the model says are on screen: from the scroll offset, as many as fit under the header."""
    top = round(table.scroll_y)
    return [r.cells[0] for r in table.rows[top : top + table.scrollable_content_region.height - 1]]


async def test_keys_move_the_cursor_and_the_rows_shown_follow_the_model():
    app = TableApp(make_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LazyTable)
        await pilot.pause()
        assert table.row_count == N and table.virtual_size.height == N + 1
        assert shown(table)[0].split() == ["name", "spec", "value"]
        assert shown_names(table) == expected_names(table) == [f"run-{i:05d}" for i in range(23)]
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == N - 1 and table.cursor_key == f"k{N - 1}"
        assert shown_names(table)[-1] == f"run-{N - 1:05d}" and shown_names(table) == expected_names(table)
        await pilot.press("pageup")
        await pilot.pause()
        page = table.scrollable_content_region.height - 1
        assert table.cursor_row == N - 1 - page
        assert f"run-{table.cursor_row:05d}" in shown_names(table)
        await pilot.press("up", "up", "down")
        assert table.cursor_row == N - 2 - page
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and round(table.scroll_y) == 0
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert table.cursor_row == 2 * page and shown_names(table) == expected_names(table)
        assert f"run-{2 * page:05d}" in shown_names(table)
        assert app.highlighted[-1] == f"k{2 * page}"
        await pilot.press("up")
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == [f"k{2 * page - 1}"]


async def test_only_the_rows_on_screen_are_drawn():
    app = TableApp(make_rows())
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LazyTable)
        await pilot.press("end")
        await pilot.pause()
        # what was drawn is cached per row: the first screen and the last, never the 10,000 in between
        drawn = {index for index, _row, _cursor in table._strips}
        assert drawn and max(drawn) == N - 1 and len(drawn) <= 2 * table.size.height


async def test_a_click_moves_the_cursor_and_a_click_on_the_cursor_chooses():
    app = TableApp(make_rows(50))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LazyTable)
        await pilot.pause()
        await pilot.click(LazyTable, offset=(3, 5))  # line 5: the header, then rows 0..3, then row 4
        assert table.cursor_row == 4 and app.chosen == []
        await pilot.click(LazyTable, offset=(3, 5))
        await pilot.pause()
        assert app.chosen == ["k4"]
        await pilot.click(LazyTable, offset=(3, 0))  # the header: nothing
        assert table.cursor_row == 4


async def test_the_flex_column_takes_the_free_width_and_is_cut_with_an_ellipsis():
    app = TableApp(make_rows(30))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LazyTable)
        await pilot.pause()
        narrow = shown(table)[1]
        assert "…" in narrow and table.virtual_size.width <= 80
        assert narrow.split()[-1] == "0.000"  # the column after the spec stays in view
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        wide = shown(table)[1]
        assert LONG in wide and "…" not in wide
        assert len(shown_names(table)) == 30  # every row fits now
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert shown(table)[1] == narrow


async def test_rows_changing_update_the_lines_on_screen_and_keep_the_cursor_on_its_row():
    rows = make_rows(100)
    app = TableApp(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(LazyTable)
        await pilot.press("down", "down", "down")
        await pilot.pause()
        before = shown(table)[2]
        assert before.split()[-1] == "0.143"
        table.replace_row(Row("k1", ("run-00001", "StepLR", "best 9.99"), ()))  # wider than its column
        await pilot.pause()
        assert shown(table)[2].split()[-2:] == ["best", "9.99"]
        # new rows above: the cursor stays on k3 (a listing refreshed while a user reads it)
        table.set_rows([Row("new", ("run-new", "StepLR", "1"), ()), *table.rows])
        await pilot.pause()
        assert table.cursor_key == "k3" and table.cursor_row == 4
        assert shown_names(table)[:2] == ["run-new", "run-00000"]
        table.set_rows([])
        await pilot.pause()
        assert table.cursor_key is None and shown_names(table) == []


async def test_a_squeezable_column_narrows_so_the_leading_columns_fit():
    columns = (
        Column("path", "path", squeeze_to=10, cut_from="left"),
        Column("best", "best"),
        Column("x", "x"),
    )
    rows = [
        Row(f"k{i}", (f"experiments/project{i}/lightning_logs/version_{i}", f"{i}.5", "x" * 30))
        for i in range(3)
    ]

    class Squeezed(TableApp):
        def compose(self) -> ComposeResult:
            yield LazyTable(columns, in_view=2, id="table")

    app = Squeezed(rows)
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(LazyTable)
        await pilot.pause()
        line = shown(table)[1]
        assert line.split()[:2] == ["…ect0/lightning_logs/version_0", "0.5"]  # best in view; "x" scrolls
        await pilot.resize_terminal(100, 10)
        await pilot.pause()
        assert shown(table)[1].split()[0] == "experiments/project0/lightning_logs/version_0"
        await pilot.resize_terminal(16, 10)  # squeezing to 10 cells would not bring "best" in view: not cut
        await pilot.pause()
        assert table.widths[0] == len("experiments/project0/lightning_logs/version_0")
        await pilot.resize_terminal(20, 10)  # down to squeeze_to, and best fits
        await pilot.pause()
        assert table.widths[0] == 10 and shown(table)[1].split()[:2] == ["…version_0", "0.5"]


def test_cut_keeps_short_text_and_marks_what_it_cuts():
    assert cut("StepLR", 6) == "StepLR"
    assert cut("lightning_logs/version_3", 12, "left") == "…s/version_3"
    assert cut("学习率调度", 5, "left") == "…调度"
    assert cut("StepLR(step_size=2)", 8) == "StepLR(…"
    assert cut("学习率调度", 5) == "学习…"  # wide characters: counted in cells
    assert cut("abc", 0) == ""
