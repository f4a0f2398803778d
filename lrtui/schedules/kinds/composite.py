"""torch's SequentialLR and ChainedScheduler, and the loop patterns SwitchLR and Compound.

All four are replayed by `lrtui.schedules.program` (torch's objects simulated on one optimizer: what the
constructors do, SequentialLR's undo and `_update_lr(0)` resets, the order of the steps; read from torch
2.14 `torch/optim/lr_scheduler.py`). What differs between them is only how step() calls are routed:

- SequentialLR([a, b], milestones=[m]): a until its counter e reaches m, then b — at e = m reset to its
  own step 0 (closed form from the initial lr, not from where a ended), then b.step().
- ChainedScheduler([a, b]): every step() calls a.step() then b.step(); the updates compose.
- SwitchLR([a, b], milestones=[m]) — the loop `if step >= m: b.step() else: a.step()` (the SWA pattern:
  `SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05)], milestones=[76])`): every scheduler
  built up front on the optimizer, and b takes over the m-th step() call with a plain step() from the lr a
  left (SWALR anneals from it); no reset, unlike SequentialLR.
- Compound([a, b], every=[...]) — several schedulers stepped in one loop in the stated order, as torch's
  own tests do (`StepLR` and `ReduceLROnPlateau` stepped every epoch, a warmup every batch with a plateau
  on the epoch's metric): 'step' children at each scheduler step in list order, then 'epoch' children at
  each epoch end; ReduceLROnPlateau children get the metric (its j-th call: Context.metric[j]).
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right

import numpy as np

from lrtui.schedules.catalogue import Bound, Kind, Marker, Values, register
from lrtui.schedules.errors import SpecError
from lrtui.schedules.kinds._torch_common import LAST_EPOCH, every_step, int_steps
from lrtui.schedules.params import Param
from lrtui.schedules.program import ChainedNode, CompoundNode, Program, SequentialNode, SwitchNode

MAX_MARKERS = 200
UNITS = ("step", "epoch")


class _Tree(Kind):
    """A node of several schedulers, replayed by lrtui.schedules.program."""

    library = "torch"
    positional = ("schedulers",)  # printed as people write it: SequentialLR([...], milestones=[5])
    children_in_turn = False  # SequentialLR and SwitchLR run one child at a time; the others all together

    def values(self, args, ctx, k):
        ki = np.asarray(k)
        if ki.size == 0:
            return Values(np.empty((ctx.n_groups, 0)))
        ki = int_steps(ki).reshape(-1)  # negative steps: 0
        every = every_step(ki)
        n = every or int(ki.max()) + 1
        prog = Program(Bound(self, args, None), ctx)  # type: ignore[arg-type]
        lr, mom, name = prog.run(n)
        if every is None:
            lr = lr[:, ki]
            mom = None if mom is None else mom[:, ki]
        return Values(lr, mom, name)

    def check(self, args, ctx, where):
        if ctx.stepping == "fractional":
            raise SpecError.bad_value(
                "stepping",
                "fractional",
                f"'step' or 'epoch' for {self.name}: its step() takes no epoch argument",
            )
        _check_children(self, args, where)

    def child_error(self, args):
        return None


def _walk(bound: Bound, where: str):
    yield bound, where
    if isinstance(bound.kind, _Tree):
        for i, c in enumerate(bound.args["schedulers"]):
            yield from _walk(c, f"{where}.schedulers[{i}]")


def _check_children(kind: _Tree, args, where: str) -> None:
    """What torch (or the training loop) accepts as children, refused early where it raises later."""
    for i, child in enumerate(args["schedulers"]):
        path = f"{where}.schedulers[{i}]"
        ck = child.kind
        if isinstance(ck, _Tree):
            if isinstance(ck, Compound) and "epoch" in (child.args.get("every") or ()):
                raise SpecError.bad_value(
                    f"{path}.every",
                    list(child.args["every"]),
                    "'step' units only: the epoch ends belong to the outermost loop (a top-level Compound)",
                )
            if ck.loop_pattern and not kind.loop_pattern:
                raise SpecError(
                    f"{path}: {ck.name} is a pattern of the training loop, not a scheduler object that "
                    f"{kind.name} could step; put {kind.name} inside it instead",
                    field=path,
                    value=ck.name,
                    allowed="a scheduler (SwitchLR and Compound may hold SequentialLR/ChainedScheduler)",
                )
            continue
        metric = ck.metric_driven
        if metric and not kind.loop_pattern:
            raise SpecError(
                f"{path}: {kind.name} does not accept ReduceLROnPlateau (its step() needs a metric; torch "
                "raises ValueError) — step it next to the others with Compound([...])",
                field=path,
                value=ck.name,
                allowed="a scheduler other than ReduceLROnPlateau",
            )
        why = ck.child_error(child.args)
        if why is not None:
            raise SpecError(
                f"{path}: {ck.name} ({ck.library}) {why}",
                field=path,
                value=ck.name,
                allowed="a torch LRScheduler: torch schedulers, transformers' get_* schedules, SWALR, "
                "the seed articles' classes, GradualWarmupScheduler",
            )


class _Composite(_Tree):
    """A torch composite: the first kind of node a SequentialLR/ChainedScheduler may hold."""


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
    node_class = SequentialNode
    children_in_turn = True
    params = (
        Param(
            "schedulers",
            "schedule_list",
            help="The schedulers, in order (built in this order).",
            min_items=1,
            source="lr_scheduler.SequentialLR.__init__: at least one (ValueError), each with an `optimizer`, "
            "the same one, not ReduceLROnPlateau",
        ),
        Param(
            "milestones",
            "int_list",
            help="Steps at which the next scheduler takes over (one fewer than schedulers).",
            lo=-(10**15),
            hi=10**15,
            source="lr_scheduler.SequentialLR.__init__: `len(milestones) != len(schedulers) - 1` raises "
            "ValueError; values and order unchecked (bisect_right on the list as given)",
        ),
        LAST_EPOCH,
    )

    def check(self, args, ctx, where):
        _check_milestones(args, where, None)
        super().check(args, ctx, where)
        _check_milestone_targets(Bound(self, args, None), where)  # type: ignore[arg-type]

    def stated_length(self, args, ctx):
        # the last schedule starts at the last milestone and runs its own stated length
        ms, last = args["milestones"], args["schedulers"][-1].stated_length(ctx)
        return None if last is None else int(ms[-1] if ms else 0) + last

    def markers(self, args, ctx):
        return _handover_markers(args, ctx)

    def child_spans(self, args, start, end, ctx):
        return _milestone_spans(args, start, end)

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint

        yield from _milestone_lints(node, doc, restarts=True)
        ms = list(node.args["milestones"])
        if ms != sorted(ms):
            yield Lint(
                "milestones_unsorted",
                "warning",
                f"milestones={ms} are not sorted: torch bisects the list as given, so schedulers run in an "
                "unexpected order (some never, some twice)",
                f"use milestones={sorted(ms)}",
                f"{node.path}.milestones",
            )


def _milestone_spans(args, start, end):
    ms = list(args.get("milestones") or ())
    bounds = [start, *[start + m for m in ms], end]
    for i, c in enumerate(args["schedulers"]):
        s = bounds[i] if i < len(bounds) else end
        e = bounds[i + 1] if i + 1 < len(bounds) else end
        yield f".schedulers[{i}]", c, s, min(e, end)


def _milestone_lints(node, doc, restarts: bool):
    """The lr at each hand-over: a jump the previous schedule's length explains, or one it does not."""
    from lrtui.schedules.lint import Lint, fmt

    children = node.args.get("schedulers") or ()
    for i, m in enumerate(node.args.get("milestones") or ()):
        at = node.start + m
        if at >= doc.horizon or i + 1 >= len(children) or at <= 0:
            continue
        s = doc.opt_step(at)
        before, after = doc.lr[max(s - 1, 0)], doc.lr[s]
        prev, nxt = children[i], children[i + 1]
        length = prev.kind.natural_length(prev.args)
        mismatch = restarts and length is not None and length != m
        ratio = after / before if before > 0 else math.inf
        step_before = (
            doc.lr[max(s - 1, 0)] / doc.lr[max(s - 2, 0)] if s >= 2 and doc.lr[max(s - 2, 0)] > 0 else 1
        )
        big = (
            abs(math.log(ratio)) > max(math.log(1.1), 3 * abs(math.log(step_before)))
            if 0 < ratio < math.inf
            else before != after
        )
        where = f"{node.path}.milestones[{i}]"
        if mismatch:
            yield Lint(
                "milestone_mismatch",
                "warning",
                f"milestone {m} ≠ {prev.kind.name}'s length {length}: at step {s} the lr jumps from "
                f"{fmt(before)} to {fmt(after)} (×{fmt(ratio)})",
                f"use milestones[{i}]={length}",
                where,
                s,
            )
        elif big and restarts:
            yield Lint(
                "milestone_jump",
                "warning",
                f"at milestone {m} (step {s}) the lr jumps from {fmt(before)} to {fmt(after)} "
                f"(×{fmt(ratio)}): SequentialLR starts the next schedule from its own step 0",
                "make the previous schedule end where the next one starts (same lr), or move the milestone",
                where,
                s,
            )
        elif big:
            what = (
                "it sets the lr from its own formula"
                if nxt.kind.sets_lr(nxt.args)
                else "its first step() is not its step 0 (it was built before the loop and counts its own steps)"
            )
            yield Lint(
                "switch_jump",
                "warning",
                f"at the switch to {nxt.kind.name} (step {s}) the lr jumps from {fmt(before)} to {fmt(after)} "
                f"(×{fmt(ratio)}): {what}",
                "pick a next scheduler that continues from the current lr (SWALR, a chainable decay), or "
                "move the milestone",
                where,
                s,
            )


