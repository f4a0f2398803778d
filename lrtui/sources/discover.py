"""Finding runs: what format a path is, and every run under a directory tree.

A directory is a run of a format when it holds that format's files:
  lrtui        metrics.jsonl or status.json (an lrtui run directory)
  tensorboard  events.out.tfevents.* files (one run per directory, as TensorBoard counts them)
  lightning    metrics.csv (a CSVLogger version directory)
  hf-trainer   trainer_state.json, or checkpoint-N/ folders holding one (an HF Trainer output directory)
A directory can be a run of two formats (Lightning with both loggers writes events and metrics.csv).

The walk is bounded so a tree of any size answers quickly: hidden folders, symlinked folders, the inside
of runs that own their subfolders (checkpoint-N/, an lrtui run) are not entered; at most `max_entries`
directory entries are looked at and `max_runs` runs returned; the result says when it stopped early.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from lrtui.runs.files import kind_of
from lrtui.sources.base import Source
from lrtui.sources.hf import STATE
from lrtui.sources.lightning import METRICS_CSV
from lrtui.sources.series import clean_name
from lrtui.sources.tensorboard import is_event_file

FORMAT_ORDER = ("lrtui", "hf-trainer", "lightning", "tensorboard")
MAX_ENTRIES = 200_000
MAX_RUNS = 10_000
MAX_DEPTH = 16
_SKIP_DIRS = frozenset(("__pycache__", "node_modules", "site-packages", "wandb", "mlruns"))


@dataclass(frozen=True)
class RunRef:
    """A run found on disk: its format and path (a directory, or the one file the user named)."""

    format: str
    path: Path
    root: Path | None = None  # the scan root it was found under

    @property
    def key(self) -> str:
        return f"{self.format}:{self.path}"

    @property
    def name(self) -> str:
        """The path relative to its scan root (the directory name when it was given directly)."""
        if self.root is not None:
            try:
                rel = self.path.relative_to(self.root)
                return clean_name(str(rel) if str(rel) != "." else self.path.name)
            except ValueError:
                pass
        return clean_name(self.path.name or str(self.path))

    def open(self) -> Source:
        return open_source(self.path, self.format)


def open_source(path: str | Path, fmt: str) -> Source:
    """The reader for `path` in format `fmt` (not read yet: call poll() / read_all())."""
    if fmt == "tensorboard":
        from lrtui.sources.tensorboard import TensorBoardSource

        return TensorBoardSource(path)
    if fmt == "lightning":
        from lrtui.sources.lightning import LightningCsvSource

        return LightningCsvSource(path)
    if fmt == "hf-trainer":
        from lrtui.sources.hf import HfTrainerSource

        return HfTrainerSource(path)
    if fmt == "lrtui":
        from lrtui.sources.lrtui_run import LrtuiRunSource

        return LrtuiRunSource(path)
    raise ValueError(f"format={fmt!r} is not one of {', '.join(FORMAT_ORDER)}")


def formats_of_dir(path: Path, names: list[str], subdirs: list[str]) -> list[str]:
    """The formats a directory is a run of, from its entry names (checkpoint folders looked into)."""
    found = []
    name_set = set(names)
    if "metrics.jsonl" in name_set or "status.json" in name_set:
        found.append("lrtui")
    checkpoints = [d for d in subdirs if d.startswith("checkpoint-")][:3]
    if STATE in name_set or any(os.path.isfile(os.path.join(path, d, STATE)) for d in checkpoints):
        found.append("hf-trainer")
    if METRICS_CSV in name_set:
        found.append("lightning")
    if any(is_event_file(n) for n in names):
        found.append("tensorboard")
    return found


def format_of_file(path: Path) -> str | None:
    name = path.name
    if is_event_file(name):
        return "tensorboard"
    if name == METRICS_CSV:
        return "lightning"
    if name == STATE:
        return "hf-trainer"
    if name in ("metrics.jsonl", "status.json", "config.json"):
        return "lrtui"
    return None


@dataclass
class ScanResult:
    runs: list[RunRef] = field(default_factory=list)
    entries: int = 0  # directory entries looked at
    truncated: bool = False  # stopped at a limit before seeing everything
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _listdir(path: Path) -> tuple[list[str], list[str]]:
    """(file names, subdirectory names) — symlinked directories are not followed."""
    files, dirs = [], []
    with os.scandir(path) as it:
        for entry in it:
            try:
                if entry.is_dir(follow_symlinks=False):
                    dirs.append(entry.name)
                else:
                    files.append(entry.name)
            except OSError:
                continue
    return files, dirs


def scan(
    roots: list[str | Path] | tuple,
    *,
    max_entries: int = MAX_ENTRIES,
    max_runs: int = MAX_RUNS,
    max_depth: int = MAX_DEPTH,
) -> ScanResult:
    """Every run under the roots, breadth first (shallow runs first), bounded (see the module docstring)."""
    t0 = time.perf_counter()
    result = ScanResult()
    seen: set[str] = set()
    for root in roots:
        root = Path(root).expanduser()
        queue: list[tuple[Path, int]] = [(root, 0)]
        head = 0
        while head < len(queue):
            path, depth = queue[head]
            head += 1
            try:
                files, dirs = _listdir(path)
            except OSError as exc:
                if depth == 0:
                    result.problems.append(f"{root}: {exc.strerror or exc}")
                continue
            result.entries += len(files) + len(dirs)
            formats = formats_of_dir(path, files, dirs)
            for fmt in formats:
                ref = RunRef(fmt, path, root)
                if ref.key not in seen:
                    seen.add(ref.key)
                    result.runs.append(ref)
            if len(result.runs) >= max_runs:
                result.truncated = True
                result.problems.append(f"stopped at {max_runs:,} runs")
                break
            if result.entries >= max_entries:
                result.truncated = True
                result.problems.append(f"stopped after {max_entries:,} directory entries")
                break
            if "lrtui" in formats or depth >= max_depth:
                continue  # an lrtui run owns its folder
            for d in sorted(dirs):
                if d.startswith(".") or d in _SKIP_DIRS:
                    continue
                if "hf-trainer" in formats and d.startswith("checkpoint-"):
                    continue  # part of the HF run
                queue.append((path / d, depth + 1))
        if result.truncated:
            break
    result.seconds = time.perf_counter() - t0
    return result


def detect(path: str | Path) -> list[RunRef]:
    """The runs `path` holds: itself (a run file or directory) or the runs found under it.

    Raises ValueError naming the path when it does not exist or holds no run.
    """
    path = Path(path).expanduser()
    if path.is_file():
        fmt = format_of_file(path)
        if fmt is None:
            raise ValueError(
                f"PATH={str(path)!r} is not a log lrtui reads (an events.out.tfevents.* file, metrics.csv, "
                "trainer_state.json, or a directory of runs)"
            )
        return [RunRef(fmt, path.parent if fmt == "lrtui" else path)]
    if not path.is_dir():
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            raise ValueError(f"PATH={str(path)!r} does not exist") from None
        raise ValueError(
            f"PATH={str(path)!r} is {kind_of(mode)}, not a log file or a folder (never read: it could block)"
        )
    try:
        files, dirs = _listdir(path)
    except OSError as exc:
        raise ValueError(f"PATH={str(path)!r} cannot be read: {exc.strerror or exc}") from None
    here = [RunRef(fmt, path) for fmt in formats_of_dir(path, files, dirs)]
    if here:
        return here
    found = scan([path])
    if not found.runs:
        more = f" ({'; '.join(found.problems)})" if found.problems else ""
        raise ValueError(
            f"PATH={str(path)!r} holds no run: no events.out.tfevents.* files, metrics.csv, "
            f"trainer_state.json or lrtui run directories in {found.entries:,} entries{more}"
        )
    return found.runs


__all__ = ["RunRef", "ScanResult", "detect", "open_source", "scan"]
