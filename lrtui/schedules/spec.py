"""Spec strings: a schedule is written as its constructor call without the optimizer.

    CosineAnnealingLR(T_max=100, eta_min=1e-6)
    SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])

Parsed with `ast` (literals and nested calls of catalogue names only) — never eval. `str(spec)` prints the
canonical form and `parse(str(spec)) == spec`. A pasted call that still names the optimizer
(`StepLR(optimizer, step_size=30)`) is accepted: a leading bare name is dropped. A Python `lambda` passed
as a value becomes a safe formula string (`lambda epoch: 0.95 ** epoch` -> "0.95 ** epoch"); a bare lambda
is LambdaLR's. Pasted code — prompts, `scheduler = ...`, several statements — is read by
`lrtui.schedules.paste`.
"""

from __future__ import annotations

import ast
import json
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from lrtui.schedules.errors import SpecError

MAX_SPEC_CHARS = 20_000
MAX_DEPTH = 12
Value = object  # int | float | bool | str | None | list[Value] | Spec


@dataclass(eq=True)
class Spec:
    """A schedule kind name (as the user wrote it) and its explicitly given arguments."""

    kind: str
    args: dict[str, Value] = field(default_factory=dict)

    def __str__(self) -> str:
        # A kind's leading arguments that people write positionally (SequentialLR([...], milestones=[5]))
        # print that way, first; the rest as keywords in the order given.
        lead = [k for k in _positional(self.kind) if k in self.args]
        lead = lead[: next((i for i, k in enumerate(lead) if k != list(self.args)[i]), len(lead))]
        parts = [format_value(self.args[k]) for k in lead]
        parts += [f"{k}={format_value(v)}" for k, v in self.args.items() if k not in lead]
        return f"{self.kind}({', '.join(parts)})"

    def with_args(self, **changes: Value) -> Spec:
        args = dict(self.args)
        for k, v in changes.items():
            if v is _UNSET:
                args.pop(k, None)
            else:
                args[k] = v
        return Spec(self.kind, args)

    def children(self) -> list[tuple[str, Spec]]:
        """Nested specs with their field path, in order."""
        out: list[tuple[str, Spec]] = []
        for name, v in self.args.items():
            if isinstance(v, Spec):
                out.append((name, v))
            elif isinstance(v, list):
                out.extend((f"{name}[{i}]", c) for i, c in enumerate(v) if isinstance(c, Spec))
        return out


def _positional(kind: str) -> tuple[str, ...]:
    from lrtui.schedules.catalogue import get_kind

    k = get_kind(kind)
    return getattr(k, "positional", ()) if k is not None else ()


_UNSET = object()
UNSET = _UNSET  # `spec.with_args(x=UNSET)` removes an argument


def format_value(v: Value) -> str:
    if isinstance(v, Spec):
        return str(v)
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    raise TypeError(f"cannot format {type(v).__name__} in a spec")


def parse(text: str, *, known: Callable[[str], list[str] | None] | None = None) -> Spec:
    """Parse a spec string. `known(name) -> canonical param names or None` validates kind names.

    Raises SpecError (never anything else) for any malformed input.
    """
    if known is None:
        from lrtui.schedules.catalogue import param_names_for

        known = param_names_for
    if not isinstance(text, str):
        raise SpecError("a spec must be a string", field="spec", value=text, allowed="a string")
    raw, text = text, text.strip()
    if len(text) <= MAX_SPEC_CHARS:
        from lrtui.schedules.paste import clean

        text = clean(raw)  # prompts and indentation of pasted code (before strip() shifted line 1)
    if not text:
        raise SpecError(
            "the spec is empty: write a schedule call such as StepLR(step_size=10)",
            field="spec",
            value=text,
            allowed="a schedule call",
        )
    if len(text) > MAX_SPEC_CHARS:
        raise SpecError(
            f"the spec is too long ({len(text)} characters, at most {MAX_SPEC_CHARS})",
            field="spec",
            value=text[:40] + "...",
            allowed=f"at most {MAX_SPEC_CHARS} characters",
        )
    from lrtui.schedules.paste import as_call, pasted_call

    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal" SyntaxWarnings on odd input
            warnings.simplefilter("ignore")
            node = as_call(ast.parse(text, mode="eval").body)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        # Pasted statements: `scheduler = OneCycleLR(optimizer, ...)`, several lines building one schedule
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = pasted_call(text, known)
        if node is None:
            msg = getattr(exc, "msg", None) or str(exc)
            raise SpecError(
                f"not a valid spec: {msg} (write it as a call, e.g. StepLR(step_size=10))",
                field="spec",
                value=text,
                allowed="a schedule call",
            ) from None
    if not isinstance(node, ast.Call):
        # A bare name such as "StepLR" means "this kind with its defaults".
        if isinstance(node, ast.Name | ast.Attribute):
            node = ast.Call(func=node, args=[], keywords=[])
        else:
            raise SpecError(
                "a spec must be a schedule call such as StepLR(step_size=10)",
                field="spec",
                value=text,
                allowed="a schedule call",
            )
    return _call(node, known, depth=0, path="")


