"""The R7 cells: each community polygon divided among its household units, every point of it
going to the nearest unit outline (a "morphological tessellation", see
:mod:`gis_planner.layout.boundaries`, step 1), and the borders the cells share.

Each community is cut alone, so its cells are the same whenever and wherever it is cut:
:class:`CommunityPool` shares many communities out among worker processes. This module
imports only numpy, scipy and shapely (and :mod:`gis_planner.overlay`), so that a worker
starts light.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import shapely
from scipy.spatial import Delaunay, KDTree, QhullError

from gis_planner.overlay import robust_overlay

T = TypeVar("T")
log = logging.getLogger(__name__)

# Qhull first joggles the sample points (by a hair; the circumcentres are then taken from the
# points themselves): without it the many cocircular points of straight outlines make it merge
# facets, and it triangulates the benchmark layers' communities a third slower. Where the
# joggle leaves a flat triangle between two units (collinear points along the hull), Qhull's
# default options (None) are tried next.
_QHULL_OPTIONS = ("QJ", None)


def union_cells(cells: np.ndarray) -> shapely.Geometry:
    """Union of Voronoi cells: a coverage union (fast, exact); when GEOS finds the coverage
    not clean (nearly collinear sample points can give slivers), a plain union, and last a
    union snapped to a grid, which GEOS's overlay always completes."""
    try:
        union = shapely.coverage_union_all(cells)
        if shapely.is_valid(union):  # an unclean coverage may also give an invalid result
            return union
    except shapely.errors.GEOSException:
        pass
    return robust_overlay(shapely.union_all, cells)


def _covered(geoms: np.ndarray, polygon: shapely.Geometry) -> np.ndarray:
    """Which of ``geoms`` lie inside ``polygon`` (boundary included): those need no clipping.
    False where GEOS cannot tell (invalid input): those are clipped, as before."""
    try:
        return np.asarray(shapely.covers(polygon, geoms), dtype=bool)
    except shapely.errors.GEOSException:
        return np.zeros(len(geoms), dtype=bool)


def clip(geoms: np.ndarray, polygon: shapely.Geometry) -> np.ndarray:
    """``geoms`` ∩ ``polygon``, overlaying only the geometries not already inside it (an
    overlay costs as much as the polygon has vertices; most estates and cells lie inside)."""
    out = geoms.copy()
    cut = ~_covered(geoms, polygon)
    if cut.any():
        out[cut] = robust_overlay(shapely.intersection, geoms[cut], polygon)
    return out


