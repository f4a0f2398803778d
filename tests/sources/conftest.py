"""Real logs, written once per test session by the real writers (tests/sources/writers.py), all at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
KINDS = ("tensorboard", "tbtensor", "lightning", "hf")


@pytest.fixture(scope="session")
def real_logs(tmp_path_factory) -> Path:
    """A tree with runs written by SummaryWriter, tensorboard's Writer, Lightning and HF Trainer."""
    out = tmp_path_factory.mktemp("real_logs")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["TOKENIZERS_PARALLELISM"] = "false"
    env["HF_HUB_OFFLINE"] = "1"
    procs = {
        kind: subprocess.Popen(
            [sys.executable, str(HERE / "writers.py"), kind, str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for kind in KINDS
    }
    failures = []
    for kind, proc in procs.items():
        output, _ = proc.communicate(timeout=300)
        if proc.returncode != 0:
            failures.append(f"{kind}:\n{output.decode(errors='replace')[-3000:]}")
    assert not failures, "\n".join(failures)
    return out


@pytest.fixture
def logs(real_logs: Path, tmp_path: Path) -> Path:
    """A private copy of the real logs (tests may corrupt or extend them)."""
    dest = tmp_path / "logs"
    shutil.copytree(real_logs, dest)
    return dest
