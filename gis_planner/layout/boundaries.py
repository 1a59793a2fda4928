"""Proposed community boundaries (R7, 一(一) "科学设置社区规模, 划定社区范围").

Communities outside the household range (``rules.layout.households_min``–``households_max``,
1,500–4,000 from GB 50180-2018) get a proposal built from household units — whole estates, or
an estate's piece in each community it straddles, and in a plan year the parcels delivered by
then (:func:`gis_planner.households.household_units`). First, as a planner would, the
boundary is adjusted (``layout.shift_border_units``): a community takes a few border units from
neighbours with households to spare, or gives them to neighbours with room. Only where that
cannot bring it into range (or would move more units than the next step) is a too-large
community split into the fewest parts that each lie within the range, and a too-small one
merged with a neighbour, or its estates shared among its neighbours, or (last) its boundary
with one neighbour redrawn. Communities in range are left alone unless a shift or a merge
needs them.
Every proposed community is contiguous, as compact as the search finds, and never crosses a
hard edge (``rules.layout.hard_edges``: a ``barriers`` layer — rivers, railways — and/or the
planned roads).

How
---
1. **Cells.** Each community polygon is divided among its units (an estate's piece with its
   area share of the households, as R1 counts them; a plan-year parcel clipped to the
   community holding most of it, as R2): every point of the community goes to the nearest unit
   outline (Voronoi cells of points sampled along the outlines every
   ``tessellation_spacing_m``, dissolved per unit — a "morphological tessellation": the
   community cut along the Voronoi ridges between points of different units, read off one
   Delaunay triangulation of its points). A community without units is one empty cell. The
   cells tile the communities exactly, so proposed communities (unions of cells) tile them
   too, with no gap and no overlap. Only the communities out of range are cut at the start;
   a community in range is cut (each community alone, so its cells do not depend on when)
   only when a merge first looks across its border with one out of range — at scale most
   communities in range are never cut. Many communities at a time are cut in worker
   processes (:mod:`gis_planner.layout.cells`, ``propose_boundaries(workers=)``).
2. **Neighbours.** Two estates are neighbours when their cells share at least
   ``neighbour_min_border_m`` of border (streets between estates do not break contiguity; a
   corner does not make it), unless the line between their centroids crosses a hard edge.
   The border counted is that of one cell within ``_TOUCH_TOLERANCE_M`` of the other (cells of
   two communities share no vertices). Two cells of one community share a border only where a
   ridge runs between them: a ridge at least that long makes them neighbours without
   measuring, a shorter one is measured as above, and cells without a ridge between them
   (meeting at a corner) are not neighbours.
3. **Shift** (``shift_border_units``, on by default): each community out of range, the too
   large first (largest first), then the too small (smallest first), one unit at a time: the
   move between it and a neighbouring community that closes most of the gap (its own and the
   neighbour's: a too-large community feeding a too-small one counts twice), then the one that
   adds fewest units moved, then the nearest to the receiving community's centre, then the
   fewest households. A move keeps both communities contiguous on the neighbour graph, never
   takes a community in range out of it and never pushes one across the other bound. The moves
   are kept only when the community ends in range having moved at most as many units as the
   fallback would (a merge moves all its units; a split into k parts all but about a k-th);
   otherwise they are undone. This is what an exact MIP does on small instances
   (``benchmarks/bench_layout.py`` part b: 18 units moved where 17 suffice, against 101 by
   splits and merges alone). A too-small community's neighbours are cut into cells (their
   border units can move); a too-large one gives its cells to a neighbour not yet cut as one
   block (its polygon), so that neighbour need not be cut.
4. **Split** (too large, H households): k = ⌈H / max⌉ parts (more if k parts cannot all reach
   the minimum). Seeds far apart (farthest-first, then Lloyd steps), then region growing: each
   region takes its nearest neighbouring estate as long as it stays under the ceiling; then
   local moves of border estates, first to bring every part within [min, max], then to lower
   the area-weighted moment of inertia (compactness), never disconnecting a part.
   ``partition_restarts`` seedings are tried; the most compact valid partition is kept. The
   part holding the community's largest premises (else the most households) keeps its code.
   Each community is split on its own cells alone (:mod:`gis_planner.layout.regions`), so
   many splits run at once in the worker processes of step 1.
5. **Merge** (too small), smallest first: with the neighbouring community that keeps the
   result within the range and is the most compact (lowest normalised moment of inertia);
   if none can take it whole, its estates go to the neighbours by region growing under the
   ceiling; if that fails too, the boundary with one neighbour is redrawn (a two-part split
   of both together). Otherwise the community is reported without a proposal.

Why not spopt: its regionalisers cannot express the ceiling. ``MaxPHeuristic`` (max-p regions)
maximises the number of regions subject to a *floor* on a spatially extensive attribute: it
has no upper bound, so it would cut a 4,500-household community into as many ≥ 1,500 parts
as it can (three), not the fewest parts within 1,500–4,000, and a region may exceed 4,000.
SKATER, AZP and Ward take a number of regions but no bound on the households of a region, and
all of them regionalise the whole map, while a plan revision must leave communities in range
alone (``benchmarks/bench_layout.py`` runs spopt's and pygeoda's max-p on the same cells, and
an exact MIP on small instances). libpysal's ``Rook``/``Queen`` weights need exactly shared
vertices, which cells clipped to neighbouring communities lack, and its fuzzy contiguity counts
corner contacts and knows no hard edges; the shared-border rule above is a few lines of shapely.
"""

from __future__ import annotations

import heapq
import logging
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_planner import budget
from gis_planner import crs as crs_mod
from gis_planner import premises as premises_mod
from gis_planner.errors import Problem, format_rows
from gis_planner.households import allocate_households, household_units
from gis_planner.i18n import msg
from gis_planner.layout.cells import (
    Borders,
    CommunityPool,
    cells_and_borders,
    clean,
    divide,
    rows_by,
)
from gis_planner.layout.regions import Cells, penalty, reached, split
from gis_planner.layout.scale import scale_status
from gis_planner.layout.siting import check_working_crs
from gis_planner.overlay import OVERLAY_GRID_M, robust_overlay
from gis_planner.results import BoundaryProposal
from gis_planner.rules import RuleSet

if TYPE_CHECKING:
    from gis_planner.io.layers import PlanningData

log = logging.getLogger(__name__)

_TOUCH_TOLERANCE_M = 0.5  # cells of neighbouring communities closer than this touch
_NEIGHBOUR_BLOCK = 5_000  # cells buffered at a time when measuring borders (memory, not policy)


@dataclass
class _Given:
    """The household units of :func:`propose_boundaries` as arrays (one entry per unit)."""

    ids: np.ndarray  # estate_id or parcel_id
    names: np.ndarray
    estate: np.ndarray  # position into the estates, -1 for a parcel
    community: np.ndarray  # position into the communities
    households: np.ndarray
    share: np.ndarray  # of the estate's households (1 for a parcel)
    geometry: np.ndarray
    parcels: bool  # some units are parcels


def _given_units(
    estates: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None
) -> _Given:
    """The units as arrays; without ``units``, the estates' area-share allocation (R1)."""
    if units is None:
        allocation = allocate_households(estates, communities)
        units = household_units(estates, communities, allocation)
    check_working_crs(units=units, communities=communities)
    is_estate = units["source"].eq("estate").to_numpy()
    estate = np.full(len(units), -1, np.int64)
    estate[is_estate] = estates.index.get_indexer(units.loc[is_estate, "estate"])
    community = communities.index.get_indexer(units["community"])
    if (community < 0).any() or (estate[is_estate] < 0).any():
        raise ValueError("household units name estates or communities not in the layers given")
    return _Given(
        ids=units["unit_id"].astype(str).to_numpy(dtype=object),
        names=units["name"].astype(object).to_numpy(),
        estate=estate,
        community=community.astype(np.int64),
        households=pd.to_numeric(units["households"]).fillna(0).to_numpy(dtype=np.int64),
        share=units["share"].to_numpy(dtype=float),
        geometry=units.geometry.values,
        parcels=bool((~is_estate).any()),
    )


