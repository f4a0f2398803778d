"""Schedules that torch has no class for, written as plain torch code (`lrtui export --to torch`).

transformers' schedules become `LambdaLR(optimizer, functools.partial(<its lr_lambda>, ...))`, timm's become
small `LRScheduler` subclasses, the seed articles' and the warmup libraries' become the ports the trainer
runs. The helpers' code is copied into the script from `export_ports.py` and `torch_ports.py` (read as text,
never imported here: this module stays free of torch).
"""

from __future__ import annotations

import ast
import functools
import json
import math
import textwrap
from collections.abc import Callable
from pathlib import Path

from lrtui.schedules.catalogue import Bound, Context
from lrtui.schedules.plan import Plan

_HERE = Path(__file__).resolve().parent
_LRS = "from torch.optim.lr_scheduler import LRScheduler"
_PLATEAU = "from torch.optim.lr_scheduler import ReduceLROnPlateau"

# helper name -> (source file, imports it needs, helpers it needs first)
HELPERS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    **{
        name: ("export_ports.py", ("import math",), ())
        for name in (
            "constant_schedule_with_warmup_lambda",
            "linear_schedule_with_warmup_lambda",
            "cosine_schedule_with_warmup_lambda",
            "cosine_with_hard_restarts_schedule_with_warmup_lambda",
            "polynomial_decay_schedule_with_warmup_lambda",
            "inverse_sqrt_schedule_lambda",
            "cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda",
            "wsd_schedule_lambda",
        )
    },
    "timm_noise_applies": ("export_ports.py", (), ()),
    "timm_noise": ("export_ports.py", ("import torch",), ()),
    "TimmLR": ("export_ports.py", (_LRS,), ("timm_noise_applies", "timm_noise")),
    "TimmCycleLR": ("export_ports.py", ("import math",), ("TimmLR",)),
    "TimmCosineLR": ("export_ports.py", ("import math",), ("TimmCycleLR",)),
    "TimmPolyLR": ("export_ports.py", (), ("TimmCycleLR",)),
    "TimmTanhLR": ("export_ports.py", ("import math",), ("TimmCycleLR",)),
    "TimmStepLR": ("export_ports.py", (), ("TimmLR",)),
    "TimmMultiStepLR": ("export_ports.py", ("import bisect",), ("TimmStepLR",)),
    "TimmPlateauLR": ("export_ports.py", (_PLATEAU,), ("timm_noise_applies", "timm_noise")),
    "WarmupCosineLR": ("torch_ports.py", ("import numpy as np", _LRS), ()),
    "SeedLambda": ("torch_ports.py", ("import numpy as np",), ()),
    "GradualWarmupScheduler": ("torch_ports.py", (_LRS, _PLATEAU), ()),
    "DampenedWarmup": ("torch_ports.py", ("import math",), ()),
}

# transformers kind -> its lr_lambda helper (get_constant_schedule is `lambda _: 1`, get_scheduler dispatches)
_LAMBDAS = {
    "get_linear_schedule_with_warmup": "linear_schedule_with_warmup_lambda",
    "get_cosine_schedule_with_warmup": "cosine_schedule_with_warmup_lambda",
    "get_cosine_with_hard_restarts_schedule_with_warmup": "cosine_with_hard_restarts_schedule_with_warmup_lambda",
    "get_polynomial_decay_schedule_with_warmup": "polynomial_decay_schedule_with_warmup_lambda",
    "get_constant_schedule_with_warmup": "constant_schedule_with_warmup_lambda",
    "get_inverse_sqrt_schedule": "inverse_sqrt_schedule_lambda",
    "get_cosine_with_min_lr_schedule_with_warmup": "cosine_schedule_with_warmup_lambda",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": "cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda",
    "get_wsd_schedule": "wsd_schedule_lambda",
}
_TIMM = {
    "CosineLRScheduler": "TimmCosineLR",
    "PolyLRScheduler": "TimmPolyLR",
    "TanhLRScheduler": "TimmTanhLR",
    "StepLRScheduler": "TimmStepLR",
    "MultiStepLRScheduler": "TimmMultiStepLR",
    "PlateauLRScheduler": "TimmPlateauLR",
}
_TORCH = "torch.optim.lr_scheduler"
_DEFAULT_LR = 'optimizer.defaults["lr"]'


class Emitter:
    """What one script needs besides its scheduler expression: imports and helper definitions, in order."""

    def __init__(self, imports: set[str]) -> None:
        self.imports = imports
        self.helpers: list[str] = []

    def need(self, name: str) -> str:
        if name not in self.helpers:
            _, imports, deps = HELPERS[name]
            for dep in deps:
                self.need(dep)
            self.imports.update(imports)
            self.helpers.append(name)
        return name

    def definitions(self) -> list[str]:
        return [definition_source(name) for name in self.helpers]


@functools.cache
def _tree(filename: str) -> tuple[str, ast.Module]:
    text = (_HERE / filename).read_text(encoding="utf-8")
    return text, ast.parse(text)


