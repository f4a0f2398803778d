"""What people paste from their scripts, turned into the one schedule call a spec is.

    >>> scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)
    warmup = LinearLR(optimizer, start_factor=0.1, total_iters=5)
    cosine = CosineAnnealingLR(optimizer, T_max=95)
    scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[5])
    lambda epoch: 0.95 ** epoch

`clean` drops interpreter prompts (`>>>`, `...`, IPython's `In [1]:`), the common indentation, trailing `;`
and blank lines. `pasted_call` reads several statements (with `ast`, never executed): names bound to numbers,
lists, schedule calls, lambdas or one-line `def`s are substituted where later code uses them, and the last
schedule call (or a bare lambda, as LambdaLR) is the spec — unless a `for` loop switches between two of those
schedulers (`if epoch > swa_start: swa_scheduler.step() else: scheduler.step()`, torch's SWA recipe): that
loop is the schedule the script runs, a SwitchLR. Everything else (imports, the optimizer, the rest of the
loops) is ignored.
"""

from __future__ import annotations

import ast
import copy
import re
import textwrap
from collections.abc import Callable

_PROMPT = re.compile(r"^\s*(?:>>>|\.\.\.|In \[\d*\]:|\s*\.\.\.:)(?: |$)")
MAX_NODES = 5_000  # substituting names must not blow up (a = [..]; b = [a, a]; c = [b, b] ...)
MAX_DEPTH = 150  # nor nest deeper than a literal could (a = [a0]; b = [a]; ...)


def clean(text: str) -> str:
    """The code in a pasted block: prompts, common indentation, blank lines and trailing ';' removed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if any(_PROMPT.match(line) for line in lines):
        # a console session: keep the prompted lines (the rest is output)
        lines = [_PROMPT.sub("", line, count=1) for line in lines if _PROMPT.match(line)]
    lines = [line.rstrip().rstrip(";").rstrip() for line in lines]
    return textwrap.dedent("\n".join(line for line in lines if line.strip())).strip()


def as_call(node: ast.expr) -> ast.expr:
    """A bare lambda is LambdaLR's lr_lambda (the README's `lambda epoch: 0.95 ** epoch`)."""
    if isinstance(node, ast.Lambda):
        return ast.Call(
            func=ast.Name(id="LambdaLR", ctx=ast.Load()), args=[], keywords=[ast.keyword("lr_lambda", node)]
        )
    return node


def pasted_call(text: str, known: Callable[[str], list[str] | None]) -> ast.expr | None:
    """The schedule call in pasted statements, names resolved; None when the text is not Python statements,
    SpecError when they build no schedule."""
    try:
        module = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    env: dict[str, ast.expr] = {}
    sizes: dict[str, int] = {}  # nodes of each bound value: a substitution is priced before it is made
    found: ast.expr | None = None
    for target, value in (pair for stmt in module.body for pair in _bindings(stmt)):
        size = sum(sizes.get(n.id, 1) for n in ast.walk(value) if isinstance(n, ast.Name))
        size += sum(1 for n in ast.walk(value) if not isinstance(n, ast.Name))
        if size > MAX_NODES:
            return None
        try:
            value = _Substitute(env).visit(copy.deepcopy(value))
        except RecursionError:
            return None
        if _depth(value) > MAX_DEPTH:
            return None
        if _is_schedule(value, known) or (isinstance(value, ast.Lambda) and target is None):
            found = value
        if target is not None and _bindable(value, known):
            env[target], sizes[target] = value, size
        elif target is not None and (number := _integer(value)) is not None:
            env[target], sizes[target] = ast.Constant(number), 1  # swa_start = int(0.75 * epochs)
    switch = _loop_switch(module, env, known)
    if switch is not None:
        return switch
    if found is None:
        from lrtui.schedules.errors import SpecError

        raise SpecError(
            "the pasted code has no schedule call (e.g. scheduler = StepLR(optimizer, step_size=30))",
            field="spec",
            value=text[:60],
            allowed="code that builds a scheduler",
        )
    return as_call(found)


def _depth(node: ast.AST) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(n))
    return deepest


def _bindings(stmt: ast.stmt) -> list[tuple[str | None, ast.expr]]:
    """(name, value) of `name = value`, `a, b = 1, 2`, `name: T = value`, a one-line def; (None, value) of a
    bare expression; nothing for other statements."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, ast.Name):
            return [(target.id, value)]
        if (
            isinstance(target, ast.Tuple | ast.List)
            and isinstance(value, ast.Tuple | ast.List)
            and len(target.elts) == len(value.elts)
            and all(isinstance(t, ast.Name) for t in target.elts)
        ):
            return [(t.id, v) for t, v in zip(target.elts, value.elts)]
        return []
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return [(stmt.target.id, stmt.value)]
    if isinstance(stmt, ast.FunctionDef):
        body = [s for s in stmt.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            return [(stmt.name, ast.Lambda(args=stmt.args, body=body[0].value))]
        return []
    if isinstance(stmt, ast.Expr):
        return [(None, stmt.value)]
    return []


def _is_schedule(node: ast.expr, known) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    return name is not None and known(name) is not None


def _bindable(node: ast.expr, known) -> bool:
    """Values a later line may use: numbers and their arithmetic, strings, lists, schedules, lambdas."""
    if isinstance(node, ast.Lambda | ast.Constant) or _is_schedule(node, known):
        return True
    if isinstance(node, ast.List | ast.Tuple):
        return all(_bindable(e, known) for e in node.elts)
    if isinstance(node, ast.BinOp):
        return _bindable(node.left, known) and _bindable(node.right, known)
    if isinstance(node, ast.UnaryOp):
        return _bindable(node.operand, known)
    if isinstance(node, ast.Attribute):  # math.pi
        return isinstance(node.value, ast.Name) and node.value.id in ("math", "np", "numpy")
    return False


class _Substitute(ast.NodeTransformer):
    def __init__(self, env: dict[str, ast.expr]) -> None:
        self.env = env
        self.bound: list[set[str]] = []  # lambda parameters shadow outer names

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.bound.append({a.arg for a in node.args.args})
        self.generic_visit(node)
        self.bound.pop()
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.env and not any(node.id in names for names in self.bound):
            return self.env[node.id]  # shared, not copied: bound values are never changed afterwards
        return node


# -- the SWA loop: `for epoch in range(...): ... if epoch > swa_start: b.step() else: a.step()` ----------------
_AFTER = {ast.Gt: 2, ast.GtE: 1}  # `v > t`: the loop's (t - start + 2)-th step() call is b's first
_BEFORE = {ast.Lt: 1, ast.LtE: 2}  # `v < t`: the if-branch steps a, the else-branch b
_MIRROR = {ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Lt: ast.Gt, ast.LtE: ast.GtE}


def _loop_switch(module: ast.Module, env: dict[str, ast.expr], known) -> ast.expr | None:
    """SwitchLR([a, b], milestones=[m]) for a loop that steps scheduler a, then b from a threshold on.

    SwitchLR's milestone m counts step() calls from 1 (b makes the m-th, as in torch's own SWA tests); the
    loop makes one call per iteration, so with `for v in range(start, ...)` the call of iteration v is the
    (v - start + 1)-th."""
    for loop in (n for n in ast.walk(module) if isinstance(n, ast.For)):
        if not isinstance(loop.target, ast.Name):
            continue
        start = _range_start(loop.iter, env)
        if start is None:
            continue
        for stmt in loop.body:
            if not (isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare)):
                continue
            found = _switch_of(stmt, loop.target.id, env, known)
            if found is not None:
                first, then, threshold, offset = found
                milestone = threshold - start + offset
                return ast.Call(
                    func=ast.Name(id="SwitchLR", ctx=ast.Load()),
                    args=[ast.List(elts=[first, then], ctx=ast.Load())],
                    keywords=[
                        ast.keyword("milestones", ast.List(elts=[ast.Constant(milestone)], ctx=ast.Load()))
                    ],
                )
    return None


