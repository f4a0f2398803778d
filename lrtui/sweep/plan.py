"""What a sweep trains: one recipe × several schedules × K seeds, validated member by member (stdlib only).

The recipe is a run config (the `lrtui train` contract: lrtui/training/config.py); each member is that
recipe with one schedule (spec, stepping and, optionally, its own base LR) and one seed. Every member config
goes through `TrainConfig.from_dict(...).resolve()` before anything is written, so a sweep that starts is a
sweep whose every run would start.

Schedules come from, in this order: a preset experiment (`--preset seed001`: the article's schedules, base
LRs and training recipe, from lrtui/schedules/presets.py), a plan file (`[[schedules]]`), and `--schedule`
options (a spec, or the name of a single preset such as `seed001-steplr`, which brings its LR and stepping).
Members are ordered repeat-major (every schedule's first seed, then every schedule's second seed, ...) so
the first finished wave already covers every schedule.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_MEMBERS = 10_000  # a SLURM array or a queue of more than this is a mistake, not an experiment
PLAN_KEYS = ("name", "repeats", "preset", "schedules", "recipe", "per_device", "devices")
SCHEDULE_KEYS = ("spec", "lr", "stepping", "label", "preset")
_LABEL = re.compile(r"^[^\x00-\x1f\x7f]{1,80}$")


class SweepError(ValueError):
    """A sweep cannot be planned; the message names the field, the value and what is allowed."""


@dataclass(frozen=True)
class ScheduleEntry:
    """One schedule of the shoot-out. lr/stepping None: the recipe's."""

    spec: str
    lr: float | None = None
    stepping: str | None = None
    label: str | None = None
    preset: str | None = None

    @property
    def display(self) -> str:
        return self.label or self.spec or "constant"

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "lr": self.lr,
            "stepping": self.stepping,
            "label": self.label,
            "preset": self.preset,
        }


@dataclass
class SweepPlan:
    name: str
    recipe: dict[str, Any]  # run-config keys shared by every member (no schedule spec, no seed)
    schedules: list[ScheduleEntry]
    repeats: int
    seed: int = 0  # repeat r trains with seed + r
    preset: str | None = None  # the experiment preset it came from
    per_device: int | None = None  # concurrent runs per device (None: 1 per GPU, a CPU-sized default)
    devices: list[str] | str | None = None  # None: detect; "cpu"; or GPU ids for CUDA_VISIBLE_DEVICES
    configs: list[dict[str, Any]] = field(default_factory=list)  # filled by validate(): one per member

    def members(self) -> list[tuple[int, int, int]]:
        """(index, schedule index, repeat) of every member, repeat-major."""
        n = len(self.schedules)
        return [(r * n + s, s, r) for r in range(self.repeats) for s in range(n)]

    def validate(self) -> SweepPlan:
        """Check every member config with TrainConfig; raises SweepError naming the schedule."""
        from lrtui.training.config import ConfigError

        if not self.schedules:
            raise SweepError(
                "schedules = [] is not allowed: give at least one --schedule SPEC, a --plan file with "
                "[[schedules]], or --preset (one of: " + ", ".join(experiment_names()) + ")"
            )
        if len(self.schedules) * self.repeats > MAX_MEMBERS:
            raise SweepError(
                f"{len(self.schedules)} schedules x {self.repeats} repeats is not allowed: "
                f"at most {MAX_MEMBERS} runs per sweep"
            )
        configs = []
        for _index, s, r in self.members():
            entry = self.schedules[s]
            try:  # TrainConfig also resolves and evaluates the spec over the run (bad values, step_size=0)
                configs.append(member_config(self.recipe, entry, self.seed + r))
            except ConfigError as err:
                raise SweepError(f"schedule {s + 1} ({entry.display}): {err}") from None
        self.configs = configs
        return self


def member_config(recipe: dict[str, Any], entry: ScheduleEntry, seed: int) -> dict[str, Any]:
    """The resolved run config of one member (raises ConfigError); the single place members are made.

    Keys other tools keep in a run config (notes, tags, x_*/_* extensions) pass through to every member.
    """
    from lrtui.training.config import RUN_FORMAT_KEYS, TrainConfig

    data = {k: v for k, v in copy.deepcopy(recipe).items() if k not in RUN_FORMAT_KEYS}
    kept = {
        k: v
        for k, v in copy.deepcopy(recipe).items()
        if k in ("notes", "tags") or str(k).startswith(("x_", "_"))
    }
    schedule = data.get("schedule")
    schedule = dict(schedule) if isinstance(schedule, dict) else {}
    schedule["spec"] = entry.spec
    if entry.stepping is not None:
        schedule["stepping"] = entry.stepping
    data["schedule"] = schedule
    if entry.lr is not None:
        optimizer = data.get("optimizer")
        data["optimizer"] = {**(optimizer if isinstance(optimizer, dict) else {}), "lr": entry.lr}
    data["seed"] = seed
    return {**kept, **TrainConfig.from_dict(data).resolve().to_dict()}


# ------------------------------------------------------------------------------------------ sources
def experiment_names() -> list[str]:
    from lrtui.schedules.presets import experiments

    return [e.name for e in experiments()]


def preset_entry(name: str, label: str | None = None) -> ScheduleEntry | None:
    """The schedule of a single preset (its spec, base LR and stepping), or None if there is no such preset."""
    from lrtui.schedules.presets import get_preset

    preset = get_preset(name)
    if preset is None:
        return None
    if len(preset.base_lrs) != 1:
        raise SweepError(
            f"preset={name!r} is not allowed: it has one LR per param group; the trainer has one"
        )
    return ScheduleEntry(preset.spec, preset.base_lrs[0], preset.stepping, label or _short_label(name), name)