def _check_milestones(args, where: str, why: str | None) -> None:
    """One fewer milestones than schedulers; non-decreasing when `why` says the order matters."""
    n, ms = len(args["schedulers"]), tuple(args["milestones"])
    if len(ms) != n - 1:
        raise SpecError.bad_value(
            f"{where}.milestones", list(ms), f"a list of {n - 1} step(s): one fewer than schedulers ({n})"
        )
    if why is not None and any(b < a for a, b in itertools.pairwise(ms)):
        raise SpecError.bad_value(f"{where}.milestones", list(ms), f"non-decreasing ({why})")


def _handover_markers(args, ctx) -> list[Marker]:
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
        and kids[0].kind.warmup_length(kids[0].args) is not None
        and not any(m.kind == "warmup_end" for m in out)
    ):
        out.append(Marker(float(ms[0]), "warmup_end", "warmup end"))
    out.sort(key=lambda m: m.step)
    return out[:MAX_MARKERS]


def _check_milestone_targets(bound: Bound, where: str) -> None:
    """A nested composite reached at a milestone makes torch raise NotImplementedError (`_update_lr(0)`
    calls its get_lr(), which torch's composites do not implement)."""
    if isinstance(bound.kind, SequentialLR):
        ms = tuple(bound.args["milestones"])
        for i, c in enumerate(bound.args["schedulers"]):
            why = None if isinstance(c.kind, _Tree) else c.kind.reset_error(c.args)
            if i > 0 and why is not None and ms[i - 1] > 0 and bisect_right(ms, ms[i - 1]) == i:
                raise SpecError(
                    f"{where}.schedulers[{i}]: SequentialLR resets {c.kind.name} at milestone {ms[i - 1]} "
                    f"(`_update_lr(0)`) and {why}",
                    field=f"{where}.schedulers[{i}]",
                    value=c.kind.name,
                    allowed="a configuration whose closed form is defined at 0",
                )
            if i > 0 and isinstance(c.kind, _Tree):
                m = ms[i - 1]
                if m > 0 and bisect_right(ms, m) == i:
                    raise SpecError(
                        f"{where}.schedulers[{i}]: torch raises NotImplementedError when "
                        f"SequentialLR reaches milestone {m} and calls _update_lr(0) on a "
                        f"{c.kind.name}",
                        field=f"{where}.schedulers[{i}]",
                        value=c.kind.name,
                        allowed="a plain scheduler after the first position of a SequentialLR",
                    )
    if isinstance(bound.kind, _Tree):
        for i, c in enumerate(bound.args["schedulers"]):
            _check_milestone_targets(c, f"{where}.schedulers[{i}]")


