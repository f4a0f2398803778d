"""Reading runs of any format into metric series (pure: numpy, no Textual, no torch).

    from lrtui.sources import detect, open_source, scan
    for ref in detect("~/experiments/lightning_logs"):     # the runs a path holds
        source = ref.open().read_all()                      # a Source: store of Series, config, state
        for name, series in source.store.series.items():
            print(ref.format, ref.name, name, len(series), series.values[-1])

Formats: TensorBoard event files (`tensorboard`), Lightning CSVLogger (`lightning`), HF Trainer
trainer_state.json (`hf-trainer`), lrtui run directories (`lrtui`). See docs/sources.md.
"""

from lrtui.sources.base import FORMATS, LIVE_AFTER_S, POLL_BYTES, Source
from lrtui.sources.discover import RunRef, ScanResult, detect, open_source, scan
from lrtui.sources.roles import Roles, assign_roles, is_lr, metric_goal
from lrtui.sources.series import ScalarStore, Series

__all__ = [
    "FORMATS",
    "LIVE_AFTER_S",
    "POLL_BYTES",
    "Roles",
    "RunRef",
    "ScalarStore",
    "ScanResult",
    "Series",
    "Source",
    "assign_roles",
    "detect",
    "is_lr",
    "metric_goal",
    "open_source",
    "scan",
]
