"""What people paste from their scripts, turned into the one schedule call a spec is.

    >>> scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)
    warmup = LinearLR(optimizer, start_factor=0.1, total_iters=5)
    cosine = CosineAnnealingLR(optimizer, T_max=95)
    scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[5])
    lambda epoch: 0.95 ** epoch

`clean` drops interpreter prompts (`>>>`, `...`, IPython's `In [1]:`), the common indentation, trailing `;`
and blank lines. `pasted_call` reads several statements (with `ast`, never executed): names bound to numbers,
lists, schedule calls, lambdas or one-line `def`s are substituted where later code uses them, and the last
schedule call (or a bare lambda, as LambdaLR) is the spec. Everything else (imports, the optimizer, loops) is
ignored.
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