@register
class ChainedScheduler(_Composite):
    name = "ChainedScheduler"
    summary = (
        "Step every scheduler at every step: their recursive updates compose (multiply), e.g. a "
        "warmup factor on top of a decay."
    )
    example = "ChainedScheduler([ConstantLR(factor=0.1, total_iters=2), ExponentialLR(gamma=0.9)])"
    node_class = ChainedNode
    optimizer_keyword = True  # ChainedScheduler(schedulers, optimizer=None): the optimizer comes last
    params = (
        Param(
            "schedulers",
            "schedule_list",
            help="The schedulers, stepped in this order (torch 2.14's optimizer argument is optional "
            "and must be theirs: a pasted optimizer=... is dropped).",
            min_items=1,
            source="lr_scheduler.ChainedScheduler.__init__: at least one (ValueError), each with an "
            "`optimizer`, the same one, not ReduceLROnPlateau",
        ),
    )

    def stated_length(self, args, ctx):
        lengths = [c.stated_length(ctx) for c in args["schedulers"]]
        return max((n for n in lengths if n is not None), default=None)

    def markers(self, args, ctx):
        out = [mk for child in args["schedulers"] for mk in child.markers(ctx)]
        out.sort(key=lambda m: m.step)
        return out[:MAX_MARKERS]

    def lints(self, node, doc):
        yield from _order_lints(node, [list(enumerate(node.args["schedulers"]))])


