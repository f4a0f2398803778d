"""Every app-level message in one place (widgets post them, screens handle them).

Widgets never reach into screens: they post one of these and the screen decides. Names say what happened
(past tense), not what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from lrtui.schedules.evaluate import Curve
    from lrtui.schedules.spec import Spec


class SpecEdited(Message):
    """The schedule form produced a spec whose every field passed its own check (cross-field checks follow)."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        self.spec = spec


class FormInvalid(Message):
    """A form field rejected its text; the field already shows `message`. The last valid curve stays."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__()
        self.field = field
        self.message = message


class SpecPasteRejected(Message):
    """Code pasted into the spec field has no usable schedule: `message` says why (the field shows the code
    on one line)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class FieldHint(Message):
    """A form field got focus: its help and allowed values, for the shared hint line."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


@dataclass(frozen=True)
class PlanSettings:
    """Everything of a plan besides the spec (what the settings form edits)."""

    base_lrs: tuple[float, ...] = (0.1,)
    total_steps: int = 1000
    steps_per_epoch: int = 1
    stepping: str = "step"
    optimizer: str = "sgd"
    momentum: float | None = 0.9
    metric_source: str = ""  # plateau schedules: a metric file or run directory ("" = synthetic)
    metric: tuple[float, ...] | None = None  # the series loaded from metric_source (or a plan file)
    horizon_auto: bool = True  # total_steps follows the length the spec states (until the user sets steps)


class SettingsEdited(Message):
    """The plan settings form holds valid settings."""

    def __init__(self, settings: PlanSettings) -> None:
        super().__init__()
        self.settings = settings


class KindPicked(Message):
    """The picker chose a schedule kind: load its example spec."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


class PresetPicked(Message):
    """The picker chose a preset (spec + plan settings)."""

    def __init__(self, preset: str) -> None:
        super().__init__()
        self.preset = preset


class ComparisonPicked(Message):
    """The picker chose a comparison preset: pin its whole set."""

    def __init__(self, comparison: str) -> None:
        super().__init__()
        self.comparison = comparison


class ChildEditRequested(Message):
    """A nested schedule field asked for its child's form (a modal editor)."""

    def __init__(self, field_id: str, spec_text: str) -> None:
        super().__init__()
        self.field_id = field_id
        self.spec_text = spec_text


class CurveReady(Message):
    """A curve evaluation finished. Only the newest `generation` is drawn (newest wins)."""

    def __init__(
        self,
        generation: int,
        curve: Curve | None,
        lints: list,
        error: str | None,
        error_field: str | None = None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.curve = curve
        self.lints = lints
        self.error = error
        self.error_field = error_field


class ExportSaved(Message):
    """The export panel wrote a file."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
