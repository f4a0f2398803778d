"""RunFollower (the monitor's worker-side reader) against run directories written by the real RunLogger."""

from __future__ import annotations

import json

import numpy as np

from lrtui.runs import RunLogger
from lrtui.widgets.runs.follow import RunFollower

CONFIG = {
    "model": "mlp",
    "optimizer": {"name": "sgd", "lr": 0.1},
    "schedule": {"spec": "StepLR(step_size=10, gamma=0.5)", "stepping": "step", "total_steps": 100},
}


def _lr(k):
    return 0.1 * 0.5 ** (k // 10)


def test_tails_appended_batches_and_keeps_published_snapshots_intact(tmp_path):
    log = RunLogger(CONFIG, runs_dir=tmp_path, flush_interval=3600, handle_sigterm=False)
    follower = RunFollower(log.run_dir, device=False)
    first = follower.poll()
    assert first is not None and first.n == 0 and first.state == "running"
    assert follower.poll() is None  # nothing changed: no new snapshot, nothing to redraw
    log.steps({"step": list(range(30)), "lr": [[_lr(k) for k in range(30)]], "loss": [1.0] * 30})
    log.flush()
    snap = follower.poll()
    assert snap.n == 30 and snap.lr_check.ok and snap.lr_check.compared == 30
    kept = snap.steps.copy()
    for start in range(30, 3000, 100):  # many appends: buffers grow and move
        log.steps(
            {
                "step": list(range(start, start + 100)),
                "lr": [[_lr(k) for k in range(start, start + 100)]],
                "loss": [0.5] * 100,
            }
        )
        log.flush()
        follower.poll()
    last = follower.poll() or follower._snapshot
    assert last.n == 3030
    np.testing.assert_array_equal(snap.steps, kept)  # the old snapshot never changed under the UI
    assert last.lr_check.ok  # points past total_steps (100) are not compared
    log.epoch(0, test_acc=0.5, train_acc=0.4, images_per_s=100.0)
    log.close()
    final = follower.poll()
    assert final.state == "finished" and len(final.epochs) == 1
    assert final.progress.images_per_s == 100.0


def test_a_resume_that_relogs_steps_gets_fresh_buffers(tmp_path):
    log = RunLogger(CONFIG, runs_dir=tmp_path, flush_interval=3600, handle_sigterm=False)
    log.steps({"step": list(range(20)), "lr": [[_lr(k) for k in range(20)]], "loss": [1.0] * 20})
    log.flush()
    follower = RunFollower(log.run_dir, device=False)
    before = follower.poll()
    assert before.n == 20
    log.steps({"step": list(range(10, 15)), "lr": [[_lr(k) for k in range(10, 15)]], "loss": [9.0] * 5})
    log.close()
    after = follower.poll()
    assert after.n == 15 and after.data_source != before.data_source
    assert after.loss[-1] == 9.0 and before.loss[14] == 1.0


def test_user_runs_with_partial_lines_garbage_and_no_config(tmp_path):
    run = tmp_path / "user-run"
    run.mkdir()
    lines = [
        json.dumps({"kind": "step", "step": 0, "lr": 0.1, "loss": 2.0}),
        "this is not json",
        json.dumps({"kind": "mystery", "x": 1}),
        json.dumps({"kind": "step", "step": 1, "lr": [0.1], "loss": 1.9}),
        '{"kind": "step", "step": 2, "lr": 0.1',  # a partial last line: the writer is mid-write
    ]
    (run / "metrics.jsonl").write_text("\n".join(lines))
    follower = RunFollower(run, device=False)
    snap = follower.poll()
    assert snap.n == 2 and snap.skipped == 1
    assert snap.planned.lr is None and "no schedule" in snap.planned.reason
    assert snap.config_error and "missing" in snap.config_error
    with open(run / "metrics.jsonl", "a") as f:
        f.write(', "loss": 1.8}\n')
    assert follower.poll().n == 3


def test_malformed_config_and_status_never_raise(tmp_path):
    run = tmp_path / "broken"
    run.mkdir()
    (run / "config.json").write_text("{not json")
    (run / "status.json").write_text("[1, 2]")
    snap = RunFollower(run, device=False).poll()
    assert snap.n == 0 and snap.state == "unreadable" and "not valid JSON" in snap.config_error
