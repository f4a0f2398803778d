"""The app in a real (pseudo-)terminal: what it writes when the terminal is resized.

A terminal resized away and back before the app reads its size (a window dragged fast, a resize while
typing) shows a clipped or reflowed copy of the old frame, and the app then sees a Resize to the size it
already had. Textual ignores that one and only redraws what changes: the spec field's text stayed blank.
Regression: the app now repaints the whole screen after every resize.
"""

from __future__ import annotations

import pytest

from tests.app.pty_app import PtyApp, pty_env, strip_escapes

HEADER = "learning-rate schedules, exactly"


@pytest.fixture
def app(tmp_path):
    app = PtyApp([], pty_env(tmp_path), size=(100, 30))
    yield app
    app.close()


def _repainted(app, *texts: str) -> None:
    """Everything written from now on draws `texts` again (what only a whole-screen repaint redraws)."""
    start = len(app.output)
    app.read_until(
        lambda _: all(t in strip_escapes(app.output[start:]) for t in texts),
        timeout=30,
        what=f"a repaint of {texts}",
    )


def test_a_resize_to_the_same_size_repaints_the_whole_screen(app):
    app.read_until(lambda screen: "^p Commands" in screen and "steps" in screen, what="the first frame")
    app.read(1.5)  # let it settle: later frames only carry what changed
    app.send(b"\x0c")  # ctrl+l: the spec field
    app.read(0.5)
    app.send(b"StepLR(step_size=3)")
    app.read_until(lambda screen: "StepLR(step_size=3)" in screen, what="the typed spec")
    app.read(1.5)
    app.resize(100, 30)  # the size it already has: the terminal went away and back
    _repainted(app, HEADER, "StepLR(step_size=3)", "^p Commands")
    app.resize(60, 20)
    _repainted(app, HEADER)  # drawn whole at the new size
    app.resize(100, 30)
    _repainted(app, HEADER, "StepLR(step_size=3)")
    app.read(1.0)
    for _ in range(3):  # away and back before the screen is laid out at the other size: a whole repaint
        app.resize(60, 20)
        app.resize(100, 30)
        _repainted(app, HEADER, "StepLR(step_size=3)", "^p Commands")
        app.read(0.5)
    app.send(b"\x11")  # ctrl+q
    assert app.wait() == 0


def test_a_burst_of_resizes_while_typing_leaves_an_app_that_answers(tmp_path):
    # Seen in tmux: typing a spec while resize-window ran in a loop, over a 10,000-step curve that overflows,
    # left the app at 100% CPU for minutes, drawing sizes long gone and deaf to keys: it repainted the whole
    # screen after every Resize, and those repaints queued up behind the Resizes of the burst. Then, under load,
    # two sizes of the burst queued on the screen laid it out at each other for ever (Textual 8 resends a
    # screen its own new size): lrtui/widgets/resize_guard.py drops a Resize for a size the terminal left.
    plan = tmp_path / "plan.toml"
    plan.write_text('schedule = "ExponentialLR(gamma=1.1)"\nsteps = 10000\n')
    app = PtyApp(["--spec", str(plan)], pty_env(tmp_path), size=(80, 24))
    try:
        app.read_until(lambda screen: "lr overflows to inf" in screen, what="the overflowing curve")
        app.read(1.0)
        app.send(b"\x0c")  # ctrl+l
        sizes = [(200, 60), (45, 12), (160, 48), (31, 9), (120, 36), (64, 44), (194, 18), (73, 55)]
        for i, part in enumerate([b"OneCycle", b"LR(max_lr", b"=0.1, total", b"_steps=5000)"] * 2):
            if i < 4:
                app.send(part)
            app.resize(*sizes[i])
            app.read(0.1)
        app.resize(100, 30)
        app.read(2.0)
        app.send(b"\x0c" + b"StepLR(step_size=7)")  # the app still answers keys, at the size it has now
        app.read_until(lambda screen: "StepLR(step_size=7)" in screen, timeout=60, what="the app answering")
        app.send(b"\x11")  # ctrl+q
        assert app.wait() == 0
    finally:
        app.close()