@dataclass
class _Units:
    """The cells: one per household unit (an estate's piece in a community, or a plan-year
    parcel), or one per community without units."""

    unit: np.ndarray  # position into the household units, -1 for an empty community
    community: np.ndarray  # position into communities
    geometry: np.ndarray  # cell polygon
    households: np.ndarray
    area: np.ndarray
    xy: np.ndarray  # cell centroid
    anchor: np.ndarray  # point used for hard-edge tests (estate centroid)
    active: np.ndarray  # has a cell (its community may change)
    neighbours: list[np.ndarray] = field(default_factory=list)
    # per community cut by cells_and_borders: the rows of its pairs of cells sharing a border
    # inside it, and its length (a community cut by the fallback has none: measured later)
    borders: dict[int, Borders] = field(default_factory=dict)


def _build_units(
    given: _Given,
    communities: gpd.GeoDataFrame,
    spacing_m: float,
    active: np.ndarray,
    pool: CommunityPool,
) -> _Units:
    """Cells of the ``active`` communities; the units of the others get no cell yet (an empty
    polygon): :func:`_activate` gives them their cells when the proposal first needs them."""
    home = given.community
    com_geoms = communities.geometry.values
    rows_e: list[int] = []
    rows_c: list[int] = []
    rows_g: list[Any] = []
    for c, members in enumerate(rows_by(home, len(communities))):
        if len(members) == 0:  # one empty cell: the community's polygon
            rows_e.append(-1)
            rows_c.append(c)
            rows_g.append(com_geoms[c])
            continue
        rows_e.extend(members.tolist())
        rows_c.extend([c] * len(members))
        rows_g.extend([None] * len(members))
    unit = np.array(rows_e, dtype=np.int64)
    # empty polygons made in one call (a Python constructor per unit cost 1.4 s at province)
    geometry = shapely.empty(len(rows_g), geom_type=shapely.GeometryType.POLYGON)
    given_cell = np.flatnonzero([g is not None for g in rows_g])
    geometry[given_cell] = [rows_g[k] for k in given_cell.tolist()]
    has_unit = unit >= 0
    hh = np.where(has_unit, given.households[np.maximum(unit, 0)], 0).astype(np.int64)
    community = np.array(rows_c, dtype=np.int64)
    units = _Units(
        unit,
        community,
        geometry,
        hh,
        np.zeros(len(unit)),
        np.zeros((len(unit), 2)),
        np.full(len(unit), None, dtype=object),
        active=np.zeros(len(unit), bool),
    )
    _shape(units, given, np.arange(len(unit)))
    _activate(units, given, com_geoms, spacing_m, np.flatnonzero(active), pool)
    return units


def _shape(units: _Units, given: _Given, rows: np.ndarray) -> None:
    """Area, centroid and anchor of the cells ``rows`` (after their geometry is set)."""
    geometry, unit = units.geometry[rows], units.unit[rows]
    area = shapely.area(geometry)
    cent = shapely.centroid(geometry)
    has_unit = unit >= 0
    anchor = np.empty(len(rows), dtype=object)
    anchor[has_unit] = shapely.centroid(given.geometry[unit[has_unit]])
    anchor[~has_unit] = shapely.point_on_surface(geometry[~has_unit])
    empty = area <= 0
    cent[empty] = anchor[empty]
    units.area[rows] = area
    units.xy[rows] = shapely.get_coordinates(cent).reshape(-1, 2)
    units.anchor[rows] = anchor


def _activate(
    units: _Units,
    given: _Given,
    com_geoms: np.ndarray,
    spacing_m: float,
    coms: np.ndarray,
    pool: CommunityPool,
) -> np.ndarray:
    """Cut the communities ``coms`` into their cells (each community alone, so the cells are
    the same whenever and in whichever process it is done: in ``pool``); returns the rows
    that became active."""
    new: list[np.ndarray] = []
    to_cut: list[tuple[int, np.ndarray]] = []
    rows_of = rows_by(units.community, int(coms.max()) + 1 if len(coms) else 0)
    for c in coms.tolist():
        rows = rows_of[c]
        if units.active[rows].all():
            continue
        members = units.unit[rows]
        if len(rows) == 1 and members[0] >= 0:
            units.geometry[rows[0]] = com_geoms[c]
        elif members[0] >= 0:
            to_cut.append((c, rows))
        units.active[rows] = True
        new.append(rows)
    found = pool.map(
        cells_and_borders,
        [com_geoms[c] for c, _ in to_cut],
        [given.geometry[units.unit[rows]] for _, rows in to_cut],
        [spacing_m] * len(to_cut),
    )
    for (c, rows), (cells, borders) in zip(to_cut, found, strict=True):
        # a unit without a cell (inside another's outline): an empty polygon
        units.geometry[rows] = [g if g is not None else shapely.Polygon() for g in cells]
        if borders is not None:
            units.borders[c] = Borders(rows[borders.a], rows[borders.b], borders.length)
    if not new:
        return np.zeros(0, np.int64)
    rows = np.concatenate(new)
    _shape(units, given, rows)
    return rows


