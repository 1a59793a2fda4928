"""Input: a layers folder read, checked and normalised into one :class:`PlanningData`.

Only this package reads input files (the layers, the households table, ``planner.yaml``, and
a run folder read back for an export).
"""
