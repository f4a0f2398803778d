"""Per-rank heartbeats of a distributed run (stdlib only): `<run>/ranks/<rank>.jsonl`.

Every process of a job (rank) appends a small JSON line every `every` seconds (default 5 s): where it runs,
the optimizer steps it has done and when the count last moved, its mean step time, its own time (the part of
a step it does alone: data + forward, before DDP's gradient all-reduce makes every rank wait for the
slowest), its data time, its memory and what it is doing now (`phase`). The beats come from a daemon thread,
so a rank blocked in a collective still beats, with its step frozen: "alive but not progressing" (hung) and
"no beats and the process is gone" (dead) look different. The training loop only stores a few numbers per
step (`step()`); nothing it does waits for the file.

Readers (`RanksTail`) read only what was appended since their last poll and keep each rank's first record
(the start) and latest record; `assess()` turns them into one row per rank and the job's health: a rank that
died or went silent makes a live job `degraded`, ranks that stopped progressing make it `hung`, and the
slowest rank's own time against the median names a straggler. docs/run-format.md has the format,
docs/distributed.md the thresholds and the costs at 64+ ranks.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import stat
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lrtui.runs.files import open_append
from lrtui.runs.jsonio import dumps_line
from lrtui.runs.paths import make_private_dir
from lrtui.runs.reader import parse_lines
from lrtui.runs.status import LIVE_STATES, effective_state, pid_alive, this_host
from lrtui.runs.text import clean_json, clean_text

RANKS_DIR = "ranks"
HEARTBEAT_EVERY_S = 5.0
_RANK_FILE = re.compile(r"^(\d{1,7})\.jsonl$")
MAX_RANKS = 65_536  # rank files beyond this many are ignored (a hostile directory cannot exhaust memory)
TAIL_BYTES = 4096  # the first read of a long heartbeat file starts this far from its end (~12 beats)
KEEP_RECORDS = 8  # of what one poll read from a file, only the newest records are looked at
READ_CAP = 1 << 20  # at most this much is read from one file per poll

# Thresholds (docs/distributed.md explains them)
STRAGGLER_RATIO = 1.3  # own time above this multiple of the ranks' median: straggler
STRAGGLER_MIN_S = 0.002  # ... and at least this much slower (timer noise on tiny steps is not a straggler)
HANG_STEPS = 10  # no step for this many median step times (after the beat interval): stalled
HANG_MIN_BEATS = 2  # ... and never sooner than this many beat intervals
SLOW_PHASES = ("setup", "eval", "checkpoint")  # phases that may take long without being a hang
SLOW_PHASE_S = 600.0
SILENT_BEATS = 5  # no beat for this many intervals: the rank is silent (dead, frozen, or its host cut off)
MISSING_AFTER_S = 120.0  # a rank that never beat this long after the job started is missing


def ranks_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / RANKS_DIR


def rank_file(run_dir: str | Path, rank: int) -> Path:
    return ranks_dir(run_dir) / f"{rank}.jsonl"


def process_rss() -> dict[str, Any]:
    """This process's resident memory (Linux /proc), the default memory figure of a CPU rank."""
    try:
        with open("/proc/self/statm", "rb") as f:
            rss_pages = int(f.read().split()[1])
        return {"mem": rss_pages * os.sysconf("SC_PAGE_SIZE"), "mem_kind": "rss"}
    except (OSError, ValueError, IndexError):
        return {}


def default_memory() -> dict[str, Any]:
    """For a user's script: CUDA memory of the current device when torch already uses CUDA (torch is never
    imported here), else the process's RSS."""
    import sys

    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            dev = torch.cuda.current_device()
            return {
                "mem": torch.cuda.memory_allocated(dev),
                "mem_peak": torch.cuda.max_memory_allocated(dev),
                "mem_reserved": torch.cuda.memory_reserved(dev),
                "mem_total": torch.cuda.get_device_properties(dev).total_memory,
                "mem_kind": "cuda",
                "device": f"cuda:{dev}",
            }
    except Exception:
        pass
    return {**process_rss(), "device": "cpu"}


