"""The torch objects a spec stands for, simulated on one optimizer, and their exact replay.

A spec tree is what a training script builds: the children first, in order, on one optimizer, then the
wrapper — a torch composite (SequentialLR, ChainedScheduler) or a loop pattern of several schedulers
stepped by the script itself (SwitchLR, Compound). `Program` replays that:

Construction (python, in torch's order, on the groups' state: lr, initial_lr, momentum, and the keys
schedulers write into the groups — max_lr, min_lr, max_momentum, base_momentum, swa_lr):
- every scheduler's constructor has its side effects (`Kind.construct`: CyclicLR writes its base_lr into
  the lr, OneCycleLR overwrites initial_lr, SWALR writes swa_lr, ...), takes the group's initial_lr as its
  base, then makes its initial step on the *current* lr (`Kind.initial_ops`);
- SequentialLR then resets the lrs to initial_lr, decrements the last_epoch of every leaf below it
  ("recursive_undo") and calls `_initial_step()` on the child selected at 0 — on a leaf an initial step
  again, on a nested composite a plain `step()` (so its leaves step at last_epoch 0 *non-initially*).

Steps: ChainedScheduler steps every child in order; SequentialLR increments its counter e and, when e is
a milestone, calls `_update_lr(0)` on that child (`Kind.reset_ops`: the closed form at 0 where the class
has one) instead of `step()`; SwitchLR steps one child, chosen by its milestones, with a plain `step()`
(no reset: the next scheduler continues from the current lr — the SWA pattern); Compound steps every child
in the stated order, ReduceLROnPlateau children with the metric, 'epoch' children at epoch ends only.

Every node is called on a set of outer steps known in advance (a reset can only be a leaf's first call),
so the steps are routed first, then each leaf's calls become update data (`lrtui.schedules.ops.Ops`,
torch's float operations) in call order, and the lr is replayed exactly: a leaf that has a stretch of
steps to itself replays it with its kind's own (possibly faster) exact replay; stretches several leaves
share are interleaved in call order and replayed by `ops.replay`.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field, replace

import numpy as np

from lrtui.schedules.catalogue import Bound, Context
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import arange_view
from lrtui.schedules.ops import Ops, replay


# ----------------------------------------------------------------------------------------- group state
@dataclass
class GroupState:
    """The optimizer's param groups as schedulers see them (one value per group)."""

    x: np.ndarray  # lr
    momentum: np.ndarray | None  # momentum (SGD) or beta1 (Adam)
    momentum_name: str
    initial_lr: np.ndarray | None = None
    fields: dict[str, np.ndarray] = field(default_factory=dict)  # max_lr, min_lr, swa_lr, ...
    drives_momentum: bool = False

    @classmethod
    def fresh(cls, ctx: Context) -> GroupState:
        mom = None if ctx.momentum is None else np.asarray(ctx.momentum, dtype=np.float64).copy()
        name = "beta1" if ctx.optimizer in ("adam", "adamw") else "momentum"
        return cls(np.asarray(ctx.base_lrs, dtype=np.float64).copy(), mom, name)

    def setdefault_initial_lr(self) -> None:
        """LRScheduler.__init__: group.setdefault("initial_lr", group["lr"])."""
        if self.initial_lr is None:
            self.initial_lr = self.x.copy()

    def apply(self, ops: Ops) -> None:
        """One update (ops.n == 1)."""
        self.x = replay(ops, self.x)[:, 0].copy()
        if ops.momentum is not None:
            mask = ops.momentum_mask()
            if mask is None or mask[0]:
                self.momentum = np.broadcast_to(np.asarray(ops.momentum, dtype=np.float64), (self.x.size, 1))[
                    :, 0
                ].copy()
                self.drives_momentum = True


def int_range(a: int, b: int) -> np.ndarray:
    """a, a+1, ..., b−1 (int64), read-only: a view of the shared arange where it reaches (no 8 MB to fill)."""
    if a >= 0:
        return arange_view(b)[a:]
    return np.arange(a, b, dtype=np.int64)