def _callee_name(func: ast.expr) -> str | None:
    # Accept dotted paths users paste: torch.optim.lr_scheduler.StepLR -> StepLR.
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _call(node: ast.Call, known, depth: int, path: str) -> Spec:
    if depth > MAX_DEPTH:
        raise SpecError(
            f"schedules nested more than {MAX_DEPTH} deep",
            field=path or "spec",
            value=None,
            allowed=f"at most {MAX_DEPTH} levels of nesting",
        )
    name = _callee_name(node.func)
    where = path or "spec"
    if name is None:
        raise SpecError(
            f"{where}: expected a schedule name before '('",
            field=where,
            value=ast.unparse(node.func),
            allowed="a schedule name",
        )
    names = known(name)
    if names is None:
        from lrtui.schedules.catalogue import suggest

        hint = suggest(name)
        raise SpecError(
            f"{where}: unknown schedule {name!r}{hint}",
            field=where,
            value=name,
            allowed="a schedule from the catalogue (lrtui plot --list)",
        )
    kind_path = f"{path}.{name}" if path else name
    args: dict[str, Value] = {}
    # Drop the optimizer of a pasted constructor call: `StepLR(optimizer, step_size=30)`,
    # `get_scheduler("cosine", optimizer, ...)`, `OneCycleLR(optimizer=opt, ...)`.
    positional = [a for i, a in enumerate(node.args) if not _is_optimizer_ref(a, first=i == 0)]
    keywords = [kw for kw in node.keywords if kw.arg in names or not _is_pasted_noise(kw)]
    keywords = _flatten_specific_kwargs(keywords, kind_path)
    if any(isinstance(a, ast.Starred) for a in positional):
        raise SpecError(
            f"{kind_path}: *args are not allowed", field=kind_path, value="*", allowed="plain arguments"
        )
    if len(positional) > len(names):
        raise SpecError(
            f"{kind_path}: takes at most {len(names)} positional arguments, got {len(positional)}",
            field=kind_path,
            value=len(positional),
            allowed=f"at most {len(names)}",
        )
    for pname, arg in zip(names, positional):
        args[pname] = _value(arg, known, depth, f"{kind_path}.{pname}")
    for kw in keywords:
        if kw.arg is None:
            raise SpecError(
                f"{kind_path}: **kwargs are not allowed",
                field=kind_path,
                value="**",
                allowed="plain keyword arguments",
            )
        if kw.arg in args:
            raise SpecError(
                f"{kind_path}.{kw.arg} is given twice",
                field=f"{kind_path}.{kw.arg}",
                value=None,
                allowed="each argument once",
            )
        if kw.arg not in names:
            raise SpecError(
                f"{kind_path}: unknown parameter {kw.arg!r}; {name} takes {', '.join(names) or 'no parameters'}",
                field=f"{kind_path}.{kw.arg}",
                value=kw.arg,
                allowed=", ".join(names),
            )
        args[kw.arg] = _value(kw.value, known, depth, f"{kind_path}.{kw.arg}")
    return Spec(name, args)


_OPTIMIZER_NAME = re.compile(r"opt", re.IGNORECASE)


def _is_optimizer_ref(node: ast.expr, *, first: bool) -> bool:
    """A bare identifier standing for the optimizer: any first positional name, or one that says 'opt'."""
    if not isinstance(node, ast.Name | ast.Attribute) or _is_constant_name(node):
        return False
    ident = node.id if isinstance(node, ast.Name) else node.attr
    return first or bool(_OPTIMIZER_NAME.search(ident))


def _is_pasted_noise(kw: ast.keyword) -> bool:
    """Keywords of pasted code that do not change the curve: optimizer=..., verbose=..., last_epoch=-1."""
    if kw.arg == "optimizer" and isinstance(kw.value, ast.Name | ast.Attribute):
        return True
    if (
        kw.arg == "verbose"
        and isinstance(kw.value, ast.Constant)
        and kw.value.value in (True, False, "deprecated")
    ):
        return True
    return kw.arg == "last_epoch" and ast.unparse(kw.value).replace(" ", "") == "-1"


