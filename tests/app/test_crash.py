"""After a bug, `lrtui` exits non-zero with its terminal restored and one line naming the error and the log
file holding the full traceback (state dir 0700, log 0600). Driven through the real CLI in a pseudo-terminal.

The crash is forced with the inert-unless-set test hook LRTUI_FORCE_CRASH (a timer raises after the first
frame, through Textual's ordinary exception path). Regression: the app used to exit 0 and print a
screenful of traceback with locals.
"""

from __future__ import annotations

import os
import stat

import pytest

from lrtui import crash
from tests.app.pty_app import PtyApp, pty_env, strip_escapes


def _run_in_pty(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    app = PtyApp(args, env)
    try:
        status = app.wait()
    finally:
        app.close()
    return status, app.output


@pytest.fixture
def env(tmp_path):
    return pty_env(tmp_path)


def test_a_crash_exits_nonzero_restores_the_terminal_and_says_where_the_traceback_is(env, tmp_path):
    env[crash.FORCE_CRASH_ENV] = "1"
    status, output = _run_in_pty([], env)
    assert status == crash.EXIT_CRASH
    # The terminal is given back: the alternate screen is left and the cursor shown, before the report.
    screen = strip_escapes(output)
    assert "\x1b[?1049h" in output and "^p Commands" in screen  # it drew its screen before the crash
    left = output.rfind("\x1b[?1049l")
    assert left != -1 and "\x1b[?25h" in output[left:]
    tail = strip_escapes(output[left:])
    lines = [line for line in tail.replace("\r", "").split("\n") if line.strip()]
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("lrtui crashed: ForcedCrash: forced by LRTUI_FORCE_CRASH")
    assert "Traceback" not in tail and "locals" not in tail
    logs = list((tmp_path / "state" / "lrtui").glob("crash-*.log"))
    assert len(logs) == 1 and f"full traceback in {logs[0]}" in line
    text = logs[0].read_text()
    assert "Traceback (most recent call last)" in text and "ForcedCrash" in text and "_forced_crash" in text
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(logs[0].parent.stat().st_mode) == 0o700


def test_a_normal_quit_exits_zero_and_writes_no_log(env, tmp_path):
    env["LRTUI_EXIT_AFTER_FIRST_FRAME"] = str(tmp_path / "frame.txt")  # quits by itself after one frame
    status, output = _run_in_pty([], env)
    assert status == 0
    assert "crashed" not in output
    assert not (tmp_path / "state").exists()


def test_the_log_dir_falls_back_to_home_and_is_created_private(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert crash.state_dir() == tmp_path / ".local" / "state" / "lrtui"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/not/allowed")  # the XDG spec: ignore relative paths
    assert crash.state_dir() == tmp_path / ".local" / "state" / "lrtui"
    old = os.umask(0)
    try:
        path = crash.write_crash_log("boom")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600
    for i in range(crash.KEEP_LOGS + 5):
        crash.write_crash_log(f"boom {i}", now=1_700_000_000 + i)
    assert len(list(path.parent.glob("crash-*.log"))) <= crash.KEEP_LOGS


def test_a_failing_command_outside_the_app_reports_one_line_and_a_log(monkeypatch, tmp_path, capsys):
    import lrtui.cli_schedules
    from lrtui.cli import main

    def broken(args):
        raise RuntimeError("a bug in plot\nwith a second line")

    monkeypatch.setattr(lrtui.cli_schedules, "cmd_plot", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["plot", "StepLR(step_size=3)"]) == crash.EXIT_CRASH
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "lrtui crashed: RuntimeError: a bug in plot with a second line"
    )
    log = next((tmp_path / "state" / "lrtui").glob("crash-*.log"))
    assert "Traceback" in log.read_text() and "broken" in log.read_text()