def with_bases(ctx: Context, bases) -> Context:
    return replace(ctx, base_lrs=tuple(float(b) for b in bases))


# ----------------------------------------------------------------------------------------- leaves
class Leaf:
    """One torch scheduler object; its kind's hooks say how it changes the lr (torch's LRScheduler:
    last_epoch counts step() calls, 0 after the constructor)."""

    metric_driven = False  # step(metric): ReduceLROnPlateau

    def __init__(self, bound: Bound, ctx: Context, path: str):
        self.bound = bound
        self.kind = bound.kind
        self.args = bound.args
        self.ctx = ctx
        self.path = path
        self.counter = -1  # torch's last_epoch

    @property
    def name(self) -> str:
        return self.kind.name

    # -- construction ---------------------------------------------------------------------------------
    def construct(self, st: GroupState) -> None:
        self.kind.construct(self.args, st, self.ctx)
        st.setdefault_initial_lr()
        self.ctx = with_bases(self.ctx, st.initial_lr)
        self.constructor_step(st)

    def constructor_step(self, st: GroupState) -> None:
        """The step LRScheduler.__init__ makes (`_initial_step()`)."""
        self.bind(st)
        self.counter += 1
        st.apply(self.kind.constructor_ops(self.args, self.ctx, self.counter))

    def initial_step(self, st: GroupState) -> None:
        """LRScheduler._initial_step(): a step() in initial mode."""
        self.bind(st)
        self.counter += 1
        st.apply(self.kind.initial_ops(self.args, self.ctx, self.counter))

    def undo(self) -> None:
        """SequentialLR's recursive_undo."""
        self.counter -= 1

    def bind(self, st: GroupState) -> None:
        """What the object reads from the groups (as they are now: a later constructor may overwrite them)."""
        self.args = self.kind.bind(self.bound.args, st)

    # -- steps ------------------------------------------------------------------------------------------
    def reset(self) -> Ops:
        """SequentialLR's `_update_lr(0)`."""
        self.counter = 0
        return self.kind.reset_ops(self.args, self.ctx)

    def take(self, n: int) -> np.ndarray:
        """The last_epoch values of the next n step() calls (and advance)."""
        first = self.kind.next_counter(self.counter)
        self.counter = first + n - 1
        if first < 0:
            raise SpecError(
                f"{self.path}: this nesting steps {self.name} at a negative step count, which is not previewed",
                field=self.path,
            )
        return int_range(first, first + n)

    def ops(self, counters: np.ndarray, calls: np.ndarray | None = None) -> Ops:
        """The updates of the step() calls reaching these counters (`calls`: the call indices, for
        metric-driven leaves)."""
        return self.kind.step_ops(self.args, self.ctx, counters)

    def replay(self, counters: np.ndarray, calls: np.ndarray | None, x0: np.ndarray, out: np.ndarray) -> None:
        """These calls alone, from lrs x0: the kind's exact replay (fast path of ops + ops.replay)."""
        self.kind.replay(self.args, self.ctx, counters, x0, out)

    def acting(self, counters: np.ndarray) -> np.ndarray:
        """Whether each of these calls may change the lr (LinearLR past total_iters leaves it alone)."""
        mask = self.kind.acting(self.args, self.ctx, counters)
        return np.ones(np.size(counters), dtype=bool) if mask is None else mask

    def momentum(self, counters: np.ndarray) -> np.ndarray | None:
        """Momentum written by the calls reaching these counters (None: the kind leaves it alone)."""
        if not self.kind.drives_momentum_for(self.args):
            return None
        return self.kind.step_ops(self.args, self.ctx, counters).momentum


class StepCountLeaf(Leaf):
    """A scheduler whose get_lr reads `_step_count - 1` instead of last_epoch (SWALR): SequentialLR's undo
    leaves it alone, `_initial_step()` restarts it at 0, and `_update_lr(0)` recomputes the current step."""

    def undo(self) -> None:
        pass

    def initial_step(self, st: GroupState) -> None:
        self.bind(st)
        self.counter = 0
        st.apply(self.kind.initial_ops(self.args, self.ctx, 0))

    def reset(self) -> Ops:
        return self.kind.step_ops(self.args, self.ctx, np.asarray([max(self.counter, 0)], dtype=np.int64))


