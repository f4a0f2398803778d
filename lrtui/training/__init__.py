"""Training (torch): models, datasets, the device-resident data pipeline, the loop and its entry point.

`python -m lrtui.training --run-dir DIR [--resume]` or `python -m lrtui.training CONFIG.json|.toml`.
Importing this package is cheap (no torch); import the submodules for the pieces:
`lrtui.training.config` (TrainConfig, stdlib only), `.models`, `.datasets`, `.pipeline`, `.loop`.
"""

from lrtui.training.config import ConfigError, TrainConfig

__all__ = ["ConfigError", "TrainConfig"]
