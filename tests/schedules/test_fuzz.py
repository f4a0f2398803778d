"""Fuzzing: arbitrary text into parse(), compile_formula() and resolve() raises nothing but SpecError; generated
specs round-trip (`parse(str(spec)) == spec`) and, when they resolve, evaluate and lint without raising."""

from __future__ import annotations

import math
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrtui.schedules import Context, Plan, Spec, SpecError, evaluate, parse, resolve
from lrtui.schedules.catalogue import kinds
from lrtui.schedules.formula import compile_formula
from lrtui.schedules.lint import lint

_N = int(os.environ.get("LRTUI_FUZZ_EXAMPLES", "150"))  # raise it for a long local run
FUZZ = settings(max_examples=_N, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_KIND_NAMES = sorted(k.name for k in kinds())
_PARAM_NAMES = sorted({p.name for k in kinds() for p in k.params})
_TOKENS = [
    *_KIND_NAMES[:30],
    *_PARAM_NAMES[:40],
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "1",
    "0",
    "-1",
    "0.5",
    "1e-9",
    "1e400",
    "inf",
    "pi",
    "True",
    "None",
    '"x"',
    "lambda k:",
    "k",
    "**",
    "*",
    "/",
    "+",
    "-",
    "optimizer",
    "torch.optim.",
    "9**9**9",
    "{",
    "}",
    ":",
    ".",
    " ",
    "'",
    "\\",
    "\n",
    "#",
    "@",
    "...",
]
_FORMULA_TOKENS = [
    "k",
    "epoch",
    "x",
    "1",
    "0",
    "2.5",
    "1e308",
    "-",
    "+",
    "*",
    "/",
    "//",
    "%",
    "**",
    "(",
    ")",
    "<",
    "<=",
    "==",
    "and",
    "or",
    "not",
    "if",
    "else",
    "cos",
    "exp",
    "log",
    "min",
    "max",
    "math.",
    "np.",
    "pi",
    "e",
    "inf",
    ",",
    "lambda k:",
    "__import__",
    "os",
    ".",
    "[",
    "]",
    "'s'",
    " ",
    "9**9**9",
]


def token_text(tokens):
    return st.lists(st.sampled_from(tokens), max_size=30).map("".join)


def _only_spec_errors(fn, *args):
    try:
        return fn(*args)
    except SpecError:
        return None


@FUZZ
@given(st.one_of(st.text(max_size=200), token_text(_TOKENS)))
def test_parse_raises_only_spec_error(text):
    spec = _only_spec_errors(parse, text)
    if spec is not None:
        assert parse(str(spec)) == spec


@FUZZ
@given(st.one_of(st.text(max_size=120), token_text(_FORMULA_TOKENS)))
def test_compile_formula_raises_only_spec_error(text):
    f = _only_spec_errors(compile_formula, text, "LambdaLR.lr_lambda")
    if f is not None:
        out = f(np.arange(50))
        assert out.shape == (50,) and out.dtype == np.float64
        f.domain_errors(np.arange(50))
        compile(f.python_source, "<formula>", "eval")  # the export form is valid Python


@FUZZ
@given(token_text(_TOKENS), st.sampled_from(["step", "epoch", "fractional"]))
def test_resolve_and_evaluate_raise_only_spec_error(text, stepping):
    spec = _only_spec_errors(parse, text)
    if spec is None:
        return
    ctx = Context(base_lrs=(0.1, 0.01), horizon=40, steps_per_epoch=3, stepping=stepping)
    if _only_spec_errors(resolve, spec, ctx) is None:
        return
    plan = Plan(spec, base_lrs=(0.1, 0.01), total_steps=40, steps_per_epoch=3, stepping=stepping)
    curve = _only_spec_errors(evaluate, plan)
    if curve is not None:
        lint(plan, curve)


# -- generated specs: random kinds, random values from their Param metadata ------------------------------

_LEAVES = [k for k in kinds() if not any(p.type in ("schedule", "schedule_list") for p in k.params)]
_FORMULAS = ["0.95 ** k", "min(1, (k + 1) / 10)", "1 / (k + 1)", "0.5 * (1 + cos(pi * k / 50))"]


def _number(p, draw, integer: bool):
    lo = -1e6 if p.lo is None or p.lo == -math.inf else max(p.lo, -1e6)
    hi = 1e6 if p.hi is None or p.hi == math.inf else min(p.hi, 1e6)
    if integer:
        lo_i, hi_i = math.ceil(lo), math.floor(hi)
        if lo_i > hi_i:
            return lo_i
        return draw(st.integers(int(lo_i), int(min(hi_i, lo_i + 500))))
    return draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))


@st.composite
def value_for(draw, p, depth: int):
    t = p.type
    if p.optional and draw(st.booleans()) and draw(st.booleans()):
        return None
    if t == "float":
        return _number(p, draw, integer=False)
    if t == "int":
        return _number(p, draw, integer=True)
    if t == "bool":
        return draw(st.booleans())
    if t == "choice":
        return draw(st.sampled_from(p.choices))
    if t == "str":
        return draw(st.text(max_size=10))
    if t == "choice_list":
        n = draw(st.integers(max(p.min_items, 0), max(p.min_items, 0) + 3))
        return [draw(st.sampled_from(p.choices)) for _ in range(n)]
    if t in ("int_list", "float_list"):
        n = draw(st.integers(max(p.min_items, 0), max(p.min_items, 0) + 3))
        return [_number(p, draw, integer=t == "int_list") for _ in range(n)]
    if t == "formula":
        return draw(st.sampled_from(_FORMULAS))
    if t == "schedule":
        return draw(spec_strategy(depth + 1, leaf=True))
    if t == "schedule_list":
        return draw(st.lists(spec_strategy(depth + 1, leaf=True), min_size=max(1, p.min_items), max_size=3))
    raise AssertionError(t)


@st.composite
def spec_strategy(draw, depth: int = 0, leaf: bool = False):
    kind = draw(st.sampled_from(_LEAVES if leaf or depth > 1 else kinds()))
    args = {}
    for p in kind.params:
        if p.required or draw(st.booleans()):
            args[p.name] = draw(value_for(p, depth))
    return Spec(kind.name, args)


@settings(max_examples=_N + 50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_strategy())
def test_generated_specs_round_trip_and_never_crash(spec):
    text = str(spec)
    assert parse(text) == spec, text
    plan_kw = {"base_lrs": (0.1,), "total_steps": 60, "steps_per_epoch": 4}
    for stepping in ("step", "epoch"):
        plan = Plan(spec, stepping=stepping, **plan_kw)
        curve = _only_spec_errors(evaluate, plan)
        if curve is not None:
            assert curve.lr.shape == (1, 60)
            lint(plan, curve)
