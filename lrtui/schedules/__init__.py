"""The schedule engine (pure numpy): catalogue, spec strings, exact vectorised curves, lints, export.

Never imports torch or textual at import time; `torch_bridge` imports torch lazily.
"""

# Import the kinds subpackage first: importing it binds `lrtui.schedules.kinds` to the subpackage, and the
# catalogue function of the same name must win (it is re-bound by the import below).
import lrtui.schedules.kinds  # noqa: F401  (registers every kind)
from lrtui.schedules.catalogue import Bound, Context, Kind, Marker, get_kind, kinds, resolve
from lrtui.schedules.errors import SpecError
from lrtui.schedules.evaluate import Curve, evaluate, planned_lrs
from lrtui.schedules.params import Param
from lrtui.schedules.plan import Plan, load_plan_file, plan_from_dict
from lrtui.schedules.spec import Spec, parse

__all__ = [
    "Bound",
    "Context",
    "Curve",
    "Kind",
    "Marker",
    "Param",
    "Plan",
    "Spec",
    "SpecError",
    "evaluate",
    "get_kind",
    "kinds",
    "load_plan_file",
    "parse",
    "plan_from_dict",
    "planned_lrs",
    "resolve",
]
