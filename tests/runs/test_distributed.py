"""The torchrun side of the run layer without torch: the layout and its command lines, one run directory for
all ranks, RunLogger on rank > 0, SIGTERM under the launcher, stopping only verified agents, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lrtui.runs import create_run_dir, read_status
from lrtui.runs.distributed import (
    DistEnv,
    DistError,
    LaunchSpec,
    agree_run_dir,
    dist_env,
    is_torchrun,
    resume_run,
    stop_job,
    torchrun_args,
    trainer_command,
)
from lrtui.runs.ranks import RanksTail
from lrtui.runs.status import this_host

ROOT = Path(__file__).resolve().parents[2]


def _env(rank: int, world: int = 2, **extra: str) -> dict[str, str]:
    return {"RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank), "TORCHELASTIC_RUN_ID": "j1",
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29999", **extra}  # fmt: skip


def test_dist_env_reads_torchruns_variables_and_ignores_one_process():
    env = dist_env(_env(1, 4, LOCAL_WORLD_SIZE="2", GROUP_RANK="0", TORCHELASTIC_RESTART_COUNT="1"))
    assert (env.rank, env.world_size, env.local_world_size, env.restart_count) == (1, 4, 2, 1)
    assert env.master == "127.0.0.1:29999" and not env.is_writer
    assert dist_env({"RANK": "0", "WORLD_SIZE": "1"}) is None
    assert dist_env({"RANK": "5", "WORLD_SIZE": "2"}) is None  # nonsense is not a job
    assert dist_env({}) is None


def test_layouts_become_torchrun_command_lines_and_bad_ones_name_the_field():
    assert torchrun_args(LaunchSpec(2))[:2] == ["--standalone", "--nnodes=1"]
    static = torchrun_args(LaunchSpec(8, 2, node_rank=1, rdzv_endpoint="n1:29500"))
    assert "--rdzv-backend=static" in static and "--node-rank=1" in static and "--nnodes=2" in static
    elastic = torchrun_args(LaunchSpec(8, 4, rdzv_endpoint="n1:29500", rdzv_id="job7"))
    assert "--rdzv-backend=c10d" in elastic and "--rdzv-id=job7" in elastic
    cmd = trainer_command("/runs/r1", LaunchSpec(2), python="py", resume="auto")
    assert cmd[:3] == ["py", "-m", "torch.distributed.run"]
    assert cmd[-5:] == ["-m", "lrtui.training", "--run-dir", "/runs/r1", "--auto-resume"]
    assert LaunchSpec(4, 2).world_size == 8
    for bad, field in (
        ({"nproc_per_node": 0}, "distributed.nproc_per_node"),
        ({"nproc_per_node": 2, "backend": "mpi"}, "distributed.backend"),
        ({"nproc_per_node": 2, "rdzv_endpoint": "nohost"}, "distributed.rdzv_endpoint"),
        ({"nproc_per_node": 2, "nnodes": 2, "node_rank": 2}, "distributed.node_rank"),
        ({"gpus": 2}, "distributed.gpus"),
    ):
        with pytest.raises(DistError) as err:
            LaunchSpec.from_dict(bad)
        assert err.value.field == field and " is invalid: " in str(err.value)


def test_is_torchrun_recognises_the_agent_command_line():
    assert is_torchrun(["/venv/bin/torchrun", "--nproc-per-node=2", "train.py"])
    assert is_torchrun(["/usr/bin/python3", "-m", "torch.distributed.run", "--standalone", "x.py"])
    assert not is_torchrun(["/usr/bin/python3", "-m", "lrtui.training", "--run-dir", "x"])
    assert not is_torchrun(["sleep", "100"]) and not is_torchrun(None)


def test_ranks_agree_on_one_run_through_the_pointer_and_ignore_a_stale_one(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    made: list[Path] = []

    def create(target):
        run = create_run_dir({"model": "m"}, runs_dir=runs) if target is None else None
        made.append(run)
        return run

    env0 = DistEnv(0, 0, 2, 2, 0, "j1", "127.0.0.1:29999", 0, agent_pid=os.getpid())
    env1 = DistEnv(1, 1, 2, 2, 0, "j1", "127.0.0.1:29999", 0, agent_pid=os.getpid())
    # a stale pointer from an earlier job with the same key (written before this "agent" started)
    from lrtui.runs.distributed import POINTERS_DIR, job_key

    (runs / POINTERS_DIR).mkdir()
    old = create_run_dir({"model": "old"}, runs_dir=runs)
    (runs / POINTERS_DIR / f"{job_key(env0)}.json").write_text(json.dumps({"run": old.name, "t": 1000.0}))
    got: dict[int, Path] = {}
    waiter = threading.Thread(
        target=lambda: got.__setitem__(1, agree_run_dir(env1, create, runs_dir=runs)[0])
    )
    waiter.start()
    time.sleep(0.3)  # rank 1 waits: the pointer it finds is older than its agent
    assert 1 not in got
    got[0], existed = agree_run_dir(env0, create, runs_dir=runs)
    waiter.join(timeout=10)
    assert got[0] == got[1] == made[0] and got[0] != old and not existed
    # rank 1 with nobody making a run gives up with a message saying what to do
    lonely = DistEnv(1, 1, 2, 2, 0, "other", "127.0.0.1:1", 0, agent_pid=os.getpid())
    with pytest.raises(TimeoutError, match="LRTUI_RUN_DIR"):
        agree_run_dir(lonely, create, runs_dir=runs, timeout=0.2)


_RANK_SCRIPT = """
import os, sys, time
from lrtui.runs import RunLogger
log = RunLogger({"model": "m"}, runs_dir=sys.argv[1], heartbeat_every=0.05)
print("ready", log.run_dir, log.is_writer, flush=True)
for step in range(10**6):
    log.step(step, lr=0.1, loss=1.0)
    time.sleep(0.01)
