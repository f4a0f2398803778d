"""Distributed training for real: 2-rank Gloo jobs on the CPU through the real torchrun.

One module fixture starts three jobs at once (they overlap, the suite stays short):
- "kill": made by `lrtui train --nproc 2 --emit-sbatch` and run by executing its SLURM script (srun and
  scontrol are stand-ins: there is no SLURM here; the torchrun command in the script is the real one).
  The monitor is opened on it; rank 1 is frozen (SIGSTOP: the job hangs) then killed; the failed job is
  resumed on its own 2 ranks from its last checkpoint and stopped again.
- "stop": `lrtui train --nproc 2 --backend gloo` (detached torchrun agent), stopped with `lrtui stop` and
  resumed with `lrtui resume --nproc 1` (another world size, the same global batch).
- "user": a user's DDP script with `RunLogger` on every rank, under `torchrun`.
A single-process run of the same global batch, trained in this process, is the reference.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from lrtui.runs import read_run, read_status, wait_state
from lrtui.runs.ranks import RanksTail
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
GLOBAL_BATCH, STEPS_PER_EPOCH, EPOCHS = 32, 8, 3
TOTAL = STEPS_PER_EPOCH * EPOCHS
RECIPE = [
    "--model", "lenet", "--dataset", "synthetic", "--epochs", str(EPOCHS), "--batch-size", "16", "--seed", "3",
    "--lr", "0.05", "--schedule", f"OneCycleLR(max_lr=0.1, total_steps={TOTAL})", "--stepping", "step",
    "--set", "synthetic_train_size=256", "--set", "synthetic_test_size=64", "--set", "eval_batch_size=64",
    "--set", "log_every_steps=4", "--set", "heartbeat_s=0.5",
]  # fmt: skip
USER_SCRIPT = """
import os, signal, sys, torch, torch.distributed as dist
from lrtui import RunLogger
kill_at = int(sys.argv[2])  # rank 1 kills itself (SIGKILL) before this step; -1: never
dist.init_process_group("gloo")
torch.manual_seed(0)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
g = torch.Generator().manual_seed(dist.get_rank())
with RunLogger({"model": "linear", "schedule": {"spec": "", "stepping": "step", "total_steps": 40}},
               runs_dir=sys.argv[1], heartbeat_every=0.2) as run:
    for step in range(40):
        if step == kill_at and dist.get_rank() == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        loss = model(torch.randn(8, 4, generator=g)).pow(2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
        run.log_optimizer(step, opt, loss=loss.item())
    print("rank", dist.get_rank(), "run", run.run_dir, flush=True)
dist.destroy_process_group()
"""


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **extra}


def _lrtui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "lrtui", *args], env=_env(), capture_output=True, text=True, timeout=120, check=False
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _only_run(runs: Path) -> Path:
    found = [p for p in runs.iterdir() if not p.name.startswith(".")]
    assert len(found) == 1, found
    return found[0]


def _slurm_stand_ins(bin_dir: Path) -> None:
    """`srun` runs its command once (one node), `scontrol show hostnames` names this machine."""
    bin_dir.mkdir()
    scripts = {
        "srun": '#!/bin/bash\nwhile [[ "$1" == -* ]]; do shift; done\nexec "$@"\n',
        "scontrol": "#!/bin/bash\necho 127.0.0.1\n",
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(stat.S_IRWXU)


class Jobs:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        # kill: from the SLURM script, long enough to be frozen and killed mid-way
        self.kill_runs = self.base / "kill"
        port = _free_port()
        made = _lrtui(
            "train", *RECIPE, "--epochs", "200", "--schedule", "CosineAnnealingLR(T_max=5000)",
            "--set", "step_delay_s=0.05", "--nproc", "2",
            "--emit-sbatch", "--rdzv-port", str(port), "--runs-dir", str(self.kill_runs),
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        self.kill_run = _only_run(self.kill_runs)
        self.sbatch = made.stdout
        bin_dir = self.base / "bin"
        _slurm_stand_ins(bin_dir)
        env = _env(PATH=f"{bin_dir}:{os.environ['PATH']}", SLURM_JOB_ID="4242", SLURM_JOB_NODELIST="x")
        self.procs.append(
            subprocess.Popen(
                ["bash", str(self.kill_run / "train.sbatch")],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        # stop: detached through the CLI
        self.stop_runs = self.base / "stop"
        started = _lrtui(
            "train", *RECIPE, "--set", "step_delay_s=0.25", "--nproc", "2", "--backend", "gloo",
            "--runs-dir", str(self.stop_runs),
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        self.stop_run = _only_run(self.stop_runs)
        self.driver = threading.Thread(target=self._stop_and_resume, daemon=True)
        self.driver.start()
        # user: RunLogger in a torchrun script
        self.user_runs = self.base / "user"
        script = self.base / "user_ddp.py"
        script.write_text(USER_SCRIPT)
        self.user = self._user_job(script, self.user_runs, kill_at=-1)
        # user, one rank killed: the same script, rank 1 SIGKILLs itself at step 20
        self.userkill_runs = self.base / "userkill"
        self.userkill = self._user_job(script, self.userkill_runs, kill_at=20)

    def _user_job(self, script: Path, runs: Path, kill_at: int) -> subprocess.Popen:
        cmd = [PY, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
        proc = subprocess.Popen(
            [*cmd, str(script), str(runs), str(kill_at)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def _stop_and_resume(self) -> None:
        """`lrtui stop` once the job trained 6 steps, then `lrtui resume --nproc 1`; records what it saw."""
        run = self.stop_run
        self.seen: dict = {}
        try:
            from lrtui.runs.lock import holder

            # the refused second start comes early: on 2 loaded cores it may take seconds, and the job
            # must still be training when `lrtui stop` comes (else it finishes first and there is no stop)
            wait_until(lambda: (read_status(run).get("step") or 0) >= 1, 120, "the 2-rank job to train")
            self.seen["held"] = holder(run)  # the agent holds the run's lock for the whole job
            self.seen["launcher"] = read_status(run).get("launcher")
            self.seen["second"] = _lrtui(
                "resume", str(run), "--nproc", "2", "--runs-dir", str(self.stop_runs)
            )
            wait_until(
                lambda: (read_status(run).get("step") or 0) >= 6, 120, "the 2-rank job to reach step 6"
            )
            self.seen["stop"] = _lrtui("stop", str(run), "--wait", "60", "--runs-dir", str(self.stop_runs))
            self.seen["stopped_status"] = read_status(run)
            self.seen["exits"] = {r: rec.last for r, rec in RanksTail(run).poll().items()}
            self.seen["first"] = read_run(run)
            self.seen["resume"] = _lrtui(
                "resume", str(run), "--nproc", "1", "--runs-dir", str(self.stop_runs)
            )
            self.seen["final"] = wait_state(run, ("finished", "failed"), 120)
        except BaseException as exc:  # reported by the test
            self.seen["error"] = exc

    def close(self) -> None:
        for run in (getattr(self, "kill_run", None), getattr(self, "stop_run", None)):
            if run is None:
                continue
            launcher = read_status(run).get("launcher") or {}
            for pid in [launcher.get("pid")] + [
                r.last.get("pid") for r in RanksTail(run).poll().values() if r.last.get("event") != "exit"
            ]:
                if isinstance(pid, int):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    j = Jobs(tmp_path_factory.mktemp("ddp"))
    try:
        j.start()
        yield j
    finally:
        j.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same recipe in one process with the global batch (32), trained here."""
    import torch

    from lrtui.runs import RunLogger
    from lrtui.training.config import TrainConfig
    from lrtui.training.loop import Trainer

    config = TrainConfig.from_dict(
        {
            "model": "lenet", "dataset": "synthetic", "epochs": EPOCHS, "batch_size": GLOBAL_BATCH, "seed": 3,
            "device": "cpu", "optimizer": {"lr": 0.05},
            "schedule": {"spec": f"OneCycleLR(max_lr=0.1, total_steps={TOTAL})", "stepping": "step"},
            "synthetic_train_size": 256, "synthetic_test_size": 64, "eval_batch_size": 64,
            "log_every_steps": 4,
        }
    ).resolve()  # fmt: skip
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        logger = RunLogger(config.to_dict(), runs_dir=tmp_path_factory.mktemp("ref"), handle_sigterm=False)
        assert Trainer(config, logger).run() == "finished"
    finally:
        torch.set_num_threads(threads)
    return read_run(logger.run_dir)


# ------------------------------------------------------------------------------------------------ kill
async def test_a_frozen_rank_makes_the_job_hung_and_a_killed_one_is_named(jobs):
    """The SLURM script's job, watched in the monitor: SIGSTOP rank 1 -> "hung" (rank 1 silent, rank 0
    waiting); SIGKILL it -> the job fails and the monitor names rank 1 as dead."""
    from lrtui.screens.monitor import RunMonitorScreen
    from lrtui.widgets.runs.panels import StateLine
    from lrtui.widgets.runs.ranks_panel import RanksPanel
    from tests.monitor.helpers import ScreenTestApp, wait_for

    assert "--rdzv-id=$SLURM_JOB_ID" in jobs.sbatch and "--auto-resume" in jobs.sbatch
    run = jobs.kill_run
    tail = RanksTail(run)

    def stepping() -> bool:
        ranks = tail.poll()
        return len(ranks) == 2 and all((r.last.get("step") or 0) >= 3 for r in ranks.values())

    wait_until(stepping, 120, "both ranks of the SLURM-script job to train")
    assert read_status(run)["world_size"] == 2 and read_status(run)["state"] == "running"
    pid1 = tail.poll()[1].last["pid"]
    app = ScreenTestApp(lambda: RunMonitorScreen(run, sample_device=False))
    async with app.run_test(size=(120, 36)) as pilot:
        monitor = app.screen
        await wait_for(
            pilot, lambda: monitor.drawn is not None and monitor.drawn.ranks is not None, 30, "ranks"
        )
        assert monitor.side == "ranks" and monitor.query_one(RanksPanel).display
        os.kill(pid1, signal.SIGSTOP)
        try:
            try:
                await wait_for(pilot, lambda: monitor.drawn.state == "hung", 120, "the job to show hung")
            except AssertionError as exc:  # say what it showed instead
                rows = monitor.query_one(RanksPanel).rows_text()
                shown = str(monitor.query_one(StateLine).content)
                raise AssertionError(f"{exc}; shown {monitor.drawn.state}: {shown}; rows {rows}") from None
            # first rank 1 is the one behind (rank 0 waits for it); then its heartbeats stop too
            assert "rank 1" in str(monitor.query_one(StateLine).content)
            await wait_for(
                pilot, lambda: "rank 1 went silent" in str(monitor.query_one(StateLine).content), 60, "silent"
            )
            assert monitor.drawn.state == "hung"
            await pilot.press("K")  # worst first: the frozen rank leads
            panel = monitor.query_one(RanksPanel)
            await wait_for(
                pilot, lambda: panel.order == "worst" and panel.rows_text()[0].startswith("1 "), 5, "order"
            )
            assert "silent" in panel.rows_text()[0] and "stalled" in panel.rows_text()[1]
        finally:
            os.kill(pid1, signal.SIGKILL)
        await wait_for(pilot, lambda: monitor.drawn.state == "failed", 60, "the job to fail")
        await wait_for(
            pilot, lambda: "rank 1" in str(monitor.query_one(StateLine).content), 10, "rank 1 named"
        )
        # the rank rows are re-read once a second: they may follow the state line by a poll
        await wait_for(
            pilot,
            lambda: {r.rank: r.state for r in monitor.drawn.ranks.rows} == {0: "failed", 1: "dead"},
            10,
            "rank 1 dead, rank 0 failed",
        )
        await pilot.press("k")
        assert monitor.side == "device"
        await pilot.press("k")
        assert monitor.side == "ranks"
    status = read_status(run)
    assert status["state"] == "failed" and status["message"].startswith("rank 1 dead")

    # the same world size again, from the last checkpoint: the LR at every step is still the plan's
    from lrtui.widgets.runs.model import planned_from_config

    before = read_run(run)
    restored = [e for e in before.data.events if e["event"] == "checkpoint"][-1]["steps_done"]
    resumed = _lrtui("resume", str(run), "--runs-dir", str(jobs.kill_runs))
    assert resumed.returncode == 0 and "2 ranks" in resumed.stdout, resumed.stderr

    def trained_again() -> bool:
        data = read_run(run).data
        resumed_at = [e["t"] for e in data.events if e["event"] == "resume"]
        return bool(resumed_at) and len(data.steps) >= restored + 4 and data.events[-1]["t"] >= resumed_at[0]

    wait_until(trained_again, 120, "the resumed job to train")
    # stopped from the monitor with keys: s, then y in the confirmation
    from lrtui.widgets.runs.confirm import ConfirmScreen

    app = ScreenTestApp(lambda: RunMonitorScreen(run, sample_device=False))
    async with app.run_test(size=(120, 36)) as pilot:
        monitor = app.screen
        await wait_for(
            pilot,
            lambda: monitor.drawn is not None and monitor.drawn.ranks is not None and monitor.latest.live,
            30,
            "the resumed job in the monitor",
        )
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the stop confirmation")
        assert "Stop job" in app.screen.question and "(2 ranks)" in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: read_status(run).get("state") == "stopped", 60, "the job to stop")
        await wait_for(pilot, lambda: monitor.drawn.state == "stopped", 30, "the monitor to show it")
        await wait_for(
            pilot, lambda: {r.state for r in monitor.drawn.ranks.rows} == {"exited"}, 30, "both ranks exited"
        )
    # the monitor does not wait for the processes (the CLI's --wait does): they end after their exit beat
    pids = [rec.last.get("pid") for rec in RanksTail(run).poll().values()]
    wait_until(lambda: not any(map(_alive, pids)), 60, "every rank of the stopped job to exit")
    after = read_run(run)
    steps, lrs = np.asarray(after.data.steps), np.asarray(after.data.lr[0])
    assert list(steps) == list(range(len(steps))) and len(steps) > restored  # re-logged from the checkpoint
    # torch's recursive cosine against the engine's closed form: the project's parity bound
    np.testing.assert_allclose(lrs, planned_from_config(after.config).lr[0][steps], rtol=1e-9, atol=0)
    assert [e["event"] for e in after.data.events].count("resume") == 1


