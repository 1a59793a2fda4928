"""Households: allocation of estates' households to communities (R1, 一(二)).

An estate inside one community gives it all its households. An estate that straddles a
community boundary is split by area share (the rules' ``premises.straddling_split``); the
shares are normalised over the part of the estate that lies in some community, and the
integer households are apportioned by the largest-remainder method so that the total is
conserved exactly. An estate in no community is unassigned — kept and reported, never dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_planner.concurrency import concurrently
from gis_planner.crs import check_working_crs

# OVERLAY_GRID_M is imported from here by boundaries.py of earlier revisions, which
# `benchmarks/bench_layout.py --reference` runs against this package
from gis_planner.overlay import OVERLAY_GRID_M, robust_overlay  # noqa: F401

log = logging.getLogger(__name__)


@dataclass
class Allocation:
    """The result of :func:`allocate_households`.

    Attributes
    ----------
    shares : DataFrame
        One row per (estate, community) pair with a positive share: ``estate`` (estates'
        index label), ``community`` (communities' index label), ``share`` (0–1, normalised
        over the estate's part inside communities) and ``households`` (whole households).
    estates : DataFrame
        Indexed like the estates: ``community_index`` (the community with the largest share,
        or -1), ``community_shares`` (JSON text ``{"community_id": share, …}``, None when
        unassigned), ``outside_share`` (part of
        the estate's area in no community), ``households_assigned``.
    community_households : Series
        Households per community, indexed like the communities (0 where none).
    unassigned_households : int
    pieces : ndarray or None
        By row of ``shares``: the part of the estate in the community where the allocation
        computed it exactly (``shapely.intersection``; None for an estate wholly inside), so
        that :func:`household_units` need not compute it again; None when not kept (the
        overlay needed the robust repetition of :func:`robust_overlay`).
    """

    shares: pd.DataFrame
    estates: pd.DataFrame
    community_households: pd.Series
    unassigned_households: int
    pieces: np.ndarray | None = None


def pair_order(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """``np.lexsort((minor, major))`` of two arrays of positions: the order by ``major``,
    then ``minor``, ties kept in place — as one stable argsort of the combined key (many
    times faster than ``lexsort`` on the nearly sorted pairs of an allocation).

    >>> pair_order(np.array([1, 0, 1, 0]), np.array([0, 2, 0, 1])).tolist()
    [3, 1, 0, 2]
    """
    major = np.asarray(major, dtype=np.int64)
    minor = np.asarray(minor, dtype=np.int64)
    if len(major) == 0 or major.min() < 0 or minor.min() < 0:
        return np.lexsort((minor, major))
    span = int(minor.max()) + 1
    if int(major.max()) >= 2**62 // span:  # the key would overflow
        return np.lexsort((minor, major))
    return np.argsort(major * span + minor, kind="stable")


def apportion(totals: np.ndarray, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split whole ``totals`` (one per group) into whole parts by ``weights``.

    Largest-remainder (Hamilton) method: each part gets the floor of its quota, and the
    households left over go to the largest remainders. The parts of a group always sum to
    its total. ``groups`` gives, for each part, the position of its total in ``totals``.

    Examples
    --------
    >>> apportion(np.array([10]), np.array([0, 0, 0]), np.array([0.5, 0.3, 0.2])).tolist()
    [5, 3, 2]
    >>> apportion(np.array([1]), np.array([0, 0]), np.array([0.5, 0.5])).tolist()
    [1, 0]
    """
    totals = np.asarray(totals, dtype=np.int64)
    quotas = totals[groups] * np.asarray(weights, dtype=float)
    parts = np.floor(quotas + 1e-9).astype(np.int64)
    left = totals - np.bincount(groups, weights=parts, minlength=len(totals)).astype(np.int64)
    remainder = quotas - parts
    # order within each group by remainder (largest first), ties by position (stable); a
    # group of one part (an estate in one community: nearly all) has rank 0
    rank = np.zeros(len(groups), dtype=np.int64)
    many = np.flatnonzero(np.bincount(groups, minlength=len(totals))[groups] > 1)
    if len(many):
        g = groups[many]
        order = np.lexsort((many, -remainder[many], g))
        starts = np.searchsorted(g[order], g[order], side="left")
        rank[many[order]] = np.arange(len(many)) - starts
    parts += (rank < left[groups]).astype(np.int64)
    return parts


def _contains(tree: shapely.STRtree, polygons: np.ndarray) -> np.ndarray:
    """``tree.query(polygons, predicate="contains")``, the two halves of ``polygons`` asked
    at once (:func:`~gis_planner.concurrency.concurrently`): GEOS works without the GIL, and
    each half is one call. The pairs come in the order of the polygons, as from one query;
    each polygon (prepared by GEOS for the query, or already) is asked by one thread only.
    """
    half = len(polygons) // 2
    tree.query(polygons[:1])  # GEOS builds its tree at the first query: here, not in both
    first, second = concurrently(
        lambda: tree.query(polygons[:half], predicate="contains"),
        lambda: tree.query(polygons[half:], predicate="contains"),
    )
    second[0] += half
    return np.concatenate([first, second], axis=1)


def allocate_households(
    estates: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    *,
    households_column: str = "households",
    assignments: Mapping[str, str] | None = None,
) -> Allocation:
    """Allocate every estate's households to the communities it lies in (R1, 一(二)).

    Parameters
    ----------
    estates : GeoDataFrame
        Estate polygons in a projected CRS (EPSG:4549) with ``estate_id`` and whole
        ``households`` (missing counts are taken as 0 and should have been reported by the
        caller).
    communities : GeoDataFrame
        Community polygons in the same CRS, with ``community_id``.
    assignments : mapping, optional
        ``estate_id`` → ``community_id``: estates given wholly to a community whatever their
        geometry (a planning decision, e.g. a scenario's moved estate). Ids that match no
        estate or community are ignored; the caller reports them.

    Returns
    -------
    Allocation
        Conserves households: ``community_households.sum() + unassigned_households ==
        estates.households.sum()`` (checked; a failure raises ``AssertionError``).
    """
    check_working_crs(estates=estates, communities=communities)
    est_geoms = estates.geometry.values
    com_geoms = communities.geometry.values
    households = (
        pd.to_numeric(estates[households_column], errors="coerce")
        .fillna(0)
        .to_numpy(dtype=np.int64)
    )
    n_est = len(estates)
    # Estates wholly inside one community need no overlay (the common case). Asked as
    # "community contains estate" of a tree of the estates: GEOS then prepares each
    # community once (the prepared polygon answers fast), where "estate within community"
    # would prepare each small estate — the same pairs, in about half the time.
    c_within, e_within = _contains(shapely.STRtree(est_geoms), np.asarray(com_geoms))
    by_estate = pair_order(e_within, c_within)
    w_est, w_com = e_within[by_estate], c_within[by_estate]
    within_count = np.bincount(w_est, minlength=n_est)
    simple = within_count == 1
    keep = simple[w_est]
    pair_est, pair_com = w_est[keep], w_com[keep]
    pair_area = np.full(len(pair_est), np.nan)
    pair_geom: np.ndarray | None = np.full(len(pair_est), None, dtype=object)
    est_area = shapely.area(est_geoms)

    rest = np.flatnonzero(~simple)
    if len(rest):
        tree = shapely.STRtree(com_geoms)
        i_est, i_com = tree.query(est_geoms[rest], predicate="intersects")
        i_est = rest[i_est]
        shapely.prepare(com_geoms)
        try:  # exactly: the parts are kept for household_units (see Allocation.pieces)
            parts = shapely.intersection(est_geoms[i_est], com_geoms[i_com])
        except shapely.errors.GEOSException:
            parts, pair_geom = None, None
        if parts is None:
            parts = robust_overlay(shapely.intersection, est_geoms[i_est], com_geoms[i_com])
        area = shapely.area(parts)
        positive = area > 0
        pair_est = np.concatenate([pair_est, i_est[positive]])
        pair_com = np.concatenate([pair_com, i_com[positive]])
        pair_area = np.concatenate([pair_area, area[positive]])
        if pair_geom is not None:
            pair_geom = np.concatenate([pair_geom, np.asarray(parts, dtype=object)[positive]])

    inside_area = np.where(np.isnan(pair_area), est_area[pair_est], pair_area)
    inside_total = np.bincount(pair_est, weights=inside_area, minlength=n_est)
    share = inside_area / np.where(inside_total[pair_est] > 0, inside_total[pair_est], 1.0)
    outside_share = np.where(
        est_area > 0, 1.0 - inside_total / np.where(est_area > 0, est_area, 1.0), 0.0
    )
    outside_share = np.clip(np.where(inside_total > 0, outside_share, 1.0), 0.0, 1.0)

    if assignments:
        pair_est, pair_com, share, pair_geom = _assigned(
            estates, communities, assignments, pair_est, pair_com, share, pair_geom
        )
    order = pair_order(pair_est, pair_com)
    pair_est, pair_com, share = pair_est[order], pair_com[order], share[order]
    if pair_geom is not None:
        pair_geom = pair_geom[order]
    parts = apportion(households, pair_est, share) if len(pair_est) else np.zeros(0, np.int64)

    assigned = np.bincount(pair_est, weights=parts, minlength=n_est).astype(np.int64)
    # the community with the largest share (ties: the first by community order)
    best = np.full(n_est, -1, dtype=np.int64)
    one = np.bincount(pair_est, minlength=n_est)[pair_est] == 1
    best[pair_est[one]] = pair_com[one]  # an estate in one community: that community
    many = np.flatnonzero(~one)
    if len(many):
        by_share = many[np.lexsort((pair_com[many], -share[many], pair_est[many]))]
        first = np.ones(len(by_share), dtype=bool)
        first[1:] = pair_est[by_share][1:] != pair_est[by_share][:-1]
        best[pair_est[by_share][first]] = pair_com[by_share][first]

    shares_text = _shares_json(
        pair_est, pair_com, communities["community_id"].astype(str).to_numpy(), share, n_est
    )

    community_households = pd.Series(
        np.bincount(pair_com, weights=parts, minlength=len(communities)).astype(np.int64),
        index=communities.index,
        name="households",
    )
    unassigned = int(households.sum() - community_households.sum())
    assert community_households.sum() + unassigned == households.sum(), "households lost"
    assert np.all(assigned[best >= 0] == households[best >= 0]), "estate split lost households"

    est_table = pd.DataFrame(
        {
            "community_index": best,
            "community_shares": pd.Series(shares_text, index=estates.index, dtype=object),
            "outside_share": outside_share,
            "households_assigned": assigned,
        },
        index=estates.index,
    )
    shares = pd.DataFrame(
        {
            "estate": estates.index.to_numpy()[pair_est],
            "community": communities.index.to_numpy()[pair_com],
            "share": share,
            "households": parts,
        }
    )
    log.info(
        "Allocated %d estates (%d households) to %d communities; %d unassigned "
        "(%d households); %d straddle a boundary",
        n_est,
        int(households.sum()),
        int((community_households > 0).sum()),
        int((best < 0).sum()),
        unassigned,
        int((np.bincount(pair_est, minlength=n_est) > 1).sum()),
    )
    return Allocation(shares, est_table, community_households, unassigned, pieces=pair_geom)


def _assigned(
    estates: pd.DataFrame,
    communities: pd.DataFrame,
    assignments: Mapping[str, str],
    pair_est: np.ndarray,
    pair_com: np.ndarray,
    share: np.ndarray,
    pair_geom: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The (estate, community, share, part) pairs with every assigned estate wholly in its
    community (no part: the whole estate)."""
    position = {str(c): i for i, c in enumerate(communities["community_id"].astype(str))}
    ids = estates["estate_id"].astype(str).to_numpy()
    target = np.array([position.get(str(assignments.get(e, "")), -1) for e in ids], np.int64)
    moved = np.flatnonzero(target >= 0)
    if len(moved) == 0:
        return pair_est, pair_com, share, pair_geom
    keep = target[pair_est] < 0
    log.info("%d estates assigned wholly to a community by decision", len(moved))
    return (
        np.concatenate([pair_est[keep], moved]),
        np.concatenate([pair_com[keep], target[moved]]),
        np.concatenate([share[keep], np.ones(len(moved))]),
        None
        if pair_geom is None
        else np.concatenate([pair_geom[keep], np.full(len(moved), None, dtype=object)]),
    )


_json_text = json.encoder.encode_basestring


def _shares_json(
    pair_est: np.ndarray, pair_com: np.ndarray, com_ids: np.ndarray, share: np.ndarray, n_est: int
) -> np.ndarray:
    """``{"community_id": share}`` JSON text per estate (None when it is in no community);
    ``com_ids`` are the communities' ids, ``pair_com`` positions in them.

    Estates in one community (nearly all) take their community's text, made once per
    community; only straddling estates go through ``json.dumps`` of their shares.
    """
    out = np.full(n_est, None, dtype=object)
    counts = np.bincount(pair_est, minlength=n_est)
    single = counts[pair_est] == 1
    whole = np.array(
        # json.dumps(i, ensure_ascii=False) of a text is this function's (the C encoder)
        ["{" + _json_text(i) + ": 1.0}" for i in com_ids.tolist()],
        dtype=object,
    )
    out[pair_est[single]] = whole[pair_com[single]]
    multi = np.flatnonzero(~single)
    groups: dict[int, dict[str, float]] = {}
    pair_ids = com_ids[pair_com[multi]]
    for e, c, s in zip(
        pair_est[multi].tolist(), pair_ids.tolist(), share[multi].tolist(), strict=True
    ):
        groups.setdefault(e, {})[c] = round(s, 4)
    for e, shares in groups.items():
        out[e] = json.dumps(shares, ensure_ascii=False)
    return out


def household_units(
    estates: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    allocation: Allocation,
    *,
    parcels: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The units behind each community's households (R1 一(二); R7 一(一)).

    One row per estate piece of ``allocation`` (an estate straddling two communities is two
    pieces, each with its share of the households) and one per plan-year parcel. Summed per
    community, ``households`` gives the community's households of the run's year, so the R7
    proposals (:mod:`gis_planner.layout`) count every household as R1 does.

    Parameters
    ----------
    estates, communities : GeoDataFrame
        The layers ``allocation`` was made from (EPSG:4549), with ``estate_id`` (and ``name``)
        and ``community_id``.
    allocation : Allocation
        :func:`allocate_households`, with any planning decisions applied (its ``shares``).
    parcels : GeoDataFrame, optional
        Development parcels delivered by the plan year (EPSG:4549): ``parcel_id``, ``name``
        (optional), whole ``households`` and ``community`` (the communities' index label of
        the community holding most of the parcel's area, R2 一(二)).

    Returns
    -------
    GeoDataFrame
        In the CRS of ``communities``, indexed 0…n-1, estates' pieces first (in estate order,
        then community order), then the parcels: ``unit_id`` (``estate_id`` or
        ``parcel_id``), ``name``, ``source`` (``estate``/``parcel``), ``estate`` (the estates'
        index label; None for a parcel), ``community`` (the communities' index label),
        ``community_id``, ``share`` (of the estate's households; 1 for a parcel),
        ``households`` (whole) and the geometry: the whole estate when it lies in one
        community (or was given to one), else its part in the community (m², EPSG:4549); a
        parcel clipped to its community.
    """
    check_working_crs(estates=estates, communities=communities, parcels=parcels)
    shares = allocation.shares
    est_pos = estates.index.get_indexer(shares["estate"])
    com_pos = communities.index.get_indexer(shares["community"])
    order = pair_order(est_pos, com_pos)
    est_pos, com_pos = est_pos[order], com_pos[order]
    est_geoms = estates.geometry.values[est_pos]
    com_geoms = communities.geometry.values[com_pos]
    pieces = np.bincount(est_pos, minlength=len(estates))[est_pos] > 1
    geometry = np.array(est_geoms, dtype=object)
    if pieces.any():
        # the parts the allocation computed exactly (the same intersection of the same
        # pair gives the same geometry); else computed here
        known = None if allocation.pieces is None else allocation.pieces[order][pieces]
        if known is None or any(g is None for g in known):
            known = robust_overlay(shapely.intersection, est_geoms[pieces], com_geoms[pieces])
        geometry[pieces] = _polygonal(known)
    names = (
        estates["name"].astype(object).to_numpy()[est_pos]
        if "name" in estates
        else np.full(len(est_pos), None, dtype=object)
    )
    frame = pd.DataFrame(
        {
            "unit_id": _as_text_objects(estates["estate_id"])[est_pos],
            "name": names,
            "source": "estate",
            "estate": estates.index.to_numpy(dtype=object)[est_pos],
            "community": communities.index.to_numpy(dtype=object)[com_pos],
            "community_id": communities["community_id"].astype(object).to_numpy()[com_pos],
            "share": shares["share"].to_numpy(dtype=float)[order],
            "households": shares["households"].to_numpy(dtype=np.int64)[order],
        }
    )
    frames = [gpd.GeoDataFrame(frame, geometry=geometry, crs=communities.crs)]
    if parcels is not None and len(parcels):
        frames.append(_parcel_units(parcels, communities))
    units = pd.concat(frames, ignore_index=True)
    units["households"] = units["households"].astype(np.int64)
    return gpd.GeoDataFrame(units, geometry="geometry", crs=communities.crs)


def _as_text_objects(column: pd.Series) -> np.ndarray:
    """``column.astype(str).astype(object).to_numpy()``; a column of text (objects) as it is,
    without the round trip through pandas' string type."""
    values = column.to_numpy(dtype=object)
    if column.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values
    return column.astype(str).astype(object).to_numpy()


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each overlay result (the lines and points where two polygons
    only touch dropped from a geometry collection)."""
    geoms = np.asarray(geoms, dtype=object).copy()
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):
        parts = shapely.get_parts(geoms[i])
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        geoms[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    return geoms


def _parcel_units(parcels: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The parcels as units of :func:`household_units`, clipped to their community."""
    com_pos = communities.index.get_indexer(parcels["community"])
    geometry = _polygonal(
        robust_overlay(
            shapely.intersection, parcels.geometry.values, communities.geometry.values[com_pos]
        )
    )
    names = (
        parcels["name"].astype(object).to_numpy()
        if "name" in parcels
        else np.full(len(parcels), None, dtype=object)
    )
    frame = pd.DataFrame(
        {
            "unit_id": parcels["parcel_id"].astype(str).astype(object).to_numpy(),
            "name": names,
            "source": "parcel",
            "estate": np.full(len(parcels), None, dtype=object),
            "community": communities.index.to_numpy(dtype=object)[com_pos],
            "community_id": communities["community_id"].astype(object).to_numpy()[com_pos],
            "share": 1.0,
            "households": pd.to_numeric(parcels["households"]).to_numpy(dtype=np.int64),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=np.asarray(geometry, dtype=object), crs=communities.crs)
