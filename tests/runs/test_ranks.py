"""Rank heartbeats (lrtui.runs.ranks): the real writer's files, the incremental reader, and the job's health
(straggler, stalled/hung with the culprit named, dead, silent, missing ranks) from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from lrtui.runs.ranks import (
    HANG_STEPS,
    RankHeartbeat,
    RanksTail,
    assess,
    hang_threshold,
    job_view,
    rank_file,
    rank_ranges,
)
from lrtui.runs.status import this_host

T0 = 1_800_000_000.0


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _always_alive(_pid, _started=None) -> bool:
    return True


def _beating(run_dir, rank, clock, *, world=4, every=5.0, steps=10, step_time=0.2, own=0.1, data=0.01):
    """A rank that trained `steps` steps at `step_time` each and beat once; returns its writer (open)."""
    hb = RankHeartbeat(run_dir, rank=rank, world_size=world, every=every, clock=clock, thread=False)
    for k in range(1, steps + 1):
        clock.t += step_time
        hb.step(k, data_time=data, own_time=own)
    hb.beat()
    return hb


def test_writer_and_reader_agree_on_steps_times_memory_and_the_exit(tmp_path):
    clock = Clock()
    hb = RankHeartbeat(
        tmp_path, rank=3, world_size=8, local_rank=3, every=2.0, clock=clock, thread=False, agent_pid=1234
    )
    for k in range(1, 21):
        clock.t += 0.5
        hb.step(k, data_time=0.05, own_time=0.3)
    hb.phase = "eval"
    hb.beat()
    tail = RanksTail(tmp_path)
    rec = tail.poll()[3]
    assert rec.first["event"] == "start" and rec.last["step"] == 20
    assert rec.step_time == pytest.approx(0.5) and rec.own_time == pytest.approx(0.3)
    assert rec.data_time == pytest.approx(0.05)
    assert rec.last["phase"] == "eval" and rec.last["agent_pid"] == 1234 and rec.last["local_rank"] == 3
    assert rec.last["mem"] > 0 and rec.last["mem_kind"] == "rss"  # the process's RSS by default
    version = tail.version
    assert tail.poll()[3].records == rec.records and tail.version == version  # nothing new: nothing read
    clock.t += 1.0
    hb.close("stopped", "stopped by SIGTERM")
    last = tail.poll()[3].last
    assert last["event"] == "exit" and last["state"] == "stopped" and last["message"] == "stopped by SIGTERM"
    assert tail.version == version + 1


def test_the_thread_beats_by_itself_while_the_loop_is_blocked(tmp_path):
    hb = RankHeartbeat(tmp_path, rank=0, world_size=2, every=0.05)
    hb.step(7)
    deadline = time.monotonic() + 10
    while hb.beats < 4 and time.monotonic() < deadline:  # start + 3 beats, no step() in between
        time.sleep(0.02)
    hb.close()
    lines = [json.loads(line) for line in rank_file(tmp_path, 0).read_text().splitlines()]
    assert len(lines) >= 5 and {rec["step"] for rec in lines[1:]} == {7}  # alive, not progressing
    assert lines[-1]["event"] == "exit"


def test_reader_survives_partial_lines_truncation_and_hostile_content(tmp_path):
    ranks = tmp_path / "ranks"
    ranks.mkdir()
    good = {"t": T0, "rank": 0, "world_size": 2, "pid": 1, "host": "h\x1b[31mx", "step": 5, "event": "beat"}
    (ranks / "0.jsonl").write_text(json.dumps(good) + "\n" + '{"t": 1, "rank": 0, "st')  # a partial line
    (ranks / "1.jsonl").write_text(json.dumps({**good, "rank": 0}) + "\n")  # names another rank
    (ranks / "notes.txt").write_text("ignored")
    (ranks / "7.jsonl").symlink_to(ranks / "0.jsonl")  # symlinks are not followed
    (ranks / "2.jsonl").write_text("x" * 100_000)  # no newline at all
    tail = RanksTail(tmp_path)
    got = tail.poll()
    assert sorted(got) == [0] and got[0].last["host"] == "h[31mx" and "\x1b" not in got[0].last["host"]
    assert tail.skipped == 1  # the record in 1.jsonl that claims rank 0
    with open(ranks / "0.jsonl", "a") as f:
        f.write('ep": 6}\n')  # the partial line completes (but has no "t"): read, not the newest
    assert tail.poll()[0].last["step"] == 5
    (ranks / "0.jsonl").write_text(json.dumps({**good, "step": 1}) + "\n")  # truncated: read again
    assert tail.poll()[0].last["step"] == 1


def test_a_long_file_is_read_from_its_tail_and_its_first_line(tmp_path):
    clock = Clock()
    hb = RankHeartbeat(tmp_path, rank=0, world_size=2, every=1.0, clock=clock, thread=False)
    for k in range(1, 3001):
        clock.t += 0.1
        hb.step(k)
        if k % 5 == 0:
            hb.beat()
    assert rank_file(tmp_path, 0).stat().st_size > 100_000
    rec = RanksTail(tmp_path).poll()[0]
    assert rec.first["event"] == "start" and rec.last["step"] == 3000
    assert rec.records < 100  # only the tail was parsed


def test_healthy_job_and_a_straggler_named_by_its_own_time(tmp_path):
    clock = Clock()
    for rank in range(4):
        _beating(tmp_path, rank, clock, own=0.25 if rank == 2 else 0.1)
    clock.t += 1.0
    health = assess(RanksTail(tmp_path).poll(), now=clock.t, alive=_always_alive)
    assert health.state == "ok" and health.straggler == 2
    assert health.straggler_ratio == pytest.approx(0.25 / 0.1)
    assert [r.state for r in health.rows] == ["ok", "ok", "straggler", "ok"]
    assert "straggler: rank 2" in health.message
    # the same times without the outlier: no straggler (timer noise is not one)
    clock2, other = Clock(), tmp_path / "even"
    other.mkdir()
    for rank in range(4):
        _beating(other, rank, clock2, own=0.1 + 0.001 * rank)
    assert assess(RanksTail(other).poll(), now=clock2.t, alive=_always_alive).straggler is None


def test_a_dead_rank_on_this_host_makes_the_job_degraded_and_is_named(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    clock = Clock()
    for rank in range(3):
        hb = _beating(tmp_path, rank, clock, world=3)
        if rank == 1:
            hb._static["pid"] = gone.pid  # rank 1's process: exited, no exit record
            hb.beat()
    health = assess(RanksTail(tmp_path).poll(), now=clock.t + 1, world_size=3)
    assert [r.state for r in health.rows] == ["ok", "dead", "ok"]
    assert health.state == "degraded" and health.message.startswith("rank 1 died")
    post = assess(RanksTail(tmp_path).poll(), now=clock.t + 1, live=False)  # after the job ended
    assert "rank 1 died without an exit record, last beat at step 10" in post.message


def test_silent_and_missing_ranks(tmp_path):
    clock = Clock()
    _beating(tmp_path, 1, clock, world=4, every=1.0)  # rank 1 beats, then nothing for 6 intervals
    clock.t += 6.0
    for rank in (0, 2):
        _beating(tmp_path, rank, clock, world=4, every=1.0, steps=5, step_time=0.01)
    health = assess(RanksTail(tmp_path).poll(), now=clock.t, started=T0 - 500, alive=_always_alive)
    rows = {r.rank: r.state for r in health.rows}
    assert rows == {0: "ok", 1: "silent", 2: "ok", 3: "missing"}
    assert health.state == "degraded"
    assert (
        "rank 1 went silent (last beat at step 10)" in health.message
        and "rank 3 never started" in health.message
    )


def test_hung_job_names_the_rank_the_others_wait_for(tmp_path):
    clock = Clock()
    writers = [_beating(tmp_path, rank, clock, steps=50, step_time=0.2) for rank in range(4)]
    writers[3].step(49)  # rank 3 is one step behind, the others wait for it in a collective
    for rank, hb in enumerate(writers):
        hb.phase = "data" if rank == 3 else "backward"
    threshold = hang_threshold(0.2, 5.0)
    assert threshold == pytest.approx(max(10.0, 5.0 + HANG_STEPS * 0.2))
    clock.t += threshold + 5  # everyone keeps beating (threads), nobody steps
    for hb in writers:
        hb.beat()
    health = assess(RanksTail(tmp_path).poll(), now=clock.t, alive=_always_alive)
    assert health.state == "hung" and all(r.state == "stalled" for r in health.rows)
    assert "rank 3 behind at step 49 (others at 50)" in health.message
    # equal steps: the odd phase out is named
    for hb in writers:
        hb.step(50)
    clock.t += threshold + 5
    for hb in writers:
        hb.beat()
    health = assess(RanksTail(tmp_path).poll(), now=clock.t, alive=_always_alive)
    assert health.state == "hung" and "rank 3 in data (the others in backward)" in health.message


def test_evaluation_and_checkpoints_are_not_hangs(tmp_path):
    clock = Clock()
    writers = [_beating(tmp_path, rank, clock, steps=50, step_time=0.2) for rank in range(2)]
    clock.t += 60
    for hb in writers:
        hb.phase = "eval"
        hb.beat()
    health = assess(RanksTail(tmp_path).poll(), now=clock.t, alive=_always_alive)
    assert health.state == "ok" and {r.state for r in health.rows} == {"ok"}


def test_job_view_turns_a_running_job_degraded_and_leaves_single_runs_alone(tmp_path):
    clock = Clock(time.time())
    _beating(tmp_path, 0, clock, world=2)
    status = {
        "state": "running",
        "pid": os.getpid(),
        "host": this_host(),
        "updated": clock.t,
        "world_size": 2,
    }
    hb = _beating(tmp_path, 1, clock, world=2)
    hb.close("failed", "CUDA error: out of memory")
    state, health = job_view(tmp_path, status, now=clock.t)
    assert state == "degraded" and "rank 1 failed" in health.message
    single = tmp_path / "single"
    single.mkdir()
    assert job_view(single, {**status, "world_size": None}, now=clock.t) == ("running", None)


def test_rank_ranges():
    assert rank_ranges([0, 1, 2, 4, 6, 7]) == "0-2,4,6-7"
    assert rank_ranges([5]) == "5"


def test_a_rank_gone_silent_while_the_other_evaluates_makes_the_job_hung(tmp_path):
    # the ddp e2e test froze rank 1 (SIGSTOP) while rank 0 was in eval: rank 0 waits for it in the eval's
    # collective, beating (thread) with its step frozen — that is a hang, not a long evaluation
    clock = Clock()
    writers = [
        _beating(tmp_path, rank, clock, world=2, every=1.0, steps=48, step_time=0.05) for rank in (0, 1)
    ]
    writers[0].phase = "eval"
    writers[1].phase = "sync"
    for hb in writers:
        hb.beat()
    clock.t += 30  # rank 1 frozen: no beat; rank 0 beats from its thread, no step
    writers[0].beat()
    health = assess(RanksTail(tmp_path).poll(), now=clock.t, alive=_always_alive)
    assert {r.rank: r.state for r in health.rows} == {0: "stalled", 1: "silent"}
    assert health.state == "hung" and "rank 1 went silent" in health.message