# ------------------------------------------------------------------------------------------- stop/resume
def test_stop_every_rank_then_resume_on_one_process_keeps_the_lr_and_step_sequence(jobs, reference):
    jobs.driver.join(timeout=300)
    seen, run = jobs.seen, jobs.stop_run
    assert "error" not in seen, seen.get("error")
    assert seen["held"] == (True, seen["launcher"]["pid"]) and seen["launcher"]["process"]
    second = seen["second"]  # one writer per run: a second start of a live job is refused in one line
    assert second.returncode == 2 and "already" in second.stderr, second.stderr
    stopped = seen["stop"]
    assert stopped.returncode == 0, stopped.stderr
    assert "torchrun agent" in stopped.stdout and seen["stopped_status"]["state"] == "stopped"
    # every rank finished its step and left cleanly at the same one; rank 0 wrote one checkpoint
    exits = seen["exits"]
    assert {e["event"] for e in exits.values()} == {"exit"} and {e["state"] for e in exits.values()} == {
        "stopped"
    }
    assert exits[0]["step"] == exits[1]["step"]
    first = seen["first"]
    stop_at = exits[0]["step"]
    assert 6 <= stop_at < TOTAL
    assert [e["event"] for e in first.data.events].count("stop") == 1
    assert first.data.events[-2]["event"] == "checkpoint" and first.data.events[-2]["steps_done"] == stop_at
    assert list(first.data.steps) == list(range(stop_at))

    resumed = seen["resume"]
    assert resumed.returncode == 0 and "(pid " in resumed.stdout and "ranks" not in resumed.stdout, (
        resumed.stderr
    )
    assert seen["final"] == "finished"
    done, ref = read_run(run), reference
    assert list(done.data.steps) == list(range(TOTAL))
    assert np.array_equal(np.asarray(done.data.lr[0]), np.asarray(ref.data.lr[0]))  # exactly the same LRs
    # 2 ranks x 16 = one process x 32: the same training to float tolerance, before and after the resume
    np.testing.assert_allclose(np.asarray(done.data.loss), np.asarray(ref.data.loss), rtol=2e-4)
    accs = [e["test_acc"] for e in done.data.epochs]
    assert accs == pytest.approx([e["test_acc"] for e in ref.data.epochs], abs=1 / 64 + 1e-9)
    plans = [e for e in done.data.events if e["event"] == "plan"]
    assert (
        plans[0]["world_size"] == 2
        and plans[0]["global_batch"] == GLOBAL_BATCH
        and "world_size" not in plans[1]
    )


