"""The user's settings file: `$XDG_CONFIG_HOME/lrtui/config.toml` (else ~/.config/lrtui/config.toml).

```toml
[runs]
scan = ["~/experiments", "/data/tensorboard"]  # roots the runs screen scans for runs of any format
live_after_s = 120                              # written to within this many seconds = live
metric = "eval_loss"                            # the metric whose best value the runs screen shows
```

`$LRTUI_CONFIG` names another file. A missing file means defaults; a malformed file or value never stops
anything: it is ignored with a one-line message naming the field, the value and what is allowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lrtui.sources.base import LIVE_AFTER_S

MAX_SETTINGS = 1 << 20


def settings_path() -> Path:
    explicit = os.environ.get("LRTUI_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(home).expanduser() / "lrtui" / "config.toml"


@dataclass
class Settings:
    scan: list[Path] = field(default_factory=list)
    live_after_s: float = LIVE_AFTER_S
    metric: str | None = None
    path: Path | None = None
    problems: list[str] = field(default_factory=list)


def _toml_loads(text: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(text)


def load_settings(path: str | Path | None = None) -> Settings:
    """The settings (defaults where the file is missing or a value is not allowed; see `problems`)."""
    path = Path(path).expanduser() if path is not None else settings_path()
    out = Settings(path=path)
    try:
        if not path.is_file():
            return out
        if path.stat().st_size > MAX_SETTINGS:
            out.problems.append(f"{path}: over {MAX_SETTINGS:,} bytes, ignored")
            return out
        data = _toml_loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        out.problems.append(f"{path}: cannot be read ({exc}), ignored")
        return out
    except ValueError as exc:  # tomllib.TOMLDecodeError
        out.problems.append(f"{path}: not valid TOML ({exc}), ignored")
        return out
    runs = data.get("runs", {})
    if not isinstance(runs, dict):
        out.problems.append(f"{path}: [runs] must be a table, got {type(runs).__name__}")
        return out
    scan = runs.get("scan", [])
    if isinstance(scan, str):
        scan = [scan]
    if isinstance(scan, list) and all(isinstance(s, str) and s for s in scan):
        out.scan = [Path(s).expanduser() for s in scan]
    else:
        out.problems.append(f"{path}: runs.scan={scan!r} is not allowed: a list of directory paths")
    live = runs.get("live_after_s", LIVE_AFTER_S)
    if isinstance(live, (int, float)) and not isinstance(live, bool) and 0 < live <= 86400 * 30:
        out.live_after_s = float(live)
    else:
        out.problems.append(f"{path}: runs.live_after_s={live!r} is not allowed: seconds, > 0")
    metric = runs.get("metric")
    if metric is None or (isinstance(metric, str) and metric.strip()):
        out.metric = metric.strip() if isinstance(metric, str) else None
    else:
        out.problems.append(f"{path}: runs.metric={metric!r} is not allowed: a metric name")
    return out
