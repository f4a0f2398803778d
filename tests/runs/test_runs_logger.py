"""RunLogger writes what readers read back; states, status atomicity, flushing, optimizer reading."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lrtui.runs import MetricsTail, RunLogger, optimizer_lrs, read_run, read_status
from lrtui.runs.paths import default_runs_dir, new_run_id


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def poll(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


def test_steps_epochs_events_read_back(runs_dir: Path) -> None:
    with RunLogger({"model": "vgg11", "epochs": 2}, runs_dir=runs_dir, flush_interval=3600) as log:
        for k in range(5):
            log.step(
                k, lr=[0.1 * k, 0.01], loss=1.0 / (k + 1), epoch=0, momentum=0.9, grad_norm=2.0, tokens=k * 3
            )
        log.steps({"step": list(range(5, 9)), "lr": [[0.5, 0.6, 0.7, 0.8], [0.05] * 4], "loss": [1, 2, 3, 4]})
        log.epoch(0, test_acc=0.25, train_loss=1.5)
        log.event("checkpoint", "saved", path="x.pt")
    run = read_run(log.run_dir)
    data = run.data
    assert list(data.steps) == list(range(9))
    assert list(data.lr[0]) == [0.0, 0.1, 0.2, 0.1 * 3, 0.4, 0.5, 0.6, 0.7, 0.8]
    assert list(data.lr[1]) == [0.01] * 5 + [0.05] * 4
    assert list(data.momentum[0])[:5] == [0.9] * 5 and all(math.isnan(v) for v in data.momentum[0][5:])
    assert list(data.loss) == [1.0, 0.5, 1 / 3, 0.25, 0.2, 1, 2, 3, 4]
    assert list(data.extra["tokens"])[:5] == [0, 3, 6, 9, 12]
    assert data.epochs[0]["test_acc"] == 0.25 and data.epochs[0]["step"] == 8
    assert [e["event"] for e in data.events] == ["start", "checkpoint", "finish"]
    assert data.events[1]["path"] == "x.pt"
    assert run.state == "finished"
    assert (
        run.config["model"] == "vgg11" and run.config["format"] == 1 and run.config["source"] == "runlogger"
    )
    assert run.config["id"] == log.id == log.run_dir.name
    status = read_status(log.run_dir)
    assert status["state"] == "finished" and status["step"] == 8 and status["epochs_done"] == 1
    assert status["best_test_acc"] == 0.25 and status["pid"] == os.getpid()
    assert not [p for p in log.run_dir.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("packed", [True, False])
def test_nonfinite_values_are_valid_json(runs_dir: Path, packed: bool) -> None:
    with RunLogger({}, runs_dir=runs_dir, packed=packed) as log:
        log.step(0, lr=0.1, loss=float("nan"), grad_norm=float("inf"))
        log.step(1, lr=0.1, loss=1.0, grad_norm=float("-inf"))
        log.epoch(0, test_loss=float("nan"), test_acc=0.5)
    text = log.metrics_path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    for line in text.splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    data = read_run(log.run_dir).data
    assert math.isnan(data.loss[0]) and data.loss[1] == 1.0
    if packed:  # raw doubles keep inf exactly; JSON lists can only say null (read as nan)
        assert data.grad_norm[0] == math.inf and data.grad_norm[1] == -math.inf
    else:
        assert math.isnan(data.grad_norm[0])
    assert data.epochs[0]["test_loss"] is None


def test_packed_and_plain_read_back_identically(runs_dir: Path) -> None:
    rows = [(k, [1 / (k + 1), 0.5 * k], (k % 3) - 0.5) for k in range(2500)]
    runs = []
    for packed in (True, False):
        with RunLogger({}, runs_dir=runs_dir, packed=packed, flush_interval=3600) as log:
            for k, lrs, loss in rows:
                log.step(k, lr=lrs, loss=loss, epoch=k // 1000)
        runs.append(read_run(log.run_dir).data)
    a, b = runs
    assert list(a.steps) == list(b.steps) == list(range(2500))
    assert (
        [list(g) for g in a.lr]
        == [list(g) for g in b.lr]
        == [[r[1][0] for r in rows], [r[1][1] for r in rows]]
    )
    assert list(a.loss) == list(b.loss) and list(a.epoch) == list(b.epoch)


def test_steps_accepts_tolist_objects_and_flat_single_group(runs_dir: Path) -> None:
    np = pytest.importorskip("numpy")
    with RunLogger({}, runs_dir=runs_dir) as log:
        log.steps(
            {"step": np.arange(3), "lr": np.array([0.1, 0.2, 0.3]), "loss": np.array([1.0, 2.0, 3.0], "f4")}
        )
        log.steps({"step": np.arange(3, 5), "lr": np.array([[0.4, 0.5], [0.04, 0.05]])})
    data = read_run(log.run_dir).data
    assert list(data.steps) == [0, 1, 2, 3, 4]
    assert list(data.lr[0]) == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert list(data.lr[1])[3:] == [0.04, 0.05]


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda log: log.step(-1, lr=0.1), "step=-1"),
        (lambda log: log.step(1.5, lr=0.1), "step=1.5"),
        (lambda log: log.step(1, lr="fast"), "lr='fast'"),
        (lambda log: log.step(1, lr=0.1, loss="high"), "loss='high'"),
        (lambda log: log.steps({"step": [1, 2], "lr": [[0.1]]}), "columns['lr'][0] has 1 values; expected 2"),
        (lambda log: log.steps({"lr": [[0.1]]}), "'step' and 'lr' are required"),
        (lambda log: log.steps({"step": [1, 2], "lr": [0.1, 0.2], "loss": [1.0]}), "columns['loss'] has 1"),
        (lambda log: log.set_state("lost"), "state='lost' is not allowed"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(runs_dir: Path, call, fragment: str) -> None:
    with RunLogger({}, runs_dir=runs_dir) as log:
        with pytest.raises(ValueError, match=None) as info:
            call(log)
        assert fragment in str(info.value)
    assert read_run(log.run_dir).state == "finished"


def test_failed_state_keeps_traceback_tail_and_error_event(runs_dir: Path) -> None:
    def inner() -> None:
        raise ZeroDivisionError("lr went to zero")

    def outer() -> None:
        try:
            try:
                {}["missing"]
            except KeyError as exc:
                raise ValueError("bad value") from exc
        except ValueError:
            inner()  # a chained traceback: more than 20 lines

    with pytest.raises(ZeroDivisionError), RunLogger({}, runs_dir=runs_dir) as log:
        log.step(0, lr=0.1)
        outer()
    status = read_status(log.run_dir)
    assert status["state"] == "failed"
    lines = status["error"].splitlines()
    assert len(lines) == 20 and lines[-1] == "ZeroDivisionError: lr went to zero"
    events = read_run(log.run_dir).data.events
    assert events[-1]["event"] == "error" and events[-1]["message"] == "ZeroDivisionError: lr went to zero"


def test_keyboard_interrupt_is_stopped(runs_dir: Path) -> None:
    with pytest.raises(KeyboardInterrupt), RunLogger({}, runs_dir=runs_dir) as log:
        raise KeyboardInterrupt
    status = read_status(log.run_dir)
    assert status["state"] == "stopped" and status["error"] is None
    assert read_run(log.run_dir).data.events[-1]["event"] == "stop"


def test_close_is_idempotent_and_later_writes_fail_clearly(runs_dir: Path) -> None:
    log = RunLogger({}, runs_dir=runs_dir)
    log.close("diverged", error="loss is nan")
    log.close()
    assert read_status(log.run_dir)["state"] == "diverged"
    with pytest.raises(RuntimeError, match="closed"):
        log.step(0, lr=0.1)


def test_reader_sees_data_after_flush_and_everything_after_close(runs_dir: Path) -> None:
    log = RunLogger({}, runs_dir=runs_dir, flush_interval=3600)
    tail = MetricsTail(log.metrics_path)
    tail.read_new()  # the start event
    log.step(0, lr=0.1)
    log.flush()
    assert [r["kind"] for r in tail.read_new()] == ["steps"]
    for k in range(1, 2500):  # more than one batch worth
        log.step(k, lr=0.1)
    log.close()
    data = read_run(log.run_dir).data
    assert list(data.steps) == list(range(2500))


def test_idle_logger_flushes_on_its_own(runs_dir: Path) -> None:
    with RunLogger({}, runs_dir=runs_dir, flush_interval=0.05) as log:
        log.step(0, lr=0.1)
        # nothing else is called: the timer thread must write the buffered step
        assert poll(lambda: len(read_run(log.run_dir).data) == 1)


def test_status_replacement_is_atomic_under_concurrent_reads(runs_dir: Path) -> None:
    log = RunLogger({}, runs_dir=runs_dir)
    problems: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            raw = log.status_path.read_bytes()
            try:
                assert json.loads(raw)["state"] in ("running", "finished")
            except Exception as exc:  # collected; asserted in the main thread
                problems.append(f"{exc!r}: {raw[:80]!r}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for k in range(150):
            log.set_state("running", message=f"m{k}", padding="x" * (k * 7 % 5000))
    finally:
        done.set()
        thread.join()
        log.close()
    assert problems == []
    assert not [p for p in log.run_dir.iterdir() if p.name.endswith(".tmp")]


def test_open_appends_terminates_partial_line_and_writes_resume(runs_dir: Path) -> None:
    log = RunLogger({"model": "m"}, runs_dir=runs_dir)
    log.step(0, lr=0.1)
    log.close()
    with open(log.metrics_path, "ab") as f:
        f.write(b'{"kind":"steps","step":[1],"lr":[[0.')  # what a kill -9 mid-write could leave
    with RunLogger.open(log.run_dir) as again:
        assert again.last_step == 0
        again.step(1, lr=0.2)
    run = read_run(log.run_dir)
    assert list(run.data.steps) == [0, 1] and list(run.data.lr[0]) == [0.1, 0.2]
    assert [e["event"] for e in run.data.events] == ["start", "finish", "resume", "finish"]
    assert run.tail.skipped == 1
    assert run.status["state"] == "finished"


def test_run_ids_are_unique_and_explicit_ids_do_not_clobber(runs_dir: Path) -> None:
    ids = {new_run_id("ResNet 18/CIFAR", now=0) for _ in range(50)}
    assert len(ids) > 40 and all(i.startswith("19700101-000000-resnet-18-cifar-") for i in ids)
    RunLogger({}, runs_dir=runs_dir, run_id="same").close()
    with pytest.raises(FileExistsError, match="run_id='same'"):
        RunLogger({}, runs_dir=runs_dir, run_id="same")


def test_default_runs_dir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LRTUI_RUNS_DIR", str(tmp_path / "r"))
    assert default_runs_dir() == tmp_path / "r"
    monkeypatch.delenv("LRTUI_RUNS_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_runs_dir() == tmp_path / "xdg" / "lrtui" / "runs"


def test_optimizer_lrs_with_real_torch_optimizers(runs_dir: Path) -> None:
    torch = pytest.importorskip("torch")
    w = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))]
    sgd = torch.optim.SGD([{"params": [w[0]]}, {"params": [w[1]], "lr": 0.01}], lr=0.1, momentum=0.9)
    assert optimizer_lrs(sgd) == ([0.1, 0.01], [0.9, 0.9])
    adam = torch.optim.AdamW(w, lr=3e-4, betas=(0.85, 0.99))
    assert optimizer_lrs(adam) == ([3e-4], [0.85])
    sched = torch.optim.lr_scheduler.StepLR(sgd, step_size=1, gamma=0.5)
    with RunLogger({}, runs_dir=runs_dir) as log:
        for k in range(3):
            log.log_optimizer(k, sgd, loss=torch.tensor(1.5))
            sgd.step()
            sched.step()
    data = read_run(log.run_dir).data
    assert list(data.lr[0]) == [0.1, 0.05, 0.025] and list(data.momentum[1]) == [0.9] * 3
    assert list(data.loss) == [1.5] * 3
    with pytest.raises(ValueError, match="param_groups"):
        optimizer_lrs(object())


def run_script(code: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


SCRIPT = """
import os, signal, sys
from lrtui import RunLogger
log = RunLogger({{"model": "x"}}, runs_dir=sys.argv[1], flush_interval=3600)
print(log.run_dir)
for k in range(10):
    log.step(k, lr=0.1)
{ending}
"""


@pytest.mark.parametrize(
    "ending, state, error_part",
    [
        ("pass", "finished", None),
        ("raise RuntimeError('uncaught')", "failed", "RuntimeError: uncaught"),
        ("os.kill(os.getpid(), signal.SIGTERM)\nimport time\ntime.sleep(30)", "stopped", None),
    ],
)
def test_process_end_without_close_sets_state(runs_dir: Path, ending: str, state: str, error_part) -> None:
    proc = run_script(SCRIPT.format(ending=ending), runs_dir, str(runs_dir))
    run_dir = Path(proc.stdout.splitlines()[0])
    run = read_run(run_dir)
    assert run.status["state"] == state, proc.stderr
    assert list(run.data.steps) == list(range(10))  # buffered steps were flushed at exit
    if error_part:
        assert error_part in run.status["error"]
    else:
        assert run.status["error"] is None