# ------------------------------------------------------------------------------------------------ writer
class RankHeartbeat:
    """Appends this rank's heartbeats to `ranks/<rank>.jsonl`, from a daemon thread every `every` seconds.

    Hot path: `step(n, data_time=..., own_time=...)` after each optimizer step (a lock and a few numbers) and
    `phase = "eval"` style assignments. `close(state)` writes the final "exit" record.
    """

    def __init__(
        self,
        run_dir: str | Path,
        *,
        rank: int,
        world_size: int,
        local_rank: int | None = None,
        every: float = HEARTBEAT_EVERY_S,
        device: str = "cpu",
        memory: Callable[[], dict[str, Any]] | None = None,
        agent_pid: int | None = None,
        extra: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        thread: bool = True,
    ) -> None:
        if not isinstance(every, (int, float)) or not every > 0:
            raise ValueError(f"every={every!r} is not allowed: expected seconds > 0")
        self.path = rank_file(run_dir, rank)
        make_private_dir(self.path.parent)  # the run files' mode (docs/run-format.md, Permissions)
        self.rank, self.world_size = int(rank), int(world_size)
        self.local_rank = local_rank
        self.every = float(every)
        self.device = device
        self.memory = memory or process_rss
        self.clock = clock
        self.phase: str = "setup"
        self._static = {
            "rank": self.rank,
            "local_rank": local_rank,
            "world_size": self.world_size,
            "host": this_host(),
            "pid": os.getpid(),
            "agent_pid": agent_pid,
            "device": device,
            "every": self.every,
            **(extra or {}),
        }
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._step: int | None = None
        self._steps_at: float | None = None
        self._window = [0, 0.0, 0, 0.0, 0, 0.0]  # steps timed, own time sum, data samples, data sum, own n
        self._last_beat_step: int | None = None
        self._last_beat_steps_at: float | None = None
        self._step_time: float | None = None
        self._own_time: float | None = None
        self._data_time: float | None = None
        self._closed = False
        self._fd = open_append(self.path)  # never through a symlink; the run file mode
        self.beats = 0
        self.write_error: BaseException | None = None
        self._write({"event": "start", "phase": self.phase, "step": None})
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if thread:
            self._thread = threading.Thread(target=self._loop, name=f"lrtui-heartbeat-r{rank}", daemon=True)
            self._thread.start()

    def configure(self, *, every: float | None = None, device: str | None = None) -> None:
        """Change the beat interval or the device named in the beats (the trainer knows them late)."""
        if every is not None:
            self.every = float(every)
            self._static["every"] = self.every
        if device is not None:
            self.device = self._static["device"] = device

    # ---- hot path ----------------------------------------------------------------------------------
    def step(self, step: int, *, data_time: float | None = None, own_time: float | None = None) -> None:
        """`step` optimizer steps are done (call after each one); optional per-step timings in seconds."""
        now = self.clock()
        with self._lock:
            if self._last_beat_step is None:  # the first step: the reference for the first step time
                self._last_beat_step, self._last_beat_steps_at = step, now
                if self.phase == "setup":
                    self.phase = "train"
            self._step, self._steps_at = step, now
            w = self._window
            if own_time is not None:
                w[4] += 1
                w[1] += own_time
            if data_time is not None:
                w[2] += 1
                w[3] += data_time

    # ---- records -----------------------------------------------------------------------------------
    def _write(self, fields: dict[str, Any]) -> None:
        if os.getpid() != self._pid:  # a forked child must not write as this rank
            return
        record = {"t": self.clock(), **self._static, **fields}
        os.write(self._fd, (dumps_line(record) + "\n").encode())
        self.beats += 1

    def beat(self, event: str = "beat", **fields: Any) -> None:
        """Write a record now: the step, step/own/data times since the last beat, memory, phase."""
        with self._lock:
            step, steps_at = self._step, self._steps_at
            w, self._window = self._window, [0, 0.0, 0, 0.0, 0, 0.0]
        if (
            step is not None
            and self._last_beat_step is not None
            and step > self._last_beat_step
            and steps_at is not None
            and self._last_beat_steps_at is not None
        ):
            self._step_time = (steps_at - self._last_beat_steps_at) / (step - self._last_beat_step)
        if step is not None and step != self._last_beat_step:
            self._last_beat_step, self._last_beat_steps_at = step, steps_at
        # means over the steps since the last beat; a beat without steps repeats the last known ones, so
        # the newest record always carries them (a hang's beats included)
        if w[4]:
            self._own_time = w[1] / w[4]
        if w[2]:
            self._data_time = w[3] / w[2]
        record: dict[str, Any] = {
            "event": event,
            "step": step,
            "steps_at": steps_at,
            "step_time": self._step_time,
            "own_time": self._own_time,
            "data_time": self._data_time,
            "phase": self.phase,
        }
        with contextlib.suppress(Exception):  # a memory probe must never take the beat (or training) down
            record.update(self.memory() or {})
        record.update(fields)
        self._write(record)

    def _loop(self) -> None:
        while not self._wake.wait(self.every):
            try:
                if self._closed:
                    return
                self.beat()
            except Exception as exc:  # a full disk: keep training, retry at the next beat
                self.write_error = exc

    def close(self, state: str = "finished", message: str | None = None) -> None:
        """The last record ("exit", with the rank's final state); stops the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self.phase = "exit"
        with contextlib.suppress(Exception):
            self.beat("exit", state=state, message=message)
        with contextlib.suppress(OSError):
            os.close(self._fd)


# ------------------------------------------------------------------------------------------------ reader
@dataclass
class RankRecord:
    """What the reader keeps per rank: its first (start) record and its newest one."""

    rank: int
    first: dict
    last: dict
    step_time: float | None = None  # newest non-null step time
    own_time: float | None = None
    data_time: float | None = None
    mem_peak: float | None = None  # the highest memory seen in any beat
    records: int = 0


class _FileTail:
    __slots__ = ("inode", "offset", "partial")

    def __init__(self) -> None:
        self.inode: tuple[int, int] | None = None
        self.offset = 0
        self.partial = b""


def _num(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = float(value)
        return value if math.isfinite(value) else None
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


class RanksTail:
    """Incremental reader of `ranks/*.jsonl`: `poll()` reads the bytes appended since the last poll.

    A file is opened on every poll (on NFS, opening revalidates the cached size: close-to-open
    consistency) and read only when it grew. The first read of a long file starts TAIL_BYTES before its
    end (only the newest beats matter; the first line is read separately for the start record).
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.dir = ranks_dir(run_dir)
        self.ranks: dict[int, RankRecord] = {}
        self._tails: dict[int, _FileTail] = {}
        self.skipped = 0
        self.version = 0  # bumps whenever a poll found something new

    def poll(self) -> dict[int, RankRecord]:
        try:
            entries = list(os.scandir(self.dir))
        except OSError:
            return self.ranks
        changed = False
        for entry in entries[: MAX_RANKS * 2]:
            m = _RANK_FILE.match(entry.name)
            if m is None:
                continue
            rank = int(m.group(1))
            if rank >= MAX_RANKS:
                continue
            changed |= self._read(rank, entry.path)
        if changed:
            self.version += 1
        return self.ranks

    def _read(self, rank: int, path: str) -> bool:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags)
        except OSError:
            return False
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return False
            tail = self._tails.setdefault(rank, _FileTail())
            inode = (st.st_dev, st.st_ino)
            first_line = None
            if tail.inode != inode or st.st_size < tail.offset:  # new, replaced or truncated: start over
                tail.inode, tail.offset, tail.partial = inode, 0, b""
                self.ranks.pop(rank, None)
                if st.st_size > TAIL_BYTES:  # only the newest beats matter; the start record comes first
                    first_line = os.pread(fd, 4096, 0).split(b"\n", 1)[0]
                    tail.offset = st.st_size - TAIL_BYTES
                    tail.partial = None  # type: ignore[assignment]  # skip to the next newline
            if st.st_size == tail.offset:
                return False
            data = os.pread(fd, min(st.st_size - tail.offset, READ_CAP), tail.offset)
        except OSError:
            return False
        finally:
            os.close(fd)
        tail.offset += len(data)
        if tail.partial is None:  # started mid-file: drop the partial first line
            cut = data.find(b"\n")
            data = data[cut + 1 :] if cut >= 0 else b""
            tail.partial = b""
        data = tail.partial + data
        lines = data.split(b"\n")
        tail.partial = lines.pop()  # the incomplete last line waits for the next poll
        if len(tail.partial) > TAIL_BYTES:  # no newline in sight: not a heartbeat file
            tail.partial = b""
        records, bad = parse_lines([ln for ln in lines if ln.strip()])
        self.skipped += bad
        if first_line is not None:
            first, _ = parse_lines([first_line] if first_line.strip() else [])
            if first:
                self._ingest(rank, first[0])
        if rank not in self.ranks and records:
            self._ingest(rank, records[0])  # the start record, when the file was read from its beginning
            records = records[1:]
        for rec in records[-KEEP_RECORDS:]:  # the newest beats are what the panel shows
            self._ingest(rank, rec)
        return bool(records) or first_line is not None

    def _ingest(self, rank: int, rec: dict) -> None:
        try:
            rec = clean_json(rec)
        except ValueError:
            self.skipped += 1
            return
        if _int(rec.get("rank")) not in (None, rank):  # a file that names another rank is not trusted
            self.skipped += 1
            return
        have = self.ranks.get(rank)
        if have is None:
            have = self.ranks[rank] = RankRecord(rank, first=rec, last=rec)
        elif (_num(rec.get("t")) or 0.0) >= (_num(have.last.get("t")) or 0.0):
            have.last = rec
        have.records += 1
        for key in ("step_time", "own_time", "data_time"):
            value = _num(rec.get(key))
            if value is not None and value >= 0:
                setattr(have, key, value)
        mem = _num(rec.get("mem_peak")) or _num(rec.get("mem"))
        if mem is not None and (have.mem_peak is None or mem > have.mem_peak):
            have.mem_peak = mem


