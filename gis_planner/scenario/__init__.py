"""Scenarios: what-if edits of the layers, evaluated and compared (notebooks and YAML)."""

from gis_planner.scenario.edits import (
    Scenario,
    ScenarioError,
    compare,
    compare_totals,
    dual_map,
    render_dual_map,
    write_dual_map,
)

__all__ = [
    "Scenario",
    "ScenarioError",
    "compare",
    "compare_totals",
    "dual_map",
    "render_dual_map",
    "write_dual_map",
]