def union_groups(pieces: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """:func:`union_cells` of each group of Voronoi ``pieces``, in one vectorised coverage
    union over a padded table (one GEOS call instead of one a group); a group whose coverage
    union fails or is invalid is redone by :func:`union_cells`."""
    width = max(len(g) for g in groups)
    table = np.full((len(groups), width), None, dtype=object)
    for row, group in enumerate(groups):
        table[row, : len(group)] = pieces[group]
    try:
        unions = np.asarray(shapely.coverage_union_all(table, axis=1), dtype=object)
        bad = ~shapely.is_valid(unions)
    except shapely.errors.GEOSException:
        unions = np.full(len(groups), None, dtype=object)
        bad = np.ones(len(groups), dtype=bool)
    for row in np.flatnonzero(bad).tolist():
        unions[row] = union_cells(pieces[groups[row]])
    return unions


def member_cells(polygon: shapely.Geometry, members: np.ndarray, spacing_m: float) -> np.ndarray:
    """Split ``polygon`` among estate geometries: each point to the nearest outline."""
    return cells_and_borders(polygon, members, spacing_m)[0]


@dataclass
class Borders:
    """The borders between the cells of one community: the pairs of members (``a < b``) whose
    cells share a border inside the community polygon, and its length."""

    a: np.ndarray
    b: np.ndarray
    length: np.ndarray


def cells_and_borders(
    polygon: shapely.Geometry, members: np.ndarray, spacing_m: float
) -> tuple[np.ndarray, Borders | None]:
    """:func:`member_cells`, and the length of the border shared by each pair of cells inside
    ``polygon`` (``None`` where the cells came from the fallback below: not measured).

    The cell of a member is the union of the Voronoi regions of its sample points, so its
    border inside ``polygon`` is the set of Voronoi ridges between points of different members
    (the separators): the polygon cut by the separators falls into faces, each inside the
    regions of one member's points (the member of the sample point nearest to any point of
    it). One Delaunay triangulation per community (scipy's Qhull) gives the ridges, joined
    into chains (:func:`_chains`); GEOS only nodes the few chains crossing the community
    boundary and polygonizes. Where Qhull or
    the faces fail a check (degenerate points, noding), the cells are GEOS's Voronoi polygons
    dissolved per member, as before."""
    shapely.prepare(polygon)  # many point-in-polygon tests against it below
    try:
        coords, owner = _samples(polygon, members, spacing_m)
        cells = np.full(len(members), None, dtype=object)
        none = Borders(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        if len(coords) == 0:
            return cells, none
        if len(np.unique(owner)) == 1 or len(coords) < 3:
            cells[owner[0]] = polygon
            return cells, none
        found = _faces(polygon, coords, owner)
        if found is not None:
            faces, face_owner, borders = found
            groups = present(rows_by(face_owner, len(members)))
            single = [g for g in groups if len(g) == 1]
            several = [g for g in groups if len(g) > 1]
            cells[[int(face_owner[g[0]]) for g in single]] = faces[[int(g[0]) for g in single]]
            if several:  # a cell in pieces (faces of one member share no edge)
                cells[[int(face_owner[g[0]]) for g in several]] = union_groups(faces, several)
            return cells, borders
        return _member_cells(polygon, coords, owner, cells), None
    finally:
        shapely.destroy_prepared(polygon)


def _samples(
    polygon: shapely.Geometry, members: np.ndarray, spacing_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """The points sampled every ``spacing_m`` along the members' outlines clipped to
    ``polygon``, and the member of each (the first where outlines share a point)."""
    clipped = clip(members, polygon)
    dense = shapely.segmentize(shapely.boundary(clipped), spacing_m)
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    if len(coords) == 0:
        return coords, owner
    # the sample points on a 1 mm grid: coordinate noise (~1e-9 m after a GCJ-02 conversion)
    # puts points of one straight edge a hair off it, and GEOS's Voronoi then returns
    # overlapping cells; on the grid they are collinear again (and duplicates drop out)
    rounded = np.round(coords, 3)
    # one complex number a point: numpy sorts it as (x, y), faster than rows (axis=0)
    _, first = np.unique(rounded[:, 0] + 1j * rounded[:, 1], return_index=True)
    first = np.sort(first)
    return rounded[first], owner[first]


def _separators(
    coords: np.ndarray, owner: np.ndarray, box: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The Voronoi ridges between sample points of different owners, as segments (k × 2 × 2),
    with the owners on either side; a ridge going to infinity ends outside ``box``. ``None``
    when Qhull fails or the triangulation is degenerate where it matters.

    scipy's ``Voronoi`` costs about twice its ``Delaunay`` and GEOS's Voronoi builds a polygon
    per point, so the ridges are read off the triangulation (a few numpy lines, written here):
    the ridge of a Delaunay edge joins the circumcentres of the two triangles on either side;
    on the convex hull it is a ray from the circumcentre, perpendicular to the edge, outwards.
    """
    # about the origin: Qhull lifts the points onto a paraboloid (x² + y²), and projected
    # coordinates in the millions leave it too few digits (slow and degenerate). The shift
    # is exact: the coordinates are on a 1 mm grid, within a factor 2 of the shift.
    shift = np.round(coords.mean(axis=0))
    local = coords - shift
    for options in _QHULL_OPTIONS:
        found = _ridges(local, owner, options)
        if found is not None:
            break
    else:
        return None
    p, q, t, other, simplex, centre = found
    start, end = centre[t], centre[np.maximum(other, 0)]
    ray = other < 0
    if ray.any():
        lp, lq = local[p[ray]], local[q[ray]]
        normal = np.c_[lq[:, 1] - lp[:, 1], lp[:, 0] - lq[:, 0]]
        normal /= np.hypot(normal[:, 0], normal[:, 1])[:, None]
        third = local[simplex[t[ray]]].sum(axis=1) - lp - lq  # the triangle's third vertex
        normal *= -np.sign(((third - lp) * normal).sum(axis=1))[:, None]  # away from it
        x0, y0, x1, y1 = box - np.r_[shift, shift]
        corners = np.array([[x0, y0], [x0, y1], [x1, y0], [x1, y1]])
        origin = start[ray]
        reach = np.sqrt(((origin[:, None, :] - corners[None]) ** 2).sum(axis=-1)).max(axis=1)
        end[ray] = origin + normal * (reach + 1.0)[:, None]
    segments = np.stack([start, end], axis=1) + shift
    return segments, owner[p], owner[q]


def _ridges(
    local: np.ndarray, owner: np.ndarray, options: str | None
) -> tuple[np.ndarray, ...] | None:
    """The Delaunay edges ``p``–``q`` between points of different owners (each once), the
    triangle ``t`` and the triangle ``other`` (-1 on the convex hull) on either side, the
    triangles, and the circumcentres; ``None`` when Qhull fails, leaves a point out, or one of
    these triangles is flat (with a joggle, collinear points along the hull may give one)."""
    try:
        tri = Delaunay(local, qhull_options=options)
    except QhullError:
        return None
    if len(tri.coplanar):  # a point left out of the triangulation
        return None
    simplex, beside = tri.simplices, tri.neighbors
    # edge k of triangle t: opposite its vertex k, shared with the triangle beside[t, k]
    t = np.repeat(np.arange(len(simplex)), 3)
    k = np.tile(np.arange(3), len(simplex))
    p, q, other = simplex[t, (k + 1) % 3], simplex[t, (k + 2) % 3], beside[t, k]
    keep = (owner[p] != owner[q]) & ((other > t) | (other < 0))  # each edge once
    p, q, t, other = p[keep], q[keep], t[keep], other[keep]
    # circumcentres (of the triangles as given, not joggled) of the triangles these ridges join
    used = np.unique(np.r_[t, other[other >= 0]])
    a = local[simplex[used, 0]]
    ab, ac = local[simplex[used, 1]] - a, local[simplex[used, 2]] - a
    ab2, ac2 = (ab**2).sum(axis=1), (ac**2).sum(axis=1)
    det = 2 * (ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0])
    if (np.abs(det) <= 1e-12 * np.maximum(ab2, ac2)).any():  # a flat triangle: no centre
        return None
    centre = np.zeros((len(simplex), 2))
    centre[used, 0] = a[:, 0] + (ac[:, 1] * ab2 - ab[:, 1] * ac2) / det
    centre[used, 1] = a[:, 1] + (ab[:, 0] * ac2 - ac[:, 0] * ab2) / det
    return p, q, t, other, simplex, centre


def _faces(
    polygon: shapely.Geometry, coords: np.ndarray, owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Borders] | None:
    """``polygon`` cut by the separators of :func:`_separators` into faces, the owner of each
    face, and the borders; ``None`` where a check fails (the caller falls back to GEOS)."""
    box = np.array(shapely.bounds(polygon))
    box = np.r_[np.minimum(box[:2], coords.min(axis=0)), np.maximum(box[2:], coords.max(axis=0))]
    found = _separators(coords, owner, box)
    if found is None:
        return None
    segments, left, right = found
    real = (segments[:, 0] != segments[:, 1]).any(axis=1)  # no zero-length ridge
    segments, left, right = segments[real], left[real], right[real]
    chain_xy, chain_of_xy, chain = _chains(segments)
    chains = shapely.linestrings(chain_xy, indices=chain_of_xy)
    try:
        # a chain inside the polygon: so is each of its separators; the separators of the
        # other chains are tested one by one
        whole = shapely.contains_properly(polygon, chains)
        crossing = ~whole & shapely.intersects(polygon, chains)
        inside = whole[chain]
        tested = np.flatnonzero(crossing[chain])
        lines = shapely.linestrings(segments[tested])
        in_tested = shapely.contains_properly(polygon, lines)
        inside[tested[in_tested]] = True
        cross = np.zeros(len(segments), dtype=bool)
        cross[tested[~in_tested]] = shapely.intersects(polygon, lines[~in_tested])
        # the chains crossing the boundary, noded with it: one segment per edge, since
        # polygonize joins lines at their ends only (and a chain inside may end on any
        # vertex of a crossing one)
        noded = shapely.get_parts(
            shapely.union_all(np.r_[chains[crossing], [shapely.boundary(polygon)]])
        )
        xy, line = shapely.get_coordinates(noded, return_index=True)
        step = np.flatnonzero(line[1:] == line[:-1])
        pieces = shapely.linestrings(np.stack([xy[step], xy[step + 1]], axis=1))
        faces = shapely.get_parts(shapely.polygonize(np.r_[chains[whole], pieces]))
        probe = shapely.point_on_surface(faces)
        within = shapely.contains(polygon, probe)
        faces, probe = faces[within], probe[within]
        border = np.zeros(len(segments))
        d = segments[inside, 1] - segments[inside, 0]
        border[inside] = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])  # as GEOS measures
        border[cross] = shapely.length(
            shapely.intersection(shapely.linestrings(segments[cross]), polygon)
        )
    except shapely.errors.GEOSException:
        return None
    area = float(shapely.area(polygon))
    if abs(float(shapely.area(faces).sum()) - area) > 1e-3 + 1e-9 * area:
        return None  # a gap or an overlap: the separators were not noded
    if not shapely.is_valid(faces).all():
        return None
    # a face lies in the Voronoi regions of one member's points (separators bound it): the
    # sample point nearest to any point of it is that member's
    _, nearest = KDTree(coords).query(shapely.get_coordinates(probe))
    return faces, owner[nearest], _pair_lengths(left, right, border)


def _chains(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The separators ``segments`` (k × 2 × 2) joined end to end into chains wherever exactly
    two of them meet (at the same coordinates: where polygonize would join them): the chains'
    coordinates, the chain of each coordinate, and the chain of each separator.

    GEOS's polygonize spends its time per line, and a community's separators are mostly long
    runs of short ridges between the same two units: as chains it polygonizes them about four
    times faster, and tests them against the polygon once a chain. shapely's ``line_merge``
    does the same joining but costs what polygonize saves, so the chains are followed here, in
    numpy: the separators taken in both directions, each followed by the one leaving the point
    where it ends (when exactly two meet there), ranked along their run by pointer jumping
    (closed rings of separators, rare, are followed one step at a time)."""
    k = len(segments)
    end = segments.reshape(-1, 2)  # end ``2s + j`` of separator s: its point j
    _, node, degree = np.unique(end[:, 0] + 1j * end[:, 1], return_inverse=True, return_counts=True)
    node = node.ravel()
    by_node = np.argsort(node, kind="stable")
    paired = by_node[degree[node[by_node]] == 2].reshape(-1, 2)  # the two ends at such a point
    mate = np.full(2 * k, -1, dtype=np.int64)
    mate[paired[:, 0]], mate[paired[:, 1]] = paired[:, 1], paired[:, 0]
    # the separator s run from its point j is "2s + j": it leaves from end 2s + j and arrives
    # at end (2s + j) ^ 1, where the one run from the mate of that end follows it
    directed = np.arange(2 * k)
    following = mate[directed ^ 1]
    last = np.where(following >= 0, following, directed)
    to_go = (following >= 0).astype(np.int64)  # separators after this one in its run
    for _ in range((2 * k).bit_length()):  # enough doublings for a run of all 2k
        last, to_go = last[last], to_go + to_go[last]
    ring = following[last] >= 0  # in a closed ring: the run has no last separator
    # each open run twice, once a direction: keep the direction whose first separator has the
    # lower number than the reverse's (the reverse of the last one)
    first = np.flatnonzero((mate < 0) & ~ring)
    first = first[first <= (last[first] ^ 1)]
    runs = np.full(2 * k, -1, dtype=np.int64)
    runs[last[first]] = np.arange(len(first))
    taken = np.flatnonzero(~ring & (runs[last] >= 0))
    run_of = runs[last[taken]]
    position = to_go[first][run_of] - to_go[taken]
    order = np.lexsort((position, run_of))
    taken, run_of = taken[order], run_of[order]
    # a run's points: where each of its separators leaves from, then where the last arrives
    xy_at = xy_run = np.zeros(0, dtype=np.int64)
    if len(taken):  # (none when every separator lies on a closed ring)
        starts = np.flatnonzero(np.r_[True, run_of[1:] != run_of[:-1]])
        ends_of_runs = np.r_[starts[1:], len(taken)] - 1
        xy_at = np.insert(taken, ends_of_runs + 1, taken[ends_of_runs] ^ 1)
        xy_run = np.insert(run_of, ends_of_runs + 1, run_of[ends_of_runs])
    chain = np.full(k, -1, dtype=np.int64)
    chain[taken >> 1] = run_of
    xy_list, run_list = [end[xy_at]], [xy_run]
    n_runs = len(first)
    for s in np.flatnonzero(chain < 0).tolist():  # the closed rings
        if chain[s] >= 0:
            continue
        at, points = 2 * s, []
        while chain[at >> 1] < 0:
            chain[at >> 1] = n_runs
            points.append(at)
            at = int(mate[at ^ 1])
        points.append(points[0])
        xy_list.append(end[points])
        run_list.append(np.full(len(points), n_runs))
        n_runs += 1
    return np.concatenate(xy_list), np.concatenate(run_list), chain


def _pair_lengths(left: np.ndarray, right: np.ndarray, border: np.ndarray) -> Borders:
    """The border length summed per pair of owners (``a < b``); pairs with none dropped."""
    has = border > 0
    a, b = np.minimum(left, right)[has], np.maximum(left, right)[has]
    width = int(b.max()) + 1 if len(b) else 1
    pairs, at = np.unique(a * width + b, return_inverse=True)
    length = np.bincount(at, weights=border[has], minlength=len(pairs))
    return Borders(pairs // width, pairs % width, length)


def _member_cells(
    polygon: shapely.Geometry, coords: np.ndarray, owner: np.ndarray, cells: np.ndarray
) -> np.ndarray:
    """The fallback of :func:`cells_and_borders`: GEOS's Voronoi polygons of the sample
    points, dissolved per member, clipped to ``polygon``."""
    voronoi = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(coords), extend_to=polygon, ordered=True)
    )
    groups = present(rows_by(owner, len(cells)))
    # Voronoi cells share their edges exactly: a coverage union is fast and exact
    cells[[int(owner[g[0]]) for g in groups]] = union_groups(voronoi, groups)
    made = np.flatnonzero(~shapely.is_missing(cells))
    cells[made] = clip(cells[made].astype(object), polygon)
    return cells


def rows_by(label: np.ndarray, n: int) -> list[np.ndarray]:
    """The rows of each label ``0 … n-1`` (ascending; empty for a label no row has)."""
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(n + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(n)]


def present(rows: list[np.ndarray]) -> list[np.ndarray]:
    """The groups of :func:`rows_by` that hold rows."""
    return [g for g in rows if len(g)]


# --------------------------------------------------------------------------- shares

_SLIVER_M2 = 1.0  # polygon parts smaller than this are floating-point noise of the overlay


def _rest(polygon: shapely.Geometry, shares: list[shapely.Geometry]) -> shapely.Geometry:
    """``polygon`` less the union of ``shares`` (the other shares of a community)."""
    taken = robust_overlay(shapely.union_all, np.array(shares, dtype=object))
    return robust_overlay(shapely.difference, polygon, taken)


def _each(func: Any, geoms: np.ndarray, other: shapely.Geometry) -> list[shapely.Geometry]:
    """``func(g, other)`` for each of ``geoms``: in one vectorised GEOS call, or where GEOS
    fails on one of them, each through :func:`robust_overlay` (so that only that one is
    repaired, as when they are done one at a time)."""
    try:
        return list(func(geoms, other))
    except shapely.errors.GEOSException:
        return [robust_overlay(func, g, other) for g in geoms.tolist()]


def clean(geom: shapely.Geometry) -> shapely.Geometry:
    """Valid polygonal geometry without the slivers of floating-point noise (< 1 m²)."""
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    if shapely.get_type_id(geom) == 3 and shapely.area(geom) >= _SLIVER_M2:
        return geom  # one polygon, no sliver: what the general case below returns, sooner
    parts = shapely.get_parts(geom)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    parts = shapely.get_parts(parts)
    if len(parts) == 0:
        return geom
    area = shapely.area(parts)
    keep = parts[area >= _SLIVER_M2] if (area >= _SLIVER_M2).any() else parts[[area.argmax()]]
    return keep[0] if len(keep) == 1 else robust_overlay(shapely.union_all, keep)


def _smooth(shares: dict[int, shapely.Geometry], tolerance_m: float) -> dict[int, shapely.Geometry]:
    """Simplify the new borders inside one community (the staircase of the cells), keeping its
    outline and the pieces' shared borders consistent (GEOS coverage simplification)."""
    labs = list(shares)
    geoms = np.array([clean(shares[lab]) for lab in labs], dtype=object)
    try:
        smooth = shapely.coverage_simplify(geoms, tolerance_m, simplify_boundary=False)
    except shapely.errors.GEOSException:  # pragma: no cover - not a clean coverage
        return shares
    if not shapely.is_valid(smooth).all() or shapely.is_empty(smooth).any():
        return shares  # pragma: no cover
    return dict(zip(labs, smooth.tolist(), strict=True))


def _shares(
    polygon: shapely.Geometry, geoms: np.ndarray, labels: np.ndarray, areas: np.ndarray
) -> tuple[dict[int, shapely.Geometry], int]:
    """The share of each label of one community divided among several (its cells ``geoms``
    with their ``labels`` and ``areas``): the union of its cells, and for the largest (by its
    cells' area; returned too) the rest of the polygon (its cells, usually most of them, are
    never united)."""
    labs = sorted(set(labels.tolist()))
    groups = {x: np.flatnonzero(labels == x) for x in labs}
    largest = max(labs, key=lambda x: (float(areas[groups[x]].sum()), -x))
    others = [x for x in labs if x != largest]
    unions = union_groups(geoms, [groups[x] for x in others])
    shares = dict(zip(others, _each(shapely.intersection, unions, polygon), strict=True))
    shares[largest] = _rest(polygon, [shares[x] for x in others])
    return shares, largest


def divide(
    polygon: shapely.Geometry,
    geoms: np.ndarray,
    labels: np.ndarray,
    areas: np.ndarray,
    tolerance_m: float,
) -> tuple[dict[int, shapely.Geometry], dict[int, shapely.Geometry]]:
    """One community divided among the labels of its cells: each label's share as the cells
    give it (raw), and smoothed (:func:`_smooth`; the largest share is again the rest of the
    polygon, so the shares still tile it)."""
    raw, largest = _shares(polygon, geoms, labels, areas)
    smoothed = dict(_smooth(raw, tolerance_m))  # a new dict: raw stays as it is
    smoothed[largest] = _rest(polygon, [smoothed[x] for x in raw if x != largest])
    return raw, smoothed


# --------------------------------------------------------------------------- many communities

#: fewer communities than this are cut in this process: starting the worker processes (a fresh
#: interpreter each, importing numpy, scipy and shapely) costs about what cutting this many
#: takes (speed, not policy)
POOL_MIN_COMMUNITIES = 200
#: communities sent to a worker at a time: fewer round trips, still balanced (speed)
_POOL_CHUNK = 8


def available_workers() -> int:
    """The CPUs this process may run on (its affinity, where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class CommunityPool:
    """Worker processes for work done one community at a time (each community alone, so the
    result is the same in any process), shared by the steps of one proposal.

    :meth:`map` runs here for fewer than :data:`POOL_MIN_COMMUNITIES` communities, with one
    worker, or inside a daemonic process (a dask worker, a multiprocessing pool: it may not
    start children); otherwise in ``workers`` processes (default: :func:`available_workers`),
    started at the first such map and shut down when the ``with`` block ends. They are
    started fresh ("spawn", as on Windows and macOS): a forked child could inherit a lock
    that a thread of this process holds. Threads would not do: Qhull holds the GIL (scipy
    serialises it), and most of a cell's time is Qhull's.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = available_workers() if workers is None else max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> CommunityPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the processes down (a later :meth:`map` starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def map(self, func: Callable[..., T], *iterables: Sequence[Any]) -> list[T]:
        """``[func(*args) for args in zip(*iterables)]``, in order."""
        count = len(iterables[0]) if iterables else 0
        if (
            self.workers <= 1
            or count < POOL_MIN_COMMUNITIES
            or multiprocessing.current_process().daemon
        ):
            return [func(*args) for args in zip(*iterables, strict=True)]
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
                )
            return list(self._pool.map(func, *iterables, chunksize=_POOL_CHUNK))
        except (BrokenProcessPool, OSError) as error:
            # the processes could not start or died (no memory, a script without the
            # ``if __name__ == "__main__"`` guard that spawning needs): the same work here
            log.warning("worker processes failed (%s): cutting in this process", error)
            self.close()
            self.workers = 1
            return [func(*args) for args in zip(*iterables, strict=True)]