def _flatten_specific_kwargs(keywords: list[ast.keyword], kind_path: str) -> list[ast.keyword]:
    """transformers' `scheduler_specific_kwargs={"num_cycles": 2}` becomes plain keywords."""
    out: list[ast.keyword] = []
    for kw in keywords:
        if kw.arg == "scheduler_specific_kwargs" and isinstance(kw.value, ast.Dict):
            for key, value in zip(kw.value.keys, kw.value.values):
                if not (
                    isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isidentifier()
                ):
                    raise SpecError.bad_value(
                        f"{kind_path}.scheduler_specific_kwargs",
                        ast.unparse(kw.value),
                        "a dict with string keys",
                    )
                out.append(ast.keyword(arg=key.value, value=value))
        else:
            out.append(kw)
    return out


_PYTHON_CALLS = {"len", "int", "float", "round", "min", "max", "sum", "range", "abs", "math", "ceil", "floor"}
_CONSTANT_NAMES = {"inf": math.inf, "pi": math.pi, "e": math.e, "True": True, "False": False, "None": None}


def _is_constant_name(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _CONSTANT_NAMES
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("math", "np", "numpy")
        and node.attr in ("pi", "e", "inf")
    )


def _value(node: ast.expr, known, depth: int, path: str) -> Value:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool | int | float | str) or v is None:
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10**18:
                raise SpecError.bad_value(path, v, "an integer of at most 18 digits")
            return v
        raise SpecError.bad_value(path, v, "a number, a string, True/False/None, a list or a schedule")
    if isinstance(node, ast.List | ast.Tuple):
        if len(node.elts) > 10_000:
            raise SpecError.bad_value(path, f"[{len(node.elts)} items]", "a list of at most 10000 items")
        return [_value(e, known, depth + 1, f"{path}[{i}]") for i, e in enumerate(node.elts)]
    if isinstance(node, ast.Call):
        name = _callee_name(node.func)
        if name in _PYTHON_CALLS and known(name) is None:  # len(loader) * epochs: code lrtui cannot run
            raise SpecError.bad_value(
                path, ast.unparse(node), "a number (lrtui reads code, it does not run it)"
            )
        return _call(node, known, depth + 1, path)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _value(node.operand, known, depth + 1, path)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return -v if isinstance(node.op, ast.USub) else v
        raise SpecError.bad_value(path, ast.unparse(node), "a number")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        # Constant arithmetic such as 1/3 or 0.1*4 (common in pasted code); no powers, so no work bombs.
        try:
            a = _value(node.left, known, depth + 1, path)
            b = _value(node.right, known, depth + 1, path)
        except SpecError:  # name the whole expression: len(loader) * epochs
            raise SpecError.bad_value(
                path, ast.unparse(node), "a number (lrtui reads code, it does not run it)"
            ) from None
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b)):
            raise SpecError.bad_value(path, ast.unparse(node), "a number (arithmetic only on numbers)")
        try:
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                r = a * b
                if isinstance(r, int) and abs(r) > 10**18:
                    raise OverflowError
                return r
            return a / b
        except (ZeroDivisionError, OverflowError):
            raise SpecError.bad_value(path, ast.unparse(node), "a finite number") from None
    if _is_constant_name(node):
        key = node.id if isinstance(node, ast.Name) else node.attr
        return _CONSTANT_NAMES[key]
    if isinstance(node, ast.Lambda):
        return _lambda_to_formula(node, path)
    try:
        shown = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse is total for parsed trees
        shown = type(node).__name__
    raise SpecError.bad_value(
        path,
        shown,
        "a number, a string, True/False/None, a list or a schedule call "
        "(names, attributes and expressions are not evaluated)",
    )


def _lambda_to_formula(node: ast.Lambda, path: str) -> str:
    params = node.args.args
    if len(params) != 1 or node.args.vararg or node.args.kwarg or node.args.kwonlyargs:
        raise SpecError.bad_value(
            path, ast.unparse(node), "a lambda of one argument, e.g. lambda epoch: 0.95 ** epoch"
        )
    arg = params[0].arg

    class _Rename(ast.NodeTransformer):
        def visit_Name(self, n: ast.Name) -> ast.AST:
            return ast.copy_location(ast.Name(id="k", ctx=n.ctx), n) if n.id == arg else n

    depth = _ast_depth(node.body)
    if depth > MAX_LAMBDA_DEPTH:  # ast's visitors and unparse recurse: refuse before they overflow
        raise SpecError(
            f"{path or 'lambda'}: the lambda body is nested {depth} levels deep (at most {MAX_LAMBDA_DEPTH}); "
            'write the formula as a string, e.g. lr_lambda="0.95 ** k"',
            field=path or "lambda",
            value="lambda",
            allowed=f"a lambda body nested at most {MAX_LAMBDA_DEPTH} levels",
        )
    body = _Rename().visit(ast.fix_missing_locations(node.body))
    return ast.unparse(body)


MAX_LAMBDA_DEPTH = 200


def _ast_depth(root: ast.AST) -> int:
    """The nesting depth of an expression tree, measured without recursion."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_LAMBDA_DEPTH:  # deeper than that is refused anyway: stop walking
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest
