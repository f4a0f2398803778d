"""torch's SequentialLR and ChainedScheduler, replayed from their children's recursive updates.

Read from torch 2.15 `torch/optim/lr_scheduler.py`. What torch really does, and what we replay:

Construction (user code builds the children first, in order, on one optimizer, then the wrapper):
- each child's constructor sets the group's `initial_lr` if it is missing (CyclicLR first overwrites
  the lr with its base_lr; OneCycleLR overwrites initial_lr = max_lr/div_factor), takes it as its base,
  and makes its initial step on the *current* lr (`_is_initial`: ExponentialLR, MultiplicativeLR,
  PolynomialLR and CosineAnnealingLR keep the lr there);
- SequentialLR then resets every group's lr to `initial_lr`, decrements the `last_epoch` of every leaf
  below it ("undo"), and calls `_initial_step()` on the child selected by bisect_right(milestones, 0).
  On a leaf that is an initial step again; on a nested SequentialLR/ChainedScheduler it is a plain
  `step()`, so the leaves inside step at last_epoch 0 *non-initially* (ExponentialLR multiplies by
  gamma there, PolynomialLR by (T/(T+1))^power, ...) and a nested SequentialLR's own counter is one
  ahead (its milestones fire one step early).
- ChainedScheduler does nothing at construction: step 0 is its children's constructor steps, composed.

Each step: ChainedScheduler steps every child in order (their recursive updates compose);
SequentialLR increments its counter e, picks child bisect_right(milestones, e) and, when e equals that
child's milestone, calls `child._update_lr(0)` — the closed form at 0 (from the child's base, not from
where the previous child ended), or for a child without a closed form (LambdaLR, MultiplicativeLR,
CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts) `get_lr()` at 0 on the current lr. Otherwise it calls
`child.step()`. On a nested composite `_update_lr(0)` raises NotImplementedError: refused here.

The replay: the construction is simulated in Python on the group lrs. After it, every node is called on
one contiguous range of outer steps (a reset can only be a leaf's first call), so steps 1.. are routed by
ranges: each leaf gets its own counters over its range and its affine maps there (Kind.step_map, with
torch's non-initial / closed-form variants at counter 0), composed in call order, then
`recursion.replay`. A leaf that restarts from its closed form and shares its range with no other leaf
contributes its own curve (Kind.values) instead: the same numbers, computed faster.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from lrtui.schedules.catalogue import Bound, Context, Kind, Marker, Values, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import LAST_EPOCH, arange_from, every_step, int_steps
from lrtui.schedules.params import Param, per_group
from lrtui.schedules.recursion import replay

COMPOSITES = ("SequentialLR", "ChainedScheduler")
# Kinds whose objects are torch LRSchedulers that a composite can step.
CHILD_LIBRARIES = ("torch", "transformers")
CHILD_KINDS_EXTRA = ("warm_up_cosine_lr_scheduler",)  # seed kinds that are plain LambdaLR/CosineAnnealingLR
CLOSED_FORM = (
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
)
MOMENTUM_KINDS = ("CyclicLR", "OneCycleLR")
MAX_MARKERS = 200


# ----------------------------------------------------------------------------------------- the tree
@dataclass
class _Leaf:
    bound: Bound
    ctx: Context  # base_lrs = the group's initial_lr when this child was constructed
    path: str
    counter: int = -1  # torch's last_epoch

    @property
    def name(self) -> str:
        return self.bound.kind.name


@dataclass
class _Seq:
    children: list
    milestones: tuple[int, ...]
    path: str
    e: int = 0  # its own last_epoch


@dataclass
class _Chain:
    children: list
    path: str


def _leaves(node) -> list[_Leaf]:
    if isinstance(node, _Leaf):
        return [node]
    return [leaf for c in node.children for leaf in _leaves(c)]


def _col(x, g: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, dtype=np.float64).reshape(-1, 1), (g, 1)).astype(np.float64)


class _Program:
    """Simulates torch's objects for one composite spec: construction ops, then vectorised steps."""

    def __init__(self, bound: Bound, ctx: Context):
        self.ctx = ctx
        self.g = ctx.n_groups
        self.x = np.asarray(ctx.base_lrs, dtype=np.float64).copy()  # the groups' current lr
        self.initial_lr: np.ndarray | None = None
        self.momentum = None if ctx.momentum is None else np.asarray(ctx.momentum, dtype=np.float64).copy()
        self.drives_momentum = False
        self.momentum_name = "beta1" if ctx.optimizer in ("adam", "adamw") else "momentum"
        self.construction_maps: list[tuple[np.ndarray, np.ndarray]] = []
        self.root = self._construct(bound, bound.kind.name)

    # -- construction (python, in torch's order) ---------------------------------------------------
    def _apply(self, a, b) -> None:
        a = np.asarray(a, dtype=np.float64).reshape(self.g)
        b = np.asarray(b, dtype=np.float64).reshape(self.g)
        self.construction_maps.append((a.copy(), b.copy()))
        with np.errstate(all="ignore"):
            self.x = np.where(a == 0, b, a * self.x + b)

    def _construct(self, bound: Bound, path: str):
        name = bound.kind.name
        if name == "SequentialLR":
            kids = [
                self._construct(c, f"{path}.schedulers[{i}]") for i, c in enumerate(bound.args["schedulers"])
            ]
            node = _Seq(kids, tuple(bound.args["milestones"]), path, e=0)
            self._apply(np.zeros(self.g), self._initial_lr())  # reset to initial_lr
            for leaf in _leaves(node):
                leaf.counter -= 1
            self._initial_step(kids[bisect_right(node.milestones, 0)])
            return node
        if name == "ChainedScheduler":
            kids = [
                self._construct(c, f"{path}.schedulers[{i}]") for i, c in enumerate(bound.args["schedulers"])
            ]
            return _Chain(kids, path)
        return self._construct_leaf(bound, path)

    def _initial_lr(self) -> np.ndarray:
        return self.x.copy() if self.initial_lr is None else self.initial_lr

    def _construct_leaf(self, bound: Bound, path: str) -> _Leaf:
        # a kind that builds another torch class (the seed function's CosineAnnealingLR) acts as that class
        equivalent = getattr(bound.kind, "torch_equivalent", None)
        if equivalent is not None and equivalent(bound.args) is not None:
            bound = equivalent(bound.args)
        name = bound.kind.name
        args = bound.args
        if name == "CyclicLR":  # overwrites the lr before LRScheduler.__init__ reads it
            self._apply(np.zeros(self.g), per_group(args["base_lr"], self.g))
        if name == "OneCycleLR":
            max_lrs = np.asarray(per_group(args["max_lr"], self.g), dtype=np.float64)
            self.initial_lr = max_lrs / args["div_factor"]
        elif self.initial_lr is None:
            self.initial_lr = self.x.copy()
        leaf = _Leaf(bound, _with_bases(self.ctx, self.initial_lr), path)
        if name == "CyclicLR":
            # Its constructor step runs before it assigns self.base_lrs, so get_lr starts from the group's
            # initial_lr (set by an earlier child, or its own base_lr): lr = initial_lr + (max − initial)·0.
            leaf.counter = 0
            self._apply(np.zeros(self.g), self.initial_lr)
            self._momentum_at(leaf, 0)
        else:
            self._initial_step(leaf)
        return leaf

    def _initial_step(self, node) -> None:
        if isinstance(node, _Leaf):
            node.counter += 1
            a, b = node.bound.step_map(node.ctx, np.asarray([node.counter]))
            self._apply(a[:, 0], b[:, 0])
            self._momentum_at(node, node.counter)
        else:
            self._step(node)

    def _step(self, node) -> None:
        if isinstance(node, _Leaf):
            if node.name == "CosineAnnealingWarmRestarts" and node.counter < 0:
                node.counter = 0  # its step() restarts from epoch 0 when last_epoch < 0
            else:
                node.counter += 1
            a, b = _noninitial_map(node, np.asarray([node.counter]))
            self._apply(a[:, 0], b[:, 0])
            self._momentum_at(node, node.counter)
        elif isinstance(node, _Chain):
            for c in node.children:
                self._step(c)
        else:
            node.e += 1
            idx = bisect_right(node.milestones, node.e)
            child = node.children[idx]
            if idx > 0 and node.milestones[idx - 1] == node.e:
                self._reset0(child)
            else:
                self._step(child)

    def _reset0(self, node) -> None:
        if not isinstance(node, _Leaf):  # check() refuses these specs
            raise SpecError(f"{node.path}: torch raises NotImplementedError here", field=node.path)
        node.counter = 0
        a, b = _reset0_map(node)
        self._apply(a[:, 0], b[:, 0])
        self._momentum_at(node, 0)

    def _momentum_at(self, leaf: _Leaf, k: int) -> None:
        if leaf.name in MOMENTUM_KINDS and leaf.bound.args.get("cycle_momentum", True):
            mom = leaf.bound.values(leaf.ctx, np.asarray([k])).momentum
            if mom is not None:
                self.drives_momentum = True
                self.momentum = np.asarray(mom[:, 0], dtype=np.float64)

    # -- steps 1..n-1 (vectorised) -----------------------------------------------------------------
    # After construction every node is called on one contiguous range of outer steps (a ChainedScheduler
    # passes its range to every child; a SequentialLR splits its range by milestones), and a leaf's only
    # possible reset (`_update_lr(0)`) is the first call of its range. So routing is by ranges.
    def run(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """lr (and momentum) after 0..n-1 outer steps."""
        g, m = self.g, max(n - 1, 0)
        maps = _Maps(g, m)
        mom_rows: list[tuple[int, int, np.ndarray]] = []  # (lo, hi, momentum (g, hi - lo)) in call order
        if m > 0:
            segments: list = []
            self._route(self.root, 0, m, False, segments)
            self._emit(segments, maps, mom_rows)
        lr = np.empty((g, n))
        lr[:, 0] = self.x
        # Steps covered by a leaf's own curve (maps.absolute: A = 0 there, the value is B) are copied; the
        # recursion is replayed on the steps between them, each part from the lr just before it.
        pos = 0
        for lo, hi, values in [*sorted(maps.absolute, key=lambda r: r[0]), (m, m, None)]:
            if lo > pos:
                a, b = maps.ready(pos, lo)
                if maps.b_zero:  # pure products: tell replay without a pass over b
                    b = np.broadcast_to(np.zeros((g, 1)), b.shape)
                replay(a, b, lr[:, pos], out=lr[:, 1 + pos : 1 + lo])
            if hi > lo:
                values(lr[:, 1 + lo : 1 + hi])
            pos = max(pos, hi)
        mom = None
        if self.drives_momentum:
            mom = np.empty((g, n))
            mom[:, 0] = self.momentum
            if m > 0:
                body = mom[:, 1:]
                body[:] = np.nan
                for lo, hi, values in mom_rows:  # call order: a later leaf overrides within a step
                    body[:, lo:hi] = values
                # hold the last written momentum through steps where no cyclic scheduler stepped
                wrote = ~np.isnan(body[0])
                pos = np.where(wrote, np.arange(m), -1)
                np.maximum.accumulate(pos, out=pos)
                body[:] = np.where(pos[None, :] >= 0, body[:, np.maximum(pos, 0)], self.momentum[:, None])
        return lr, mom

    def _route(self, node, lo: int, hi: int, reset_first: bool, segments: list) -> None:
        """`node` is called at outer steps lo..hi-1 (0-based after the construction step)."""
        if hi <= lo:
            return
        if isinstance(node, _Leaf):
            if reset_first:
                first = 0
            elif node.name == "CosineAnnealingWarmRestarts" and node.counter < 0:
                first = 0  # its step() restarts from epoch 0 when last_epoch < 0
            else:
                first = node.counter + 1
            if first < 0:
                raise SpecError(
                    f"{node.path}: this nesting steps {node.name} at a negative step count, which is not previewed",
                    field=node.path,
                )
            segments.append((node, lo, hi, reset_first, first))
            node.counter = first + (hi - lo) - 1
        elif isinstance(node, _Chain):
            for c in node.children:
                self._route(c, lo, hi, False, segments)
        else:
            ms = node.milestones
            e_lo = node.e + 1  # its counter at the first call; +1 per call
            edges = (-math.inf, *ms, math.inf)  # child j runs while edges[j] <= e < edges[j + 1]
            for j, child in enumerate(node.children):
                e_a = max(edges[j], e_lo)
                e_b = min(edges[j + 1], e_lo + (hi - lo))
                if e_b <= e_a:
                    continue
                a = lo + int(e_a - e_lo)
                b = lo + int(e_b - e_lo)
                self._route(child, a, b, j > 0 and edges[j] == e_a, segments)
            node.e += hi - lo

    def _emit(self, segments: list, maps: _Maps, mom_rows: list) -> None:
        """Each leaf's maps over its range, composed in call order."""
        for i, (leaf, lo, hi, reset_first, first) in enumerate(segments):
            counters = arange_from(first, hi - lo)
            alone = not any(
                o_lo < hi and lo < o_hi for j, (_, o_lo, o_hi, _, _) in enumerate(segments) if j != i
            )
            if alone and reset_first and _restarts_as_standalone(leaf):
                # Nothing else touches these steps and the leaf restarts from its closed form at 0 (its own
                # step-0 value): the lrs are its own curve, which its kind computes faster than a replay.
                maps.set_values(lo, hi, _producer(leaf, counters))
            else:
                a, b = leaf.bound.step_map(leaf.ctx, counters)
                if first == 0:
                    a0, b0 = _reset0_map(leaf) if reset_first else _noninitial_k0(leaf)
                else:
                    a0 = b0 = None
                maps.apply(lo, hi, a, b, a0, b0)
            if leaf.name in MOMENTUM_KINDS and leaf.bound.args.get("cycle_momentum", True):
                mom = leaf.bound.values(leaf.ctx, counters).momentum
                if mom is not None:
                    self.drives_momentum = True
                    mom_rows.append((lo, hi, np.asarray(mom, dtype=np.float64)))


def _producer(leaf: _Leaf, counters: np.ndarray):
    """fill(out): writes the leaf's own curve at `counters` into out (groups, len(counters))."""
    into = getattr(leaf.bound.kind, "values_into", None)
    if into is not None:
        return lambda out: into(leaf.bound.args, leaf.ctx, counters, out)

    def fill(out: np.ndarray) -> None:
        out[...] = leaf.bound.values(leaf.ctx, counters).lr

    return fill


def _restarts_as_standalone(leaf: _Leaf) -> bool:
    """Whether `_update_lr(0)` gives exactly the value the kind's own curve starts from (then the rest follows)."""
    if leaf.name not in CLOSED_FORM:
        return False
    # ConstantLR(total_iters=0): the closed form says base, the recursive form base·factor forever
    return not (leaf.name == "ConstantLR" and leaf.bound.args["total_iters"] == 0)


class _Maps:
    """The per-step update (A, B) of the whole composite, built from leaf maps in call order.

    Steps no leaf has written yet are the identity (A = 1, B = 0); the arrays start uninitialised and
    the identity is filled in only where it is read (`_identity`), so a 1M-step composite does not pay
    for two full fills of maps that its leaves overwrite anyway."""

    def __init__(self, g: int, m: int):
        self.a = np.empty((g, m))
        self.b = np.empty((g, m))
        self.touched: list[tuple[int, int]] = []  # ranges whose (a, b) hold real values
        self.absolute: list[tuple[int, int, object]] = []  # (lo, hi, fill(out)): A = 0, B = the lrs
        self.b_zero = True  # every B written so far is 0 (pure products)
        self.b_lazy = True  # while b_zero: the zeros are not written (b's memory is untouched)

    def _identity(self, lo: int, hi: int) -> None:
        """Write the identity on the parts of lo..hi-1 that no range in `touched` covers."""
        pos = lo
        for t_lo, t_hi in sorted(self.touched):
            if t_hi <= pos:
                continue
            if t_lo >= hi:
                break
            if t_lo > pos:
                self.a[:, pos:t_lo] = 1.0
                if not self.b_lazy:
                    self.b[:, pos:t_lo] = 0.0
            pos = max(pos, t_hi)
            if pos >= hi:
                return
        if pos < hi:
            self.a[:, pos:hi] = 1.0
            if not self.b_lazy:
                self.b[:, pos:hi] = 0.0

    def _write_b(self) -> None:
        """Write the zeros of B that b_lazy left implicit (every step written so far, and the gaps)."""
        if self.b_lazy:
            self.b_lazy = False
            self.b[...] = 0.0

    def ready(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(a, b) on steps lo..hi-1, with the identity where nothing was written."""
        self._identity(lo, hi)
        if self.b_lazy:
            return self.a[:, lo:hi], np.broadcast_to(
                np.zeros((self.b.shape[0], 1)), (self.b.shape[0], hi - lo)
            )
        return self.a[:, lo:hi], self.b[:, lo:hi]

    def set_values(self, lo: int, hi: int, fill) -> None:
        """Steps lo..hi-1 touched by no other leaf, whose lrs `fill(out)` writes (A = 0, B = those lrs):
        kept aside rather than written into (a, b), so run() has the leaf write them straight into the
        curve instead of replaying them. Only valid when nothing else composes onto this range (the
        caller checks)."""
        if any(t_lo < hi and lo < t_hi for t_lo, t_hi in self.touched):
            values = np.empty((self.a.shape[0], hi - lo))
            fill(values)
            self.apply(lo, hi, 0.0, values)
            return
        self.absolute.append((lo, hi, fill))
        self.touched.append((lo, hi))

    def materialize(self) -> None:
        """Write the kept-aside ranges into (a, b) and the identity elsewhere (for callers that read the
        maps themselves)."""
        if self.absolute:
            self._write_b()
        for lo, hi, fill in self.absolute:
            self.a[:, lo:hi] = 0.0
            fill(self.b[:, lo:hi])
            self.b_zero = False
        self.absolute = []
        self._write_b()
        self._identity(0, self.a.shape[1])

    def apply(self, lo: int, hi: int, a, b, a0=None, b0=None) -> None:
        """Compose `then (a, b)` onto steps lo..hi-1; (a0, b0), if given, replaces the first column."""
        if any(t_lo < hi and lo < t_hi for t_lo, t_hi, _ in self.absolute):
            self.materialize()
        zero_b = _is_zero_fill(b) and (b0 is None or not np.any(b0))
        fresh = not any(t_lo < hi and lo < t_hi for t_lo, t_hi in self.touched)
        finite = fresh or (bool(np.isfinite(a).all()) and (a0 is None or bool(np.isfinite(a0).all())))
        if self.b_lazy and not (zero_b and finite):
            self._write_b()  # B gets values (or 0·inf = NaN): from here on it is written
        if fresh:
            self.a[:, lo:hi] = a  # identity so far: the leaf's own map, written once
            if a0 is not None:
                self.a[:, lo : lo + 1] = a0
            if not self.b_lazy:
                self.b[:, lo:hi] = b
                if a0 is not None:
                    self.b[:, lo : lo + 1] = b0
        else:
            self._identity(lo, hi)
            shape = (self.a.shape[0], hi - lo)
            a = np.broadcast_to(np.asarray(a, dtype=np.float64), shape)
            b = np.broadcast_to(np.asarray(b, dtype=np.float64), shape)
            cur_a = self.a[:, lo:hi]
            cur_b = self.b[:, lo:hi]
            if a0 is not None:  # the first column composes with (a0, b0) instead
                first_a, first_b = cur_a[:, :1].copy(), cur_b[:, :1].copy()
            if not self.b_lazy:  # (lazy: B = 0·A + 0 = 0 stays 0, A being finite)
                np.multiply(cur_b, a, out=cur_b)
                if not zero_b:  # adding 0.0 changes nothing (but the sign of a zero)
                    np.add(cur_b, b, out=cur_b)
            np.multiply(cur_a, a, out=cur_a)
            if a0 is not None:
                if not self.b_lazy:
                    cur_b[:, :1] = first_b * a0 + b0
                cur_a[:, :1] = first_a * a0
        self.b_zero &= zero_b
        self.touched.append((lo, hi))


def _is_zero_fill(b) -> bool:
    """Whether b is known to be all zeros without reading it: a scalar 0, or a zero-stride broadcast of 0
    (MultiplicativeKind.step_map's B)."""
    if np.ndim(b) == 0:
        return float(b) == 0.0
    b = np.asarray(b)
    return b.size > 0 and all(st == 0 for st in b.strides) and float(b.flat[0]) == 0.0


def _with_bases(ctx: Context, bases) -> Context:
    from dataclasses import replace

    return replace(ctx, base_lrs=tuple(float(x) for x in bases))


def _noninitial_map(leaf: _Leaf, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`step()` reaching last_epoch k outside the constructor; differs from step_map only at k == 0."""
    a, b = leaf.bound.step_map(leaf.ctx, k)
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    zero = np.asarray(k) == 0
    if zero.any():
        a0, b0 = _noninitial_k0(leaf)
        a[:, zero] = a0
        b[:, zero] = b0
    return a, b


def _noninitial_k0(leaf: _Leaf) -> tuple[np.ndarray, np.ndarray]:
    """get_lr at last_epoch 0 with _is_initial False, as an affine map of the current lr."""
    g = leaf.ctx.n_groups
    args = leaf.bound.args
    name = leaf.name
    if name == "ExponentialLR":
        return _col(args["gamma"], g), np.zeros((g, 1))
    if name == "MultiplicativeLR":
        from lrtui.schedules.kinds._torch_common import formulas_per_group

        fns = formulas_per_group(args["lr_lambda"], leaf.ctx)
        return np.array([[float(f(np.zeros(1))[0])] for f in fns]), np.zeros((g, 1))
    if name == "PolynomialLR":
        t, p = args["total_iters"], args["power"]
        if t < 0:
            return np.ones((g, 1)), np.zeros((g, 1))
        return _col(((1.0 - 0 / t) / (1.0 - (0 - 1) / t)) ** p, g), np.zeros((g, 1))
    if name == "CosineAnnealingLR":
        t, eta = args["T_max"], args["eta_min"]
        base = np.asarray(leaf.ctx.base_lrs, dtype=np.float64)[:, None]
        if (0 - 1 - t) % (2 * t) == 0:
            return np.ones((g, 1)), (base - eta) * (1 - math.cos(math.pi / t)) / 2
        r = (1 + math.cos(math.pi * 0 / t)) / (1 + math.cos(math.pi * (0 - 1) / t))
        return _col(r, g), _col(eta - r * eta, g)
    a, b = leaf.bound.step_map(leaf.ctx, np.zeros(1, dtype=np.int64))
    return np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)


def _reset0_map(leaf: _Leaf) -> tuple[np.ndarray, np.ndarray]:
    """`_update_lr(0)`: torch's closed form at 0 where the class has one, else get_lr() at 0."""
    g = leaf.ctx.n_groups
    args = leaf.bound.args
    name = leaf.name
    base = np.asarray(leaf.ctx.base_lrs, dtype=np.float64)[:, None]
    if name in CLOSED_FORM:
        if name == "StepLR":
            v = base * args["gamma"] ** (0 // args["step_size"])
        elif name == "MultiStepLR":
            v = base * args["gamma"] ** bisect_right(sorted(args["milestones"]), 0)
        elif name == "ConstantLR":
            f = args["factor"]
            v = base * (f + (args["total_iters"] <= 0) * (1 - f))
        elif name == "LinearLR":
            s, e, t = args["start_factor"], args["end_factor"], args["total_iters"]
            v = base * (s + (e - s) * min(t, 0) / t)
        elif name == "ExponentialLR":
            v = base * args["gamma"] ** 0
        elif name == "PolynomialLR":
            t = args["total_iters"]
            v = base * (1.0 - min(t, 0) / t) ** args["power"]
        else:  # CosineAnnealingLR
            eta, t = args["eta_min"], args["T_max"]
            v = eta + (base - eta) * (1 + math.cos(math.pi * 0 / t)) / 2
        return np.zeros((g, 1)), np.broadcast_to(v, (g, 1)).astype(np.float64)
    return _noninitial_k0(leaf)


# ----------------------------------------------------------------------------------------- checks
def _walk(bound: Bound, where: str):
    yield bound, where
    if bound.kind.name in COMPOSITES:
        for i, c in enumerate(bound.args["schedulers"]):
            yield from _walk(c, f"{where}.schedulers[{i}]")


def _check_tree(bound: Bound, ctx: Context, where: str) -> None:
    if ctx.stepping == "fractional":
        raise SpecError.bad_value(
            "stepping",
            "fractional",
            f"'step' or 'epoch' for {bound.kind.name}: its step() takes no epoch argument",
        )
    cycling = 0
    for b, path in _walk(bound, where):
        name = b.kind.name
        if name in COMPOSITES:
            continue
        if name == "ReduceLROnPlateau":
            raise SpecError(
                f"{path}: SequentialLR and ChainedScheduler do not accept ReduceLROnPlateau (its "
                "step() needs a metric)",
                field=path,
                value=name,
                allowed="a scheduler other than ReduceLROnPlateau",
            )
        if b.kind.library not in CHILD_LIBRARIES and name not in CHILD_KINDS_EXTRA:
            why = (
                "is not a torch LRScheduler"
                if b.kind.library in ("timm", "formula")
                else "has its own stepping logic, which lrtui does not replay"
            )
            raise SpecError(
                f"{path}: {name} ({b.kind.library}) {why}; {bound.kind.name} cannot use it",
                field=path,
                value=name,
                allowed="torch schedulers, transformers' get_*_schedule kinds or warm_up_cosine_lr_scheduler",
            )
        if name in MOMENTUM_KINDS:
            cycling += 1
    if cycling > 1:
        raise SpecError(
            f"{where}: more than one CyclicLR/OneCycleLR in one composite (they overwrite each "
            "other's group state) is not previewed",
            field=where,
            value=cycling,
            allowed="at most one CyclicLR or OneCycleLR",
        )
    _check_milestone_targets(bound, where, e0=0)


def _check_milestone_targets(bound: Bound, where: str, e0: int) -> None:
    """A nested composite reached at a milestone makes torch raise NotImplementedError (`_update_lr(0)`)."""
    name = bound.kind.name
    if name == "ChainedScheduler":
        for i, c in enumerate(bound.args["schedulers"]):
            _check_milestone_targets(c, f"{where}.schedulers[{i}]", e0)
    elif name == "SequentialLR":
        ms = tuple(bound.args["milestones"])
        for i, c in enumerate(bound.args["schedulers"]):
            if i > 0 and c.kind.name in COMPOSITES:
                m = ms[i - 1]
                if m > e0 and bisect_right(ms, m) == i:
                    raise SpecError(
                        f"{where}.schedulers[{i}]: torch raises NotImplementedError when "
                        f"SequentialLR reaches milestone {m} and calls _update_lr(0) on a "
                        f"{c.kind.name}",
                        field=f"{where}.schedulers[{i}]",
                        value=c.kind.name,
                        allowed="a plain scheduler after the first position of a SequentialLR",
                    )
            if c.kind.name in COMPOSITES:
                _check_milestone_targets(c, f"{where}.schedulers[{i}]", e0=0)


# ----------------------------------------------------------------------------------------- kinds
class _Composite(Kind):
    library = "torch"

    def values(self, args, ctx, k):
        ki = np.asarray(k)
        if ki.size == 0:
            return Values(np.empty((ctx.n_groups, 0)))
        ki = int_steps(ki).reshape(-1)  # negative steps: 0
        every = every_step(ki)
        n = every or int(ki.max()) + 1
        prog = _Program(Bound(self, args, None), ctx)  # type: ignore[arg-type]
        lr, mom = prog.run(n)
        if every is None:
            lr = lr[:, ki]
            mom = None if mom is None else mom[:, ki]
        return Values(lr, mom, prog.momentum_name)

    def step_map(self, args, ctx, k):
        """Per outer step, the composed update (k = 0: all construction ops composed)."""
        ki = np.maximum(np.asarray(k).astype(np.int64).reshape(-1), 0)
        g = ctx.n_groups
        n = int(ki.max()) + 1 if ki.size else 1
        prog = _Program(Bound(self, args, None), ctx)  # type: ignore[arg-type]
        a0, b0 = np.ones(g), np.zeros(g)
        for a, b in prog.construction_maps:
            a0, b0 = a * a0, a * b0 + b
        maps = _Maps(g, n - 1)
        if n > 1:
            segments: list = []
            prog._route(prog.root, 0, n - 1, False, segments)
            prog._emit(segments, maps, [])
            maps.materialize()
        a_tot = np.concatenate([a0[:, None], maps.a], axis=1)
        b_tot = np.concatenate([b0[:, None], maps.b], axis=1)
        return a_tot[:, ki], b_tot[:, ki]


@register
class SequentialLR(_Composite):
    name = "SequentialLR"
    summary = (
        "Run schedulers one after another: at each milestone the next one restarts from ITS step 0 "
        "(closed form from the initial lr), not from where the previous one ended."
    )
    example = (
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], "
        "milestones=[5])"
    )
    params = (
        Param(
            "schedulers", "schedule_list", help="The schedulers, in order (built in this order).", min_items=1
        ),
        Param(
            "milestones",
            "int_list",
            help="Steps at which the next scheduler takes over (one fewer than schedulers, non-decreasing).",
            lo=0,
            hi=10**15,
        ),
        LAST_EPOCH,
    )

    def check(self, args, ctx, where):
        n, ms = len(args["schedulers"]), tuple(args["milestones"])
        if len(ms) != n - 1:
            raise SpecError.bad_value(
                f"{where}.milestones", list(ms), f"a list of {n - 1} step(s): one fewer than schedulers ({n})"
            )
        if any(b < a for a, b in itertools.pairwise(ms)):
            raise SpecError.bad_value(f"{where}.milestones", list(ms), "non-decreasing (torch bisects them)")
        _check_tree(Bound(self, args, None), ctx, where)  # type: ignore[arg-type]

    def stated_length(self, args, ctx):
        # the last schedule starts at the last milestone and runs its own stated length
        ms, last = args["milestones"], args["schedulers"][-1].stated_length(ctx)
        return None if last is None else int(ms[-1] if ms else 0) + last

    def markers(self, args, ctx):
        out: list[Marker] = []
        kids = args["schedulers"]
        ms = tuple(args["milestones"])
        bounds = (0, *ms, math.inf)
        for j, child in enumerate(kids):
            lo, hi = bounds[j], bounds[j + 1]
            if hi <= lo:
                continue
            if j > 0:
                out.append(Marker(float(lo), "milestone", f"→ {child.kind.name}"))
            for mk in child.markers(ctx):
                if mk.step + lo < hi:
                    out.append(Marker(mk.step + lo, mk.kind, mk.label))
        if (
            ms
            and kids[0].kind.name in ("LinearLR", "ConstantLR")
            and not any(m.kind == "warmup_end" for m in out)
        ):
            out.append(Marker(float(ms[0]), "warmup_end", "warmup end"))
        out.sort(key=lambda m: m.step)
        return out[:MAX_MARKERS]


@register
class ChainedScheduler(_Composite):
    name = "ChainedScheduler"
    summary = (
        "Step every scheduler at every step: their recursive updates compose (multiply), e.g. a "
        "warmup factor on top of a decay."
    )
    example = "ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)])"
    params = (
        Param("schedulers", "schedule_list", help="The schedulers, stepped in this order.", min_items=1),
    )

    def check(self, args, ctx, where):
        _check_tree(Bound(self, args, None), ctx, where)  # type: ignore[arg-type]

    def stated_length(self, args, ctx):
        lengths = [c.stated_length(ctx) for c in args["schedulers"]]
        return max((n for n in lengths if n is not None), default=None)

    def markers(self, args, ctx):
        out = [mk for child in args["schedulers"] for mk in child.markers(ctx)]
        out.sort(key=lambda m: m.step)
        return out[:MAX_MARKERS]


__all__ = ["ChainedScheduler", "SequentialLR"]
