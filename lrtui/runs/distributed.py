"""Distributed jobs on torchrun (stdlib only): the launch, the environment a rank sees, stopping, SLURM.

lrtui does not launch ranks itself: a job is PyTorch's own `torchrun` (`python -m torch.distributed.run`,
torch.distributed elastic), started detached like a single trainer, running `python -m lrtui.training
--run-dir DIR` on every rank. Rank 0 writes the run directory as a single trainer does; every rank beats
into `ranks/<rank>.jsonl` (lrtui/runs/ranks.py).

Stopping a job: `stop_job` sends SIGTERM to the torchrun agent of this host, after checking that the pid
is a torchrun agent (its command line) that is the parent of a live rank of this run (or was started by
lrtui for this run directory). The agent forwards SIGTERM to its ranks; lrtui's trainer then agrees on a
stop step across ranks at its next control all-reduce, rank 0 writes one checkpoint, every rank exits 0.
Ranks on other hosts learn of the stop from that all-reduce. Where no agent of the job runs on this host
(a login node), `request_stop` writes `stop.request` into the run directory (shared storage): rank 0 looks
for it at its control points. docs/distributed.md has the whole picture.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lrtui.runs.jsonio import write_json_atomic
from lrtui.runs.paths import CONFIG, STATUS, STDOUT
from lrtui.runs.status import LIVE_STATES, effective_state, finishing_wait, pid_alive, read_status, this_host
from lrtui.runs.text import clean_name

TORCHRUN_MODULE = "torch.distributed.run"
TRAINER_MODULE = "lrtui.training"
STOP_REQUEST = "stop.request"
BACKENDS = ("auto", "gloo", "nccl")
DEFAULT_PORT = 29500
# torchrun's grace between forwarding SIGTERM and SIGKILL: one control interval + a checkpoint must fit
SHUTDOWN_TIMEOUT_S = 120
_ENDPOINT = re.compile(r"^[A-Za-z0-9._\-\[\]:]{1,253}:\d{1,5}$")


class DistError(ValueError):
    """A distributed setting that is not allowed: `field = value is invalid: allowed`."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field} = {value!r} is invalid: {allowed}")


# ---------------------------------------------------------------------------------------- the rank's env
@dataclass(frozen=True)
class DistEnv:
    """What torchrun told this process (RANK, LOCAL_RANK, WORLD_SIZE, ... in the environment)."""

    rank: int
    local_rank: int
    world_size: int
    local_world_size: int
    node_rank: int
    run_id: str | None  # TORCHELASTIC_RUN_ID (the rendezvous id; "none" when torchrun was given none)
    master: str  # MASTER_ADDR:MASTER_PORT
    restart_count: int
    agent_pid: int | None  # the torchrun agent (our parent) when TORCHELASTIC_RUN_ID says torchrun started us

    @property
    def is_writer(self) -> bool:
        return self.rank == 0


def _env_int(env: Mapping[str, str], key: str, default: int | None = None) -> int | None:
    raw = env.get(key)
    if raw is None or not raw.strip().lstrip("-").isdigit():
        return default
    return int(raw)


def dist_env(env: Mapping[str, str] | None = None) -> DistEnv | None:
    """This process's place in a torchrun job, or None when it is not one rank of several."""
    env = os.environ if env is None else env
    world = _env_int(env, "WORLD_SIZE")
    rank = _env_int(env, "RANK")
    if world is None or rank is None or world < 2 or not 0 <= rank < world:
        return None
    local_rank = _env_int(env, "LOCAL_RANK", 0) or 0
    agent = os.getppid() if env.get("TORCHELASTIC_RUN_ID") is not None and env is os.environ else None
    return DistEnv(
        rank=rank,
        local_rank=local_rank,
        world_size=world,
        local_world_size=_env_int(env, "LOCAL_WORLD_SIZE", 1) or 1,
        node_rank=_env_int(env, "GROUP_RANK", 0) or 0,
        run_id=env.get("TORCHELASTIC_RUN_ID"),
        master=f"{env.get('MASTER_ADDR', '')}:{env.get('MASTER_PORT', '')}",
        restart_count=_env_int(env, "TORCHELASTIC_RESTART_COUNT", 0) or 0,
        agent_pid=agent,
    )


