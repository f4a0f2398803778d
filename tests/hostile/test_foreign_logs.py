"""Logs of other formats as hostile input: special files named like logs, escape sequences in names
written by the real SummaryWriter, a huge sparse event file, a CSV row longer than a poll, deep nesting.

Each case is read in a worker thread joined with a generous bound: a reader that blocks (a FIFO opened
for reading waits for a writer forever) fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lrtui.sources import detect, open_source, scan

ROOT = Path(__file__).resolve().parents[2]
CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


def _read_all_within(source, seconds: float = 60.0):
    """source.read_all() in a thread; fails (instead of hanging) when it does not return."""
    done = threading.Event()
    box: dict = {}

    def run() -> None:
        try:
            box["source"] = source.read_all()
        except BaseException as exc:  # the test reports it
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(seconds), f"{type(source).__name__}.read_all() did not return (blocked)"
    assert "error" not in box, box.get("error")
    return box["source"]


def _lrtui(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def special(logs: Path, tmp_path: Path) -> Path:
    """Copies of real runs whose log files are FIFOs or links to /dev/zero, next to real ones."""
    root = tmp_path / "special"
    tb = root / "tb"
    shutil.copytree(logs / "tb" / "run_a", tb)
    os.mkfifo(tb / "events.out.tfevents.9999999999.fifo")  # sorts after the real file
    os.symlink("/dev/zero", tb / "events.out.tfevents.9999999999.zero")
    csv_dir = root / "csv"
    csv_dir.mkdir()
    os.mkfifo(csv_dir / "metrics.csv")
    hf = root / "hf"
    hf.mkdir()
    os.mkfifo(hf / "trainer_state.json")
    return root


def test_fifos_and_devices_named_like_logs_are_skipped_and_said(special, logs):
    tb = _read_all_within(open_source(special / "tb", "tensorboard"))
    real = open_source(logs / "tb" / "run_a", "tensorboard").read_all()
    assert tb.store.names() == real.store.names()  # the real file is read whole
    assert len(tb.store.get("train/loss")) == 300
    text = " ".join(tb.problems)
    assert "fifo" in text and "a FIFO" in text and "a character device" in text
    assert tb.skipped >= 2
    for fmt, folder in (("lightning", "csv"), ("hf-trainer", "hf")):
        source = _read_all_within(open_source(special / folder, fmt))
        assert not source.store.names() and "not a regular file" in " ".join(source.problems)
    found = {r.format for r in scan([special]).runs}
    assert found == {"tensorboard", "lightning", "hf-trainer"}  # listed by name; reading says why not


def test_lrtui_watch_on_a_fifo_says_what_it_is(special):
    fifo = special / "csv" / "metrics.csv"
    with pytest.raises(ValueError, match="is a FIFO, not a log file or a folder"):
        detect(fifo)
    out = _lrtui("watch", str(fifo), "--runs-dir", str(special / "none"))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "metrics.csv" in out.stderr and "FIFO" in out.stderr and "Traceback" not in out.stderr
    out = _lrtui("watch", str(special / "tb"), "--log", str(fifo), "--runs-dir", str(special / "none"))
    assert out.returncode == 2 and "--log" in out.stderr


def test_escape_sequences_in_tags_written_by_summarywriter_never_reach_the_screen(tmp_path):
    script = (
        "import sys\n"
        "from torch.utils.tensorboard import SummaryWriter\n"
        "w = SummaryWriter(sys.argv[1])\n"
        "for s in range(5):\n"
        "    w.add_scalar('evil\\x1b[2J\\x1b]0;owned\\x07/loss\\r\\n\\x00', 1.0 / (s + 1), s)\n"
        "    w.add_scalar('lr\\x1b[31m', 0.1, s)\n"
        "w.add_hparams({'note\\x1b[5m': 'x\\x1b]52;c;Zm9v\\x07'}, {'hp\\x1b[1m': 1.0})\n"
        "w.close()\n"
    )
    run = tmp_path / "evil_run"
    subprocess.run([sys.executable, "-c", script, str(run)], check=True, timeout=120)
    source = open_source(run, "tensorboard").read_all()
    names = source.store.names()
    assert len(names) >= 2 and all(not (set(n) & CONTROL) for n in names)
    assert all(not (set(str(k)) & CONTROL) and not (set(str(v)) & CONTROL) for k, v in source.config.items())
    out = _lrtui("runs", "--scan", str(tmp_path), "--runs-dir", str(tmp_path / "none"), "--json")
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    data = json.loads(out.stdout)
    assert any(d.get("format") == "tensorboard" for d in data)


def test_a_huge_sparse_event_file_is_crossed_in_bounded_polls(logs, tmp_path):
    """A hole of zeros (a preallocated or sparse file) before real records: each poll reads at most
    max_bytes, the zeros are one corrupt region, the records after them are found."""
    run = tmp_path / "sparse"
    run.mkdir()
    real = next((logs / "tbt" / "run_t").glob("events.out.tfevents.*"))
    path = run / real.name
    hole, poll_bytes = 64 << 20, 4 << 20
    with open(path, "wb") as f:
        f.truncate(hole)
        f.seek(hole)
        f.write(real.read_bytes())
    source = open_source(run, "tensorboard")

    def crossed():
        while source.poll(max_bytes=poll_bytes):
            assert source.polls <= 2 * hole // poll_bytes, "polls that make no progress"
        return source

    done = threading.Event()
    threading.Thread(target=lambda: (crossed(), done.set()), daemon=True).start()
    assert done.wait(300), "the hole was not crossed"
    assert source.polls >= hole // poll_bytes  # bounded work per poll: the hole is not read at once
    assert len(source.store.get("loss")) == 50 and source.corrupt == 1 and "byte 0" in source.problems[0]


def test_a_csv_row_longer_than_a_poll_is_skipped_not_waited_for(logs, tmp_path):
    version = tmp_path / "version_0"
    shutil.copytree(logs / "pl" / "lightning_logs" / "version_0", version)
    csv_path = version / "metrics.csv"
    lines = csv_path.read_bytes().splitlines(keepends=True)
    rows = len(lines) - 1
    csv_path.write_bytes(lines[0] + lines[1] + b"9," * 100_000 + b"\n" + b"".join(lines[2:]))
    source = open_source(version, "lightning")
    for _ in range(200):
        if not source.poll(max_bytes=16 << 10):
            break
    assert source.rows == rows and source.skipped == 1
    assert "longer" in " ".join(source.problems)


def test_deep_nesting_is_bounded(logs, tmp_path):
    deep = tmp_path / "deep"
    path = deep
    for i in range(40):
        path = path / f"n{i}"
    path.mkdir(parents=True)
    shutil.copytree(logs / "tbt" / "run_t", path / "run")
    shallow = deep / "n0" / "run"
    shutil.copytree(logs / "tbt" / "run_t", shallow)
    found = scan([deep])
    assert [r.path for r in found.runs] == [shallow]  # past the depth limit: not walked
    nested = tmp_path / "state"
    nested.mkdir()
    (nested / "trainer_state.json").write_text('{"log_history": ' + "[" * 100_000 + "]" * 100_000 + "}")
    source = _read_all_within(open_source(nested, "hf-trainer"))
    source.poll()  # a copy that stays unreadable is reported (once the same size and mtime were seen twice)
    assert not source.store.names() and source.skipped == 1
    assert "cannot be read" in " ".join(source.problems)
