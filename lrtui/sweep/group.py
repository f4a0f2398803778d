"""The sweep group directory (stdlib only): a runs dir of its own, holding the plan and the member runs.

    <runs-dir>/<group-id>/
      group.json     the plan, written once: recipe, schedules, repeats, members (index, schedule, repeat,
                     seed, run id), queue settings, launcher ("queue" | "slurm")
      queue.json     the local queue's state (pid, host, devices, assignments), replaced atomically
      queue.lock     flock()ed by the one queue process allowed per group
      queue.log      the queue's output
      sweep.sbatch   the SLURM job array script (--emit-sbatch)
      <run-id>/      one ordinary run directory per member (docs/run-format.md), config.json "group" key

Full specification: docs/run-format.md ("Sweep groups"). A member's run directory appears when it starts; until
then the member is "queued". Everything here treats the files as hostile: member run ids are checked before
they are joined to a path, so a crafted group.json cannot point outside its group.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrtui.runs.jsonio import read_json_file, write_json_atomic
from lrtui.runs.listing import RunSummary, summarize_run
from lrtui.runs.paths import CONFIG, FORMAT_VERSION, default_runs_dir, new_run_id, slug
from lrtui.runs.text import clean_name, clean_text

GROUP_FILE = "group.json"
QUEUE_FILE = "queue.json"
QUEUE_LOCK = "queue.lock"
QUEUE_LOG = "queue.log"
SBATCH_FILE = "sweep.sbatch"
GROUP_KIND = "sweep"
LAUNCHERS = ("queue", "slurm")
MEMBER_SOURCE = "lrtui-sweep"
_RUN_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")

# Member states: a run's effective state, or "queued" before its directory exists.
LIVE = ("starting", "running")
BUCKETS = ("done", "running", "queued", "stopped", "failed", "lost")
_BUCKET = {
    "finished": "done",
    "starting": "running",
    "running": "running",
    "queued": "queued",
    "stopped": "stopped",
    "failed": "failed",
    "diverged": "failed",
}


class GroupError(ValueError):
    """A group directory cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class Member:
    index: int
    schedule: int  # index into Group.schedules
    repeat: int
    seed: int
    run: str  # run id = directory name inside the group


@dataclass(frozen=True)
class Group:
    dir: Path
    id: str
    name: str
    created: float | None
    preset: str | None
    launcher: str  # "queue" | "slurm"
    recipe: dict[str, Any]
    schedules: list[dict[str, Any]]  # spec, lr, stepping, label, preset
    repeats: int
    members: list[Member]
    per_device: int | None
    devices: list[str] | str | None
    raw: dict[str, Any]

    def run_dir(self, member: Member) -> Path:
        return self.dir / member.run

    def schedule_label(self, index: int) -> str:
        s = self.schedules[index]
        return s.get("label") or s.get("spec") or "constant"

    def member_config(self, member: Member) -> dict[str, Any]:
        """The member's run config (recipe + schedule + seed, validated), with its "group" key."""
        from lrtui.sweep.plan import ScheduleEntry, member_config

        s = self.schedules[member.schedule]
        entry = ScheduleEntry(
            s.get("spec") or "", s.get("lr"), s.get("stepping"), s.get("label"), s.get("preset")
        )
        config = member_config(self.recipe, entry, member.seed)
        config["group"] = {
            "id": self.id,
            "member": member.index,
            "schedule": member.schedule,
            "repeat": member.repeat,
            "label": self.schedule_label(member.schedule),
        }
        return config


def is_group_dir(path: str | Path) -> bool:
    return (Path(path) / GROUP_FILE).is_file()