class CallCountLeaf(Leaf):
    """A scheduler whose get_lr counts its own calls (the seed's WarmupCosineLR: `self.cur`): every
    initial step, step and reset evaluates it at the next count; SequentialLR's undo does not touch it."""

    def undo(self) -> None:
        pass

    def initial_step(self, st: GroupState) -> None:
        self.bind(st)
        self.counter += 1
        st.apply(self.kind.step_ops(self.args, self.ctx, np.asarray([self.counter], dtype=np.int64)))

    def reset(self) -> Ops:
        self.counter += 1
        return self.kind.step_ops(self.args, self.ctx, np.asarray([self.counter], dtype=np.int64))


class ReduceOnPlateauLeaf(Leaf):
    """ReduceLROnPlateau: no LRScheduler constructor (no initial_lr, no initial step); step(metric)."""

    metric_driven = True

    def __init__(self, bound, ctx, path):
        super().__init__(bound, ctx, path)
        self.calls = 0
        self.metric: np.ndarray | None = None

    def construct(self, st: GroupState) -> None:
        self.counter = 0

    def initial_step(self, st: GroupState) -> None:  # pragma: no cover - composites refuse it
        raise SpecError(f"{self.path}: ReduceLROnPlateau needs a metric", field=self.path)

    def take(self, n: int) -> np.ndarray:
        first = self.calls
        self.calls += n
        self.counter += n
        return int_range(first, first + n)

    def ops(self, counters, calls=None):
        return self.kind.metric_ops(self.args, self.ctx, counters)

    def replay(self, counters, calls, x0, out):
        self.kind.metric_replay(self.args, self.ctx, counters, x0, out)

    def momentum(self, counters):
        return None


# ----------------------------------------------------------------------------------------- nodes
@dataclass
class Call:
    """A node called at the outer steps `positions` (sorted; 0 = the first step() after construction)."""

    leaf: Leaf
    positions: np.ndarray
    counters: np.ndarray
    reset_first: bool
    order: int  # routing order: within an outer step, calls happen in this order
    reset_ops: Ops | None = None  # the `_update_lr(0)` of a reset call


class Node:
    path: str
    children: list

    def leaves(self) -> list[Leaf]:
        out: list[Leaf] = []
        for c in self.children:
            out.extend(c.leaves() if isinstance(c, Node) else [c])
        return out

    def step_once(self, prog: Program) -> None:
        """One step() call now (python), during construction (an outer SequentialLR's initial step)."""
        calls: list[Call] = []
        self.route(prog, np.zeros(1, dtype=np.int64), False, calls)
        for call in calls:  # every call is at position 0, in order
            if call.reset_first:
                prog.st.apply(call.reset_ops)
            else:
                ops = call.leaf.ops(call.counters)
                prog.st.apply(ops)

    def route(self, prog: Program, positions: np.ndarray, reset_first: bool, out: list[Call]) -> None:
        raise NotImplementedError


def _route(prog: Program, node, positions: np.ndarray, reset_first: bool, out: list[Call]) -> None:
    if positions.size == 0:
        return
    if isinstance(node, Node):
        if reset_first:  # check() refuses these specs: torch raises NotImplementedError
            raise SpecError(f"{node.path}: torch raises NotImplementedError here", field=node.path)
        node.route(prog, positions, reset_first, out)
        return
    leaf: Leaf = node
    leaf.bind(prog.st)  # what it reads from the groups now (construction may still be going on)
    if reset_first:
        ops0 = leaf.reset()
        out.append(Call(leaf, positions[:1], np.zeros(1, dtype=np.int64), True, len(out), ops0))
        positions = positions[1:]
        if positions.size == 0:
            return
    counters = leaf.take(positions.size)
    out.append(Call(leaf, positions, counters, False, len(out)))


