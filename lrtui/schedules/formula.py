"""Safe LR formulas: "0.95 ** epoch", "min(1, k / 500) * 0.5 * (1 + cos(pi * k / 10000))".

A formula is parsed with `ast` against a whitelist and compiled into a tree of numpy closures — never
eval/exec/compile. It is evaluated vectorised over a float64 array of step counts.

Semantics vs. the Python lambda torch would call (LambdaLR calls it on Python ints):
- Everything is float64. Integer arithmetic agrees wherever Python's result fits a float.
- Where Python raises (1/0, log(0), sqrt(-1), math.exp(1000) overflow, int too large for a float) or
  returns a complex number ((-8) ** 0.5), the formula yields inf or NaN instead of crashing; the lints
  report such steps (`Formula.domain_errors`), because torch would raise there.
- min/max are elementwise (NaN propagates), `a if c else b` is np.where, and/or keep Python's value
  semantics (`c and x or y` works), comparisons give 1.0/0.0.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lrtui.schedules.errors import SpecError

MAX_CHARS = 1000
MAX_NODES = 300  # bounds the work of one evaluation over a 1M-step array
MAX_DEPTH = 100
MAX_EXPONENT = 1e4  # |exponent| bound for a constant exponent (unless the base is a constant in [-1, 1])
MAX_CONST = 1e300

VARIABLES = (
    "k",
    "epoch",
    "step",
    "t",
    "x",
    "i",
    "it",
    "iteration",
    "current_step",
    "global_step",
    "last_epoch",
)
CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "tau": math.tau}
MODULES = ("math", "np", "numpy")

# name -> (numpy implementation, min args, max args, Python spelling for export)
_F = Callable[..., np.ndarray]


def _log(x, base=None):
    return np.log(x) if base is None else np.log(x) / np.log(base)


def _clip(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _round(x):
    return np.round(x)


FUNCTIONS: dict[str, tuple[_F, int, int, str]] = {
    "cos": (np.cos, 1, 1, "math.cos"),
    "sin": (np.sin, 1, 1, "math.sin"),
    "tan": (np.tan, 1, 1, "math.tan"),
    "acos": (np.arccos, 1, 1, "math.acos"),
    "asin": (np.arcsin, 1, 1, "math.asin"),
    "atan": (np.arctan, 1, 1, "math.atan"),
    "atan2": (np.arctan2, 2, 2, "math.atan2"),
    "cosh": (np.cosh, 1, 1, "math.cosh"),
    "sinh": (np.sinh, 1, 1, "math.sinh"),
    "tanh": (np.tanh, 1, 1, "math.tanh"),
    "exp": (np.exp, 1, 1, "math.exp"),
    "expm1": (np.expm1, 1, 1, "math.expm1"),
    "log": (_log, 1, 2, "math.log"),
    "log2": (np.log2, 1, 1, "math.log2"),
    "log10": (np.log10, 1, 1, "math.log10"),
    "log1p": (np.log1p, 1, 1, "math.log1p"),
    "sqrt": (np.sqrt, 1, 1, "math.sqrt"),
    "abs": (np.abs, 1, 1, "abs"),
    "fabs": (np.abs, 1, 1, "math.fabs"),
    "floor": (np.floor, 1, 1, "math.floor"),
    "ceil": (np.ceil, 1, 1, "math.ceil"),
    "trunc": (np.trunc, 1, 1, "math.trunc"),
    "int": (np.trunc, 1, 1, "int"),
    "float": (lambda x: x, 1, 1, "float"),
    "round": (_round, 1, 1, "round"),
    "pow": (np.power, 2, 2, "pow"),
    "power": (np.power, 2, 2, "pow"),
    "min": (np.minimum, 2, 16, "min"),
    "max": (np.maximum, 2, 16, "max"),
    "minimum": (np.minimum, 2, 2, "min"),
    "maximum": (np.maximum, 2, 2, "max"),
    "clip": (_clip, 3, 3, "clip"),
    "where": (None, 3, 3, "where"),  # type: ignore[dict-item]
    "hypot": (np.hypot, 2, 2, "math.hypot"),
}

ALLOWED = (
    "a formula in k (also epoch/step/t/x) with numbers, + - * / // % **, comparisons, "
    "'a if cond else b', and/or/not, constants pi/e/inf and functions "
    + ", ".join(sorted(k for k in FUNCTIONS if k not in ("minimum", "maximum", "power")))
)

_BINOPS = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide,
    ast.Mod: np.remainder,
    ast.Pow: np.power,
}
_CMPOPS = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}

# A compiled node: evaluates over k, optionally recording Python-domain errors into `rec`.
Node = Callable[[np.ndarray, "list | None"], np.ndarray]


@dataclass(eq=False)
class Formula:
    """A compiled safe formula: `f(k) -> float64 array` (k: array of step counts)."""

    text: str
    field: str
    _root: Node = field(repr=False)
    _tree: ast.expr = field(repr=False)
    constant: float | None = None  # the value when the formula does not depend on k
    var: str | None = None  # the argument name of a pasted lambda

    def __call__(self, k) -> np.ndarray:
        """A new float64 array of k's shape (k is never written to)."""
        k = np.asarray(k, dtype=np.float64)
        with np.errstate(all="ignore"):
            out = self._root(k, None)
        if (
            isinstance(out, np.ndarray)
            and out.dtype == np.float64
            and out.shape == k.shape
            and out.flags.writeable
            and out.flags.c_contiguous
            and not np.may_share_memory(out, k)
        ):
            return out  # already a fresh array of the nodes' own
        return np.broadcast_to(np.asarray(out, dtype=np.float64), k.shape).copy()

    def domain_errors(self, k) -> list[tuple[float, str]]:
        """(first step, problem) for each place where Python's lambda would raise instead of returning.

        E.g. [(0.0, "division by zero (ZeroDivisionError in Python)")]. Sorted by step.
        """
        k = np.asarray(k, dtype=np.float64)
        rec: list[tuple[float, str]] = []
        with np.errstate(all="ignore"):
            out = np.broadcast_to(np.asarray(self._root(k, rec), dtype=np.float64), k.shape)
        seen: dict[str, float] = {}
        for step, what in rec:
            if what not in seen or step < seen[what]:
                seen[what] = step
        bad = ~np.isfinite(out)
        if bad.any() and not seen:
            seen["the value is not finite (Python would raise OverflowError or return inf/nan)"] = float(
                k.reshape(-1)[np.argmax(bad.reshape(-1))]
            )
        return sorted(((s, w) for w, s in seen.items()), key=lambda p: p[0])

    @property
    def python_source(self) -> str:
        """`lambda k: ...` with math.* functions, equivalent for Python ints k (for code export)."""
        return "lambda k: " + ast.unparse(_to_python(self._tree, self.var))

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def compile_formula(text: str, field: str = "lr_lambda") -> Formula:
    """Parse and compile a formula; raise SpecError naming `field` and what is allowed otherwise."""
    if not isinstance(text, str):
        raise SpecError.bad_value(field, text, ALLOWED)
    src = text.strip()
    if not src:
        raise SpecError(
            f"{field} is empty: write a formula such as 0.95 ** k", field=field, value=text, allowed=ALLOWED
        )
    if len(src) > MAX_CHARS:
        raise SpecError(
            f"{field}: the formula is too long ({len(src)} characters, at most {MAX_CHARS})",
            field=field,
            value=src[:40] + "...",
            allowed=f"at most {MAX_CHARS} characters",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning "invalid decimal literal" for "1if k else 2"
            tree = ast.parse(src, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        msg = getattr(exc, "msg", None) or type(exc).__name__
        raise SpecError(
            f"{field}: not a valid formula ({msg}): {src!r}", field=field, value=src, allowed=ALLOWED
        ) from None
    var = None
    if isinstance(tree, ast.Lambda):  # a pasted `lambda epoch: ...`
        a = tree.args
        if len(a.args) != 1 or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
            raise _reject(field, src, "a lambda of exactly one argument")
        var = a.args[0].arg
        tree = tree.body
    c = _Compiler(field, src, var)
    node, const = c.compile(tree, 0)
    if const is not None:
        value = float(const)
        return Formula(src, field, lambda k, rec, v=value: np.full(k.shape, v), tree, constant=value, var=var)
    return Formula(src, field, node, tree, var=var)


def _reject(field: str, src: str, what: str) -> SpecError:
    return SpecError(
        f"{field}: {what} is not allowed in a formula ({src!r}); allowed: {ALLOWED}",
        field=field,
        value=src,
        allowed=ALLOWED,
    )


def _func_name(node: ast.expr) -> str | None:
    """cos, math.cos, np.cos, numpy.cos -> 'cos'; anything else -> None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in MODULES:
        return node.attr
    return None


class _Compiler:
    def __init__(self, field: str, src: str, var: str | None):
        self.field, self.src, self.var = field, src, var
        self.nodes = 0

    def fail(self, what: str) -> SpecError:
        return _reject(self.field, self.src, what)

    def compile(self, node: ast.expr, depth: int) -> tuple[Node | None, float | None]:
        """-> (closure, None) or (None, folded constant)."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SpecError(
                f"{self.field}: the formula is too large (more than {MAX_NODES} terms)",
                field=self.field,
                value=self.src,
                allowed=f"at most {MAX_NODES} terms",
            )
        if depth > MAX_DEPTH:
            raise SpecError(
                f"{self.field}: the formula is nested too deeply (more than {MAX_DEPTH} levels)",
                field=self.field,
                value=self.src,
                allowed=f"at most {MAX_DEPTH} levels",
            )
        d = depth + 1
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                return None, float(v)
            if isinstance(v, int | float):
                if isinstance(v, int) and abs(v) > 10**18:
                    raise self.fail(f"the integer {str(v)[:20]}… (more than 18 digits)")
                return None, float(v)
            if isinstance(v, str):
                raise self.fail("a string")
            raise self.fail(f"the constant {v!r}")
        if isinstance(node, ast.Name):
            if node.id in VARIABLES or node.id == self.var:
                return (lambda k, rec: k), None
            if node.id in CONSTANTS:
                return None, CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                raise self.fail(f"the function {node.id!r} without a call")
            raise self.fail(f"the name {node.id!r} (use k for the step count)")
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in MODULES and node.attr in CONSTANTS:
                return None, CONSTANTS[node.attr]
            raise self.fail(f"attribute access {_show(node)!r}")
        if isinstance(node, ast.UnaryOp):
            f, c = self.compile(node.operand, d)
            if isinstance(node.op, ast.USub):
                return _fold1(np.negative, f, c)
            if isinstance(node.op, ast.UAdd):
                return f, c
            if isinstance(node.op, ast.Not):
                return _fold1(lambda a: (a == 0).astype(np.float64), f, c)
            raise self.fail("the operator ~")
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail(f"the operator {type(node.op).__name__}")
            lf, lc = self.compile(node.left, d)
            rf, rc = self.compile(node.right, d)
            if isinstance(node.op, ast.Pow):
                self._check_pow(lc, rc)
            return self._binop(node.op, op, lf, lc, rf, rc)
        if isinstance(node, ast.Compare):
            ops = [_CMPOPS.get(type(o)) for o in node.ops]
            if any(o is None for o in ops):
                raise self.fail("'in', 'is' and similar comparisons")
            parts = [self.compile(node.left, d)] + [self.compile(c, d) for c in node.comparators]
            terms = []
            for o, (af, ac), (bf, bc) in zip(ops, parts, parts[1:]):
                terms.append(_fold2(lambda a, b, o=o: o(a, b).astype(np.float64), af, ac, bf, bc))
            f, c = terms[0]
            for tf, tc in terms[1:]:
                f, c = _fold2(lambda a, b: ((a != 0) & (b != 0)).astype(np.float64), f, c, tf, tc)
            return f, c
        if isinstance(node, ast.BoolOp):
            vals = [self.compile(v, d) for v in node.values]
            f, c = vals[0]
            for vf, vc in vals[1:]:
                if isinstance(node.op, ast.And):  # Python: a and b -> b if a else a
                    f, c = _fold2(lambda a, b: np.where(a != 0, b, a), f, c, vf, vc)
                else:  # a or b -> a if a else b
                    f, c = _fold2(lambda a, b: np.where(a != 0, a, b), f, c, vf, vc)
            return f, c
        if isinstance(node, ast.IfExp):
            cf, cc = self.compile(node.test, d)
            bf, bc = self.compile(node.body, d)
            of, oc = self.compile(node.orelse, d)
            return _where(cf, cc, bf, bc, of, oc)
        if isinstance(node, ast.Call):
            return self._call(node, d)
        if isinstance(node, ast.Lambda):
            raise self.fail("a nested lambda")
        if isinstance(node, ast.Subscript):
            raise self.fail("indexing")
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp):
            raise self.fail("a comprehension")
        if isinstance(node, ast.NamedExpr):
            raise self.fail("assignment (:=)")
        if isinstance(node, ast.JoinedStr):
            raise self.fail("a string")
        raise self.fail(f"{type(node).__name__} ({_show(node)!r})")

    def _check_pow(self, lc: float | None, rc: float | None) -> None:
        # Work bombs: 9**9**9 or k ** 10**6 are huge integer powers in the exported Python lambda.
        if rc is not None and abs(rc) > MAX_EXPONENT and not (lc is not None and abs(lc) <= 1):
            raise SpecError(
                f"{self.field}: the exponent {rc:g} is too large (at most {MAX_EXPONENT:g} in magnitude"
                f" unless the base is a constant in [-1, 1])",
                field=self.field,
                value=self.src,
                allowed=f"exponents of magnitude ≤ {MAX_EXPONENT:g}",
            )

    def _binop(self, astop, op, lf, lc, rf, rc):
        rec_zero = isinstance(astop, ast.Div | ast.FloorDiv | ast.Mod)
        is_pow = isinstance(astop, ast.Pow)
        if lc is not None and rc is not None:
            with np.errstate(all="ignore"):
                v = float(op(np.float64(lc), np.float64(rc)))
            if (
                (rec_zero and rc == 0)
                or (math.isfinite(lc) and math.isfinite(rc) and not math.isfinite(v))
                or abs(v) > MAX_CONST
                or (is_pow and lc < 0 and not float(rc).is_integer())
            ):
                raise SpecError(
                    f"{self.field}: {_show_op(lc, astop, rc)} has no finite value",
                    field=self.field,
                    value=self.src,
                    allowed="constant parts with finite values",
                )
            return None, v
        lf = lf or _const(lc)
        rf = rf or _const(rc)
        if rec_zero:
            what = "division by zero (ZeroDivisionError in Python)"

            def f(k, rec):
                a, b = lf(k, rec), rf(k, rec)
                if rec is not None:
                    _record(rec, k, np.broadcast_to(b, np.shape(a) or np.shape(b)) == 0, what)
                return op(a, b)

            return f, None
        if is_pow:

            def f(k, rec):
                a, b = lf(k, rec), rf(k, rec)
                out = _power(a, b)
                if rec is not None:
                    a_, b_ = np.broadcast_arrays(
                        np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
                    )
                    _record(
                        rec,
                        k,
                        (a_ == 0) & (b_ < 0),
                        "0 raised to a negative power (ZeroDivisionError in Python)",
                    )
                    _record(
                        rec,
                        k,
                        (a_ < 0) & (b_ != np.trunc(b_)),
                        "a negative number raised to a fractional power (a complex number in Python)",
                    )
                    _record(
                        rec,
                        k,
                        np.isinf(out) & np.isfinite(a_) & np.isfinite(b_),
                        "overflow (OverflowError in Python)",
                    )
                return out

            return f, None
        return (lambda k, rec: op(lf(k, rec), rf(k, rec))), None

    def _call(self, node: ast.Call, d: int):
        name = _func_name(node.func)
        if name is None:
            raise self.fail(f"calling {_show(node.func)!r}")
        if isinstance(node.func, ast.Attribute) and name not in FUNCTIONS:
            raise self.fail(f"the function {_show(node.func)!r}")
        if name not in FUNCTIONS:
            raise self.fail(f"calling {name!r} (only math functions)")
        if node.keywords:
            raise self.fail(f"keyword arguments in {name}()")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"*args in {name}()")
        fn, lo, hi, _ = FUNCTIONS[name]
        if not lo <= len(node.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise SpecError(
                f"{self.field}: {name}() takes {want} arguments, got {len(node.args)} ({self.src!r})",
                field=self.field,
                value=self.src,
                allowed=ALLOWED,
            )
        args = [self.compile(a, d) for a in node.args]
        if name == "where":
            (cf, cc), (bf, bc), (of, oc) = args
            return _where(cf, cc, bf, bc, of, oc)
        if name == "pow":
            self._check_pow(args[0][1], args[1][1])
        if all(c is not None for _, c in args):
            with np.errstate(all="ignore"):
                v = float(fn(*[np.float64(c) for _, c in args]))
            if not math.isfinite(v) and all(math.isfinite(c) for _, c in args):
                raise SpecError(
                    f"{self.field}: {ast.unparse(node)} has no finite value",
                    field=self.field,
                    value=self.src,
                    allowed="constant parts with finite values",
                )
            return None, v
        fs = [f or _const(c) for f, c in args]
        domain = _DOMAIN.get(name)
        if domain is not None:
            check, what = domain

            def f(k, rec):
                vals = [g(k, rec) for g in fs]
                if rec is not None:
                    _record(rec, k, check(*[np.asarray(v, dtype=np.float64) for v in vals]), what)
                return fn(*vals)

            return f, None
        if len(fs) > 2 and name in ("min", "max"):

            def f(k, rec):
                out = fs[0](k, rec)
                for g in fs[1:]:
                    out = fn(out, g(k, rec))
                return out

            return f, None
        if len(fs) == 1:
            g0 = fs[0]
            return (lambda k, rec: fn(g0(k, rec))), None
        return (lambda k, rec: fn(*[g(k, rec) for g in fs])), None


_ValueErr = "(ValueError: math domain error in Python)"
_DOMAIN = {
    "log": (
        lambda x, b=None: (x <= 0) if b is None else (x <= 0) | (b <= 0) | (b == 1),
        f"log of a number ≤ 0 {_ValueErr}",
    ),
    "log2": (lambda x: x <= 0, f"log2 of a number ≤ 0 {_ValueErr}"),
    "log10": (lambda x: x <= 0, f"log10 of a number ≤ 0 {_ValueErr}"),
    "log1p": (lambda x: x <= -1, f"log1p of a number ≤ -1 {_ValueErr}"),
    "sqrt": (lambda x: x < 0, f"sqrt of a negative number {_ValueErr}"),
    "acos": (lambda x: np.abs(x) > 1, f"acos outside [-1, 1] {_ValueErr}"),
    "asin": (lambda x: np.abs(x) > 1, f"asin outside [-1, 1] {_ValueErr}"),
    "exp": (lambda x: x > 709.78, "exp overflow (OverflowError in Python)"),
}


_EXP_EXACT = 700.0  # |b·ln c| up to this: exp(b·ln c) is a normal double within ~3e-13 of c ** b
_EXP_ZERO = -750.0  # below: c ** b < 2**-1076 even allowing for the rounding of b·ln c, so exactly 0;
# above −_EXP_ZERO: c ** b > e**749 overflows to inf


def _power(a, b) -> np.ndarray:
    """np.power(a, b); for a constant base c > 0 and an array of exponents, exp(b·ln c) where that is
    a normal double (relative error ≤ ~3e-13 vs. Python's correctly rounded c ** b: |b·ln c| ≤ 700 makes
    the rounding of the product ≤ 700·2**-52 absolute), np.power itself near underflow/overflow (subnormal
    results, where a relative bound does not hold), and the exact 0 / inf beyond. np.power costs ~70 ns an
    element, exp a few ns: "0.95 ** k" over 1M steps is ~10× faster."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim or not (0 < a < math.inf) or a == 1:
        return np.power(a, b)
    c = float(a)
    # Elementwise rule (whatever the shape or size of b): values(k) must not depend on which k are asked.
    b = np.asarray(b, dtype=np.float64)
    mant, m = math.frexp(c)
    if mant == 0.5:  # c = 2**(m−1): 2 ** whole exponents exactly, with ldexp (0.5 ** 3 == 0.125)
        e = b * (m - 1)
        if np.isfinite(e).all() and np.array_equal(e, np.trunc(e)):
            return np.ldexp(1.0, np.clip(e, -4000, 4000).astype(np.int64))
        return np.power(a, b)
    flat = np.multiply(b.reshape(-1), math.log(c))
    out = flat.reshape(b.shape)
    # np.power where 700 < |b·ln c| ≤ 750; beyond, the exact 0.0 / inf directly (exp's vector loop takes a
    # slow path for arguments whose result underflows or overflows); NaN compares false everywhere and
    # goes through exp (NaN, as np.power(c, NaN) for c ≠ 1). Boolean masks only: no float temporaries.
    under = flat < _EXP_ZERO
    over = flat > -_EXP_ZERO
    near = flat < -_EXP_EXACT
    near ^= under
    hi = flat > _EXP_EXACT
    hi ^= over
    near |= hi
    idx = np.flatnonzero(near)
    np.copyto(flat, 0.0, where=under)
    np.copyto(flat, 0.0, where=over)
    np.exp(flat, out=flat)
    np.copyto(flat, 0.0, where=under)
    np.copyto(flat, math.inf, where=over)
    if idx.size:
        flat[idx] = np.power(c, b.reshape(-1)[idx])
    return out


def _record(rec: list, k: np.ndarray, mask, what: str) -> None:
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), k.shape)
    if mask.any():
        rec.append((float(k.reshape(-1)[np.argmax(mask.reshape(-1))]), what))


def _const(c: float) -> Node:
    return lambda k, rec: np.float64(c)


def _fold1(op, f, c):
    if c is not None:
        with np.errstate(all="ignore"):
            return None, float(op(np.float64(c)))
    return (lambda k, rec: op(f(k, rec))), None


def _fold2(op, af, ac, bf, bc):
    if ac is not None and bc is not None:
        with np.errstate(all="ignore"):
            return None, float(op(np.float64(ac), np.float64(bc)))
    af = af or _const(ac)
    bf = bf or _const(bc)
    return (lambda k, rec: op(af(k, rec), bf(k, rec))), None


def _where(cf, cc, bf, bc, of, oc):
    if cc is not None:  # constant condition: pick a branch
        return (bf, bc) if cc != 0 else (of, oc)
    bf = bf or _const(bc)
    of = of or _const(oc)
    return (lambda k, rec: np.where(cf(k, rec) != 0, bf(k, rec), of(k, rec))), None


def _show(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse is total for parsed trees
        text = type(node).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _show_op(a: float, op: ast.operator, b: float) -> str:
    sym = {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.Pow: "**",
    }[type(op)]
    return f"{a:g} {sym} {b:g}"


# -- export: the same formula as a Python lambda body -----------------------------------------------


class _ToPython(ast.NodeTransformer):
    def __init__(self, var: str | None):
        self.var = var

    def visit_Name(self, n: ast.Name) -> ast.AST:
        if n.id in CONSTANTS and n.id != self.var:
            return ast.Attribute(value=ast.Name("math", ast.Load()), attr=n.id, ctx=ast.Load())
        return ast.Name("k", ast.Load())  # every variable name means the step count

    def visit_Attribute(self, n: ast.Attribute) -> ast.AST:
        return ast.Attribute(
            value=ast.Name("math", ast.Load()), attr=n.attr, ctx=ast.Load()
        )  # math/np constants

    def visit_Call(self, n: ast.Call) -> ast.AST:
        name = _func_name(n.func)
        args = [self.visit(a) for a in n.args]
        if name == "where":
            return ast.IfExp(test=args[0], body=args[1], orelse=args[2])
        if name == "clip":
            inner = ast.Call(ast.Name("max", ast.Load()), [args[0], args[1]], [])
            return ast.Call(ast.Name("min", ast.Load()), [inner, args[2]], [])
        spelled = FUNCTIONS[name][3]
        if "." in spelled:
            mod, attr = spelled.split(".")
            func: ast.expr = ast.Attribute(ast.Name(mod, ast.Load()), attr, ast.Load())
        else:
            func = ast.Name(spelled, ast.Load())
        return ast.Call(func, args, [])


def _to_python(tree: ast.expr, var: str | None) -> ast.expr:
    import copy

    out = _ToPython(var).visit(copy.deepcopy(tree))
    return ast.fix_missing_locations(out)


__all__ = ["ALLOWED", "Formula", "compile_formula"]
