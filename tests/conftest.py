"""Suite-wide fixtures: no test reads the developer's own lrtui settings file; real logs of every format
(written once per session, on first use, by the real writers in tests/sources/writers.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# The suite is deterministic: hypothesis draws the same examples on every run of the same tree (CI must not
# fail on an example it happened to draw). LRTUI_HYPOTHESIS_RANDOM=1 explores new ones (with
# LRTUI_HYPOTHESIS_EXAMPLES=1000 for more); what it finds becomes an explicit @example or test.
settings.register_profile("lrtui", derandomize=os.environ.get("LRTUI_HYPOTHESIS_RANDOM") != "1")
settings.load_profile("lrtui")


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("LRTUI_CONFIG", str(tmp_path_factory.getbasetemp() / "no-such-lrtui-config.toml"))


WRITERS = Path(__file__).resolve().parent / "sources" / "writers.py"
ROOT = Path(__file__).resolve().parents[1]
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
            [sys.executable, str(WRITERS), kind, str(out)],
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