# -------------------------------------------------------------------------------------------- launching
@dataclass(frozen=True)
class LaunchSpec:
    """How a job is laid out: `nproc_per_node` ranks on each of `nnodes` nodes.

    nnodes > 1 needs `rdzv_endpoint` (host:port every node reaches) to be launched, except from a SLURM
    script, which sets it to the allocation's first node. With `node_rank` the rendezvous is
    torchrun's static one (node 0 hosts the store at the endpoint; every node says its rank); without it,
    c10d rendezvous assigns node ranks in arrival order (`rdzv_id` names the job, e.g. $SLURM_JOB_ID).
    """

    nproc_per_node: int = 1
    nnodes: int = 1
    node_rank: int | None = None
    rdzv_endpoint: str | None = None
    rdzv_id: str | None = None
    backend: str = "auto"
    max_restarts: int = 0

    @property
    def world_size(self) -> int:
        return self.nproc_per_node * self.nnodes

    @property
    def distributed(self) -> bool:
        return self.world_size > 1 or self.nnodes > 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> LaunchSpec:
        if not isinstance(data, dict):
            raise DistError("distributed", data, "a mapping such as {'nproc_per_node': 2}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known, key=str)
        if unknown:
            raise DistError(
                f"distributed.{unknown[0]}",
                data[unknown[0]],
                f"not a key of distributed; known: {', '.join(sorted(known))}",
            )
        spec = cls(**data)
        spec.validate()
        return spec

    def validate(self) -> None:
        def bad(name: str, value: Any, rule: str) -> DistError:
            return DistError(f"distributed.{name}", value, rule)

        def is_int(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        if not is_int(self.nproc_per_node) or not 1 <= self.nproc_per_node <= 1024:
            raise bad("nproc_per_node", self.nproc_per_node, "an integer in [1, 1024] (ranks per node)")
        if not is_int(self.nnodes) or not 1 <= self.nnodes <= 65536:
            raise bad("nnodes", self.nnodes, "an integer in [1, 65536]")
        if self.node_rank is not None and (
            not is_int(self.node_rank) or not 0 <= self.node_rank < self.nnodes
        ):
            raise bad(
                "node_rank", self.node_rank, f"an integer in [0, {self.nnodes - 1}] (nnodes - 1) or null"
            )
        if self.rdzv_endpoint is not None and (
            not isinstance(self.rdzv_endpoint, str) or not _ENDPOINT.match(self.rdzv_endpoint)
        ):
            raise bad("rdzv_endpoint", self.rdzv_endpoint, "HOST:PORT, e.g. node001:29500")
        if self.rdzv_id is not None and (
            not isinstance(self.rdzv_id, str) or not re.match(r"^[A-Za-z0-9._$\-{}]{1,128}$", self.rdzv_id)
        ):
            raise bad("rdzv_id", self.rdzv_id, "letters, digits, . _ - (e.g. $SLURM_JOB_ID)")
        if self.backend not in BACKENDS:
            raise bad("backend", self.backend, "one of " + ", ".join(BACKENDS))
        if not is_int(self.max_restarts) or not 0 <= self.max_restarts <= 100:
            raise bad("max_restarts", self.max_restarts, "an integer in [0, 100]")


def torchrun_args(spec: LaunchSpec, *, node_rank: int | None = None, shell_vars: bool = False) -> list[str]:
    """torchrun's own options for `spec` (the part before the module to run)."""
    args = [f"--nproc-per-node={spec.nproc_per_node}", f"--max-restarts={spec.max_restarts}"]
    args.append(f"--shutdown-timeout={SHUTDOWN_TIMEOUT_S}")
    if spec.nnodes == 1 and spec.rdzv_endpoint is None:
        return ["--standalone", "--nnodes=1", *args]
    rank = spec.node_rank if node_rank is None else node_rank
    args = [f"--nnodes={spec.nnodes}", *args, f"--rdzv-endpoint={spec.rdzv_endpoint}"]
    if rank is not None:  # torchrun's static rendezvous: every node says its rank
        return [*args, "--rdzv-backend=static", f"--node-rank={rank}"]
    rdzv_id = spec.rdzv_id or ("$SLURM_JOB_ID" if shell_vars else None)
    return [*args, "--rdzv-backend=c10d"] + ([f"--rdzv-id={rdzv_id}"] if rdzv_id else [])


def trainer_command(
    run_dir: str | Path,
    spec: LaunchSpec,
    *,
    python: str = sys.executable,
    resume: bool | str = False,
    node_rank: int | None = None,
    shell_vars: bool = False,
) -> list[str]:
    """`python -m torch.distributed.run <spec> -m lrtui.training --run-dir DIR [--resume|--auto-resume]`."""
    cmd = [python, "-m", TORCHRUN_MODULE, *torchrun_args(spec, node_rank=node_rank, shell_vars=shell_vars)]
    cmd += ["-m", TRAINER_MODULE, "--run-dir", str(run_dir)]
    if resume == "auto":
        cmd.append("--auto-resume")
    elif resume:
        cmd.append("--resume")
    return cmd


def job_env(spec: LaunchSpec, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The agent's environment: OMP threads shared fairly between a node's ranks unless already set."""
    out = dict(os.environ if env is None else env)
    if "OMP_NUM_THREADS" not in out:
        out["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // spec.nproc_per_node))
    out.setdefault("PYTHONUNBUFFERED", "1")
    return out


def launch_job(
    run_dir: str | Path,
    spec: LaunchSpec,
    *,
    resume: bool = False,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
    node_rank: int | None = None,
    join: bool = False,
) -> int:
    """Start the job's torchrun agent on this node, detached; return its pid.

    The run's lock is taken first (RunLocked if another process trains it) and handed to the agent, which
    holds it for the job's whole life (rank 0 sees its own agent holding it, and writes on). status.json
    gets state "starting", the agent as `pid` and as `launcher` with its process identity (rank 0 takes
    `pid` over when it starts; `launcher` stays: it is what `lrtui stop` signals) and the world size.
    `join`: another node of a multi-node job (node 0 owns status.json and the lock; this node's agent is
    known from its ranks' beats).
    """
    from lrtui.runs import identity, lock
    from lrtui.runs.process import has_live_process, start_detached

    run_dir = Path(run_dir).resolve()
    if not (run_dir / CONFIG).is_file():
        raise FileNotFoundError(f"run {clean_name(run_dir.name)} has no {CONFIG}: not a run directory")
    if spec.nnodes > 1 and spec.rdzv_endpoint is None:
        raise DistError(
            "rdzv_endpoint", None, "HOST:PORT of node 0 when nnodes > 1 (every node must reach it)"
        )
    cmd = trainer_command(run_dir, spec, python=python, resume=resume, node_rank=node_rank)
    if join:
        return start_detached(cmd, cwd=run_dir, log=run_dir / STDOUT, env=job_env(spec, env)).pid
    lock_fd = lock.acquire(run_dir, wait_s=finishing_wait(run_dir))  # an ended job's agent may still exit
    try:
        status = read_status(run_dir)
        if has_live_process(status):
            raise RuntimeError(
                f"run {clean_name(run_dir.name)} is already {status.get('state')} (pid {status.get('pid')})"
            )
        clear_stop_request(run_dir)
        child_env = job_env(spec, env)
        child_env[lock.LOCK_FD_ENV] = str(lock_fd)
        proc = start_detached(cmd, cwd=run_dir, log=run_dir / STDOUT, env=child_env, pass_fds=(lock_fd,))
        lock.write_pid(lock_fd, proc.pid)
        _record_job(run_dir, spec, proc.pid, identity.identity_of_started(proc.pid))
    finally:
        os.close(lock_fd)  # the agent holds the lock from here on
    return proc.pid


def _record_job(run_dir: Path, spec: LaunchSpec, pid: int, process: dict | None) -> None:
    now = time.time()
    current = read_status(run_dir)
    current = {k: v for k, v in current.items() if k != "problem"}
    current.update(
        state="starting",
        pid=pid,
        host=this_host(),
        started=now,
        updated=now,
        error=None,
        world_size=spec.world_size,
        process=process,
        launcher={
            "kind": "torchrun",
            "pid": pid,
            "host": this_host(),
            "started": now,
            "process": process,
            "nproc_per_node": spec.nproc_per_node,
            "nnodes": spec.nnodes,
        },
    )
    write_json_atomic(run_dir / STATUS, current)


def is_job(status: dict) -> bool:
    """A run that is (or was) a torchrun job."""
    launcher = status.get("launcher")
    world = status.get("world_size")
    return (isinstance(launcher, dict) and launcher.get("kind") == "torchrun") or (
        isinstance(world, int) and not isinstance(world, bool) and world > 1
    )


# -------------------------------------------------------------------------------------------- stopping
def _cmdline(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read(1 << 20)
    except OSError:
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return int(stat[stat.rindex(b")") + 2 :].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def is_torchrun(cmdline: list[str] | None) -> bool:
    """A torchrun agent's command line: `torchrun ...` or `python -m torch.distributed.run ...`."""
    if not cmdline:
        return False
    if Path(cmdline[0]).name == "torchrun" or (len(cmdline) > 1 and Path(cmdline[1]).name == "torchrun"):
        return True
    return any(a == "-m" and b == TORCHRUN_MODULE for a, b in itertools.pairwise(cmdline))


def _runs_this_dir(cmdline: list[str], run_dir: Path) -> bool:
    target = str(run_dir.resolve())
    return any(a == "--run-dir" and str(Path(b).resolve()) == target for a, b in itertools.pairwise(cmdline))


def local_agents(run_dir: str | Path, status: dict | None = None) -> list[int]:
    """Verified torchrun agents of this run on this host (pids), the launcher first.

    A pid counts when it is alive, its command line is torchrun's, and either it runs lrtui's trainer on
    this very run directory, or it is the parent of a live rank that beats into this run's ranks/.
    """
    from lrtui.runs.ranks import RanksTail

    run_dir = Path(run_dir)
    status = read_status(run_dir) if status is None else status
    host = this_host()
    candidates: list[int] = []
    launcher = status.get("launcher")
    if isinstance(launcher, dict) and launcher.get("host") == host and isinstance(launcher.get("pid"), int):
        candidates.append(launcher["pid"])
    rank_parents: dict[int, int] = {}
    for rec in RanksTail(run_dir).poll().values():
        last = rec.last
        pid, agent = last.get("pid"), last.get("agent_pid")
        if last.get("host") != host or not isinstance(pid, int) or last.get("event") == "exit":
            continue
        first_t = rec.first.get("t")
        if pid_alive(pid, first_t if isinstance(first_t, (int, float)) else None):
            parent = _ppid(pid)
            if parent is not None:
                rank_parents[pid] = parent
                if isinstance(agent, int) and agent == parent and agent not in candidates:
                    candidates.append(agent)
    verified = []
    for pid in candidates:
        if not pid_alive(pid):
            continue
        cmd = _cmdline(pid)
        if not is_torchrun(cmd):
            continue
        if _runs_this_dir(cmd or [], run_dir) or pid in rank_parents.values():
            verified.append(pid)
    return verified


def request_stop(run_dir: str | Path, reason: str = "lrtui stop") -> None:
    """Ask the job to stop through the run directory (rank 0 polls for the file at its control points)."""
    write_json_atomic(Path(run_dir) / STOP_REQUEST, {"t": time.time(), "host": this_host(), "reason": reason})


def stop_requested(run_dir: str | Path) -> bool:
    return (Path(run_dir) / STOP_REQUEST).is_file()


def clear_stop_request(run_dir: str | Path) -> None:
    with contextlib.suppress(OSError):
        (Path(run_dir) / STOP_REQUEST).unlink()


def settle_stop(run_dir: str | Path, agents: tuple[int, ...], timeout: float) -> str:
    """After `stop_job`: wait up to `timeout` s for the run to reach a final state and the signalled agents
    to exit. A job stopped before rank 0 took over status.json (its agent still recorded as `pid`) ends
    "stopped" here: nobody else will write it. Returns the effective state."""
    run_dir = Path(run_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = effective_state(read_status(run_dir))
        if state not in LIVE_STATES and not any(pid_alive(pid) for pid in agents):
            break
        time.sleep(0.05)
    status = read_status(run_dir)
    if status.get("state") in LIVE_STATES and status.get("pid") in agents and not any(map(pid_alive, agents)):
        status = {k: v for k, v in status.items() if k != "problem"}
        status.update(state="stopped", updated=time.time(), message="stopped before its ranks started")
        write_json_atomic(run_dir / STATUS, status)
    return effective_state(read_status(run_dir))


@dataclass(frozen=True)
class StopOutcome:
    signalled: tuple[int, ...]  # agent pids sent SIGTERM
    requested: bool  # stop.request written
    message: str


def stop_job(run_dir: str | Path) -> StopOutcome:
    """Stop a live torchrun job (see the module docstring). Never signals an unverified pid."""
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    name = clean_name(run_dir.name)
    if effective_state(status) not in LIVE_STATES:
        return StopOutcome((), False, f"run {name} is not running (nothing to stop)")
    agents = local_agents(run_dir, status)
    request_stop(run_dir)  # ranks on other hosts, and a job whose agent is not on this host
    from lrtui.runs import identity

    launcher = status.get("launcher") if isinstance(status.get("launcher"), dict) else {}
    sent = []
    for pid in agents:
        recorded = launcher.get("process") if launcher.get("pid") == pid else None
        if recorded is not None:  # the agent lrtui started: its recorded identity must still match
            if identity.signal_verified(pid, recorded, signal.SIGTERM):
                sent.append(pid)
            continue
        try:  # an agent found as the parent of a live rank of this run (command line checked)
            os.kill(pid, signal.SIGTERM)
            sent.append(pid)
        except ProcessLookupError:
            continue
    if sent:
        message = (
            f"sent SIGTERM to the torchrun agent{'s' if len(sent) > 1 else ''} "
            f"{', '.join(map(str, sent))} of run {name}: every rank finishes its step, rank 0 writes a "
            "checkpoint, the job stops"
        )
    else:
        where = status.get("host") or "another host"
        message = (
            f"run {name} has no torchrun agent on this host (rank 0 is on {where}): wrote {STOP_REQUEST} in "
            "its directory; rank 0 stops the job at its next control point"
        )
    return StopOutcome(tuple(sent), True, message)


# ------------------------------------------------------------------------------- one run for all ranks
RUN_DIR_ENV = "LRTUI_RUN_DIR"
POINTERS_DIR = ".torchrun"
RUN_DIR_WAIT_S = 300.0
_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def _process_started(pid: int) -> float | None:
    from lrtui.runs.status import _process_start_time

    return _process_start_time(pid)


def job_key(env: DistEnv) -> str:
    """What every rank of one job shares from the start: torchrun's run id and the master address."""
    import hashlib

    return hashlib.sha256(f"{env.run_id}|{env.master}".encode()).hexdigest()[:20]


def agree_run_dir(
    env: DistEnv,
    create,
    *,
    runs_dir: Path,
    run_id: str | None = None,
    timeout: float = RUN_DIR_WAIT_S,
    poll: float = 0.05,
) -> tuple[Path, bool]:
    """The one run directory of this job, the same on every rank, without a collective.

    - $LRTUI_RUN_DIR, or an explicit `run_id`: that directory; rank 0 makes it, the others wait for it.
    - otherwise rank 0 makes a new run and publishes its id in `<runs_dir>/.torchrun/<job key>.json`; the
      job key hashes TORCHELASTIC_RUN_ID and MASTER_ADDR:MASTER_PORT (shared by the ranks of one job), and
      a rank trusts a pointer only if it was written after its torchrun agent started (an old job's stale
      pointer is ignored). Rank 0 removes it when its RunLogger closes.

    `create(run_dir | None)` makes the run (a new id when None) and returns its path. Returns (run dir,
    whether it already existed for rank 0: continue it rather than start it).
    """
    explicit = os.environ.get(RUN_DIR_ENV)
    target = Path(explicit).expanduser() if explicit else (runs_dir / run_id if run_id else None)
    if target is not None:
        if env.is_writer:
            if (target / CONFIG).is_file():
                return target, True
            return create(target), False
        return _wait_for(lambda: target if (target / CONFIG).is_file() else None, env, timeout, poll), False
    pointer = runs_dir / POINTERS_DIR / f"{job_key(env)}.json"
    since = _process_started(env.agent_pid) if env.agent_pid else None
    since = (since - 5.0) if since is not None else time.time() - 120.0  # clocks across nodes may differ

    def pointed() -> Path | None:
        from lrtui.runs.jsonio import read_json_file

        data, problem = read_json_file(pointer)
        if problem or not isinstance(data, dict):
            return None
        rid, t = data.get("run"), data.get("t")
        if (
            not isinstance(rid, str)
            or not _PLAIN_ID.match(rid)
            or not isinstance(t, (int, float))
            or t < since
        ):
            return None
        run = runs_dir / rid
        return run if (run / CONFIG).is_file() else None

    if env.is_writer:
        run = create(None)
        pointer.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            pointer, {"run": run.name, "t": time.time(), "pid": os.getpid(), "host": this_host()}
        )
        return run, False
    return _wait_for(pointed, env, timeout, poll), False


def _wait_for(find, env: DistEnv, timeout: float, poll: float) -> Path:
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"rank {env.rank}: rank 0 did not create the job's run directory within {timeout:.0f} s "
                f"(set {RUN_DIR_ENV} to one path on shared storage for every rank)"
            )
        time.sleep(poll)


def drop_pointer(env: DistEnv, runs_dir: Path, run_dir: Path) -> None:
    """Rank 0 removes its pointer when the run ends (it only helps the ranks starting with it), and the
    pointers' directory once it is empty."""
    from lrtui.runs.jsonio import read_json_file

    pointer = runs_dir / POINTERS_DIR / f"{job_key(env)}.json"
    data, _ = read_json_file(pointer)
    if isinstance(data, dict) and data.get("run") == run_dir.name and data.get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            pointer.unlink()
        with contextlib.suppress(OSError):
            pointer.parent.rmdir()  # fails (and stays) while another job's pointer is there


def agent_info(env: DistEnv) -> dict[str, Any] | None:
    """status.json's `launcher` for a rank started by torchrun (its parent, checked to be a torchrun agent)."""
    if env.agent_pid is None or not is_torchrun(_cmdline(env.agent_pid)):
        return None
    return {
        "kind": "torchrun",
        "pid": env.agent_pid,
        "host": this_host(),
        "started": _process_started(env.agent_pid),
    }


# ------------------------------------------------------------------------------------------------ resume
def job_layout(run_dir: str | Path) -> LaunchSpec | None:
    """The layout a run was started with (config.json "distributed"), or None for a single process."""
    from lrtui.runs.reader import read_config

    config, _problem = read_config(Path(run_dir))
    raw = config.get("distributed") if isinstance(config, dict) else None
    if raw is None:
        return None
    try:
        return LaunchSpec.from_dict(raw)
    except DistError:
        return None


def resume_run(run_dir: str | Path, nproc: int | None = None) -> tuple[int, str]:
    """Resume a stopped run, a torchrun job as it ran or on `nproc` ranks of this node; (pid, what started).

    The global batch stays what the run was started with (batch_size x its world size): the steps, the LR
    sequence and the data order are those of an uninterrupted run; `nproc` must divide it.
    """
    from lrtui.runs.process import launch
    from lrtui.runs.reader import read_config

    run_dir = Path(run_dir)
    name = clean_name(run_dir.name)
    spec = job_layout(run_dir)
    if nproc is not None and (not isinstance(nproc, int) or nproc < 1):
        raise DistError("--nproc", nproc, "an integer ≥ 1")
    if nproc is None and spec is not None and spec.nnodes > 1:
        raise DistError(
            "--nproc",
            None,
            f"N ranks for this node: run {name} ran on {spec.nnodes} nodes (resume it there by "
            "submitting its train.sbatch again, or here with --nproc N)",
        )
    ranks = nproc if nproc is not None else (spec.world_size if spec is not None else 1)
    if nproc is not None and spec is not None:
        config, _ = read_config(run_dir)
        batch = config.get("batch_size") if isinstance(config, dict) else None
        if isinstance(batch, int) and not isinstance(batch, bool) and (batch * spec.world_size) % nproc:
            raise DistError(
                "--nproc",
                nproc,
                f"a divisor of run {name}'s global batch {batch * spec.world_size} (batch_size {batch} x "
                f"world size {spec.world_size}), so every rank gets the same share",
            )
    if ranks == 1:
        return launch(run_dir, resume=True), "1 process"
    base = spec or LaunchSpec()
    pid = launch_job(
        run_dir,
        LaunchSpec(nproc_per_node=ranks, backend=base.backend, max_restarts=base.max_restarts),
        resume=True,
    )
    return pid, f"{ranks} ranks (torchrun agent pid {pid})"
