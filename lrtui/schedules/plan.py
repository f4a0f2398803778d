"""A Plan is a spec plus everything needed to draw it: base LRs, horizon, stepping unit, optimizer.

Plans round-trip through TOML/JSON files (the file form of a spec):

    schedule = "CosineAnnealingLR(T_max=95)"
    lr = 0.1                 # or [0.1, 0.01] for two param groups
    steps = 3000             # optimizer steps shown (or: epochs = 30 with steps_per_epoch; neither: the
                             # length the spec states, e.g. OneCycleLR's total_steps, else 1000)
    steps_per_epoch = 391
    stepping = "epoch"       # "step" | "epoch" | "fractional" (CosineAnnealingWarmRestarts.step(epoch + i/n))
    optimizer = "sgd"        # which momentum cyclic schedules drive: "sgd" | "adam" | "adamw"
    momentum = 0.9
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from lrtui.schedules.catalogue import Context
from lrtui.schedules.errors import SpecError
from lrtui.schedules.spec import Spec, parse

STEPPINGS = ("step", "epoch", "fractional")
OPTIMIZERS = ("sgd", "adam", "adamw")
MAX_STEPS = 50_000_000


@dataclass(frozen=True)
class Plan:
    spec: Spec
    base_lrs: tuple[float, ...] = (0.1,)
    total_steps: int = 1000  # optimizer steps
    steps_per_epoch: int = 1
    stepping: str = "step"
    optimizer: str = "sgd"
    momentum: float | None = 0.9
    metric: tuple[float, ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        validate_plan(self)

    # Schedule steps in the horizon: per-step stepping counts optimizer steps, per-epoch counts epochs.
    @property
    def schedule_steps(self) -> int:
        if self.stepping == "epoch":
            return math.ceil(self.total_steps / self.steps_per_epoch)
        return self.total_steps

    @property
    def epochs(self) -> float:
        return self.total_steps / self.steps_per_epoch

    def context(self, horizon: int | None = None) -> Context:
        n = len(self.base_lrs)
        return Context(
            base_lrs=tuple(self.base_lrs),
            default_lr=self.base_lrs[0],
            steps_per_epoch=self.steps_per_epoch,
            horizon=self.schedule_steps if horizon is None else horizon,
            stepping=self.stepping,
            optimizer=self.optimizer,
            momentum=None if self.momentum is None else (self.momentum,) * n,
            metric=self.metric,
        )

    def with_spec(self, spec: Spec) -> Plan:
        return replace(self, spec=spec)

    # -- file form ---------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        d: dict = {
            "schedule": str(self.spec),
            "lr": self.base_lrs[0] if len(self.base_lrs) == 1 else list(self.base_lrs),
            "steps": self.total_steps,
            "steps_per_epoch": self.steps_per_epoch,
            "stepping": self.stepping,
            "optimizer": self.optimizer,
        }
        if self.momentum is not None:
            d["momentum"] = self.momentum
        return d

    def to_toml(self) -> str:
        lines = []
        for k, v in self.to_dict().items():
            lines.append(f"{k} = {json.dumps(v)}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


# Lints that mean the real scheduler raises during the run (not merely a questionable schedule).
RAISES_IN_TORCH = frozenset({"onecycle_past_total"})
CHECK_STEPS = (
    2_000_000  # a check evaluates at most this many steps (~40 ms); longer runs are checked that far
)


def spec_problem(
    spec: str,
    base_lr: float,
    *,
    total_steps: int,
    steps_per_epoch: int,
    stepping: str,
    optimizer: str = "sgd",
    momentum: float | None = 0.9,
) -> str | None:
    """The engine's complaint about a spec for a training run's horizon, or None when it evaluates.

    Parsing is not enough (`StepLR(step_size=0)` parses): the spec is resolved and evaluated over the
    run (as the trainer will build it), and a schedule torch would raise on mid-run (OneCycleLR stepped
    past total_steps) is refused. Used by `lrtui train`, the trainer's config check and the launch form.
    """
    from lrtui.schedules.evaluate import evaluate
    from lrtui.schedules.lint import lint

    try:
        plan = Plan(
            parse(spec),
            base_lrs=(base_lr,),
            total_steps=max(1, min(total_steps, CHECK_STEPS)),
            steps_per_epoch=steps_per_epoch,
            stepping=stepping,
            optimizer=optimizer,
            momentum=momentum,
        )
        fatal = [x for x in lint(plan, evaluate(plan)) if x.code in RAISES_IN_TORCH]
    except SpecError as err:
        return f"a schedule the engine accepts ({err})"
    except (ValueError, TypeError, ArithmeticError, RecursionError, MemoryError) as err:
        return f"a schedule the engine can evaluate ({type(err).__name__}: {str(err)[:100]})"
    if fatal:
        return f"a schedule torch can step through the whole run ({fatal[0].message}; {fatal[0].fix})"
    return None


def validate_plan(plan: Plan) -> None:
    if not plan.base_lrs:
        raise SpecError.bad_value("lr", [], "at least one learning rate")
    for i, lr in enumerate(plan.base_lrs):
        if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr) or lr < 0:
            name = "lr" if len(plan.base_lrs) == 1 else f"lr[{i}]"
            raise SpecError.bad_value(name, lr, "a finite number ≥ 0")
    _int_in("steps", plan.total_steps, 1, MAX_STEPS)
    _int_in("steps_per_epoch", plan.steps_per_epoch, 1, 10_000_000)
    if plan.stepping not in STEPPINGS:
        raise SpecError.bad_value("stepping", plan.stepping, "one of " + ", ".join(map(repr, STEPPINGS)))
    if plan.optimizer not in OPTIMIZERS:
        raise SpecError.bad_value("optimizer", plan.optimizer, "one of " + ", ".join(map(repr, OPTIMIZERS)))
    if plan.momentum is not None and (
        isinstance(plan.momentum, bool)
        or not isinstance(plan.momentum, int | float)
        or not 0 <= plan.momentum < 1
    ):
        raise SpecError.bad_value("momentum", plan.momentum, "a number in [0, 1)")


def _int_in(name: str, v: object, lo: int, hi: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise SpecError.bad_value(name, v, f"an integer in [{lo}, {hi}]")


def plan_from_dict(d: dict, *, where: str = "plan") -> Plan:
    if not isinstance(d, dict):
        raise SpecError.bad_value(where, d, "a table with at least a 'schedule' key")
    known = {
        "schedule",
        "lr",
        "steps",
        "epochs",
        "steps_per_epoch",
        "stepping",
        "optimizer",
        "momentum",
        "metric",
    }
    unknown = sorted(set(d) - known)
    if unknown:
        raise SpecError.bad_value(unknown[0], d[unknown[0]], "one of the keys " + ", ".join(sorted(known)))
    if "schedule" not in d:
        raise SpecError(
            'schedule is required: a spec string such as "StepLR(step_size=10)"',
            field="schedule",
            value=None,
            allowed="a spec string",
        )
    sched = d["schedule"]
    if isinstance(sched, dict):
        spec = spec_from_table(sched)
    elif isinstance(sched, str):
        spec = parse(sched)
    else:
        raise SpecError.bad_value("schedule", sched, "a spec string or a table with a 'kind' key")
    lr = d.get("lr", 0.1)
    base = tuple(lr) if isinstance(lr, list) else (lr,)
    spe = d.get("steps_per_epoch", 1)
    if "steps" in d:
        steps = d["steps"]
    elif "epochs" in d:
        epochs = d["epochs"]
        _int_in("epochs", epochs, 1, MAX_STEPS)
        _int_in("steps_per_epoch", spe, 1, 10_000_000)
        steps = epochs * spe
    else:
        steps = None  # the spec's own length (lrtui.schedules.horizon), as for a spec on the command line
    plan = Plan(
        spec=spec,
        base_lrs=base,
        total_steps=1000 if steps is None else steps,
        steps_per_epoch=spe,
        stepping=d.get("stepping", "step"),
        optimizer=d.get("optimizer", "sgd"),
        momentum=d.get("momentum", 0.9),
        metric=_metric(d.get("metric")),
    )
    if steps is None:
        from lrtui.schedules.horizon import follow_spec

        plan = follow_spec(plan)
    return plan


def _metric(value: object) -> tuple[float, ...] | None:
    """A plan's metric series: a list of numbers, or a file / run directory (lrtui.schedules.metric)."""
    if value is None:
        return None
    if isinstance(value, str):
        from lrtui.schedules.metric import load_metric_series

        return load_metric_series(value)
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        raise SpecError.bad_value("metric", value, "a list of numbers, or a file / run directory path")
    return tuple(float(v) for v in value)


