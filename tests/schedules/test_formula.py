"""Safe formulas: the same values as the Python lambda torch would call, and clear rejections."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrtui.schedules import SpecError
from lrtui.schedules.formula import compile_formula

K = np.arange(0, 400)

FORMULAS = [
    "0.95 ** epoch",
    "min(1, k / 50) * 0.5 * (1 + cos(pi * k / 300))",
    "math.exp(-k / 100) + 0.1",
    "np.sqrt(k + 1) / 20",
    "1.0 if k < 100 else 0.1 if k < 200 else 0.01",
    "k < 50 and 0.1 or 1.0",
    "(k // 30) % 3 + 1",
    "0.5 ** (k // 100)",
    "max(0.0, 1 - k / 250, 0.05)",
    "abs(sin(k / 10)) + floor(k / 100) - ceil(k / 300) + round(k / 7)",
    "log(k + 1) / log10(k + 10) + log2(k + 2) + log(k + 2, 3)",
    "1 / math.sqrt(max(k, 10))",
    "lambda epoch: 1e-9 + (epoch / 5) if epoch <= 5 else 0.5 * (np.cos((epoch - 5) / (100 - 5) * np.pi) + 1)",
    "lambda step: float(step) / float(max(1, 30)) if step < 30 else 1.0",
    "2 < k <= 300",
    "not k % 2",
    "tanh(k / 100) + atan(k) + pow(1.01, k / 10)",
    "np.where(k < 10, 0.1, 1.0) + clip(k / 100, 0.2, 0.8)",
    "-k / 1000 + e - inf * 0 if k < 0 else 1 - k / 1000",
    "int(k / 7) + trunc(k / 9) + hypot(3, k)",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_values_match_the_python_lambda(text):
    f = compile_formula(text)
    # Exec of OUR generated export source (math only), to compare with what torch would call.
    py = eval(
        f.python_source,
        {
            "math": math,
            "__builtins__": {
                "abs": abs,
                "min": min,
                "max": max,
                "pow": pow,
                "round": round,
                "int": int,
                "float": float,
            },
        },
    )
    ours = f(K)
    for k in K.tolist():
        want = float(py(k))
        assert ours[k] == pytest.approx(want, rel=1e-12, abs=1e-300), (text, k)


def test_constant_formula_and_text():
    f = compile_formula(" 0.5 * 2 ")
    assert f.constant == 1.0 and f.text == "0.5 * 2"
    np.testing.assert_array_equal(f(np.arange(3)), [1.0, 1.0, 1.0])
    assert compile_formula("lambda epoch: 0.9 ** epoch").python_source == "lambda k: 0.9 ** k"


def test_domain_errors_name_the_python_exception():
    f = compile_formula("1 / k")
    assert np.isinf(f(np.arange(3))[0])
    ((step, what),) = f.domain_errors(np.arange(10))
    assert step == 0 and "ZeroDivisionError" in what
    assert "ValueError" in compile_formula("sqrt(k - 5)").domain_errors(np.arange(10))[0][1]
    assert "complex" in compile_formula("(k - 5) ** 0.5").domain_errors(np.arange(10))[0][1]
    assert "OverflowError" in compile_formula("exp(k)").domain_errors(np.arange(1000))[0][1]
    assert compile_formula("0.95 ** k").domain_errors(np.arange(1000)) == []


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("__import__('os').system('ls')", "calling"),
        ("k.real", "attribute access"),
        ("os.system", "attribute access"),
        ("open('x')", "calling 'open'"),
        ("math.factorial(k)", "math.factorial"),
        ("'a' * 3", "a string"),
        ("[1, 2][0]", "indexing"),
        ("[x for x in range(3)]", "comprehension"),
        ("lambda: 1", "one argument"),
        ("lambda a, b: a", "one argument"),
        ("lambda k: lambda j: 1", "nested lambda"),
        ("foo + 1", "the name 'foo'"),
        ("9 ** 9 ** 9", "exponent"),
        ("k ** 100000", "exponent"),
        ("2 ** 1e5", "exponent"),
        ("10.0 ** 400", "no finite value"),
        ("1 / 0", "no finite value"),
        ("min(k)", "takes 2 to 16"),
        ("cos", "without a call"),
        ("(y := 3)", "assignment"),
        ("k if", "not a valid formula"),
        ("", "empty"),
        ("k + " * 400 + "1", "too long"),
        ("(" * 90 + "k" + ")" * 90 + " + " + " + ".join(["k"] * 200), "nested too deeply"),
        ("~k", "the operator ~"),
        ("k in [1]", "'in'"),
        ("k @ k", "MatMult"),
        ("f'{k}'", "a string"),
        ("{1: 2}", "Dict"),
        ("cos(k, key=1)", "keyword"),
        ("1" + "0" * 30, "more than 18 digits"),
    ],
)
def test_rejections_name_field_and_what_is_allowed(text, fragment):
    with pytest.raises(SpecError) as info:
        compile_formula(text, field="LambdaLR.lr_lambda")
    msg = str(info.value)
    assert msg.startswith("LambdaLR.lr_lambda"), msg
    assert fragment in msg, msg
    assert info.value.field == "LambdaLR.lr_lambda"


def test_rejects_non_strings():
    with pytest.raises(SpecError):
        compile_formula(3)  # type: ignore[arg-type]


def test_large_array_is_fine():
    f = compile_formula("min(1, k / 500) * 0.5 * (1 + cos(pi * k / 10000))")
    out = f(np.arange(1_000_000))
    assert out.shape == (1_000_000,) and np.isfinite(out).all()