def _order_lints(node, groups):
    """Schedulers stepped in the same calls, in order: one that sets the lr from its own formula
    overwrites whatever the ones stepped before it did, and whatever is stepped after it applies once
    per step on top of its value (never compounding)."""
    from lrtui.schedules.lint import Lint

    for kids in groups:
        setters = [i for i, (_, b) in enumerate(kids) if b.kind.sets_lr(b.args)]
        if not setters:
            continue
        last = setters[-1]
        setter = kids[last][1].kind.name
        for pos, (i, b) in enumerate(kids):
            path = f"{node.path}.schedulers[{i}]"
            if pos < last:
                plateau = b.kind.metric_driven
                yield Lint(
                    "overwritten_each_step",
                    "warning",
                    f"{b.kind.name} is stepped before {setter}, which sets the lr from its own formula at "
                    f"every step: {b.kind.name}'s {'reductions are' if plateau else 'changes are'} overwritten "
                    "and never reach the optimizer",
                    f"step {b.kind.name} after {setter} (its change then applies on top), or run them one "
                    "after the other (SequentialLR / SwitchLR)",
                    path,
                )
            elif pos > last and b.kind.metric_driven:
                yield Lint(
                    "reduction_undone",
                    "warning",
                    f"{b.kind.name} is stepped after {setter}, which sets the lr from its own formula at every "
                    f"step: each reduction lasts until {setter}'s next step() and is then overwritten (it never "
                    "accumulates)",
                    f"fold the reduction into {setter}'s formula, or use a recursive scheduler instead of "
                    f"{setter} (their updates compose with the plateau's)",
                    path,
                )
            elif pos > last:
                yield Lint(
                    "no_compounding",
                    "info",
                    f"{b.kind.name} is stepped after {setter}, which resets the lr from its own formula at every "
                    f"step: {b.kind.name}'s update applies once, on top of each value, and does not compound "
                    "over steps",
                    f"if the decay should accumulate, fold it into {setter}'s formula",
                    path,
                )