@functools.cache
def definition_source(name: str) -> str:
    """The source of helper `name` (a top-level or nested def/class in its file), dedented."""
    filename = HELPERS[name][0]
    text, tree = _tree(filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name == name:
            segment = ast.get_source_segment(text, node, padded=True)
            return textwrap.dedent(segment or "")
    raise KeyError(f"{name} is not defined in {filename}")


class Port:
    """What a kind's `port_expr` writes with: the plan, helpers (emitted once, with their imports), calls
    laid out like the rest of the script, literals, and the expressions of its children."""

    torch = _TORCH

    def __init__(self, plan: Plan, ctx: Context, emit: Emitter, child: Callable[[Bound], str]) -> None:
        self.plan, self.ctx, self.emit, self.child = plan, ctx, emit, child

    def need(self, helper: str) -> str:
        return self.emit.need(helper)

    def call(self, name: str, *parts: str) -> str:
        return _call(name, *parts)

    def kwargs(self, b: Bound, names: tuple[str, ...] | None = None, *, every: bool = False) -> str:
        return _kwargs(b, names, every=every)

    def literal(self, v: object) -> str:
        return py_literal(v)

    def expr(self, b: Bound) -> str:
        """b's own port (a kind that builds another: get_scheduler)."""
        return portable_expr(b, self.plan, self.ctx, self.emit, self.child)


def portable_expr(b: Bound, plan: Plan, ctx: Context, emit: Emitter, child: Callable[[Bound], str]) -> str:
    """The torch expression building `b` (a kind torch has no class for) on `optimizer`: the kind's own
    `port_expr`, else its library's table (transformers' lr_lambdas, timm's port classes)."""
    custom = b.kind.port_expr(b, Port(plan, ctx, emit, child))
    if custom is not None:
        return custom
    if b.kind.library == "transformers":
        return _transformers(b, emit)
    if b.kind.name in _TIMM:
        return _timm(b, plan, emit)
    raise KeyError(b.kind.name)


def _transformers(b: Bound, emit: Emitter) -> str:
    name, a = b.kind.name, b.args
    if name == "get_constant_schedule":
        return _call(f"{_TORCH}.LambdaLR", "optimizer", "lambda _: 1")
    fn = emit.need(_LAMBDAS[name])
    w = a["num_warmup_steps"]
    kw: dict[str, str] = {"num_warmup_steps": repr(w)}
    if name == "get_constant_schedule_with_warmup":
        pass
    elif name == "get_inverse_sqrt_schedule":
        ts = a["timescale"] if a["timescale"] is not None else (w or 10_000)
        kw["timescale"] = repr(ts)
    elif name == "get_wsd_schedule":
        from lrtui.schedules.kinds.transformers import WarmupStableDecay

        _, stable, decay = WarmupStableDecay.phases(a)
        kw.update(num_stable_steps=repr(stable), num_decay_steps=repr(decay))
        for key in ("warmup_type", "decay_type", "min_lr_ratio", "num_cycles"):
            kw[key] = py_literal(a[key])
    else:
        kw["num_training_steps"] = repr(a["num_training_steps"])
        if name == "get_polynomial_decay_schedule_with_warmup":
            kw.update(lr_end=py_literal(a["lr_end"]), power=py_literal(a["power"]), lr_init=_DEFAULT_LR)
        elif "num_cycles" in a:
            kw["num_cycles"] = py_literal(a["num_cycles"])
        if "min_lr_rate" in a:  # transformers divides min_lr by the optimizer's default lr
            kw["min_lr_rate"] = (
                f"{py_literal(a['min_lr'])} / {_DEFAULT_LR}"
                if a["min_lr"] is not None
                else py_literal(a["min_lr_rate"])
            )
        if "warmup_lr_rate" in a:
            kw["warmup_lr_rate"] = py_literal(a["warmup_lr_rate"])
    emit.imports.add("import functools")
    partial = _call("functools.partial", fn, ", ".join(f"{k}={v}" for k, v in kw.items()))
    return _call(f"{_TORCH}.LambdaLR", "optimizer", partial)


def _timm(b: Bound, plan: Plan, emit: Emitter) -> str:
    """timm's t counts epochs (t_in_epochs) or updates; the port derives it from its own step count."""
    name = emit.need(_TIMM[b.kind.name])
    parts = [_kwargs(b)] if _kwargs(b) else []
    spe = plan.steps_per_epoch
    in_epochs = b.args.get("t_in_epochs", True)
    if in_epochs and plan.stepping == "step" and spe > 1:
        parts.append(f"steps_per_t={spe}")  # timm's epoch = steps // steps_per_epoch
    elif not in_epochs and plan.stepping != "step" and spe > 1:
        parts.append(f"t_per_step={spe}")  # stepped per epoch: timm's update count = epochs × steps_per_epoch
    return _call(name, "optimizer", ", ".join(parts))


def _kwargs(b: Bound, names: tuple[str, ...] | None = None, *, every: bool = False) -> str:
    """name=value for the arguments the spec gives (every=True: all of `names`, defaults included)."""
    given = b.spec.args
    out = []
    for p in b.kind.params:
        if names is not None and p.name not in names:
            continue
        if every or p.name in given:
            raw = given.get(p.name, b.args[p.name])
            out.append(f"{p.name}={py_literal(raw if not isinstance(raw, Bound) else b.args[p.name])}")
    return ", ".join(out)


def _call(name: str, *parts: str) -> str:
    """name(parts), one argument per line when it is long (continuation lines relative to column 0)."""
    parts = tuple(p for p in parts if p)
    one = f"{name}({', '.join(parts)})"
    if len(one) <= 90 and "\n" not in one:
        return one
    args = [a for p in parts for a in _split_top(p)]
    return "\n".join([f"{name}(", *(textwrap.indent(f"{a},", "    ") for a in args), ")"])


def _split_top(text: str) -> list[str]:
    """'a=1, b=f(2, 3)' -> ['a=1', 'b=f(2, 3)']: split on commas outside brackets and strings."""
    out, depth, start, quote = [], 0, 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return [o for o in out if o]


def py_literal(v: object) -> str:
    """A value as Python source (inf as math.inf, strings JSON-quoted)."""
    if isinstance(v, float):
        if math.isinf(v):
            return "math.inf" if v > 0 else "-math.inf"
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(py_literal(x) for x in v) + "]"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)