def _neighbours(
    units: _Units,
    hard: np.ndarray,
    min_border_m: float,
    movable: np.ndarray | None = None,
    new: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Adjacency lists: cells sharing ≥ ``min_border_m`` of border, not across a hard edge.

    With ``movable`` (per community: out of range), only the pairs the proposal can use: within
    one community, or with a cell of a movable community. Two cells of different communities
    in range are never both regrouped (a proposed community holds the cells of at most one
    community in range), so their border is not measured.

    With ``new`` (rows just activated), ``units.neighbours`` is extended by the pairs with a
    cell in ``new`` only: each pair is measured exactly as when all are done at once.
    """
    n = len(units.geometry)
    all_active = np.flatnonzero(units.active)
    if new is None:
        active = all_active
    else:
        # the cells near the new ones: a pair within the tolerance has both in here
        near = shapely.STRtree(units.geometry[all_active]).query(
            units.geometry[new], predicate="dwithin", distance=4 * _TOUCH_TOLERANCE_M
        )[1]
        active = np.union1d(all_active[near], new)
    is_new = np.ones(n, bool) if new is None else np.isin(np.arange(n), new)
    geoms = units.geometry[active]
    # two cells of a community cut on the ridges (units.borders) share a border exactly where
    # a ridge runs between them: those pairs come from the ridges, and only the others (cells
    # of two communities, or of a community cut by the fallback) are looked for by distance
    ridged = np.zeros(int(units.community.max()) + 1 if n else 0, bool)
    ridged[list(units.borders)] = True
    found_i, found_j, found_ok = [], [], []
    pair_i, pair_j, sure = _ridge_pairs(units, active, is_new, min_border_m)
    measure = np.flatnonzero(~sure)  # a ridge shorter than min_border_m: measured below
    found_i.append(active[pair_i[sure]])
    found_j.append(active[pair_j[sure]])
    found_ok.append(np.ones(int(sure.sum()), bool))
    pair_i, pair_j = pair_i[measure], pair_j[measure]
    tree = shapely.STRtree(geoms)
    box = shapely.bounds(geoms) + np.array([-1, -1, 1, 1]) * _TOUCH_TOLERANCE_M
    reach = shapely.box(box[:, 0], box[:, 1], box[:, 2], box[:, 3])
    # in blocks of cells, so that their buffers (many vertices each) are never all held
    for start in range(0, len(geoms), _NEIGHBOUR_BLOCK):
        block = np.arange(start, min(start + _NEIGHBOUR_BLOCK, len(geoms)))
        # the pairs whose envelopes lie within the tolerance …
        at, i = tree.query(reach[block])
        j = block[at]
        ci, cj = units.community[active[i]], units.community[active[j]]
        keep = (i < j) & (is_new[active[i]] | is_new[active[j]]) & ((ci != cj) | ~ridged[ci])
        if movable is not None:
            keep &= (ci == cj) | movable[ci] | movable[cj]
        i, j = i[keep], j[keep]
        # … and the cells themselves (GEOS prepares the block's cells)
        shapely.prepare(geoms[block])
        close = shapely.dwithin(geoms[j], geoms[i], _TOUCH_TOLERANCE_M)
        short = (pair_j >= block[0]) & (pair_j <= block[-1])  # the block's short ridges
        i, j = np.r_[i[close], pair_i[short]], np.r_[j[close], pair_j[short]]
        # the border of i within the tolerance of j, buffered only where needed
        need, at = np.unique(j - block[0], return_inverse=True)
        buffered = shapely.buffer(geoms[block[need]], _TOUCH_TOLERANCE_M)
        edges = shapely.boundary(geoms[i])
        border = shapely.length(robust_overlay(shapely.intersection, edges, buffered[at]))
        shapely.destroy_prepared(geoms[block])
        found_i.append(active[i])
        found_j.append(active[j])
        found_ok.append(border >= min_border_m)
    i = np.concatenate(found_i) if found_i else np.zeros(0, np.int64)
    j = np.concatenate(found_j) if found_j else np.zeros(0, np.int64)
    ok = np.concatenate(found_ok) if found_ok else np.zeros(0, bool)
    # a cell that vanished (an estate inside another's outline): joined to the cell holding it
    lost = all_active[(units.area[all_active] <= 0) & is_new[all_active]]
    if len(lost):  # a new lost cell: held by any active cell
        holder_i, holder_j = shapely.STRtree(units.geometry[all_active]).query(
            units.anchor[lost], predicate="intersects"
        )
        i, j, ok = _held(i, j, ok, lost[holder_i], all_active[holder_j])
    if new is not None:  # an earlier lost cell: held by a new cell
        lost = all_active[(units.area[all_active] <= 0) & ~is_new[all_active]]
        if len(lost):
            holder_i, holder_j = shapely.STRtree(units.geometry[new]).query(
                units.anchor[lost], predicate="intersects"
            )
            i, j, ok = _held(i, j, ok, lost[holder_i], new[holder_j])
    i, j = i[ok], j[ok]
    if len(hard) and len(i):
        cut = _crossing(
            shapely.STRtree(hard),
            shapely.get_coordinates(units.anchor[i]),
            shapely.get_coordinates(units.anchor[j]),
        )
        i, j = i[~cut], j[~cut]
    extend = new is not None and len(units.neighbours) == n
    touched = np.unique(np.r_[i, j]).tolist()
    lists: dict[int, set[int]] = {
        v: set(units.neighbours[v].tolist()) if extend else set() for v in touched
    }
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        lists[a].add(b)
        lists[b].add(a)
    empty = np.zeros(0, np.int64)
    out = list(units.neighbours) if extend else [empty] * n
    for v, x in lists.items():
        out[v] = np.array(sorted(x), dtype=np.int64)
    return out


def _crossing(hard_tree: shapely.STRtree, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Which of the lines ``start``–``end`` (coordinates, one row each) cross a hard edge."""
    segments = shapely.linestrings(np.stack([start, end], axis=1))
    crossing, _ = hard_tree.query(segments, predicate="intersects")
    cut = np.zeros(len(start), bool)
    cut[crossing] = True
    return cut


def _ridge_pairs(
    units: _Units, active: np.ndarray, is_new: np.ndarray, min_border_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of cells of one community (positions into ``active``, ``i < j``, one of them
    new) whose shared border was measured on the ridges when it was cut
    (:func:`gis_planner.layout.cells.cells_and_borders`), and whether it is at least
    ``min_border_m`` long (the border within the tolerance, measured for the others, is at
    least as long)."""
    position = np.full(len(units.geometry), -1, np.int64)
    position[active] = np.arange(len(active))
    a = np.concatenate([x.a for x in units.borders.values()] or [np.zeros(0, np.int64)])
    b = np.concatenate([x.b for x in units.borders.values()] or [np.zeros(0, np.int64)])
    length = np.concatenate([x.length for x in units.borders.values()] or [np.zeros(0)])
    keep = (position[a] >= 0) & (position[b] >= 0) & (is_new[a] | is_new[b])
    i, j = position[a[keep]], position[b[keep]]
    low, high = np.minimum(i, j), np.maximum(i, j)
    return low, high, length[keep] >= min_border_m


def _held(
    i: np.ndarray, j: np.ndarray, ok: np.ndarray, lost: np.ndarray, holder: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    good = lost != holder
    return (
        np.r_[i, lost[good]],
        np.r_[j, holder[good]],
        np.r_[ok, np.ones(int(good.sum()), bool)],
    )


# --------------------------------------------------------------------------- graph helpers


def _local(units: _Units, nodes: np.ndarray) -> Cells:
    """The cells ``nodes`` as a split sees them (:class:`gis_planner.layout.regions.Cells`):
    numbered ``0 …``, with their neighbours among them."""
    xy = units.xy[nodes]
    local = {g: k for k, g in enumerate(nodes.tolist())}
    nbrs = [
        np.array([local[w] for w in units.neighbours[g].tolist() if w in local], dtype=np.int64)
        for g in nodes.tolist()
    ]
    return Cells(
        units.households[nodes].astype(float),
        np.maximum(units.area[nodes], 1.0),
        xy - xy.mean(axis=0),
        nbrs,
    )


def _components(nodes: np.ndarray, neighbours: list[np.ndarray]) -> list[np.ndarray]:
    """Connected components of the subgraph induced by ``nodes`` (each sorted)."""
    inside = set(nodes.tolist())
    seen: set[int] = set()
    parts = []
    for start in nodes.tolist():
        if start in seen:
            continue
        comp = reached(start, inside, neighbours)
        seen |= comp
        parts.append(np.array(sorted(comp), dtype=np.int64))
    return parts


def _inertia(units: _Units, nodes: np.ndarray) -> float:
    """Normalised moment of inertia of cells (1 for a disc; larger = less compact)."""
    a = units.area[nodes]
    total = a.sum()
    if total <= 0:
        return 0.0
    xy = units.xy[nodes]
    centre = (a[:, None] * xy).sum(axis=0) / total
    moment = (a * ((xy - centre) ** 2).sum(axis=1)).sum() + (a**2).sum() / (2 * math.pi)
    return float(2 * math.pi * moment / total**2)


# --------------------------------------------------------------------------- the proposal


def _hard_edges(
    rules: RuleSet, barriers: gpd.GeoDataFrame | None, planned_roads: gpd.GeoDataFrame | None
) -> np.ndarray:
    layers = {"barriers": barriers, "planned_roads": planned_roads}
    parts = []
    for name in rules.layout.hard_edges:
        layer = layers.get(str(name))
        if layer is not None and len(layer):
            geoms = layer.geometry.values
            parts.append(geoms[~shapely.is_empty(geoms) & ~pd.isna(geoms)])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=object)


def _area_check(
    ids: pd.Series,
    standard_override: pd.Series,
    polygons: np.ndarray,
    households: pd.Series,
    premises: gpd.GeoDataFrame | None,
    *,
    rules: RuleSet,
) -> pd.DataFrame:
    """R1 standard, required area and premises area (by location) of a set of polygons."""
    frame = pd.DataFrame(
        {"community_id": ids.to_numpy(), "standard": standard_override.to_numpy()}, index=ids.index
    )
    columns = ["premises_id", "community_id", "floor_area_m2", "tenure"]
    prem = pd.DataFrame(columns=columns)
    if premises is not None and len(premises):
        where = premises_mod.located_in(premises.geometry.values, polygons, ids)
        prem = pd.DataFrame(
            {
                "premises_id": premises["premises_id"].astype(str).to_numpy(),
                "community_id": where,
                "floor_area_m2": pd.to_numeric(premises["floor_area_m2"], errors="coerce").to_numpy(
                    float
                ),
                "tenure": premises["tenure"].astype(object).to_numpy(),
            }
        )
    counted = pd.Series(True, index=prem.index)
    standard = premises_mod.community_standard(frame, prem, counted, rules=rules)
    required = premises_mod.required_area_m2(households.astype(float), standard, rules=rules)
    area = (
        frame["community_id"]
        .map(prem.dropna(subset=["community_id"]).groupby("community_id")["floor_area_m2"].sum())
        .fillna(0.0)
        .astype(float)
    )
    return pd.DataFrame(
        {
            "standard": standard,
            "required_area_m2": np.round(required, 2),
            "premises_area_m2": np.round(area, 2),
            "shortfall_m2": np.round(np.maximum(required - area, 0.0), 2),
        },
        index=ids.index,
    )


def propose_boundaries(
    estates: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    *,
    rules: RuleSet,
    premises: gpd.GeoDataFrame | None = None,
    barriers: gpd.GeoDataFrame | None = None,
    planned_roads: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    workers: int | None = None,
) -> BoundaryProposal:
    """Propose community boundaries within the household range (R7, 一(一)).

    The proposal regroups household units: an estate's piece in a community (an estate
    straddling two communities gives each its share of the households, as R1 一(二) counts
    them) and, in a plan year, each parcel delivered by then. Each unit gets a cell of its
    community (see the module docstring); households per community before the proposal are
    therefore the R1 figure of the same run (``communities.households``).

    Parameters
    ----------
    estates : GeoDataFrame
        Estates in EPSG:4549 with ``estate_id``, ``name``, ``households`` (missing = 0).
        Estates in no community take no part (a warning lists them).
    communities : GeoDataFrame
        Community polygons in EPSG:4549 with ``community_id``, ``name`` (``street``, ``kind``
        and ``standard`` are carried over when present).
    rules : RuleSet
        ``layout.households_min``/``households_max`` and the boundary settings
        (``hard_edges``, ``neighbour_min_border_m``, ``tessellation_spacing_m``,
        ``partition_restarts``, ``shift_border_units``); R1 and R5 for the before/after
        figures.
    premises : GeoDataFrame, optional
        The premises that count (EPSG:4549): located in the proposed communities for the R1
        standard and area, and to decide which part of a split keeps the community's code.
    barriers, planned_roads : GeoDataFrame, optional
        Lines or polygons; hard edges when ``rules.layout.hard_edges`` names them.
    units : GeoDataFrame, optional
        The household units of the run's year, EPSG:4549
        (:func:`gis_planner.households.household_units`, ``Results.household_units``:
        ``unit_id``, ``name``, ``source``, ``estate`` and ``community`` index labels of
        ``estates`` and ``communities``, ``share``, whole ``households``, geometry). Default:
        the estates' allocation by area share (R1, ``premises.straddling_split``), no parcels.
    workers : int, optional
        Processes that cut communities into cells and put the cells back together when
        there are many (:class:`gis_planner.layout.cells.CommunityPool`; default: the CPUs
        available; 1: all in this process). The proposal is the same with any number.

    Returns
    -------
    BoundaryProposal
        ``households_before`` summed over the communities that keep their code equals the
        R1 households of those communities, and ``households`` (after) sums to the
        households of all units.
    """
    with CommunityPool(workers) as pool:
        return _propose(
            estates,
            communities,
            rules=rules,
            premises=premises,
            barriers=barriers,
            planned_roads=planned_roads,
            units=units,
            pool=pool,
        )


def _propose(
    estates: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    *,
    rules: RuleSet,
    premises: gpd.GeoDataFrame | None,
    barriers: gpd.GeoDataFrame | None,
    planned_roads: gpd.GeoDataFrame | None,
    units: gpd.GeoDataFrame | None,
    pool: CommunityPool,
) -> BoundaryProposal:
    """:func:`propose_boundaries` with the processes of ``pool``."""
    check_working_crs(
        estates=estates,
        communities=communities,
        premises=premises,
        barriers=barriers,
        planned_roads=planned_roads,
    )
    layout = rules.layout
    lo, hi = float(layout.households_min), float(layout.households_max)
    warnings: list[Problem] = []
    com_ids = communities["community_id"].astype(str).to_numpy()
    position = {c: k for k, c in enumerate(com_ids)}
    given = _given_units(estates, communities, units)
    outside = ~np.isin(np.arange(len(estates)), given.estate)
    if outside.any():
        warnings.append(
            Problem(
                "estates",
                msg(
                    "boundary_estates_outside",
                    n=int(outside.sum()),
                    rows=format_rows(estates.loc[outside, "estate_id"]),
                ),
            )
        )

    n_com = len(communities)
    before = np.bincount(given.community, weights=given.households, minlength=n_com)
    # cells only where boundaries may move: the communities out of range; a community in range
    # beside one is cut into cells only when a merge first looks across their border (below)
    com_geoms = communities.geometry.values
    out_of_range = np.flatnonzero((before < lo) | (before > hi))
    movable = np.zeros(n_com, bool)
    movable[out_of_range] = True
    spacing_m = float(layout.tessellation_spacing_m)
    min_border_m = float(layout.neighbour_min_border_m)
    cells = _build_units(given, communities, spacing_m, movable, pool)
    hard = _hard_edges(rules, barriers, planned_roads)
    cells.neighbours = _neighbours(cells, hard, min_border_m, movable)
    com_tree = shapely.STRtree(com_geoms)
    opened: set[int] = set()  # movable communities whose neighbours have their cells

    def open_around(lab: int) -> None:
        """Give cells to the communities beside the movable ones in ``lab`` (once each), so
        that the neighbours of its cells are all known, as if all were cut at the start."""
        coms = np.unique(cells.community[label == lab])
        todo = [c for c in coms.tolist() if movable[c] and c not in opened]
        if not todo:
            return
        opened.update(todo)
        _, near = com_tree.query(com_geoms[todo], predicate="dwithin", distance=_TOUCH_TOLERANCE_M)
        rows = _activate(cells, given, com_geoms, spacing_m, np.unique(near), pool)
        if len(rows):
            cells.neighbours = _neighbours(cells, hard, min_border_m, movable, new=rows)

    restarts = int(layout.partition_restarts)
    label = cells.community.copy()
    names = communities["name"].astype(str).to_numpy()
    meta: dict[int, dict] = {
        c: {"id": com_ids[c], "name": names[c], "origin": c, "change": []} for c in range(n_com)
    }
    decisions: dict[int, dict] = {}

    prem_points, prem_area = np.zeros(0, dtype=object), np.zeros(0)
    if premises is not None and len(premises) > 0:
        prem_points = shapely.point_on_surface(premises.geometry.values)
        area = pd.to_numeric(premises["floor_area_m2"], errors="coerce").fillna(0)
        prem_area = area.to_numpy(float)

    def label_households(lab: int) -> float:
        return float(cells.households[label == lab].sum())

    prem_tree = shapely.STRtree(prem_points)

    def keeper(parts: list[np.ndarray]) -> int:
        if len(prem_points):
            best_area, best = 0.0, -1
            for k, part in enumerate(parts):
                # the premises in the part's cells (as in their union: the cells tile it)
                _, inside = prem_tree.query(cells.geometry[part], predicate="intersects")
                if len(inside) and prem_area[inside].max() > best_area:
                    best_area, best = float(prem_area[inside].max()), k
            if best >= 0:
                return best
        return int(np.argmax([cells.households[p].sum() for p in parts]))

    # ---- adjust boundaries first: shift border units to or from the neighbours
    if layout.shift_border_units and len(out_of_range):
        blocks = _BlockNeighbours(cells, com_geoms, com_tree, hard, min_border_m)
        _shift_all(cells, label, out_of_range, before, meta, decisions, lo, hi, open_around, blocks)
    now = np.bincount(label, weights=cells.households, minlength=n_com)

    # ---- split the too large: the parts of every community found first (each community
    # alone, in the pool), then labelled one community after another
    queue: list[int] = []
    to_split: list[tuple[int, list[tuple[np.ndarray, bool]]]] = []  # each part: split it?
    jobs: list[tuple[Cells, range]] = []
    for c in range(n_com):
        if now[c] <= hi:
            if now[c] < lo:
                queue.append(c)
            continue
        nodes = np.flatnonzero(label == c)
        big = nodes[cells.households[nodes] > hi]
        if len(big):
            e = cells.unit[big[0]]
            decisions[c] = {
                "action": "no_proposal",
                "note": msg(
                    "decision_none",
                    reason=msg(
                        "reason_estate_too_large",
                        estate=given.ids[e],
                        households=int(cells.households[big[0]]),
                        maximum=int(hi),
                    ),
                ),
            }
            continue
        comps = []
        for comp in _components(nodes, cells.neighbours):
            total = float(cells.households[comp].sum())
            comps.append((comp, total > hi))
            if total > hi:
                k0 = math.ceil(total / hi)
                jobs.append((_local(cells, comp), range(k0, max(k0, math.floor(total / lo)) + 1)))
        to_split.append((c, comps))
    found_parts = iter(
        pool.map(
            split,
            [job[0] for job in jobs],
            [lo] * len(jobs),
            [hi] * len(jobs),
            [job[1] for job in jobs],
            [restarts] * len(jobs),
        )
    )
    for c, comps in to_split:
        parts: list[np.ndarray] = []
        failed = False
        for comp, too_large in comps:
            if not too_large:
                parts.append(comp)
                continue
            found = next(found_parts)
            if found is None:
                failed = True
                continue  # the community's other parts were found too: passed over
            parts.extend(comp[part] for part in found)
        if failed:
            decisions[c] = {
                "action": "no_proposal",
                "note": msg(
                    "decision_none",
                    reason=msg("reason_no_partition", minimum=int(lo), maximum=int(hi)),
                ),
            }
            continue
        keep = keeper(parts)
        order = [keep] + [k for k in range(len(parts)) if k != keep]
        ids = []
        for n_part, k in enumerate(order, start=1):
            if n_part == 1:
                lab = c
            else:
                lab = max(meta) + 1
                new_id = f"{com_ids[c]}-{n_part}"
                while new_id in position:
                    new_id += "x"
                meta[lab] = {
                    "id": new_id,
                    "name": msg("split_name", name=names[c], k=n_part),
                    "origin": c,
                    "change": [],
                }
            label[parts[k]] = lab
            meta[lab]["change"].append("split")
            ids.append(meta[lab]["id"])
            if cells.households[parts[k]].sum() < lo:
                queue.append(lab)
        decisions[c] = {
            "action": "split",
            "note": msg("decision_split", k=len(parts), parts=", ".join(ids)),
        }

    # ---- merge the too small
    def neighbour_labels(lab: int) -> list[int]:
        mine = np.flatnonzero(label == lab)
        found = {int(label[w]) for v in mine.tolist() for w in cells.neighbours[v].tolist()}
        found.discard(lab)
        return sorted(found)

    queue.sort(key=lambda q: (label_households(q), q))
    done: set[int] = set()
    while queue:
        t = queue.pop(0)
        h_t = label_households(t)
        if t in done or not (label == t).any() or h_t >= lo:
            continue
        done.add(t)
        origin = meta[t]["origin"]
        open_around(t)
        nbs = neighbour_labels(t)
        whole = [
            (n, _inertia(cells, np.flatnonzero((label == t) | (label == n))))
            for n in nbs
            if lo <= h_t + label_households(n) <= hi
        ]
        if whole:
            n, _ = min(whole, key=lambda x: (x[1], x[0]))
            h_n = label_households(n)
            target, gone = (t, n) if h_n < lo and h_n < h_t else (n, t)
            label[label == gone] = target
            meta[target]["change"].append("merged")
            note = msg("decision_merged", target=meta[target]["id"], households=int(h_t + h_n))
            decisions.setdefault(origin, {"action": "merged", "note": note})
            if meta[gone]["origin"] != origin and meta[gone]["origin"] not in decisions:
                decisions[meta[gone]["origin"]] = {"action": "merged", "note": note}
            continue
        spread = _spread(cells, label, t, nbs, hi)
        if spread is not None:
            label[:] = spread
            targets = sorted(
                {
                    meta[x]["id"]
                    for x in nbs
                    if (spread == x).any() and ((cells.community == origin) & (spread == x)).any()
                }
            )
            for x in nbs:
                if ((cells.community == origin) & (spread == x)).any():
                    meta[x]["change"].append("enlarged")
            if t == origin:
                decisions[origin] = {
                    "action": "dissolved",
                    "note": msg("decision_dissolved", targets=", ".join(targets)),
                }
            continue
        redrawn = None
        options = sorted(
            (
                (n, _inertia(cells, np.flatnonzero((label == t) | (label == n))))
                for n in nbs
                if 2 * lo <= h_t + label_households(n) <= 2 * hi
            ),
            key=lambda x: (x[1], x[0]),
        )
        for n, _ in options:
            nodes = np.flatnonzero((label == t) | (label == n))
            two = split(_local(cells, nodes), lo, hi, range(2, 3), restarts)
            if two is not None:
                redrawn = (n, [nodes[part] for part in two])
                break
        if redrawn is not None:
            n, parts = redrawn
            was_n = label == n
            first_is_n = was_n[parts[0]].sum() >= was_n[parts[1]].sum()
            part_n, part_t = (parts[0], parts[1]) if first_is_n else (parts[1], parts[0])
            moved = int((label[part_t] == n).sum())
            label[part_n] = n
            label[part_t] = t
            meta[n]["change"].append("rebalanced")
            meta[t]["change"].append("rebalanced")
            if t == origin:
                decisions[origin] = {
                    "action": "rebalanced",
                    "note": msg("decision_rebalanced", other=meta[n]["id"], n=moved),
                }
            continue
        decisions.setdefault(
            origin,
            {
                "action": "no_proposal",
                "note": msg("decision_none", reason=msg("reason_no_neighbour", maximum=int(hi))),
            },
        )

    # a split community whose own part was merged away hands its code to its largest part
    for c, d in decisions.items():
        if d["action"] != "split" or (label == c).any():
            continue
        survivors = [
            lab
            for lab in meta
            if meta[lab]["origin"] == c
            and lab != c
            and (label == lab).any()
            and meta[lab]["id"].startswith(com_ids[c] + "-")
        ]
        if survivors:
            heir = max(survivors, key=lambda lab: (label_households(lab), -lab))
            meta[heir]["id"], meta[heir]["name"] = com_ids[c], names[c]
    return _assemble(
        estates,
        communities,
        given,
        cells,
        label,
        meta,
        decisions,
        before,
        premises,
        rules=rules,
        warnings=warnings,
        pool=pool,
    )


def _spread(
    units: _Units, label: np.ndarray, t: int, neighbour_labels: list[int], hi: float
) -> np.ndarray | None:
    """Give the cells of ``t`` to neighbouring labels, nearest first, under the ceiling."""
    mine = np.flatnonzero(label == t)
    if not neighbour_labels:
        return None
    out = label.copy()
    totals = {n: float(units.households[label == n].sum()) for n in neighbour_labels}
    centres = {}
    for n in neighbour_labels:
        nodes = np.flatnonzero(label == n)
        a = np.maximum(units.area[nodes], 1.0)
        centres[n] = (a[:, None] * units.xy[nodes]).sum(axis=0) / a.sum()
    inside = set(mine.tolist())
    heap: list[tuple[float, int, int]] = []

    def push(v: int, n: int) -> None:
        d = float(((units.xy[v] - centres[n]) ** 2).sum())
        heapq.heappush(heap, (d, v, n))

    for v in mine.tolist():
        for w in units.neighbours[v].tolist():
            if label[w] in totals:
                push(v, int(label[w]))
    while heap:
        _, v, n = heapq.heappop(heap)
        if out[v] != t or totals[n] + units.households[v] > hi:
            continue
        out[v] = n
        totals[n] += float(units.households[v])
        for w in units.neighbours[v].tolist():
            if w in inside and out[w] == t:
                push(w, n)
    return out if not (out == t).any() else None


# --------------------------------------------------------------------------- shifting


def _within(old: float, new: float, lo: float, hi: float) -> bool:
    """``new`` is no further out of [lo, hi] than ``old``, on the same side (never across)."""
    return min(old, lo) <= new <= max(old, hi)


def _shift_all(
    cells: _Units,
    label: np.ndarray,
    out_of_range: np.ndarray,
    before: np.ndarray,
    meta: dict[int, dict],
    decisions: dict[int, dict],
    lo: float,
    hi: float,
    open_around: Any,
    blocks: _BlockNeighbours,
) -> None:
    """The shift step (``layout.shift_border_units``): each community out of range, the too
    large first (largest first), then the too small (smallest first), takes border units from
    neighbours with households to spare, or gives them to neighbours with room, when that
    brings it into range moving fewer units than the split or merge would (a merge moves all
    its units; a split into k parts about all but a k-th of them). Otherwise nothing moves and
    the split or merge below deals with it. ``label`` is changed in place.

    A too-small community needs its neighbours' cells (it takes their border units), so they
    are cut (as a merge would); a too-large one gives its own cells, so a neighbour in range
    that has no cells yet takes them whole, as one block (:class:`_BlockNeighbours`)."""
    shifter = _Shifter(cells, label, lo, hi)
    home = cells.community
    order = sorted(
        out_of_range.tolist(),
        key=lambda c: (0, -before[c], c) if before[c] > hi else (1, before[c], c),
    )
    partners: dict[int, set[int]] = {}
    for t in order:
        h_t = float(shifter.total[t])
        if lo <= h_t <= hi or not shifter.members[t]:
            continue
        mine = np.fromiter(shifter.members[t], np.int64)
        n_units = int(shifter.cost[mine].sum())
        if h_t > hi:
            k = math.ceil(h_t / hi)
            limit = n_units - math.ceil(n_units / k)
            done = shifter.fix(t, home, limit, blocks.of(t, mine))
        else:
            open_around(t)
            done = shifter.fix(t, home, n_units, {})
        for _, frm, to in done or []:
            partners.setdefault(frm, set()).add(to)
            partners.setdefault(to, set()).add(frm)
    if not partners:
        return
    has = cells.unit >= 0
    moved_in = np.bincount(label[has & (label != home)], minlength=len(shifter.total))
    moved_out = np.bincount(home[has & (label != home)], minlength=len(shifter.total))
    for lab in sorted(partners):
        meta[lab]["change"].append("rebalanced")
    for c in out_of_range.tolist():
        if c in partners and lo <= shifter.total[c] <= hi:
            decisions[c] = {
                "action": "rebalanced",
                "note": msg(
                    "decision_shifted",
                    others=", ".join(sorted(meta[x]["id"] for x in partners[c])),
                    moved_in=int(moved_in[c]),
                    moved_out=int(moved_out[c]),
                ),
            }


class _BlockNeighbours:
    """The communities without cells beside a community's cells: a community in range that is
    not yet cut can take a border cell of a too-large neighbour whole, as one block, without
    being cut itself (its polygon is one piece of the tiling). Cell and block are neighbours
    under the rule of :func:`_neighbours`: the cell has at least ``min_border_m`` of border
    within the tolerance of the block's polygon, and the line from the cell's anchor (its
    estate's centroid) across the middle of that border, as far again into the block (where
    an estate of the block would lie), crosses no hard edge."""

    def __init__(
        self,
        units: _Units,
        com_geoms: np.ndarray,
        com_tree: shapely.STRtree,
        hard: np.ndarray,
        min_border_m: float,
    ):
        self.units, self.com_geoms, self.com_tree = units, com_geoms, com_tree
        self.hard_tree = shapely.STRtree(hard) if len(hard) else None
        self.min_border_m = min_border_m
        self.rows = rows_by(units.community, len(com_geoms))
        self.zones: dict[int, shapely.Geometry] = {}

    def of(self, t: int, mine: np.ndarray) -> dict[int, list[int]]:
        """Cell of ``mine`` (the cells of community ``t``) → the blocks beside it."""
        units = self.units
        near = self.com_tree.query(
            self.com_geoms[t], predicate="dwithin", distance=_TOUCH_TOLERANCE_M
        )
        out: dict[int, list[int]] = {}
        geoms = units.geometry[mine]
        for n in sorted(near.tolist()):
            if n == t or units.active[self.rows[n]].any():
                continue
            if n not in self.zones:  # a community in range beside several out of range
                self.zones[n] = shapely.buffer(self.com_geoms[n], _TOUCH_TOLERANCE_M)
            zone = self.zones[n]
            hit = np.flatnonzero(shapely.intersects(geoms, zone))
            if not len(hit):
                continue
            border = robust_overlay(shapely.intersection, shapely.boundary(geoms[hit]), zone)
            good = shapely.length(border) >= self.min_border_m
            hit, border = hit[good], border[good]
            if self.hard_tree is not None and len(hit):
                start = shapely.get_coordinates(units.anchor[mine[hit]])
                middle = shapely.get_coordinates(
                    shapely.line_interpolate_point(border, 0.5, normalized=True)
                )
                hit = hit[~_crossing(self.hard_tree, start, 2 * middle - start)]
            for v in mine[hit].tolist():
                out.setdefault(v, []).append(n)
        return out


class _Shifter:
    """Adjust boundaries by moving border units one at a time (the shift step of R7).

    Works on the labels in place, with running households per label and member sets; a
    :meth:`fix` that cannot bring its community into range is rolled back. Only the neighbour
    graph is used (no geometry): a move keeps both labels contiguous, never takes a community
    in range out of it, and never pushes one out of range across the other bound.
    """

    def __init__(self, units: _Units, label: np.ndarray, lo: float, hi: float):
        self.units, self.label, self.lo, self.hi = units, label, lo, hi
        h = units.households.astype(float)
        self.cost = (units.unit >= 0).astype(np.int64)  # a cell without a unit moves nothing
        n_lab = int(label.max()) + 1
        # plain floats and ints: :meth:`_best` does scalar arithmetic on them in a loop
        self.total: list[float] = np.bincount(label, weights=h, minlength=n_lab).tolist()
        self.h: list[float] = h.tolist()
        self.costs: list[int] = self.cost.tolist()
        self.members = [set(rows.tolist()) for rows in rows_by(label, n_lab)]

    def _penalty(self, value: float) -> float:
        return penalty(value, self.lo, self.hi)

    def _connected_without(self, lab: int, v: int) -> bool:
        rest = self.members[lab] - {v}
        if not rest:
            return False
        return len(reached(next(iter(rest)), rest, self.units.neighbours)) == len(rest)

    def _move(self, v: int, to: int) -> None:
        frm = int(self.label[v])
        self.members[frm].discard(v)
        self.members[to].add(v)
        self.label[v] = to
        self.total[frm] -= self.h[v]
        self.total[to] += self.h[v]

    def _centre(self, lab: int) -> np.ndarray:
        """Area-weighted centre of the cells of ``lab`` (read now: cells may have been cut)."""
        nodes = np.fromiter(self.members[lab], np.int64)
        a = np.maximum(self.units.area[nodes], 1.0)
        return np.asarray((a[:, None] * self.units.xy[nodes]).sum(axis=0) / a.sum())

    def _best(
        self, t: int, home: np.ndarray, blocks: dict[int, list[int]]
    ) -> tuple[int, int] | None:
        """The move that brings ``t`` closest to the range: (cell, to label), or None."""
        lo, hi, total, label = self.lo, self.hi, self.total, self.label
        nbrs = self.units.neighbours
        t_old = total[t]
        small = t_old < lo
        best: tuple[tuple[float, int, float, float], int, int] | None = None
        seen: set[tuple[int, int]] = set()
        centres: dict[int, np.ndarray] = {}
        pen_t_old = penalty(t_old, lo, hi)
        for u in sorted(self.members[t]):
            # too small: t takes a neighbouring cell w from its label; too large: t gives u to
            # a neighbouring cell's label or to a block beside u
            around = nbrs[u].tolist()
            if small:
                options = [(w, int(label[w])) for w in around]
            else:
                options = [(u, int(label[w])) for w in around]
                options += [(u, n) for n in blocks.get(u, ())]
            for v, other in options:
                if other == t:
                    continue
                frm, to = (other, t) if small else (t, other)
                if (v, to) in seen:
                    continue
                seen.add((v, to))
                h = self.h[v]
                t_new = t_old + h if small else t_old - h
                o_old = total[other]
                o_new = o_old - h if small else o_old + h
                pen_t_new = penalty(t_new, lo, hi)
                if not (pen_t_new < pen_t_old - 1e-9):
                    continue
                if not (_within(t_old, t_new, lo, hi) and _within(o_old, o_new, lo, hi)):
                    continue
                gain = pen_t_old - pen_t_new + penalty(o_old, lo, hi) - penalty(o_new, lo, hi)
                added = self.costs[v] * (int(home[v] != to) - int(home[v] != frm))
                if to not in centres:
                    centres[to] = self._centre(to)
                distance = float(((self.units.xy[v] - centres[to]) ** 2).sum())
                # the most of the gap closed, then the fewest units moved, then the nearest
                # to the receiving community (compactness), then the fewest households
                key = (-gain, added, distance, h)
                if best is not None and key >= best[0]:
                    continue
                if not self._connected_without(frm, v):
                    continue
                best = (key, v, to)
        return None if best is None else (best[1], best[2])

    def fix(
        self, t: int, home: np.ndarray, max_moved: int, blocks: dict[int, list[int]]
    ) -> list[tuple[int, int, int]] | None:
        """Shift border units until ``t`` is in range, moving at most ``max_moved`` units more
        than before (``blocks``: :meth:`_BlockNeighbours.of`); the moves (cell, from, to), or
        None (nothing changed)."""
        done: list[tuple[int, int, int]] = []
        moved = 0
        while self._penalty(self.total[t]) > 0:
            step = self._best(t, home, blocks)
            if step is None:
                break
            v, to = step
            frm = int(self.label[v])
            moved += self.costs[v] * (int(home[v] != to) - int(home[v] != frm))
            if moved > max_moved:
                break
            self._move(v, to)
            done.append((v, frm, to))
        if self._penalty(self.total[t]) > 0:
            for v, frm, _ in reversed(done):
                self._move(v, frm)
            return None
        return done


def _households_before(
    com_ids: np.ndarray,
    units: _Units,
    label: np.ndarray,
    meta: dict[int, dict],
    labs: list[int],
    before: np.ndarray,
) -> np.ndarray:
    """``households_before`` of each proposed community (``labs``): the households of the
    original community whose code it keeps, plus those of every original community that went
    into it whole (merged). A dissolved community (shared among several) counts in none."""
    holder = {meta[lab]["id"]: lab for lab in labs}
    total = dict.fromkeys(labs, 0)
    for c, cid in enumerate(com_ids.tolist()):
        if cid in holder:
            total[holder[cid]] += int(before[c])
            continue
        went = set(label[units.community == c].tolist())
        if len(went) == 1 and (lab := went.pop()) in total:
            total[lab] += int(before[c])
    return np.array([total[lab] for lab in labs], dtype=np.int64)


def _estate_table(
    estates: gpd.GeoDataFrame,
    given: _Given,
    units: _Units,
    label: np.ndarray,
    com_ids: np.ndarray,
    meta: dict[int, dict],
) -> pd.DataFrame:
    """Each estate's community before and after, by its largest piece (ties: the first
    community), as ``estates.community_id`` gives it."""
    has = units.unit >= 0
    unit = units.unit[has]
    est = given.estate[unit]
    mine = est >= 0
    unit, est, lab = unit[mine], est[mine], label[has][mine]
    order = np.lexsort((given.community[unit], -given.share[unit], est))
    first = np.r_[True, est[order][1:] != est[order][:-1]] if len(order) else np.zeros(0, bool)
    pick = order[first]
    home = np.full(len(estates), None, dtype=object)
    home[est[pick]] = com_ids[given.community[unit[pick]]]
    proposed = np.full(len(estates), None, dtype=object)
    proposed[est[pick]] = [meta[int(x)]["id"] for x in lab[pick]]
    return pd.DataFrame(
        {"community_id": home, "proposed_community_id": proposed}, index=estates.index, dtype=object
    )


def _moves(
    given: _Given,
    units: _Units,
    label: np.ndarray,
    com_ids: np.ndarray,
    meta: dict[int, dict],
    frame: pd.DataFrame,
    before_by_id: dict[str, int],
) -> pd.DataFrame:
    """One row per household unit that changes community (a straddling estate's piece, or a
    plan-year parcel, with ``parcel_id`` instead of ``estate_id``)."""
    has = units.unit >= 0
    unit, lab, home = units.unit[has], label[has], units.community[has]
    to_ids = np.array([meta[int(x)]["id"] for x in lab], dtype=object)
    from_ids = com_ids[home].astype(object)
    moved = from_ids != to_ids
    unit, from_ids, to_ids = unit[moved], from_ids[moved], to_ids[moved]
    order = np.argsort(unit, kind="stable")
    unit, from_ids, to_ids = unit[order], from_ids[order], to_ids[order]
    is_estate = given.estate[unit] >= 0
    none = np.full(len(unit), None, dtype=object)
    moves = pd.DataFrame(
        {
            "estate_id": np.where(is_estate, given.ids[unit], none),
            "estate_name": np.where(is_estate, given.names[unit], none),
            "households": given.households[unit].astype(np.int64),
            "from_community_id": from_ids,
            "to_community_id": to_ids,
        }
    )
    ids = frame["community_id"].tolist()
    after_by_id = dict(zip(ids, frame["households"].tolist(), strict=True))
    name_by_id = dict(zip(ids, frame["name"].tolist(), strict=True))
    change_by_id = dict(zip(ids, frame["change"].tolist(), strict=True))
    moves["to_name"] = moves["to_community_id"].map(name_by_id).astype(object)
    moves["change"] = moves["to_community_id"].map(change_by_id).astype(object)
    moves["from_households_before"] = moves["from_community_id"].map(before_by_id).astype("Int64")
    moves["from_households_after"] = (
        moves["from_community_id"].map(lambda i: after_by_id.get(i, 0)).astype("Int64")
    )
    moves["to_households_before"] = (
        moves["to_community_id"].map(lambda i: before_by_id.get(i, 0)).astype("Int64")
    )
    moves["to_households_after"] = moves["to_community_id"].map(after_by_id).astype("Int64")
    for column in ("estate_id", "estate_name", "from_community_id", "to_community_id"):
        moves[column] = moves[column].astype(object)
    if given.parcels:  # a plan year with delivered parcels
        moves["parcel_id"] = np.where(is_estate, none, given.ids[unit])
    return moves


def _union_pieces(pieces: list) -> shapely.Geometry:
    """Union of a proposed community's pieces from several original communities. A piece cut
    from a community (its cells clipped to the polygon) meets a neighbour's polygon along their
    shared border, but the vertices where the cut crosses that border lie a floating-point hair
    off it (~1e-9 m), so an exact union can fall apart at such a piece. Then each piece is
    snapped to the others (within the overlay grid, 1 mm: their vertices are inserted into its
    edges, so the shared border runs through the same vertices on both sides) and united
    again; the shapes move by the noise only, so the proposal still tiles the communities."""
    arr = np.array(pieces, dtype=object)
    exact = clean(robust_overlay(shapely.union_all, arr))
    if shapely.get_num_geometries(exact) == 1:
        return exact
    snapped = np.array(
        [
            shapely.snap(
                arr[k], robust_overlay(shapely.union_all, np.delete(arr, k)), OVERLAY_GRID_M
            )
            for k in range(len(arr))
        ],
        dtype=object,
    )
    joined = clean(robust_overlay(shapely.union_all, snapped))
    return (
        joined if shapely.get_num_geometries(joined) < shapely.get_num_geometries(exact) else exact
    )


def _polygons(
    com_geoms: np.ndarray,
    units: _Units,
    label: np.ndarray,
    by_community: list[np.ndarray],
    spacing_m: float,
    pool: CommunityPool,
) -> tuple[list[int], np.ndarray]:
    """The proposed communities' labels and polygons. A community kept whole gives its own
    polygon; one divided among labels gives each its share, the new borders smoothed
    (:func:`gis_planner.layout.cells.divide`, each community alone: in ``pool``). Smoothing
    can shrink the border through which a piece meets the rest of its proposed community to
    a point: then that community's pieces are taken unsmoothed from each community it draws
    on (and so are their other shares, to keep the tiling)."""
    raw: dict[int, dict[int, shapely.Geometry]] = {}  # community → label → share
    pieces: dict[int, dict[int, shapely.Geometry]] = {}  # label → community → piece
    divided: list[int] = []
    for c, nodes in enumerate(by_community):
        labs = sorted(set(label[nodes].tolist())) if len(nodes) else [c]
        if len(labs) == 1:  # kept whole: its own polygon, no overlay
            pieces.setdefault(labs[0], {})[c] = com_geoms[c]
        else:
            divided.append(c)
    found = pool.map(
        divide,
        [com_geoms[c] for c in divided],
        [units.geometry[by_community[c]] for c in divided],
        [label[by_community[c]] for c in divided],
        [units.area[by_community[c]] for c in divided],
        [spacing_m] * len(divided),
    )
    for c, (raw[c], smoothed) in zip(divided, found, strict=True):
        for lab in sorted(smoothed):
            pieces.setdefault(lab, {})[c] = smoothed[lab]
    labs = sorted(pieces)

    def united(lab: int) -> shapely.Geometry:
        parts = list(pieces[lab].values())
        return _union_pieces(parts) if len(parts) > 1 else clean(parts[0])

    polygons = {lab: united(lab) for lab in labs}
    apart = [
        lab
        for lab in labs
        if shapely.get_num_geometries(polygons[lab]) > 1 and any(c in raw for c in pieces[lab])
    ]
    for lab in apart:
        if shapely.get_num_geometries(polygons[lab]) == 1:
            continue  # mended by an earlier one
        saved = {x: dict(pieces[x]) for c in pieces[lab] if c in raw for x in raw[c]}
        for c in [c for c in pieces[lab] if c in raw]:
            for x, share in raw[c].items():
                pieces[x][c] = share
        again = {x: united(x) for x in saved}
        if shapely.get_num_geometries(again[lab]) < shapely.get_num_geometries(polygons[lab]):
            polygons.update(again)
        else:  # no better: keep the smoothed pieces
            for x, kept in saved.items():
                pieces[x] = kept
    return labs, np.array([polygons[lab] for lab in labs], dtype=object)


def _assemble(
    estates: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    given: _Given,
    units: _Units,
    label: np.ndarray,
    meta: dict[int, dict],
    decisions: dict[int, dict],
    before: np.ndarray,
    premises: gpd.GeoDataFrame | None,
    *,
    rules: RuleSet,
    warnings: list[Problem],
    pool: CommunityPool,
) -> BoundaryProposal:
    """Polygons, figures and tables of the proposal from the cells' labels."""
    com_geoms = communities.geometry.values
    com_ids = communities["community_id"].astype(str).to_numpy()
    spacing_m = float(rules.layout.tessellation_spacing_m)
    by_community = rows_by(units.community, len(communities))
    labs, geoms = _polygons(com_geoms, units, label, by_community, spacing_m, pool)
    by_label = rows_by(label, max(labs) + 1)
    hh = pd.Series([int(units.households[by_label[lab]].sum()) for lab in labs])
    ids = pd.Series([meta[lab]["id"] for lab in labs], dtype=object)
    origin = np.array([meta[lab]["origin"] for lab in labs])
    before_by_id = dict(zip(com_ids.tolist(), before.astype(np.int64).tolist(), strict=True))
    hh_before = ids.map(lambda i: before_by_id.get(i, 0)).astype(np.int64)
    sources = []
    divided = []
    n_est = []
    for lab in labs:
        nodes = by_label[lab]
        sources.append(", ".join(sorted({com_ids[c] for c in units.community[nodes]})))
        divided.append(
            bool(units.active[nodes].all()) and len(_components(nodes, units.neighbours)) > 1
        )
        est = given.estate[units.unit[nodes][units.unit[nodes] >= 0]]
        n_est.append(len(np.unique(est[est >= 0])))
    change = [", ".join(dict.fromkeys(meta[lab]["change"])) or "unchanged" for lab in labs]
    frame = pd.DataFrame({"community_id": ids, "name": [meta[lab]["name"] for lab in labs]})
    for column in ("street", "kind"):
        if column in communities:
            frame[column] = communities[column].astype(object).to_numpy()[origin]
    frame["source_ids"] = sources
    frame["change"] = change
    frame["estates_count"] = n_est
    frame["households_before"] = _households_before(com_ids, units, label, meta, labs, before)
    frame["households"] = hh.astype(np.int64)
    is_old = ids.isin(com_ids).to_numpy()
    frame["scale_status_before"] = pd.Series(
        np.where(is_old, scale_status(hh_before, rules=rules), None), dtype=object
    )
    frame["scale_status"] = scale_status(hh, rules=rules)
    s_min_b, s_max_b = budget.staffing_range(hh_before, rules=rules)
    s_min, s_max = budget.staffing_range(hh, rules=rules)
    frame["staff_min_before"] = pd.array(np.where(is_old, s_min_b, pd.NA), dtype="Int64")
    frame["staff_max_before"] = pd.array(np.where(is_old, s_max_b, pd.NA), dtype="Int64")
    frame["staff_min"] = s_min
    frame["staff_max"] = s_max
    override = (
        communities["standard"].astype(object).to_numpy()[origin]
        if "standard" in communities
        else np.full(len(labs), None, dtype=object)
    )
    override = np.where(
        is_old, np.asarray(override, dtype=object), np.full(len(is_old), None, dtype=object)
    )
    after = _area_check(ids, pd.Series(override, dtype=object), geoms, hh, premises, rules=rules)
    old_override = (
        communities["standard"].astype(object)
        if "standard" in communities
        else pd.Series(None, index=communities.index, dtype=object)
    )
    old = _area_check(
        communities["community_id"].astype(str).astype(object),
        old_override.reset_index(drop=True).set_axis(communities.index),
        com_geoms,
        pd.Series(before, index=communities.index),
        premises,
        rules=rules,
    )
    old_required = dict(zip(com_ids.tolist(), old["required_area_m2"].tolist(), strict=True))
    frame["standard"] = after["standard"].to_numpy()
    frame["required_area_m2_before"] = ids.map(old_required).to_numpy()
    frame["required_area_m2"] = after["required_area_m2"].to_numpy()
    frame["premises_area_m2"] = after["premises_area_m2"].to_numpy()
    frame["shortfall_m2"] = after["shortfall_m2"].to_numpy()
    area = shapely.area(geoms)
    perimeter = shapely.length(geoms)
    frame["area_m2"] = np.round(area, 1)
    frame["compactness"] = np.round(4 * math.pi * area / np.maximum(perimeter, 1e-9) ** 2, 4)
    frame["contiguous"] = shapely.get_num_geometries(geoms) == 1
    frame["divided"] = divided
    proposed = gpd.GeoDataFrame(frame, geometry=geoms, crs=crs_mod.frame_crs(communities, estates))

    # --- estates, moves, decisions
    est_table = _estate_table(estates, given, units, label, com_ids, meta)
    moves = _moves(given, units, label, com_ids, meta, frame, before_by_id)

    status_before = scale_status(pd.Series(before), rules=rules)
    out_of_range = np.flatnonzero(status_before.to_numpy() != "ok")
    rows = []
    com_names = communities["name"].astype(str).to_numpy()
    for c in out_of_range.tolist():
        d = decisions.get(
            c,
            {
                "action": "no_proposal",
                "note": msg(
                    "decision_none",
                    reason=msg("reason_no_neighbour", maximum=int(rules.layout.households_max)),
                ),
            },
        )
        labs_c = sorted(set(label[by_community[c]].tolist())) or [c]
        if d["action"] == "split":
            d = {
                **d,
                "note": msg(
                    "decision_split",
                    k=len(labs_c),
                    parts=", ".join(meta[lab]["id"] for lab in labs_c),
                ),
            }
        rows.append(
            {
                "community_id": com_ids[c],
                "name": com_names[c],
                "households": int(before[c]),
                "scale_status": status_before.iloc[c],
                "action": d["action"],
                "proposed_ids": ", ".join(meta[lab]["id"] for lab in labs_c),
                "note": d["note"],
            }
        )
    decision_table = pd.DataFrame(
        rows,
        columns=[
            "community_id",
            "name",
            "households",
            "scale_status",
            "action",
            "proposed_ids",
            "note",
        ],
    ).astype(
        {
            "community_id": object,
            "name": object,
            "action": object,
            "proposed_ids": object,
            "note": object,
        }
    )
    if decision_table["action"].eq("no_proposal").any():
        bad = decision_table[decision_table["action"].eq("no_proposal")]
        warnings.append(
            Problem(
                "communities",
                msg("boundary_unresolved", n=len(bad), rows=format_rows(bad["community_id"])),
            )
        )
    log.info(
        "Proposed boundaries: %d communities out of %d–%d households → %d split, %d "
        "merged, %d dissolved, %d redrawn, %d without proposal; %d estates move; %d "
        "proposed communities",
        len(decision_table),
        int(rules.layout.households_min),
        int(rules.layout.households_max),
        int(decision_table["action"].eq("split").sum()),
        int(decision_table["action"].eq("merged").sum()),
        int(decision_table["action"].eq("dissolved").sum()),
        int(decision_table["action"].eq("rebalanced").sum()),
        int(decision_table["action"].eq("no_proposal").sum()),
        len(moves),
        len(proposed),
    )
    return BoundaryProposal(proposed, moves, decision_table, est_table, tuple(warnings))


