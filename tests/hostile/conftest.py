"""A sandbox for hostile-file tests: a runs dir, a sibling tree that must never change, and the real CLI.

sandbox/
  runs/                  the runs dir (LRTUI_RUNS_DIR)
    good-run/            a real run written by RunLogger
    linkdir -> ../outside       a symlink planted in the runs dir
    linkrun -> ../outside/x     a symlink that looks like a run
  outside/               everything here is hashed before and after each command
    x/config.json        looks like a run: a resolver that escapes would happily delete it
    notes.txt, secret.key
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lrtui.cli import main
from lrtui.runs import RunLogger


def tree_digest(root: Path) -> str:
    """Names, kinds, modes, link targets and contents of everything under root (links not followed)."""
    h = hashlib.sha256()
    for base, dirs, files in sorted(os.walk(root, followlinks=False)):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(base) / name
            st = path.lstat()
            h.update(f"{path.relative_to(root)}|{st.st_mode}|".encode())
            if path.is_symlink():
                h.update(os.readlink(path).encode())
            elif path.is_file():
                h.update(path.read_bytes())
    return h.hexdigest()


@dataclass
class Sandbox:
    root: Path
    runs: Path
    outside: Path
    good: Path

    def digest_outside(self) -> str:
        return tree_digest(self.outside)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    runs, outside = tmp_path / "runs", tmp_path / "outside"
    (outside / "x").mkdir(parents=True)
    (outside / "x" / "config.json").write_text('{"model": "not yours"}')
    (outside / "x" / "status.json").write_text('{"state": "finished"}')
    (outside / "notes.txt").write_text("keep me\n")
    (outside / "secret.key").write_text("-----BEGIN KEY-----\nTOPSECRETLINE\n-----END KEY-----\n")
    runs.mkdir()
    with RunLogger(
        {"model": "lenet", "dataset": "synthetic", "epochs": 1}, runs_dir=runs, run_id="good-run"
    ) as log:
        log.step(0, lr=0.1, loss=1.0)
        log.epoch(0, test_acc=0.5)
    (runs / "linkdir").symlink_to("../outside")
    (runs / "linkrun").symlink_to("../outside/x")
    monkeypatch.setenv("LRTUI_RUNS_DIR", str(runs))
    monkeypatch.chdir(outside)  # `delete ""` once meant "the current directory"
    return Sandbox(tmp_path, runs, outside, runs / "good-run")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture):
    """Run `lrtui ARGS...` in this process (lrtui.cli.main) and return (exit code, stdout, stderr)."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse errors
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_lrtui(*args: str, env: dict | None = None, timeout: float = 60, cwd: Path | None = None) -> Result:
    """`python -m lrtui ARGS...` as a real subprocess (for what could hang: FIFOs, devices)."""
    proc = subprocess.run(
        [sys.executable, "-m", "lrtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def one_line(text: str) -> str:
    """The message of a failed command: exactly one line on stderr, no traceback."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]
