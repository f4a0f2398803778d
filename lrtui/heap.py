"""Large numpy arrays from the heap, kept when freed (glibc), so a new curve does not fault its pages in again.

An evaluation at 1M steps makes several 8 MB arrays (the curve, its ratios, the running product). glibc
serves each from a fresh mmap and unmaps it when freed, so every edit in the preview touched ~2,000 new
pages (~3 ms of its ~17 ms evaluation, measured with ru_minflt). With a fixed mmap threshold above those
sizes (glibc's cap: 32 MiB) and freed memory kept up to 64 MiB, they come from the heap and its pages stay
mapped. A no-op where the C library is not glibc.
"""

from __future__ import annotations

import sys

_M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # the most glibc accepts on 64-bit
TRIM_THRESHOLD = 64 << 20


def keep_large_arrays() -> bool:
    """Tell glibc's malloc to serve and keep arrays up to 32 MiB on the heap; False where that is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: nothing to tune
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
