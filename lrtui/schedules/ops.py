"""torch's lr updates as data, and their exact replay.

Every change a torch scheduler makes to a group's lr x is one float expression of x, written here with
torch's operands in torch's order, so that evaluating it in IEEE double gives torch's value bit for bit:

    x ← ((x − c) / q) · a + d          c, q, a, d: one value per call (None = the neutral 0, 1, 1, 0)

- a chainable decay multiplies:      a = factor                      StepLR: lr * gamma
- CosineAnnealingLR:                 c = d = eta_min, a = ratio      ratio * (lr − eta_min) + eta_min
  and at its restart steps:          d = jump                        lr + (base − eta_min)(1 − cos(π/T))/2
- SWALR:                             c = swa·α', q = 1 − α', a = 1 − α, d = swa·α
- an absolute schedule sets it:      fixed = value                   LambdaLR: base * λ(k)
- ReduceLROnPlateau:                 an event (max(lr·factor, min_lr) when that moves it by more than eps)

(Multiplication and addition commute exactly in IEEE arithmetic, so `r * (lr − η)` is `(lr − η) · r`.)

`replay_reference` is the specification: a Python loop over the calls. `replay` gives the same values fast:
runs of products go through `np.multiply.accumulate` (left to right, torch's order), runs of additions
through `np.add.accumulate`, fixed values are copied, and only general updates and events are looped.
A kind whose recursion has more structure (the cosine) replays it faster itself and is tested against
`replay_reference` bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Event = Callable[[np.ndarray], np.ndarray]  # x per group (g,) -> new x per group


@dataclass
class Ops:
    """n consecutive updates of every group's lr (and optionally momentum), in call order.

    Each of c, q, a, d is None (neutral) or broadcastable to (groups, n). Where `fixed_at` is True
    (or everywhere when `fixed` is given and `fixed_at` is None) the update sets `fixed` instead.
    `events` maps a position to a function of the groups' lrs (nonlinear updates). `momentum`
    (groups, n) is the momentum/beta1 written by the call, where `momentum_at` (None = every call).
    """

    n: int
    a: np.ndarray | float | None = None
    c: np.ndarray | float | None = None
    q: np.ndarray | float | None = None
    d: np.ndarray | float | None = None
    fixed: np.ndarray | None = None
    fixed_at: np.ndarray | None = None
    events: dict[int, Event] = field(default_factory=dict)
    momentum: np.ndarray | None = None
    momentum_at: np.ndarray | None = None

    @classmethod
    def set(cls, values: np.ndarray, momentum: np.ndarray | None = None) -> Ops:
        """Absolute updates: the lr becomes `values` (groups, n)."""
        values = np.asarray(values, dtype=np.float64)
        return cls(values.shape[-1], fixed=values, momentum=momentum)

    @classmethod
    def identity(cls, n: int) -> Ops:
        return cls(n)

    def field_rows(self, name: str, g: int) -> np.ndarray | None:
        v = getattr(self, name)
        if v is None:
            return None
        return np.broadcast_to(np.asarray(v, dtype=np.float64), (g, self.n))

    def fixed_mask(self) -> np.ndarray | None:
        if self.fixed is None:
            return None
        if self.fixed_at is None:
            return np.ones(self.n, dtype=bool)
        return np.asarray(self.fixed_at, dtype=bool)

    def momentum_mask(self) -> np.ndarray | None:
        if self.momentum is None:
            return None
        if self.momentum_at is None:
            return np.ones(self.n, dtype=bool)
        return np.asarray(self.momentum_at, dtype=bool)

    def changes(self) -> np.ndarray:
        """Whether each update may change the lr (False: it is x ← x exactly, for every group)."""
        out = np.zeros(self.n, dtype=bool)
        fixed = self.fixed_mask()
        if fixed is not None:
            out |= fixed
        for p in self.events:
            out[p] = True
        for name, neutral in (("a", 1.0), ("c", 0.0), ("q", 1.0), ("d", None)):
            v = getattr(self, name)
            if v is None:
                continue
            if neutral is None:  # x + 0.0 turns -0.0 into 0.0: any addition counts
                return np.ones(self.n, dtype=bool)
            rows = np.asarray(v, dtype=np.float64)
            rows = rows.reshape(-1, rows.shape[-1]) if rows.ndim else rows.reshape(1, 1)
            out |= np.broadcast_to((rows != neutral).any(axis=0), (self.n,))  # NaN counts as a change
        return out

    def slice(self, lo: int, hi: int, events: bool = True) -> Ops:
        """The calls lo..hi-1 (`events=False`: the caller knows there are none in between)."""

        def cut(v):
            if v is None:
                return None
            arr = np.asarray(v)
            if arr.ndim == 0 or arr.shape[-1] == 1:
                return v
            return arr[..., lo:hi]

        events = {p - lo: f for p, f in self.events.items() if lo <= p < hi} if events else {}
        fixed_at = None if self.fixed_at is None else np.asarray(self.fixed_at)[lo:hi]
        mom_at = None if self.momentum_at is None else np.asarray(self.momentum_at)[lo:hi]
        return Ops(
            hi - lo,
            cut(self.a),
            cut(self.c),
            cut(self.q),
            cut(self.d),
            cut(self.fixed),
            fixed_at,
            events,
            cut(self.momentum),
            mom_at,
        )


def replay_reference(ops: Ops, x0) -> np.ndarray:
    """The plain loop (the specification): lr after each call, (groups, n), from the groups' lrs x0."""
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    g, n = x0.size, ops.n
    out = np.empty((g, n))
    rows = {k: ops.field_rows(k, g) for k in ("a", "c", "q", "d")}
    fixed = None if ops.fixed is None else np.broadcast_to(np.asarray(ops.fixed, dtype=np.float64), (g, n))
    fmask = ops.fixed_mask()
    x = x0.copy()
    for k in range(n):
        if k in ops.events:
            x = np.asarray(ops.events[k](x.copy()), dtype=np.float64)
        elif fmask is not None and fmask[k]:
            x = fixed[:, k].copy()
        else:
            for gi in range(g):
                v = float(x[gi])
                if rows["c"] is not None:
                    v = v - float(rows["c"][gi, k])
                if rows["q"] is not None:
                    v = v / float(rows["q"][gi, k]) if float(rows["q"][gi, k]) != 0 else _div(v)
                if rows["a"] is not None:
                    v = v * float(rows["a"][gi, k])
                if rows["d"] is not None:
                    v = v + float(rows["d"][gi, k])
                x[gi] = v
        out[:, k] = x
    return out