# ------------------------------------------------------------------------------------------------ health
RANK_STATES = ("ok", "straggler", "slow", "stalled", "silent", "dead", "missing", "exited", "failed")


@dataclass(frozen=True)
class RankRow:
    """One rank as the monitor shows it."""

    rank: int
    state: str  # one of RANK_STATES
    host: str | None = None
    pid: int | None = None
    local_rank: int | None = None
    device: str | None = None
    step: int | None = None
    step_time: float | None = None
    own_time: float | None = None
    data_time: float | None = None
    mem: float | None = None
    mem_peak: float | None = None
    mem_total: float | None = None
    mem_kind: str | None = None
    phase: str | None = None
    beat_age: float | None = None  # seconds since its last beat
    progress_age: float | None = None  # seconds since its step count last moved
    note: str = ""  # why it is not ok


@dataclass(frozen=True)
class JobHealth:
    """The whole job: `state` is "ok" (or the run's terminal state), "degraded" or "hung"."""

    state: str
    rows: tuple[RankRow, ...] = ()
    world_size: int | None = None
    median_step_time: float | None = None
    median_own_time: float | None = None
    straggler: int | None = None
    straggler_ratio: float | None = None
    hang_after_s: float | None = None
    message: str = ""
    hosts: tuple[str, ...] = field(default_factory=tuple)
    culprits: tuple[int, ...] = ()  # the ranks the message blames (dead, silent, or the one others wait for)

    @property
    def problem_ranks(self) -> tuple[int, ...]:
        return tuple(r.rank for r in self.rows if r.state not in ("ok", "straggler", "exited"))


