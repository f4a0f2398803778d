"""The one error type of the schedule layer: every rejection names the field, the value and what is allowed."""

from __future__ import annotations


class SpecError(ValueError):
    """A schedule spec, parameter or plan was rejected.

    `field` is the parameter path (e.g. ``"StepLR.step_size"`` or ``"schedulers[1].T_max"``), `value`
    the offending value (as typed), `allowed` a short human description of what would be accepted.
    """

    def __init__(
        self, message: str, *, field: str | None = None, value: object = None, allowed: str | None = None
    ):
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed

    @classmethod
    def bad_value(cls, field: str, value: object, allowed: str) -> SpecError:
        return cls(
            f"{field}={_show(value)} is not allowed: must be {allowed}",
            field=field,
            value=value,
            allowed=allowed,
        )

    def within(self, prefix: str) -> SpecError:
        """The same error with its field path prefixed (used when a nested schedule rejects a value)."""
        if not prefix:
            return self
        field = f"{prefix}.{self.field}" if self.field else prefix
        msg = str(self)
        if self.field and msg.startswith(self.field):
            msg = f"{prefix}.{msg}"
        else:
            msg = f"{prefix}: {msg}"
        return SpecError(msg, field=field, value=self.value, allowed=self.allowed)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
