#!/usr/bin/env python3
"""One entry point for a fresh clone: `python3 dev.py` opens the app, `python3 dev.py test` runs the tests.

On first use it creates `.venv/` and installs lrtui (editable) with its dev extras; later runs reuse it
and reinstall only when pyproject.toml changed. Needs nothing but Python >= 3.10 and pip.

    python3 dev.py [APP ARGS...]     # the app (any `lrtui` arguments pass through)
    python3 dev.py test [PYTEST ARGS...]
    python3 dev.py lrtui ARGS...     # any CLI subcommand, e.g. `python3 dev.py lrtui plot "StepLR(step_size=10)"`
    python3 dev.py bench NAME        # run benchmarks/NAME.py
    python3 dev.py screenshots       # regenerate screenshots/
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".lrtui-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    if sys.version_info < (3, 10):  # noqa: UP036 (this script must also explain itself on old Pythons)
        sys.exit(f"lrtui needs Python >= 3.10, this is {sys.version.split()[0]}")
    if not PY.exists():
        print("dev.py: creating .venv (first run only) ...", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _wanted_stamp():
        return
    print("dev.py: installing lrtui and its dependencies into .venv ...", file=sys.stderr, flush=True)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-q", "--upgrade", "pip"], check=False)
    subprocess.run([*pip, "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_wanted_stamp())


def _workers(rest: list[str]) -> list[str]:
    """The whole suite runs on up to 4 cores (pytest-xdist): most of its time is spent waiting on real
    trainer processes, pseudo-terminals and app frames, so 2 workers on 2 cores take ~8 min instead of ~13.
    LRTUI_TEST_WORKERS=N chooses (1: one process); any pytest arguments mean one process unless -n is given."""
    if rest:
        return []
    chosen = os.environ.get("LRTUI_TEST_WORKERS", "").strip()
    workers = int(chosen) if chosen.isdigit() else min(4, os.cpu_count() or 1)
    # loadfile: a file's tests stay on one worker (module fixtures start real jobs once, and
    # test_ddp_e2e's last test checks that every process those jobs started has ended)
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


def main(argv: list[str]) -> int:
    ensure_env()
    cmd, *rest = argv or ["app"]
    if cmd == "test":
        return subprocess.call([str(PY), "-m", "pytest", *_workers(rest), *rest], cwd=ROOT)
    if cmd == "bench":
        name, *more = rest
        return subprocess.call([str(PY), str(ROOT / "benchmarks" / f"{name}.py"), *more], cwd=ROOT)
    if cmd == "screenshots":
        return subprocess.call([str(PY), str(ROOT / "screenshots" / "make_screenshots.py"), *rest], cwd=ROOT)
    if cmd == "lrtui":
        return subprocess.call([str(PY), "-m", "lrtui", *rest])
    if cmd == "app":
        return subprocess.call([str(PY), "-m", "lrtui", *rest])
    # Anything else is passed to the app/CLI unchanged (`python3 dev.py --spec ...`).
    return subprocess.call([str(PY), "-m", "lrtui", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
