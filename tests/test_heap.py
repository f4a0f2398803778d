"""lrtui.heap: after keep_large_arrays(), evaluating 1M-step curves one after another reuses heap pages
instead of faulting in fresh mmaps for every 8 MB array (what each edit of a long horizon in the preview does)."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

PROBE = """
import resource, sys
from lrtui.heap import keep_large_arrays
from lrtui.schedules import Plan, evaluate, parse

if sys.argv[1] == "keep" and not keep_large_arrays():
    print("skip")
    raise SystemExit
plans = [Plan(spec=parse(f"CosineAnnealingLR(T_max={500001 + i}, eta_min=1e-06)"), total_steps=1_000_000) for i in range(4)]
curve = evaluate(plans[0], draft=True)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for plan in plans * 2:
    curve = evaluate(plan, draft=True)  # the previous curve is freed as the preview's is
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 8)
"""

ONE_ARRAY = (8 << 20) // resource.getpagesize()  # pages of one fresh 1M-step float64 array


def _faults_per_curve(mode: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_curves_after_the_first_reuse_their_pages():
    kept = _faults_per_curve("keep")
    if kept == "skip":
        pytest.skip("not glibc: nothing to tune")
    assert int(kept) < ONE_ARRAY // 4
    assert int(_faults_per_curve("default")) > ONE_ARRAY // 4  # what the setting changes
