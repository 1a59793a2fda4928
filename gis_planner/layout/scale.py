"""Community layout (R7, 一(一)): community scale and the walking reach of premises.

Scale: a community outside the household range (setting 1,500–4,000, GB 50180-2018's
5-minute life circle) is ``too_small`` / ``too_large``. Reach: each estate's distance to the
nearest counted premises, and whether it is within the walking distance (300 m setting),
straight-line from the estate's centroid when no street network is given.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import KDTree

from gis_planner.crs import check_working_crs
from gis_planner.rules import RuleSet


def scale_status(households: pd.Series, *, rules: RuleSet) -> pd.Series:
    """R7 scale of each community: ``too_small``, ``ok`` or ``too_large``.

    Examples
    --------
    >>> from gis_planner.rules import load_rules
    >>> scale_status(pd.Series([1499, 1500, 4000, 4001]), rules=load_rules()).tolist()
    ['too_small', 'ok', 'ok', 'too_large']
    """
    low, high = rules.layout.households_min, rules.layout.households_max
    values = np.where(households < low, "too_small", np.where(households > high, "too_large", "ok"))
    return pd.Series(values, index=households.index, name="scale_status", dtype=object)


def reach_area(premises: gpd.GeoDataFrame | None, *, rules: RuleSet) -> shapely.Geometry | None:
    """The area within ``rules.layout.walking_distance_m`` (straight line) of any of
    ``premises`` (already filtered to those that count): one (multi)polygon in their CRS, or
    None without premises.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from gis_planner.rules import load_rules
    >>> p = gpd.GeoDataFrame(geometry=[Point(497000, 3380000)], crs="EPSG:4549")
    >>> round(reach_area(p, rules=load_rules()).area / 1e4, 1)  # ha: a 32-gon of radius 300 m
    28.1
    """
    if premises is None:
        return None
    geoms = np.asarray(premises.geometry.values)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        return None
    distance = float(rules.layout.walking_distance_m)
    buffers = _point_buffers(geoms, distance)
    # One union of every buffer is slow at scale (10,000 premises: seconds), for GEOS's
    # cascaded union merges the many far-apart pieces again and again. Buffers can overlap
    # only when their premises lie within twice the distance: the premises are grouped by
    # that (connected components, scipy's csgraph), each group is unioned alone, and the
    # groups, which are disjoint, are put together as they are.
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="dwithin", distance=2 * distance)
    n = len(geoms)
    graph = sparse.coo_array((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = csgraph.connected_components(graph, directed=False)
    polygons = shapely.get_parts(_group_unions(buffers, label))
    return polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)


def _group_unions(geoms: np.ndarray, label: np.ndarray) -> np.ndarray:
    """The union of each group of ``geoms`` (``label`` 0…k-1), in label order: a group of
    one is its geometry as it is, a larger one ``shapely.union_all`` of its geometries in
    their order.

    Groups of about the same size (up to twice the smallest) are unioned in one call, along
    the rows of a table padded with None (``union_all`` leaves missing values out, so each
    row gives what the group alone gives), instead of one call per group (1,900 groups of
    10,000 premises): Python goes to GEOS a few times, not thousands, which matters most
    when the reach runs beside other work (:func:`gis_planner.concurrency.concurrently`),
    for each return from GEOS waits for the GIL.

    >>> from shapely.geometry import box
    >>> g = np.array([box(0, 0, 2, 2), box(5, 5, 6, 6), box(1, 1, 3, 3)], dtype=object)
    >>> [round(u.area, 1) for u in _group_unions(g, np.array([0, 1, 0]))]
    [7.0, 1.0]
    """
    order = np.argsort(label, kind="stable")
    group = label[order]  # each geometry's group, by group
    size = np.bincount(label)
    rank = np.arange(len(order)) - (np.cumsum(size) - size)[group]  # its place in the group
    out = np.empty(len(size), dtype=object)
    alone = size[group] == 1
    out[group[alone]] = geoms[order[alone]]
    bucket = np.ceil(np.log2(np.maximum(size, 1))).astype(np.int64)  # 1 for 2, 2 for 3-4 …
    for b in np.unique(bucket[size > 1]):
        groups = np.flatnonzero((size > 1) & (bucket == b))
        row = np.full(len(size), -1)
        row[groups] = np.arange(len(groups))
        member = (size[group] > 1) & (bucket[group] == b)
        table = np.full((len(groups), int(size[groups].max())), None, dtype=object)
        table[row[group[member]], rank[member]] = geoms[order[member]]
        out[groups] = shapely.union_all(table, axis=1)
    return out


def _point_buffers(geoms: np.ndarray, distance: float) -> np.ndarray:
    """``shapely.buffer(geoms, distance, quad_segs=8)``, built by translating the buffer of
    the origin when every geometry is a 2-D point (the premises: several times faster).

    GEOS makes a point's buffer as the circle of vertices ``(x + r·cos a, y + r·sin a)``
    (``OffsetSegmentGenerator::createCircle``), so ``template + (x, y)`` gives the very
    same floats: the buffer of the origin holds ``r·cos a`` exactly.
    """
    template = shapely.buffer(shapely.Point(0.0, 0.0), distance, quad_segs=8)
    simple = (
        distance > 0
        and isinstance(template, shapely.Polygon)
        and not template.is_empty
        and len(template.interiors) == 0
        and bool((shapely.get_type_id(geoms) == 0).all())
        and not bool(shapely.has_z(geoms).any())
    )
    xy = shapely.get_coordinates(geoms) if simple else np.empty((0, 2))
    if not (simple and len(xy) == len(geoms) and np.isfinite(xy).all()):
        return shapely.buffer(geoms, distance, quad_segs=8)
    ring = shapely.get_coordinates(template.exterior)
    return shapely.polygons(xy[:, None, :] + ring[None, :, :])


def estate_origins(estates: gpd.GeoDataFrame, *, rules: RuleSet) -> np.ndarray:
    """Where walking distance is measured from (``rules.layout.distance_from``)."""
    if rules.layout.distance_from == "centroid":
        return estates.geometry.centroid.values
    return estates.geometry.values  # "edge": from the nearest point of the estate


def centroid_xy(geoms: np.ndarray) -> np.ndarray:
    """The coordinates of ``shapely.centroid(geoms)``, NaN for a missing or empty geometry —
    without making a Point per geometry (at 100,000 estates most of the centroid's time).

    A polygon without holes (an estate, nearly always) is done in numpy with GEOS's own
    arithmetic (``algorithm::Centroid``: triangles fanned from the ring's first vertex, each
    ``area2 · (p0 + p1 + p2)`` summed in ring order, the sum ``/ 3 / Σ area2``; the ring's
    orientation flips the sign of both sums, which leaves the quotient unchanged), so each
    coordinate is the very float GEOS gives; every other geometry, and a polygon of zero
    area, is asked of GEOS. Hand-written: neither shapely nor geopandas gives centroids as
    coordinates.

    >>> from shapely.geometry import Polygon
    >>> g = np.array([Polygon([(0, 0), (4, 0), (4, 3), (0, 3)]), None], dtype=object)
    >>> centroid_xy(g).tolist()
    [[2.0, 1.5], [nan, nan]]
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.full((len(geoms), 2), np.nan)
    fast = shapely.get_type_id(geoms) == 3
    fast[fast] = (shapely.get_num_interior_rings(geoms[fast]) == 0) & ~shapely.is_empty(geoms[fast])
    pos = np.flatnonzero(fast)
    if len(pos):
        xy, which = shapely.get_coordinates(geoms[pos], return_index=True)
        counts = np.bincount(which, minlength=len(pos))
        starts = np.cumsum(counts) - counts
        # each ring padded to the longest with its first vertex: padded triangles have area
        # 0 exactly, and adding 0 to the sums changes no float
        col = np.arange(int(counts.max()))[None, :]
        take = np.where(col < counts[:, None], starts[:, None] + col, starts[:, None])
        x, y = xy[take, 0], xy[take, 1]
        x0, y0 = x[:, 0], y[:, 0]
        cx, cy, area2 = np.zeros(len(pos)), np.zeros(len(pos)), np.zeros(len(pos))
        for i in range(x.shape[1] - 1):
            x1, y1, x2, y2 = x[:, i], y[:, i], x[:, i + 1], y[:, i + 1]
            a2 = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
            cx += a2 * (x0 + x1 + x2)
            cy += a2 * (y0 + y1 + y2)
            area2 += a2
        good = area2 != 0
        divisor = np.where(good, area2, 1.0)
        out[pos[good], 0] = cx[good] / 3 / divisor[good]
        out[pos[good], 1] = cy[good] / 3 / divisor[good]
        fast[pos[~good]] = False
    rest = np.flatnonzero(~fast)
    if len(rest):
        points = shapely.centroid(geoms[rest])
        ok = ~(shapely.is_missing(points) | shapely.is_empty(points))
        out[rest[ok]] = shapely.get_coordinates(points[ok])
    return out


def _nearest(
    origins: np.ndarray, premises: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each origin with a geometry: its position, the position of the nearest premises
    and the distance (GEOS's ``distance``), as ``STRtree.query_nearest`` gives them.

    ``origins`` are geometries, or point coordinates (an ``(n, 2)`` float array, NaN for no
    point: :func:`centroid_xy`). Points to points (centroids to premises, the common case)
    are matched with scipy's k-d tree, several times faster at 100,000 estates; an origin
    whose two nearest premises lie at the same distance (to 1e-9) is asked of GEOS's tree
    instead, so that a tie goes to the premises GEOS picks, and every distance is GEOS's own
    (two points: ``sqrt(dx² + dy²)``, GEOS's ``Coordinate::distance``, in the same order).
    """
    targets = np.asarray(premises.geometry.values)
    t_pos = np.flatnonzero(~(shapely.is_missing(targets) | shapely.is_empty(targets)))
    t_xy = _point_xy(targets[t_pos]) if len(t_pos) >= 2 else None
    geoms: np.ndarray | None = None
    if origins.dtype != object:  # coordinates
        src = np.flatnonzero(~np.isnan(origins).any(axis=1))
        o_xy: np.ndarray | None = origins[src]
        if not np.isfinite(origins[src]).all():
            o_xy = None
    else:
        geoms = origins
        src = np.flatnonzero(~(shapely.is_missing(origins) | shapely.is_empty(origins)))
        o_xy = _point_xy(origins[src])
    if t_xy is None or o_xy is None:
        if geoms is None:
            geoms = np.full(len(origins), None, dtype=object)
            geoms[src] = shapely.points(origins[src])
        tree = shapely.STRtree(targets)
        (src, dst), dist = tree.query_nearest(geoms, return_distance=True, all_matches=False)
        return src, dst, dist
    gap, nearest = KDTree(t_xy).query(o_xy, k=2)
    dst = t_pos[nearest[:, 0]]
    tied = gap[:, 1] - gap[:, 0] <= 1e-9 * np.maximum(gap[:, 1], 1.0)
    if tied.any():  # GEOS's tree only for the ties
        asked = shapely.points(o_xy[tied]) if geoms is None else geoms[src[tied]]
        which, to = shapely.STRtree(targets).query_nearest(asked, all_matches=False)
        dst[np.flatnonzero(tied)[which]] = to
    d = o_xy - t_xy[np.searchsorted(t_pos, dst)]
    return src, dst, np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])


def _point_xy(geoms: np.ndarray) -> np.ndarray | None:
    """The coordinates of ``geoms`` when every one is a finite point, else None."""
    if not bool((shapely.get_type_id(geoms) == 0).all()):
        return None
    xy = shapely.get_coordinates(geoms)
    return xy if len(xy) == len(geoms) and bool(np.isfinite(xy).all()) else None


def nearest_premises(
    estates: gpd.GeoDataFrame, premises: gpd.GeoDataFrame | None, *, rules: RuleSet
) -> pd.DataFrame:
    """Distance in metres from each estate to the nearest premises, and whether it is covered.

    Parameters
    ----------
    estates, premises : GeoDataFrame
        In EPSG:4549; ``premises`` already filtered to those that count.

    Returns
    -------
    DataFrame
        Indexed like ``estates``: ``nearest_premises_m`` (NaN when there is no premises),
        ``nearest_premises_id`` and ``covered`` (distance ≤ ``rules.layout.walking_distance_m``).
    """
    check_working_crs(estates=estates, premises=premises)
    n = len(estates)
    distance = np.full(n, np.nan)
    nearest_id = np.full(n, None, dtype=object)
    if premises is not None and len(premises) and n:
        origins = (
            centroid_xy(estates.geometry.values)  # coordinates: no Point per estate
            if rules.layout.distance_from == "centroid"
            else np.asarray(estate_origins(estates, rules=rules))
        )
        src, dst, dist = _nearest(origins, premises)
        distance[src] = dist
        nearest_id[src] = premises["premises_id"].to_numpy()[dst]
    covered = np.where(np.isnan(distance), False, distance <= rules.layout.walking_distance_m)
    return pd.DataFrame(
        {
            "nearest_premises_m": np.round(distance, 1),
            "nearest_premises_id": nearest_id,
            "covered": covered,
        },
        index=estates.index,
    )
