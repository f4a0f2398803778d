"""The real torch scheduler as an oracle: build it on a real optimizer, step it, record every group's lr.

Shared by the torch parity and fuzz tests. Formulas are handed to torch as real Python lambdas.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import torch
import torch.optim.lr_scheduler as lrs

from lrtui.schedules import Plan, Spec, evaluate, parse, resolve
from lrtui.schedules.formula import Formula

PY_NAMES = {
    "cos": math.cos,
    "sin": math.sin,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "pi": math.pi,
    "min": min,
    "max": max,
    "floor": math.floor,
    "tanh": math.tanh,
}


def py_lambda(text: str):
    """The Python function torch would be given for a formula (test-controlled text only)."""
    # every formula variable (k, x, ...) is the one argument torch passes
    return eval(f"lambda k: (lambda k, x: {text})(k, k)", dict(PY_NAMES))


def numpy_lambda(f: Formula):
    """A formula evaluated by our engine at one step (never raises: inf/NaN where Python would)."""
    return lambda k: float(f(np.asarray([k], dtype=np.float64))[0])


def torch_kwargs(kind_name: str, args: dict, formula_fn=py_lambda) -> dict:
    """Keyword arguments for torch's class: the spec's arguments that torch's signature takes."""
    cls = getattr(lrs, kind_name)
    accepted = inspect.signature(cls.__init__).parameters
    out = {}
    for name, v in args.items():
        if name not in accepted:
            continue  # preview-only parameters
        if isinstance(v, str) and name in ("lr_lambda", "scale_fn"):
            v = formula_fn(v)
        elif isinstance(v, Formula):
            v = numpy_lambda(v)
        elif isinstance(v, list | tuple):
            v = [
                formula_fn(x) if isinstance(x, str) else numpy_lambda(x) if isinstance(x, Formula) else x
                for x in v
            ]
        out[name] = v
    return out


def make_optimizer(base_lrs, optimizer: str = "sgd", momentum: float = 0.9):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in base_lrs]
    groups = [{"params": [p], "lr": float(lr)} for p, lr in zip(params, base_lrs)]
    if optimizer == "sgd":
        return torch.optim.SGD(groups, lr=float(base_lrs[0]), momentum=momentum)
    cls = torch.optim.Adam if optimizer == "adam" else torch.optim.AdamW
    return cls(groups, lr=float(base_lrs[0]), betas=(momentum, 0.999))


class TorchRun:
    """lr (groups, n) and momentum/beta1 after k steps; `raised_at` = the step whose call raised, if any."""

    def __init__(self, lr, momentum, raised_at, error):
        self.lr, self.momentum, self.raised_at, self.error = lr, momentum, raised_at, error


def run_torch(
    kind_name: str,
    kwargs: dict,
    base_lrs,
    n: int,
    *,
    optimizer: str = "sgd",
    momentum: float = 0.9,
    metric=None,
    epochs=None,
) -> TorchRun:
    """Construct (k = 0) and step n − 1 times like a training loop: optimizer.step() then scheduler.step().

    Raises whatever torch's constructor raises; an exception inside a later step() is recorded instead.
    """
    opt = make_optimizer(base_lrs, optimizer, momentum)
    mom_key = "momentum" if optimizer == "sgd" else "betas"

    def snapshot():
        lrs_ = [float(g["lr"]) for g in opt.param_groups]
        moms = [float(g[mom_key] if mom_key == "momentum" else g[mom_key][0]) for g in opt.param_groups]
        return lrs_, moms

    lr_rows, mom_rows = [], []
    raised_at, error = None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = getattr(lrs, kind_name)(opt, **kwargs)
        a, m = snapshot()
        lr_rows.append(a)
        mom_rows.append(m)
        for k in range(1, n):
            opt.step()
            try:
                if metric is not None:
                    sched.step(metric[k - 1])
                elif epochs is not None:
                    sched.step(epochs[k])
                else:
                    sched.step()
            except Exception as exc:
                raised_at, error = k, exc
                break
            a, m = snapshot()
            lr_rows.append(a)
            mom_rows.append(m)
    return TorchRun(np.asarray(lr_rows).T, np.asarray(mom_rows).T, raised_at, error)


def lrtui_plan(kind_name: str, args: dict, base_lrs, n: int, **plan_kw) -> Plan:
    """A Plan for the spec, going through the spec text (parse(str(spec)) must round-trip)."""
    spec = Spec(kind_name, dict(args))
    text = str(spec)
    assert parse(text) == spec, text
    return Plan(spec=parse(text), base_lrs=tuple(float(x) for x in base_lrs), total_steps=n, **plan_kw)


def evaluate_plan(plan: Plan):
    return evaluate(plan)


def replay_step_maps(plan: Plan, n: int) -> np.ndarray:
    """The kind's torch object as update data (what composites replay), looped plainly: the constructor's
    step, then n − 1 step() calls (ReduceLROnPlateau: its metric-driven calls), by ops.replay_reference."""
    from lrtui.schedules.ops import replay_reference
    from lrtui.schedules.program import GroupState

    ctx = plan.context()
    bound = resolve(plan.spec, ctx)
    st = GroupState.fresh(ctx)
    leaf = bound.kind.leaf(bound, ctx, bound.kind.name)
    leaf.construct(st)
    leaf.bind(st)
    out = np.empty((len(plan.base_lrs), n))
    out[:, 0] = st.x
    if n > 1:
        out[:, 1:] = replay_reference(leaf.ops(leaf.take(n - 1)), st.x)
    return out


def assert_close(
    ours: np.ndarray, theirs: np.ndarray, what: str, rel: float = 1e-9, abs_tol: float = 1e-300
) -> None:
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, (what, ours.shape, theirs.shape)
    with np.errstate(all="ignore"):
        close = np.abs(ours - theirs) <= rel * np.maximum(np.abs(ours), np.abs(theirs)) + abs_tol
    close |= ours == theirs  # infinities
    if not close.all():
        g, k = np.argwhere(~close)[0]
        raise AssertionError(f"{what}: group {g} step {k}: lrtui {ours[g, k]!r} vs torch {theirs[g, k]!r}")
