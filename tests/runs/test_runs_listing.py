"""list_runs over real directories with junk in them; status reading and "lost" detection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lrtui.runs import RunLogger, effective_state, list_runs, pid_alive, read_status
from lrtui.runs.jsonio import write_json_atomic
from lrtui.runs.status import LOST_AFTER_S, this_host


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def make_run(runs_dir: Path, run_id: str, *, model: str, accs: list[float], created: str) -> Path:
    with RunLogger({"model": model, "dataset": "cifar10", "epochs": 5,
                    "schedule": {"spec": "StepLR(step_size=30)", "stepping": "epoch"}},
                   runs_dir=runs_dir, run_id=run_id) as log:  # fmt: skip
        for e, acc in enumerate(accs):
            log.step(e, lr=0.1)
            log.epoch(e, test_acc=acc)
    config = json.loads((log.run_dir / "config.json").read_text())
    config["created"] = created
    write_json_atomic(log.run_dir / "config.json", config)
    return log.run_dir


def test_list_runs_newest_first_with_summaries_and_junk(runs_dir: Path) -> None:
    make_run(runs_dir, "old", model="vgg11", accs=[0.3, 0.6, 0.5], created="2026-01-01T00:00:00Z")
    make_run(runs_dir, "new", model="resnet18", accs=[0.4], created="2026-02-01T00:00:00Z")
    (runs_dir / "junk-empty").mkdir()
    (runs_dir / "junk-file.txt").write_text("hello")
    (runs_dir / ".hidden").mkdir()
    bad = runs_dir / "bad-json"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    (bad / "status.json").write_text('{"state": "runn')
    weird = runs_dir / "weird-types"
    weird.mkdir()
    (weird / "config.json").write_text('["a list"]')
    (weird / "status.json").write_text('{"state": 5, "updated": "soon", "epochs_done": "many"}')
    (weird / "metrics.jsonl").write_bytes(b"\x00\xff garbage\n")

    runs = list_runs(runs_dir)
    ids = [r.id for r in runs]
    assert set(ids) == {"old", "new", "bad-json", "weird-types"}
    assert ids.index("new") < ids.index("old")
    new, old = runs[ids.index("new")], runs[ids.index("old")]
    assert (old.state, old.model, old.dataset, old.schedule) == (
        "finished",
        "vgg11",
        "cifar10",
        "StepLR(step_size=30)",
    )
    assert (old.epochs_done, old.epochs_total, old.last_test_acc, old.best_test_acc) == (3, 5, 0.5, 0.6)
    assert new.epochs_done == 1 and new.best_test_acc == 0.4 and new.age is not None and new.age >= 0
    bad_summary = runs[ids.index("bad-json")]
    assert bad_summary.state == "unreadable" and "config.json is not valid JSON" in bad_summary.problem
    weird_summary = runs[ids.index("weird-types")]
    assert weird_summary.state == "unreadable" and "config.json holds a list" in weird_summary.problem
    assert weird_summary.epochs_done is None
    assert list_runs(runs_dir / "does-not-exist") == []


def test_listing_falls_back_to_metrics_tail_for_external_writers(runs_dir: Path) -> None:
    run = runs_dir / "external"
    run.mkdir()
    (run / "config.json").write_text(
        json.dumps({"model": "mlp", "epochs": 10, "schedule": "CosineAnnealingLR(T_max=10)"})
    )
    (run / "status.json").write_text(json.dumps({"state": "finished", "updated": time.time()}))
    filler = "".join(json.dumps({"kind": "step", "step": k, "lr": 0.1}) + "\n" for k in range(3000))
    epochs = "".join(
        json.dumps({"kind": "epoch", "epoch": e, "test_acc": a}) + "\n" for e, a in enumerate([0.7, 0.9, 0.8])
    )
    (run / "metrics.jsonl").write_text(filler + epochs + '{"kind":"epo')
    (summary,) = list_runs(runs_dir)
    assert summary.schedule == "CosineAnnealingLR(T_max=10)"
    assert (summary.epochs_done, summary.last_test_acc, summary.best_test_acc) == (3, 0.8, 0.9)


def test_lost_when_the_pid_is_dead_on_this_host(runs_dir: Path) -> None:
    now = time.time()
    status = {"state": "running", "pid": dead_pid(), "host": this_host(), "updated": now}
    assert effective_state(status, now) == "lost"
    assert effective_state({**status, "pid": os.getpid(), "started": now}, now) == "running"
    assert effective_state({**status, "state": "finished"}, now) == "finished"
    other = {"state": "running", "pid": 1, "host": "elsewhere", "updated": now}
    assert effective_state(other, now + 60) == "running"
    assert effective_state(other, now + LOST_AFTER_S + 1) == "lost"
    assert effective_state({}, now) == "unknown"
    # a pid alive now but started well after the run's process took over: reused, so lost
    reused = "lost" if Path("/proc/self/stat").exists() else "running"  # start times need /proc
    assert effective_state({**status, "pid": os.getpid(), "started": now - 10**6}, now) == reused
    assert not pid_alive(None) and not pid_alive(-5) and not pid_alive(True)

    run = runs_dir / "crashed"
    run.mkdir()
    write_json_atomic(run / "status.json", status)
    (run / "config.json").write_text("{}")
    (summary,) = list_runs(runs_dir)
    assert summary.state == "lost"


def test_read_status_is_tolerant(tmp_path: Path) -> None:
    assert read_status(tmp_path) == {}
    (tmp_path / "status.json").write_text("")
    assert read_status(tmp_path)["state"] == "unreadable"
    (tmp_path / "status.json").write_text("[1]")
    assert "not an object" in read_status(tmp_path)["problem"]