# ----------------------------------------------------------------------------------------- user script
def test_runlogger_in_a_torchrun_script_writes_one_run_with_a_heartbeat_per_rank(jobs):
    out, _ = jobs.user.communicate(timeout=180)
    assert jobs.user.returncode == 0, out[-3000:]
    run = _only_run(jobs.user_runs)
    said = {line.split()[3] for line in out.splitlines() if line.startswith("rank ")}
    assert said == {str(run)}  # both ranks logged into the same run
    data = read_run(run)
    assert data.status["state"] == "finished" and data.status["world_size"] == 2
    assert data.status["launcher"]["kind"] == "torchrun"
    assert list(data.data.steps) == list(range(40))  # rank 0's records only, once each
    ranks = RanksTail(run).poll()
    assert sorted(ranks) == [0, 1]
    for rank, rec in ranks.items():
        assert rec.last["event"] == "exit" and rec.last["state"] == "finished" and rec.last["step"] == 40
        assert rec.last["rank"] == rank and rec.records >= 2
    assert not (jobs.user_runs / ".torchrun").exists()  # the run-id pointer is gone


def test_a_rank_killed_in_a_torchrun_script_fails_the_run_naming_it(jobs):
    """rank 1 of the user's script dies (SIGKILL): rank 0 sees the collective fail (or the agent's SIGTERM
    first) and its RunLogger ends the one run "failed", naming rank 1 before the error it saw itself."""
    out, _ = jobs.userkill.communicate(timeout=180)
    assert jobs.userkill.returncode != 0, out[-3000:]
    run = _only_run(jobs.userkill_runs)
    status = read_status(run)
    assert status["state"] == "failed", status
    assert status["message"].startswith("rank 1 d"), status["message"]  # "dead at step", "died without"
    ranks = RanksTail(run).poll()
    assert ranks[0].last["event"] == "exit" and ranks[0].last["state"] == "failed", ranks[0].last
    assert ranks[1].last.get("event") != "exit"  # it died: no exit record
    from lrtui.runs.ranks import job_view

    shown, health = job_view(run, status)
    assert shown == "failed" and {r.rank: r.state for r in health.rows}[1] == "dead"
    for rec in ranks.values():
        assert not _alive(rec.last.get("pid"))


def test_every_process_was_left_to_end(jobs):
    """Nothing this module started keeps running (the fixture kills leftovers; here they must be gone)."""
    time.sleep(0.5)
    for run in (jobs.kill_run, jobs.stop_run):
        for rec in RanksTail(run).poll().values():
            pid = rec.last.get("pid")
            assert not _alive(pid), f"rank {rec.rank} pid {pid} still runs"


def _alive(pid) -> bool:
    from lrtui.runs.status import pid_alive

    return pid_alive(pid)


def test_sbatch_script_is_the_local_command(jobs):
    text = (jobs.kill_run / "train.sbatch").read_text()
    assert "#SBATCH --nodes=1" in text and "--gpus-per-node" not in text  # a CPU job asks for no GPU
    assert json.loads((jobs.kill_run / "config.json").read_text())["distributed"]["nproc_per_node"] == 2
