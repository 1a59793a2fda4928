"""Overlays robust to coordinate noise: the shapely set operations of every analysis.

Only numpy and shapely: the R7 cells (:mod:`gis_planner.layout.cells`) run it in worker
processes, which should start light.
"""

from __future__ import annotations

import numpy as np
import shapely

# Overlays of coordinates that went through a datum shift (GCJ-02 → WGS84 → EPSG:4549) carry
# noise of ~1e-9 m: a vertex of one estate a hair off the edge of its neighbour makes GEOS's
# overlay fail ("TopologyException: side location conflict"). Such an overlay is repeated on a
# 1 mm grid (far below survey accuracy, far above the noise), which GEOS's snap-rounding
# overlay always completes; the exact overlay is tried first so that clean input is unchanged.
OVERLAY_GRID_M = 0.001


def _repaired(value: object) -> object:
    """Invalid geometries made valid keeping their dimension (polygons stay polygons)."""
    if not isinstance(value, (shapely.Geometry, np.ndarray)):
        return value
    geoms = np.asarray(value, dtype=object)
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
    return geoms if isinstance(value, np.ndarray) else geoms.item()


def robust_overlay(func, *args: object, **kwargs: object):  # noqa: ANN001, ANN201
    """``func(*args)`` (a shapely set operation: intersection, difference, union_all …),
    robust to coordinate noise.

    Tried exactly first, so that clean input gives exactly what it gave before; when GEOS
    cannot complete it, repeated on inputs made valid (keeping polygons polygonal), and last
    with snap-rounding on a grid of :data:`OVERLAY_GRID_M`, which GEOS always completes.
    """
    try:
        return func(*args, **kwargs)
    except shapely.errors.GEOSException:
        pass
    repaired = [_repaired(a) for a in args]
    try:
        return func(*repaired, **kwargs)
    except shapely.errors.GEOSException:
        return func(*repaired, grid_size=OVERLAY_GRID_M, **kwargs)
