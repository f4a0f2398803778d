"""Bad input to the CLI gets exit status 2 and one line naming the field, the value and what is allowed:
never a traceback, a hang, a half-made run, or more than ~100 characters of the user's data or any line
of an unrelated file (issue 10, bugs 14 and 15)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lrtui.runs import list_runs

from .conftest import one_line, run_lrtui

SYNTH = ["--dataset", "synthetic", "--model", "lenet"]
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def _files(tmp: Path) -> dict[str, Path]:
    """Config and plan files as users get them wrong."""
    files = {
        "datetime.toml": 'model = "lenet"\ndataset = "synthetic"\nseed = 1979-05-27T07:32:00Z\n',
        "schedule5.toml": "schedule = 5\n",
        "optimizer-list.toml": "optimizer = [1, 2]\n",
        "deep.toml": "a = " + "[" * 3000 + "]" * 3000 + "\n",
        "deep.json": '{"a": ' + DEEP_JSON + "}",
        "list.json": "[1, 2, 3]",
        "truncated.json": '{"model": "len',
        "huge.json": '{"notes": "' + "x" * (17 << 20) + '"}',
    }
    out = {}
    for name, text in files.items():
        (tmp / name).write_text(text)
        out[name] = tmp / name
    (tmp / "binary.toml").write_bytes(bytes(range(256)) * 20)
    out["binary.toml"] = tmp / "binary.toml"
    (tmp / "a-dir.json").mkdir()
    out["a-dir.json"] = tmp / "a-dir.json"
    os.mkfifo(tmp / "fifo.json")
    out["fifo.json"] = tmp / "fifo.json"
    (tmp / "secret.csv").write_text("-----BEGIN KEY-----\nTOPSECRETLINE\n")
    out["secret.csv"] = tmp / "secret.csv"
    os.mkfifo(tmp / "fifo.csv")
    out["fifo.csv"] = tmp / "fifo.csv"
    return out


TRAIN_CASES = [
    (["CONFIG:datetime.toml"], "seed = '1979-05-27T07:32:00+00:00' is invalid: an integer in"),
    (["CONFIG:schedule5.toml"], "schedule = 5 is invalid: a table of spec, stepping"),
    (["CONFIG:optimizer-list.toml"], "optimizer = [1, 2] is invalid: a table of name, lr"),
    (["CONFIG:deep.toml"], "nested too deeply"),
    (["CONFIG:deep.json"], "nested too deeply"),
    (["CONFIG:list.json"], "a file holding a table of config keys"),
    (["CONFIG:truncated.json"], "not valid JSON"),
    (["CONFIG:huge.json"], "is too large"),
    (["CONFIG:binary.toml"], "not UTF-8 text"),
    (["CONFIG:a-dir.json"], "is not a regular file (a directory)"),
    (["CONFIG:fifo.json"], "is not a regular file (a FIFO)"),
    (["CONFIG:missing.json"], "no such file"),
    ([*SYNTH, "--set", "model.x=1"], "model = 'lenet' is invalid: a table to set model.x in"),
    (["--dataset", "synthetic", "--set", "model.x=1"], "model = {'x': 1} is invalid: one of vgg, lenet"),
    ([*SYNTH, "--set", "a=" + "[" * 5000 + "]" * 5000], "a = '[[[[["),
    ([*SYNTH, "--set", "=1"], "--set = '=1' is invalid: KEY=JSON"),
    ([*SYNTH, "--set", "optimizer..lr=1"], "KEY=JSON"),
    ([*SYNTH, "--set", "optimizer.lr=1" + "0" * 400], "optimizer.lr = 1000000"),
    ([*SYNTH, "--set", "schedule.spec.x=1"], "schedule.spec = {'x': 1} is invalid: a schedule spec string"),
    (
        [*SYNTH, "--schedule", "StepLR(step_size=0)"],
        "StepLR.step_size=0 is not allowed: must be a nonzero integer (torch raises ZeroDivisionError",
    ),
    ([*SYNTH, "--schedule", "OneCycleLR(max_lr=0.1, total_steps=10)"], "torch raises ValueError"),
    (
        [*SYNTH, "--schedule", "LambdaLR(lr_lambda=lambda k: " + "+".join(["0.1"] * 900) + ")"],
        "the lambda body is nested 201 levels deep",
    ),
    ([*SYNTH, "--schedule", "x" * 50_000], "the spec is too long"),
    (
        [*SYNTH, "--set", "synthetic_train_size=10000000"],
        "synthetic_train_size = 10000000 is invalid: a dataset that fits in memory: this one needs about "
        "29.7 GiB and the limit $LRTUI_MEMORY_LIMIT is 4.0 GiB (at most ~1,043,852 training images fit)",
    ),
    (
        ["--dataset", "mnist", "--model", "lenet", "--data-dir", "DATA", "--set", "download=false"],
        "dataset = 'mnist' is invalid: a dataset on disk: missing",
    ),
]


@pytest.mark.parametrize(("args", "expected"), TRAIN_CASES, ids=[c[1][:40] for c in TRAIN_CASES])
def test_lrtui_train_rejects_before_detaching(sandbox, cli, tmp_path, monkeypatch, args, expected):
    monkeypatch.setenv("LRTUI_MEMORY_LIMIT", "4GiB")
    files = _files(tmp_path)
    argv = ["train"]
    for a in args:
        if a.startswith("CONFIG:"):
            argv.append(str(files.get(a[7:], tmp_path / a[7:])))
        else:
            argv.append(a.replace("DATA", str(tmp_path / "no-data")))
    before = sorted(p.name for p in sandbox.runs.iterdir())
    result = cli(*argv)
    assert result.code == 2, result
    message = one_line(result.err)
    assert expected in message
    assert len(message) < 600 and "[" * 101 not in message and "x" * 101 not in message
    assert "0.1+0.1+0.1+0.1+0.1+0.1+0.1+0.1+0.1+0.1+0.1+0.1+0.1+0.1+0.1" not in message
    assert sorted(p.name for p in sandbox.runs.iterdir()) == before  # no run was created


def test_an_unreachable_download_is_said_before_detaching(sandbox, cli, tmp_path, monkeypatch):
    from lrtui.training import dataset_files

    monkeypatch.setitem(dataset_files.DOWNLOAD_URLS, "cifar10", "http://127.0.0.1:9/cifar.tar.gz")  # refused
    result = cli("train", "--dataset", "cifar10", "--data-dir", str(tmp_path / "none"))
    assert result.code == 2
    message = one_line(result.err)
    assert "a dataset on disk or downloadable: missing" in message and "127.0.0.1 is not reachable" in message


def test_a_fifo_config_never_hangs_the_cli(sandbox, tmp_path):
    files = _files(tmp_path)
    result = run_lrtui("train", str(files["fifo.json"]), timeout=60)
    assert result.code == 2 and "is not a regular file (a FIFO)" in one_line(result.err)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("fifo.csv", "is not a regular file (a FIFO)"), ("secret.csv", "line 2 is not a number")],
)
def test_plot_metric_on_hostile_files(tmp_path, metric, expected):
    files = _files(tmp_path)
    result = run_lrtui("plot", "ReduceLROnPlateau(patience=2)", "--metric", str(files[metric]), timeout=60)
    assert result.code == 2
    message = one_line(result.err)
    assert expected in message and "TOPSECRETLINE" not in message and "BEGIN KEY" not in message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("deep.toml", "nested too deeply"),
        ("deep.json", "nested too deeply"),
        ("binary.toml", "not UTF-8 text"),
        ("datetime.toml", "one of the keys"),
        ("fifo.json", "is not a regular file (a FIFO)"),
        ("huge.json", "is too large"),
    ],
)
def test_plot_rejects_hostile_plan_files(tmp_path, name, expected):
    files = _files(tmp_path)
    result = run_lrtui("plot", str(files[name]), timeout=60)
    assert result.code == 2 and expected in one_line(result.err)


def test_the_trainer_entry_point_rejects_a_missing_run_dir(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lrtui.training", "--run-dir", str(tmp_path / "nonexistent")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and one_line(proc.stderr).endswith("nonexistent': no such directory")


@pytest.mark.parametrize("wait", ["-1", "nan", "1e9"])
def test_stop_rejects_bad_waits(sandbox, cli, wait):
    result = cli("stop", "good-run", "--wait", wait)
    assert result.code == 2 and "--wait" in one_line(result.err)


def test_a_runs_dir_that_is_a_file(sandbox, cli, tmp_path):
    (tmp_path / "afile").write_text("not a dir")
    result = cli("train", *SYNTH, "--runs-dir", str(tmp_path / "afile"))
    assert result.code == 2 and "it is not a directory" in one_line(result.err)
    assert (tmp_path / "afile").read_text() == "not a dir"


@contextlib.contextmanager
def _tmpfs(path: Path, options: str):
    """A tmpfs mounted at `path` (root only), unmounted afterwards; skips where mounting is impossible."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_read_only_runs_dir(sandbox, cli, tmp_path):
    if os.geteuid() == 0:
        ctx = _tmpfs(tmp_path / "ro", "ro,size=64k")
    else:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o500)
        ctx = contextlib.nullcontext(tmp_path / "ro")
    with ctx as ro:
        result = cli("train", *SYNTH, "--runs-dir", str(ro))
        assert result.code == 2
        assert "cannot create a run in" in one_line(result.err)
        assert "Read-only file system" in result.err or "Permission denied" in result.err
        assert list(ro.iterdir()) == []