# ----------------------------------------------------------------------------------------- loop patterns
class _LoopPattern(_Tree):
    library = "loop"
    loop_pattern = True

    def metric_per_step(self, args):
        kids = args["schedulers"]
        every = args.get("every") or ("step",) * len(kids)
        return any(e == "step" and c.kind.metric_per_step(c.args) for c, e in zip(kids, every))


@register
class SwitchLR(_LoopPattern):
    name = "SwitchLR"
    summary = (
        "The SWA pattern: step one scheduler until a milestone, then another, in your loop "
        "(`if step >= m: swa_scheduler.step() else: scheduler.step()`); all built up front, and the next "
        "one continues from the current lr (no reset, unlike SequentialLR)."
    )
    example = "SwitchLR([CosineAnnealingLR(T_max=100), SWALR(swa_lr=0.05, anneal_epochs=5)], milestones=[76])"
    node_class = SwitchNode
    children_in_turn = True
    one_at_a_time = True  # the loop steps one of its schedulers per call
    params = (
        Param(
            "schedulers",
            "schedule_list",
            help="The schedulers, built in this order on the optimizer before the loop.",
            min_items=1,
            source="lrtui: the loop steps one of them",
        ),
        Param(
            "milestones",
            "int_list",
            help="The step() call (1, 2, ...) from which each next scheduler is stepped instead "
            "(one fewer than schedulers, non-decreasing). `if epoch > swa_start` is swa_start + 2.",
            lo=0,
            hi=10**15,
            source="lrtui: the loop's own `if step >= milestone` (a call count: ≥ 0)",
        ),
    )

    def check(self, args, ctx, where):
        _check_milestones(args, where, "the loop compares the step count with them in order")
        super().check(args, ctx, where)

    def stated_length(self, args, ctx):
        # where the last stated length ends, each scheduler counted from the call it is first stepped at
        # (the SWA example's CosineAnnealingLR(T_max=100) before an open-ended SWALR states 100); None
        # when that is before the last switch (a horizon that hides the switch would mislead)
        ms = (0, *args["milestones"])
        ends = [m + n for m, c in zip(ms, args["schedulers"]) if (n := c.stated_length(ctx)) is not None]
        return max(ends) if ends and max(ends) > ms[-1] else None

    def markers(self, args, ctx):
        return _handover_markers(args, ctx)

    def child_spans(self, args, start, end, ctx):
        return _milestone_spans(args, start, end)

    def lints(self, node, doc):
        yield from _milestone_lints(node, doc, restarts=False)
        yield from _built_up_front(node, doc)


def _built_up_front(node, doc):
    """Every scheduler of the loop is built before it: a later one's constructor may already move the lr
    (CyclicLR writes its base_lr, SWALR(anneal_epochs=0) its swa_lr, OneCycleLR its start)."""
    from lrtui.schedules.lint import Lint, fmt

    kids = node.args["schedulers"]
    if len(kids) < 2 or node.start > 0:
        return
    ctx = doc.ctx
    alone = Program(kids[0], ctx).st.x[0]
    for j in range(1, len(kids)):
        prefix = Bound(
            node.kind,
            {**node.args, "schedulers": kids[: j + 1], "milestones": node.args["milestones"][:j]},
            None,
        )
        got = Program(prefix, ctx).st.x[0]
        if got != alone:
            yield Lint(
                "built_up_front_moves_lr",
                "warning",
                f"{kids[j].kind.name}'s constructor, run before the loop, changes the lr to {fmt(got)}: "
                f"{kids[0].kind.name} then starts from it, not from {fmt(alone)}",
                f"build {kids[j].kind.name} at the switch instead of before the loop, or start from that lr",
                f"{node.path}.schedulers[{j}]",
                0.0,
            )
            return


