"""CurvePlot in a real Textual app: cursor keys, mouse clicks, exact values, log toggling."""

import numpy as np
from textual.app import App, ComposeResult

from lrtui.plotting.figure import Figure, Marker, Series
from lrtui.widgets.plot import CurvePlot

N = 200_000


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x = np.arange(N, dtype=float)
    planned = 0.05 * (1 + np.cos(np.pi * x / N))
    planned[777] = 3.0  # a spike the cursor must report exactly, whatever the decimation
    logged_x = x[::50]
    actual = planned[::50] * 0.5
    return x, planned, logged_x, actual


def _figure() -> Figure:
    x, planned, logged_x, actual = _data()
    return Figure(
        series=[Series(x, planned, "planned"), Series(logged_x, actual, "actual")],
        markers=[Marker(20_000, "warmup end", "warmup_end")],
    )


class PlotApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.moves: list[CurvePlot.CursorMoved] = []

    def compose(self) -> ComposeResult:
        yield CurvePlot(id="plot", monochrome=True)

    def on_curve_plot_cursor_moved(self, message: CurvePlot.CursorMoved) -> None:
        self.moves.append(message)


def _assert_exact(message: CurvePlot.CursorMoved) -> None:
    x, planned, logged_x, actual = _data()
    assert message.x == x[message.x_index]
    assert message.values["planned"] == planned[message.x_index]  # exact, not a decimated neighbour
    nearest = int(np.abs(logged_x - message.x).argmin())
    assert message.values["actual"] == actual[nearest]


async def test_keys_move_the_cursor_and_report_exact_values():
    app = PlotApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(CurvePlot)
        plot.set_figure(_figure())
        plot.focus()
        await pilot.pause()
        assert plot.decimated
        assert plot.decimation.startswith("decimated: 204k points")
        info = plot.render_info
        assert info is not None and info.width == 80 and info.height == 24

        await pilot.press("right")  # the first press places the cursor at the start
        await pilot.pause()
        assert app.moves[-1].x_index == 0
        await pilot.press("right")
        await pilot.pause()
        one_column = app.moves[-1].x_index
        column_dx = (info.xlim[1] - info.xlim[0]) / (info.canvas_width - 1)
        assert abs(one_column - column_dx) <= 1  # one press moves one column's worth of data
        await pilot.press("shift+right")
        await pilot.pause()
        assert abs(app.moves[-1].x_index - one_column - 10 * column_dx) <= 1

        await pilot.press("end")
        await pilot.pause()
        assert app.moves[-1].x_index == N - 1
        await pilot.press("right")  # already at the end: nothing moves, nothing is posted
        await pilot.pause()
        assert app.moves[-1].x_index == N - 1
        await pilot.press("home")
        await pilot.pause()
        assert app.moves[-1].x_index == 0

        plot.move_cursor_to_index(777)
        await pilot.pause()
        assert app.moves[-1].values["planned"] == 3.0
        for message in app.moves:
            _assert_exact(message)


async def test_cursor_steps_at_least_one_point_on_short_data():
    app = PlotApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(CurvePlot)
        plot.set_figure(Figure([Series([0, 1, 2, 3], [0.4, 0.3, 0.2, 0.1], "lr")]))
        plot.focus()
        await pilot.pause()
        for _ in range(3):
            await pilot.press("right")
            await pilot.pause()
        assert [m.x_index for m in app.moves] == [0, 1, 2]
        await pilot.press("left")
        await pilot.pause()
        assert app.moves[-1].x_index == 1
        assert app.moves[-1].values == {"lr": 0.3}


async def test_click_maps_the_column_to_data_x():
    app = PlotApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(CurvePlot)
        plot.set_figure(_figure())
        await pilot.pause()
        info = plot.render_info
        middle = info.canvas_left + info.canvas_width // 2
        await pilot.click(CurvePlot, offset=(middle, 10))
        await pilot.pause()
        message = app.moves[-1]
        expected = info.column_to_x(middle)
        assert abs(message.x - expected) <= 1  # the nearest data point to that column's x
        assert 0.4 * N < message.x_index < 0.6 * N
        _assert_exact(message)
        assert plot.has_focus
        # A click on the y tick labels clamps to the first column of the canvas.
        await pilot.click(CurvePlot, offset=(0, 10))
        await pilot.pause()
        assert app.moves[-1].x_index == 0


async def test_toggling_log_twice_and_zooming_do_not_crash():
    app = PlotApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(CurvePlot)
        plot.set_figure(_figure())
        plot.focus()
        await pilot.pause()
        await pilot.press("end")
        await pilot.press("l")
        await pilot.pause()
        assert plot.figure.log_y
        await pilot.press("l")
        await pilot.pause()
        assert not plot.figure.log_y
        await pilot.press("l", "l", "l")
        await pilot.pause()
        assert plot.figure.log_y

        plot.set_figure(plot.figure.replace(x_range=(1_000, 2_000)))
        await pilot.pause()
        assert plot.render_info.xlim == (1_000.0, 2_000.0)
        await pilot.press("home")
        await pilot.pause()
        assert app.moves[-1].x_index == 1_000  # home/end stay inside the zoom window
        await pilot.press("end")
        await pilot.pause()
        assert app.moves[-1].x_index == 2_000

        plot.set_figure(Figure())  # an empty figure: the cursor has nothing to point at
        await pilot.press("right", "home", "end")
        await pilot.pause()
        assert plot.cursor_index is None


async def test_bindings_have_ids_and_descriptions():
    for binding in CurvePlot.BINDINGS:
        assert binding.id and binding.id.startswith("curve_plot.")
        assert binding.description