class SequentialNode(Node):
    def __init__(self, children: list, milestones: tuple[int, ...], path: str):
        self.children = children
        self.milestones = milestones
        self.path = path
        self.e = 0  # its own last_epoch

    @classmethod
    def construct(cls, prog: Program, bound: Bound, path: str) -> SequentialNode:
        kids = prog.construct_children(bound, path)
        node = cls(kids, tuple(bound.args["milestones"]), path)
        st = prog.st
        st.setdefault_initial_lr()
        st.x = st.initial_lr.copy()  # reset the lrs to initial_lr
        for leaf in node.leaves():  # recursive_undo
            leaf.undo()
        child = kids[int(bisect_right_each(node.milestones, np.zeros(1))[0])]
        if isinstance(child, Node):
            child.step_once(prog)
        else:
            child.initial_step(st)
        return node

    def route(self, prog, positions, reset_first, out):
        if all(p <= q for p, q in itertools.pairwise(self.milestones)):
            self._route_sorted(prog, positions, out)
        else:
            self._route_each(prog, positions, out)

    def _route_each(self, prog, positions, out):
        """route() counter by counter (any milestones, as torch's bisect sees them)."""
        ms = self.milestones
        e = self.e + 1 + np.arange(positions.size)  # its counter at each call
        # torch: idx = bisect_right(milestones, e); `_update_lr(0)` when milestones[idx - 1] == e (torch does
        # not require sorted milestones: bisect's own answer on the list as given)
        idx = bisect_right_each(ms, e)
        arr = np.asarray(ms, dtype=np.int64)
        reset = (idx > 0) & (arr[np.maximum(idx - 1, 0)] == e) if arr.size else np.zeros(e.size, dtype=bool)
        cuts = np.flatnonzero((idx[1:] != idx[:-1]) | reset[1:]) + 1
        for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), e.size]):
            _route(prog, self.children[int(idx[lo])], positions[lo:hi], bool(reset[lo]), out)
        self.e += positions.size

    def _route_sorted(self, prog, positions, out):
        """route() for non-decreasing milestones, in O(milestones): the counters are consecutive, the child
        changes (with a reset) exactly where the counter reaches a milestone."""
        ms, first, n = self.milestones, self.e + 1, positions.size
        cuts = sorted({0, *(m - first for m in ms if first < m < first + n)})
        for lo, hi in zip(cuts, [*cuts[1:], n]):
            idx = bisect.bisect_right(ms, first + lo)
            reset = idx > 0 and ms[idx - 1] == first + lo
            _route(prog, self.children[idx], positions[lo:hi], reset, out)
        self.e += n


class ChainedNode(Node):
    def __init__(self, children: list, path: str):
        self.children = children
        self.path = path

    @classmethod
    def construct(cls, prog: Program, bound: Bound, path: str) -> ChainedNode:
        kids = prog.construct_children(bound, path)
        return cls(kids, path)

    def route(self, prog, positions, reset_first, out):
        for c in self.children:
            _route(prog, c, positions, False, out)


class SwitchNode(Node):
    """SwitchLR: step() goes to one scheduler, chosen by the call count (no reset at the switch)."""

    def __init__(self, children: list, milestones: tuple[int, ...], path: str):
        self.children = children
        self.milestones = milestones
        self.path = path
        self.e = 0

    @classmethod
    def construct(cls, prog: Program, bound: Bound, path: str) -> SwitchNode:
        kids = prog.construct_children(bound, path)
        return cls(kids, tuple(bound.args["milestones"]), path)

    def route(self, prog, positions, reset_first, out):
        e = self.e + 1 + np.arange(positions.size)
        idx = np.searchsorted(np.asarray(self.milestones, dtype=np.int64), e, side="right")
        for j, child in enumerate(self.children):
            _route(prog, child, positions[idx == j], False, out)
        self.e += positions.size