@register
class Compound(_LoopPattern):
    name = "Compound"
    summary = (
        "Several schedulers stepped on one optimizer in the same loop, in the stated order (torch's "
        "'compound' pattern): e.g. a warmup every batch and ReduceLROnPlateau on each epoch's metric."
    )
    example = (
        "Compound([LinearLR(start_factor=0.1, total_iters=5), ReduceLROnPlateau(patience=3)], "
        'every=["step", "epoch"])'
    )
    node_class = CompoundNode
    params = (
        Param(
            "schedulers",
            "schedule_list",
            help="The schedulers, built in this order, stepped in this order (ReduceLROnPlateau with "
            "the metric).",
            min_items=1,
            source="lrtui: the loop steps each of them",
        ),
        Param(
            "every",
            "choice_list",
            None,
            help="When each one is stepped: 'step' (each scheduler step of the plan) or 'epoch' (each "
            "epoch end, after that batch's 'step' ones). Default: all 'step'.",
            choices=UNITS,
            optional=True,
            per_item_of="schedulers",
            source="lrtui: where the loop steps each one",
        ),
    )

    def check(self, args, ctx, where):
        every = args.get("every")
        n = len(args["schedulers"])
        if every is not None and len(every) != n:
            raise SpecError.bad_value(
                f"{where}.every",
                list(every),
                f"a list of {n} units (one per scheduler), each 'step' or 'epoch'",
            )
        super().check(args, ctx, where)

    def stated_length(self, args, ctx):
        # the longest child's; an 'epoch' child of a per-step plan states epochs
        kids = args["schedulers"]
        every = args.get("every") or ("step",) * len(kids)
        per = {"step": 1, "epoch": ctx.steps_per_epoch if ctx.stepping == "step" else 1}
        lengths = [n * per[e] for c, e in zip(kids, every) if (n := c.stated_length(ctx)) is not None]
        return max(lengths, default=None)

    def markers(self, args, ctx):
        out = [mk for child in args["schedulers"] for mk in child.markers(ctx)]
        out.sort(key=lambda m: m.step)
        return out[:MAX_MARKERS]

    def lints(self, node, doc):
        from lrtui.schedules.lint import Lint

        kids = list(enumerate(node.args["schedulers"]))
        every = list(node.args.get("every") or ["step"] * len(kids))
        # at an epoch end the per-step ones run, then the per-epoch ones: one order over both
        yield from _order_lints(
            node,
            [
                [k for k, e in zip(kids, every) if e == "step"]
                + [k for k, e in zip(kids, every) if e == "epoch"]
            ],
        )
        plateaus = [(i, b) for i, b in kids if b.kind.metric_driven]
        if plateaus and doc.plan.metric is None:
            yield Lint(
                "plateau_synthetic_metric",
                "info",
                "ReduceLROnPlateau is previewed on a synthetic plateauing metric (no metric series given)",
                "preview against a run's metric (metric = RUN_DIR or a file)",
                f"{node.path}.schedulers[{plateaus[0][0]}]",
            )
        for i, b in plateaus:
            later = [c for j, c in kids if j > i and not c.kind.sets_lr(c.args) and not c.kind.metric_driven]
            min_lr = b.args.get("min_lr")
            if later and min_lr not in (0, 0.0, None):
                yield Lint(
                    "min_lr_not_a_floor",
                    "info",
                    f"min_lr is ReduceLROnPlateau's own floor only: {later[0].kind.name}, stepped after it, "
                    "multiplies the lr further (below min_lr)",
                    "step the plateau last, or give the other scheduler a floor too",
                    f"{node.path}.schedulers[{i}]",
                )


def tree_walk(bound: Bound, where: str = ""):
    """(bound, path) for a tree and every schedule below it (composites' children)."""
    yield from _walk(bound, where or bound.kind.name)


__all__ = ["ChainedScheduler", "Compound", "SequentialLR", "SwitchLR", "tree_walk"]