def _short_label(preset_name: str) -> str:
    # "seed001-steplr" -> "steplr": inside a seed001 sweep the prefix says nothing
    return re.sub(r"^seed\d{3}-", "", preset_name)


def experiment(name: str) -> tuple[dict[str, Any], list[ScheduleEntry]]:
    """(recipe, schedules) of a preset experiment such as "seed001"; SweepError for an unknown name."""
    from lrtui.schedules.presets import experiment_presets, get_experiment

    exp = get_experiment(name)
    if exp is None:
        raise SweepError(f"--preset {name!r} is not allowed: one of {', '.join(experiment_names())}")
    presets = experiment_presets(exp)
    recipe = exp.recipe_dict()
    horizons = {p.steps // p.steps_per_epoch for p in presets}
    if len(horizons) == 1:  # the presets' horizon is the article's number of epochs
        recipe.setdefault("epochs", horizons.pop())
    return recipe, [preset_entry(p.name) for p in presets]


def schedule_from_option(text: str) -> ScheduleEntry:
    """A `--schedule` value: a preset name (its spec, LR and stepping) or a spec string."""
    text = text.strip()
    entry = preset_entry(text) if re.fullmatch(r"[a-z0-9][a-z0-9-]*", text) else None
    return entry or ScheduleEntry(text)


def schedule_from_table(value: Any, where: str) -> ScheduleEntry:
    """A `[[schedules]]` entry of a plan file (or a bare spec string)."""
    if isinstance(value, str):
        return schedule_from_option(value)
    if not isinstance(value, dict):
        raise SweepError(
            f"{where} = {_show(value)} is not allowed: a spec string or a table with spec/preset"
        )
    for key in value:
        if key not in SCHEDULE_KEYS:
            raise SweepError(f"{where}.{key} is not allowed: {_unknown(key, SCHEDULE_KEYS)}")
    label = value.get("label")
    if label is not None and not (isinstance(label, str) and _LABEL.match(label)):
        raise SweepError(f"{where}.label = {_show(label)} is not allowed: 1-80 printable characters")
    lr = value.get("lr")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float))):
        raise SweepError(f"{where}.lr = {_show(lr)} is not allowed: a number (the base learning rate)")
    stepping = value.get("stepping")
    if "preset" in value:
        name = value["preset"]
        entry = preset_entry(name, label) if isinstance(name, str) else None
        if entry is None:
            raise SweepError(
                f"{where}.preset = {_show(name)} is not allowed: a preset name (lrtui plot --list)"
            )
        return ScheduleEntry(
            entry.spec,
            float(lr) if lr is not None else entry.lr,
            stepping if stepping is not None else entry.stepping,
            entry.label,
            entry.preset,
        )
    spec = value.get("spec", "")
    if not isinstance(spec, str):
        raise SweepError(
            f"{where}.spec = {_show(spec)} is not allowed: a schedule spec string ('' = constant)"
        )
    return ScheduleEntry(spec.strip(), None if lr is None else float(lr), stepping, label)


def read_plan_file(path: str | Path) -> dict[str, Any]:
    """A sweep plan file (.toml or .json) as a checked mapping of PLAN_KEYS."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise SweepError(f"--plan {str(p)!r} cannot be read: {err.strerror or err}") from None
    if len(raw) > 1_000_000:
        raise SweepError(f"--plan {str(p)!r} is not allowed: {len(raw)} bytes, at most 1 MB")
    try:
        text = raw.decode("utf-8")
        if p.suffix.lower() == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise SweepError(f"--plan {str(p)!r} is not valid {p.suffix.lstrip('.') or 'json'}: {err}") from None
    if not isinstance(data, dict):
        raise SweepError(f"--plan {str(p)!r} must hold a table (name, repeats, recipe, schedules, ...)")
    for key in data:
        if key not in PLAN_KEYS:
            raise SweepError(f"--plan key {key!r} is not allowed: {_unknown(key, PLAN_KEYS)}")
    if "recipe" in data and not isinstance(data["recipe"], dict):
        raise SweepError(f"recipe = {_show(data['recipe'])} is not allowed: a table of run-config keys")
    if "schedules" in data and not isinstance(data["schedules"], list):
        raise SweepError(f"schedules = {_show(data['schedules'])} is not allowed: a list ([[schedules]])")
    return data


def positive_int(value: Any, name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise SweepError(f"{name} = {_show(value)} is not allowed: an integer in [1, {high}]")
    return value


def parse_devices(value: Any) -> list[str] | str | None:
    """`--devices`: "cpu", "auto"/None (detect), or GPU ids "0,1" / a list (passed to CUDA_VISIBLE_DEVICES)."""
    if value is None or value == "auto":
        return None
    if value == "cpu":
        return "cpu"
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise SweepError(f"devices = {_show(value)} is not allowed: 'auto', 'cpu' or GPU ids such as 0,1")
    out = []
    for item in items:
        text = str(item).strip()
        if not re.fullmatch(r"[0-9]{1,3}|(GPU|MIG)-[0-9A-Za-z/-]{1,80}", text):
            raise SweepError(
                f"devices = {_show(value)} is not allowed: 'auto', 'cpu' or GPU ids such as 0,1 (or GPU-<uuid>)"
            )
        out.append(text)
    if len(set(out)) != len(out):
        raise SweepError(f"devices = {_show(value)} is not allowed: a device is listed twice")
    return out


def _unknown(key: Any, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    return ("did you mean " + repr(close[0]) + "? " if close else "") + "known keys: " + ", ".join(known)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