class CompoundNode(Node):
    """Compound: several schedulers stepped in the same loop, in order; 'epoch' ones at epoch ends."""

    def __init__(self, children: list, every: tuple[str, ...], path: str):
        self.children = children
        self.every = every
        self.path = path
        self.calls = 0

    @classmethod
    def construct(cls, prog: Program, bound: Bound, path: str) -> CompoundNode:
        kids = prog.construct_children(bound, path)
        every = bound.args.get("every") or ("step",) * len(kids)
        return cls(kids, tuple(every), path)

    def route(self, prog, positions, reset_first, out):
        spe = prog.ctx.steps_per_epoch if prog.ctx.stepping == "step" else 1
        # the loop's step count at each call is self.calls + 1, + 2, ...: an epoch ends where spe divides it
        at_epoch_end = slice(None) if spe == 1 else (self.calls + 1 + np.arange(positions.size)) % spe == 0
        # per-step schedulers first (in order), then the epoch-end ones, as in a loop whose epoch-end
        # code follows the batch loop
        for unit in ("step", "epoch"):
            for child, every in zip(self.children, self.every):
                if every != unit:
                    continue
                _route(prog, child, positions if unit == "step" else positions[at_epoch_end], False, out)
        self.calls += positions.size


def bisect_right_each(a: tuple, x: np.ndarray) -> np.ndarray:
    """bisect.bisect_right(a, v) for every v in x, step for step (an unsorted `a` gives bisect's answer)."""
    x = np.asarray(x)
    if all(p <= q for p, q in itertools.pairwise(a)):
        return np.searchsorted(np.asarray(a, dtype=np.float64), x, side="right").astype(np.int64)
    lo = np.zeros(x.shape, dtype=np.int64)
    hi = np.full(x.shape, len(a), dtype=np.int64)
    arr = np.asarray(a, dtype=np.float64)
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        below = x < arr[np.minimum(mid, len(arr) - 1)]
        hi = np.where(active & below, mid, hi)
        lo = np.where(active & ~below, mid + 1, lo)


# ----------------------------------------------------------------------------------------- the program
class Program:
    """Simulates torch's objects for one spec tree: construction now, then `run(n)`."""

    def __init__(self, bound: Bound, ctx: Context):
        self.ctx = ctx
        self.g = ctx.n_groups
        self.st = GroupState.fresh(ctx)
        self.all_leaves: list[Leaf] = []
        self.root = self.construct(bound, bound.kind.name)

    def construct_children(self, bound: Bound, path: str) -> list:
        """A node's schedulers, built in order on the optimizer (each constructor with its side effects)."""
        return [self.construct(c, f"{path}.schedulers[{i}]") for i, c in enumerate(bound.args["schedulers"])]

    def construct(self, bound: Bound, path: str):
        node_class = bound.kind.node_class
        if node_class is not None:
            return node_class.construct(self, bound, path)
        leaf = bound.kind.leaf(bound, self.ctx, path)
        self.all_leaves.append(leaf)
        leaf.construct(self.st)
        return leaf

    def run(self, n: int) -> tuple[np.ndarray, np.ndarray | None, str]:
        """lr (groups, n) after 0..n-1 outer steps, the momentum (or None), and its name."""
        g, m = self.g, max(n - 1, 0)
        lr = np.empty((g, n))
        if n == 0:
            return lr, None, self.st.momentum_name
        lr[:, 0] = self.st.x
        calls: list[Call] = []
        if m:
            _route(self, self.root, int_range(0, m), False, calls)
        body = lr[:, 1:]
        _replay_calls(calls, self.st.x, body, g, m)
        mom = self._momentum(calls, n)
        return lr, mom, self.st.momentum_name

    def _momentum(self, calls: list[Call], n: int) -> np.ndarray | None:
        writes = []
        for call in calls:
            if call.reset_first:  # `_update_lr(0)` runs get_lr(), which writes the momentum too
                vals = None if call.reset_ops is None else call.reset_ops.momentum
            else:
                vals = call.leaf.momentum(call.counters)
            if vals is not None:
                writes.append(
                    (call.order, call.positions, np.broadcast_to(vals, (self.g, call.positions.size)))
                )
        if not writes and not self.st.drives_momentum:
            return None
        if self.st.momentum is None:
            return None
        mom = np.empty((self.g, n))
        mom[:, 0] = self.st.momentum
        body = mom[:, 1:]
        body[:] = np.nan
        written = np.zeros(n - 1, dtype=bool)
        for _, pos, vals in sorted(writes, key=lambda w: w[0]):  # within a step, the later call wins
            wrote = ~np.isnan(vals[0])  # NaN: this call left the momentum alone
            body[:, pos[wrote]] = vals[:, wrote]
            written[pos[wrote]] = True
        if n > 1:
            last = np.where(written, np.arange(n - 1), -1)
            np.maximum.accumulate(last, out=last)
            body[:] = np.where(last[None, :] >= 0, body[:, np.maximum(last, 0)], self.st.momentum[:, None])
        return mom