def create_group(
    plan, runs_dir: str | Path | None = None, *, launcher: str = "queue", group_id: str | None = None
) -> Group:
    """Write a new group directory for a validated SweepPlan; returns the Group as read back.

    The id is drawn like a run id (`YYYYmmdd-HHMMSS-sweep-<name>-<4 hex>`) unless `group_id` is given.
    """
    from lrtui.runs.logger import _iso_utc

    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher={launcher!r} is not allowed: one of {', '.join(LAUNCHERS)}")
    if not plan.configs:
        plan.validate()
    root = Path(runs_dir).expanduser() if runs_dir is not None else default_runs_dir()
    root.mkdir(parents=True, exist_ok=True)
    for _attempt in range(100):
        gid = group_id or new_run_id(f"sweep-{plan.name}")
        group_dir = root / gid
        try:
            group_dir.mkdir()
            break
        except FileExistsError:
            if group_id is not None:
                raise FileExistsError(
                    f"group_id={group_id!r} is not allowed: {group_dir} already exists"
                ) from None
    else:  # pragma: no cover - 100 collisions of 16 random bits in one second
        raise FileExistsError(f"could not find a free group id in {root}")
    members = []
    for index, s, r in plan.members():
        entry = plan.schedules[s]
        # a readable, unique directory name: its label if it has one (presets), else the schedule's kind
        name = slug(entry.label or (entry.spec or "constant").split("(", 1)[0], 20)
        members.append(
            {"index": index, "schedule": s, "repeat": r, "seed": plan.seed + r, "run": f"s{s}-{name}-r{r}"}
        )
    doc = {
        "format": FORMAT_VERSION,
        "kind": GROUP_KIND,
        "id": gid,
        "name": plan.name,
        "created": _iso_utc(time.time()),
        "preset": plan.preset,
        "launcher": launcher,
        "recipe": plan.recipe,
        "schedules": [e.to_dict() for e in plan.schedules],
        "repeats": plan.repeats,
        "seed": plan.seed,
        "members": members,
        "queue": {"per_device": plan.per_device, "devices": plan.devices},
    }
    write_json_atomic(group_dir / GROUP_FILE, doc)
    return read_group(group_dir)


def read_group(path: str | Path) -> Group:
    """Read and check group.json; GroupError (one line) when it is missing or malformed."""
    group_dir = Path(path)
    data, problem = read_json_file(group_dir / GROUP_FILE)
    if problem is not None:
        raise GroupError(f"{group_dir.name}: {problem}")
    try:
        return _parse(group_dir, data)
    except (KeyError, TypeError, ValueError) as err:
        raise GroupError(f"{group_dir.name}: {GROUP_FILE} is malformed ({err})") from None


def _parse(group_dir: Path, data: Any) -> Group:
    from lrtui.runs.listing import _parse_iso

    if not isinstance(data, dict) or data.get("kind") != GROUP_KIND:
        raise ValueError(f"not a {GROUP_KIND} group")
    schedules = data["schedules"]
    if not isinstance(schedules, list) or not schedules or not all(isinstance(s, dict) for s in schedules):
        raise ValueError("schedules must be a non-empty list of tables")
    # shown on one line in tables and scripts: no newline survives (read_json_file removed the rest)
    schedules = [
        {k: clean_text(v) if k in ("label", "spec") and v is not None else v for k, v in s.items()}
        for s in schedules
    ]
    members = []
    seen = set()
    for m in data["members"]:
        member = Member(
            _int(m["index"]), _int(m["schedule"]), _int(m["repeat"]), _int(m["seed"]), str(m["run"])
        )
        if not _RUN_ID.match(member.run) or member.run in seen:
            raise ValueError(f"member run id {member.run[:40]!r} is not a plain, unique directory name")
        if not 0 <= member.schedule < len(schedules):
            raise ValueError(f"member {member.index} names schedule {member.schedule}")
        seen.add(member.run)
        members.append(member)
    if [m.index for m in members] != list(range(len(members))):
        raise ValueError("member indices must be 0..n-1 in order")
    queue = data.get("queue") if isinstance(data.get("queue"), dict) else {}
    launcher = data.get("launcher", "queue")
    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher {launcher!r}")
    recipe = data.get("recipe", {})
    if not isinstance(recipe, dict):
        raise ValueError("recipe must be a table")
    return Group(
        dir=group_dir,
        id=clean_name(group_dir.name),
        name=clean_text(data.get("name") or group_dir.name),
        created=_parse_iso(data.get("created")),
        preset=data.get("preset") if isinstance(data.get("preset"), str) else None,
        launcher=launcher,
        recipe=recipe,
        schedules=schedules,
        repeats=_int(data.get("repeats", 1)),
        members=members,
        per_device=queue.get("per_device") if isinstance(queue.get("per_device"), int) else None,
        devices=queue.get("devices"),
        raw=data,
    )


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer")
    return value