def _fill(path: Path, leave: int) -> None:
    """Fill the filesystem of `path` to `leave` bytes of free space (a file of whole pages)."""
    fd = os.open(path / ".fill", os.O_WRONLY | os.O_CREAT)
    written = 0
    try:
        while True:
            written += os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    os.ftruncate(fd, max(0, written - leave))
    os.close(fd)


def _no_trace(runs: Path) -> list[str]:
    """What a failed launch left in the runs dir (nothing: no run, no temp file)."""
    return sorted(str(p.relative_to(runs)) for p in runs.rglob("*") if p.name != ".fill")


@pytest.mark.slow
@pytest.mark.parametrize("free_pages", [0, 1, 2, 3, 4])
def test_a_full_disk_leaves_no_half_made_run(tmp_path, free_pages):
    with _tmpfs(tmp_path / "full", "size=64k") as fs:
        runs = fs / "runs"
        runs.mkdir()
        _fill(fs, free_pages * 4096)
        result = run_lrtui(
            "train", *SYNTH, "--epochs", "1", "--batch-size", "32", "--set", "synthetic_train_size=64",
            "--set", "synthetic_test_size=32", "--runs-dir", str(runs), timeout=120,
        )  # fmt: skip
        if result.code == 2:
            message = one_line(result.err)
            assert "No space left on device" in message
            assert _no_trace(runs) == []
            return
        assert result.code == 0, result.err
        (run,) = list_runs(runs)  # started, then the trainer itself found no space: it must end, not hang
        from lrtui.runs import wait_state

        assert wait_state(run.dir, ("lost", "failed", "finished"), 120) in ("lost", "failed", "finished")
        assert not [p for p in run.dir.iterdir() if p.name.endswith(".tmp")]


def test_a_file_size_limit_leaves_no_half_made_run(sandbox, tmp_path):
    """RLIMIT_FSIZE (works without root): writes past the limit fail with EFBIG, as on a full disk."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (600, 600))

    runs = tmp_path / "limited"
    proc = subprocess.run(
        [sys.executable, "-m", "lrtui", "train", *SYNTH, "--runs-dir", str(runs)],
        capture_output=True, text=True, timeout=120, preexec_fn=limit, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "File too large" in one_line(proc.stderr)
    assert [p for p in runs.rglob("*")] == []  # no run dir, no temp file
    assert json.loads(json.dumps(proc.stderr))  # plain text
