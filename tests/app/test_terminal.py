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


def test_a_resize_to_the_same_size_repaints_the_whole_screen(app):
    app.read_until(lambda screen: "^p Commands" in screen and "steps" in screen, what="the first frame")
    app.read(1.5)  # let it settle: later frames only carry what changed
    app.send(b"\x0c")  # ctrl+l: the spec field
    app.read(0.5)
    app.send(b"StepLR(step_size=3)")
    app.read_until(lambda screen: "StepLR(step_size=3)" in screen, what="the typed spec")
    app.read(1.5)
    app.resize(100, 30)  # the size it already has: the terminal went away and back
    repaint = strip_escapes(app.read(3.0))
    assert HEADER in repaint and "StepLR(step_size=3)" in repaint and "^p Commands" in repaint
    app.resize(60, 20)
    app.resize(100, 30)
    repaint = strip_escapes(app.read(3.0))
    assert HEADER in repaint and "StepLR(step_size=3)" in repaint
    app.send(b"\x11")  # ctrl+q
    assert app.wait() == 0
