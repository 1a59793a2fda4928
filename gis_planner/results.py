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
class BoundaryProposal:
    """Proposed communities (R7, 一(一)).

    Attributes
    ----------
    communities : GeoDataFrame
        Every proposed community, EPSG:4549, tiling the original communities: ``community_id``
        (kept, or ``<id>-2`` … for new parts of a split), ``name``, ``street``, ``kind``,
        ``source_ids`` (original communities it takes estates or area from), ``change``
        (``unchanged``/``split``/``merged``/``enlarged``/``rebalanced``, comma-joined),
        ``estates_count`` (estates with households in it: a straddling estate counts in each
        community it gives households to), ``households_before`` (households in the run's
        year of the original community with this code — its ``households`` in
        ``Results.communities`` — plus those of the original communities merged whole into
        it; 0 for a new part of a split), ``households`` (after the proposal: the households
        of its units; they sum to the households of all communities), ``scale_status_before``,
        ``scale_status``, ``staff_min_before``, ``staff_max_before``, ``staff_min``,
        ``staff_max`` (R5; the "before" figures of the original community with this code
        alone), ``standard``, ``required_area_m2_before`` (likewise), ``required_area_m2`` (R1),
        ``premises_area_m2`` (premises given, by location), ``shortfall_m2``, ``area_m2``,
        ``compactness`` (Polsby–Popper 4πA/P²), ``contiguous`` (one polygon), ``divided``
        (its estates fall in several groups across hard edges — inherited from an original
        community a planned road or barrier crosses; never made by a split). New parts have
        no "before" figures (0 households, NA staff).
    moves : DataFrame
        One row per household unit that changes community — an estate's piece (a straddling
        estate has one per community) or, in a plan year, a delivered parcel: ``estate_id``,
        ``estate_name``, ``households`` (the unit's), ``from_community_id``,
        ``to_community_id``, ``to_name``, ``change``, ``from_households_before``,
        ``from_households_after``, ``to_households_before``, ``to_households_after`` (the
        original communities' own households before; the proposed ones' after), and
        ``parcel_id`` (only when the units hold parcels; then ``estate_id`` is empty on a
        parcel's row).
    decisions : DataFrame
        One row per original community out of range: ``community_id``, ``name``,
        ``households``, ``scale_status``, ``action`` (``split``/``merged``/``dissolved``/
        ``rebalanced``/``no_proposal``), ``proposed_ids``, ``note`` (a
        :class:`~gis_planner.i18n.Message`).
    estates : DataFrame
        Indexed like the estates: ``community_id`` (before) and ``proposed_community_id``, of
        the estate's largest piece (None for an estate in no community).
    warnings : list of Problem
    """

    communities: gpd.GeoDataFrame
    moves: pd.DataFrame
    decisions: pd.DataFrame
    estates: pd.DataFrame
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class SolveInfo:
    """What one model run did: objective, solver status, sizes and times (seconds)."""

    model: str
    objective: float
    status: str
    mip_gap: float
    build_s: float
    solve_s: float
    variables: int
    constraints: int
    nonzeros: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SitingResult:
    """The premises-siting proposal (R7, 一(一)).

    Attributes
    ----------
    sites : GeoDataFrame
        The chosen new sites of both models (EPSG:4549 points), one row per (model, site):
        ``model`` (``lscp`` = fewest sites covering every coverable estate, ``mclp`` = the best
        ``p`` sites), ``priority`` (1 = most households; each next site adds the most of what
        is left), ``site_id``, ``name``, ``source``, ``community_id`` (by location, when
        communities were given), ``households_newly_covered`` and ``estates_newly_covered``
        (what the site adds in priority order: estates not within reach of an existing
        premises nor of a site of higher priority, so they sum to the model's total),
        ``households_in_reach`` (all households within reach of the site that no existing
        premises reaches), ``max_floor_area_m2``.
    candidates : GeoDataFrame
        Every candidate used, with ``households_in_reach``, ``chosen_lscp``, ``chosen_mclp``.
    estates : DataFrame
        Indexed like the estates: ``walk_to_premises_m`` (to the nearest existing premises, when
        within the walking distance), ``covered_existing``, ``coverable`` (some candidate
        reaches it), ``covered_lscp``, ``covered_mclp``, ``site_lscp``, ``site_mclp`` (the
        chosen site credited with it: the first in priority order within reach).
    summary : dict
        Headline figures (households covered before / after each model, uncoverable …).
    solves : dict of str to SolveInfo
    network : DataFrame or None
        The walking network's connected components (``paths`` given).
    warnings : list of Problem
    parcels : DataFrame or None
        In a plan year, the delivered parcels as demand: the columns of ``estates``, indexed
        like the parcels given (``households_*`` figures of ``summary`` include them).
    """

    sites: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    estates: pd.DataFrame
    summary: dict[str, Any]
    solves: dict[str, SolveInfo]
    network: pd.DataFrame | None = None
    warnings: tuple[Problem, ...] = ()
    parcels: pd.DataFrame | None = None


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

    boundaries: BoundaryProposal
    siting: SitingResult
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
    household_units : GeoDataFrame or None
        The units behind ``communities.households`` in the run's year
        (:func:`gis_planner.households.household_units`): one row per estate piece (a
        straddling estate gives each community its share, R1 一(二)) and, in a plan year, per
        parcel delivered by then; ``households`` summed per ``community_id`` is the
        community's ``households``. The R7 proposals are built on them. None without estates.
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
    household_units: gpd.GeoDataFrame | None = None

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
