"""gis_planner: community layout and community-premises planning (Deqing 2020 opinions).

The public API, in the order data flows (files → validated layers → analyses → renderers):

- reading: :func:`load_layers` → :class:`PlanningData`; :func:`load_rules` → :class:`RuleSet`
- analysing: :func:`run` (every step, the one place they are composed) → :class:`Results`
- rendering: :func:`write_run` (the run folder), :func:`write_report` (report.xlsx),
  :func:`write_map` (the one-map), :func:`export_bureau` (the natural resources bureau's
  package)
- scenarios: :class:`Scenario`; the bundled demo: :mod:`gis_planner.datasets`
- errors: :class:`PlannerError`, :class:`InputError`, :class:`RulesError`, :class:`Problem`

Names are imported when first used (PEP 562), so ``import gis_planner`` stays light and the
command line starts fast.

Examples
--------
>>> import gis_planner
>>> data = gis_planner.load_layers(gis_planner.datasets.get_path("deqing_demo"))
>>> results = gis_planner.run(data, proposals=False)
>>> results.summary["households_total"] == (
...     results.summary["households_assigned"] + results.summary["households_unassigned"]
... )
True
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_HOMES = {
    "load_layers": "gis_planner.io.layers",
    "PlanningData": "gis_planner.io.layers",
    "load_rules": "gis_planner.rules",
    "RuleSet": "gis_planner.rules",
    "run": "gis_planner.pipeline",
    "Results": "gis_planner.results",
    "write_run": "gis_planner.render.runfolder",
    "write_report": "gis_planner.render.report",
    "write_map": "gis_planner.render.onemap",
    "export_bureau": "gis_planner.render.bureau.package",
    "Scenario": "gis_planner.scenario",
    "PlannerError": "gis_planner.errors",
    "InputError": "gis_planner.errors",
    "RulesError": "gis_planner.errors",
    "Problem": "gis_planner.errors",
}
_MODULES = ("datasets",)

__all__ = ["__version__", *_HOMES, *_MODULES]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"gis_planner.{name}")
    if name not in _HOMES:
        raise AttributeError(f"module 'gis_planner' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
