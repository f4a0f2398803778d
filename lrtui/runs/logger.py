"""RunLogger: the writer side of the run-directory format, for lrtui's trainer and users' own loops.

    from lrtui import RunLogger

    with RunLogger({"model": "resnet18", "schedule": {"spec": "OneCycleLR(max_lr=0.1, total_steps=1000)"}}) as log:
        for step, batch in enumerate(loader):
            ...
            log.log_optimizer(step, optimizer, loss=loss.item())
        log.epoch(0, test_acc=0.91)

Steps are buffered and written as one columnar "steps" line per flush (at least every
`flush_interval` seconds, by the caller's thread or a daemon timer, and at close/exit). Every
line is written whole with a single write() to a file opened O_APPEND, so a reader (or a kill -9)
never leaves anything but, at worst, one partial last line.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from lrtui.runs import identity
from lrtui.runs.files import open_append
from lrtui.runs.jsonio import dumps_line, pack_floats, pack_ints, read_json_file, write_json_atomic
from lrtui.runs.lock import RunLocked, acquire, adopt_inherited
from lrtui.runs.lock import release as release_lock
from lrtui.runs.paths import (
    CONFIG,
    FORMAT_VERSION,
    METRICS,
    STATUS,
    default_runs_dir,
    make_private_dir,
    new_run_id,
)
from lrtui.runs.process import has_live_process
from lrtui.runs.ranks import HEARTBEAT_EVERY_S, RankHeartbeat
from lrtui.runs.status import HEARTBEAT_S, LIVE_STATES, TERMINAL_STATES, read_status, this_host
from lrtui.runs.text import clean_name

WRITABLE_STATES = ("starting", "running", *TERMINAL_STATES)
_STATE_EVENT = {"finished": "finish", "stopped": "stop", "failed": "error", "diverged": "diverged"}
MAX_BATCH_STEPS = 1000  # a "steps" line never holds more than this many buffered steps
TRACEBACK_LINES = 20


def _iso_utc(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _detached(value: Any) -> Any:
    # A loss tensor that still requires grad converts fine, but torch warns; detach it (duck-typed).
    detach = getattr(value, "detach", None)
    return detach() if detach is not None else value


def _tolist(value: Any) -> Any:
    value = _detached(value)
    tolist = getattr(value, "tolist", None)
    return tolist() if tolist is not None else value


def _floats(value: Any, field: str) -> list[float]:
    """A float or a sequence of floats (per param group) as a list of floats."""
    value = _tolist(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        raise ValueError(
            f"{field}={value!r} is not allowed: expected a number or a list of numbers (one per param group)"
        ) from None


def _opt_float(value: Any, field: str) -> float | None:
    if value is None:
        return None
    try:
        return float(_detached(value))
    except (TypeError, ValueError):
        raise ValueError(f"{field}={value!r} is not allowed: expected a number or None") from None


def _check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int):
        try:
            as_int = int(step)
        except (TypeError, ValueError):
            as_int = None
        if as_int is None or as_int != step:
            raise ValueError(f"step={step!r} is not allowed: expected a non-negative integer")
        step = as_int
    if step < 0:
        raise ValueError(f"step={step!r} is not allowed: expected a non-negative integer")
    return step


def optimizer_lrs(optimizer: Any) -> tuple[list[float], list[float] | None]:
    """(lr per param group, momentum per group or None), duck-typed over `optimizer.param_groups`.

    Momentum is the group's "momentum" (SGD, RMSprop) or betas[0] (Adam family); None when any
    group has neither. Accepts an optimizer or a list of param-group dicts; never imports torch.
    """
    groups = getattr(optimizer, "param_groups", optimizer)
    try:
        groups = list(groups)
        lrs = [float(g["lr"]) for g in groups]
    except (TypeError, KeyError, ValueError):
        raise ValueError(
            f"optimizer={optimizer!r} is not allowed: expected an object with .param_groups "
            "(a list of dicts with an 'lr' key)"
        ) from None
    moms: list[float] = []
    for g in groups:
        if "momentum" in g:
            moms.append(float(g["momentum"]))
        elif "betas" in g:
            moms.append(float(g["betas"][0]))
        else:
            return lrs, None
    return lrs, (moms or None)


def _dist_env(distributed: bool | str) -> Any:
    """The torchrun environment of this process when `distributed` allows it ("auto"/True), else None."""
    if distributed not in (True, False, "auto"):
        raise ValueError(f"distributed={distributed!r} is not allowed: expected 'auto', True or False")
    if distributed is False:
        return None
    from lrtui.runs.distributed import dist_env

    return dist_env()


def create_run_dir(
    config: dict | None = None,
    *,
    runs_dir: str | Path | None = None,
    run_id: str | None = None,
    source: str = "runlogger",
) -> Path:
    """Make a new run directory with config.json and status.json (state "starting", no pid).

    The id is unique: the directory is created with exist_ok=False and a fresh id is drawn on a
    collision (an explicit `run_id` that exists is an error). Used by the app before `launch`.
    """
    if config is not None and not isinstance(config, dict):
        raise ValueError(f"config={config!r} is not allowed: expected a dict")
    config = dict(config or {})
    root = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()
    make_private_dir(root, parents=True)
    for _attempt in range(1000):
        rid = run_id or new_run_id(config.get("model"))
        run_dir = root / rid
        try:
            make_private_dir(run_dir, exist_ok=False)
            break
        except FileExistsError:
            if run_id is not None:
                raise FileExistsError(f"run_id={run_id!r} is not allowed: {run_dir} already exists") from None
    else:  # pragma: no cover - 1000 collisions of 16 random bits in one second
        raise FileExistsError(f"could not find a free run id in {root}")
    now = time.time()
    config.update(format=FORMAT_VERSION, id=rid, created=_iso_utc(now), source=source)
    try:
        write_json_atomic(run_dir / CONFIG, config)
        write_json_atomic(
            run_dir / STATUS,
            {"state": "starting", "pid": None, "host": None, "started": None, "updated": now,
             "step": None, "epoch": None, "error": None, "message": None},
        )  # fmt: skip
    except BaseException:  # a full disk: no half-made run left behind (it would show "starting" forever)
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return run_dir


def take_lock(run_dir: Path, dist: Any = None) -> int | None:
    """The run's lock: the one a launcher handed down to this process, else a fresh one (RunLocked).

    Rank 0 of a torchrun job that `launch_job` started finds the lock held by its own agent, which holds it
    for the whole job: None (nothing to hold here)."""
    inherited = adopt_inherited(run_dir)
    if inherited is not None:
        return inherited
    try:
        return acquire(run_dir)
    except RunLocked as exc:
        if dist is not None and dist.agent_pid is not None and exc.pid == dist.agent_pid:
            return None
        raise


def _has_base_lr(config: dict) -> bool:
    schedule = config.get("schedule") if isinstance(config.get("schedule"), dict) else {}
    optimizer = config.get("optimizer") if isinstance(config.get("optimizer"), dict) else {}
    return any(v is not None for v in (schedule.get("base_lrs"), optimizer.get("lr"), config.get("lr")))


def with_schedule(
    config: dict,
    scheduler: Any = None,
    stepping: str | None = None,
    steps_per_epoch: int | None = None,
    total_steps: int | None = None,
) -> dict:
    """`config` with its "schedule" entry completed from a live scheduler object and the stepping given.

    An exact description replaces the spec; one that cannot be exact (a Python lambda) keeps a spec the
    user wrote in the config and records why the object was not read. The base LRs go in too, so the
    plan never lacks one.
    """
    if stepping is not None and stepping not in ("step", "epoch"):
        raise ValueError(f"stepping={stepping!r} is not allowed: expected 'step' or 'epoch'")
    for name, value in (("steps_per_epoch", steps_per_epoch), ("total_steps", total_steps)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name}={value!r} is not allowed: expected an integer ≥ 1")
    schedule = config.get("schedule")
    entry: dict[str, Any] = (
        dict(schedule)
        if isinstance(schedule, dict)
        else ({"spec": schedule} if isinstance(schedule, str) else {})
    )
    if scheduler is not None:
        from lrtui.schedules.describe import describe_scheduler  # numpy; duck-typed, never imports torch

        described = describe_scheduler(scheduler).schedule_config()
        if not described.get("exact"):
            described.pop("spec", None)
        entry.update(described)
    if stepping is not None:
        entry["stepping"] = stepping
    entry.setdefault("stepping", "step")
    if steps_per_epoch is not None:
        entry["steps_per_epoch"] = steps_per_epoch
    if total_steps is not None:
        entry["total_steps"] = total_steps
    return {**config, "schedule": entry}


class RunLogger:
    """Writes one run directory. Thread safe; use as a context manager or call close()."""

    def __init__(
        self,
        config: dict | None = None,
        *,
        runs_dir: str | Path | None = None,
        run_id: str | None = None,
        flush_interval: float = 0.5,
        source: str = "runlogger",
        packed: bool = True,
        handle_sigterm: bool = True,
        scheduler: Any = None,
        stepping: str | None = None,
        steps_per_epoch: int | None = None,
        total_steps: int | None = None,
        distributed: bool | str = "auto",
        heartbeat_every: float = HEARTBEAT_EVERY_S,
    ) -> None:
        """`scheduler`: the live scheduler object (torch, transformers, timm): its class, arguments, base LRs
        and current step are read (`lrtui.schedules.describe`) and recorded as the run's plan in config.json
        — the exact spec when lrtui can spell it, else why not (the doctor then infers the schedule from the
        logged LR). `stepping` ("step" | "epoch"), `steps_per_epoch` and `total_steps` complete the plan.

        Under torchrun (`distributed="auto"`: RANK/WORLD_SIZE in the environment) every rank makes the same
        RunLogger and they share one run: rank 0 writes it (and holds its lock), every rank beats into
        ranks/<rank>.jsonl (`lrtui.runs.distributed.agree_run_dir` says how they agree on it)."""
        if config is not None and not isinstance(config, dict):
            raise ValueError(f"config={config!r} is not allowed: expected a dict")
        config = dict(config or {})
        if any(v is not None for v in (scheduler, stepping, steps_per_epoch, total_steps)):
            config = with_schedule(config, scheduler, stepping, steps_per_epoch, total_steps)
        self._declared = scheduler is not None
        env = _dist_env(distributed)
        if env is None:
            run_dir = create_run_dir(config, runs_dir=runs_dir, run_id=run_id, source=source)
            self._setup(
                run_dir,
                flush_interval=flush_interval,
                packed=packed,
                handle_sigterm=handle_sigterm,
                lock_fd=take_lock(run_dir),
            )
            self._go_live(event="start", status={})
            return
        from lrtui.runs.distributed import agree_run_dir

        root = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()

        def create(target: Path | None) -> Path:
            if target is None:
                return create_run_dir(config, runs_dir=root, source=source)
            return create_run_dir(config, runs_dir=target.parent, run_id=target.name, source=source)

        run_dir, existed = agree_run_dir(env, create, runs_dir=root, run_id=run_id)
        self._runs_root = root
        if not env.is_writer:
            self._setup_follower(run_dir, env, handle_sigterm=handle_sigterm, every=heartbeat_every)
            return
        self._setup(
            run_dir,
            flush_interval=flush_interval,
            packed=packed,
            handle_sigterm=handle_sigterm,
            lock_fd=take_lock(run_dir, env),
            dist=env,
        )
        self._start_heartbeat(env, heartbeat_every)
        status = read_status(run_dir) if existed else {}
        had_records = self._terminate_partial_line() if existed else False
        self._go_live(
            event="resume" if had_records else "start", status=status if "problem" not in status else {}
        )

    @classmethod
    def open(
        cls,
        run_dir: str | Path,
        *,
        flush_interval: float = 0.5,
        packed: bool = True,
        handle_sigterm: bool = True,
        event: str | None = None,
        message: str = "",
        force: bool = False,
        distributed: bool | str = "auto",
        heartbeat_every: float = HEARTBEAT_EVERY_S,
    ) -> RunLogger:
        """Attach to an existing run directory and append to it (the trainer, resume).

        Writes a "resume" event when metrics.jsonl already has records, else a "start" event
        (override with `event`). A partial last line left by a killed writer is terminated so the
        next record starts on a line of its own. Refuses a run whose status names another live
        process (the pid launch() wrote for this very process, or for the torchrun agent that started
        it, is fine) unless `force`. Under torchrun only rank 0 writes; the other ranks beat.
        """
        run_dir = Path(run_dir)
        if not run_dir.is_dir():
            raise FileNotFoundError(f"run_dir={str(run_dir)!r} is not allowed: no such directory")
        env = _dist_env(distributed)
        self = cls.__new__(cls)
        if env is not None and not env.is_writer:  # rank > 0 of a job: beats only, no lock
            self._setup_follower(run_dir, env, handle_sigterm=handle_sigterm, every=heartbeat_every)
            return self
        lock_fd = take_lock(run_dir, env)  # RunLocked before anything is read or written
        try:
            status = read_status(run_dir)
            # launch() wrote this process's pid, or launch_job() the pid of the torchrun agent that started it
            mine = (os.getpid(),) if env is None else (os.getpid(), env.agent_pid)
            ours = status.get("pid") in mine and status.get("host") == this_host()
            if not force and has_live_process(status) and not ours:
                raise RuntimeError(
                    f"run {clean_name(run_dir.name)} is {status.get('state')} with pid {status.get('pid')} "
                    f"on {status.get('host')}: it has a live writer (stop it first, or pass force=True)"
                )
        except BaseException:
            release_lock(lock_fd)
            raise
        self._setup(
            run_dir,
            flush_interval=flush_interval,
            packed=packed,
            handle_sigterm=handle_sigterm,
            lock_fd=lock_fd,
            dist=env,
        )
        self._declared = False
        if env is not None:
            self._start_heartbeat(env, heartbeat_every)
        had_records = self._terminate_partial_line()
        if "problem" in status:
            status = {}
        for key in ("step", "epoch"):
            if isinstance(status.get(key), (int, float)):
                setattr(self, f"_{key}", status[key])
        self._go_live(event=event or ("resume" if had_records else "start"), status=status, message=message)
        return self

    # ---- distributed ---------------------------------------------------------------------------

    def _start_heartbeat(self, env: Any, every: float) -> None:
        from lrtui.runs.ranks import default_memory

        self.heartbeat = RankHeartbeat(
            self.run_dir,
            rank=env.rank,
            world_size=env.world_size,
            local_rank=env.local_rank,
            every=every,
            device="?",
            memory=default_memory,
            agent_pid=env.agent_pid,
        )

    def _setup_follower(self, run_dir: Path, env: Any, *, handle_sigterm: bool, every: float) -> None:
        """Rank > 0: no records (rank 0 writes them), only this rank's heartbeats."""
        self.run_dir = Path(run_dir)
        self.id = self.run_dir.name
        self.metrics_path = self.run_dir / METRICS
        self.status_path = self.run_dir / STATUS
        cfg, _problem = read_json_file(self.run_dir / CONFIG)
        self.config = cfg if isinstance(cfg, dict) else {}
        self.is_writer = False
        self.dist = env
        self.write_error = None
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._closed = False
        self._step = None
        self._epoch = None
        self._status = {"state": "running"}
        self._sigterm_received = False
        self._old_sigterm = None
        self._declared = True  # rank 0 records the plan
        self._start_heartbeat(env, every)
        if handle_sigterm:
            self._install_sigterm()
        atexit.register(self._atexit)

    # ---- setup ---------------------------------------------------------------------------------

    def _setup(
        self,
        run_dir: Path,
        *,
        flush_interval: float,
        packed: bool,
        handle_sigterm: bool,
        lock_fd: int | None,
        dist: Any = None,
    ) -> None:
        if not isinstance(flush_interval, (int, float)) or flush_interval < 0:
            release_lock(lock_fd)
            raise ValueError(f"flush_interval={flush_interval!r} is not allowed: expected seconds >= 0")
        self._lock_fd = lock_fd  # held until close(): one writer per run (lock.py)
        self.is_writer = True
        self.dist = dist  # lrtui.runs.distributed.DistEnv under torchrun, else None
        self.heartbeat: RankHeartbeat | None = None
        self.run_dir = Path(run_dir)
        self.id = self.run_dir.name
        self.metrics_path = self.run_dir / METRICS
        self.status_path = self.run_dir / STATUS
        cfg, _problem = read_json_file(self.run_dir / CONFIG)
        self.config: dict = cfg if isinstance(cfg, dict) else {}
        self.flush_interval = float(flush_interval)
        self.packed = packed
        self.write_error: BaseException | None = None  # last error of the background flush
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._closed = False
        self._step: int | None = None
        self._epoch: Any = None
        self._lines: list[str] = []
        self._reset_rows()
        self._last_flush = time.monotonic()
        self._last_status_write = 0.0
        self._status: dict[str, Any] = {}
        self._sigterm_received = False
        self._old_sigterm: Any = None
        try:
            self._fd = open_append(self.metrics_path)
        except BaseException:
            release_lock(lock_fd)
            raise
        if handle_sigterm:
            self._install_sigterm()
        atexit.register(self._atexit)
        self._wake = threading.Event()
        self._timer = threading.Thread(target=self._timer_loop, name=f"RunLogger-{self.id}", daemon=True)
        self._timer.start()

    def _go_live(self, *, event: str, status: dict, message: str = "") -> None:
        now = time.time()
        self._status = {"state": None, **{k: v for k, v in status.items() if k != "problem"}}
        self._status.update(pid=self._pid, host=this_host(), started=now, error=None, message=message or None)
        self._status["process"] = identity.identity()  # what `lrtui stop` checks before signalling
        if self.dist is not None:
            from lrtui.runs.distributed import agent_info

            self._status["world_size"] = self.dist.world_size
            launcher = agent_info(self.dist)
            if launcher is not None:
                previous = self._status.get("launcher")
                if isinstance(previous, dict) and previous.get("pid") == launcher["pid"]:
                    launcher = {**previous, **launcher}  # keep what lrtui's launch recorded
                self._status["launcher"] = launcher
        else:  # a single process (also one resuming what was a torchrun job)
            self._status.pop("world_size", None)
            self._status.pop("launcher", None)
        self.set_state("starting")
        self.event(event, message)
        self.set_state("running")

    def _terminate_partial_line(self) -> bool:
        """End a partial last line with a newline; return whether the file has any content."""
        try:
            size = os.fstat(self._fd).st_size
            if size == 0:
                return False
            with open(self.metrics_path, "rb") as f:
                f.seek(size - 1)
                last = f.read(1)
            if last != b"\n":
                self._write_line("")
            return True
        except OSError:
            return False

    def _install_sigterm(self) -> None:
        # Only where nobody else handles SIGTERM: turn it into SystemExit so the run ends "stopped"
        # (context manager or atexit) instead of dying silently with state "running".
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None):
                return
            self._old_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
        except (ValueError, OSError):  # pragma: no cover - not the main interpreter
            self._old_sigterm = None

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self._sigterm_received = True
        if self.dist is not None:
            self._sigterm_under_launcher(signum)
        raise SystemExit(128 + signum)

    def _sigterm_under_launcher(self, signum: int) -> None:
        """Under torchrun SIGTERM comes from the agent (a stop, or another rank failed), which kills what
        has not exited after its grace period: record the final state at once, then die of the signal as
        the agent expects, instead of unwinding through user code that may wait on dead ranks."""
        with contextlib.suppress(Exception):
            state, message = "stopped", "terminated by SIGTERM from the torchrun agent"
            if self.is_writer:
                from lrtui.runs.ranks import other_ranks_gone

                gone = other_ranks_gone(self.run_dir, self.dist.rank)
                if gone:  # another rank died first: that is why the agent stops the job
                    state, message = "failed", f"{gone}; the torchrun agent stopped the job"
                self.close(state, message if state == "failed" else None, message=message)
            else:
                self.close(state)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def _restore_sigterm(self) -> None:
        if self._old_sigterm is None:
            return
        try:
            if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
                signal.signal(signal.SIGTERM, self._old_sigterm)
        except (ValueError, OSError):  # pragma: no cover - not the main thread at close
            pass
        self._old_sigterm = None

    # ---- records -------------------------------------------------------------------------------

    def _reset_rows(self) -> None:
        self._r_step: list[int] = []
        self._r_epoch: list[Any] = []
        self._r_lr: list[list[float]] = []
        self._r_mom: list[list[float]] | None = None
        self._r_loss: list[float | None] = []
        self._r_grad: list[float | None] = []
        self._r_extra: dict[str, list[Any]] = {}
        self._r_t = 0.0

    def step(
        self,
        step: int,
        *,
        lr: Any,
        loss: Any = None,
        epoch: Any = None,
        momentum: Any = None,
        grad_norm: Any = None,
        **extra: Any,
    ) -> None:
        """Buffer one optimizer step. `step` = updates done before this one (the schedule's k).

        lr / momentum: a number or one number per param group. Passing a tensor as loss forces a
        device sync; pass a float (e.g. every N steps) in hot loops.
        """
        step = _check_step(step)
        if not self.is_writer:
            self._beat_step(step)
            return
        lrs = _floats(lr, "lr")
        moms = None if momentum is None else _floats(momentum, "momentum")
        loss_f = _opt_float(loss, "loss")
        grad_f = _opt_float(grad_norm, "grad_norm")
        epoch = _tolist(epoch)
        with self._lock:
            self._check_open()
            n = len(self._r_step)
            if n and (
                len(lrs) != len(self._r_lr)
                or (moms is None) != (self._r_mom is None)
                or (moms is not None and len(moms) != len(self._r_mom))
            ):
                self._rows_to_line()  # group count changed: start a new batch
                n = 0
            if n == 0:
                self._r_lr = [[] for _ in lrs]
                self._r_mom = None if moms is None else [[] for _ in moms]
            self._r_step.append(step)
            self._r_epoch.append(epoch)
            for col, v in zip(self._r_lr, lrs):
                col.append(v)
            if moms is not None:
                for col, v in zip(self._r_mom, moms):
                    col.append(v)
            self._r_loss.append(loss_f)
            self._r_grad.append(grad_f)
            if extra or self._r_extra:
                for key, value in extra.items():
                    col = self._r_extra.get(key)
                    if col is None:
                        col = self._r_extra[key] = [None] * n
                    col.append(_tolist(value))
                for col in self._r_extra.values():
                    if len(col) == n:
                        col.append(None)
            self._r_t = time.time()
            self._beat_step(step)
            if epoch is not None:
                self._epoch = epoch
            if n + 1 >= MAX_BATCH_STEPS:
                self._rows_to_line()
            self._maybe_flush()

    def steps(self, columns: dict[str, Any]) -> None:
        """Append a pre-batched columnar batch of steps.

        columns: "step" (ints) and "lr" (one list per param group, group-major, or a flat list for a
        single group) are required; optional "epoch", "momentum" (like lr), "loss", "grad_norm" and
        any other numeric columns. Values may be lists or anything with .tolist() (numpy, torch).
        """
        if not isinstance(columns, dict):
            raise ValueError(f"columns={type(columns).__name__} is not allowed: expected a dict of columns")
        if not self.is_writer:
            return
        cols = {str(k): _tolist(v) for k, v in columns.items()}
        if "step" not in cols or cols.get("lr") is None:
            raise ValueError(f"columns has keys {sorted(cols)}; 'step' and 'lr' are required")
        step_col = cols.pop("step")
        if not isinstance(step_col, list):
            raise ValueError(f"columns['step']={step_col!r} is not allowed: expected a list of integers")
        n = len(step_col)
        if n == 0:
            return
        steps = [_check_step(s) for s in step_col]
        groups: dict[str, list[list]] = {}
        for key in ("lr", "momentum"):
            value = cols.pop(key, None)
            if value is None:
                continue
            if not isinstance(value, list):
                raise ValueError(f"columns[{key!r}] is not allowed: expected a list (per group) of lists")
            if value and not isinstance(value[0], list):
                value = [value]  # one group given flat
            for g, col in enumerate(value):
                if not isinstance(col, list) or len(col) != n:
                    got = len(col) if isinstance(col, list) else type(col).__name__
                    raise ValueError(
                        f"columns[{key!r}][{g}] has {got} values; expected {n} (one per step, group-major)"
                    )
            groups[key] = value
        for key, col in cols.items():
            if not isinstance(col, list) or len(col) != n:
                got = len(col) if isinstance(col, list) else type(col).__name__
                raise ValueError(f"columns[{key!r}] has {got} values; expected {n} (one per step)")
        with self._lock:
            self._check_open()
            self._rows_to_line()
            record: dict[str, Any] = {
                "kind": "steps",
                "n": n,
                "step": self._pack_int_col(steps, constant=False),
            }
            record["lr"] = [self._pack_float_col(g) for g in groups["lr"]]
            if "momentum" in groups:
                record["momentum"] = [self._pack_float_col(g) for g in groups["momentum"]]
            for key, col in cols.items():
                packed = self._pack_any_col(col, constant=key in ("epoch", "loss", "grad_norm"))
                if packed is not None:
                    record[key] = packed
            record["t"] = time.time()
            self._lines.append(dumps_line(record))
            self._beat_step(steps[-1])
            epochs = cols.get("epoch")
            if epochs and epochs[-1] is not None:
                self._epoch = epochs[-1]
            self._maybe_flush()

    def log_optimizer(
        self,
        step: int,
        optimizer: Any,
        *,
        loss: Any = None,
        epoch: Any = None,
        grad_norm: Any = None,
        scheduler: Any = None,
        **extra: Any,
    ) -> None:
        """step() with lr and momentum read from `optimizer.param_groups`.

        The first call also completes the plan: with `scheduler` (the live object) its spec is declared
        (as `declare_schedule(scheduler)`); without, a config that names a schedule but no base LR takes
        the groups' `initial_lr` (what the scheduler was built from).
        """
        if not self._declared:
            self._declared = True
            if scheduler is not None:
                self.declare_schedule(scheduler)
            else:
                self._declare_base_lrs(optimizer)
        lrs, moms = optimizer_lrs(optimizer)
        self.step(step, lr=lrs, momentum=moms, loss=loss, epoch=epoch, grad_norm=grad_norm, **extra)

    def declare_schedule(
        self,
        scheduler: Any = None,
        *,
        stepping: str | None = None,
        steps_per_epoch: int | None = None,
        total_steps: int | None = None,
    ) -> dict:
        """Record the run's plan from a live scheduler object (see __init__'s `scheduler`) after the run
        started: config.json is replaced atomically and a "plan" event tells live readers to re-read it.
        Returns the recorded "schedule" entry."""
        if not self.is_writer:  # rank > 0 of a job: rank 0 records the plan
            return dict(
                with_schedule(dict(self.config), scheduler, stepping, steps_per_epoch, total_steps)[
                    "schedule"
                ]
            )
        with self._lock:
            self._check_open()
            self.config = with_schedule(dict(self.config), scheduler, stepping, steps_per_epoch, total_steps)
            self._declared = True
            write_json_atomic(self.run_dir / CONFIG, self.config)
            entry = self.config.get("schedule") or {}
            self.event("plan", str(entry.get("spec") or entry.get("reason") or ""))
            return dict(entry)

    def _declare_base_lrs(self, optimizer: Any) -> None:
        """A config with a schedule spec but no base LR: take the groups' initial_lr (torch sets it)."""
        config = self.config
        schedule = config.get("schedule")
        spec = schedule.get("spec") if isinstance(schedule, dict) else schedule
        if not isinstance(spec, str) or not spec.strip() or _has_base_lr(config):
            return
        groups = getattr(optimizer, "param_groups", None)
        try:
            bases = [float(g["initial_lr"]) for g in groups]
        except (TypeError, KeyError, ValueError):
            return
        if not bases:
            return
        with self._lock:
            entry = dict(schedule) if isinstance(schedule, dict) else {"spec": spec}
            entry["base_lrs"] = bases
            self.config = {**config, "schedule": entry}
            write_json_atomic(self.run_dir / CONFIG, self.config)
            self.event("plan", "base LR from the optimizer's initial_lr")

    def epoch(self, epoch: Any, **metrics: Any) -> None:
        """An end-of-epoch record; `epoch` is the 0-based index of the epoch just completed.

        Usual metrics: train_loss, train_acc, test_loss, test_acc (fractions), images_per_s,
        epoch_time. Written and flushed at once; status.json gets epochs_done / last_test_acc /
        best_test_acc so run listings need not read metrics.jsonl.
        """
        epoch = _tolist(epoch)
        if not self.is_writer:
            return
        with self._lock:
            self._check_open()
            record = {"kind": "epoch", "epoch": epoch, "step": self._step, **metrics}
            record.update(kind="epoch", epoch=epoch)
            record.setdefault("t", time.time())
            self._rows_to_line()
            self._lines.append(dumps_line(record))
            self._epoch = epoch
            if isinstance(epoch, int) and not isinstance(epoch, bool):
                self._status["epochs_done"] = epoch + 1
            acc = _tolist(metrics.get("test_acc"))
            if isinstance(acc, (int, float)) and math.isfinite(acc):
                self._status["last_test_acc"] = acc
                best = self._status.get("best_test_acc")
                if not isinstance(best, (int, float)) or acc > best:
                    self._status["best_test_acc"] = acc
            self._flush_locked()
            self._write_status()

    def event(self, name: str, message: str = "", **extra: Any) -> None:
        """A named event (start, stop, resume, finish, error, diverged, checkpoint, device, ...)."""
        if not self.is_writer:
            return
        with self._lock:
            self._check_open()
            record = {"kind": "event", "event": str(name), "step": self._step, "message": str(message)}
            record.update(extra)
            record.update(kind="event", event=str(name))
            record.setdefault("t", time.time())
            self._rows_to_line()
            self._lines.append(dumps_line(record))
            self._flush_locked()

    def set_state(self, state: str, error: str | None = None, **extra: Any) -> None:
        """Flush, then atomically replace status.json with the new state (plus any extra fields)."""
        if state not in WRITABLE_STATES:
            raise ValueError(f"state={state!r} is not allowed: expected one of {', '.join(WRITABLE_STATES)}")
        if not self.is_writer:
            self._status["state"] = state
            return
        with self._lock:
            if self._closed:
                raise RuntimeError(f"RunLogger for {self.id} is closed")
            self._flush_locked()
            self._status.update(extra)
            self._status["state"] = state
            self._status["error"] = error
            self._write_status()

    @property
    def state(self) -> str | None:
        return self._status.get("state")

    @property
    def last_step(self) -> int | None:
        """The last step logged (after open(): the step recorded in status.json)."""
        return self._step

    @property
    def closed(self) -> bool:
        return self._closed

    # ---- flushing ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything buffered now."""
        if not self.is_writer:
            return
        with self._lock:
            if not self._closed:
                self._flush_locked()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"RunLogger for {self.id} is closed")

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval:
            self._flush_locked()

    def _pack_float_col(self, values: list, constant: bool = True) -> Any:
        return pack_floats(values, constant) if self.packed else values

    def _pack_int_col(self, values: list, constant: bool = True) -> Any:
        return pack_ints(values, constant) if self.packed else values

    def _pack_any_col(self, values: list, constant: bool = True) -> Any:
        """Ints -> i8, numbers/None -> f8 (None as nan), all None -> omitted, other -> JSON list.

        `constant`: a column whose values are all equal may be written as one number (not for
        extra columns: a bare number there would read as record metadata).
        """
        if all(v is None for v in values):
            return None
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return self._pack_int_col(values, constant)
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
            return self._pack_float_col(values, constant)
        return values

    def _rows_to_line(self) -> None:
        if not self._r_step:
            return
        record: dict[str, Any] = {
            "kind": "steps",
            "n": len(self._r_step),
            "step": self._pack_int_col(self._r_step, constant=False),
        }
        epoch = self._pack_any_col(self._r_epoch)
        if epoch is not None:
            record["epoch"] = epoch
        record["lr"] = [self._pack_float_col(col) for col in self._r_lr]
        if self._r_mom is not None:
            record["momentum"] = [self._pack_float_col(col) for col in self._r_mom]
        for key, col in (("loss", self._r_loss), ("grad_norm", self._r_grad), *self._r_extra.items()):
            packed = self._pack_any_col(col, constant=key in ("loss", "grad_norm"))
            if packed is not None:
                record[key] = packed
        record["t"] = self._r_t
        self._lines.append(dumps_line(record))
        self._reset_rows()

    def _write_line(self, line: str) -> None:
        view = memoryview((line + "\n").encode())
        while view:
            view = view[os.write(self._fd, view) :]

    def _flush_locked(self) -> None:
        if os.getpid() != self._pid:  # a forked child (DataLoader worker) must not write
            return
        self._rows_to_line()
        while self._lines:
            self._write_line(self._lines[0])
            del self._lines[0]
        self._last_flush = time.monotonic()
        if (
            self._status.get("state") in LIVE_STATES
            and time.monotonic() - self._last_status_write >= HEARTBEAT_S
        ):
            self._write_status()

    def _write_status(self) -> None:
        if os.getpid() != self._pid:
            return
        self._status["updated"] = time.time()
        self._status["step"] = self._step
        self._status["epoch"] = self._epoch
        write_json_atomic(self.status_path, self._status)
        self._last_status_write = time.monotonic()

    def _timer_loop(self) -> None:
        while True:
            wait = self.flush_interval if self.flush_interval > 0 else HEARTBEAT_S
            if self._wake.wait(min(wait, HEARTBEAT_S)):
                return
            try:
                with self._lock:
                    if self._closed:
                        return
                    self._flush_locked()
            except Exception as exc:  # keep the training loop alive; the next flush retries
                self.write_error = exc

    # ---- ending --------------------------------------------------------------------------------

    def close(self, state: str = "finished", error: str | None = None, **extra: Any) -> None:
        """Flush, write the final event and state, release the file. Idempotent."""
        if state not in WRITABLE_STATES:
            raise ValueError(f"state={state!r} is not allowed: expected one of {', '.join(WRITABLE_STATES)}")
        with self._lock:
            if self._closed:
                return
            if not self.is_writer:
                self._close_follower(state, error, extra)
                return
            try:
                if state in _STATE_EVENT and os.getpid() == self._pid:
                    message = error.splitlines()[-1] if error else str(extra.get("message") or "")
                    self.event(_STATE_EVENT[state], message)
                self.set_state(state, error, **extra)
            finally:
                self._closed = True
                self._wake.set()
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                release_lock(self._lock_fd)
                atexit.unregister(self._atexit)
                self._restore_sigterm()
                self._end_heartbeat(state, error, extra)
                if self.dist is not None:
                    from lrtui.runs.distributed import drop_pointer

                    with contextlib.suppress(Exception):
                        drop_pointer(
                            self.dist, getattr(self, "_runs_root", self.run_dir.parent), self.run_dir
                        )

    def _beat_step(self, step: int) -> None:
        self._step = step
        if self.heartbeat is not None:
            self.heartbeat.step(step + 1)  # the heartbeat counts steps done; `step` is the update k

    def _end_heartbeat(self, state: str, error: str | None, extra: dict) -> None:
        if self.heartbeat is not None:
            message = error.splitlines()[-1] if error else extra.get("message")
            with contextlib.suppress(Exception):
                self.heartbeat.close(state, str(message) if message else None)

    def _close_follower(self, state: str, error: str | None, extra: dict) -> None:
        self._closed = True
        self._status["state"] = state
        atexit.unregister(self._atexit)
        self._restore_sigterm()
        self._end_heartbeat(state, error, extra)

    def __enter__(self) -> RunLogger:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        state, error, extra = self._outcome(exc_type, exc, tb)
        self.close(state, error, **extra)
        return False

    def _outcome(self, exc_type: Any, exc: Any, tb: Any) -> tuple[str, str | None, dict]:
        if exc_type is None:
            return "finished", None, {}
        if issubclass(exc_type, KeyboardInterrupt):
            return "stopped", None, {"message": "interrupted (KeyboardInterrupt)"}
        if issubclass(exc_type, SystemExit):
            if self._sigterm_received:
                return "stopped", None, {"message": "stopped by SIGTERM"}
            code = getattr(exc, "code", None)
            if code in (0, None):
                return "finished", None, {}
            return "failed", f"SystemExit({code!r})", {}
        lines = "".join(traceback.format_exception(exc_type, exc, tb)).rstrip().splitlines()
        return "failed", "\n".join(lines[-TRACEBACK_LINES:]), self._blame_other_ranks(exc_type, exc)

    def _blame_other_ranks(self, exc_type: Any, exc: Any) -> dict:
        """Rank 0 of a job that failed because another rank died: name that rank before the collective
        error seen here (as lrtui's trainer does), else nothing to add."""
        if self.dist is None or not self.is_writer:
            return {}
        from lrtui.runs.ranks import other_ranks_gone

        try:
            gone = other_ranks_gone(self.run_dir, self.dist.rank)
        except Exception:  # the original error is the one to report
            return {}
        return {"message": f"{gone}; here: {exc_type.__name__}: {exc}"[:600]} if gone else {}

    def _atexit(self) -> None:
        if self._closed or os.getpid() != self._pid:
            return
        if self._sigterm_received:
            outcome = self._outcome(SystemExit, SystemExit(143), None)
        else:
            exc = getattr(sys, "last_value", None)  # set when an exception went unhandled
            outcome = (
                self._outcome(type(exc), exc, exc.__traceback__)
                if exc is not None
                else ("finished", None, {})
            )
        with contextlib.suppress(Exception):  # nothing sensible to do about it at interpreter exit
            self.close(outcome[0], outcome[1], **outcome[2])

    def __repr__(self) -> str:
        return f"RunLogger({str(self.run_dir)!r}, state={self.state!r})"
