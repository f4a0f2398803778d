"""Parameter metadata: one `Param` per constructor argument. The form, the CLI, validation and export read it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from lrtui.schedules.errors import SpecError


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()

# Param types. "schedule"/"schedule_list" hold nested specs; "formula" holds a safe expression string.
TYPES = (
    "float",
    "int",
    "bool",
    "choice",
    "choice_list",
    "int_list",
    "float_list",
    "formula",
    "schedule",
    "schedule_list",
    "str",
)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object = REQUIRED
    help: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False  # lo excluded
    hi_open: bool = False  # hi excluded
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is accepted
    per_group: bool = False  # a list with one value per param group is accepted too
    min_items: int = 0  # for list types
    advanced: bool = False  # shown folded in the form
    per_item_of: str = ""  # a choice_list with one value per item of that list param (Compound.every)
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    source: str = ""  # where the bounds come from: the library's check (file: function: condition)

    def __post_init__(self) -> None:
        assert self.type in TYPES, self.type

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def allowed(self) -> str:
        """A short description of the accepted values, used in every error message and in the form."""
        if self.type == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.type == "choice_list":
            text = "a list of " + ", ".join(repr(c) for c in self.choices)
        elif self.type == "bool":
            text = "True or False"
        elif self.type in ("float", "int", "int_list", "float_list"):
            what = {
                "float": "a number",
                "int": "an integer",
                "int_list": "a list of integers",
                "float_list": "a list of numbers",
            }[self.type]
            rng = self.range_text()
            text = f"{what}{' ' + rng if rng else ''}"
            if self.type.endswith("_list") and self.min_items:
                text += f" (at least {self.min_items})"
        elif self.type == "formula":
            text = 'a formula in k (or epoch), e.g. "0.95 ** k"'
        elif self.type == "schedule":
            text = "a schedule spec, e.g. StepLR(step_size=10)"
        elif self.type == "schedule_list":
            text = "a list of schedule specs"
        else:
            text = "a string"
        if self.per_group:
            text += ", or a list of those with one per param group"
        if self.optional:
            text += ", or None"
        return text

    def range_text(self) -> str:
        # Sanity caps (1e15, inf) are not worth showing: "≥ 1" reads better than "in [1, 1000000000000000]".
        lo = None if self.lo is not None and self.lo <= -1e15 else self.lo
        hi = None if self.hi is not None and self.hi >= 1e15 else self.hi
        if lo is None and hi is None:
            return ""
        if lo is not None and hi is not None:
            left = "(" if self.lo_open else "["
            right = ")" if self.hi_open else "]"
            return f"in {left}{_num(lo)}, {_num(hi)}{right}"
        if lo is not None:
            return f"{'>' if self.lo_open else '≥'} {_num(lo)}"
        return f"{'<' if self.hi_open else '≤'} {_num(hi)}"

    # -- validation of one value (cross-parameter rules live in the kind) --------------------------

    def coerce(self, value: object, where: str, n_groups: int = 1) -> object:
        """Check one value against this parameter; return it normalised (ints to float for floats, ...)."""
        fieldname = f"{where}.{self.name}" if where else self.name
        if value is None:
            if self.optional:
                return None
            raise SpecError.bad_value(fieldname, value, self.allowed())
        if self.per_group and isinstance(value, list | tuple) and self.type in ("float", "int"):
            if len(value) not in (1, n_groups):
                raise SpecError.bad_value(
                    fieldname, value, f"a list of {n_groups} values (one per param group), not {len(value)}"
                )
            return tuple(self._scalar(v, fieldname) for v in value)
        if self.type in ("float", "int", "bool", "choice", "str"):
            return self._scalar(value, fieldname)
        if self.type == "choice_list":
            if not isinstance(value, list | tuple) or len(value) < self.min_items:
                raise SpecError.bad_value(fieldname, value, self.allowed())
            item = Param(self.name, "choice", choices=self.choices)
            return tuple(item._scalar(v, fieldname) for v in value)
        if self.type in ("int_list", "float_list"):
            if not isinstance(value, list | tuple):
                raise SpecError.bad_value(fieldname, value, self.allowed())
            if len(value) < self.min_items:
                raise SpecError.bad_value(fieldname, value, self.allowed())
            inner = "int" if self.type == "int_list" else "float"
            item = Param(self.name, inner, lo=self.lo, hi=self.hi, lo_open=self.lo_open, hi_open=self.hi_open)
            return tuple(item._scalar(v, fieldname) for v in value)
        return value  # formula / schedule values are checked by their own machinery

    def _scalar(self, value: object, fieldname: str) -> object:
        t = self.type
        if t == "bool":
            if isinstance(value, bool):
                return value
            raise SpecError.bad_value(fieldname, value, self.allowed())
        if t in ("choice", "str"):
            if not isinstance(value, str) or (t == "choice" and value not in self.choices):
                raise SpecError.bad_value(fieldname, value, self.allowed())
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError.bad_value(fieldname, value, self.allowed())
        if t == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    raise SpecError.bad_value(fieldname, value, self.allowed())
                value = int(value)
        else:
            value = float(value)
            if math.isnan(value):
                raise SpecError.bad_value(fieldname, value, self.allowed())
        if not self._in_range(value):
            raise SpecError.bad_value(fieldname, value, self.allowed())
        return value

    def _in_range(self, v: float) -> bool:
        if self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo)):
            return False
        return not (self.hi is not None and (v > self.hi or (self.hi_open and v == self.hi)))


def _num(x: float) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def per_group(value: object, n_groups: int) -> tuple:
    """Broadcast a scalar (or 1-list) to one value per param group."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        vals = tuple(value)
        return vals * n_groups if len(vals) == 1 else vals
    return (value,) * n_groups