"""


def _start_rank(rank: int, run_dir: Path, runs: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **_env(rank), "LRTUI_RUN_DIR": str(run_dir)}
    return subprocess.Popen(
        [sys.executable, "-c", _RANK_SCRIPT, str(runs)], env=env, stdout=subprocess.PIPE, text=True
    )


def test_runlogger_under_torchrun_shares_one_run_and_dies_of_the_agents_sigterm(tmp_path):
    """Both ranks of a (simulated) torchrun job use one RunLogger each: one run, rank 0 writes it, both beat.
    SIGTERM (what torchrun's agent sends) is not fought: each process records its end and dies of it."""
    runs = tmp_path / "runs"
    run_dir = runs / "job-1"
    procs = [_start_rank(rank, run_dir, runs) for rank in (1, 0)]  # rank 1 first: it waits for rank 0
    try:
        lines = [p.stdout.readline().split() for p in procs]
        assert {(line[1], line[2]) for line in lines} == {(str(run_dir), "True"), (str(run_dir), "False")}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(
            (r.last.get("step") or 0) > 5 for r in RanksTail(run_dir).poll().values()
        ):
            time.sleep(0.05)
        assert sorted(RanksTail(run_dir).poll()) == [0, 1]
        for p in procs:
            p.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=20) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert codes == [-signal.SIGTERM, -signal.SIGTERM]  # the launcher's signal, not an exit of our own
    status = read_status(run_dir)
    assert status["state"] in ("stopped", "failed") and "SIGTERM" in (status.get("message") or "")
    exits = {r: rec.last for r, rec in RanksTail(run_dir).poll().items()}
    assert exits[1]["event"] == "exit" and exits[1]["state"] == "stopped"
    assert [p.name for p in runs.iterdir()] == ["job-1"]


