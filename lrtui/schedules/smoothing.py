"""Loss smoothing (numpy only): the debiased exponential moving average of fastai's `AvgSmoothLoss`.

Bias-corrected like Adam's moments (so the first values are not dragged towards 0) and NaN-tolerant (a
missing loss is skipped, not propagated). Vectorised in blocks, so 1M points take a few tens of ms;
`EmaCache` extends it incrementally while a run is tailed. Shared by the run monitor's loss panel and the LR
range test's suggestions (`lrtui.schedules.lr_suggest`), so both smooth the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

EMA_BETAS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
DEFAULT_EMA_BETA = 0.98
_BLOCK = 64


def _geometric_filter(v: np.ndarray, beta: float, carry: float = 0.0) -> np.ndarray:
    """y[t] = beta * y[t-1] + v[t] with y[-1] = carry, vectorised in blocks of _BLOCK."""
    n = v.size
    out = np.empty(n, dtype=np.float64)
    if n == 0:
        return out
    if beta == 0.0:
        out[:] = v
        return out
    b = min(_BLOCK, n)
    j = np.arange(b)
    # lower-triangular weights W[i, j] = beta**(i-j) for i >= j (tiny powers underflow harmlessly to 0)
    with np.errstate(under="ignore"):
        weights = np.tril(beta ** (j[:, None] - j[None, :]).clip(min=0))
        decay = beta ** (j + 1.0)  # how the carry into a block decays over its rows
    full = n // b
    if full:
        blocks = v[: full * b].reshape(full, b) @ weights.T  # each block filtered from a zero start
        last = blocks[:, -1]
        # carries across blocks: c[k] = beta**b * c[k-1] + last[k]  (a short python loop: n/256 steps)
        carries = np.empty(full, dtype=np.float64)
        c = carry
        step = beta**b
        for k in range(full):
            carries[k] = c
            c = step * c + last[k]
        blocks += carries[:, None] * decay[None, :]
        out[: full * b] = blocks.ravel()
        carry = c
    rest = n - full * b
    if rest:
        tail = weights[:rest, :rest] @ v[full * b :] + carry * decay[:rest]
        out[full * b :] = tail
    return out


def debiased_ema(values: Any, beta: float) -> np.ndarray:
    """Bias-corrected exponential moving average: sum(beta^(t-i) x_i) / sum(beta^(t-i)) over finite x_i.

    Equals Adam's debiased moment (m_t / (1 - beta^(t+1))) when every value is finite; NaN/inf values are
    skipped (they neither count nor poison later values). NaN before the first finite value.
    """
    x = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(x)
    num = _geometric_filter(np.where(finite, x, 0.0), beta)
    den = _geometric_filter(finite.astype(np.float64), beta)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


class EmaCache:
    """The debiased EMA of a growing series, extended incrementally (recomputed when beta changes)."""

    def __init__(self) -> None:
        self.beta: float | None = None
        self.n = 0
        self._num = 0.0
        self._den = 0.0
        self._out = np.empty(0)
        self._source_id: int | None = None

    def update(self, values: np.ndarray, beta: float, source_id: int | None = None) -> np.ndarray:
        """EMA of `values` (which extends the previous call's values unless `source_id` changed)."""
        n = int(values.size)
        if beta != self.beta or n < self.n or source_id != self._source_id:
            self.beta, self.n, self._num, self._den, self._source_id = beta, 0, 0.0, 0.0, source_id
            self._out = np.empty(0)
        if n > self.n:
            new = np.asarray(values[self.n : n], dtype=np.float64)
            finite = np.isfinite(new)
            num = _geometric_filter(np.where(finite, new, 0.0), beta, self._num)
            den = _geometric_filter(finite.astype(np.float64), beta, self._den)
            with np.errstate(invalid="ignore", divide="ignore"):
                ema = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
            self._num, self._den = float(num[-1]), float(den[-1])
            self._out = np.concatenate([self._out, ema])
            self.n = n
        return self._out
