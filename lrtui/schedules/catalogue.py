"""The catalogue: one `Kind` per schedule, holding everything about it.

A kind declares its parameters (`Param` metadata) and implements a few pure hooks. The form, the CLI,
the parser, validation and export are all generated from these objects — never from a second list.
Kinds register themselves at import of their module (see `lrtui/schedules/kinds/`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lrtui.schedules.errors import SpecError
from lrtui.schedules.params import REQUIRED, Param
from lrtui.schedules.spec import Spec

LIBRARIES = {
    "torch": "torch.optim.lr_scheduler",
    "transformers": "transformers",
    "timm": "timm.scheduler",
    "seed": "seed articles",
    "warmup": "warmup wrappers",
    "formula": "formulas",
}


@dataclass(frozen=True)
class Context:
    """What a schedule needs to know about the optimizer and the horizon, besides its own arguments."""

    base_lrs: tuple[float, ...] = (0.1,)  # initial lr of each param group (torch's initial_lr)
    default_lr: float | None = None  # optimizer.defaults["lr"]; transformers' polynomial reads it
    steps_per_epoch: int = 1
    horizon: int = 1000  # number of schedule steps being evaluated (in the stepping unit)
    stepping: str = "step"  # "step" | "epoch" | "fractional"
    optimizer: str = "sgd"  # "sgd" | "adam" | "adamw": which momentum a cyclic schedule drives
    momentum: tuple[float, ...] | None = None  # current momentum (SGD) or beta1 (Adam) per group
    metric: tuple[float, ...] | None = None  # per-step metric series for plateau schedules

    @property
    def n_groups(self) -> int:
        return len(self.base_lrs)

    @property
    def lr0(self) -> float:
        return self.default_lr if self.default_lr is not None else self.base_lrs[0]


@dataclass(frozen=True)
class Marker:
    step: float  # in schedule steps (k)
    kind: str  # "warmup_end" | "milestone" | "restart" | "end"
    label: str = ""


@dataclass
class Values:
    """A schedule's values at steps k: lr (groups, n) and optionally momentum (groups, n)."""

    lr: np.ndarray
    momentum: np.ndarray | None = None
    momentum_name: str = "momentum"  # or "beta1"


