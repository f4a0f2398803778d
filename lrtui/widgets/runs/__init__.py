"""Run widgets: the live monitor's panels, their pure data model, and the worker-side run follower."""