def rank_ranges(ranks: list[int] | tuple[int, ...]) -> str:
    """'0-2,4,6-7' for [0, 1, 2, 4, 6, 7]."""
    out: list[str] = []
    values = sorted(set(ranks))
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        out.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ",".join(out)


def _ranks_word(ranks: list[int]) -> str:
    return ("rank " if len(ranks) == 1 else "ranks ") + rank_ranges(ranks)


def hang_threshold(median_step: float | None, every: float) -> float:
    """Seconds without a step after which a rank counts as stalled: the beat interval (a beat reports the
    step with up to that delay) plus HANG_STEPS median steps, and at least HANG_MIN_BEATS intervals."""
    steps = HANG_STEPS * median_step if median_step else 0.0
    return max(HANG_MIN_BEATS * every, every + steps)


def _age(now: float, t: Any) -> float | None:
    t = _num(t)
    return None if t is None else max(0.0, now - t)


def assess(
    ranks: dict[int, RankRecord],
    *,
    now: float | None = None,
    world_size: int | None = None,
    live: bool = True,
    started: float | None = None,
    host: str | None = None,
    alive: Callable[[int, float | None], bool] = pid_alive,
) -> JobHealth:
    """Rows per rank and the job's health.

    `live`: whether the job itself is still running (its status); a finished job's rows are post-mortem
    (which rank exited how, which one died without an exit record). `started`: when the job started (for
    ranks that never beat). `alive(pid, started)` checks processes on this host.
    """
    now = time.time() if now is None else now
    host = this_host() if host is None else host
    if world_size is None:
        sizes = [_int(r.last.get("world_size")) for r in ranks.values()]
        world_size = max((s for s in sizes if s), default=None)
    step_times = [r.step_time for r in ranks.values() if r.step_time]
    own_times = [r.own_time for r in ranks.values() if r.own_time]
    median_step = statistics.median(step_times) if step_times else None
    median_own = statistics.median(own_times) if own_times else None
    everies = [_num(r.last.get("every")) for r in ranks.values()]
    every = max((e for e in everies if e), default=HEARTBEAT_EVERY_S)
    hang_after = hang_threshold(median_step, every)

    rows: list[RankRow] = []
    for rank in sorted(ranks):
        rec = ranks[rank]
        last, first = rec.last, rec.first
        pid = _int(last.get("pid"))
        rank_host = last.get("host") if isinstance(last.get("host"), str) else None
        beat_age = _age(now, last.get("t"))
        progress_age = _age(now, last.get("steps_at") or first.get("t"))
        phase = last.get("phase") if isinstance(last.get("phase"), str) else None
        state, note = "ok", ""
        rank_every = _num(last.get("every")) or every
        if last.get("event") == "exit":
            final = str(last.get("state") or "exited")
            state = "failed" if final in ("failed", "diverged") else "exited"
            note = final + (f": {last['message']}" if isinstance(last.get("message"), str) else "")
        elif rank_host == host and pid is not None and not alive(pid, _num(first.get("t"))):
            state, note = "dead", f"process {pid} is gone (no exit record)"
        elif beat_age is not None and beat_age > SILENT_BEATS * rank_every:
            state, note = "silent", f"no heartbeat for {beat_age:.0f} s"
        elif live and _int(last.get("step")) is not None and progress_age is not None:
            limit = max(hang_after, SLOW_PHASE_S) if phase in SLOW_PHASES else hang_after
            if progress_age > limit:
                state, note = (
                    "stalled",
                    f"no step for {progress_age:.0f} s" + (f" (in {phase})" if phase else ""),
                )
        rows.append(
            RankRow(
                rank=rank,
                state=state,
                host=clean_text(rank_host) if rank_host else None,
                pid=pid,
                local_rank=_int(last.get("local_rank")),
                device=last.get("device") if isinstance(last.get("device"), str) else None,
                step=_int(last.get("step")),
                step_time=rec.step_time,
                own_time=rec.own_time,
                data_time=rec.data_time,
                mem=_num(last.get("mem")),
                mem_peak=rec.mem_peak,
                mem_total=_num(last.get("mem_total")),
                mem_kind=last.get("mem_kind") if isinstance(last.get("mem_kind"), str) else None,
                phase=phase,
                beat_age=beat_age,
                progress_age=progress_age,
                note=note,
            )
        )
    if live and any(r.state in ("silent", "dead") for r in rows):
        # A silent or dead peer explains a long evaluation or checkpoint: the others wait for it in their
        # next collective, so there the slow-phase allowance does not apply (a rank frozen while rank 0
        # evaluated left the job "degraded" for 10 minutes instead of "hung").
        rows = [
            replace(r, state="stalled", note=f"no step for {r.progress_age:.0f} s (in {r.phase})")
            if r.state == "ok"
            and r.phase in SLOW_PHASES
            and r.step is not None
            and r.progress_age is not None
            and r.progress_age > hang_after
            else r
            for r in rows
        ]
    # ranks that never wrote a beat
    if world_size and live:
        waited = _age(now, started)
        for rank in range(min(world_size, MAX_RANKS)):
            if rank not in ranks and waited is not None and waited > MISSING_AFTER_S:
                rows.append(
                    RankRow(rank=rank, state="missing", note=f"no heartbeat file after {waited:.0f} s")
                )
        rows.sort(key=lambda r: r.rank)

    straggler, ratio = _straggler(rows, median_own)
    if straggler is not None:
        rows = [
            (
                replace(r, state="straggler", note=f"own time {ratio:.2f}× the median")
                if r.rank == straggler and r.state == "ok"
                else r
            )
            for r in rows
        ]
    state, message, culprits = _job_state(rows, live, hang_after)
    if straggler is not None and live:
        note = f"straggler: rank {straggler} (own time {ratio:.2f}× the median)"
        message = f"{message}; {note}" if message else note
    hosts = tuple(sorted({r.host for r in rows if r.host}))
    return JobHealth(
        state=state,
        rows=tuple(rows),
        world_size=world_size,
        median_step_time=median_step,
        median_own_time=median_own,
        straggler=straggler,
        straggler_ratio=ratio,
        hang_after_s=hang_after,
        message=message,
        hosts=hosts,
        culprits=culprits,
    )