def _switch_of(node: ast.If, var: str, env, known) -> tuple[ast.expr, ast.expr, int, int] | None:
    test = node.test
    if len(test.ops) != 1:
        return None
    op, left, right = type(test.ops[0]), test.left, test.comparators[0]
    if isinstance(right, ast.Name) and right.id == var:  # `swa_start < epoch`
        op, left, right = _MIRROR.get(op), right, left
    if not (isinstance(left, ast.Name) and left.id == var) or op not in _AFTER | _BEFORE:
        return None
    threshold = _integer(_Substitute(env).visit(copy.deepcopy(right)))
    names = _stepped(node.body, env, known), _stepped(node.orelse, env, known)
    if threshold is None or None in names or names[0] == names[1]:  # one scheduler stepped either way
        return None
    here, other = env[names[0]], env[names[1]]
    if op in _AFTER:
        return other, here, threshold, _AFTER[op]
    return here, other, threshold, _BEFORE[op]


def _stepped(body: list[ast.stmt], env, known) -> str | None:
    """The name of the one schedule a branch steps (`name.step()`, `name` bound to a schedule call)."""
    calls = [
        s.value.func.value.id
        for s in body
        if isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Attribute)
        and s.value.func.attr == "step"
        and isinstance(s.value.func.value, ast.Name)
        and _is_schedule(env.get(s.value.func.value.id), known)
    ]
    return calls[0] if len(calls) == 1 else None


def _range_start(node: ast.expr, env) -> int | None:
    """Where `range(...)` / `range(start, stop)` starts (the loop variable's first value)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"):
        return None
    if len(node.args) == 1:
        return 0
    if len(node.args) in (2, 3):
        return _integer(_Substitute(env).visit(copy.deepcopy(node.args[0])))
    return None


def _integer(node: ast.expr) -> int | None:
    """The integer a small constant expression stands for (`75`, `int(0.75 * 100)`, `epochs - 25`)."""
    try:
        value = _number(node, depth=0)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
}


def _number(node: ast.expr, depth: int) -> int | float:
    if depth > 20:
        raise ValueError("too deep")
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        if abs(node.value) > 1e15:
            raise ValueError("too large")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(node.operand, depth + 1)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        value = _OPS[type(node.op)](_number(node.left, depth + 1), _number(node.right, depth + 1))
        if abs(value) > 1e15:
            raise ValueError("too large")
        return value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("int", "round")
        and len(node.args) == 1
        and not node.keywords
    ):
        return (
            int(_number(node.args[0], depth + 1))
            if node.func.id == "int"
            else round(_number(node.args[0], depth + 1))
        )
    raise ValueError("not a number")
