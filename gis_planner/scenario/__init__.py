"""Scenarios: what-if edits of the layers, evaluated and compared (notebooks and YAML).

=====================  ======================================================================
:mod:`.edits`          the edit engine: :class:`Scenario` (every edit a new scenario whose
                       inputs the pipeline runs on)
:mod:`.checks`         edits checked like input: values, merges, moves (:class:`ScenarioError`)
:mod:`.fileformat`     scenario files (YAML): read, checked, written
:mod:`.compare`        comparison tables and the dual map (drawn by
                       :mod:`gis_planner.render.dualmap`)
=====================  ======================================================================
"""

from gis_planner.scenario.checks import ScenarioError
from gis_planner.scenario.compare import (
    COMPARE_MEASURES,
    compare,
    compare_totals,
    dual_map,
    render_dual_map,
    write_dual_map,
)
from gis_planner.scenario.edits import DEFAULT_NAME, EDITS, Scenario
from gis_planner.scenario.fileformat import FILE_KEYS

__all__ = [
    "COMPARE_MEASURES",
    "DEFAULT_NAME",
    "EDITS",
    "FILE_KEYS",
    "Scenario",
    "ScenarioError",
    "compare",
    "compare_totals",
    "dual_map",
    "render_dual_map",
    "write_dual_map",
]
