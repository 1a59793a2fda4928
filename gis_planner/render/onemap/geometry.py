"""Geometries for display: simplified, in lon/lat (or GCJ-02 on Amap), rounded.

For display only — the outputs keep the exact geometries. Simplification is in metres in the
layer's projected CRS (EPSG:4549 for Deqing); coordinates are rounded to
:data:`COORDINATE_DECIMALS` decimals of a degree (≈ 0.1 m), which keeps a county-sized page
small.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from gis_planner import crs as crs_mod

#: Display-only simplification tolerance, metres in the working CRS (EPSG:4549).
SIMPLIFY_TOLERANCE_M = 1.0
#: The walking-reach outline (a union of circles) is drawn with a coarser tolerance.
REACH_SIMPLIFY_TOLERANCE_M = 5.0
#: Display coordinates: decimals of a degree (6 ≈ 0.1 m).
COORDINATE_DECIMALS = 6


def to_display(
    geoms: gpd.GeoSeries, *, shift: bool, simplify: bool, tolerance_m: float = SIMPLIFY_TOLERANCE_M
) -> np.ndarray:
    """Geometries for the page: simplified (metres), lon/lat, GCJ-02 when ``shift``, rounded.

    Parameters
    ----------
    geoms : GeoSeries
        In any CRS; a geographic one is projected to its 3-degree CGCS2000 zone first.
    shift : bool
        Shift to GCJ-02 (:func:`gis_planner.crs.geometries_wgs84_to_gcj02`), for Amap.
    simplify : bool
        Simplify by ``tolerance_m`` metres, keeping the topology.

    Returns
    -------
    ndarray of shapely geometries
        Lon/lat (EPSG:4326, or GCJ-02), in the order of ``geoms``.
    """
    if geoms.crs is None:
        raise ValueError(
            "a layer handed to the map has no CRS; Results layers are in the "
            "working CRS (load_layers + analyse give them one)"
        )
    if not geoms.crs.is_projected:  # simplify in metres, in the layer's own 3-degree zone
        geoms = geoms.to_crs(crs_mod.working_crs_for(geoms))
    values = geoms.values
    if simplify:
        values = shapely.simplify(np.asarray(values), tolerance_m, preserve_topology=True)
    out = gpd.GeoSeries(values, crs=geoms.crs).to_crs(crs_mod.WEB_CRS).values
    out = np.asarray(out)
    if shift:
        out = crs_mod.geometries_wgs84_to_gcj02(out)
    return shapely.transform(out, lambda c: np.round(c, COORDINATE_DECIMALS))


def geojson(geom: shapely.Geometry | None) -> dict[str, Any] | None:
    """The GeoJSON geometry of ``geom``; None for a missing or empty geometry."""
    if geom is None or shapely.is_empty(geom):
        return None
    return shapely.geometry.mapping(geom)


def latlng(point: shapely.Geometry) -> list[float]:
    """``[lat, lon]`` of a point (Leaflet's order), rounded as the geometries are."""
    return [round(point.y, COORDINATE_DECIMALS), round(point.x, COORDINATE_DECIMALS)]


def line_parts(geoms: np.ndarray) -> shapely.Geometry | None:
    """Every line of ``geoms`` as one MultiLineString (one record: no per-feature overhead)."""
    geoms = np.asarray(
        [g for g in geoms if g is not None and not shapely.is_empty(g)], dtype=object
    )
    if not len(geoms):
        return None
    parts = shapely.get_parts(geoms)
    lines = parts[np.isin(shapely.get_type_id(parts), (1, 2))]  # LineString, LinearRing
    if not len(lines):
        return None
    return shapely.multilinestrings(lines)