SOLO_MIN = 64  # a stretch where one call alone changes the lr replays with its kind's own replay from here


def _replay_calls(calls: list[Call], x0: np.ndarray, out: np.ndarray, g: int, m: int) -> None:
    """Replay the routed calls over outer steps 0..m-1 into out (groups, m), exactly.

    Where a single call changes the lr over a long stretch (the others, if any, leave it alone there:
    Compound's LinearLR past its warmup), that call replays the stretch alone with its kind's fast
    replay; the rest interleaves every call's updates in call order (`_replay_mixed`)."""
    if m == 0:
        return
    solo = _solo_disjoint(calls)
    if solo is None:
        solo = _solo_stretches(calls, m)
    x = np.asarray(x0, dtype=np.float64).copy()
    pos = 0
    for s, e, i in solo:
        if s > pos:
            _replay_mixed(calls, pos, s, x, out, g)
            x = out[:, s - 1].copy()
        call = calls[i]
        j0, j1 = np.searchsorted(call.positions, (s, e))
        call.leaf.replay(call.counters[j0:j1], None, x, out[:, s:e])
        x = out[:, e - 1].copy()
        pos = e
    if pos < m:
        _replay_mixed(calls, pos, m, x, out, g)


def _solo_disjoint(calls: list[Call]) -> list[tuple[int, int, int]] | None:
    """_solo_stretches where every call steps a range of outer steps of its own (SequentialLR, SwitchLR:
    the usual case), in O(calls) instead of arrays over every step; None when the calls overlap."""
    spans = []
    for i, call in enumerate(calls):
        if call.positions.size == 0:
            continue
        span = _span(call.positions)
        if span is None:
            return None
        spans.append((span.start, span.stop, i))
    spans.sort()
    if any(b[0] < a[1] for a, b in itertools.pairwise(spans)):
        return None
    # a reset (`_update_lr(0)`) is replayed in the interleaved stream
    return [(s, e, i) for s, e, i in spans if not calls[i].reset_first and e - s >= SOLO_MIN]


def _solo_stretches(calls: list[Call], m: int) -> list[tuple[int, int, int]]:
    """(start, end, call index) of the stretches of at least SOLO_MIN outer steps where one call alone
    changes the lr, in order."""
    small = np.int8 if len(calls) < 60 else np.int32  # a quarter of the memory to touch
    count = np.zeros(m, dtype=small)  # calls that step at each outer step
    for call in calls:
        _at(call.positions, count, 1)
    owner = np.full(m, -1, dtype=small)  # the one call that changes the lr there, else -1
    acting = np.zeros(m, dtype=small)
    for i, call in enumerate(calls):
        p = call.positions
        if p.size == 0:
            continue
        if call.reset_first:  # `_update_lr(0)`: replayed in the interleaved stream
            acting[p] += 2
            continue
        span = _span(p)
        shared = (count[span] > 1).any() if span is not None else (count[p] > 1).any()
        if shared:  # only the calls that change the lr count
            p = p[call.leaf.acting(call.counters)]
            span = _span(p)
        _at(p, acting, 1, span)
        if span is not None:
            owner[span] = i
        else:
            owner[p] = i
    owner[acting != 1] = -1
    cuts = np.flatnonzero(owner[1:] != owner[:-1]) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [m]])
    keep = (owner[starts] >= 0) & (ends - starts >= SOLO_MIN)
    return [(s, e, int(owner[s])) for s, e in zip(starts[keep].tolist(), ends[keep].tolist())]


