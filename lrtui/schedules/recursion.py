"""Fast replay of torch's recursive lr updates: lr_k = A_k · lr_{k-1} + B_k, per param group.

torch's chainable schedulers update the group's *current* lr, so once several schedulers touch the same
lr (ChainedScheduler, SequentialLR, warmup wrappers) only replaying the recursion reproduces torch.
A python loop does that in ~0.5 s per million steps; `replay` does it in a few ms with a blocked scan:

1. cut the n steps into blocks of L (contiguous in time) and lay them out as an (L, blocks) array, so
   that position j of every block is one contiguous row;
2. a vectorised pass over j composes each block's maps (P = ∏A, Y = the block replayed from lr = 0);
3. a short sequential pass over the blocks chains their start values: x_{b+1} = P_b·x_b + Y_b (itself an
   affine recursion: solved by the same function when there are many blocks);
4. a second vectorised pass over j replays every block from its exact start, step by step, in the
   same operation order as torch (A*lr + B), so within a block the values are those of the loop.

Only block starts go through a composed map. Products span one block only (≤ L steps), so they do not
underflow/overflow unless the lr itself does within a block; a reset (A == 0) zeroes P and the block
start then no longer matters. For well-conditioned recursions (every torch scheduler's, composites of
them) the relative error vs. the loop is ~1e-15; it is larger only where torch's own recursion amplifies
rounding (e.g. recursive cosine with eta_min > 0 climbing back after T_max, amplification ~ (2·T_max/π)²).
"""

from __future__ import annotations

import numpy as np

BLOCK = 64  # steps per block; balances numpy call overhead (∝ L) against the block chain (∝ n / L)
SMALL = 512  # below this many steps a plain loop is as fast
MAX_RUNS = 400  # more alternations of map types than this: the blocked scan for everything


def replay_reference(a: np.ndarray, b: np.ndarray, lr0) -> np.ndarray:
    """The plain loop (the specification): out[:, k] = a[:, k] * out[:, k-1] + b[:, k], out[:, -1] = lr0."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    g, n = a.shape
    lr0 = np.broadcast_to(np.asarray(lr0, dtype=np.float64), (g,))
    out = np.empty((g, n))
    for gi in range(g):
        x = float(lr0[gi])
        ai, bi, oi = a[gi].tolist(), b[gi].tolist(), out[gi]
        for k in range(n):
            x = ai[k] * x + bi[k]
            oi[k] = x
    return out


def replay(a: np.ndarray, b: np.ndarray, lr0, out: np.ndarray | None = None) -> np.ndarray:
    """lr after each step: out[:, k] = a[:, k] * out[:, k-1] + b[:, k] with out[:, -1] = lr0.

    a, b: (groups, n) (or (n,) for one group); lr0: a scalar or one value per group.
    Returns a new (groups, n) float64 array, or fills `out` (groups, n) (rows contiguous) and returns it.
    """
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    a, b = np.broadcast_arrays(a, b)
    g, n = a.shape
    lr0 = np.broadcast_to(np.asarray(lr0, dtype=np.float64), (g,)).copy()
    if n == 0:
        return np.empty((g, 0)) if out is None else out
    if n <= SMALL:
        res = replay_reference(a, b, lr0)
        if out is None:
            return res
        out[...] = res
        return out
    if out is None:
        out = np.empty((g, n))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # an lr may overflow, as in torch
        for gi in range(g):
            _replay_one(a[gi], b[gi], float(lr0[gi]), out[gi])
    return out


def _replay_one(a: np.ndarray, b: np.ndarray, x0: float, out: np.ndarray | None = None) -> np.ndarray:
    """One group (into `out` when given). Runs of resets (A == 0: the value is B) and of pure products
    (B == 0) are done exactly with numpy primitives; runs of true affine maps go through the blocked scan."""
    n = a.shape[0]
    if out is None:
        out = np.empty(n)
    # 0: reset (A == 0), 1: product (B == 0), 2: affine; int8 arithmetic keeps this pass cheap.
    kind = (a != 0).view(np.int8)
    if not (b.strides == (0,) and b[0] == 0):  # (a zero-stride broadcast of 0: no B to look at)
        b_nz = (b != 0).view(np.int8)
        if b_nz.any():
            kind = kind * (1 + b_nz)
    cuts = np.flatnonzero(kind[1:] != kind[:-1]) + 1
    if len(cuts) >= MAX_RUNS:
        out[:] = _blocked(a, b, x0)
        return out
    x = x0
    for s, e in zip([0, *cuts.tolist()], [*cuts.tolist(), n]):
        t = kind[s]
        if t == 0:
            out[s:e] = b[s:e]
        elif t == 1:
            # np.multiply.accumulate multiplies left to right: ((x·A1)·A2)·… is torch's own order.
            seg = out[s:e]
            seg[:] = a[s:e]
            seg[0] = x * seg[0]
            np.multiply.accumulate(seg, out=seg)
        elif e - s <= SMALL:
            out[s:e] = replay_reference(a[None, s:e], b[None, s:e], x)[0]
        else:
            out[s:e] = _blocked(a[s:e], b[s:e], x)
        x = float(out[e - 1])
    return out


def _blocked(a: np.ndarray, b: np.ndarray, x0: float) -> np.ndarray:
    n = a.shape[0]
    L = BLOCK
    nb = -(-n // L)
    pad = nb * L - n
    if pad:  # identity maps at the end
        a = np.concatenate([a, np.ones(pad)])
        b = np.concatenate([b, np.zeros(pad)])
    # (L, nb): row j holds position j of every block, contiguous (a 2-D transpose copy is the fast one).
    at = np.ascontiguousarray(a.reshape(nb, L).T)
    bt = np.ascontiguousarray(b.reshape(nb, L).T)
    # Pass 1: compose each block's maps.
    p = at[0].copy()
    y = bt[0].copy()
    for j in range(1, L):
        aj = at[j]
        np.multiply(p, aj, out=p)
        np.multiply(y, aj, out=y)
        np.add(y, bt[j], out=y)
    # Pass 2: the start value of each block: x_{b+1} = p_b x_b + y_b, the same recursion over blocks.
    starts = np.empty(nb)
    starts[0] = x0
    if nb > 1:
        starts[1:] = replay(p[None, :-1], y[None, :-1], x0)[0]
    # Pass 3: replay every block from its start, step by step (torch's order: A*lr + B).
    out_t = np.empty((L, nb))
    x = starts
    for j in range(L):
        row = out_t[j]
        np.multiply(at[j], x, out=row)
        np.add(row, bt[j], out=row)
        x = row
    return out_t.T.reshape(nb * L)[:n]


def compose(
    first: tuple[np.ndarray, np.ndarray], then: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The map `then ∘ first` (apply `first`, then `then`), elementwise: (A2·A1, A2·B1 + B2)."""
    a1, b1 = first
    a2, b2 = then
    return a2 * a1, a2 * b1 + b2


__all__ = ["BLOCK", "compose", "replay", "replay_reference"]
