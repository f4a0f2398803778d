"""lrtui: preview learning-rate schedules exactly, and train and watch runs live, in the terminal."""

from typing import Any

__version__ = "0.1.0"

# Importing `lrtui` stays light: public names from subpackages load on first use.
_LAZY = {
    "RunLogger": "lrtui.runs.logger",
    "optimizer_lrs": "lrtui.runs.logger",
    "find_lr": "lrtui.training.lr_find",  # imports torch (on first use only)
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lrtui' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
