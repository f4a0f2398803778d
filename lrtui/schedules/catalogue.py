"""The catalogue: one `Kind` per schedule, holding everything about it.

A kind declares its parameters (`Param` metadata) and implements a few pure hooks. The form, the CLI,
the parser, validation and export are all generated from these objects — never from a second list.
Kinds register themselves at import of their module (see `lrtui/schedules/kinds/`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    "loop": "training-loop patterns",
}


class Draft:
    """A request for a draft: kinds whose exact replay of torch's float loop is slow (a cosine's rising half
    with eta_min ≠ 0 replays torch's rounding step by step) may skip that rounding — the curve then differs
    from torch's by rounding only — and say so in `taken`. The preview draws a draft first on long horizons
    and the exact curve right after; nothing read as exact (readouts, exports, the trainer) uses one."""

    __slots__ = ("taken",)

    def __init__(self) -> None:
        self.taken = False


class Abandoned(Exception):
    """An evaluation stopped because its `Abandon` was requested (see there)."""


class Abandon:
    """Lets another thread stop an evaluation whose curve is no longer wanted: kinds with a long Python loop
    (the cosine's exact rounding replay, ~0.1 s at 1M steps) call `check()` between chunks of it, which
    raises Abandoned once `request()` was called. The preview abandons the exact curve it computes in a
    worker when the next edit arrives: that loop holds the GIL and would halve the speed of drawing the edit."""

    __slots__ = ("requested",)

    def __init__(self) -> None:
        self.requested = False

    def request(self) -> None:
        self.requested = True

    def check(self) -> None:
        if self.requested:
            raise Abandoned


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
    draft: Draft | None = field(default=None, compare=False)  # None: exact (see Draft)
    abandon: Abandon | None = field(default=None, compare=False)  # None: runs to the end (see Abandon)

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
    torch_path: str | None = None  # the class export and the torch bridge build (torch kinds: lr_scheduler)
    positional: tuple[str, ...] = ()  # leading params a spec prints positionally (schedulers lists)
    optimizer_keyword: bool = False  # the class takes the optimizer as a keyword after its own arguments
    metric_driven: bool = False  # step(metric): composites refuse it, loops and the trainer pass the metric
    loop_pattern: bool = False  # a pattern of the training loop (SwitchLR, Compound), not a scheduler object
    one_at_a_time: bool = False  # a loop pattern whose calls step one of its schedulers (SwitchLR)
    children_in_turn: bool = True  # its children run one after the other (False: stepped together)

    # -- hooks -------------------------------------------------------------------------------------

    def check(self, args: Mapping[str, object], ctx: Context, where: str) -> None:
        """Cross-parameter validation beyond each Param's own bounds. Raise SpecError.bad_value(...)."""

    def values(self, args: Mapping[str, object], ctx: Context, k: np.ndarray) -> Values:
        """The LR (and momentum) the optimizer holds after k scheduler steps, vectorised over k."""
        raise NotImplementedError

    def markers(self, args: Mapping[str, object], ctx: Context) -> list[Marker]:
        return []

    def stated_length(self, args: Mapping[str, object], ctx: Context) -> int | None:
        """The scheduler steps the spec says training lasts (total_steps, num_training_steps, T_max, the
        cycles of a timm schedule, ...), or None when it does not say: the default horizon of the preview
        and of `lrtui plot` follows it (lrtui.schedules.horizon)."""
        return None

    # -- the torch object this kind builds (composites, loop patterns and the exact replay use these) --
    # A composite or loop pattern names its program node class (lrtui.schedules.program); every other
    # kind is a leaf whose updates are data (lrtui.schedules.ops.Ops: torch's float operations).
    node_class: type | None = None

    def child_error(self, args: Mapping[str, object]) -> str | None:
        """Why torch's composites (SequentialLR, ChainedScheduler) cannot step this kind, or None.

        torch accepts any object with an `optimizer` attribute; a kind that it accepts but that raises
        at its first step() says so here (refused early)."""
        return None

    def leaf(self, bound: Bound, ctx: Context, path: str):
        """The simulated torch object (lrtui.schedules.program.Leaf or a subclass)."""
        from lrtui.schedules.program import Leaf

        return Leaf(bound, ctx, path)

    def construct(self, args: Mapping[str, object], st, ctx: Context) -> None:
        """Constructor side effects on the groups (program.GroupState) before LRScheduler.__init__
        takes the groups' initial_lr as its base (CyclicLR writes its base_lr into the lr, ...)."""

    def bind(self, args: Mapping[str, object], st) -> Mapping[str, object]:
        """The arguments as the object reads them at step time, once every constructor ran (OneCycleLR
        reads max_lr/min_lr from the groups, which a later OneCycleLR overwrites)."""
        return args

    def next_counter(self, last_epoch: int) -> int:
        """last_epoch after the next step() (CosineAnnealingWarmRestarts restarts from 0 below 0)."""
        return last_epoch + 1

    def constructor_ops(self, args: Mapping[str, object], ctx: Context, k: int):
        """The step made by the constructor itself (default: the initial step, `initial_ops`)."""
        return self.initial_ops(args, ctx, k)

    def initial_ops(self, args: Mapping[str, object], ctx: Context, k: int):
        """The constructor's step (torch's `_is_initial`) reaching last_epoch k, as Ops of 1 update."""
        return self.step_ops(args, ctx, np.asarray([k], dtype=np.int64))

    def step_ops(self, args: Mapping[str, object], ctx: Context, k: np.ndarray):
        """The updates of step() calls reaching last_epoch k (consecutive ints; k = 0 is a step() outside
        the constructor). Default: an absolute schedule sets its values (ctx.base_lrs = initial_lr)."""
        from lrtui.schedules.ops import Ops

        v = self.values(args, ctx, k)
        mom = v.momentum if self.drives_momentum_for(args) else None
        return Ops.set(np.broadcast_to(v.lr, (ctx.n_groups, np.size(k))), mom)

    def reset_ops(self, args: Mapping[str, object], ctx: Context):
        """SequentialLR's `_update_lr(0)` at a milestone: torch's closed form at 0 where the class has
        one (`closed_form`), else get_lr() at last_epoch 0 on the current lr."""
        closed = getattr(self, "closed_form", None)
        if closed is None:
            return self.step_ops(args, ctx, np.zeros(1, dtype=np.int64))
        from lrtui.schedules.ops import Ops

        with np.errstate(all="ignore"):
            v = closed(args, ctx, np.zeros(1, dtype=np.float64))
        return Ops.set(np.broadcast_to(np.asarray(v, dtype=np.float64), (ctx.n_groups, 1)))

    def replay(self, args: Mapping[str, object], ctx: Context, k: np.ndarray, x0, out: np.ndarray) -> None:
        """step() calls reaching last_epoch k from the groups' lrs x0, exactly, into out (groups, len(k)).
        A kind with a faster exact replay of its own overrides this (tested bit for bit against it)."""
        from lrtui.schedules.ops import replay

        replay(self.step_ops(args, ctx, k), x0, out)

    def metric_per_step(self, args: Mapping[str, object]) -> bool:
        """Whether each step() of the plan's unit needs a metric (a trainer has one only at epoch ends)."""
        return self.metric_driven

    def export_expr(self, bound: Bound, name: str) -> str | None:
        """The constructor call export writes, where the generic `name(optimizer, **args)` is not it."""
        return None

    def port_expr(self, bound: Bound, port) -> str | None:
        """Plain torch code building this kind on `optimizer`, for a kind torch has no class for (export
        --to torch; `port`: lrtui.schedules.export_portable.Port). None: the library's port table."""
        return None

    def acting(self, args: Mapping[str, object], ctx: Context, k: np.ndarray) -> np.ndarray | None:
        """Which step() calls reaching last_epoch k may change the lr (False: torch returns the groups'
        lrs unchanged — LinearLR past total_iters), cheaply; None: assume all. Composites let another
        scheduler replay alone where this one is quiet (tested against the ops: x ← x exactly)."""
        return None

    def reset_error(self, args: Mapping[str, object]) -> str | None:
        """Why SequentialLR's `_update_lr(0)` (its closed form at 0) would raise for this configuration."""
        return None

    def rebase(
        self, args: Mapping[str, object], ctx: Context, new_bases
    ) -> tuple[Mapping[str, object], Context]:
        """The object after `scheduler.base_lrs = new_bases` (GradualWarmupScheduler's hand-over)."""
        from dataclasses import replace

        return args, replace(ctx, base_lrs=tuple(float(b) for b in new_bases))

    def warmup_length(self, args: Mapping[str, object]) -> int | None:
        """The steps of its warmup, for a warmup-like schedule (LinearLR's total_iters, ...); else None.
        Lints compare it with the SequentialLR milestone that ends it."""
        return None

    def natural_length(self, args: Mapping[str, object]) -> int | None:
        """The steps after which it has done its job (a warmup's length, PolynomialLR's total_iters); lints
        compare it with the SequentialLR milestone that ends it."""
        return self.warmup_length(args)

    # -- what the schedule doctor (lrtui.schedules.lint) asks a kind ---------------------------------------
    closed_in_last_epoch: bool = False  # absolute in last_epoch: resuming with last_epoch=N misleads

    def lints(self, node, doc):
        """The lints that concern this kind only: `node` (lint.Node) is where it runs in the plan, `doc`
        (lint.Doctor) the plan and its curve. Yields lint.Lint."""
        return ()

    def sets_lr(self, args: Mapping[str, object]) -> bool:
        """Whether each step sets the lr from its own formula, ignoring the current lr (LambdaLR,
        OneCycleLR, ...): stepped together with others, it overwrites what they did. True for kinds that
        keep the default (absolute) `step_ops`."""
        return type(self).step_ops is Kind.step_ops

    def holds_flat(self, args: Mapping[str, object]) -> bool:
        """Whether holding the lr flat is what it is for (a constant, a warmup alone, a plateau without a
        metric): then 'never decays' is no news."""
        return False

    def child_spans(self, args: Mapping[str, object], start: float, end: float, ctx: Context):
        """(path suffix, child Bound, start, end) of each schedule it holds, in the steps it runs them
        (default: every nested schedule over the whole span)."""
        for p in self.params:
            v = args.get(p.name)
            if p.type == "schedule" and isinstance(v, Bound):
                yield f".{p.name}", v, start, end
            elif p.type == "schedule_list" and isinstance(v, tuple):
                for i, c in enumerate(v):
                    yield f".{p.name}[{i}]", c, start, end

    def drives_momentum_for(self, args: Mapping[str, object]) -> bool:
        """Whether this configuration writes the groups' momentum/beta1."""
        return self.drives_momentum and bool(args.get("cycle_momentum", True))

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
