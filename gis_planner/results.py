"""The contract between the pipeline and the renderers: what a run computed.

:func:`gis_planner.pipeline.run` makes a :class:`Results`; renderers read it and nothing else,
and never compute analysis of their own. Results are immutable (frozen dataclasses): a step
that adds to them — the layout proposals, a scenario's description — makes a new one with
:func:`dataclasses.replace`. Every text in them is a :class:`~gis_planner.i18n.Message` (a
code and its parameters), worded by the renderers in the language asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_planner.errors import Problem
from gis_planner.io.layers import PlanningData
from gis_planner.rules import RuleSet


@dataclass(frozen=True)
class LayoutProposal:
    """The R7 proposals of a run (一(一)): see :func:`gis_planner.pipeline.propose_layout`.

    Attributes
    ----------
    boundaries : BoundaryProposal
        Proposed communities within the household range, the estate moves and decisions
        (:func:`gis_planner.layout.boundaries.propose_boundaries`).
    siting : SitingResult
        New premises sites: set cover (``lscp``) and the best p (``mclp``)
        (:func:`gis_planner.layout.siting.propose_sites`).
    access_m : ndarray
        Distance (m) to the nearest existing or proposed (mclp) premises, one value per cell
        (``rules.layout.accessibility_cell_m``), in the working CRS, ``access_nodata``
        outside the communities; ``access_transform`` is its Affine.
    summary : mapping
        Households beyond the walking distance now and with the proposed sites, and counts.
    """

    boundaries: Any
    siting: Any
    access_m: np.ndarray
    access_transform: Any
    summary: Mapping[str, Any]
    access_nodata: float = -9999.0


@dataclass(frozen=True)
class Results:
    """Everything a run computes, in the working CRS of the layers (EPSG:4549 for Deqing).

    ``communities``, ``estates`` and ``premises`` carry their input fields plus the computed
    fields of DESIGN.md; list-valued fields (``warnings``, ``enclosure_reasons``) hold lists of
    messages.

    Attributes
    ----------
    data : PlanningData
        The validated layers the run was made from.
    communities, estates, premises : GeoDataFrame
        Every input feature with its computed figures (``estates``/``premises`` None when the
        layer is absent).
    warnings : tuple of Problem
        Every warning of the run, the input's first.
    year : int or None
        The plan year (None: the data year, as the layers are).
    data_year : int
        The year the layers describe (``rules.settings.data_year``, else the current year).
    summary : mapping
        The headline figures (:func:`gis_planner.pipeline.summarise`), with ``layout`` when
        proposals were made.
    planning_conditions : DataFrame
        R2: one row per development parcel.
    counted_premises : GeoDataFrame or None
        The premises that count toward R1 in the run's year (existing; planned too in a plan
        year), with every column of ``premises``.
    reach : shapely geometry or None
        R7: the area within the walking distance (straight line) of the counted premises.
    enclosure_list, enclosure_counts : DataFrame or None
        R6: the list for the street offices in print order
        (:func:`gis_planner.enclosure.enclosure_list`) and the counts per street and community
        (:func:`gis_planner.enclosure.enclosure_counts`).
    layout : LayoutProposal or None
        R7 proposals (:func:`gis_planner.pipeline.propose_layout`).
    scenario : mapping or None
        The scenario that produced the run, as its file (``Scenario.to_dict()``).
    """

    data: PlanningData
    communities: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame | None
    premises: gpd.GeoDataFrame | None
    warnings: tuple[Problem, ...]
    year: int | None
    data_year: int
    summary: Mapping[str, Any]
    planning_conditions: pd.DataFrame
    counted_premises: gpd.GeoDataFrame | None = None
    reach: shapely.Geometry | None = None
    enclosure_list: pd.DataFrame | None = None
    enclosure_counts: pd.DataFrame | None = None
    layout: LayoutProposal | None = None
    scenario: Mapping[str, Any] | None = None

    @property
    def rules(self) -> RuleSet:
        """The rules of the run (``data.rules``)."""
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
