"""The contract between the pipeline and the renderers: what a run computed.

:func:`gis_planner.pipeline.run` makes a :class:`Results`; renderers read it and nothing
else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from gis_planner.errors import Problem
from gis_planner.io.layers import PlanningData
from gis_planner.rules import RuleSet


@dataclass
class Results:
    """Everything a run computes, in the working CRS (EPSG:4549).

    ``communities``, ``estates`` and ``premises`` carry their input fields plus the computed
    fields of DESIGN.md; list-valued fields (``warnings``, ``enclosure_reasons``) hold lists.
    """

    data: PlanningData
    communities: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame | None
    premises: gpd.GeoDataFrame | None
    warnings: list[Problem] = field(default_factory=list)
    year: int | None = None
    lang: str = "zh"
    summary: dict[str, Any] = field(default_factory=dict)
    #: R2: one row per development parcel (:func:`gis_planner.premises.planning_conditions`)
    planning_conditions: pd.DataFrame | None = None
    #: the scenario that produced the run, as its file (``Scenario.to_dict()``), if any
    scenario: dict[str, Any] | None = None
    #: R7 layout proposals (:func:`propose_layout`): boundaries, premises sites, reach raster
    layout: LayoutProposal | None = None
    #: the premises that count toward R1 in the run's year (existing, and planned in a plan
    #: year), with every column of ``premises``
    counted_premises: gpd.GeoDataFrame | None = None
    #: R7: the area within the walking distance (straight line) of the counted premises
    reach: shapely.Geometry | None = None

    @property
    def rules(self) -> RuleSet:
        return self.data.rules

    @property
    def sites(self) -> gpd.GeoDataFrame | None:
        """The proposed premises sites (both models, column ``model``), if proposed."""
        if self.layout is None or self.layout.siting is None:
            return None
        return self.layout.siting.sites

    @property
    def proposed_communities(self) -> gpd.GeoDataFrame | None:
        """The proposed communities, if proposed."""
        if self.layout is None or self.layout.boundaries is None:
            return None
        return self.layout.boundaries.communities


@dataclass
class LayoutProposal:
    """The R7 proposals of a run (一(一)): see :func:`propose_layout`.

    Attributes
    ----------
    boundaries : BoundaryProposal
        Proposed communities within the household range, the estate moves and decisions.
    siting : SitingResult
        New premises sites: set cover (``lscp``) and the best p (``mclp``).
    access_m : ndarray
        Distance (m) to the nearest existing or proposed (mclp) premises, 50 m cells,
        EPSG:4549, nodata −9999 outside the communities; ``access_transform`` its Affine.
    summary : dict
        Households beyond the walking distance now and with the proposed sites, and counts.
    """

    boundaries: Any
    siting: Any
    access_m: Any
    access_transform: Any
    summary: dict[str, Any] = field(default_factory=dict)