class Kind:
    """Base class of a schedule kind. Subclasses set the class attributes and override the hooks."""

    name: str = ""
    library: str = "torch"
    summary: str = ""
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    drives_momentum: bool = False
    example: str = ""  # a spec string shown in the picker and used by tests

    # -- hooks -------------------------------------------------------------------------------------

    def check(self, args: Mapping[str, object], ctx: Context, where: str) -> None:
        """Cross-parameter validation beyond each Param's own bounds. Raise SpecError.bad_value(...)."""

    def values(self, args: Mapping[str, object], ctx: Context, k: np.ndarray) -> Values:
        """The LR (and momentum) the optimizer holds after k scheduler steps, vectorised over k."""
        raise NotImplementedError

    def step_map(
        self, args: Mapping[str, object], ctx: Context, k: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """torch's *recursive* update at step k as an affine map of the group's current lr.

        new_lr = A * lr + B, A and B of shape (groups, len(k)); k == 0 is the constructor's initial step.
        Composites (ChainedScheduler, SequentialLR, warmup wrappers) replay these maps in torch's order,
        because once another scheduler touches the lr the recursive and closed forms diverge.
        The default fits *absolute* schedules, whose get_lr ignores the current lr (A = 0, B = value).
        """
        v = self.values(args, ctx, k).lr
        return np.zeros_like(v), v

    def markers(self, args: Mapping[str, object], ctx: Context) -> list[Marker]:
        return []

    def stated_length(self, args: Mapping[str, object], ctx: Context) -> int | None:
        """The scheduler steps the spec says training lasts (total_steps, num_training_steps, T_max, the
        cycles of a timm schedule, ...), or None when it does not say: the default horizon of the preview
        and of `lrtui plot` follows it (lrtui.schedules.horizon)."""
        return None

    # -- helpers -----------------------------------------------------------------------------------

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def resolve(self, spec: Spec, ctx: Context, where: str = "") -> Bound:
        """Validate a spec of this kind and fill defaults; nested specs are resolved recursively."""
        here = f"{where}.{spec.kind}" if where else spec.kind
        args: dict[str, object] = {}
        for p in self.params:
            if p.name in spec.args:
                raw = spec.args[p.name]
                if p.type == "schedule":
                    if not isinstance(raw, Spec):
                        raise SpecError.bad_value(f"{here}.{p.name}", raw, p.allowed())
                    args[p.name] = resolve(raw, ctx, f"{here}.{p.name}")
                elif p.type == "schedule_list":
                    if (
                        not isinstance(raw, list)
                        or not all(isinstance(c, Spec) for c in raw)
                        or len(raw) < max(1, p.min_items)
                    ):
                        raise SpecError.bad_value(f"{here}.{p.name}", raw, p.allowed())
                    args[p.name] = tuple(resolve(c, ctx, f"{here}.{p.name}[{i}]") for i, c in enumerate(raw))
                elif p.type == "formula":
                    from lrtui.schedules.formula import compile_formula

                    if not isinstance(raw, str):
                        raise SpecError.bad_value(f"{here}.{p.name}", raw, p.allowed())
                    args[p.name] = compile_formula(raw, field=f"{here}.{p.name}")
                else:
                    args[p.name] = p.coerce(raw, here, ctx.n_groups)
            elif p.required:
                raise SpecError(
                    f"{here}.{p.name} is required: {p.allowed()}",
                    field=f"{here}.{p.name}",
                    value=None,
                    allowed=p.allowed(),
                )
            else:
                args[p.name] = p.default
        self.check(args, ctx, here)
        return Bound(self, args, spec)


@dataclass(frozen=True)
class Bound:
    """A validated spec: its kind, every argument (defaults filled, children resolved) and the source spec."""

    kind: Kind
    args: Mapping[str, object]
    spec: Spec

    def values(self, ctx: Context, k: np.ndarray) -> Values:
        return self.kind.values(self.args, ctx, k)

    def step_map(self, ctx: Context, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.kind.step_map(self.args, ctx, k)

    def markers(self, ctx: Context) -> list[Marker]:
        return self.kind.markers(self.args, ctx)

    def stated_length(self, ctx: Context) -> int | None:
        return self.kind.stated_length(self.args, ctx)


_KINDS: dict[str, Kind] = {}
_ALIASES: dict[str, str] = {}


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: add a kind (and its aliases) to the catalogue."""
    kind = cls()
    assert kind.name and kind.name not in _KINDS, kind.name
    assert kind.library in LIBRARIES, kind.library
    _KINDS[kind.name] = kind
    for alias in kind.aliases:
        assert alias not in _ALIASES and alias not in _KINDS, alias
        _ALIASES[alias] = kind.name
    return cls


def _load() -> None:
    import lrtui.schedules.kinds  # noqa: F401  (registers every kind)


def kinds() -> list[Kind]:
    _load()
    return list(_KINDS.values())


def get_kind(name: str) -> Kind | None:
    _load()
    return _KINDS.get(name) or _KINDS.get(_ALIASES.get(name, ""))


def param_names_for(name: str) -> list[str] | None:
    kind = get_kind(name)
    return None if kind is None else [p.name for p in kind.params]


def suggest(name: str) -> str:
    _load()
    close = difflib.get_close_matches(name, [*_KINDS, *_ALIASES], n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def resolve(spec: Spec, ctx: Context, where: str = "") -> Bound:
    kind = get_kind(spec.kind)
    if kind is None:
        raise SpecError(
            f"{where or 'spec'}: unknown schedule {spec.kind!r}{suggest(spec.kind)}",
            field=where or "spec",
            value=spec.kind,
            allowed="a schedule from the catalogue",
        )
    return kind.resolve(spec, ctx, where)


__all__ = [
    "REQUIRED",
    "Bound",
    "Context",
    "Kind",
    "Marker",
    "Param",
    "Values",
    "get_kind",
    "kinds",
    "register",
    "resolve",
]
