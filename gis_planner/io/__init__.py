"""Input: a layers folder read, checked and normalised into one :class:`PlanningData`.

Only this package reads input files (the layers, the households table, ``planner.yaml``, and
a run folder read back for an export). Its modules, in the order :func:`load_layers` uses
them: ``config`` (planner.yaml), ``files`` (finding and looking at files), ``vector`` (reading
a layer, its CRS and datum), ``fields`` (names and values), ``validate`` (geometries, ids,
layers against each other), ``tables`` (the households table), ``raster`` (the population
raster's header), ``layers`` (:class:`PlanningData` and :func:`load_layers`); ``schema`` is
the data contract.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gis_planner.io.config import CONFIG_FILE
    from gis_planner.io.layers import LATEST_PLAN_YEAR, PlanningData, SourceInfo, load_layers

__all__ = ["CONFIG_FILE", "LATEST_PLAN_YEAR", "PlanningData", "SourceInfo", "load_layers"]

_HOME = {"CONFIG_FILE": "gis_planner.io.config"}


def __getattr__(name: str) -> Any:
    # Lazy (PEP 562): reading a run folder back (io.runfolder, for the bureau export) does not
    # import the layers reader.
    if name not in __all__:
        raise AttributeError(f"module 'gis_planner.io' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME.get(name, "gis_planner.io.layers")), name)
