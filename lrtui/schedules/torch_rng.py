"""torch's CPU random generator, ported to numpy: what timm's noise draws (`torch.Generator().manual_seed(s)`,
then `torch.randn(1)` / `torch.rand(1)`), for many seeds at once.

It re-implements torch's mt19937 (seeded with the seed's low 32 bits), its 53-bit uniform doubles,
Box–Muller with the cached second sample (normal), the float32 rounding of the result, and timm's
resampling of normal noise until |noise| < noise_pct. tests/schedules/test_transformers_timm.py compares it
with real torch for thousands of seeds.
"""

from __future__ import annotations

import functools
import math

import numpy as np

_U32 = np.uint32


def _mt_init(seeds: np.ndarray) -> np.ndarray:
    """mt19937 init_genrand (torch keeps the low 32 bits of the seed): state of shape (624, n)."""
    mt = np.empty((624, len(seeds)), dtype=_U32)
    mt[0] = (seeds.astype(np.uint64) & np.uint64(0xFFFFFFFF)).astype(_U32)
    for i in range(1, 624):
        prev = mt[i - 1]
        mt[i] = _U32(1812433253) * (prev ^ (prev >> _U32(30))) + _U32(i)
    return mt


def _mt_twist(mt: np.ndarray) -> None:
    """The standard twist of all 624 words, in 4 blocks that respect its in-place dependencies."""
    upper, lower, magic = _U32(0x80000000), _U32(0x7FFFFFFF), _U32(0x9908B0DF)

    def mix(i0, i1, src_next, src_far):
        y = (mt[i0:i1] & upper) | (src_next & lower)
        mt[i0:i1] = src_far ^ (y >> _U32(1)) ^ np.where((y & _U32(1)) != 0, magic, _U32(0))

    mix(0, 227, mt[1:228], mt[397:624].copy())
    mix(227, 454, mt[228:455], mt[0:227].copy())
    mix(454, 623, mt[455:624], mt[227:396].copy())
    mix(623, 624, mt[0:1], mt[396:397].copy())


def _mt_temper(y: np.ndarray) -> np.ndarray:
    y = y ^ (y >> _U32(11))
    y = y ^ ((y << _U32(7)) & _U32(0x9D2C5680))
    y = y ^ ((y << _U32(15)) & _U32(0xEFC60000))
    return y ^ (y >> _U32(18))


def torch_noise(seeds: np.ndarray, noise_type: str, pct: float, std: float) -> np.ndarray:
    """timm's Scheduler._calculate_noise for each seed (= noise_seed + t), reproducing torch's CPU RNG."""
    seeds = np.asarray(seeds, dtype=np.int64)
    if seeds.size and np.array_equal(seeds, np.arange(seeds[0], seeds[0] + seeds.size)):
        # The usual case (consecutive t): cached, so re-drawing the preview after an edit costs nothing.
        return _noise_range(int(seeds[0]), int(seeds.size), noise_type, float(pct), float(std))
    return _noise_uncached(seeds, noise_type, pct, std)


@functools.lru_cache(maxsize=8)
def _noise_range(first: int, n: int, noise_type: str, pct: float, std: float) -> np.ndarray:
    out = _noise_uncached(np.arange(first, first + n, dtype=np.int64), noise_type, pct, std)
    out.setflags(write=False)
    return out


def _noise_uncached(seeds: np.ndarray, noise_type: str, pct: float, std: float) -> np.ndarray:
    out = np.empty(len(seeds))
    chunk = 16384  # 624 state words per seed: 40 MB of generator state per chunk
    for start in range(0, len(seeds), chunk):
        out[start : start + chunk] = _noise_chunk(seeds[start : start + chunk], noise_type, pct, std)
    return out


_FIRST_WORDS = 8  # words of the first twist computed up front: 2 Box-Muller pairs, 4 normal candidates


def _first_words(seeds: np.ndarray) -> np.ndarray:
    """The first _FIRST_WORDS outputs of each generator, without initialising or twisting all 624 words.

    Output j < 227 of the first twist needs only state words j, j + 1 and j + 397 of the seeded state.
    """
    n = 397 + _FIRST_WORDS
    mt = np.empty((n, len(seeds)), dtype=_U32)
    mt[0] = (seeds.astype(np.uint64) & np.uint64(0xFFFFFFFF)).astype(_U32)
    for i in range(1, n):
        prev = mt[i - 1]
        mt[i] = _U32(1812433253) * (prev ^ (prev >> _U32(30))) + _U32(i)
    j = _FIRST_WORDS
    y = (mt[0:j] & _U32(0x80000000)) | (mt[1 : j + 1] & _U32(0x7FFFFFFF))
    twisted = mt[397 : 397 + j] ^ (y >> _U32(1)) ^ ((y & _U32(1)) * _U32(0x9908B0DF))
    return _mt_temper(twisted).astype(np.uint64)


def _normals(words: np.ndarray, std: float) -> np.ndarray:
    """Candidate noises (cos sample, then the cached sin sample, per pair of 53-bit uniforms) × std."""
    w = words.reshape(words.shape[0] // 4, 4, -1)
    mask53 = np.uint64((1 << 53) - 1)
    u1 = (((w[:, 0] << np.uint64(32)) | w[:, 1]) & mask53).astype(np.float64) * 2.0**-53
    u2 = (((w[:, 2] << np.uint64(32)) | w[:, 3]) & mask53).astype(np.float64) * 2.0**-53
    r = np.sqrt(-2.0 * np.log1p(-u2))
    theta = 2.0 * math.pi * u1
    z = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).reshape(2 * w.shape[0], -1)
    return z.astype(np.float32).astype(np.float64) * std


def _noise_chunk(seeds: np.ndarray, noise_type: str, pct: float, std: float) -> np.ndarray:
    words = _first_words(seeds)
    if noise_type != "normal":
        u = (words[0] & np.uint64(0xFFFFFF)).astype(np.float64) * 2.0**-24  # exact in float32
        return 2 * (u - 0.5) * pct
    result = np.full(len(seeds), np.nan)
    noise = _normals(words, std)
    ok = np.abs(noise) < pct
    found = ok.any(axis=0)
    result[found] = noise[np.argmax(ok, axis=0)[found], np.nonzero(found)[0]]
    rest = np.nonzero(~found)[0]
    if rest.size:
        result[rest] = _noise_slow(seeds[rest], pct, std)
    return result


def _noise_slow(seeds: np.ndarray, pct: float, std: float) -> np.ndarray:
    """Rejection sampling through whole twists, for the seeds whose first candidates were all rejected."""
    mt = _mt_init(seeds)
    result = np.full(len(seeds), np.nan)
    todo = np.ones(len(seeds), dtype=bool)
    for _block in range(64):
        _mt_twist(mt)
        noise = _normals(_mt_temper(mt).astype(np.uint64), std)
        ok = np.abs(noise) < pct
        found = ok.any(axis=0) & todo
        result[found] = noise[np.argmax(ok, axis=0)[found], np.nonzero(found)[0]]
        todo &= ~found
        if not todo.any():
            break
    return np.where(np.isnan(result), 0.0, result)  # (never reached for noise_pct ≥ 0.01·noise_std)


__all__ = ["torch_noise"]
