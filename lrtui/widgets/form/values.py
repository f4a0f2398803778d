"""Text <-> value for one form field, driven by the parameter's `Param` metadata (no Textual here).

A field holds what the user typed. `parse_field` turns it into a spec value or raises SpecError with the
field, the value and what is allowed; `field_text` prints a spec value back. Values are parsed with the
spec parser itself (ast, never eval), so a field accepts exactly what a spec string accepts: `1/3`, `inf`,
`1e-3`, lists written with or without brackets ("10, 20"), `lambda epoch: 0.95 ** epoch` for formulas.
"""

from __future__ import annotations

from lrtui.schedules.catalogue import param_names_for
from lrtui.schedules.errors import SpecError
from lrtui.schedules.params import Param
from lrtui.schedules.spec import Spec, format_value, parse

_WRAPPER = "__field__"
MAX_FIELD_CHARS = 5000


class Missing:
    """The field is empty: the parameter takes its default (it is left out of the spec)."""


MISSING = Missing()


def safe_error(exc: BaseException) -> str:
    """Message text for any exception the schedule layer lets through (a bug there must not crash the UI)."""
    if isinstance(exc, SpecError):
        return str(exc)
    return f"internal error ({type(exc).__name__}): {exc}"


def field_text(param: Param, value: object) -> str:
    """The text a field shows for a spec value ("10, 20" for lists, the bare formula for formulas)."""
    if value is None:
        return "None"
    if param.type == "formula" and isinstance(value, str):
        return value
    if param.type == "str" and isinstance(value, str):
        return value
    if param.type == "schedule_list" and isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if (
        param.type == "choice_list"
        and isinstance(value, list | tuple)
        and all(isinstance(v, str) for v in value)
    ):
        return ", ".join(value)  # step, epoch
    if isinstance(value, list | tuple) and param.type != "schedule":
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, Spec):
        return str(value)
    return format_value(value)


def default_text(param: Param) -> str:
    """Placeholder text: the default value, or what is required."""
    if param.required:
        return f"required: {param.allowed()}"
    if param.default is None:
        return "None (default)"
    try:
        return f"{field_text(param, param.default)} (default)"
    except TypeError:
        return "(default)"


def _literal(text: str, where: str, param: Param) -> object:
    try:
        spec = parse(f"{_WRAPPER}(v={text})", known=lambda n: ["v"] if n == _WRAPPER else param_names_for(n))
    except SpecError:
        raise SpecError.bad_value(where, text, param.allowed()) from None
    return spec.args["v"]


def _wants_list(param: Param, text: str) -> bool:
    listy = param.type in ("int_list", "float_list") or (param.per_group and param.type in ("float", "int"))
    return listy and not text.startswith(("[", "(")) and ("," in text or param.type.endswith("_list"))


def parse_field(param: Param, text: str, kind: str, n_groups: int = 1) -> object:
    """The spec value for `text`, MISSING when empty and optional-by-default; raises SpecError otherwise."""
    where = f"{kind}.{param.name}"
    text = text.strip()
    if len(text) > MAX_FIELD_CHARS:
        raise SpecError.bad_value(where, text[:20] + "...", f"at most {MAX_FIELD_CHARS} characters")
    if not text:
        if param.required:
            raise SpecError(
                f"{where} is required: {param.allowed()}", field=where, value=None, allowed=param.allowed()
            )
        return MISSING
    if text == "None" and param.optional:
        return None
    if param.type == "formula":
        value = _literal(text, where, param) if text.startswith("lambda") else text
        if not isinstance(value, str):
            raise SpecError.bad_value(where, text, param.allowed())
        _check_formula(value, where)
        return value
    if param.type == "str":
        if text[0] in "\"'":
            value = _literal(text, where, param)
            if not isinstance(value, str):
                raise SpecError.bad_value(where, text, param.allowed())
            return value
        return text
    if param.type == "schedule":
        return parse_child(text, where)
    if param.type == "choice_list":
        return _choice_list(param, text, where, kind, n_groups)
    if param.type == "schedule_list":
        # A whole list typed at once: "StepLR(step_size=2), ExponentialLR(gamma=0.9)".
        body = text if text.startswith("[") else f"[{text}]"
        value = _literal(body, where, param)
        if not isinstance(value, list) or not all(isinstance(c, Spec) for c in value):
            raise SpecError.bad_value(where, text, param.allowed())
        return value
    if _wants_list(param, text):
        text = f"[{text}]"
    value = _literal(text, where, param)
    if isinstance(value, Spec):
        raise SpecError.bad_value(where, text, param.allowed())
    param.coerce(value, kind, n_groups)  # raises SpecError naming the field, the value and what is allowed
    return value


def _choice_list(param: Param, text: str, where: str, kind: str, n_groups: int) -> list:
    """Choices separated by commas, bare (step, epoch) or as a spec writes them (["step", "epoch"])."""
    if text.startswith(("[", "(")):
        value = _literal(text, where, param)
    else:
        value = [w.strip().strip("\"'") for w in text.split(",")]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise SpecError.bad_value(where, text, param.allowed())
    param.coerce(list(value), kind, n_groups)
    return list(value)


def parse_child(text: str, where: str) -> Spec:
    """A nested schedule's spec text -> Spec (unknown names and syntax errors name the field)."""
    try:
        return parse(text)
    except SpecError as exc:
        raise exc.within(where) from None


def _check_formula(text: str, where: str) -> None:
    try:
        from lrtui.schedules.formula import compile_formula
    except ImportError:  # the formula compiler is optional here: the resolve step checks it again
        return
    compile_formula(text, field=where)
