"""Tools of the gis_planner repository: not part of the package, never in its wheel.

Run them from the repository root (``python -m tools.datagen.deqing``); nothing under
``gis_planner/`` imports them.
"""
