"""Geometries for display: simplified, in lon/lat (or GCJ-02 on Amap), rounded, encoded.

For display only — the outputs keep the exact geometries. Simplification is in metres in the
layer's projected CRS (EPSG:4549 for Deqing); coordinates are rounded to
:data:`COORDINATE_DECIMALS` decimals of a degree (≈ 0.1 m).

A city-sized page holds hundreds of thousands of vertices, so polygons and lines travel as
integers: each vertex in units of 10^-:data:`COORDINATE_DECIMALS` degree, ``lat, lon`` (Leaflet's
order), as the difference from the vertex before it (:func:`encode`; ``onemap.js`` adds them up
again and divides by 10^decimals, which gives the very numbers a decimal ``119.792424`` would:
the display is unchanged). On a 20,000-estate city this made the geometry 2.7 times smaller
than GeoJSON (3.05 → 1.12 MB for the estates; ``benchmarks/bench_map.py``).

Examples
--------
>>> square = shapely.Polygon([(120.0, 30.0), (120.000002, 30.0), (120.000002, 30.000001)])
>>> encode(square)
{'p': [[[30000000, 120000000, 0, 2, 1, 0]]]}
>>> shapely.geometry.shape(decode(encode(square))).equals(square)
True
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


def _deltas(coords: list[np.ndarray]) -> list[list[int]]:
    """Each ``(n, 2)`` lon/lat array as ``[lat, lon, dlat, dlon, ...]`` integers, the
    differences running on from one array to the next (the first vertex is absolute)."""
    scale = 10**COORDINATE_DECIMALS
    lengths = [len(c) for c in coords]
    whole = np.rint(np.concatenate(coords)[:, ::-1] * scale).astype(np.int64)
    steps = np.diff(whole, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    out, start = [], 0
    for n in lengths:
        out.append(steps[start : start + n].ravel().tolist())
        start += n
    return out


def encode(geom: shapely.Geometry | None) -> dict[str, Any] | None:
    """The compact display form of ``geom`` (rounded to :data:`COORDINATE_DECIMALS`).

    - ``{"p": [polygon, ...]}``: (multi)polygons, a polygon a list of rings (exterior first),
      a ring without its closing vertex;
    - ``{"l": [line, ...]}``: (multi)lines;
    - anything else (points, collections): GeoJSON, as it is.

    Every ring and line is a flat list ``[lat, lon, dlat, dlon, ...]`` of integers in
    10^-decimals degree, each vertex the difference from the one before it, running on across
    the rings and parts of the feature. None for a missing or empty geometry.
    """
    if geom is None or shapely.is_empty(geom):
        return None
    kind = shapely.get_type_id(geom)
    if kind in (3, 6):  # Polygon, MultiPolygon
        polygons = list(shapely.get_parts(geom))
        rings = [[p.exterior, *p.interiors] for p in polygons]
        flat = _deltas([shapely.get_coordinates(r)[:-1] for rs in rings for r in rs])
        out, start = [], 0
        for rs in rings:
            out.append(flat[start : start + len(rs)])
            start += len(rs)
        return {"p": out}
    if kind in (1, 2, 5):  # LineString, LinearRing, MultiLineString
        return {"l": _deltas([shapely.get_coordinates(g) for g in shapely.get_parts(geom)])}
    return geojson(geom)


def decode(encoded: dict[str, Any]) -> dict[str, Any]:
    """The GeoJSON geometry of an :func:`encode`-d one (what ``onemap.js`` draws), for tests
    and checks: a single polygon or line comes back as ``Polygon`` / ``LineString``."""
    if "p" not in encoded and "l" not in encoded:
        return encoded
    scale = 10**COORDINATE_DECIMALS
    position = [0, 0]

    def vertices(flat: list[int], *, ring: bool) -> list[list[float]]:
        out = []
        for i in range(0, len(flat), 2):
            position[0] += flat[i]
            position[1] += flat[i + 1]
            out.append([position[1] / scale, position[0] / scale])
        return [*out, out[0]] if ring and out else out

    if "p" in encoded:
        polygons = [[vertices(r, ring=True) for r in rings] for rings in encoded["p"]]
        if len(polygons) == 1:
            return {"type": "Polygon", "coordinates": polygons[0]}
        return {"type": "MultiPolygon", "coordinates": polygons}
    lines = [vertices(line, ring=False) for line in encoded["l"]]
    if len(lines) == 1:
        return {"type": "LineString", "coordinates": lines[0]}
    return {"type": "MultiLineString", "coordinates": lines}


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