def test_stop_job_never_signals_an_unverified_pid_and_asks_through_the_run_dir(tmp_path):
    run = create_run_dir({"model": "m"}, runs_dir=tmp_path)
    decoy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        status = read_status(run)
        status.update(state="running", pid=decoy.pid, host=this_host(), updated=time.time(), world_size=2)
        status["launcher"] = {"kind": "torchrun", "pid": decoy.pid, "host": this_host()}
        (run / "status.json").write_text(json.dumps(status))
        outcome = stop_job(run)
        time.sleep(0.2)
        assert decoy.poll() is None  # a live pid that is not a torchrun agent: left alone
        assert outcome.signalled == () and outcome.requested and (run / "stop.request").is_file()
        assert "no torchrun agent on this host" in outcome.message
    finally:
        decoy.kill()
        decoy.wait()


def test_resume_refuses_a_world_size_that_does_not_split_the_global_batch(tmp_path):
    run = create_run_dir({"batch_size": 16, "distributed": {"nproc_per_node": 2}}, runs_dir=tmp_path)
    with pytest.raises(DistError, match=r"a divisor of run .* global batch 32"):
        resume_run(run, nproc=3)
    with pytest.raises(DistError, match="an integer ≥ 1"):
        resume_run(run, nproc=0)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lrtui", *args], env=env, capture_output=True, text=True, cwd=cwd, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpus", "2", "--nproc", "2"], "--gpus 2 and --nproc 2 are not allowed together"),
        (["--nproc", "0"], "--nproc 0 is not allowed: an integer ≥ 1"),
        (["--nproc", "2", "--nnodes", "2"], "--rdzv-endpoint is needed with --nnodes 2"),
        (["--nproc", "2", "--rdzv-endpoint", "x"], "--rdzv-endpoint x is not allowed: HOST:PORT"),
        (["--emit-sbatch"], "--emit-sbatch needs a layout"),
        (["--nproc", "2", "--sbatch-opt=--partition=x"], "only allowed with --emit-sbatch"),
        (["--nproc", "2", "--emit-sbatch", "--sbatch-opt=bad; rm -rf /"], "--sbatch-opt 'bad; rm -rf /'"),
        (["--nproc", "2", "--batch-size", "200"], "batch_size = 200 is invalid: at most 128 per rank"),
    ],
)
def test_train_rejects_bad_layouts_in_one_line(tmp_path, capsys, args, message):
    from lrtui.cli import main

    code = main(["train", "--dataset", "synthetic", "--model", "lenet", "--set", "synthetic_train_size=256",
                 "--runs-dir", str(tmp_path / "runs"), *args])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists() or not [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]


def test_emit_sbatch_writes_a_queued_run_and_the_multi_node_script(tmp_path):
    done = _cli("train", "--dataset", "synthetic", "--model", "lenet", "--gpus", "4", "--nnodes", "3",
                "--emit-sbatch", "--sbatch-opt=--partition=gpu", "--runs-dir", str(tmp_path), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = next(p for p in tmp_path.iterdir() if p.is_dir())
    script = (run / "train.sbatch").read_text()
    assert done.stdout == script and "submit with `sbatch" in done.stderr
    for line in ("#SBATCH --nodes=3", "#SBATCH --ntasks-per-node=1", "#SBATCH --gpus-per-node=4",
                 "#SBATCH --partition=gpu", "#SBATCH --signal=TERM@120"):  # fmt: skip
        assert line in script
    assert "--nnodes=3 --nproc-per-node=4" in script and '--rdzv-endpoint="$head":29500' in script
    assert f"--run-dir {run.resolve()} --auto-resume" in script
    status = read_status(run)
    assert status["state"] == "queued" and status["world_size"] == 12
    config = json.loads((run / "config.json").read_text())
    assert config["distributed"]["nnodes"] == 3 and config["device"] == "cuda" and config["batch_size"] == 128
    listed = _cli("runs", "--runs-dir", str(tmp_path), cwd=tmp_path)
    assert "queued" in listed.stdout