# --------------------------------------------------------------------------- scenario


def apply_boundaries(data: PlanningData, proposal: BoundaryProposal) -> PlanningData:
    """A copy of ``data`` with the proposed communities in place of the originals (a scenario).

    The proposed communities keep ``community_id``, ``name``, ``street``, ``kind`` and, for
    those keeping an original code, the original ``standard`` override; populations are left
    to the R4 fallback (households × household size). Premises are placed in the proposed
    communities by location (one outside all of them keeps its code when that still exists).
    Run :func:`gis_planner.pipeline.analyse` on the result to evaluate the proposal.
    """
    proposed = proposal.communities
    keep = [c for c in ("community_id", "name", "street", "kind") if c in proposed]
    communities = proposed[keep + ["geometry"]].copy()
    original = data.communities.set_index(data.communities["community_id"].astype(str))
    if "standard" in original:
        communities["standard"] = communities["community_id"].map(original["standard"])
    premises = data.premises
    if premises is not None and len(premises):
        premises = premises.copy()
        located = premises_mod.located_in(
            premises.geometry.values, communities.geometry.values, communities["community_id"]
        )
        known = set(communities["community_id"])
        given = premises.get("community_id", pd.Series(None, index=premises.index))
        fallback = [g if g in known else None for g in given.astype(object)]
        premises["community_id"] = [
            loc if loc is not None else fb for loc, fb in zip(located, fallback, strict=True)
        ]
    estates = data.estates
    if estates is not None:
        estates = estates.drop(columns=[c for c in ("community_id",) if c in estates])
    return replace(
        data, communities=communities.reset_index(drop=True), premises=premises, estates=estates
    )