def _div(v: float) -> float:
    """v / 0 as numpy computes it (Python raises: torch would raise ZeroDivisionError there)."""
    with np.errstate(all="ignore"):
        return float(np.float64(v) / np.float64(0.0))


# classes of one update, per group and call
_MUL, _ADD, _FIXED, _GENERAL, _EVENT = 1, 2, 3, 4, 5


def replay(ops: Ops, x0, out: np.ndarray | None = None) -> np.ndarray:
    """replay_reference's values, fast (see the module docstring). Fills `out` (groups, n) when given."""
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    g, n = x0.size, ops.n
    if out is None:
        out = np.empty((g, n))
    if n == 0:
        return out
    rows = {k: ops.field_rows(k, g) for k in ("a", "c", "q", "d")}
    fixed = None if ops.fixed is None else np.broadcast_to(np.asarray(ops.fixed, dtype=np.float64), (g, n))
    fmask = ops.fixed_mask()
    with np.errstate(all="ignore"):
        if ops.events:
            # events depend on every group at once: split the calls at them
            pos = 0
            x = x0.copy()
            for p in sorted(ops.events):
                if p > pos:
                    replay(ops.slice(pos, p, events=False), x, out[:, pos:p])
                    x = out[:, p - 1].copy()
                x = np.asarray(ops.events[p](x.copy()), dtype=np.float64)
                out[:, p] = x
                pos = p + 1
            if pos < n:
                replay(ops.slice(pos, n, events=False), x, out[:, pos:n])
            return out
        for gi in range(g):
            _replay_row(
                {k: (None if v is None else v[gi]) for k, v in rows.items()},
                None if fixed is None else fixed[gi],
                fmask,
                float(x0[gi]),
                out[gi],
            )
    return out


def _classes(r: dict, fmask: np.ndarray | None, n: int) -> np.ndarray:
    a, c, q, d = r["a"], r["c"], r["q"], r["d"]
    general = np.zeros(n, dtype=bool)
    if c is not None:
        general |= c != 0
    if q is not None:
        general |= q != 1
    cls = np.full(n, _MUL, dtype=np.int8)
    if d is not None:
        add = d != 0
        if a is not None:
            general |= add & (a != 1)
        cls[add] = _ADD
    cls[general] = _GENERAL
    if fmask is not None:
        cls[fmask] = _FIXED
    return cls