def _span(p: np.ndarray) -> slice | None:
    """p (sorted, distinct) as a slice when it is a contiguous range (the usual case: cheap to index)."""
    if p.size and int(p[-1]) - int(p[0]) + 1 == p.size:
        return slice(int(p[0]), int(p[-1]) + 1)
    return None


def _at(p: np.ndarray, arr: np.ndarray, v: int, span: slice | None = None) -> None:
    """arr[p] += v for distinct positions p."""
    span = _span(p) if span is None else span
    if span is not None:
        arr[span] += v
    elif p.size:
        arr[p] += v


def _replay_mixed(calls: list[Call], lo: int, hi: int, x0: np.ndarray, out: np.ndarray, g: int) -> None:
    """Outer steps lo..hi-1 where zero or several calls act: their updates interleaved in call order."""
    parts = []  # (position, order, Ops of that call's slice)
    for call in calls:
        p = call.positions
        i0, i1 = np.searchsorted(p, lo), np.searchsorted(p, hi)
        if i1 <= i0:
            continue
        if call.reset_first:
            parts.append((p[i0:i1], call.order, call.reset_ops))
            continue
        ops = call.leaf.ops(call.counters[i0:i1])
        parts.append((p[i0:i1], call.order, ops))
    if not parts:
        out[:, lo:hi] = x0[:, None]
        return
    # micro-updates sorted by (outer step, call order)
    keys = np.concatenate([pos * 4096 + order for pos, order, _ in parts])
    sizes = [pos.size for pos, _, _ in parts]
    order = np.argsort(keys, kind="stable")
    stream = _concat_ops([o for _, _, o in parts], sizes, order, g)
    vals = replay(stream, x0)
    steps = np.concatenate([pos for pos, _, _ in parts])[order]
    # x after the last update of each outer step; steps without updates keep the previous value
    last = np.full(hi - lo, -1, dtype=np.int64)
    last[steps - lo] = np.arange(steps.size)
    np.maximum.accumulate(last, out=last)
    out[:, lo:hi] = np.where(last[None, :] >= 0, vals[:, np.maximum(last, 0)], x0[:, None])


def _concat_ops(parts: list[Ops], sizes: list[int], order: np.ndarray, g: int) -> Ops:
    """The updates of several Ops, concatenated, then permuted by `order`."""
    total = sum(sizes)

    def cat(name: str, neutral: float):
        if all(getattr(p, name) is None for p in parts):
            return None
        return np.concatenate(
            [
                np.full((g, p.n), neutral) if getattr(p, name) is None else p.field_rows(name, g)
                for p in parts
            ],
            axis=1,
        )[:, order]

    fixed = fixed_at = None
    if any(p.fixed is not None for p in parts):
        fixed = np.concatenate(
            [
                np.zeros((g, p.n))
                if p.fixed is None
                else np.broadcast_to(np.asarray(p.fixed, dtype=np.float64), (g, p.n))
                for p in parts
            ],
            axis=1,
        )[:, order]
        fixed_at = np.concatenate(
            [np.zeros(p.n, dtype=bool) if p.fixed is None else p.fixed_mask() for p in parts]
        )[order]
    inverse = np.empty(total, dtype=np.int64)
    inverse[order] = np.arange(total)
    events = {}
    offset = 0
    for p in parts:
        for k, f in p.events.items():
            events[int(inverse[offset + k])] = f
        offset += p.n
    return Ops(total, cat("a", 1.0), cat("c", 0.0), cat("q", 1.0), cat("d", 0.0), fixed, fixed_at, events)


__all__ = [
    "Call",
    "CallCountLeaf",
    "ChainedNode",
    "CompoundNode",
    "GroupState",
    "Leaf",
    "Program",
    "ReduceOnPlateauLeaf",
    "SequentialNode",
    "StepCountLeaf",
    "SwitchNode",
]