def _straggler(rows: list[RankRow], median_own: float | None) -> tuple[int | None, float | None]:
    timed = [r for r in rows if r.own_time and r.state in ("ok", "stalled")]  # times from before a hang count
    if len(timed) < 2 or not median_own:
        return None, None
    slowest = max(timed, key=lambda r: r.own_time or 0.0)
    ratio = (slowest.own_time or 0.0) / median_own
    if ratio >= STRAGGLER_RATIO and (slowest.own_time or 0.0) - median_own >= STRAGGLER_MIN_S:
        return slowest.rank, ratio
    return None, ratio


def _job_state(rows: list[RankRow], live: bool, hang_after: float) -> tuple[str, str, tuple[int, ...]]:
    """(job state, message, culprits: the ranks the message blames, most telling first)."""
    gone_states = ("dead", "silent", "missing", "failed")
    if not live:
        gone = [r.rank for r in rows if r.state in ("dead", "silent", "missing")]
        failed = [r.rank for r in rows if r.state == "failed"]
        parts = []
        if gone:
            steps = {r.step for r in rows if r.rank in gone and r.step is not None}
            at = f", last beat at step {min(steps)}" if steps else ""
            parts.append(f"{_ranks_word(gone)} died without an exit record{at}")
        if failed:
            parts.append(f"{_ranks_word(failed)} failed")
        return "ok", "; ".join(parts), tuple(gone + failed)
    dead = [r for r in rows if r.state in gone_states]
    running = [r for r in rows if r.state not in (*gone_states, "exited")]
    stalled = [r for r in running if r.state == "stalled"]
    exited = [r for r in rows if r.state == "exited"]
    parts, culprits = [], [r.rank for r in dead]
    words = {"dead": "died", "silent": "went silent", "missing": "never started", "failed": "failed"}
    for kind in gone_states:
        group = [r.rank for r in dead if r.state == kind]
        if group:
            steps = {r.step for r in dead if r.state == kind and r.step is not None}
            at = f" (last beat at step {min(steps)})" if steps else ""
            parts.append(f"{_ranks_word(group)} {words[kind]}{at}")
    if exited and running:  # a rank left while the others still train (it will be waited for forever)
        parts.append(f"{_ranks_word([r.rank for r in exited])} exited early")
        culprits += [r.rank for r in exited]
    if running and len(stalled) == len(running):
        waited = min(r.progress_age or 0.0 for r in stalled)
        blamed, why = _culprit(stalled)
        head = f"no step for {waited:.0f} s on any rank (hang threshold {hang_after:.0f} s)"
        if why:
            head += f"; {why}"
        return "hung", "; ".join([head, *parts]), tuple(culprits + blamed)
    if stalled:
        parts.append(f"{_ranks_word([r.rank for r in stalled])} stalled")
        culprits += [r.rank for r in stalled]
    if parts:
        return "degraded", "; ".join(parts), tuple(culprits)
    return "ok", "", ()