# ------------------------------------------------------------------------------------------- members
def member_dir(group: Group, index: int) -> Path:
    """Create the member's run directory if it does not exist yet (idempotent); return it."""
    from lrtui.runs.logger import create_run_dir

    member = group.members[index]
    run_dir = group.run_dir(member)
    if (run_dir / CONFIG).is_file():
        return run_dir
    config = group.member_config(member)
    try:
        return create_run_dir(config, runs_dir=group.dir, run_id=member.run, source=MEMBER_SOURCE)
    except FileExistsError:  # made by someone else meanwhile (a directory without config is refused there)
        if (run_dir / CONFIG).is_file():
            return run_dir
        raise


@dataclass(frozen=True)
class MemberState:
    member: Member
    state: str  # "queued" or the run's effective state
    summary: RunSummary | None


def member_states(group: Group, now: float | None = None) -> list[MemberState]:
    now = time.time() if now is None else now
    out = []
    for member in group.members:
        run_dir = group.run_dir(member)
        summary = summarize_run(run_dir, now) if run_dir.is_dir() else None
        state = "queued" if summary is None else summary.state
        if state == "starting" and summary is not None and not _has_pid(run_dir):
            state = "queued"  # made, never launched (a queue killed between the two)
        out.append(MemberState(member, state, summary))
    return out


def _has_pid(run_dir: Path) -> bool:
    from lrtui.runs.status import read_status

    return isinstance(read_status(run_dir).get("pid"), int)


@dataclass(frozen=True)
class Progress:
    total: int
    done: int = 0
    running: int = 0
    queued: int = 0
    stopped: int = 0
    failed: int = 0
    lost: int = 0

    @property
    def pending(self) -> int:
        """Members a queue would still start or resume."""
        return self.queued + self.stopped + self.lost

    def compact(self) -> str:
        """'✔2/6 ●2 ◌2' (done/total first, then only the buckets that are not empty)."""
        parts = [f"✔{self.done}/{self.total}"]
        for symbol, n in (
            ("●", self.running),
            ("◌", self.queued),
            ("■", self.stopped),
            ("✖", self.failed),
            ("?", self.lost),
        ):
            if n:
                parts.append(f"{symbol}{n}")
        return " ".join(parts)

    def words(self) -> str:
        """'2 done, 2 running, 2 queued, 0 failed' (+ stopped/lost when any)."""
        parts = [f"{self.done} done", f"{self.running} running", f"{self.queued} queued"]
        if self.stopped:
            parts.append(f"{self.stopped} stopped")
        parts.append(f"{self.failed} failed")
        if self.lost:
            parts.append(f"{self.lost} lost")
        return ", ".join(parts)


def progress(states: list[MemberState]) -> Progress:
    counts = dict.fromkeys(BUCKETS, 0)
    for s in states:
        counts[_BUCKET.get(s.state, "lost")] += 1
    return Progress(total=len(states), **counts)


def write_queue_state(group_dir: Path, state: dict[str, Any]) -> None:
    write_json_atomic(Path(group_dir) / QUEUE_FILE, state)


def read_queue_state(group_dir: Path) -> dict[str, Any]:
    data, problem = read_json_file(Path(group_dir) / QUEUE_FILE)
    if problem is not None or not isinstance(data, dict):
        return {}
    return data
