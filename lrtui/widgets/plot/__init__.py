"""Plot widgets built on textual-plotext."""

from lrtui.widgets.plot.curve_plot import CurvePlot

__all__ = ["CurvePlot"]
