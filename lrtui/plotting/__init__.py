"""Pure plotting layer (numpy + plotext, imported lazily; never Textual).

`decimate`: min/max decimation; `ticks`: linear and log10 ticks with compact labels; `figure`: the
`Figure` description and the renderer shared by the CLI (`render_text`) and the CurvePlot widget.
"""

from lrtui.plotting.decimate import minmax, minmax_indices, minmax_shared
from lrtui.plotting.figure import (
    Figure,
    Marker,
    RenderInfo,
    Series,
    describe_decimation,
    no_color_requested,
    render,
    render_text,
)
from lrtui.plotting.ticks import TickSet, format_compact, format_si, linear_ticks, log_decade_ticks, to_log10

__all__ = [
    "Figure",
    "Marker",
    "RenderInfo",
    "Series",
    "TickSet",
    "describe_decimation",
    "format_compact",
    "format_si",
    "linear_ticks",
    "log_decade_ticks",
    "minmax",
    "minmax_indices",
    "minmax_shared",
    "no_color_requested",
    "render",
    "render_text",
    "to_log10",
]
