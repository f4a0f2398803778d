"""Accept what the library accepts: every numeric Param bound probed against the real library.

For each kind (its catalogue example as the base configuration), each numeric parameter with a finite
bound is set at the bound and just past it (and clearly past it); lrtui must accept the value exactly
when the real library builds the scheduler and steps it for the whole horizon without raising (a value
the library accepts but raises on later, within the horizon, is refused up front). Every Param states
where its bound comes from (`Param.source`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from library_runner import run_lrs

from lrtui.schedules import Plan, SpecError, evaluate, kinds, parse
from lrtui.schedules.spec import Spec

N = 120  # steps: longer than every count of the base configurations, so "raises later" shows
CAP = 1e14  # bounds at or beyond this are sanity caps (INT_MAX, 1e300): not probed


def _probes(p) -> list[object]:
    out: list[object] = []
    step = 1 if p.type in ("int", "int_list") else None
    for bound, side in ((p.lo, -1), (p.hi, +1)):
        if bound is None or not math.isfinite(bound) or abs(bound) >= CAP:
            continue
        if step:
            out += [int(bound), int(bound) + side, int(bound) + side * 5]
        else:
            out += [float(bound), math.nextafter(float(bound), side * math.inf), float(bound) + side * 0.5]
    return out


def _cases():
    for kind in kinds():
        if kind.library == "loop":
            continue  # SwitchLR and Compound are lrtui's names for loop code: their bounds are lrtui's
        base = parse(kind.example)
        for p in kind.params:
            if p.type not in ("int", "float", "int_list", "float_list") or p.extra.get("preview_only"):
                continue
            if p.name == "last_epoch":
                continue  # resuming needs the optimizer's initial_lr: refused like torch refuses it (KeyError)
            for v in _probes(p):
                value = [v] if p.type.endswith("_list") else v
                yield pytest.param(
                    kind.name, Spec(base.kind, {**base.args, p.name: value}), id=f"{kind.name}.{p.name}={v!r}"
                )


def _lrtui_curve(spec: Spec, n: int):
    try:
        return evaluate(Plan(spec, base_lrs=(0.1,), total_steps=n)).lr, ""
    except SpecError as exc:
        return None, str(exc)


def _horizon(spec: Spec) -> int:
    """Long enough for every count in the configuration to be reached (so "raises later" shows)."""
    counts = [abs(v) for v in spec.args.values() if isinstance(v, int) and not isinstance(v, bool)]
    return int(min(max([N, *[c + 3 for c in counts if c < 5000]]), 5000))


@pytest.mark.parametrize("kind_name,spec", list(_cases()))
def test_accepted_exactly_when_the_library_runs(kind_name, spec):
    n = _horizon(spec)
    ours, why_not = _lrtui_curve(spec, n)
    theirs, error, want = run_lrs(str(spec), (0.1,), n)
    raised_later = not theirs and want is not None  # the library raised at a step() (not building it)
    if raised_later and ours is not None:
        # lrtui's convention where the library raises mid-training: the curve is NaN from that step on
        k = want.shape[1]
        assert np.isnan(ours[:, k:]).all(), f"{spec}: the library raises at step {k} ({error}), lrtui goes on"
        ours, theirs = ours[:, :k], True
    assert (ours is not None) == theirs, (
        f"{spec}: lrtui {'accepts' if ours is not None else 'refuses (' + why_not + ')'}, the library "
        f"{'runs it' if theirs else 'raises ' + error}"
    )
    if theirs:  # and the curve at the edge is the library's
        with np.errstate(all="ignore"):
            close = np.abs(ours - want) <= 1e-9 * np.maximum(np.abs(ours), np.abs(want)) + 1e-300
        close |= (ours == want) | (np.isnan(ours) & np.isnan(want))
        assert close.all(), f"{spec}: first difference at step {int(np.argmin(close[0]))}"


def test_every_param_cites_its_source():
    missing = [f"{k.name}.{p.name}" for k in kinds() for p in k.params if not p.source]
    assert not missing, missing
