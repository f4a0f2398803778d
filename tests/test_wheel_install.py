"""Install lrtui as a user does — `pip install` of the built wheel into a fresh virtual environment — and use it.

The wheel is built offline from a copy of the sources (`pip wheel --no-build-isolation`, this environment's
setuptools). The fresh venv stands for a user's environment that already has torch: it sees this
environment's packages (torch, textual, numpy, ...) through a .pth file, but not lrtui itself. pip then
installs the wheel WITH its dependencies and no index: it can only succeed if every dependency range accepts
what is already installed, so the user's torch is kept (and nothing is downloaded). Then the installed
`lrtui` command runs from outside the repository: plot, export (and the exported script), a detached
training run on the built-in offline dataset, the app's preview and `lrtui watch` in a real terminal.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from tests.terminal import Terminal

ROOT = Path(__file__).resolve().parents[1]
SPEC = "OneCycleLR(max_lr=0.1, total_steps=1000)"


def _clean_env(**extra: str) -> dict:
    """No PYTHONPATH (it would import the checkout, not the installed wheel), no pip config or find-links."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "LRTUI_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def _run(argv: list, *, env: dict, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, (
        f"{argv} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv, wheel, pip's output, a scratch dir outside the repository)."""
    top = tmp_path_factory.mktemp("wheel")
    src = top / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "lrtui", src / "lrtui", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = _clean_env()
    pip = [sys.executable, "-m", "pip"]
    _run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", top / "dist", src],
        env=env,
        cwd=top,
    )
    (wheel,) = (top / "dist").glob("lrtui-*.whl")

    venv = top / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], env=env, cwd=top)
    py = venv / "bin" / "python"
    site = Path(
        _run(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], env=env, cwd=top
        ).stdout.strip()
    )
    # This environment's packages, lrtui left out, as if the user had installed them before.
    deps = top / "deps"
    deps.mkdir()
    ours = ("lrtui", "__editable__", "_lrtui")
    for where in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(where).iterdir():
            link = deps / entry.name
            if not entry.name.lower().startswith(ours) and entry.suffix != ".pth" and not link.exists():
                link.symlink_to(entry)
    (site / "_user_packages.pth").write_text(f"{deps}\n")
    out = _run(
        [*pip, "--python", py, "install", "--no-index", "--find-links", top / "dist", "lrtui"],
        env=env,
        cwd=top,
    ).stdout
    scratch = top / "scratch"
    scratch.mkdir()
    return venv, wheel, out, scratch


def test_the_wheel_holds_the_package_data_entry_point_and_dependencies(installed):
    _, wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ROOT.glob("lrtui/**/*"):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix in (".py", ".tcss") and "__pycache__" not in rel:
            assert rel in names, f"{rel} is missing from {wheel.name}"
    meta = zipfile.ZipFile(wheel)
    dist = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert "lrtui = lrtui.cli:main" in meta.read(f"{dist}/entry_points.txt").decode()
    requires = [
        line
        for line in meta.read(f"{dist}/METADATA").decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    plain = [r for r in requires if "extra ==" not in r]
    assert any("nvidia-ml-py" in r for r in plain), plain  # GPU stats are not an optional extra
    assert any(r.startswith("Requires-Dist: torch>=") for r in plain), plain


def test_pip_keeps_the_users_torch_and_installs_only_lrtui(installed):
    venv, _, out, scratch = installed
    installed_line = re.search(r"Installing collected packages: (.*)", out)
    assert installed_line is not None and installed_line.group(1).strip() == "lrtui", out
    from importlib.metadata import version

    probe = (
        "import importlib.metadata as m, importlib.util as u, lrtui; print(lrtui.__file__); "
        "print(m.version('torch')); print(u.find_spec('torch').origin)"
    )
    where = _run([venv / "bin" / "python", "-c", probe], env=_clean_env(), cwd=scratch).stdout.splitlines()
    assert where[0].startswith(str(venv)), where  # the installed wheel, not the checkout
    assert where[1] == version("torch"), where  # the user's torch, untouched
    assert not list(venv.glob("lib/python*/site-packages/torch")), "pip installed a second torch"


def test_the_installed_command_plots_exports_and_trains(installed, tmp_path):
    venv, _, _, scratch = installed
    lrtui = venv / "bin" / "lrtui"
    env = _clean_env(LRTUI_RUNS_DIR=str(tmp_path / "runs"))
    assert _run([lrtui, "--version"], env=env, cwd=scratch).stdout.startswith("lrtui ")
    plot = _run([lrtui, "plot", SPEC, "--width", "70", "--height", "12"], env=env, cwd=scratch).stdout
    assert "peak 0.1 at step" in plot and "1000 steps" in plot
    code = _run([lrtui, "export", SPEC, "--to", "torch"], env=env, cwd=scratch).stdout
    script = scratch / "exported.py"
    script.write_text(code + "\nprint('last lr', optimizer.param_groups[0]['lr'])\n")
    assert "last lr" in _run([venv / "bin" / "python", script], env=env, cwd=scratch).stdout

    started = _run(
        [
            lrtui, "train", "--dataset", "synthetic", "--model", "lenet", "--epochs", "2", "--batch-size", "32",
            "--set", "synthetic_train_size=128", "--set", "synthetic_test_size=32", "--schedule",
            "OneCycleLR(max_lr=0.1, total_steps=8)",
        ],
        env=env,
        cwd=scratch,
    )  # fmt: skip
    assert "started" in (started.stdout + started.stderr).lower()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        listing = _run([lrtui, "runs"], env=env, cwd=scratch).stdout
        if re.search(r"\b(finished|failed|lost|diverged)\b", listing):
            break
        time.sleep(1)
    assert " finished " in listing, listing

    # The app itself, in a real terminal: the preview draws the curve (its stylesheet is package data) ...
    with Terminal([str(lrtui), "--spec", SPEC], env=env, cwd=str(scratch), cols=100, rows=30) as term:
        term.wait_for("OneCycleLR", "max_lr", "1,000 steps")
        term.send("\x11")  # ctrl+q
        assert term.wait_exit() == 0
    # ... and `lrtui watch` shows the finished run.
    with Terminal([str(lrtui), "watch", "last"], env=env, cwd=str(scratch), cols=100, rows=30) as term:
        term.wait_for("finished", "lenet")
        term.send("\x11")
        assert term.wait_exit() == 0
