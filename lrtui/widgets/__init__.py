"""Textual widgets for lrtui (import the submodules you need; this package imports nothing eagerly)."""