def spec_from_table(t: dict) -> Spec:
    """`{kind = "StepLR", step_size = 10}` (nested tables/lists of tables for children) -> Spec."""
    if "kind" not in t or not isinstance(t["kind"], str):
        raise SpecError.bad_value("schedule.kind", t.get("kind"), "a schedule name")
    parts = []
    for k, v in t.items():
        if k == "kind":
            continue
        parts.append(f"{k}={_table_value(v)}")
    return parse(f"{t['kind']}({', '.join(parts)})")


def _table_value(v: object) -> str:
    from lrtui.schedules.spec import format_value

    if isinstance(v, dict):
        return str(spec_from_table(v))
    if isinstance(v, list):
        return "[" + ", ".join(_table_value(x) for x in v) + "]"
    return format_value(v)


def load_plan_file(path: str | Path) -> Plan:
    from lrtui.runs.jsonio import load_config_file  # hostile-file-safe reading lives in the run layer

    p = Path(path)
    data, problem = load_config_file(p)
    if problem is not None:
        kind = "TOML" if p.suffix.lower() == ".toml" else "JSON"
        raise SpecError(
            f"cannot read plan file {_short_path(p)}: {problem}",
            field="file",
            value=_short_path(p),
            allowed=f"a readable {kind} plan file",
        )
    return plan_from_dict(data, where=_short_path(p))


def _short_path(p: Path) -> str:
    text = str(p)
    return text if len(text) <= 100 else "…" + text[-99:]
