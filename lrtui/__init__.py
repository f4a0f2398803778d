"""lrtui: preview learning-rate schedules exactly, and train and watch runs live, in the terminal."""

__version__ = "0.1.0"