def _replay_row(r: dict, fixed: np.ndarray | None, fmask, x: float, out: np.ndarray) -> None:
    n = out.size
    if fmask is not None and fmask.all():
        out[:] = fixed
        return
    cls = _classes(r, fmask, n)
    if (cls == _MUL).all():
        _products(r["a"], x, out)
        return
    cuts = np.flatnonzero(cls[1:] != cls[:-1]) + 1
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), n]
    a, c, q, d = r["a"], r["c"], r["q"], r["d"]
    for s, e in zip(starts, ends):
        t = cls[s]
        seg = out[s:e]
        if t == _MUL:
            _products(None if a is None else a[s:e], x, seg)
        elif t == _ADD:
            seg[:] = d[s:e]
            seg[0] = x + seg[0]
            np.add.accumulate(seg, out=seg)
        elif t == _FIXED:
            seg[:] = fixed[s:e]
        else:
            av = None if a is None else a[s:e].tolist()
            cv = None if c is None else c[s:e].tolist()
            qv = None if q is None else q[s:e].tolist()
            dv = None if d is None else d[s:e].tolist()
            vals = []
            for i in range(e - s):
                if cv is not None:
                    x = x - cv[i]
                if qv is not None:
                    x = x / qv[i] if qv[i] != 0 else _div(x)
                if av is not None:
                    x = x * av[i]
                if dv is not None:
                    x = x + dv[i]
                vals.append(x)
            seg[:] = vals
        x = float(seg[-1])


def _products(a: np.ndarray | None, x: float, out: np.ndarray) -> None:
    """out[k] = x·a[0]·…·a[k], multiplied left to right (torch's repeated lr *= factor)."""
    if a is None:
        out[:] = x
        return
    out[:] = a
    out[0] = x * out[0]
    running_product(out)


_CHUNK = 1 << 16
_TINY = np.finfo(np.float64).tiny  # the smallest normal double


def running_product(row: np.ndarray) -> None:
    """np.multiply.accumulate(row, out=row) for a 1-D row (left to right: torch's lr *= factor, call after
    call), with the same values, fast where the product sinks below the normal range.

    An lr multiplied by γ < 1 for long enough reaches the smallest subnormal, 5e-324, and stays there:
    5e-324 · 0.9 rounds back to 5e-324 (torch's lr is stuck there too). Each such product is a subnormal
    operation, ~50× slower than a normal one, so a long ExponentialLR took 100+ ms. Once the product is
    below the normal range and every factor left is one same value a with x·a == x, the rest is x."""
    n = row.size
    pos = 0
    const_from = None  # the factors from here on are all equal (found once, when first needed)
    while pos < n:
        end = min(n, pos + _CHUNK)
        if pos:
            row[pos] = row[pos - 1] * row[pos]
        np.multiply.accumulate(row[pos:end], out=row[pos:end])
        pos = end
        x = row[pos - 1]
        if pos == n or abs(x) >= _TINY or not np.isfinite(x):
            continue
        if const_from is None:
            tail = row[pos:]
            differs = np.flatnonzero(tail != tail[-1])
            const_from = pos + (int(differs[-1]) + 1 if differs.size else 0)
        if pos >= const_from and x * row[-1] == x:
            row[pos:] = x
            return


def interleave(parts: list[Ops], g: int) -> Ops:
    """The updates of several schedulers stepped in the same calls, in order: call k of the result is
    (parts[0] call 0, parts[1] call 0, ..., parts[0] call 1, ...); every part has the same n."""
    m = len(parts)
    n = parts[0].n

    def merged(name: str, neutral: float):
        if all(getattr(p, name) is None for p in parts):
            return None
        out = np.empty((g, n, m))
        for i, p in enumerate(parts):
            v = p.field_rows(name, g)
            out[:, :, i] = neutral if v is None else v
        return out.reshape(g, n * m)

    fixed = None
    fixed_at = None
    if any(p.fixed is not None for p in parts):
        fixed = np.zeros((g, n, m))
        fixed_at = np.zeros((n, m), dtype=bool)
        for i, p in enumerate(parts):
            mask = p.fixed_mask()
            if mask is not None:
                fixed[:, :, i] = np.broadcast_to(np.asarray(p.fixed, dtype=np.float64), (g, n))
                fixed_at[:, i] = mask
        fixed = fixed.reshape(g, n * m)
        fixed_at = fixed_at.reshape(n * m)
    events = {k * m + i: f for i, p in enumerate(parts) for k, f in p.events.items()}
    return Ops(
        n * m,
        merged("a", 1.0),
        merged("c", 0.0),
        merged("q", 1.0),
        merged("d", 0.0),
        fixed,
        fixed_at,
        events,
    )


__all__ = ["Event", "Ops", "interleave", "replay", "replay_reference"]