def _culprit(stalled: list[RankRow]) -> tuple[list[int], str]:
    """The rank(s) the others wait for, and why: the lowest step, else a phase unlike the majority's."""
    steps = [r.step for r in stalled if r.step is not None]
    if steps and min(steps) != max(steps):
        low = [r.rank for r in stalled if r.step == min(steps)]
        return low, f"{_ranks_word(low)} behind at step {min(steps)} (others at {max(steps)})"
    phases = [r.phase for r in stalled if r.phase]
    if phases:
        common = max(set(phases), key=phases.count)
        odd = [r for r in stalled if r.phase and r.phase != common]
        if odd and len(odd) < len(stalled):
            why = "; ".join(
                f"{_ranks_word([r.rank for r in odd if r.phase == p])} in {p}"
                for p in sorted({r.phase for r in odd if r.phase})
            )
            return [r.rank for r in odd], f"{why} (the others in {common})"
    return [], ""


def job_view(
    run_dir: str | Path, status: dict, *, now: float | None = None, tail: RanksTail | None = None
) -> tuple[str, JobHealth | None]:
    """(the state to show, the ranks' health or None) for a run: `effective_state`, except that a running
    distributed job is shown `degraded` or `hung` when its ranks say so. `tail` keeps reading incremental."""
    now = time.time() if now is None else now
    base = effective_state(status, now) if status else "unknown"
    tail = tail if tail is not None else RanksTail(run_dir)
    ranks = tail.poll()
    world = _int(status.get("world_size")) if isinstance(status, dict) else None
    if not ranks and not (world and world > 1):
        return base, None
    started = _num(status.get("started")) if isinstance(status, dict) else None
    health = assess(ranks, now=now, world_size=world, live=base in LIVE_STATES, started=started)
    if base == "running" and health.state in ("degraded", "hung"):
        return health.state, health
    return base, health


def other_ranks_gone(run_dir: str | Path, rank: int, *, settle_s: float = 0.2) -> str:
    """Which other ranks of the job died, failed or went silent, from their heartbeats ("" if none).

    Rank 0 says this before the collective error it saw when a job fails: "Connection reset by peer" is
    the symptom, the rank that died is the cause. `settle_s` lets a just-killed rank's process be reaped.
    A silent rank whose process is alive on this host is not blamed: it is slow, not gone (under load, or
    torn down with this one), and writes its own exit record.
    """
    if settle_s:
        time.sleep(settle_s)
    rows = assess(RanksTail(run_dir).poll(), live=False).rows

    def blamed(r: RankRow) -> bool:
        if r.state == "silent":
            return not (r.host == this_host() and pid_alive(r.pid))
        return r.state in ("dead", "failed")

    gone = [r for r in rows if r.rank != rank and blamed(r)]
    return "; ".join(
        f"rank {r.rank} {r.state}"
        + (f" at step {r.step}" if r.step is not None else "")
        + (f" ({r.note})" if r.note else "")
        for r in gone
    )
