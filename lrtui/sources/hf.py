"""HF Trainer output directories: `trainer_state.json` (its `log_history`) as one run.

The Trainer writes trainer_state.json into every `checkpoint-N/` folder it saves (and into the output
directory when the script calls `trainer.save_state()`); each copy holds the whole history so far. The
reader follows the newest copy. The file is rewritten whole, in place, not atomically — a read can catch
it half-written: that read is simply retried on the next poll (the data already shown stays). Only a file
that stays unreadable is reported.

Each `log_history` entry is a dict with `step` and some of: loss, learning_rate, grad_norm, epoch,
eval_* metrics, and the final train_runtime / train_loss summary. Every numeric key becomes a series over
steps. When the new history extends the old one, only the new entries are read; otherwise (a run resumed
from an earlier checkpoint) the series are rebuilt from the new history.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from lrtui.sources.base import POLL_BYTES, Source, open_log, regular_file
from lrtui.sources.series import clean_name

STATE = "trainer_state.json"
MAX_STATE = 256 << 20
MAX_CHECKPOINTS = 2000  # checkpoint folders looked at per poll
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_META_KEYS = (
    "global_step",
    "max_steps",
    "num_train_epochs",
    "epoch",
    "logging_steps",
    "eval_steps",
    "save_steps",
    "train_batch_size",
    "best_metric",
    "best_model_checkpoint",
)


def checkpoint_states(out_dir: Path, limit: int = MAX_CHECKPOINTS) -> list[tuple[int, Path]]:
    """(N, checkpoint-N/trainer_state.json) for the checkpoint folders of an output dir."""
    found = []
    try:
        with os.scandir(out_dir) as it:
            for entry in it:
                m = _CHECKPOINT.match(entry.name)
                if m and entry.is_dir(follow_symlinks=False):
                    found.append((int(m.group(1)), Path(entry.path) / STATE))
                    if len(found) >= limit:
                        break
    except OSError:
        return []
    return found


def _num(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class HfTrainerSource(Source):
    """An HF Trainer output directory (or one trainer_state.json) as one run."""

    format = "hf-trainer"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.single = regular_file(self.path) is not None
        self.dir = self.path.parent if self.single else self.path
        self.state_file: Path | None = None
        self._read_key: tuple | None = None  # (path, inode, size, mtime) of the copy read last
        self._failed_key: tuple | None = None
        self._history: list = []  # the entries ingested, for the "does it extend?" check
        self._model_config_read = False

    @property
    def name(self) -> str:
        return clean_name(self.dir.name or str(self.dir))

    def files(self) -> list[Path]:
        return [self.state_file] if self.state_file else []

    def _candidates(self) -> list[Path]:
        if self.single:
            return [self.path]
        paths = [self.dir / STATE]
        paths += [p for _, p in sorted(checkpoint_states(self.dir), reverse=True)[:8]]
        return paths

    def _newest(self) -> tuple[Path, os.stat_result] | None:
        best = None
        for path in self._candidates():
            st = self.regular(path)
            if st is not None and (best is None or st.st_mtime > best[1].st_mtime):
                best = (path, st)
        return best

    def _poll(self, max_bytes: int = POLL_BYTES) -> None:
        newest = self._newest()
        if newest is None:
            return
        path, st = newest
        self.note_write(st.st_mtime)
        key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
        if key == self._read_key:
            return
        if st.st_size > MAX_STATE:
            if key != self._failed_key:
                self._failed_key = key
                self.problem(f"{path.name} is {st.st_size:,} bytes: over the {MAX_STATE:,}-byte cap")
            return
        try:
            with open_log(path) as f:
                raw = f.read(MAX_STATE + 1)
            state = json.loads(raw)
        except (OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
            # Most often a read during the Trainer's in-place rewrite: try again next poll. A copy that
            # stays unparseable (same size and mtime twice) is reported once.
            if key == self._failed_key:
                self.problem(f"{path.name} cannot be read: {type(exc).__name__}: {str(exc)[:80]}")
                self.skipped += 1
                self._read_key = key
            self._failed_key = key
            return
        self._read_key = key
        self.state_file = path
        if not self._model_config_read:  # the model's config.json: in the output dir or a checkpoint
            folders = [self.dir, path.parent] + [
                p.parent for _, p in sorted(checkpoint_states(self.dir))[-1:]
            ]
            self._model_config_read = any(self._read_model_config(folder) for folder in folders)
        if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
            self.problem(f"{path.name} has no log_history list")
            return
        for k in _META_KEYS:
            if k in state and (isinstance(state[k], (int, float, str)) or state[k] is None):
                self.meta[k] = state[k] if not isinstance(state[k], str) else clean_name(state[k])
        for k in ("train_batch_size", "num_train_epochs", "max_steps", "logging_steps"):
            if isinstance(state.get(k), (int, float)) and not isinstance(state.get(k), bool):
                self.config[k] = state[k]
        self._ingest(state["log_history"])
        gs, ms = _num(state.get("global_step")), _num(state.get("max_steps"))
        done = any(isinstance(e, dict) and "train_runtime" in e for e in state["log_history"][-3:])
        self.meta["finished"] = bool(done or (gs is not None and ms and gs >= ms))
        self.version += 1

    def _ingest(self, history: list) -> None:
        old = self._history
        if len(history) >= len(old) and (not old or history[len(old) - 1] == old[-1]):
            new = history[len(old) :]
        else:  # not an extension: a resumed run's checkpoint holds another history; rebuild
            self.problem("log_history does not extend the one read before: read again from the start")
            self.reset()
            new = history
        self._history = list(history)
        columns: dict[str, tuple[list[int], list[float]]] = {}
        for entry in new:
            if not isinstance(entry, dict):
                self.skipped += 1
                continue
            step = entry.get("step")
            if isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step):
                self.skipped += 1
                continue
            for k, v in entry.items():
                if k == "step":
                    continue
                value = _num(v)
                if value is None:
                    continue
                col = columns.get(k)
                if col is None:
                    col = columns[k] = ([], [])
                col[0].append(int(step))
                col[1].append(value)
        for k, (steps, values) in columns.items():
            self.store.add(clean_name(k), steps, values)

    def _read_model_config(self, folder: Path) -> bool:
        path = folder / "config.json"
        st = regular_file(path)
        if st is None or st.st_size > 1 << 20:
            return False
        try:
            with open_log(path) as f:
                config = json.loads(f.read((1 << 20) + 1))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            return False
        if isinstance(config, dict):
            model = config.get("model_type")
            if isinstance(model, str):
                self.config["model"] = clean_name(model)
            arch = config.get("architectures")
            if isinstance(arch, list) and arch and isinstance(arch[0], str):
                self.config["architecture"] = clean_name(arch[0])
        return True
